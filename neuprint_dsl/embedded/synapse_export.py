"""Reading the synapse and mitochondrion files of an export, with exact errors.

Four optional files may sit next to ``neurons.csv`` (CSV with a header; columns matched by
name, in any order; other columns are ignored unless noted):

* ``synapses.csv``: ``bodyId,type,x,y,z,confidence`` and optionally ``roi`` (empty: none)
  and ``id``. Without ``id``, each distinct ``(bodyId, type, x, y, z)`` is one synapse (ids
  0..n-1 in order of first appearance) and its rows list its ROIs, as neuprint-python's
  ``fetch_synapses`` writes them; with ``id``, rows of one id must agree on everything but
  the ROI.
* ``synapse-connections.csv``: ``pre_id,post_id`` (synapse ids), or neuprint-python's
  ``fetch_synapse_connections`` layout ``bodyId_pre,bodyId_post,x_pre,y_pre,z_pre,x_post,
  y_post,z_post``; each end must be a known synapse of the right type and body.
* ``mitochondria.csv``: ``bodyId,mitoType,x,y,z,size,r0,r1,r2``, optionally ``roi``, ``id``
  (the same rules as synapses, keyed by ``(bodyId, mitoType, x, y, z)`` without ids).
* ``closest-mitochondria.csv``: ``synapse_id,mito_id,distance``; the mitochondrion belongs to
  the synapse's body, one row per synapse at most.

A synapse's (or mitochondrion's) ``rois`` are its listed ROIs plus their ancestors in
``meta.json``'s ``roiHierarchy``; its ``roi`` is the listed ROI that is primary (``meta.json``
``primaryRois``, else the ROIs of ``roi-connections.csv``), or ``None``. The ROI name
``NotPrimary`` (the pseudo-ROI of ``roi-connections.csv``) counts as no ROI.

Everything is vectorised: a row's line number is looked up only when it is wrong. The ``rois``
column holds one shared list per distinct ROI combination (millions of synapses share a few
hundred lists): treat the lists as read-only.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "synapses.csv").write_text(
    ...         "bodyId,type,roi,x,y,z,confidence\\n"
    ...         "1,pre,CA(R),5,6,7,0.9\\n1,pre,MB(R),5,6,7,0.9\\n2,post,,8,8,8,0.7\\n"
    ...     )
    ...     rules = RoiRules.from_meta({"primaryRois": ["CA(R)"]})
    ...     data = read_synapse_files(Path(tmp), rules)
    >>> data.synapses[["id", "bodyId", "type", "roi", "rois"]]
       id  bodyId  type    roi            rois
    0   0       1   pre  CA(R)  [CA(R), MB(R)]
    1   1       2  post   None              []
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from ..errors import LoadError
from .csv_files import line_of, read_columns, read_header
from .rois import NOT_PRIMARY
from .tables import (
    CLOSEST_MITOCHONDRIA_COLUMNS,
    MITO_TABLE,
    MITOCHONDRIA_COLUMNS,
    SYNAPSE_COLUMNS,
    SYNAPSE_CONNECTION_COLUMNS,
    SYNAPSE_FILES,
    SYNAPSE_LOCATION_COLUMNS,
    SYNAPSE_TABLE,
    optional_columns,
    required_columns,
)

__all__ = [
    "SYNAPSE_FILES",
    "RoiRules",
    "SynapseData",
    "read_synapse_files",
]


@attrs.frozen
class RoiRules:
    """Which ROIs are primary, and each ROI's parent in the hierarchy (the root excluded)."""

    primary: frozenset[str]
    parents: Mapping[str, str]

    @classmethod
    def from_meta(
        cls, meta: Mapping[str, Any], fallback_primary: Sequence[str] = (), path: str = "meta.json"
    ) -> RoiRules:
        """Rules from ``meta.json``: ``primaryRois`` (else ``fallback_primary``) and
        ``roiHierarchy`` (``{"name", "children"}`` nodes; the root is not an ROI).

        Example:
            >>> tree = {"name": "brain", "children": [{"name": "MB(R)",
            ...         "children": [{"name": "CA(R)"}]}]}
            >>> rules = RoiRules.from_meta({"roiHierarchy": tree}, ["CA(R)"])
            >>> sorted(rules.primary), rules.ancestors("CA(R)"), rules.ancestors("LH(R)")
            (['CA(R)'], ('MB(R)',), ())
        """
        listed = meta.get("primaryRois")
        if listed is None:
            listed = list(fallback_primary)
        if not (isinstance(listed, list) and all(isinstance(r, str) for r in listed)):
            raise LoadError(path, "primaryRois must be a list of ROI names")
        parents: dict[str, str] = {}
        tree = meta.get("roiHierarchy")
        if tree is not None:
            _walk_hierarchy(path, tree, None, parents, 0)
        primary = frozenset(listed) - {NOT_PRIMARY}
        return cls(primary, parents)

    def ancestors(self, roi: str) -> tuple[str, ...]:
        """The ROIs containing ``roi``, outermost first (none for an ROI not in the tree)."""
        chain: list[str] = []
        node = roi
        while node in self.parents and len(chain) <= len(self.parents):
            node = self.parents[node]
            chain.append(node)
        return tuple(reversed(chain))


def _walk_hierarchy(
    path: str, node: Any, parent: str | None, parents: dict[str, str], depth: int
) -> None:
    if not (isinstance(node, dict) and isinstance(node.get("name"), str)) or depth > 100:
        raise LoadError(path, 'roiHierarchy must nest {"name": ..., "children": [...]} objects')
    name = node["name"]
    if parent is not None and name not in parents and name != parent:
        parents[name] = parent
    children = node.get("children") or []
    if not isinstance(children, list):
        raise LoadError(path, f"roiHierarchy: the children of {name!r} must be a list")
    for child in children:
        # the root names the whole volume and is not an ROI: its children have no parent
        _walk_hierarchy(path, child, name if depth > 0 else None, parents, depth + 1)


@attrs.frozen
class SynapseData:
    """The validated synapse and mitochondrion tables (``None`` for an absent file).

    * ``synapses``: ``id, bodyId, type, confidence, x, y, z, roi, rois``
    * ``synapse_connections``: ``pre_id, post_id`` (synapse ids)
    * ``mitochondria``: ``id, bodyId, mitoType, size, x, y, z, r0, r1, r2, roi, rois``
    * ``closest_mitochondria``: ``synapse_id, mito_id, distance``

    ``roi`` is a primary ROI name or ``None``; ``rois`` a sorted list of names (shared
    between rows, read-only). ``rois_seen`` lists every ROI named in the files, with
    ancestors.
    """

    synapses: pd.DataFrame | None = None
    synapse_connections: pd.DataFrame | None = None
    mitochondria: pd.DataFrame | None = None
    closest_mitochondria: pd.DataFrame | None = None
    rois_seen: tuple[str, ...] = ()


def read_synapse_files(directory: Path, rules: RoiRules) -> SynapseData:
    """Read and validate the optional synapse and mitochondrion files of ``directory``.

    Raises :class:`~neuprint_dsl.errors.LoadError` naming the file, line and column of the
    first bad row, or a file that needs another one which is missing.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = Path(tmp, "synapse-connections.csv").write_text("pre_id,post_id\\n1,2\\n")
        ...     read_synapse_files(Path(tmp), RoiRules.from_meta({}))
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.LoadError: .../synapse-connections.csv: needs synapses.csv (the synapses it connects), which is missing
    """
    paths = {name: directory / name for name in SYNAPSE_FILES}
    present = {name for name, p in paths.items() if p.is_file()}
    for name, needs in (
        ("synapse-connections.csv", ("synapses.csv",)),
        ("closest-mitochondria.csv", ("synapses.csv", "mitochondria.csv")),
    ):
        if name in present:
            for need in needs:
                if need not in present:
                    what = "the synapses it connects" if need == "synapses.csv" else "its targets"
                    raise LoadError(str(paths[name]), f"needs {need} ({what}), which is missing")
    seen: set[str] = set()
    synapses = mitos = pairs = closest = None
    if "synapses.csv" in present:
        synapses = _read_synapses(paths["synapses.csv"], rules, seen)
    if "synapse-connections.csv" in present:
        assert synapses is not None
        pairs = _read_synapse_connections(
            paths["synapse-connections.csv"], synapses, paths["synapses.csv"]
        )
    if "mitochondria.csv" in present:
        mitos = _read_mitochondria(paths["mitochondria.csv"], rules, seen)
    if "closest-mitochondria.csv" in present:
        assert synapses is not None and mitos is not None
        closest = _read_closest(
            paths["closest-mitochondria.csv"],
            synapses,
            paths["synapses.csv"],
            mitos,
            paths["mitochondria.csv"],
        )
    return SynapseData(
        None if synapses is None else synapses.frame,
        pairs,
        None if mitos is None else mitos.frame,
        closest,
        tuple(sorted(seen)),
    )


# ---------------------------------------------------------------------------------------
# reading typed tables


def _read(path: Path, required: Mapping[str, str], optional: Mapping[str, str]) -> pd.DataFrame:
    """The file's wanted columns, typed: ``int`` (int64), ``float`` (finite float64),
    ``str`` (non-empty category) or ``optstr`` (category, empty is missing)."""
    frame = read_columns(path, required, optional)  # pyarrow, else pandas with exact errors
    columns = {**required, **optional}
    for name in frame.columns:
        kind, values = columns[name], frame[name]
        if kind == "str":
            _check(path, values.isna().to_numpy(), name, lambda row: "empty value")
        elif kind == "float":
            numbers = values.to_numpy()

            def not_finite(row: int, numbers: np.ndarray = numbers) -> str:
                if math.isnan(numbers[row]):
                    return "empty value"
                return f"{numbers[row]} is not a finite number"

            _check(path, ~np.isfinite(numbers), name, not_finite)
    return frame


def _check(path: Path, bad: np.ndarray, column: str | None, reason: Any) -> None:
    """Raise for the first row flagged in ``bad``; ``reason(row)`` words the error."""
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LoadError(str(path), reason(row), line_of(path, row), column)


# ---------------------------------------------------------------------------------------
# synapses and mitochondria: objects listed once per ROI


@attrs.frozen
class _Objects:
    """A validated object table and how it was identified."""

    frame: pd.DataFrame
    has_ids: bool


def _read_synapses(path: Path, rules: RoiRules, seen: set[str]) -> _Objects:
    raw = _read(path, required_columns(SYNAPSE_COLUMNS), optional_columns(SYNAPSE_COLUMNS))
    types = raw["type"]
    _check(
        path,
        ~types.isin(["pre", "post"]).to_numpy(),
        "type",
        lambda row: f"type must be 'pre' or 'post', not {types.iloc[row]!r}",
    )
    confidence = raw["confidence"].to_numpy()
    _check(
        path,
        (confidence < 0) | (confidence > 1),
        "confidence",
        lambda row: f"confidence {confidence[row]} is not between 0 and 1",
    )
    raw["type"] = types.cat.set_categories(["pre", "post"])
    return _objects(
        path,
        raw,
        "synapse",
        key=("bodyId", "type", "x", "y", "z"),
        fields=("confidence",),
        rules=rules,
        seen=seen,
    )


def _read_mitochondria(path: Path, rules: RoiRules, seen: set[str]) -> _Objects:
    raw = _read(
        path, required_columns(MITOCHONDRIA_COLUMNS), optional_columns(MITOCHONDRIA_COLUMNS)
    )
    size = raw["size"].to_numpy()
    _check(path, size < 0, "size", lambda row: f"size {size[row]} is negative")
    return _objects(
        path,
        raw,
        "mitochondrion",
        key=("bodyId", "mitoType", "x", "y", "z"),
        fields=("size", "r0", "r1", "r2"),
        rules=rules,
        seen=seen,
    )


def _objects(
    path: Path,
    raw: pd.DataFrame,
    noun: str,
    *,
    key: tuple[str, ...],
    fields: tuple[str, ...],
    rules: RoiRules,
    seen: set[str],
) -> _Objects:
    """One row per object (in order of first appearance) with its ``roi`` and ``rois``."""
    has_ids = "id" in raw.columns
    found: np.ndarray
    if has_ids:
        found = pd.factorize(raw["id"], sort=False)[0]
    else:
        found = raw.groupby(list(key), sort=False, observed=True).ngroup().to_numpy()
    codes: np.ndarray = np.asarray(found, dtype=np.int64)
    first = np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())  # object k's first row
    count = len(first)
    if "roi" in raw.columns:
        roi_names = [str(r) for r in raw["roi"].cat.categories]
        roi_codes = raw["roi"].cat.codes.to_numpy().astype(np.int64)
        if NOT_PRIMARY in roi_names:
            roi_codes[roi_codes == roi_names.index(NOT_PRIMARY)] = -1
    else:
        roi_names, roi_codes = [], np.full(len(raw), -1, dtype=np.int64)

    if count < len(raw):
        if has_ids:
            _check_agreement(path, raw, codes, first, (*key, *fields), f"{noun} id", noun)
        else:
            which = f"this {noun} (same {', '.join(key)})"
            _check_agreement(path, raw, codes, first, fields, which, noun)
        pair = codes * (len(roi_names) + 1) + (roi_codes + 1)

        def twice(row: int) -> str:
            code = int(roi_codes[row])
            where = f"ROI {roi_names[code]!r}" if code >= 0 else "no ROI"
            if has_ids:
                return f"{noun} id {raw['id'].iloc[row]} appears twice with {where}"
            return (
                f"this {noun} ({', '.join(key)}) appears twice with {where}; add an 'id' "
                f"column to keep distinct {noun}s at one location"
            )

        _check(path, pd.Series(pair).duplicated().to_numpy(), "roi", twice)

    roi, rois = _roi_columns(path, codes, count, roi_names, roi_codes, rules, noun, seen)
    stored = SYNAPSE_TABLE if noun == "synapse" else MITO_TABLE
    order = [name for name, _ in stored if name not in ("id", "roi", "rois")]
    frame = pd.DataFrame(
        {
            "id": raw["id"].to_numpy()[first] if has_ids else np.arange(count, dtype=np.int64),
            **{name: raw[name].iloc[first].reset_index(drop=True) for name in order},
        }
    )
    frame["roi"] = pd.Series(roi, dtype=object)  # str or None (not pandas' string dtype)
    frame["rois"] = pd.Series(rois, dtype=object)
    return _Objects(frame, has_ids)


def _check_agreement(
    path: Path,
    raw: pd.DataFrame,
    codes: np.ndarray,
    first: np.ndarray,
    columns: tuple[str, ...],
    which: str,
    noun: str,
) -> None:
    """Rows of one object must agree on its properties (all but the ROI)."""
    reference = first[codes]
    for name in columns:
        column = raw[name]
        values = (
            column.cat.codes.to_numpy()
            if isinstance(column.dtype, pd.CategoricalDtype)
            else column.to_numpy()
        )

        def reason(row: int, name: str = name, column: pd.Series = column) -> str:
            origin = int(reference[row])
            who = f"{which} {raw['id'].iloc[row]}" if which.endswith(" id") else which
            return (
                f"{who} has {name} {column.iloc[origin]} on line {line_of(path, origin)} but "
                f"{column.iloc[row]} here; all rows of one {noun} must agree"
            )

        _check(path, values != values[reference], name, reason)


def _roi_columns(
    path: Path,
    codes: np.ndarray,
    count: int,
    roi_names: list[str],
    roi_codes: np.ndarray,
    rules: RoiRules,
    noun: str,
    seen: set[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Each object's primary ROI (or None) and ROI list, one shared list per combination."""
    listed = roi_codes >= 0
    owners, listed_codes = codes[listed], roi_codes[listed]
    per_object = np.bincount(owners, minlength=count) if count else np.zeros(0, np.int64)
    width = int(per_object.max()) if len(owners) else 0
    if width <= 1:
        combination = np.full(count, -1, dtype=np.int64)
        combination[owners] = listed_codes
        keys = combination
    else:
        order = np.lexsort((listed_codes, owners))
        owners_sorted, codes_sorted = owners[order], listed_codes[order]
        starts = np.cumsum(per_object) - per_object
        slot = np.arange(len(owners_sorted)) - starts[owners_sorted]
        matrix = np.full((count, width), -1, dtype=np.int64)
        matrix[owners_sorted, slot] = codes_sorted
        base = len(roi_names) + 1
        if width * math.log2(base) < 62:
            keys = ((matrix + 1) * base ** np.arange(width, dtype=np.int64)).sum(axis=1)
        else:  # very many ROIs per object: compare whole rows
            keys = np.unique(matrix, axis=0, return_inverse=True)[1].reshape(-1)
    inverse, distinct = pd.factorize(keys, sort=False)
    # one representative object per combination gives its ROI codes
    representative = np.flatnonzero(~pd.Series(inverse).duplicated().to_numpy())
    by_object: dict[int, list[int]] = {int(o): [] for o in representative.tolist()}
    wanted = np.isin(owners, representative)
    for owner, code in zip(owners[wanted].tolist(), listed_codes[wanted].tolist(), strict=True):
        by_object[owner].append(code)
    primary_of = np.empty(len(distinct), dtype=object)
    rois_of = np.empty(len(distinct), dtype=object)
    bad_combinations: list[int] = []
    for index, owner in enumerate(representative.tolist()):
        names = {roi_names[c] for c in by_object[owner]}
        primaries = sorted(names & rules.primary)
        if len(primaries) > 1:
            bad_combinations.append(index)
        full = set(names)
        for name in names:
            full.update(rules.ancestors(name))
        seen.update(full)
        rois_of[index] = sorted(full)
        primary_of[index] = primaries[0] if primaries else None
    if bad_combinations:
        bad_object = np.isin(inverse, bad_combinations)
        is_primary = np.isin(roi_codes, [i for i, n in enumerate(roi_names) if n in rules.primary])
        rows = np.flatnonzero(is_primary & bad_object[codes])
        second = pd.Series(codes[rows]).duplicated().to_numpy()
        row = int(rows[np.flatnonzero(second)[0]])
        earlier = rows[(codes[rows] == codes[row]) & (rows < row)]
        first_name = roi_names[int(roi_codes[int(earlier[0])])]
        raise LoadError(
            str(path),
            f"this {noun} is in two primary ROIs, {first_name!r} (line "
            f"{line_of(path, int(earlier[0]))}) and {roi_names[int(roi_codes[row])]!r}",
            line_of(path, row),
            "roi",
        )
    return primary_of[inverse], rois_of[inverse]


# ---------------------------------------------------------------------------------------
# relations


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` is in ``ids`` (unique), -1 where absent."""
    count = len(ids)
    if count and ids[-1] - ids[0] == count - 1 and bool((np.diff(ids) == 1).all()):
        offset = wanted - ids[0]  # consecutive ids (the generator's): no hashing needed
        return np.where((offset >= 0) & (offset < count), offset, -1)
    found: np.ndarray = pd.Index(ids).get_indexer(wanted)
    return found


def _read_synapse_connections(path: Path, synapses: _Objects, synapse_path: Path) -> pd.DataFrame:
    header = read_header(path)
    frame = synapses.frame
    ids = frame["id"].to_numpy()
    is_pre = (frame["type"] == "pre").to_numpy()
    bodies = frame["bodyId"].to_numpy()
    if "pre_id" in header and "post_id" in header:
        if not synapses.has_ids:
            raise LoadError(
                str(path),
                f"the pre_id,post_id layout needs an 'id' column in {synapse_path.name}",
                1,
                "pre_id",
            )
        optional: dict[str, str] = {c: "int" for c in ("bodyId_pre", "bodyId_post") if c in header}
        raw = _read(path, SYNAPSE_CONNECTION_COLUMNS, optional)
        ends = []
        for side, must_be_pre in (("pre", True), ("post", False)):
            wanted = raw[f"{side}_id"].to_numpy()
            position = _positions(ids, wanted)
            _check(
                path,
                position < 0,
                f"{side}_id",
                lambda row, w=wanted: f"no synapse with id {w[row]} in {synapse_path.name}",
            )
            _check(
                path,
                is_pre[position] != must_be_pre,
                f"{side}_id",
                lambda row, w=wanted, s=side: f"synapse {w[row]} is not a {s} synapse",
            )
            body_column = f"bodyId_{side}"
            if body_column in raw.columns:
                given = raw[body_column].to_numpy()
                _check(
                    path,
                    bodies[position] != given,
                    body_column,
                    lambda row, w=wanted, g=given, p=position: (
                        f"synapse {w[row]} belongs to body {bodies[p[row]]}, not {g[row]}"
                    ),
                )
            ends.append(position)
    else:
        missing = [c for c in SYNAPSE_LOCATION_COLUMNS if c not in header]
        if missing:
            raise LoadError(
                str(path),
                "expected columns pre_id,post_id or "
                f"{','.join(SYNAPSE_LOCATION_COLUMNS)} (missing {', '.join(missing)}; found "
                f"{', '.join(header)})",
                1,
            )
        raw = _read(path, SYNAPSE_LOCATION_COLUMNS, {})
        ends = [
            _locate(path, raw, frame, side, is_pre == (side == "pre"), synapse_path)
            for side in ("pre", "post")
        ]
    pre, post = ends
    pair = pre * max(len(ids), 1) + post
    _check(
        path,
        pd.Series(pair).duplicated().to_numpy(),
        None,
        lambda row: f"the synapse pair {ids[pre[row]]} -> {ids[post[row]]} appears twice",
    )
    return pd.DataFrame({"pre_id": ids[pre], "post_id": ids[post]})


def _locate(
    path: Path,
    raw: pd.DataFrame,
    synapses: pd.DataFrame,
    side: str,
    of_type: np.ndarray,
    synapse_path: Path,
) -> np.ndarray:
    """The synapse at each row's ``bodyId_<side>, x_<side>, y_<side>, z_<side>``."""
    names = ["bodyId", "x", "y", "z"]
    candidates = np.flatnonzero(of_type)
    index = pd.MultiIndex.from_arrays([synapses[n].to_numpy()[candidates] for n in names])
    wanted = pd.MultiIndex.from_arrays([raw[f"{n}_{side}"].to_numpy() for n in names])
    ambiguous = index.duplicated(keep=False)
    if ambiguous.any():
        unique = index[~ambiguous]
        candidates = candidates[~ambiguous]
        position = unique.get_indexer(wanted)
    else:
        position = index.get_indexer(wanted)
    missing = position < 0
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        body, x, y, z = (int(raw[f"{n}_{side}"].iloc[row]) for n in names)
        where = f"({x}, {y}, {z})"
        everywhere = synapses[(synapses["x"] == x) & (synapses["y"] == y) & (synapses["z"] == z)]
        here = everywhere[everywhere["bodyId"] == body]
        column = f"x_{side}"
        if ambiguous.any() and wanted[row] in index[ambiguous]:
            reason = (
                f"{synapse_path.name} has several {side} synapses of body {body} at {where}; "
                "use the pre_id,post_id layout"
            )
        elif len(here):
            reason = f"the synapse of body {body} at {where} is not a {side} synapse"
        elif len(everywhere):
            other = int(everywhere["bodyId"].iloc[0])
            reason = f"the synapse at {where} belongs to body {other}, not {body}"
            column = f"bodyId_{side}"
        else:
            reason = f"no {side} synapse of body {body} at {where} in {synapse_path.name}"
        raise LoadError(str(path), reason, line_of(path, row), column)
    return candidates[position]


def _read_closest(
    path: Path, synapses: _Objects, synapse_path: Path, mitos: _Objects, mito_path: Path
) -> pd.DataFrame:
    for objects, source, column in (
        (synapses, synapse_path, "synapse_id"),
        (mitos, mito_path, "mito_id"),
    ):
        if not objects.has_ids:
            raise LoadError(
                str(path), f"refers to ids, but {source.name} has no 'id' column", 1, column
            )
    raw = _read(path, CLOSEST_MITOCHONDRIA_COLUMNS, {})
    synapse_ids = raw["synapse_id"].to_numpy()
    mito_ids = raw["mito_id"].to_numpy()
    syn = _positions(synapses.frame["id"].to_numpy(), synapse_ids)
    _check(
        path,
        syn < 0,
        "synapse_id",
        lambda row: f"no synapse with id {synapse_ids[row]} in {synapse_path.name}",
    )
    mito = _positions(mitos.frame["id"].to_numpy(), mito_ids)
    _check(
        path,
        mito < 0,
        "mito_id",
        lambda row: f"no mitochondrion with id {mito_ids[row]} in {mito_path.name}",
    )
    syn_body = synapses.frame["bodyId"].to_numpy()[syn]
    mito_body = mitos.frame["bodyId"].to_numpy()[mito]
    _check(
        path,
        syn_body != mito_body,
        "mito_id",
        lambda row: (
            f"mitochondrion {mito_ids[row]} belongs to body {mito_body[row]}, but "
            f"synapse {synapse_ids[row]} to body {syn_body[row]}"
        ),
    )
    duplicated = pd.Series(synapse_ids).duplicated().to_numpy()

    def twice(row: int) -> str:
        earlier = int(np.flatnonzero(synapse_ids[:row] == synapse_ids[row])[0])
        return (
            f"synapse {synapse_ids[row]} already has a closest mitochondrion "
            f"(line {line_of(path, earlier)})"
        )

    _check(path, duplicated, "synapse_id", twice)
    distance = raw["distance"].to_numpy()
    _check(path, distance < 0, "distance", lambda row: f"distance {distance[row]} is negative")
    return pd.DataFrame({"synapse_id": synapse_ids, "mito_id": mito_ids, "distance": distance})

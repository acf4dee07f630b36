"""neuprint-python's ``Client`` endpoint methods (server metadata, cached tables, ROI meshes,
skeletons, raw key-value data), as a mixin of :class:`~neuprint_dsl.compat.client.Client`.

On a neuPrint server (the :class:`~neuprint_dsl.transports.NeuprintHTTP` transport) each
method calls the neuPrintHTTP route neuprint-python calls and returns what neuprint-python
returns; every request has the transport's timeout, retries and error handling (a non-2xx
answer raises :class:`~neuprint_dsl.errors.ServerError` with the status and the server's
message; an answer of the wrong shape raises :class:`~neuprint_dsl.errors.TransportError`).

On the embedded engine, the methods with a local meaning answer locally: ``fetch_version``
(this library's version, marked ``(embedded)``), ``fetch_db_version``, ``fetch_database``,
``fetch_datasets``, and ``fetch_roi_completeness`` / ``fetch_roi_connectivity``, computed from
the database exactly as neuPrintHTTP computes its cached tables. The others (skeletons, meshes,
key-value data, user profile and token, server routes, the cell type of the day) raise
:class:`~neuprint_dsl.errors.CapabilityError` naming a neuPrint server as what can answer.
Any other transport raises :class:`~neuprint_dsl.errors.CapabilityError` for all of them.

Example:
    >>> import tempfile
    >>> import neuprint_dsl
    >>> from neuprint_dsl.compat.client import Client, clear_default_client
    >>> from neuprint_dsl.embedded import load
    >>> from neuprint_dsl.embedded.sample import generate_sample
    >>> tmp = tempfile.mkdtemp()
    >>> _ = generate_sample(tmp, neurons=40, edges=150, seed=4)
    >>> c = Client(transport=neuprint_dsl.embedded(load(tmp, f"{tmp}/g.lbug")))
    >>> c.fetch_db_version(), list(c.fetch_datasets())
    ('embedded', ['hemibrain-synthetic'])
    >>> list(c.fetch_roi_completeness().columns)
    ['roi', 'roipre', 'roipost', 'totalpre', 'totalpost']
    >>> c.fetch_skeleton(123)
    Traceback (most recent call last):
    ...
    neuprint_dsl.errors.CapabilityError: the embedded engine cannot express fetch_skeleton; use a neuPrint server
    >>> clear_default_client()
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import quote

import pandas as pd
import requests

from ..errors import CapabilityError, InvalidArgument, QueryTimeout, TransportError
from ..neuprinthttp.answers import Reply, server_error
from ..transports.ladybug import Embedded
from ..transports.neuprint_http import NeuprintHTTP
from ..version import __version__
from .skeleton_frames import (
    calc_segment_distances,
    heal_skeleton,
    skeleton_df_to_nx,
    skeleton_df_to_swc,
    skeleton_swc_to_df,
)

__all__ = ["COMPLETE_STATUSES", "ServerEndpoints"]

logger = logging.getLogger(__name__)

SERVER = "a neuPrint server"
EMBEDDED = "the embedded engine"

#: The statuses neuPrintHTTP's ROI completeness counts as complete (``api/cached``).
COMPLETE_STATUSES = (
    "Traced",
    "Roughly traced",
    "Prelim Roughly traced",
    "final",
    "final (irrelevant)",
    "Finalized",
    "Leaves",
)
COMPLETENESS_COLUMNS = ["roi", "roipre", "roipost", "totalpre", "totalpost"]
CONNECTIVITY_COLUMNS = ["from_roi", "to_roi", "count", "weight"]
# Go's url.PathEscape leaves these unescaped in a path segment; escaping them as well would make
# the server route on the raw path and see e.g. "%3A" in a dataset name.
_PATH_SAFE = "$&+,:;=@"
_CACHE_LOCK = threading.Lock()

Format = Literal["pandas", "json"]


class ServerEndpoints:
    """The endpoint methods of neuprint-python's ``Client`` (mixed into
    :class:`~neuprint_dsl.compat.client.Client`, which provides ``transport``, ``dataset``
    and ``meta``)."""

    transport: Any
    dataset: Any
    _datasets_cache: dict[str, Any] | None = None

    if TYPE_CHECKING:

        @property
        def meta(self) -> dict[str, Any]: ...

    # -- API meta ---------------------------------------------------------------------------

    def fetch_available(self) -> list[Any]:
        """The REST routes the server offers (``GET /api/available``): a list of
        ``{"method", "path", "name"}``.

        Example:
            >>> client.fetch_available()[:1]  # doctest: +SKIP
            [{'method': 'GET', 'path': '/api/version', 'name': '...'}]
        """
        http = self._http("fetch_available")
        return list(_expect(http, "/api/available", http.get_json("/api/available"), list))

    def fetch_help(self) -> str:
        """The server's REST API documentation, as YAML text (``GET /api/help/swagger.yaml``).

        Example:
            >>> print(client.fetch_help()[:40])  # doctest: +SKIP
        """
        return self._http("fetch_help").get_bytes("/api/help/swagger.yaml").decode("utf-8")

    def fetch_server_info(self) -> bool:
        """Whether the server is public (``GET /api/serverinfo``, its ``IsPublic``).

        Example:
            >>> client.fetch_server_info()  # doctest: +SKIP
            True
        """
        http = self._http("fetch_server_info")
        answer = _expect(http, "/api/serverinfo", http.get_json("/api/serverinfo"), dict)
        return bool(_field(http, "/api/serverinfo", answer, "IsPublic"))

    def fetch_version(self) -> str:
        """The neuPrintHTTP version (``GET /api/version``); on the embedded engine, this
        library's version marked ``(embedded)``, e.g. ``'neuprint-dsl 0.1.0 (embedded)'``.

        Example:
            >>> client.fetch_version()  # doctest: +SKIP
            '1.9.2'
        """
        if isinstance(self.transport, Embedded):
            return f"neuprint-dsl {__version__} (embedded)"
        return self._http("fetch_version", local=True).fetch_version()

    # -- DB meta ----------------------------------------------------------------------------

    def fetch_database(self) -> dict[str, Any]:
        """Where the server's database is (``GET /api/dbmeta/database``:
        ``{"Location", "Description"}``); on the embedded engine, the database file.

        Example:
            >>> client.fetch_database()  # doctest: +SKIP
            {'Location': 'bolt://...', 'Description': 'neuPrint-bolt'}
        """
        if isinstance(self.transport, Embedded):
            return {
                "Location": str(self.transport.path),
                "Description": "neuprint-dsl embedded (Ladybug)",
            }
        http = self._http("fetch_database", local=True)
        path = "/api/dbmeta/database"
        return dict(_expect(http, path, http.get_json(path), dict))

    def fetch_datasets(self, reload_cache: bool = False) -> dict[str, Any]:
        """The server's datasets (``GET /api/dbmeta/datasets``), keyed by name, each with its
        ``ROIs``, ``superLevelROIs``, ``uuid``, ``description``, ...; fetched once per client
        (``reload_cache=True`` asks again). On the embedded engine: the database's dataset with
        its ``ROIs``, ``superLevelROIs``, ``description`` and ``synthetic`` flag.

        Example:
            >>> sorted(client.fetch_datasets())  # doctest: +SKIP
            ['hemibrain:v1.2.1', ...]
        """
        if isinstance(self.transport, Embedded):
            return self._embedded_datasets()
        http = self._http("fetch_datasets", local=True)
        with _CACHE_LOCK:
            cached = self._datasets_cache
        if cached is not None and not reload_cache:
            return cached
        path = "/api/dbmeta/datasets"
        datasets = dict(_expect(http, path, http.get_json(path), dict))
        with _CACHE_LOCK:
            self._datasets_cache = datasets
        return datasets

    def fetch_instances(self) -> dict[str, Any]:
        """The server's secondary data instances (``GET /api/dbmeta/instances``), by type.

        Example:
            >>> client.fetch_instances()  # doctest: +SKIP
            {'skeletons': [{'instance': '...', 'datasets': ['hemibrain:v1.2.1']}], ...}
        """
        http = self._http("fetch_instances")
        path = "/api/dbmeta/instances"
        return dict(_expect(http, path, http.get_json(path), dict))

    def fetch_db_version(self) -> str:
        """The version of the neuPrint data model (``GET /api/dbmeta/version``);
        ``'embedded'`` on the embedded engine.

        Example:
            >>> client.fetch_db_version()  # doctest: +SKIP
            '0.5.0'
        """
        if isinstance(self.transport, Embedded):
            return "embedded"
        http = self._http("fetch_db_version", local=True)
        path = "/api/dbmeta/version"
        answer = _expect(http, path, http.get_json(path), dict)
        return str(_field(http, path, answer, "Version"))

    # -- user -------------------------------------------------------------------------------

    def fetch_profile(self) -> dict[str, Any]:
        """Your user profile (``GET /profile``): ``{"Email", "AuthLevel", "ImageURL"}``.

        Example:
            >>> client.fetch_profile()["AuthLevel"]  # doctest: +SKIP
            'readwrite'
        """
        http = self._http("fetch_profile")
        return dict(_expect(http, "/profile", http.get_json("/profile"), dict))

    def fetch_token(self) -> str:
        """Your authentication token, echoed by the server (``GET /token``, its ``token``).

        Example:
            >>> token = client.fetch_token()  # doctest: +SKIP
        """
        http = self._http("fetch_token")
        answer = _expect(http, "/token", http.get_json("/token"), dict)
        return str(_field(http, "/token", answer, "token"))

    # -- cached tables ----------------------------------------------------------------------

    @overload
    def fetch_daily_type(
        self, format: Literal["pandas"] = "pandas"
    ) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame | None]: ...
    @overload
    def fetch_daily_type(self, format: Literal["json"]) -> dict[str, Any]: ...
    def fetch_daily_type(self, format: str = "pandas") -> Any:
        """Today's cell type (``GET /api/cached/dailytype?dataset=...``). ``format="json"``
        returns the server's answer (``info``, ``connectivity``, ``skeleton``); ``"pandas"``
        returns ``(info, connectivity_df, skeleton_df)``, where ``skeleton_df`` is ``None``
        when the server has no skeleton for the exemplar (neuprint-python fails then).

        Example:
            >>> info, connectivity, skeleton = client.fetch_daily_type()  # doctest: +SKIP
            >>> info["typename"]  # doctest: +SKIP
            'MBON14'
        """
        _check_format(format)
        http = self._http("fetch_daily_type")
        path = "/api/cached/dailytype"
        answer = _expect(http, path, http.get_json(path, {"dataset": http.dataset}), dict)
        if format == "json":
            return answer
        info = _field(http, path, answer, "info")
        connectivity = _table(http, path, _field(http, path, answer, "connectivity"))
        skeleton = answer.get("skeleton")
        return info, connectivity, None if skeleton is None else _table(http, path, skeleton)

    @overload
    def fetch_roi_completeness(self, format: Literal["pandas"] = "pandas") -> pd.DataFrame: ...
    @overload
    def fetch_roi_completeness(self, format: Literal["json"]) -> dict[str, Any]: ...
    def fetch_roi_completeness(self, format: str = "pandas") -> Any:
        """How many synapses of each ROI belong to complete (traced) neurons
        (``GET /api/cached/roicompleteness?dataset=...``): columns ``roi``, ``roipre``,
        ``roipost`` (in neurons whose status is one of :data:`COMPLETE_STATUSES`),
        ``totalpre``, ``totalpost`` (in all bodies); ``format="json"`` gives the server's
        ``{"columns", "data"}``. On the embedded engine it is computed from the database the
        way neuPrintHTTP computes it: one row per ROI in a complete neuron's ``roiInfo``.

        Example:
            >>> client.fetch_roi_completeness().head(1)  # doctest: +SKIP
                  roi  roipre  roipost  totalpre  totalpost
            0   AB(L)     ...
        """
        _check_format(format)
        if isinstance(self.transport, Embedded):
            document = self._embedded_completeness()
            if format == "json":
                return document
            frame = pd.DataFrame(document["data"], columns=document["columns"])
            return frame.astype({c: "int64" for c in COMPLETENESS_COLUMNS[1:]})
        http = self._http("fetch_roi_completeness", local=True)
        path = "/api/cached/roicompleteness"
        document = _expect(http, path, http.get_json(path, {"dataset": http.dataset}), dict)
        return document if format == "json" else _table(http, path, document)

    @overload
    def fetch_roi_connectivity(self, format: Literal["pandas"] = "pandas") -> pd.DataFrame: ...
    @overload
    def fetch_roi_connectivity(self, format: Literal["json"]) -> dict[str, Any]: ...
    def fetch_roi_connectivity(self, format: str = "pandas") -> Any:
        """How the super-level ROIs connect (``GET /api/cached/roiconnectivity?dataset=...``):
        a DataFrame ``from_roi, to_roi, count, weight``, one row per ``"A=>B"`` entry of the
        server's ``weights``; ``format="json"`` gives ``{"roi_names", "weights"}``.

        neuPrintHTTP computes it per neuron from ``roiInfo``, over the super-level ROIs: a
        neuron with ``post`` inputs in ``A`` and ``pre`` outputs in ``B`` adds 1 to
        ``count`` and ``pre(B) * post(A) / (its post in all super-level ROIs)`` to
        ``weight``. The embedded engine computes exactly that; its ``roi_names`` are sorted by
        name (the server orders them by a clustering of the weights).

        Example:
            >>> client.fetch_roi_connectivity().head(1)  # doctest: +SKIP
              from_roi to_roi  count     weight
            0    AL(L)  AL(L)    ...
        """
        _check_format(format)
        if isinstance(self.transport, Embedded):
            document = self._embedded_connectivity()
        else:
            http = self._http("fetch_roi_connectivity", local=True)
            path = "/api/cached/roiconnectivity"
            document = _expect(http, path, http.get_json(path, {"dataset": http.dataset}), dict)
            if not isinstance(document.get("weights"), dict):
                raise TransportError(f"unexpected answer from {http.server}{path}: no 'weights'")
        if format == "json":
            return document
        rows = []
        for key, value in document["weights"].items():
            source, arrow, target = str(key).partition("=>")
            if not arrow or not isinstance(value, dict):
                raise TransportError(f"unexpected ROI connectivity entry {key!r}: {value!r}")
            rows.append((source, target, value.get("count"), value.get("weight")))
        frame = pd.DataFrame(rows, columns=CONNECTIVITY_COLUMNS)
        if rows:
            frame = frame.astype({"count": "int64", "weight": "float64"})
        return frame

    # -- ROI meshes, skeletons, key-value data ------------------------------------------------

    def fetch_roi_mesh(self, roi: str, export_path: str | os.PathLike[str] | None = None) -> bytes:
        """An ROI's mesh, as ``.obj`` bytes (``GET /api/roimeshes/mesh/<dataset>/<roi>``, the
        names URL-quoted), also written to ``export_path`` when given. For display only.

        Example:
            >>> obj = client.fetch_roi_mesh("MB(R)", export_path="mb.obj")  # doctest: +SKIP
        """
        if not isinstance(roi, str) or not roi:
            raise InvalidArgument(f"roi must be an ROI name, not {roi!r}")
        http = self._http("fetch_roi_mesh")
        data = http.get_bytes(f"/api/roimeshes/mesh/{_segment(http.dataset)}/{_segment(roi)}")
        if export_path:
            with open(export_path, "wb") as f:
                f.write(data)
        return data

    def fetch_skeleton(
        self,
        body: int,
        heal: bool | float = False,
        export_path: str | os.PathLike[str] | None = None,
        format: Literal["pandas", "swc", "nx"] = "pandas",
        with_distances: bool = False,
    ) -> Any:
        """The skeleton of a body (``GET /api/skeletons/skeleton/<dataset>/<body>?format=swc``).

        ``format="swc"`` returns the SWC text; ``"pandas"`` a DataFrame ``rowId, x, y, z,
        radius, link`` (int32 / float32, as neuprint-python); ``"nx"`` a networkx ``DiGraph``
        (networkx needed). ``heal=True`` joins the fragments into one tree
        (:func:`~neuprint_dsl.compat.skeleton.heal_skeleton`; a number is the longest link it
        may add). ``with_distances=True`` adds ``distance``, each node's distance to its parent
        (``inf`` for roots, as neuprint-python), after healing. ``export_path`` receives the SWC
        (healed when ``heal``).

        Example:
            >>> df = client.fetch_skeleton(1136399017, heal=True)  # doctest: +SKIP
            >>> df.columns.tolist()  # doctest: +SKIP
            ['rowId', 'x', 'y', 'z', 'radius', 'link']
        """
        body_id = _body_id(body)
        if format not in ("swc", "pandas", "nx"):
            raise InvalidArgument(f"format must be 'pandas', 'swc' or 'nx', not {format!r}")
        if with_distances and format not in ("pandas", "nx"):
            raise InvalidArgument("with_distances=True needs format='pandas' or format='nx'")
        http = self._http("fetch_skeleton")
        path = f"/api/skeletons/skeleton/{_segment(http.dataset)}/{body_id}"
        swc = http.get_bytes(path, {"format": "swc"}).decode("utf-8")
        df = skeleton_swc_to_df(swc) if heal or format != "swc" else None
        if heal:
            assert df is not None
            df = heal_skeleton(df, heal, -1)
            if export_path or format == "swc":
                swc = skeleton_df_to_swc(df)
        if export_path:
            with open(export_path, "w", encoding="utf-8") as f:
                f.write(swc)
        if format == "swc":
            return swc
        assert df is not None
        if format == "nx":
            return skeleton_df_to_nx(df, with_distances=with_distances)
        if with_distances:
            df = df.assign(distance=calc_segment_distances(df))
        return df

    def fetch_raw_keyvalue(self, instance: str, key: str) -> bytes:
        """The value stored at ``key`` of a key-value instance
        (``GET /api/raw/keyvalue/key/<instance>/<key>``). For experts.

        Example:
            >>> client.fetch_raw_keyvalue("hemibrain:v1.2.1_skeletons", "1_swc")  # doctest: +SKIP
            b'...'
        """
        http = self._http("fetch_raw_keyvalue")
        return http.get_bytes(_keyvalue_path(instance, key))

    def post_raw_keyvalue(self, instance: str, key: str, value: bytes) -> None:
        """Store ``value`` (bytes) at ``key`` of a key-value instance (``POST``,
        ``application/octet-stream``). Admin-only on neuPrint servers: anyone else gets a
        :class:`~neuprint_dsl.errors.ServerError` (401 or 403). Not retried.

        Example:
            >>> client.post_raw_keyvalue("my_kv", "greeting", b"hello")  # doctest: +SKIP
        """
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise InvalidArgument(f"value must be bytes, not {type(value).__name__}")
        http = self._http("post_raw_keyvalue")
        _post_bytes(http, _keyvalue_path(instance, key), bytes(value))

    # -- internals --------------------------------------------------------------------------

    def _http(self, method: str, *, local: bool = False) -> NeuprintHTTP:
        """The neuPrint transport, or the CapabilityError for this one (``local``: the
        embedded engine answers this method too)."""
        if isinstance(self.transport, NeuprintHTTP):
            return self.transport
        if isinstance(self.transport, Embedded):
            raise CapabilityError(method, EMBEDDED, (SERVER,))
        supported = (SERVER, EMBEDDED) if local else (SERVER,)
        raise CapabilityError(method, type(self.transport).__name__, supported)

    def _embedded_datasets(self) -> dict[str, Any]:
        meta = self.meta
        local = self.transport.meta
        rois = set(meta.get("roiInfo") or {}) | set(meta.get("primaryRois") or [])
        rois |= set(local.get("rois") or [])
        return {
            str(meta.get("dataset")): {
                "ROIs": sorted(rois),
                "superLevelROIs": _super_level_rois(meta),
                "description": meta.get("description", ""),
                "synthetic": bool(meta.get("synthetic", False)),
            }
        }

    def _embedded_completeness(self) -> dict[str, Any]:
        """neuPrintHTTP's ``getROICompleteness_int`` on the embedded database: per ROI in the
        ``roiInfo`` of complete neurons, their summed pre/post, and the dataset's totals."""
        meta = self.meta
        totals = meta.get("roiInfo") or {}
        properties = meta.get("neuronProperties") or {}
        data: list[list[Any]] = []
        if "status" in properties:
            frame = self.transport.fetch_custom(
                "MATCH (n:Neuron) WHERE n.status IN $statuses "
                "UNWIND range(1, size(n.roiNames)) AS i "
                "WITH n.roiNames[i] AS roi, coalesce(n.roiPre[i], 0) AS pre, "
                "coalesce(n.roiPost[i], 0) AS post "
                "RETURN roi, CAST(sum(pre) AS INT64) AS roipre, CAST(sum(post) AS INT64) AS roipost",
                {"statuses": list(COMPLETE_STATUSES)},
            )
            for roi, pre, post in sorted(frame.itertuples(index=False, name=None)):
                total = totals.get(roi) or {}
                data.append(
                    [str(roi), int(pre), int(post), total.get("pre", 0), total.get("post", 0)]
                )
        return {"columns": list(COMPLETENESS_COLUMNS), "data": data}

    def _embedded_connectivity(self) -> dict[str, Any]:
        """neuPrintHTTP's ``getROIConnectivity_int`` on the embedded database."""
        meta = self.meta
        roi_info = meta.get("roiInfo") or {}
        rois = [r for r in _super_level_rois(meta) if r in roi_info]
        weights: dict[str, dict[str, Any]] = {}
        if rois:
            frame = self.transport.fetch_custom(
                "MATCH (n:Neuron) UNWIND range(1, size(n.roiNames)) AS i "
                "WITH n.bodyId AS body, n.roiNames[i] AS roi, coalesce(n.roiPre[i], 0) AS pre, "
                "coalesce(n.roiPost[i], 0) AS post "
                "WHERE roi IN $rois RETURN body, roi, pre, post",
                {"rois": rois},
            )
            weights = _roi_weights(frame)
        return {"roi_names": rois, "weights": weights}


# ---------------------------------------------------------------------------------------
# helpers


def _roi_weights(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{"A=>B": {"count", "weight"}}`` from per-neuron ``body, roi, pre, post`` rows (super-
    level ROIs only), keys sorted as Go's JSON encoder sorts a map's keys.

    Example:
        >>> rows = pd.DataFrame({"body": [1, 1, 2], "roi": ["A", "B", "A"],
        ...                      "pre": [0, 6, 2], "post": [3, 1, 2]})
        >>> _roi_weights(rows)
        {'A=>A': {'count': 1, 'weight': 2.0}, 'A=>B': {'count': 1, 'weight': 4.5}, 'B=>B': {'count': 1, 'weight': 1.5}}
    """
    frame = frame.astype({"pre": "int64", "post": "int64"})
    frame = frame.assign(total=frame.groupby("body")["post"].transform("sum"))
    inputs = frame[(frame["post"] > 0) & (frame["total"] > 0)]
    outputs = frame[frame["pre"] > 0]
    pairs = inputs[["body", "roi", "post", "total"]].merge(
        outputs[["body", "roi", "pre"]], on="body", suffixes=("_in", "_out")
    )
    pairs["weight"] = (pairs["pre"] * pairs["post"]).astype("float64") / pairs["total"]
    sums = pairs.groupby(["roi_in", "roi_out"], sort=False).agg(
        count=("body", "size"), weight=("weight", "sum")
    )
    entries = {
        f"{source}=>{target}": {"count": int(count), "weight": float(weight)}
        for (source, target), count, weight in sums[["count", "weight"]].itertuples(name=None)
    }
    return {key: entries[key] for key in sorted(entries)}


def _super_level_rois(meta: Mapping[str, Any]) -> list[str]:
    """The top level of the ROI hierarchy (the root's children), sorted; without a hierarchy,
    the primary ROIs."""
    hierarchy = meta.get("roiHierarchy")
    children = hierarchy.get("children") if isinstance(hierarchy, dict) else None
    if isinstance(children, list) and children:
        return sorted(str(c["name"]) for c in children if isinstance(c, dict) and "name" in c)
    return sorted(str(r) for r in meta.get("primaryRois") or [])


def _segment(text: str) -> str:
    """``text`` quoted as one URL path segment, the way Go's ``url.PathEscape`` does.

    Example:
        >>> _segment("hemibrain:v1.2.1"), _segment("a'L(R)"), _segment("a/b c")
        ('hemibrain:v1.2.1', 'a%27L%28R%29', 'a%2Fb%20c')
    """
    return quote(text, safe=_PATH_SAFE)


def _keyvalue_path(instance: str, key: str) -> str:
    for name, value in (("instance", instance), ("key", key)):
        if not isinstance(value, str) or not value:
            raise InvalidArgument(f"{name} must be a non-empty string, not {value!r}")
    return f"/api/raw/keyvalue/key/{_segment(instance)}/{_segment(key)}"


def _body_id(body: Any) -> int:
    """A body id as an int (ints, integral floats, numeric strings); ValueError otherwise.

    Example:
        >>> _body_id("5813105172"), _body_id(12.0)
        (5813105172, 12)
    """
    if isinstance(body, bool):
        raise InvalidArgument(f"pass an integer body ID, not {body!r}")
    try:
        value = int(body)
        exact = float(body) == value if not isinstance(body, (int, str)) else True
    except (TypeError, ValueError):
        raise InvalidArgument(f"pass an integer body ID, not {body!r}") from None
    if not exact:
        raise InvalidArgument(f"pass an integer body ID, not {body!r}")
    return value


def _check_format(format: str) -> None:
    if format not in ("pandas", "json"):
        raise InvalidArgument(f"format must be 'pandas' or 'json', not {format!r}")


def _expect(http: NeuprintHTTP, path: str, answer: Any, kind: type) -> Any:
    if not isinstance(answer, kind):
        raise TransportError(
            f"unexpected answer from {http.server}{path}: expected a JSON "
            f"{'object' if kind is dict else 'array'}, got {type(answer).__name__}"
        )
    return answer


def _field(http: NeuprintHTTP, path: str, answer: Mapping[str, Any], name: str) -> Any:
    if name not in answer:
        raise TransportError(
            f"unexpected answer from {http.server}{path}: no {name!r} in {sorted(answer)}"
        )
    return answer[name]


def _table(http: NeuprintHTTP, path: str, document: Any) -> pd.DataFrame:
    """A ``{"columns", "data"}`` document as a DataFrame."""
    if not isinstance(document, dict) or not isinstance(document.get("columns"), list):
        raise TransportError(f"unexpected answer from {http.server}{path}: not a table")
    data = document.get("data") or []
    return pd.DataFrame(data, columns=document["columns"])


def _post_bytes(http: NeuprintHTTP, path: str, value: bytes) -> None:
    """POST raw bytes (``application/octet-stream``) with the transport's session, headers,
    timeout and error shapes. NeuprintHTTP only posts JSON; a transport that has a
    ``post_bytes(path, value)`` method is used instead."""
    poster = getattr(http, "post_bytes", None)
    if callable(poster):
        poster(path, value)
        return
    url = http.server + path
    headers = {**http.headers, "Content-Type": "application/octet-stream"}
    logger.debug("POST %s (%d bytes)", url, len(value))
    try:
        response = http._session.post(
            url, data=value, headers=headers, timeout=http.timeout, verify=http.verify
        )
    except requests.exceptions.Timeout:
        raise QueryTimeout(f"no answer from {url} within {http.timeout} s") from None
    except requests.exceptions.RequestException as err:
        raise TransportError(f"request to {url} failed: {err}") from None
    if not 200 <= response.status_code < 300:
        reply = Reply(
            response.status_code, response.headers, response.content, response.reason or ""
        )
        raise server_error(reply, url, None)

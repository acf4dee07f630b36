"""A deterministic generator of synthetic, hemibrain-shaped connectome samples.

:func:`generate_sample` writes the CSV export that neuprint-python's
``fetch_adjacencies(export_dir=...)`` produces (``neurons.csv``, ``roi-connections.csv``,
``total-connections.csv``; or the ``traced-*`` names of the published hemibrain exports),
plus a ``meta.json``, and by default the synapse-level files ``synapses.csv``,
``synapse-connections.csv``, ``mitochondria.csv`` and ``closest-mitochondria.csv``. The data
are **synthetic**: they look like the hemibrain (its 63 real primary ROIs and their hierarchy,
realistic cell-type and instance names, status values, heavy-tailed degrees and weights) but
no row describes a real neuron. ``meta.json`` says so.

The same arguments always give byte-identical files. The model, in short:

* Neurons get a type from a hemibrain-like vocabulary (many Kenyon cells, one ``APL``,
  ``MBON01``-``MBON35``, ``PAM``/``PPL1`` dopaminergic types, uniglomerular PNs such as
  ``DA1_lPN``, central-complex types, numbered ``SMP001``-style families, visual projection
  neurons, ...) or stay untyped, and 1-4 *home* primary ROIs drawn from a pool that fits the
  type (KCs in ``CA(R)``, ``PED(R)`` and their lobes, ``EPG`` in ``EB``/``PB``/``GA(R)``, ...).
* Out-degrees follow a power law (Lomax propensity, scaled per type) and sum to exactly
  ``edges`` distinct ordered pairs without self-loops; partners are drawn preferentially from
  neurons that share a home ROI, weighted by a heavy-tailed in-attractiveness.
* Each connection weight is a synapse count with a discrete power-law tail
  (``P(w >= k) = k ** -alpha``, capped at 2,500), split multinomially over 1-3 primary ROIs
  (shared home ROIs if any, else the union of both home sets) and sometimes ``NotPrimary``;
  the per-ROI rows sum exactly to the total weight.
* Neuron counts are the exact sums of their connections: per ROI, ``post`` = ``upstream`` =
  incoming weight, ``downstream`` = outgoing weight, ``pre`` = ceil(downstream / k) for a
  per-neuron fan-out k in 2..8; super-level ROIs sum their primary children; the totals also
  count ``NotPrimary`` synapses, which have no ``roiInfo`` key.

Synapses realise those counts exactly (they come from a random generator of their own, so the
three files above are the same with or without them):

* Every roi-connection row ``a -> b`` in ROI ``r`` with weight ``k`` is ``k`` synapse pairs.
  Each pair ends in a post synapse of ``b`` of its own, in ``r``; it starts at one of ``a``'s
  ``ceil(downstream / k)`` T-bars (pre synapses) in ``r``, which share ``a``'s pairs in ``r``
  round-robin in random order, so each T-bar has at least one. Hence every count of
  ``neurons.csv`` (totals and each ``roiInfo`` entry, super-level ROIs included) and every
  connection weight equals the count of synapses or pairs, and a pair's two ends are in the
  same primary ROI. NotPrimary synapses have an empty ``roi``.
* Each primary ROI is a fixed box in a hemibrain-sized volume (:func:`sample_roi_boxes`, one
  cell of a 4x4x4 grid each, neighbouring its siblings); NotPrimary synapses lie in the
  space between the boxes. A neuron's T-bars in an ROI scatter around an arbor centre there;
  post synapses sit a few tens of voxels from their T-bar. Confidences are in (0.5, 1]
  (``postHighAccuracyThreshold`` is 0.5), skewed high, with 3 decimals for T-bars (as in
  neuPrint) and 6 for post synapses.
* Mitochondria: about one per 30-60 synapses of a neuron (at least one), shared among its
  groups of synapses (same type and ROI) by size; each lies near a random synapse of its
  group, in that synapse's ROI; ``dark``/``medium``/``light`` about 75/20/5%, ``size``
  lognormal around 200,000 voxels, radii ``r0 >= r1`` of tens of voxels, ``r2`` in (0.5, 1).
  About 90% of synapses have a ``closest-mitochondria.csv`` row to a mitochondrion of their
  own neuron, (nearly always) the nearest one; its ``distance`` is the euclidean distance
  times a random path factor in [1, 1.6) less ``r1``, at least 0.
* Synapse ids are ``1..S`` in the order of ``synapses.csv`` (by neuron, then T-bars before
  post synapses, then ROI); mitochondrion ids continue from ``S + 1``.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = generate_sample(tmp, neurons=50, edges=200, seed=1)
    ...     print(info.neurons, info.edges, info.neurons_csv.name)
    ...     print(info.total_connections_csv.read_text().splitlines()[0])
    ...     print(info.synapse_pairs == info.total_weight, info.mitochondria > 0)
    50 200 neurons.csv
    bodyId_pre,bodyId_post,weight
    True True
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeGuard

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..cache import cache_dir
from ..errors import InvalidArgument
from .build import _Stages
from .rois import NOT_PRIMARY, PRIMARY_ROIS, ROI_HIERARCHY, SUPER_ROI_CHILDREN, all_rois

__all__ = [
    "DEFAULT_SAMPLE",
    "GENERATOR_FORMAT",
    "NEURON_COLUMNS",
    "SAMPLE_VOLUME",
    "SYNAPSES_UP_TO_EDGES",
    "SYNAPSE_FILE_NAMES",
    "SampleInfo",
    "cache_dir",
    "default_sample_dir",
    "ensure_sample",
    "generate_sample",
    "sample_file_names",
    "sample_roi_boxes",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str, int, int], None]
Naming = Literal["adjacencies", "traced"]

DEFAULT_SAMPLE: Final[dict[str, int]] = {"neurons": 3000, "edges": 150_000, "seed": 0}
"""The arguments of the small sample that ``neuprint-dsl query`` uses out of the box."""

SYNAPSES_UP_TO_EDGES: Final = 200_000
"""Samples of at most this many connections include synapses unless told otherwise; larger
ones only with ``synapses=True`` (``--synapses``): about six synapses per connection, so the
25,000-neuron / 3,000,000-connection sample would have 18.8 million synapses (4.3 GB of
database, a quarter of an hour to load) instead of 220 MB of CSV loading in about a minute."""

GENERATOR_FORMAT: Final = "sample v2"
"""Version of the generated data; bump it whenever the output for given arguments changes."""

DATASET_NAME: Final = "hemibrain-synthetic"

NEURON_COLUMNS: Final[tuple[str, ...]] = (
    "bodyId",
    "type",
    "instance",
    "status",
    "statusLabel",
    "cropped",
    "pre",
    "post",
    "downstream",
    "upstream",
    "size",
    "somaLocation",
    "somaRadius",
    "cellBodyFiber",
    "roiInfo",
)
"""The header of ``neurons.csv``, in order."""

ROI_CONNECTION_COLUMNS: Final[tuple[str, ...]] = ("bodyId_pre", "bodyId_post", "roi", "weight")
TOTAL_CONNECTION_COLUMNS: Final[tuple[str, ...]] = ("bodyId_pre", "bodyId_post", "weight")


@dataclass(frozen=True, slots=True)
class SampleInfo:
    """What :func:`generate_sample` wrote: the paths and the row counts.

    The synapse files' paths are ``None`` and their counts 0 when they were not written
    (``generate_sample(..., synapses=False)``).
    """

    directory: Path
    neurons_csv: Path
    roi_connections_csv: Path
    total_connections_csv: Path
    meta_json: Path
    neurons: int
    edges: int
    roi_rows: int
    total_weight: int
    seed: int
    naming: Naming
    synapses_csv: Path | None = None  # the synapse files: None when not written
    synapse_connections_csv: Path | None = None
    mitochondria_csv: Path | None = None
    closest_mitochondria_csv: Path | None = None
    synapses: int = 0
    synapse_pairs: int = 0
    mitochondria: int = 0
    close_to: int = 0


def sample_file_names(naming: Naming = "adjacencies") -> tuple[str, str, str]:
    """Return the file names ``(neurons, roi-connections, total-connections)`` for ``naming``.

    Example:
        >>> sample_file_names("traced")
        ('traced-neurons.csv', 'traced-roi-connections.csv', 'traced-total-connections.csv')
    """
    prefix = {"adjacencies": "", "traced": "traced-"}[naming]
    return (
        f"{prefix}neurons.csv",
        f"{prefix}roi-connections.csv",
        f"{prefix}total-connections.csv",
    )


# --------------------------------------------------------------------------------------------
# Cache location
# --------------------------------------------------------------------------------------------


def default_sample_dir() -> Path:
    """Return the directory of the default sample (:data:`DEFAULT_SAMPLE`) inside the cache.

    The name records the generator format and the arguments, so a changed generator or
    default never reuses stale files.

    Example:
        >>> import os
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"NEUPRINT_DSL_CACHE": "/tmp/npd"}):
        ...     print(default_sample_dir())
        /tmp/npd/hemibrain-synthetic-v2-n3000-e150000-s0
    """
    return cache_dir() / _sample_dir_name(**DEFAULT_SAMPLE)


def _sample_dir_name(neurons: int, edges: int, seed: int) -> str:
    version = GENERATOR_FORMAT.rsplit(" ", 1)[-1]
    return f"{DATASET_NAME}-{version}-n{neurons}-e{edges}-s{seed}"


def ensure_sample(
    directory: str | Path | None = None,
    *,
    neurons: int = DEFAULT_SAMPLE["neurons"],
    edges: int = DEFAULT_SAMPLE["edges"],
    seed: int = DEFAULT_SAMPLE["seed"],
    progress: Progress | None = None,
) -> Path:
    """Return a directory holding the sample for these arguments, generating it if needed.

    ``directory`` defaults to :func:`default_sample_dir` (for other arguments, a sibling
    named after them). The sample always includes the synapse files. An existing directory
    is reused when its ``meta.json`` matches and every file is there; the sample is otherwise
    generated into a temporary sibling and renamed into place, so a half-written sample is
    never visible. Nothing is downloaded.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     first = ensure_sample(Path(tmp) / "s", neurons=30, edges=60)
        ...     again = ensure_sample(Path(tmp) / "s", neurons=30, edges=60)
        ...     print(first == again, sorted(p.name for p in first.iterdir()))
        True ['closest-mitochondria.csv', 'meta.json', 'mitochondria.csv', 'neurons.csv',
              'roi-connections.csv', 'synapse-connections.csv', 'synapses.csv',
              'total-connections.csv']
    """
    _validate(neurons, edges, seed, "adjacencies")
    if directory is None:
        target = cache_dir() / _sample_dir_name(neurons, edges, seed)
    else:
        target = Path(directory)
    if _is_complete(target, neurons, edges, seed):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        generate_sample(
            scratch, neurons=neurons, edges=edges, seed=seed, synapses=True, progress=progress
        )
        if target.exists():
            if _is_complete(target, neurons, edges, seed):  # another process won the race
                return target
            shutil.rmtree(target)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _is_complete(directory: Path, neurons: int, edges: int, seed: int) -> bool:
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict):
        return False
    matches = (
        meta.get("dataset") == DATASET_NAME
        and meta.get("neurons") == neurons
        and meta.get("edges") == edges
        and meta.get("seed") == seed
        and str(meta.get("generator", "")).endswith(" " + GENERATOR_FORMAT)
        and "synapses" in meta
    )
    names = (*sample_file_names(), *SYNAPSE_FILE_NAMES)
    return matches and all((directory / name).is_file() for name in names)


# --------------------------------------------------------------------------------------------
# The cell-type vocabulary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CellType:
    name: str | None  # None: an untyped "region" class
    abundance: float  # expected neurons per 25,000
    pool: tuple[tuple[str, float], ...]  # home-ROI pool with weights
    instances: tuple[str, ...]  # one is chosen per neuron; empty: instance missing
    fibers: tuple[str, ...]  # cellBodyFiber choices; empty: always missing
    out_scale: float
    in_scale: float


def _pool(spec: str) -> tuple[tuple[str, float], ...]:
    """Parse ``"CA(R):3 PED(R):2"`` into ``(("CA(R)", 3.0), ("PED(R)", 2.0))``."""
    items: list[tuple[str, float]] = []
    for token in spec.split():
        roi, _, weight = token.rpartition(":")
        if roi not in PRIMARY_ROIS:
            raise AssertionError(f"not a primary ROI in the vocabulary: {roi!r}")
        items.append((roi, float(weight)))
    return tuple(items)


# MBONs: type, the compartment tag of the instance, the lobe/calyx ROIs of its dendrites.
_MBONS: Final = (
    ("MBON01", "y5B'2a", "gL(R) b'L(R)"),
    ("MBON02", "B2B'2a", "bL(R) b'L(R)"),
    ("MBON03", "B'2mp", "b'L(R)"),
    ("MBON04", "B'2mp_bilateral", "b'L(R) b'L(L)"),
    ("MBON05", "y4>y1y2", "gL(R)"),
    ("MBON06", "B1>a", "bL(R) aL(R)"),
    ("MBON07", "a1", "aL(R)"),
    ("MBON09", "y3B'1", "gL(R) b'L(R)"),
    ("MBON10", "B'1", "b'L(R)"),
    ("MBON11", "y1pedc>a/B", "gL(R) PED(R) aL(R) bL(R)"),
    ("MBON12", "y2a'1", "gL(R) a'L(R)"),
    ("MBON13", "a'2", "a'L(R)"),
    ("MBON14", "a3", "aL(R)"),
    ("MBON15", "a'1", "a'L(R)"),
    ("MBON16", "a'3ap", "a'L(R)"),
    ("MBON17", "a'3m", "a'L(R)"),
    ("MBON18", "a2sc", "aL(R)"),
    ("MBON19", "a2p3p", "aL(R)"),
    ("MBON20", "y1y2", "gL(R)"),
    ("MBON21", "y4y5", "gL(R)"),
    ("MBON22", "calyx", "CA(R)"),
    ("MBON23", "a2sp", "aL(R)"),
    ("MBON24", "B2y5", "bL(R) gL(R)"),
    ("MBON25", "y1y2", "gL(R)"),
    ("MBON26", "B'2mp", "b'L(R)"),
    ("MBON27", "y5d", "gL(R)"),
    ("MBON29", "y4y5", "gL(R)"),
    ("MBON30", "y1y2y3", "gL(R)"),
    ("MBON31", "a'1a", "a'L(R)"),
    ("MBON32", "y2", "gL(R)"),
    ("MBON33", "y2y3", "gL(R)"),
    ("MBON34", "y2", "gL(R)"),
    ("MBON35", "y2", "gL(R)"),
)

# Dopaminergic neurons: type, compartment tag, lobe ROIs.
_DANS: Final = (
    ("PAM01", "y5", "gL(R)"),
    ("PAM02", "B'2a", "b'L(R)"),
    ("PAM03", "B2B'2a", "bL(R) b'L(R)"),
    ("PAM04", "B2", "bL(R)"),
    ("PAM05", "B'2p", "b'L(R)"),
    ("PAM06", "B'2m", "b'L(R)"),
    ("PAM07", "y4<y1y2", "gL(R)"),
    ("PAM08", "y4", "gL(R)"),
    ("PAM09", "B1ped", "bL(R) PED(R)"),
    ("PAM10", "B1", "bL(R)"),
    ("PAM11", "a1", "aL(R)"),
    ("PAM12", "y3", "gL(R)"),
    ("PAM13", "B'1ap", "b'L(R)"),
    ("PAM14", "B'1m", "b'L(R)"),
    # A comma inside an instance name, to exercise CSV quoting.
    ("PAM15", "y5,B'2a", "gL(R) b'L(R)"),
    ("PPL101", "y1pedc", "gL(R) PED(R)"),
    ("PPL102", "y1", "gL(R)"),
    ("PPL103", "y2a'1", "gL(R) a'L(R)"),
    ("PPL104", "a'3", "a'L(R)"),
    ("PPL105", "a'2a2", "a'L(R) aL(R)"),
    ("PPL106", "a3", "aL(R)"),
    ("PPL107", "y1pedc", "gL(R) PED(R)"),
    ("PPL108", "y1pedc", "gL(R) PED(R)"),
)

_PNS: Final = (
    "DA1_lPN", "DA1_vPN", "DA2_lPN", "DA3_adPN", "DA4l_adPN", "DC1_adPN", "DC2_adPN",
    "DC3_adPN", "DL1_adPN", "DL2d_adPN", "DL3_lPN", "DL5_adPN", "DM1_lPN", "DM2_lPN",
    "DM3_adPN", "DM4_adPN", "DM6_adPN", "VA1d_adPN", "VA1v_adPN", "VA2_adPN", "VA3_adPN",
    "VA6_adPN", "VC1_lPN", "VC2_lPN", "VC3l_adPN", "VL1_ilPN", "VL2a_adPN", "VM1_lPN",
    "VM2_adPN", "VM3_adPN", "VM7d_adPN", "VP1d_il2PN", "VP1m_l2PN",
)  # fmt: skip

_PN_FIBERS: Final = {
    "adPN": "ADL01", "lPN": "AVL01", "vPN": "AVM04", "ilPN": "PVL05",
    "il2PN": "PVL10", "l2PN": "AVL02",
}  # fmt: skip

_LHNS: Final = (
    "LHAD1b2", "LHAD1f2", "LHAV1a1", "LHAV2a1", "LHAV3e2", "LHAV4a4", "LHAV6b1", "LHMB1",
    "LHPD2a1", "LHPD5d1", "LHPV10b1", "LHPV12a1", "LHPV4a1", "LHPV5c1", "LHPV6a1",
)  # fmt: skip

# Numbered families: prefix, number of types, neurons per type (per 25k), pool, fibres.
_FAMILIES: Final = (
    ("SMP", 300, 4.0, "SMP(R):5 SMP(L):2 SIP(R):1.5 CRE(R):1 SLP(R):1 SCL(R):0.5", "PDM08 PDM09 ADM02 PDM19"),
    ("SLP", 350, 4.0, "SLP(R):5 LH(R):2 SMP(R):1 SCL(R):1 SIP(R):1 PLP(R):0.5", "PDL05 PDL14 AVL10 ADL13"),
    ("SIP", 90, 4.0, "SIP(R):5 SMP(R):2 CRE(R):1 SLP(R):1 SIP(L):0.5", "ADM01 PDM12"),
    ("CRE", 100, 3.0, "CRE(R):5 CRE(L):1.5 SMP(R):2 LAL(R):1", "ADM03 ADM05"),
    ("CL", 300, 4.0, "SCL(R):3 ICL(R):3 IB:2 SLP(R):1 PLP(R):1 SMP(R):1 SCL(L):0.7 ICL(L):0.7 ATL(R):0.3", "PDM21 PVL13 PDL20"),
    ("LAL", 200, 3.0, "LAL(R):5 LAL(L):1.5 CRE(R):1 VES(R):1 GA(R):0.5 WED(R):0.5", "ADM06 AVM07"),
    ("AVLP", 600, 4.0, "AVLP(R):5 PVLP(R):2 SCL(R):1 WED(R):1 ICL(R):0.5", "AVL05 AVL13 AVL18 ADL24"),
    ("PVLP", 150, 4.0, "PVLP(R):5 AVLP(R):2 PLP(R):1 AOTU(R):0.5 LO(R):0.5", "AVL04 PVL04"),
    ("PLP", 250, 4.0, "PLP(R):5 SPS(R):1 PVLP(R):1 ICL(R):1 LO(R):0.5 SLP(R):0.5", "PVL09 PDL23 PVL18"),
    ("WED", 200, 3.0, "WED(R):5 SAD:2 AVLP(R):1 PLP(R):1 IPS(R):0.5 SPS(R):0.5", "PVL02 AVL06"),
    ("AOTU", 60, 3.0, "AOTU(R):5 SMP(R):1 SIP(R):1 LAL(R):0.5", "AVM03"),
    ("SAD", 100, 3.0, "SAD:5 WED(R):2 AVLP(R):1 CAN(R):1 FLA(R):0.5 PRW:0.3", "AVM11 AVL16"),
    ("PS", 250, 3.0, "SPS(R):4 IPS(R):3 SPS(L):1.5 GOR(R):1 EPA(R):1 IB:1 WED(R):0.5", "PDM14 PVM02"),
    ("IB", 100, 3.0, "IB:5 SPS(R):2 ICL(R):1 ATL(R):1 ATL(L):1 SPS(L):1", "PDM22 PVM03"),
    ("VES", 100, 3.0, "VES(R):5 VES(L):1.5 EPA(R):1 LAL(R):1 FLA(R):0.5 GOR(R):0.5 EPA(L):0.5 GOR(L):0.5", "AVM08 AVM10"),
    ("ATL", 40, 3.0, "ATL(R):4 ATL(L):2 IB:2 SMP(R):1 SMP(L):0.5 PB:0.5", "PDM28"),
    ("FLA", 20, 2.0, "FLA(R):5 SMP(R):1 PRW:1 CAN(R):1 VES(R):0.5", "AVM19"),
)  # fmt: skip

# Untyped neurons ("region classes"): the top-level group they live in and their abundance.
_UNTYPED: Final = (
    ("AL(L)", 40.0), ("AL(R)", 200.0), ("CX", 250.0), ("INP", 450.0), ("LH(R)", 150.0),
    ("LX(L)", 60.0), ("LX(R)", 200.0), ("MB(L)", 60.0), ("MB(R)", 150.0), ("OL(R)", 400.0),
    ("PENP", 120.0), ("PRW", 30.0), ("SNP(L)", 80.0), ("SNP(R)", 450.0), ("VLNP(R)", 500.0),
    ("VMNP", 350.0),
)  # fmt: skip

_UNTYPED_FIBERS: Final = ("ADL13", "AVL19", "PDM26", "PVL05", "AVM10", "PDL09", "ADM10")

# Types placed once before the random draw (as many as the neuron count allows), so even a tiny
# sample has an APL, a DPM, MBONs, Kenyon cells, ...; APL and DPM are never drawn again.
_CORE_TYPES: Final = (
    "APL", "DPM", "KCab", "MBON01", "KCg-m", "KCa'b'-ap1", "PAM15", "DA1_lPN", "EPG",
    "PEN_a(PEN1)", "FB4Y", "SMP001", "LHPV5c1", "OA-VPM3", "Giant Fiber", "MBON11",
)  # fmt: skip


@functools.cache
def _vocabulary() -> tuple[_CellType, ...]:
    types: list[_CellType] = []

    def add(
        name: str,
        abundance: float,
        pool: str,
        instances: Sequence[str] | None = None,
        fibers: str = "",
        out: float = 1.0,
        inn: float = 1.0,
    ) -> None:
        chosen = tuple(instances) if instances is not None else (f"{name}_R",)
        types.append(
            _CellType(name, abundance, _pool(pool), chosen, tuple(fibers.split()), out, inn)
        )

    # Mushroom body: Kenyon cells (the most numerous types), APL, DPM, MBONs, DANs.
    ab = "CA(R):3 PED(R):3 aL(R):2 bL(R):2"
    apbp = "CA(R):3 PED(R):3 a'L(R):2 b'L(R):2"
    g = "CA(R):3 PED(R):3 gL(R):4"
    for name, count, pool in (
        ("KCab", 520.0, ab), ("KCab-s", 220.0, ab), ("KCab-m", 150.0, ab), ("KCab-c", 100.0, ab),
        ("KCab-p", 60.0, ab), ("KCa'b'-ap1", 90.0, apbp), ("KCa'b'-ap2", 120.0, apbp),
        ("KCa'b'-m", 130.0, apbp), ("KCg-m", 600.0, g), ("KCg-d", 150.0, g), ("KCg-s1", 10.0, g),
    ):  # fmt: skip
        add(name, count, pool, out=0.5, inn=1.2)
    add(
        "APL", 0.0, "CA(R):3 PED(R):3 aL(R):2 a'L(R):2 bL(R):2 b'L(R):2 gL(R):3",
        fibers="PDM10", out=40.0, inn=40.0,
    )  # fmt: skip
    add(
        "DPM", 0.0, "aL(R):2 a'L(R):2 bL(R):2 b'L(R):2 gL(R):2 PED(R):1",
        fibers="PDM21", out=15.0, inn=10.0,
    )  # fmt: skip
    out_rois = " SMP(R):2 CRE(R):1.5 SIP(R):1 SLP(R):0.5"
    for name, tag, lobes in _MBONS:
        pool = " ".join(f"{roi}:4" for roi in lobes.split()) + out_rois
        soma_sides = ("R", "L") if "bilateral" in tag else ("R",)
        inst = tuple(f"{name}({tag})_{side}" for side in soma_sides)
        add(name, 2.5, pool, inst, fibers="PDM11 ADM03 PDM08", out=3.0, inn=3.0)
    for name, tag, lobes in _DANS:
        pool = " ".join(f"{roi}:4" for roi in lobes.split()) + " SMP(R):2 CRE(R):1 SIP(R):1"
        count = 6.0 if name.startswith("PAM") else 1.5
        fiber = "AVM12 PDM02" if name.startswith("PAM") else "PDM03"
        add(name, count, pool, (f"{name}({tag})_R", f"{name}({tag})_L"), fiber, out=2.0)
    for name in ("PPL201", "PPL202", "PPL203", "PPL204"):
        add(name, 1.0, "CA(R):2 LH(R):2 SLP(R):2 SMP(R):1", fibers="PDL08", out=2.0)

    # Antennal lobe and lateral horn.
    for name in _PNS:
        add(name, 3.0, "AL(R):3 CA(R):2 LH(R):3 SLP(R):0.3", fibers=_PN_FIBERS[name.split("_")[-1]],
            out=2.0)  # fmt: skip
    for name in ("M_vPNml50", "M_lPNm11D", "M_l2PNm14"):
        add(name, 3.0, "AL(R):3 LH(R):2 SLP(R):1 PLP(R):0.5", fibers="ADM06", out=2.0)
    for name in ("ORN_DA1", "ORN_DM1", "ORN_VA1d", "ORN_DL3"):
        add(name, 8.0, "AL(R):6", (), out=1.5, inn=0.3)
    for name in ("lLN2F_b", "lLN1_bc", "v2LN30", "il3LN6"):
        add(name, 2.0, "AL(R):4 AL(L):1", fibers="ADL23", out=3.0, inn=2.0)
    for name in _LHNS:
        pool = "LH(R):4 SLP(R):3 SIP(R):1 SMP(R):1 SCL(R):0.5"
        add(name, 4.0, pool, fibers="PDL04 AVL09 PVL12")
    add("LHCENT3", 2.0, "LH(R):3 SMP(R):2 CRE(R):1", fibers="PDL02", out=2.0)

    # Central complex.
    def sides(name: str, tag: str = "", columns: int = 0) -> tuple[str, ...]:
        if not columns:
            return (f"{name}{tag}_R", f"{name}{tag}_L")
        return tuple(f"{name}{tag}_{s}{c}" for s in "LR" for c in range(1, columns + 1))

    add("EPG", 46.0, "EB:4 PB:4 GA(R):1.5", sides("EPG", "(PB08)", 9), "PDM22", out=2.0, inn=2.0)
    add("PEG", 20.0, "PB:3 EB:2 GA(R):1", sides("PEG", "(PB12a)", 9), "PDM22")
    add("PEN_a(PEN1)", 20.0, "PB:3 EB:3 NO:2", sides("PEN_a(PEN1)"), "PDM22")
    add("PEN_b(PEN2)", 22.0, "PB:3 EB:3 NO:2", sides("PEN_b(PEN2)"), "PDM22")
    for name in ("PFL1", "PFL2", "PFL3"):
        add(name, 12.0, "PB:3 FB:3 LAL(R):2 LAL(L):2", sides(name), "PDM26")
    for name in ("PFNa", "PFNd", "PFNv"):
        add(name, 20.0, "PB:3 FB:3 NO:3", sides(name), "PDM26")
    add("PFR_a", 14.0, "PB:3 FB:3 CRE(R):1", sides("PFR_a"), "PDM26")
    for name in ("hDeltaA", "hDeltaB", "hDeltaC"):
        add(name, 10.0, "FB:6", (f"{name}_C",), "PDM16")
    add("vDeltaA_a", 30.0, "FB:6", ("vDeltaA_a_L", "vDeltaA_a_R"), "PDM16")
    add("vDeltaB", 12.0, "FB:6", ("vDeltaB_L", "vDeltaB_R"), "PDM16")
    for name in ("FB1C", "FB2B_a", "FB4P_b", "FB4Y", "FB5A", "FB5N", "FB6A", "FB7A", "FB8B"):
        add(name, 4.0, "FB:4 SMP(R):2 SMP(L):1 CRE(R):1 SIP(R):0.5", sides(name), "ADM04")
    for name in ("FC1A", "FC2B"):
        add(name, 12.0, "FB:4 CRE(R):2 CRE(L):1", sides(name), "PDM24")
    for name in ("FS1A", "FS4A"):
        add(name, 12.0, "FB:4 SMP(R):2 SMP(L):2", sides(name), "PDM24")
    for name in ("ER1_a", "ER2_a", "ER3m", "ER4m", "ER5"):
        add(name, 8.0, "EB:4 BU(R):3 BU(L):1", sides(name), "AVM05", inn=1.5)
    add("Delta7", 42.0, "PB:6", sides("Delta7", "(PB15)", 9), "PDM15", out=1.5)
    for name in ("ExR1", "ExR2"):
        add(name, 2.0, "EB:3 BU(R):1 LAL(R):1 SPS(R):1", sides(name), "PDM25")
    add("SpsP", 2.0, "PB:3 SPS(R):2 SPS(L):1 IB:1", sides("SpsP"), "PDM27")
    add("LNO1", 2.0, "NO:3 LAL(R):3", sides("LNO1"), "ADM07")
    add("GLNO", 2.0, "NO:3 GA(R):2 LAL(R):2", sides("GLNO"), "ADM07")
    for name in ("SA1_a", "SAF"):
        add(name, 6.0, "AB(R):3 AB(L):2 FB:2 SMP(R):2 SMP(L):1", sides(name), "PDM19")
    add("P6-8P9", 2.0, "PB:4", sides("P6-8P9"), "PDM15")

    # Modulatory, neurosecretory and descending neurons.
    add(
        "OA-VPM3", 1.0, "SMP(R):3 SIP(R):2 CRE(R):1 SMP(L):1", ("OA-VPM3(NO2/NO3)_R",), "AVM14", 3.0
    )
    add("OA-VUMa2", 1.0, "AL(R):2 LH(R):2 CA(R):1 SLP(R):2", ("OA-VUMa2(mAL)_R",), "AVM15", 3.0)
    add("5-HTPLP01", 1.0, "PLP(R):3 SLP(R):1 LH(R):1", fibers="PVL19", out=3.0)
    add("CSD", 0.5, "AL(R):3 LH(R):2 CA(R):1 AL(L):1", fibers="PVL01", out=3.0)
    add("IPC", 6.0, "SMP(R):3 SMP(L):2 PRW:2 FLA(R):2", ("IPC_R", "IPC_L"), "PDM01")
    add("Giant Fiber", 0.5, "AVLP(R):2 PVLP(R):2 GOR(R):3 SPS(R):1 WED(R):1", fibers="PDM05",
        inn=3.0)  # fmt: skip
    add("DNa02", 1.0, "LAL(R):3 SPS(R):2 IPS(R):2 VES(R):1", fibers="PDM05", inn=2.0)
    add("DNp32", 1.0, "VES(R):2 GOR(R):2 EPA(R):2 CAN(R):1 SAD:1", fibers="AVM16", inn=2.0)

    # Optic lobe projection and centrifugal neurons (cropped at the hemibrain's edge).
    lc = "LO(R):4 PVLP(R):3 PLP(R):2"
    for name, count in (
        ("LC4", 40.0), ("LC6", 60.0), ("LC9", 60.0), ("LC11", 40.0), ("LC12", 50.0),
        ("LC13", 50.0), ("LC16", 50.0), ("LC17", 60.0), ("LC18", 30.0), ("LC20", 20.0),
        ("LC21", 50.0), ("LC22", 30.0), ("LC24", 30.0), ("LC25", 20.0), ("LC26", 40.0),
    ):  # fmt: skip
        add(name, count, lc, fibers="PVL15", out=1.5, inn=0.5)
    add("LC10", 200.0, "LO(R):4 AOTU(R):4", fibers="PVL15", out=1.5, inn=0.5)
    for name, count in (("LPLC1", 60.0), ("LPLC2", 80.0), ("LPLC4", 20.0)):
        add(name, count, "LOP(R):3 LO(R):3 PVLP(R):3", fibers="PVL15", out=1.5, inn=0.5)
    for name in ("LT1", "LT11", "LT52", "LT57"):
        add(name, 4.0, "LO(R):4 PLP(R):2 PVLP(R):2", fibers="PVL16")
    for name in ("MC61", "MC62"):
        add(name, 20.0, "ME(R):4 AME(R):1 PLP(R):2", fibers="PVL17", inn=0.5)
    for name in ("aMe12", "aMe4", "aMe20"):
        add(name, 2.0, "AME(R):4 ME(R):2 SMP(R):1 SLP(R):1", fibers="PVL18")

    # Numbered families of the central brain (SMP001, SLP002, ..., some with a left twin).
    for prefix, count, each, pool, fibers in _FAMILIES:
        for k in range(1, count + 1):
            name = f"{prefix}{k:03d}"
            inst = (f"{name}_R", f"{name}_L") if k % 5 == 0 else (f"{name}_R",)
            add(name, each, pool, inst, fibers)

    # Untyped neurons: no type, no instance, local home ROIs within one top-level group.
    children = {node["name"]: node.get("children", []) for node in ROI_HIERARCHY["children"]}
    for group, count in _UNTYPED:
        leaves = [child["name"] for child in children[group]] or [group]
        pool = " ".join(f"{leaf}:1" for leaf in leaves)
        types.append(_CellType(None, count, _pool(pool), (), _UNTYPED_FIBERS, 0.6, 0.6))
    return tuple(types)


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    names: tuple[str | None, ...]
    abundance: FloatArray
    pools: FloatArray  # (types, primary ROIs)
    out_scale: FloatArray
    in_scale: FloatArray
    typed: BoolArray
    instances: npt.NDArray[np.object_]
    instance_start: IntArray
    instance_count: IntArray
    fibers: npt.NDArray[np.object_]
    fiber_start: IntArray
    fiber_count: IntArray


@functools.cache
def _vocabulary_arrays() -> _Vocabulary:
    types = _vocabulary()
    roi_index = {roi: i for i, roi in enumerate(PRIMARY_ROIS)}
    pools = np.zeros((len(types), len(PRIMARY_ROIS)), dtype=np.float64)
    for row, cell_type in enumerate(types):
        for roi, weight in cell_type.pool:
            pools[row, roi_index[roi]] += weight

    def flatten(items: list[tuple[str, ...]]) -> tuple[npt.NDArray[np.object_], IntArray, IntArray]:
        count = np.array([len(x) for x in items], dtype=np.int64)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        flat = np.empty(int(count.sum()), dtype=object)
        flat[:] = [value for values in items for value in values]
        return flat, start, count

    instances, instance_start, instance_count = flatten([t.instances for t in types])
    fibers, fiber_start, fiber_count = flatten([t.fibers for t in types])
    return _Vocabulary(
        names=tuple(t.name for t in types),
        abundance=np.array([t.abundance for t in types], dtype=np.float64),
        pools=pools,
        out_scale=np.array([t.out_scale for t in types], dtype=np.float64),
        in_scale=np.array([t.in_scale for t in types], dtype=np.float64),
        typed=np.array([t.name is not None for t in types], dtype=np.bool_),
        instances=instances,
        instance_start=instance_start,
        instance_count=instance_count,
        fibers=fibers,
        fiber_start=fiber_start,
        fiber_count=fiber_count,
    )


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

_MAX_HOMES: Final = 4
_HOME_COUNT_P: Final = (0.2, 0.35, 0.3, 0.15)  # P(1..4 home ROIs)
_SPLIT_COUNT_P: Final = (0.55, 0.3, 0.15)  # P(a connection spans 1..3 primary ROIs)
_NOT_PRIMARY_P: Final = 0.15  # P(a connection has a NotPrimary share)
_SPARSE_ROUNDS_ROI_P: Final = (0.75, 0.5, 0.25, 0.0)  # P(candidate drawn from a shared ROI)
_SHARE_BOOST: Final = 3.0  # exact path: weight x (1 + boost) for partners sharing an ROI
_MAX_WEIGHT: Final = 2500
_WEIGHT_ALPHA_SHARED: Final = 1.1
_WEIGHT_ALPHA_OTHER: Final = 1.5
_CHUNK: Final = 1 << 20
_WRITE_CHUNK: Final = 1 << 14  # rows per formatted block: small enough to stay in cache

# ROI codes of roi-connections.csv: rank in the sorted list of primary ROIs plus NotPrimary.
_CONN_ROIS: Final[tuple[str, ...]] = tuple(sorted((*PRIMARY_ROIS, NOT_PRIMARY)))
_PRIMARY_TO_CONN: Final = np.array([_CONN_ROIS.index(r) for r in PRIMARY_ROIS], dtype=np.int64)
_NOT_PRIMARY_CODE: Final = _CONN_ROIS.index(NOT_PRIMARY)


@dataclass(frozen=True, slots=True)
class _Neurons:
    body_ids: IntArray  # sorted ascending; neuron i has body_ids[i]
    type_row: IntArray  # row of the vocabulary
    homes: npt.NDArray[np.int8]  # (n, 4) primary-ROI indices, -1 padded, main ROI first
    home_count: IntArray
    home_mask: npt.NDArray[np.uint64]  # bit r set: primary ROI r is a home ROI
    out_propensity: FloatArray
    attract: FloatArray
    fan_out: IntArray  # PSDs per T-bar, 2..8


def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _validate(neurons: object, edges: object, seed: object, naming: object) -> None:
    """Raise :class:`~neuprint_dsl.errors.InvalidArgument` unless the arguments describe a sample that can be generated."""
    for name, value in (("neurons", neurons), ("edges", edges), ("seed", seed)):
        if not _is_int(value):
            raise InvalidArgument(f"{name} must be an integer, got {value!r}")
    assert _is_int(neurons) and _is_int(edges) and _is_int(seed)
    n, m, s = int(neurons), int(edges), int(seed)
    if n < 2:
        raise InvalidArgument(f"neurons must be at least 2, got {n}")
    if m < 0:
        raise InvalidArgument(f"edges must be non-negative, got {m}")
    if m > n * (n - 1):
        raise InvalidArgument(
            f"edges must be at most neurons*(neurons-1) = {n * (n - 1)} "
            f"(distinct ordered pairs without self-loops), got {m}"
        )
    if s < 0:
        raise InvalidArgument(f"seed must be non-negative, got {s}")
    if naming not in ("adjacencies", "traced"):
        raise InvalidArgument(f"naming must be 'adjacencies' or 'traced', got {naming!r}")


def _make_neurons(rng: np.random.Generator, n: int) -> _Neurons:
    vocab = _vocabulary_arrays()
    # Body ids: distinct, hemibrain-like 9-10 digit numbers.
    body_ids = np.sort(rng.choice(7_900_000_000, size=n, replace=False).astype(np.int64))
    body_ids += 200_000_000

    # Types: the core types first (as many as fit), the rest drawn by abundance, then shuffled.
    row_of = {name: row for row, name in enumerate(vocab.names) if name is not None}
    core = np.array([row_of[name] for name in _CORE_TYPES[:n]], dtype=np.int64)
    p = vocab.abundance / vocab.abundance.sum()
    drawn = rng.choice(len(p), size=n - core.size, p=p).astype(np.int64)
    type_row = rng.permutation(np.concatenate([core, drawn]))

    # Home ROIs: Gumbel top-k over the type's pool (weighted sampling without replacement).
    weights = vocab.pools[type_row]
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")[:, :_MAX_HOMES]
    wanted = rng.choice(np.arange(1, _MAX_HOMES + 1), size=n, p=_HOME_COUNT_P)
    home_count = np.minimum(wanted, (weights > 0).sum(axis=1)).astype(np.int64)
    homes = order.astype(np.int8)
    homes[np.arange(_MAX_HOMES)[None, :] >= home_count[:, None]] = -1
    bits = np.where(
        homes >= 0,
        np.left_shift(np.uint64(1), np.maximum(homes, 0).astype(np.uint64)),
        np.uint64(0),
    )
    home_mask = np.bitwise_or.reduce(bits, axis=1)

    out_propensity = vocab.out_scale[type_row] * (rng.pareto(1.6, size=n) + 0.05)
    attract = vocab.in_scale[type_row] * rng.lognormal(0.0, 0.8, size=n)
    fan_out = rng.integers(2, 9, size=n).astype(np.int64)
    return _Neurons(
        body_ids, type_row, homes, home_count, home_mask, out_propensity, attract, fan_out
    )


def _allocate(propensity: FloatArray, total: int, cap: int) -> IntArray:
    """Integer degrees proportional to ``propensity``, each <= cap, summing to ``total``."""
    n = propensity.size
    degree = np.zeros(n, dtype=np.int64)
    free = np.arange(n)
    remaining = total
    while remaining > 0 and free.size:  # water-filling: fix the capped ones, rescale the rest
        share = remaining * propensity[free] / propensity[free].sum()
        over = share >= cap
        if not over.any():
            base = np.minimum(np.floor(share).astype(np.int64), cap)
            fraction = share - base
            short = remaining - int(base.sum())
            while short > 0:  # largest remainders first (stable, so ties go to lower index)
                eligible = np.flatnonzero(base < cap)
                ranked = eligible[np.argsort(-fraction[eligible], kind="stable")][:short]
                base[ranked] += 1
                fraction[ranked] = -np.inf
                short -= ranked.size
            degree[free] = base
            remaining = 0
            break
        degree[free[over]] = cap
        remaining -= cap * int(over.sum())
        free = free[~over]
    if int(degree.sum()) != total:  # pragma: no cover - guarded by the caps
        raise AssertionError("degree allocation failed")
    return degree


def _sorted_member(haystack: IntArray, needles: IntArray) -> BoolArray:
    if haystack.size == 0:
        return np.zeros(needles.size, dtype=np.bool_)
    idx = np.minimum(np.searchsorted(haystack, needles), haystack.size - 1)
    found: BoolArray = haystack[idx] == needles
    return found


def _make_pairs(
    rng: np.random.Generator, cells: _Neurons, edges: int, progress: Progress | None
) -> IntArray:
    """Return ``edges`` distinct codes ``pre * n + post`` (pre != post), sorted."""
    n = cells.body_ids.size
    if edges == 0:
        return np.zeros(0, dtype=np.int64)
    cap = min(n - 1, max(math.ceil(0.25 * (n - 1)), math.ceil(2 * edges / n)))
    degree = _allocate(cells.out_propensity, edges, cap)

    # Members of each primary ROI (CSR), with cumulative attractiveness for weighted draws.
    n_rois = len(PRIMARY_ROIS)
    member_of = (cells.homes[:, :, None] == np.arange(n_rois, dtype=np.int8)[None, None, :]).any(
        axis=1
    )
    roi_members = [np.flatnonzero(member_of[:, r]) for r in range(n_rois)]
    offsets = np.concatenate([[0], np.cumsum([m.size for m in roi_members])]).astype(np.int64)
    members = np.concatenate(roi_members).astype(np.int64)
    cum = np.cumsum(cells.attract[members])
    cum_before = np.where(offsets[:-1] > 0, cum[np.maximum(offsets[:-1] - 1, 0)], 0.0)
    cum_total = (
        np.where(offsets[1:] > offsets[:-1], cum[np.maximum(offsets[1:] - 1, 0)], 0.0) - cum_before
    )
    global_cum = np.cumsum(cells.attract)

    dense_from = max(8, n // 8)
    dense = degree > dense_from
    deficit = np.where(dense, 0, degree)
    accepted = np.zeros(0, dtype=np.int64)
    for roi_p in _SPARSE_ROUNDS_ROI_P:
        pres = np.flatnonzero(deficit > 0)
        if pres.size == 0:
            break
        need = deficit[pres]
        pre = np.repeat(pres, need + np.ceil(need * 0.35).astype(np.int64) + 2)
        size = pre.size
        via_roi = np.flatnonzero(rng.random(size) < roi_p)
        post = np.minimum(
            np.searchsorted(global_cum, rng.random(size) * global_cum[-1], side="right"), n - 1
        )
        by = pre[via_roi]
        roi = cells.homes[by, (rng.random(by.size) * cells.home_count[by]).astype(np.int64)]
        roi = roi.astype(np.int64)
        target = cum_before[roi] + rng.random(by.size) * cum_total[roi]
        pos = np.clip(
            np.searchsorted(cum, target, side="right"), offsets[roi], offsets[roi + 1] - 1
        )
        post[via_roi] = members[pos]
        keep = post != pre
        codes = pre[keep] * n + post[keep]
        codes = codes[~_sorted_member(accepted, codes)]
        _, first = np.unique(codes, return_index=True)
        first.sort()  # generation order, which is grouped by ascending pre
        codes = codes[first]
        owner = codes // n
        run_starts = np.flatnonzero(np.diff(owner, prepend=-1))  # owner is non-decreasing
        run_lengths = np.diff(np.append(run_starts, owner.size))
        rank = np.arange(owner.size) - np.repeat(run_starts, run_lengths)
        new = codes[rank < deficit[owner]]
        deficit -= np.bincount(new // n, minlength=n)
        accepted = np.sort(np.concatenate([accepted, new]))
        if progress is not None:
            progress("connections", int(accepted.size), edges)

    # Exact path: hubs, and whatever the sparse rounds left short. Gumbel top-k over all
    # neurons, weighted by attractiveness and boosted for partners that share a home ROI.
    exact_rows: list[IntArray] = []
    missing = np.where(dense, degree, deficit)
    for i in np.flatnonzero(missing > 0).tolist():
        k = int(missing[i])
        weight = cells.attract * (
            1.0 + _SHARE_BOOST * member_of[:, cells.homes[i, : cells.home_count[i]]].any(axis=1)
        )
        weight[i] = 0.0
        lo, hi = np.searchsorted(accepted, [i * n, (i + 1) * n])
        weight[accepted[lo:hi] - i * n] = 0.0
        with np.errstate(divide="ignore"):
            keys = np.log(weight) + rng.gumbel(size=n)
        chosen = np.argpartition(-keys, k - 1)[:k]
        exact_rows.append(i * n + chosen.astype(np.int64))
    if exact_rows:
        accepted = np.sort(np.concatenate([accepted, *exact_rows]))
    if accepted.size != edges or np.any(accepted[1:] == accepted[:-1]):  # pragma: no cover
        raise AssertionError("pair sampling failed")
    if progress is not None:
        progress("connections", edges, edges)
    return accepted


@dataclass(frozen=True, slots=True)
class _Connections:
    pre: IntArray
    post: IntArray
    weight: IntArray
    roi_edge: IntArray  # roi rows: edge index, ROI code (into _CONN_ROIS), weight
    roi_code: IntArray
    roi_weight: IntArray


def _split_weights(rng: np.random.Generator, cells: _Neurons, codes: IntArray) -> _Connections:
    n = cells.body_ids.size
    pre = codes // n
    post = codes - pre * n
    weight = np.zeros(codes.size, dtype=np.int64)
    row_edges: list[IntArray] = []
    row_codes: list[IntArray] = []
    row_weights: list[IntArray] = []
    for start in range(0, codes.size, _CHUNK):
        a, b = pre[start : start + _CHUNK], post[start : start + _CHUNK]
        size = a.size
        mask_a, mask_b = cells.home_mask[a], cells.home_mask[b]
        shared = (mask_a & mask_b) != 0
        # Synapse counts: discrete power law, P(w >= k) = k ** -alpha (most are 1-5, a few
        # are 50+), with a heavier tail for partners that share a home ROI.
        alpha = np.where(shared, _WEIGHT_ALPHA_SHARED, _WEIGHT_ALPHA_OTHER)
        tail = np.floor((1.0 - rng.random(size)) ** (-1.0 / alpha))
        w = np.minimum(tail, _MAX_WEIGHT).astype(np.int64)
        weight[start : start + size] = w
        # Candidate ROIs: the shared home ROIs, or else the union of both home sets.
        ha, hb = cells.homes[a], cells.homes[b]
        in_b = ((mask_b[:, None] >> np.maximum(ha, 0).astype(np.uint64)) & np.uint64(1)) == 1
        in_a = ((mask_a[:, None] >> np.maximum(hb, 0).astype(np.uint64)) & np.uint64(1)) == 1
        valid = np.concatenate(
            [(ha >= 0) & (in_b | ~shared[:, None]), (hb >= 0) & ~in_a & ~shared[:, None]], axis=1
        )
        candidates = np.concatenate([ha, hb], axis=1)
        # Up to three distinct valid candidates in random order: repeated argmax of random keys.
        keys = np.where(valid, rng.random((size, 2 * _MAX_HOMES)), -1.0)
        chosen = np.empty((size, 3), dtype=np.int64)
        rows = np.arange(size)
        for slot in range(3):
            best = keys.argmax(axis=1)
            chosen[:, slot] = candidates[rows, best]
            keys[rows, best] = -1.0
        wanted = rng.choice(np.arange(1, 4), size=size, p=_SPLIT_COUNT_P)
        used = np.arange(3)[None, :] < np.minimum(wanted, valid.sum(axis=1))[:, None]
        # Split probabilities: columns [NotPrimary, slot 3, slot 2, slot 1]; slot 1 is always
        # used. Counts by a chain of conditional binomials (a vectorised multinomial), the
        # last column taking the remainder, so the parts sum exactly to the weight.
        share = rng.gamma(1.0, size=(size, 3)) * used
        share /= share.sum(axis=1, keepdims=True)
        not_primary = np.where(rng.random(size) < _NOT_PRIMARY_P, rng.uniform(0.05, 0.3, size), 0.0)
        probs = np.empty((size, 4), dtype=np.float64)
        probs[:, 0] = not_primary
        probs[:, 1:] = share[:, ::-1] * (1.0 - not_primary)[:, None]
        counts = np.empty((size, 4), dtype=np.int64)
        left = w.copy()
        mass = np.ones(size, dtype=np.float64)
        for column in range(3):
            q = np.clip(probs[:, column] / np.maximum(mass, 1e-300), 0.0, 1.0)
            q[probs[:, column] <= 0.0] = 0.0
            counts[:, column] = rng.binomial(left, q)
            left -= counts[:, column]
            mass -= probs[:, column]
        counts[:, 3] = left
        roi_codes = np.empty((size, 4), dtype=np.int64)
        roi_codes[:, 0] = _NOT_PRIMARY_CODE
        roi_codes[:, 1:] = _PRIMARY_TO_CONN[np.maximum(chosen[:, ::-1], 0)]
        edge_idx, cell = np.nonzero(counts)
        order = np.argsort(edge_idx * 64 + roi_codes[edge_idx, cell], kind="stable")
        edge_idx, cell = edge_idx[order], cell[order]
        row_edges.append(edge_idx.astype(np.int64) + start)
        row_codes.append(roi_codes[edge_idx, cell])
        row_weights.append(counts[edge_idx, cell].astype(np.int64))

    def cat(parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return _Connections(pre, post, weight, cat(row_edges), cat(row_codes), cat(row_weights))


@dataclass(frozen=True, slots=True)
class _RoiCounts:
    """Per-neuron, per-ROI counts, shape ``(neurons, len(_CONN_ROIS))`` (NotPrimary included)."""

    down: IntArray  # outgoing synapse pairs (the sum of roi-connection weights)
    post: IntArray  # post synapses = incoming pairs
    pre: IntArray  # T-bars: ceil(down / fan-out)


def _roi_counts(cells: _Neurons, conns: _Connections) -> _RoiCounts:
    """The per-(neuron, ROI) counts that ``neurons.csv`` and the synapse tables both follow."""
    n = cells.body_ids.size
    width = len(_CONN_ROIS)
    pre_of_row = conns.pre[conns.roi_edge]
    post_of_row = conns.post[conns.roi_edge]
    down = np.bincount(
        pre_of_row * width + conns.roi_code, weights=conns.roi_weight, minlength=n * width
    )
    post = np.bincount(
        post_of_row * width + conns.roi_code, weights=conns.roi_weight, minlength=n * width
    )
    down_m = down.round().astype(np.int64).reshape(n, width)
    post_m = post.round().astype(np.int64).reshape(n, width)
    k = cells.fan_out[:, None]
    pre_m = (down_m + k - 1) // k  # T-bars: ceil(downstream / fan-out), >= 1 when downstream > 0
    return _RoiCounts(down_m, post_m, pre_m)


def _roi_info(cells: _Neurons, counts: _RoiCounts) -> tuple[list[str], dict[str, IntArray]]:
    """Per-neuron roiInfo JSON strings and total counts, exactly consistent with ``counts``."""
    n = cells.body_ids.size
    width = len(_CONN_ROIS)
    down_m, post_m, pre_m = counts.down, counts.post, counts.pre

    totals = {
        "pre": pre_m.sum(axis=1),
        "post": post_m.sum(axis=1),
        "downstream": down_m.sum(axis=1),
        "upstream": post_m.sum(axis=1),
    }

    # roiInfo columns: primary ROIs and super-level ROIs, sorted by name (as json sort_keys).
    names = all_rois()
    conn_index = {roi: i for i, roi in enumerate(_CONN_ROIS)}
    membership = np.zeros((width, len(names)), dtype=np.int64)
    for j, roi in enumerate(names):
        for child in SUPER_ROI_CHILDREN.get(roi, (roi,)):
            membership[conn_index[child], j] = 1
    info_down = down_m @ membership
    info_post = post_m @ membership
    info_pre = pre_m @ membership
    present = (info_down > 0) | (info_post > 0)
    rows, cols = np.nonzero(present)
    keys = [json.dumps(name) for name in names]
    fragments = [
        f'{keys[c]}:{{"downstream":{d},"post":{p},"pre":{t},"upstream":{p}}}'
        for c, d, p, t in zip(
            cols.tolist(),
            info_down[rows, cols].tolist(),
            info_post[rows, cols].tolist(),
            info_pre[rows, cols].tolist(),
            strict=True,
        )
    ]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).tolist()
    infos = ["{" + ",".join(fragments[bounds[i] : bounds[i + 1]]) + "}" for i in range(n)]
    return infos, totals


def _neuron_table(
    rng: np.random.Generator, cells: _Neurons, infos: list[str], totals: dict[str, IntArray]
) -> pd.DataFrame:
    vocab = _vocabulary_arrays()
    n = cells.body_ids.size
    t = cells.type_row
    typed = vocab.typed[t]
    names = np.array(vocab.names, dtype=object)[t]

    def pick(
        flat: npt.NDArray[np.object_], start: IntArray, count: IntArray
    ) -> npt.NDArray[np.object_]:
        c = count[t]
        idx = start[t] + (rng.random(n) * np.maximum(c, 1)).astype(np.int64)
        out = np.full(n, None, dtype=object)
        has = c > 0
        out[has] = flat[idx[has]]
        return out

    instance = pick(vocab.instances, vocab.instance_start, vocab.instance_count)
    fiber = pick(vocab.fibers, vocab.fiber_start, vocab.fiber_count)
    fiber[rng.random(n) < 0.15] = None

    status_values = np.array(["Traced", "Roughly traced", "Orphan", "Assign", None], dtype=object)
    s_typed = rng.choice(5, size=n, p=[0.8, 0.12, 0.01, 0.02, 0.05])
    s_untyped = rng.choice(5, size=n, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    status_idx = np.where(typed, s_typed, s_untyped)
    status = status_values[status_idx]
    label_main = np.array(["Traced", "Roughly traced", "Leaves", "0.5assign", None], dtype=object)
    label_alt = np.array(
        ["Roughly traced", "Prelim Roughly traced", "Orphan", "Leaves", None], dtype=object
    )
    label = np.where(rng.random(n) < 0.9, label_main[status_idx], label_alt[status_idx])
    label[rng.random(n) < 0.02] = None

    cropped_values = np.array([False, True, None], dtype=object)
    cropped = cropped_values[rng.choice(3, size=n, p=[0.8, 0.15, 0.05])]

    has_soma = rng.random(n) < np.where(typed, 0.62, 0.35)
    xyz = rng.integers([2_000, 2_000, 2_000], [34_000, 38_000, 40_000], size=(n, 3)).tolist()
    soma = np.full(n, None, dtype=object)
    soma[has_soma] = [f"[{x}, {y}, {z}]" for (x, y, z), s in zip(xyz, has_soma, strict=True) if s]
    radius = np.round(np.clip(rng.normal(300.0, 60.0, n), 120.0, 600.0) * 2.0) / 2.0
    radius = np.where(has_soma, radius, np.nan)

    synapses = totals["pre"] + totals["post"]
    size = (np.exp(rng.normal(19.0, 0.7, n)) + 150_000.0 * synapses).astype(np.int64)

    return pd.DataFrame(
        {
            "bodyId": cells.body_ids,
            "type": pd.Series(names, dtype=object),
            "instance": pd.Series(instance, dtype=object),
            "status": pd.Series(status, dtype=object),
            "statusLabel": pd.Series(label, dtype=object),
            "cropped": pd.Series(cropped, dtype=object),
            "pre": totals["pre"],
            "post": totals["post"],
            "downstream": totals["downstream"],
            "upstream": totals["upstream"],
            "size": size,
            "somaLocation": pd.Series(soma, dtype=object),
            "somaRadius": radius,
            "cellBodyFiber": pd.Series(fiber, dtype=object),
            "roiInfo": pd.Series(infos, dtype=object),
        },
        columns=list(NEURON_COLUMNS),
    )


# --------------------------------------------------------------------------------------------
# Synapses and mitochondria
# --------------------------------------------------------------------------------------------

SAMPLE_VOLUME: Final[tuple[int, int, int]] = (35_000, 40_000, 42_000)
"""The extent ``(x, y, z)`` in voxels of the volume that generated synapses lie in."""

_GRID: Final = (4, 4, 4)  # one cell per primary ROI (63 of the 64 are used)
_BOX_MARGIN: Final = 150  # voxels between a box and its cell's faces: the NotPrimary space
_BOX_SEED: Final = 20_200_121  # fixed: the boxes are the same for every sample
_TBAR_SPREAD: Final = 0.15  # sd of T-bars around a neuron's arbor centre, per box side
_PSD_SD: Final = 20.0  # voxels, per axis, between a T-bar and its post synapses
_MITO_SD: Final = 60.0  # voxels, per axis, between a mitochondrion and its anchor synapse
_CLOSE_TO_P: Final = 0.9  # P(a synapse has a CloseTo mitochondrion)
_NEAREST_SPAN: Final = 4  # candidates on each side of a synapse in the mitos' Morton order
_NEAREST_CHUNK: Final = 1 << 16  # synapses per block of the nearest-mitochondrion search
_MITO_TYPES: Final = ("dark", "medium", "light")
_MITO_TYPE_P: Final = (0.75, 0.2, 0.05)
_SYNAPSE_TYPES: Final = ("pre", "post")
_POST_HIGH_ACCURACY_THRESHOLD: Final = 0.5
_CONN_TO_PRIMARY: Final = np.array(
    [PRIMARY_ROIS.index(r) if r != NOT_PRIMARY else -1 for r in _CONN_ROIS], dtype=np.int64
)
_ROI_LABELS: Final = tuple("" if r == NOT_PRIMARY else r for r in _CONN_ROIS)  # empty: none

SYNAPSE_COLUMNS: Final[tuple[str, ...]] = (
    "id", "bodyId", "type", "roi", "x", "y", "z", "confidence",
)  # fmt: skip
SYNAPSE_CONNECTION_COLUMNS: Final[tuple[str, ...]] = ("pre_id", "post_id")
MITOCHONDRIA_COLUMNS: Final[tuple[str, ...]] = (
    "id", "bodyId", "mitoType", "roi", "x", "y", "z", "size", "r0", "r1", "r2",
)  # fmt: skip
CLOSEST_MITOCHONDRIA_COLUMNS: Final[tuple[str, ...]] = ("synapse_id", "mito_id", "distance")
SYNAPSE_FILE_NAMES: Final[tuple[str, str, str, str]] = (
    "synapses.csv",
    "synapse-connections.csv",
    "mitochondria.csv",
    "closest-mitochondria.csv",
)
"""The synapse files :func:`generate_sample` writes (for either naming), in that order."""


def _grid_cells() -> list[tuple[int, int, int]]:
    """The grid cells in a snake order: consecutive cells share a face."""
    gx, gy, gz = _GRID
    cells: list[tuple[int, int, int]] = []
    for ix in range(gx):
        ys = range(gy) if ix % 2 == 0 else range(gy - 1, -1, -1)
        for k, iy in enumerate(ys):
            zs = range(gz) if (ix * gy + k) % 2 == 0 else range(gz - 1, -1, -1)
            cells.extend((ix, iy, iz) for iz in zs)
    return cells


@functools.cache
def _regions() -> tuple[IntArray, IntArray]:
    """Half-open boxes ``lo, hi`` (rows of x, y, z): first one per primary ROI (in
    ``PRIMARY_ROIS`` order), then six NotPrimary slabs per ROI (the space between the ROI's
    box and the faces of its grid cell, which no box reaches)."""
    volume = np.array(SAMPLE_VOLUME, dtype=np.int64)
    cell_size = volume // np.array(_GRID, dtype=np.int64)
    # ROIs in the hierarchy's order, so the children of a super-level ROI are neighbours.
    order = [
        leaf["name"]
        for top in ROI_HIERARCHY.get("children", [])
        for leaf in (top.get("children") or [top])
    ]
    cell_of = dict(zip(order, _grid_cells(), strict=False))
    rng = np.random.default_rng(_BOX_SEED)
    n_rois = len(PRIMARY_ROIS)
    fraction = rng.uniform(0.5, 0.85, size=(n_rois, 3))
    place = rng.random((n_rois, 3))
    cell_lo = np.array([cell_of[roi] for roi in PRIMARY_ROIS], dtype=np.int64) * cell_size
    size = np.floor(fraction * cell_size).astype(np.int64)
    free = cell_size - size - 2 * _BOX_MARGIN
    lo = cell_lo + _BOX_MARGIN + np.floor(place * (free + 1)).astype(np.int64)
    hi = lo + size
    slab_lo = np.repeat(cell_lo, 6, axis=0)
    slab_hi = slab_lo + cell_size
    for axis in range(3):
        low_side, high_side = (
            np.arange(2 * axis, 6 * n_rois, 6),
            np.arange(2 * axis + 1, 6 * n_rois, 6),
        )
        slab_hi[low_side, axis] = lo[:, axis]
        slab_lo[high_side, axis] = hi[:, axis]
    return np.concatenate([lo, slab_lo]), np.concatenate([hi, slab_hi])


def sample_roi_boxes() -> dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]]:
    """Return the box ``((x0, y0, z0), (x1, y1, z1))`` of every primary ROI in generated data.

    Boxes are half-open (``x0 <= x < x1``), disjoint, inside :data:`SAMPLE_VOLUME`, and the
    same for every sample. A generated synapse or mitochondrion with primary ROI ``r`` lies in
    ``r``'s box; one without a primary ROI (NotPrimary) lies outside every box. A super-level
    ROI is the union of its children's boxes.

    Example:
        >>> boxes = sample_roi_boxes()
        >>> len(boxes), sorted(boxes) == sorted(PRIMARY_ROIS)
        (63, True)
        >>> (x0, y0, z0), (x1, y1, z1) = boxes["EB"]
        >>> 0 <= x0 < x1 <= 35_000 and 0 <= y0 < y1 <= 40_000 and 0 <= z0 < z1 <= 42_000
        True
    """
    lo, hi = _regions()
    return {
        roi: (
            (int(lo[i, 0]), int(lo[i, 1]), int(lo[i, 2])),
            (int(hi[i, 0]), int(hi[i, 1]), int(hi[i, 2])),
        )
        for i, roi in enumerate(PRIMARY_ROIS)
    }


@dataclass(frozen=True, slots=True)
class _Synapses:
    """Synapses in id order (by body, then pre before post, then ROI code), pairs, mitos."""

    body: IntArray  # neuron index
    is_post: BoolArray
    roi_code: IntArray  # into _CONN_ROIS
    xyz: IntArray  # (3, synapses): rows x, y, z
    confidence: FloatArray
    pair_pre: IntArray  # synapse indices, sorted by (pre, post)
    pair_post: IntArray
    mito_body: IntArray
    mito_type: IntArray  # into _MITO_TYPES
    mito_roi_code: IntArray
    mito_xyz: IntArray  # (3, mitochondria)
    mito_size: IntArray
    mito_r: FloatArray  # (3, mitochondria): rows r0, r1, r2
    close_synapse: IntArray  # synapse index (ascending), mito index, distance
    close_mito: IntArray
    close_distance: FloatArray


def _exclusive_cumsum(counts: IntArray) -> IntArray:
    out = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def _ranks(keys: IntArray, group_start: IntArray) -> tuple[IntArray, IntArray]:
    """``order`` (stable sort of ``keys``) and each sorted item's rank within its key group."""
    order = np.argsort(keys, kind="stable")
    rank = np.arange(keys.size, dtype=np.int64) - group_start[keys[order]]
    return order, rank


def _clip_round(values: FloatArray, low: IntArray, top: IntArray) -> IntArray:
    """Round to integer voxels in ``low .. top`` (inclusive)."""
    clipped: IntArray = np.clip(np.rint(values).astype(np.int64), low, top)
    return clipped


def _confidence(rng: np.random.Generator, size: int, places: int) -> FloatArray:
    """Confidences in (0.5, 1.0], skewed high, rounded to ``places`` decimals."""
    value = np.round(0.5 + 0.5 * rng.beta(5.0, 1.5, size), places)
    out: FloatArray = np.clip(value, 0.5 + 10.0**-places, 1.0)
    return out


def _spread_bits(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Put bit ``i`` of each value (< 2**21) at bit ``3 * i``: one axis of a Morton code."""
    v = v & np.uint64(0x1FFFFF)
    for shift, mask in (
        (32, 0x1F00000000FFFF),
        (16, 0x1F0000FF0000FF),
        (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3),
        (2, 0x1249249249249249),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _body_morton(body: IntArray, xyz: IntArray) -> IntArray:
    """Sort keys: the body index, then a Morton code of the location (rows x, y, z) at
    8-voxel resolution (13 bits per axis)."""
    q = (xyz >> 3).astype(np.uint64)
    code = _spread_bits(q[0]) | (_spread_bits(q[1]) << np.uint64(1))
    code |= _spread_bits(q[2]) << np.uint64(2)
    key: IntArray = (body << 39) | code.astype(np.int64)
    return key


def _make_synapses(
    rng: np.random.Generator, cells: _Neurons, conns: _Connections, counts: _RoiCounts
) -> _Synapses:
    """Synapses, pairs and mitochondria that reproduce ``counts`` exactly."""
    n, width = cells.body_ids.size, len(_CONN_ROIS)
    if n >= 1 << 24:  # pragma: no cover - the Morton keys hold 24 bits of neuron index
        raise InvalidArgument("synapses are generated for at most 16,777,215 neurons")
    lo, hi = _regions()
    n_rois = len(PRIMARY_ROIS)

    # Synapse ids: per body its T-bars, then its post synapses, each by ROI code.
    per_cell = np.concatenate([counts.pre, counts.post], axis=1).ravel()  # (body, type, roi)
    cell_start = _exclusive_cumsum(per_cell).reshape(n, 2 * width)
    pre_start = cell_start[:, :width].ravel()
    post_start = cell_start[:, width:].ravel()
    cell_of = np.repeat(np.arange(per_cell.size, dtype=np.int64), per_cell)
    total = cell_of.size
    body = cell_of // (2 * width)
    column = cell_of - body * (2 * width)
    del cell_of
    is_post = column >= width
    roi_code = np.where(is_post, column - width, column)
    del column

    # Pairs: weight k on roi row (a -> b, r) gives k pairs. Each post synapse of b in r ends one
    # pair; a's pairs in r are dealt round-robin, in random order, to a's T-bars in r, so every
    # T-bar gets ceil or floor of down / T-bars >= 1 of them.
    pair_row = np.repeat(np.arange(conns.roi_weight.size, dtype=np.int64), conns.roi_weight)
    pair_edge = conns.roi_edge[pair_row]
    pair_roi = conns.roi_code[pair_row]
    del pair_row
    key = conns.pre[pair_edge] * width + pair_roi
    shuffled = (key << 32) | rng.integers(0, 1 << 32, size=key.size, dtype=np.int64)
    order = np.argsort(shuffled, kind="stable")
    del shuffled
    sorted_key = key[order]
    rank = np.arange(key.size, dtype=np.int64) - _exclusive_cumsum(counts.down.ravel())[sorted_key]
    pair_pre = np.empty(key.size, dtype=np.int64)
    pair_pre[order] = pre_start[sorted_key] + rank % counts.pre.ravel()[sorted_key]
    del order, sorted_key, rank
    key = conns.post[pair_edge] * width + pair_roi
    del pair_edge, pair_roi
    order, rank = _ranks(key, _exclusive_cumsum(counts.post.ravel()))
    pair_post = np.empty(key.size, dtype=np.int64)
    pair_post[order] = post_start[key[order]] + rank
    del order, rank, key

    # Locations, as rows x, y, z. Each (body, ROI) with T-bars has an arbor centre in the
    # ROI's box (NotPrimary: in one NotPrimary slab); its T-bars scatter around the centre,
    # and post synapses sit a few tens of voxels from their T-bar, in the same box.
    low, top = lo.T.copy(), (hi - 1).T.copy()  # inclusive bounds, one row per axis
    region = np.empty(total, dtype=np.int64)
    xyz = np.empty((3, total), dtype=np.int64)
    arbors = np.flatnonzero(counts.pre.ravel())
    arbor_region = _CONN_TO_PRIMARY[arbors % width]
    slab = n_rois + rng.integers(0, 6 * n_rois, size=arbors.size)
    arbor_region = np.where(arbor_region >= 0, arbor_region, slab)
    tbars = np.flatnonzero(~is_post)
    arbor_of = np.repeat(np.arange(arbors.size), counts.pre.ravel()[arbors])
    r = arbor_region[arbor_of]
    region[tbars] = r
    for axis in range(3):
        extent = (top[axis] + 1 - low[axis])[arbor_region].astype(np.float64)
        centre = low[axis][arbor_region] + rng.random(arbors.size) * extent
        spread = rng.normal(size=tbars.size) * (_TBAR_SPREAD * extent[arbor_of])
        xyz[axis, tbars] = _clip_round(centre[arbor_of] + spread, low[axis][r], top[axis][r])
    del arbor_of, spread, centre, extent
    r = region[pair_pre]
    region[pair_post] = r
    for axis in range(3):
        near = xyz[axis, pair_pre] + rng.normal(0.0, _PSD_SD, size=pair_pre.size)
        xyz[axis, pair_post] = _clip_round(near, low[axis][r], top[axis][r])
    del near, r
    confidence = np.empty(total, dtype=np.float64)
    confidence[tbars] = _confidence(rng, tbars.size, 3)
    del tbars
    posts = np.flatnonzero(is_post)
    confidence[posts] = _confidence(rng, posts.size, 6)
    del posts
    order = np.argsort(pair_pre, kind="stable")  # post ids ascend within a T-bar already
    pair_pre, pair_post = pair_pre[order], pair_post[order]
    del order

    # Mitochondria: about one per 30-60 synapses of a body, at least one, spread over the
    # body's (type, ROI) groups of synapses in proportion to their size (stochastic rounding).
    # Each sits near a random synapse of its group (its anchor), in the anchor's box and ROI.
    ratio = 30.0 + 30.0 * rng.random(n)  # synapses per mitochondrion, per body
    group = np.flatnonzero(per_cell)
    group_size = per_cell[group]
    group_body = group // (2 * width)
    group_mitos = np.floor(group_size / ratio[group_body] + rng.random(group.size))
    group_mitos = group_mitos.astype(np.int64)
    by_size = np.lexsort((-group_size, group_body))  # each body's largest group first
    largest = by_size[np.flatnonzero(np.diff(group_body[by_size], prepend=-1))]
    none = np.bincount(group_body, weights=group_mitos, minlength=n)[group_body[largest]] == 0
    group_mitos[largest[none]] = 1
    mito_group = np.repeat(np.arange(group.size, dtype=np.int64), group_mitos)
    anchor = cell_start.ravel()[group[mito_group]] + (
        rng.random(mito_group.size) * group_size[mito_group]
    ).astype(np.int64)
    del mito_group, by_size, largest, none
    anchor.sort()  # mitochondria in body order, then by their anchor's id
    mito_body = body[anchor]
    mitos_of = np.bincount(mito_body, minlength=n).astype(np.int64)
    r = region[anchor]
    mito_xyz = np.empty((3, anchor.size), dtype=np.int64)
    for axis in range(3):
        near = xyz[axis, anchor] + rng.normal(0.0, _MITO_SD, size=anchor.size)
        mito_xyz[axis] = _clip_round(near, low[axis][r], top[axis][r])
    del near, r
    mito_roi_code = roi_code[anchor]
    mito_type = rng.choice(len(_MITO_TYPES), size=anchor.size, p=_MITO_TYPE_P).astype(np.int64)
    size = np.maximum(np.rint(rng.lognormal(math.log(2e5), 0.7, anchor.size)), 1).astype(np.int64)
    r0 = np.round(rng.lognormal(math.log(45.0), 0.35, anchor.size), 3)
    r1 = np.maximum(np.round(r0 * rng.uniform(0.35, 1.0, anchor.size), 3), 1.0)
    r0 = np.maximum(r0, r1)
    r2 = np.clip(np.round(rng.uniform(0.5, 1.0, anchor.size), 3), 0.501, 0.999)
    mito_r = np.stack([r0, r1, r2])
    del anchor, r0, r1, r2

    # CloseTo: ~90% of synapses, to a mitochondrion of their own body, near-nearest: the best
    # of the body's mitos next to the synapse in Morton order (by body, then location).
    close_synapse = np.flatnonzero(rng.random(total) < _CLOSE_TO_P)
    mito_key = _body_morton(mito_body, mito_xyz)
    mito_order = np.argsort(mito_key, kind="stable")
    mito_key = mito_key[mito_order]
    mito_at = mito_xyz[:, mito_order].astype(np.float64)  # in key order
    mito_first = _exclusive_cumsum(mitos_of)
    mito_last = mito_first + mitos_of - 1
    close_mito = np.empty(close_synapse.size, dtype=np.int64)
    close_euclid = np.empty(close_synapse.size, dtype=np.float64)
    offsets = np.arange(-_NEAREST_SPAN, _NEAREST_SPAN, dtype=np.int64)
    for start in range(0, close_synapse.size, _NEAREST_CHUNK):
        chunk = close_synapse[start : start + _NEAREST_CHUNK]
        owner = body[chunk]
        at = xyz[:, chunk]
        where = np.searchsorted(mito_key, _body_morton(owner, at))
        candidates = np.clip(
            where[:, None] + offsets[None, :], mito_first[owner][:, None], mito_last[owner][:, None]
        )
        squared = np.zeros(candidates.shape, dtype=np.float64)
        for axis in range(3):
            delta = mito_at[axis][candidates] - at[axis][:, None]
            squared += delta * delta
        best = squared.argmin(axis=1)
        rows = np.arange(chunk.size)
        close_mito[start : start + chunk.size] = mito_order[candidates[rows, best]]
        close_euclid[start : start + chunk.size] = np.sqrt(squared[rows, best])
    stretch = rng.uniform(1.0, 1.6, size=close_synapse.size)
    close_distance = np.round(np.maximum(close_euclid * stretch - mito_r[1, close_mito], 0.0), 6)
    return _Synapses(
        body=body,
        is_post=is_post,
        roi_code=roi_code,
        xyz=xyz,
        confidence=confidence,
        pair_pre=pair_pre,
        pair_post=pair_post,
        mito_body=mito_body,
        mito_type=mito_type,
        mito_roi_code=mito_roi_code,
        mito_xyz=mito_xyz,
        mito_size=size,
        mito_r=mito_r,
        close_synapse=close_synapse,
        close_mito=close_mito,
        close_distance=close_distance,
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_DIGIT_LIMITS: Final = np.array([10**k for k in range(1, 19)], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Decimals:
    """A CSV column of finite non-negative floats, written with at most ``places`` decimals
    (trailing zeros dropped, at least one kept: ``0.87``, ``1.0``)."""

    values: FloatArray
    places: int


_Column = IntArray | tuple[IntArray, Sequence[str]] | _Decimals
_Encoded = IntArray | tuple[IntArray, npt.NDArray[np.uint8], IntArray] | _Decimals


def _write_csv(path: Path, header: Sequence[str], columns: Sequence[_Column]) -> None:
    """Write non-negative int, coded string and non-negative float columns as CSV, vectorised.

    Strings must not need quoting (no comma, quote or newline); an empty label is an empty
    field. Ints are plain digits, as pandas writes them; floats see :class:`_Decimals`.
    """
    encoded: list[_Encoded] = []
    for column in columns:
        if isinstance(column, tuple):
            codes, labels = column
            if any(c in label for label in labels for c in ',"\n\r'):
                raise AssertionError("label needs quoting")
            raw = [label.encode("utf-8") for label in labels]
            width = max((len(r) for r in raw), default=1)
            table = np.zeros((len(raw), max(width, 1)), dtype=np.uint8)
            for i, r in enumerate(raw):
                table[i, : len(r)] = np.frombuffer(r, dtype=np.uint8)
            encoded.append((codes, table, np.array([len(r) for r in raw], dtype=np.int64)))
        elif isinstance(column, _Decimals):
            values = column.values
            if values.size and not (np.isfinite(values).all() and float(values.min()) >= 0.0):
                raise AssertionError("negative or non-finite float")
            encoded.append(column)
        else:
            if column.size and int(column.min()) < 0:
                raise AssertionError("negative integer")
            encoded.append(column)
    first = encoded[0]
    rows = first[0].size if isinstance(first, tuple) else _values(first).size
    with path.open("wb") as out:
        out.write((",".join(header) + "\n").encode("utf-8"))
        for start in range(0, rows, _WRITE_CHUNK):
            stop = min(start + _WRITE_CHUNK, rows)
            out.write(_format_chunk(encoded, start, stop).tobytes())


def _values(column: IntArray | _Decimals) -> IntArray | FloatArray:
    return column.values if isinstance(column, _Decimals) else column


def _digits(matrix: npt.NDArray[np.uint8], at: int, span: int, value: IntArray) -> None:
    """Write ``value`` right-aligned, zero-padded, into columns ``at .. at + span - 1``."""
    for place in range(at + span - 1, at - 1, -1):
        quotient = value // 10  # (x - 10 * (x // 10) is much faster than x % 10)
        matrix[:, place] = value - quotient * 10 + 48
        value = quotient


def _format_chunk(encoded: Sequence[_Encoded], start: int, stop: int) -> npt.NDArray[np.uint8]:
    """Lay the rows out in a fixed-width byte matrix, then keep the used cells in row order."""
    rows = stop - start
    spans: list[int] = []  # characters reserved per field
    widths: list[IntArray] = []  # characters used per row (decimals: of the integer part)
    parts: list[tuple[IntArray, IntArray]] = []  # decimals: integer part, fraction digits
    for column in encoded:
        if isinstance(column, tuple):
            codes, table, lengths = column
            spans.append(table.shape[1])
            widths.append(lengths[codes[start:stop]])
            continue
        if isinstance(column, _Decimals):
            unit = 10**column.places
            scaled = np.rint(column.values[start:stop] * unit).astype(np.int64)
            value = scaled // unit
            parts.append((value, scaled - value * unit))
        else:
            value = column[start:stop]
        width = np.searchsorted(_DIGIT_LIMITS, value, side="right") + 1
        spans.append(int(width.max()) if rows else 1)
        if isinstance(column, _Decimals):
            spans[-1] += 1 + column.places
        widths.append(width)
    matrix = np.empty((rows, sum(spans) + len(spans)), dtype=np.uint8)
    keep = np.empty(matrix.shape, dtype=np.bool_)
    at = 0
    decimal_parts = iter(parts)
    for index, (column, span, width) in enumerate(zip(encoded, spans, widths, strict=True)):
        if isinstance(column, tuple):
            codes, table, _ = column
            matrix[:, at : at + span] = table[codes[start:stop]]
            np.less(np.arange(span)[None, :], width[:, None], out=keep[:, at : at + span])
        elif isinstance(column, _Decimals):
            places = column.places
            whole, fraction = next(decimal_parts)
            digits = span - 1 - places
            _digits(matrix, at, digits, whole)
            np.less(
                np.arange(digits - 1, -1, -1)[None, :],
                width[:, None],
                out=keep[:, at : at + digits],
            )
            matrix[:, at + digits] = ord(".")
            keep[:, at + digits] = True
            _digits(matrix, at + digits + 1, places, fraction)
            trailing = np.zeros(rows, dtype=np.int64)  # trailing zeros of the fraction digits
            for k in range(1, places + 1):
                trailing += fraction % 10**k == 0
            shown = np.maximum(places - trailing, 1)
            np.less(
                np.arange(places)[None, :], shown[:, None], out=keep[:, at + digits + 1 : at + span]
            )
        else:
            _digits(matrix, at, span, column[start:stop])
            np.less(
                np.arange(span - 1, -1, -1)[None, :], width[:, None], out=keep[:, at : at + span]
            )
        at += span
        matrix[:, at] = ord("\n") if index == len(encoded) - 1 else ord(",")
        keep[:, at] = True
        at += 1
    packed: npt.NDArray[np.uint8] = matrix[keep]
    return packed


def _version() -> str:
    import neuprint_dsl

    return str(getattr(neuprint_dsl, "__version__", "unknown"))


def generate_sample(
    out_dir: str | Path,
    *,
    neurons: int = DEFAULT_SAMPLE["neurons"],
    edges: int = DEFAULT_SAMPLE["edges"],
    seed: int = DEFAULT_SAMPLE["seed"],
    naming: Naming = "adjacencies",
    synapses: bool | None = None,
    progress: Progress | None = None,
) -> SampleInfo:
    """Generate a synthetic hemibrain-shaped sample into ``out_dir`` (created if needed).

    Writes ``neurons.csv``, ``roi-connections.csv``, ``total-connections.csv`` (with
    ``naming="traced"``: ``traced-neurons.csv``, ...) and ``meta.json``; with ``synapses``
    also :data:`SYNAPSE_FILE_NAMES`: ``synapses.csv``, ``synapse-connections.csv``,
    ``mitochondria.csv`` and ``closest-mitochondria.csv`` (about six synapses per
    connection). ``synapses=None`` (the default) means: only for samples of at most
    :data:`SYNAPSES_UP_TO_EDGES` connections. See the module docstring for the model. The
    same arguments always give byte-identical files, and the connection files do not depend
    on ``synapses``.

    ``progress``, if given, is called as ``progress(stage, done, total)`` through the stages
    ``"neurons"``, ``"connections"``, ``"synapses"`` (only with synapses) and ``"writing"``,
    then ``("done", total, total)``; ``done`` only grows, and moves at least once a second
    (from a helper thread while one step runs).

    Raises ``ValueError`` for ``neurons < 2``, ``edges`` outside ``0..neurons*(neurons-1)``,
    a negative or non-integer ``seed``, or an unknown ``naming``.

    Example:
        >>> import tempfile
        >>> import pandas as pd
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     info = generate_sample(tmp, neurons=40, edges=100, seed=7, naming="traced")
        ...     total = pd.read_csv(info.total_connections_csv)
        ...     by_roi = pd.read_csv(info.roi_connections_csv)
        ...     pairs = pd.read_csv(info.synapse_connections_csv)
        ...     print(info.total_connections_csv.name, len(total))
        ...     print(total["weight"].sum() == by_roi["weight"].sum() == len(pairs))
        ...     print(info.synapses_csv.read_text().splitlines()[0])
        traced-total-connections.csv 100
        True
        id,bodyId,type,roi,x,y,z,confidence
        >>> generate_sample("unused", neurons=3, edges=7)
        Traceback (most recent call last):
        ...
        neuprint_dsl.errors.InvalidArgument: edges must be at most neurons*(neurons-1) = 6 (distinct ordered pairs without self-loops), got 7
    """
    _validate(neurons, edges, seed, naming)
    n, m, s = int(neurons), int(edges), int(seed)
    directory = Path(out_dir)
    rng = np.random.default_rng(s)
    if synapses is None:
        synapses = m <= SYNAPSES_UP_TO_EDGES
    plan = _sample_plan(n, m, synapses)
    stages = _Stages(progress, _TOTAL_UNITS)
    budget = sum(seconds for _, seconds in plan)
    upcoming = iter(plan)

    def advance() -> None:
        name, seconds = next(upcoming)
        stages.step(name, _TOTAL_UNITS * seconds / budget, seconds)

    completed = False
    try:
        advance()  # neurons
        cells = _make_neurons(rng, n)
        advance()  # connections: the pairs
        codes = _make_pairs(rng, cells, m, lambda _s, done, total: stages.within(done, total))
        advance()  # connections: weights, ROI counts, the neuron table
        conns = _split_weights(rng, cells, codes)
        del codes
        counts = _roi_counts(cells, conns)
        infos, totals = _roi_info(cells, counts)
        table = _neuron_table(rng, cells, infos, totals)
        del infos, totals
        made: _Synapses | None = None
        if synapses:
            advance()  # synapses
            # A generator of its own, so the connection files do not depend on ``synapses``.
            made = _make_synapses(np.random.default_rng([s, 6]), cells, conns, counts)
        del counts
        info = _write_sample(directory, naming, n, m, s, cells, conns, table, made, advance)
        completed = True
    finally:
        stages.close(completed)
    return info


#: the units of a sample generation's progress bar
_TOTAL_UNITS: Final = 100_000


def _sample_plan(neurons: int, edges: int, synapses: bool) -> list[tuple[str, float]]:
    """The steps of :func:`generate_sample` with rough seconds on an idle 2-core machine
    (they share the progress bar out; about 5.6 synapses per connection)."""
    plan = [
        ("neurons", 0.05 + neurons * 40e-6),
        ("connections", 0.05 + edges * 2.5e-6),
        ("connections", 0.05 + edges * 4e-6 + neurons * 40e-6),
    ]
    count = 5.6 * edges
    if synapses:
        plan.append(("synapses", 0.05 + count * 2e-6))
    plan += [
        ("writing", 0.05 + neurons * 120e-6),
        ("writing", 0.05 + edges * 1.1e-6),
        ("writing", 0.05 + edges * 0.7e-6),
    ]
    if synapses:
        plan += [("writing", 0.05 + count * f) for f in (0.8e-6, 0.3e-6, 0.02e-6, 0.5e-6)]
    return plan


def _write_sample(
    directory: Path,
    naming: Naming,
    n: int,
    m: int,
    s: int,
    cells: _Neurons,
    conns: _Connections,
    table: pd.DataFrame,
    made: _Synapses | None,
    advance: Callable[[], None],
) -> SampleInfo:
    """Write the files of :func:`generate_sample`; ``advance()`` before each file."""
    directory.mkdir(parents=True, exist_ok=True)
    neurons_name, roi_name, total_name = sample_file_names(naming)
    paths = (directory / neurons_name, directory / roi_name, directory / total_name)
    advance()
    table.to_csv(paths[0], index=False, lineterminator="\n", encoding="utf-8")
    del table
    advance()
    body = cells.body_ids
    _write_csv(
        paths[1],
        ROI_CONNECTION_COLUMNS,
        [
            body[conns.pre[conns.roi_edge]],
            body[conns.post[conns.roi_edge]],
            (conns.roi_code, _CONN_ROIS),
            conns.roi_weight,
        ],
    )
    advance()
    _write_csv(
        paths[2], TOTAL_CONNECTION_COLUMNS, [body[conns.pre], body[conns.post], conns.weight]
    )
    meta: dict[str, Any] = {
        "dataset": DATASET_NAME,
        "synthetic": True,
        "description": "Synthetic, hemibrain-shaped sample generated by neuprint-dsl; not real data",
        "seed": s,
        "neurons": n,
        "edges": m,
        "primaryRois": list(PRIMARY_ROIS),
        "rois": list(all_rois()),
        "roiHierarchy": ROI_HIERARCHY,
        "generator": f"neuprint-dsl {_version()} {GENERATOR_FORMAT}",
    }
    synapse_paths: tuple[Path, ...] = ()
    if made is not None:
        synapse_paths = tuple(directory / name for name in SYNAPSE_FILE_NAMES)

        advance()
        # after each of the first three files, the next step (the fourth is the last)
        _write_synapse_files(synapse_paths, body, made, lambda k: advance() if k < 4 else None)
        meta |= {
            "postHighAccuracyThreshold": _POST_HIGH_ACCURACY_THRESHOLD,
            "synapses": int(made.body.size),
            "synapsePairs": int(made.pair_pre.size),
            "mitochondria": int(made.mito_body.size),
            "closeTo": int(made.close_synapse.size),
        }
    meta_path = directory / "meta.json"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return SampleInfo(
        directory=directory,
        neurons_csv=paths[0],
        roi_connections_csv=paths[1],
        total_connections_csv=paths[2],
        meta_json=meta_path,
        neurons=n,
        edges=m,
        roi_rows=int(conns.roi_code.size),
        total_weight=int(conns.weight.sum()),
        seed=s,
        naming=naming,
        synapses_csv=synapse_paths[0] if synapse_paths else None,
        synapse_connections_csv=synapse_paths[1] if synapse_paths else None,
        mitochondria_csv=synapse_paths[2] if synapse_paths else None,
        closest_mitochondria_csv=synapse_paths[3] if synapse_paths else None,
        synapses=int(made.body.size) if made is not None else 0,
        synapse_pairs=int(made.pair_pre.size) if made is not None else 0,
        mitochondria=int(made.mito_body.size) if made is not None else 0,
        close_to=int(made.close_synapse.size) if made is not None else 0,
    )


def _write_synapse_files(
    paths: Sequence[Path], body_ids: IntArray, made: _Synapses, step: Callable[[int], None]
) -> None:
    """Write the four synapse files. Synapse ids are 1..S in ``made``'s order; mitochondrion
    ids continue from S + 1, so no id names both a synapse and a mitochondrion."""
    total = made.body.size
    synapse_id = np.arange(1, total + 1, dtype=np.int64)
    _write_csv(
        paths[0],
        SYNAPSE_COLUMNS,
        [
            synapse_id,
            body_ids[made.body],
            (made.is_post.astype(np.int64), _SYNAPSE_TYPES),
            (made.roi_code, _ROI_LABELS),
            made.xyz[0],
            made.xyz[1],
            made.xyz[2],
            _Decimals(made.confidence, 6),
        ],
    )
    del synapse_id
    step(1)
    _write_csv(paths[1], SYNAPSE_CONNECTION_COLUMNS, [made.pair_pre + 1, made.pair_post + 1])
    step(2)
    _write_csv(
        paths[2],
        MITOCHONDRIA_COLUMNS,
        [
            np.arange(total + 1, total + 1 + made.mito_body.size, dtype=np.int64),
            body_ids[made.mito_body],
            (made.mito_type, _MITO_TYPES),
            (made.mito_roi_code, _ROI_LABELS),
            made.mito_xyz[0],
            made.mito_xyz[1],
            made.mito_xyz[2],
            made.mito_size,
            _Decimals(made.mito_r[0], 3),
            _Decimals(made.mito_r[1], 3),
            _Decimals(made.mito_r[2], 3),
        ],
    )
    step(3)
    _write_csv(
        paths[3],
        CLOSEST_MITOCHONDRIA_COLUMNS,
        [made.close_synapse + 1, made.close_mito + total + 1, _Decimals(made.close_distance, 6)],
    )
    step(4)

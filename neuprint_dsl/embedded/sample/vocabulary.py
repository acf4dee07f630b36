"""The cell-type vocabulary of the sample: hemibrain-like type and instance names, the home
ROIs each type prefers, cell-body fibres and relative abundance and degree scales.

Example:
    >>> types = cell_types()
    >>> [t.name for t in types[:3]], sum(t.name is None for t in types)
    (['KCab', 'KCab-s', 'KCab-m'], 16)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ..rois import PRIMARY_ROIS, ROI_HIERARCHY
from .arrays import BoolArray, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class CellType:
    """One cell type of the vocabulary (or an untyped region class)."""

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
CORE_TYPES: Final = (
    "APL", "DPM", "KCab", "MBON01", "KCg-m", "KCa'b'-ap1", "PAM15", "DA1_lPN", "EPG",
    "PEN_a(PEN1)", "FB4Y", "SMP001", "LHPV5c1", "OA-VPM3", "Giant Fiber", "MBON11",
)  # fmt: skip


@functools.cache
def cell_types() -> tuple[CellType, ...]:
    """Every cell type, in a fixed order (the rows of :func:`vocabulary_arrays`)."""
    types: list[CellType] = []

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
            CellType(name, abundance, _pool(pool), chosen, tuple(fibers.split()), out, inn)
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
        types.append(CellType(None, count, _pool(pool), (), _UNTYPED_FIBERS, 0.6, 0.6))
    return tuple(types)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The vocabulary as arrays, one row per cell type (instances and fibres flattened)."""

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
def vocabulary_arrays() -> Vocabulary:
    """:func:`cell_types` as arrays, for vectorised draws.

    Example:
        >>> vocab = vocabulary_arrays()
        >>> vocab.pools.shape[0] == len(cell_types()), bool(vocab.typed[0])
        (True, True)
    """
    types = cell_types()
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
    return Vocabulary(
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

"""Checked by mypy in CI (tests/test_typing.py): every line marked ``type: ignore[...]`` must
be an error mypy really reports (``--warn-unused-ignores`` fails otherwise), and every other
line must type-check."""

import numpy as np
import pandas as pd

from neuprint_dsl import (
    E,
    M,
    N,
    Predicate,
    S,
    connections,
    mitochondria,
    neurons,
    synapse_connections,
    synapses,
)

# accepted
ok: list[Predicate] = [
    N.type.matches("MBON.*"),
    N.type == "APL",
    N.pre > 3,
    N.somaRadius <= 2.5,
    N.bodyId.isin([1, 2]),
    N.status.isin(["Traced"]),
    N.cropped & (N.pre > 1),
    ~N.cropped,
    N.roi("MB(R)") | N.roi("FB"),
    N.inputs("SIP(R)") >= 10,
    E.weight >= 5,
    E.roi_weight("MB(R)") > 2,
    N["anything"] > 3,
    N["anything"].matches("x"),
    N.tags.contains_any(["a"]),
    N.somaLocation.not_null(),
    N.field("group", int) == 3,
    N.field("somaNeuromere", str).startswith("T"),
    (S.type == "pre") & (S.confidence > 0.9) & S.roi("EB"),
    S.x.isin([1, 2]),
    S["ntGabaProb"] > 0.5,
    (M.mitoType == "dark") & (M.size >= 1000) & (M.r0 < 50.0) & M.roi("FB"),
    # numpy and pandas values
    N.bodyId == np.int64(5),
    N.somaRadius > np.float64(3),
    N.pre >= np.uint32(2),
    N.cropped == np.bool_(True),
    N.type == np.str_("APL"),
    N["anything"] > np.int64(3),
    N.bodyId.isin(np.array([1, 2])),
    N.bodyId.isin(pd.Series([1, 2])),
    N.type.isin(pd.Index(["a"])),
    N.bodyId.isin({1, 2}),
    N.bodyId.isin(range(3)),
]
synapses(N.type == "ExR2", S.type == "pre", primary_only=False)
synapse_connections(N.type == "APL", where=S.confidence > 0.5, rois=["EB"], min_total_weight=3)
mitochondria(N.bodyId == 1, M.size > 10)
neurons(N.type == "x", limit=3)
connections(N.type == "APL", where=E.weight > 1)

# rejected
N.pre.matches("x")  # type: ignore[attr-defined]
N.type > 3  # type: ignore[operator]
N.type < "a"  # type: ignore[operator]
N.pre.startswith("1")  # type: ignore[attr-defined]
N.somaLocation > 1  # type: ignore[operator]
N.inputs("FB").is_null()  # type: ignore[attr-defined]
N.cropped.matches("x")  # type: ignore[attr-defined]
N.type.contains_any(["a"])  # type: ignore[attr-defined]
N.field("group", int).matches("x")  # type: ignore[attr-defined]
N.type.isin([1, 2])  # type: ignore[list-item]
E.weight.matches("x")  # type: ignore[attr-defined]
S.confidence.matches("x")  # type: ignore[attr-defined]
S.type > 1  # type: ignore[operator]
M.mitoType < 2  # type: ignore[operator]
M.size.startswith("1")  # type: ignore[attr-defined]
N.type > np.int64(3)  # type: ignore[operator]

"""The reconstruction tools of the compat layer (``fetch_output_completeness``,
``fetch_downstream_orphan_tasks``): end to end on the embedded engine against an independent
pandas computation on the export files, and the exact neo4j Cypher they send.

Expected tables follow neuprint-python's ``queries/recon.py``: a downstream partner (any
segment) is complete when its ``status`` or ``statusLabel`` is listed; completeness is the
complete share of a neuron's total output weight; orphans are sorted by ``bodyId_pre``, weight
descending, ``bodyId_post``, with running sums per upstream neuron.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuprint_dsl
from neuprint_dsl import N
from neuprint_dsl.compat import (
    Client,
    clear_default_client,
    fetch_downstream_orphan_tasks,
    fetch_output_completeness,
    set_default_client,
)
from neuprint_dsl.compat import (
    NeuronCriteria as NC,
)
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.transports import Recording

from .goldens import Goldens

pytestmark = pytest.mark.no_progress_bars

COMPLETENESS_COLUMNS = [
    "bodyId",
    "total_weight",
    "traced_weight",
    "untraced_weight",
    "completeness",
]
ORPHAN_COLUMNS = [
    "bodyId_pre",
    "bodyId_post",
    "orphan_weight",
    "status_post",
    "statusLabel",
    "total_weight",
    "orig_traced_weight",
    "orig_untraced_weight",
    "orig_completeness",
    "cum_orphan_weight",
    "cum_completeness",
]


# ---------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("compat-recon") / "export"
    generate_sample(directory, neurons=300, edges=6000, seed=23)
    return directory


@pytest.fixture(scope="module")
def neurons_csv(export: Path) -> pd.DataFrame:
    frame = pd.read_csv(export / "neurons.csv", dtype={"status": object, "statusLabel": object})
    return frame.astype(object).where(frame.notna(), None)


@pytest.fixture(scope="module")
def total(export: Path) -> pd.DataFrame:
    return pd.read_csv(export / "total-connections.csv")


@pytest.fixture(scope="module")
def client(export: Path) -> Iterator[Client]:
    db = load(export, export.parent / "graph.lbug")
    c = Client(transport=neuprint_dsl.embedded(db))
    set_default_client(c)
    yield c
    clear_default_client()
    c.transport.close()


# ---------------------------------------------------------------------------------------
# independent expectations


def statuses(neurons_csv: pd.DataFrame) -> dict[int, tuple[Any, Any]]:
    return {
        int(b): (s, label)
        for b, s, label in neurons_csv[["bodyId", "status", "statusLabel"]].itertuples(
            index=False, name=None
        )
    }


def is_complete(status: tuple[Any, Any] | None, complete: list[str]) -> bool:
    if status is None:  # a segment outside neurons.csv has no status
        return False
    return status[0] in complete or status[1] in complete


def expected_completeness(
    neurons_csv: pd.DataFrame, total: pd.DataFrame, bodies: set[int], complete: list[str]
) -> pd.DataFrame:
    status = statuses(neurons_csv)
    rows = []
    for body in sorted(bodies):
        out = total[total["bodyId_pre"] == body]
        if out.empty:
            continue  # no outputs: left out, as neuprint-python does
        weight = int(out["weight"].sum())
        traced = sum(
            int(w)
            for post, w in zip(out["bodyId_post"], out["weight"], strict=True)
            if is_complete(status.get(int(post)), complete)
        )
        rows.append((body, weight, traced, weight - traced, traced / weight))
    return pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)


def expected_orphans(
    neurons_csv: pd.DataFrame, total: pd.DataFrame, bodies: set[int], complete: list[str]
) -> list[tuple[Any, ...]]:
    status = statuses(neurons_csv)
    base = expected_completeness(neurons_csv, total, bodies, complete).set_index("bodyId")
    rows = []
    for body in sorted(bodies):
        out = total[total["bodyId_pre"] == body]
        ordered = sorted(
            zip(out["bodyId_post"], out["weight"], strict=True), key=lambda p: (-p[1], p[0])
        )
        cumulative = 0
        for post, weight in ordered:
            st = status.get(int(post))
            if is_complete(st, complete):
                continue
            cumulative += int(weight)
            info = base.loc[body]
            traced, whole = int(info.at["traced_weight"]), int(info.at["total_weight"])
            rows.append(
                (
                    body,
                    int(post),
                    int(weight),
                    st[0] if st else None,
                    st[1] if st else None,
                    whole,
                    traced,
                    whole - traced,
                    traced / whole,
                    cumulative,
                    (traced + cumulative) / whole,
                )
            )
    return rows


def select(neurons_csv: pd.DataFrame, keep: Callable[[dict[str, Any]], bool]) -> set[int]:
    records: list[dict[str, Any]] = neurons_csv.to_dict("records")  # type: ignore[assignment]
    return {int(r["bodyId"]) for r in records if keep(r)}


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    out = []
    for row in frame.itertuples(index=False, name=None):
        out.append(tuple(v.item() if isinstance(v, np.generic) else v for v in row))
    return out


def assert_rows_equal(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert len(g) == len(w)
        for a, b in zip(g, w, strict=True):
            if isinstance(b, float):
                assert a == pytest.approx(b, rel=1e-12)
            else:
                assert a == b


# ---------------------------------------------------------------------------------------
# fetch_output_completeness

COMPLETENESS_CASES: dict[str, tuple[Any, Callable[[dict[str, Any]], bool], list[str]]] = {
    "traced": (NC(status="Traced"), lambda r: r["status"] == "Traced", ["Traced"]),
    "all-neurons": (NC(), lambda r: True, ["Traced"]),
    "two-statuses": (
        NC(type="KC.*"),
        lambda r: isinstance(r["type"], str) and r["type"].startswith("KC"),
        ["Traced", "Roughly traced"],
    ),
    "status-label-only": (NC(), lambda r: True, ["Roughly traced"]),
    "no-complete-status": (NC(status="Traced"), lambda r: r["status"] == "Traced", []),
    "dsl-predicate": (
        (N.pre >= 20) & ~N.cropped,
        lambda r: (r["pre"] or 0) >= 20 and r["cropped"] is not True,
        ["Traced"],
    ),
}


@pytest.mark.parametrize("case", sorted(COMPLETENESS_CASES))
def test_fetch_output_completeness(
    case: str, client: Client, neurons_csv: pd.DataFrame, total: pd.DataFrame
) -> None:
    criteria, keep, complete = COMPLETENESS_CASES[case]
    got = fetch_output_completeness(criteria, complete, client=client)
    want = expected_completeness(neurons_csv, total, select(neurons_csv, keep), complete)
    assert list(got.columns) == COMPLETENESS_COLUMNS
    assert [str(t) for t in got.dtypes] == ["int64"] * 4 + ["float64"]
    assert len(want) > 0
    assert_rows_equal(rows(got), rows(want))


@pytest.mark.parametrize("batch_size", [1, 7, 1000, None])
def test_fetch_output_completeness_batches_agree(
    batch_size: int | None, client: Client, neurons_csv: pd.DataFrame, total: pd.DataFrame
) -> None:
    got = fetch_output_completeness(NC(), ["Traced"], batch_size, client=client)
    want = expected_completeness(
        neurons_csv, total, select(neurons_csv, lambda r: True), ["Traced"]
    )
    assert_rows_equal(rows(got), rows(want))


def test_fetch_output_completeness_default_client_and_statuses(
    client: Client, neurons_csv: pd.DataFrame, total: pd.DataFrame
) -> None:
    got = fetch_output_completeness("KCab-p")  # type or instance, default client
    bodies = select(neurons_csv, lambda r: "KCab-p" in (r["type"], r["instance"]))
    assert_rows_equal(
        rows(got), rows(expected_completeness(neurons_csv, total, bodies, ["Traced"]))
    )


def test_neurons_without_complete_partners_are_kept(client: Client, total: pd.DataFrame) -> None:
    """neuprint-python drops them (its second MATCH finds nothing); here they have 0."""
    got = fetch_output_completeness(NC(), ["no such status"], client=client)
    assert len(got) == total["bodyId_pre"].nunique()
    assert (got["traced_weight"] == 0).all() and (got["completeness"] == 0.0).all()
    assert (got["untraced_weight"] == got["total_weight"]).all()


def test_neurons_without_outputs_are_left_out(client: Client) -> None:
    """Body 2 has no outputs (left out, as in neuprint-python); body 1 has no complete
    partner (kept with 0, unlike neuprint-python)."""

    def canned(cypher: str) -> Any:
        if cypher.endswith("RETURN n.bodyId AS bodyId\nORDER BY n.bodyId"):
            return [[1], [2]]
        if "ConnectsTo" in cypher and "status" not in cypher:
            return [[1, 7, 3, None, None, None, None]]
        return None

    clear_default_client()
    c = Client(transport=Recording(canned))
    got = fetch_output_completeness(NC(type="APL"), client=c)
    set_default_client(client)
    assert rows(got) == [(1, 3, 0, 3, 0.0)]


def test_fetch_output_completeness_empty(client: Client) -> None:
    got = fetch_output_completeness(NC(type="no such type"), client=client)
    assert list(got.columns) == COMPLETENESS_COLUMNS
    assert [str(t) for t in got.dtypes] == ["int64"] * 4 + ["float64"]
    assert got.empty


@pytest.mark.parametrize(
    ("statuses_arg", "error"),
    [(["Traced", None], TypeError), (5, TypeError)],
)
def test_fetch_output_completeness_bad_statuses(
    statuses_arg: Any, error: type[Exception], client: Client
) -> None:
    with pytest.raises(error):
        fetch_output_completeness(NC(), statuses_arg, client=client)


def test_fetch_output_completeness_bad_batch_size(client: Client) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        fetch_output_completeness(NC(), batch_size=0, client=client)


def test_single_status_string_is_one_status(
    client: Client, neurons_csv: pd.DataFrame, total: pd.DataFrame
) -> None:
    got = fetch_output_completeness(NC(), "Roughly traced", client=client)
    bodies = select(neurons_csv, lambda r: True)
    want = expected_completeness(neurons_csv, total, bodies, ["Roughly traced"])
    assert_rows_equal(rows(got), rows(want))


# ---------------------------------------------------------------------------------------
# fetch_downstream_orphan_tasks

ORPHAN_CASES: dict[str, tuple[Any, Callable[[dict[str, Any]], bool], list[str]]] = {
    "traced": (NC(status="Traced"), lambda r: r["status"] == "Traced", ["Traced"]),
    "two-statuses": (NC(), lambda r: True, ["Traced", "Roughly traced"]),
    "by-type": (
        NC(type="MBON.*"),
        lambda r: isinstance(r["type"], str) and r["type"].startswith("MBON"),
        ["Traced"],
    ),
}


@pytest.mark.parametrize("case", sorted(ORPHAN_CASES))
def test_fetch_downstream_orphan_tasks(
    case: str, client: Client, neurons_csv: pd.DataFrame, total: pd.DataFrame
) -> None:
    criteria, keep, complete = ORPHAN_CASES[case]
    got = fetch_downstream_orphan_tasks(criteria, complete, client=client)
    want = expected_orphans(neurons_csv, total, select(neurons_csv, keep), complete)
    assert list(got.columns) == ORPHAN_COLUMNS
    assert got.index.equals(pd.RangeIndex(len(got)))
    dtypes = [str(t) for t in got.dtypes]
    assert dtypes == ["int64", "int64", "int64", "object", "object"] + ["int64"] * 3 + [
        "float64",
        "int64",
        "float64",
    ]
    assert len(want) > 0
    assert_rows_equal(rows(got), want)


def test_orphans_have_missing_status_as_none(client: Client) -> None:
    got = fetch_downstream_orphan_tasks(NC(), client=client)
    assert got["status_post"].map(lambda v: v is None or isinstance(v, str)).all()
    assert got["status_post"].isna().any()  # the sample has neurons without status
    assert (got["cum_completeness"] <= 1.0 + 1e-12).all()


def test_orphans_complete_a_neuron(client: Client) -> None:
    """Tracing every orphan of a neuron makes it complete."""
    got = fetch_downstream_orphan_tasks(NC(status="Traced"), client=client)
    last = got.groupby("bodyId_pre").tail(1)
    assert np.allclose(last["cum_completeness"], 1.0)
    assert (last["cum_orphan_weight"] == last["orig_untraced_weight"]).all()


def test_orphans_empty(client: Client) -> None:
    got = fetch_downstream_orphan_tasks(NC(type="no such type"), client=client)
    assert list(got.columns) == ORPHAN_COLUMNS
    assert got.empty


# ---------------------------------------------------------------------------------------
# the neo4j Cypher sent (goldens)

META = {
    "dataset": "hemibrain:v1.2.1",
    "primaryRois": ["MB(R)", "FB"],
    "roiInfo": json.dumps({"MB(R)": {}, "FB": {}}),
}


def answer(cypher: str) -> Any:
    if cypher.startswith("MATCH (n:Meta)"):
        return pd.DataFrame({"n": [META]})
    if cypher.endswith("RETURN n.bodyId AS bodyId\nORDER BY n.bodyId"):
        return [[1], [2]]
    return None


GOLDEN_CASES: dict[str, Callable[[Client], object]] = {
    "fetch_output_completeness": lambda c: fetch_output_completeness(
        NC(type="APL", rois=["MB(R)"]), ["Traced", "Roughly traced"], batch_size=1, client=c
    ),
    "fetch_downstream_orphan_tasks": lambda c: fetch_downstream_orphan_tasks(
        NC(status="Traced", cropped=False), client=c
    ),
}


GOLDENS = Goldens("compat_recon_neo4j.json", GOLDEN_CASES, answer)


@pytest.mark.parametrize("name", GOLDENS.names())
def test_recon_cypher_golden(name: str) -> None:
    assert GOLDENS.sent(name) == GOLDENS.expected()[name]


def test_recon_goldens_cover_every_case() -> None:
    assert sorted(GOLDENS.expected()) == GOLDENS.names()


if __name__ == "__main__":  # regenerate: python -m tests.test_compat_recon
    GOLDENS.regenerate()

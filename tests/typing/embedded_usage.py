"""Checked by mypy in CI (tests/test_typing.py), against the installed wheel: the entry point
``neuprint_dsl.embedded(...)`` is a typed function returning ``Embedded``."""

from pathlib import Path
from typing import assert_type

import neuprint_dsl
from neuprint_dsl import Embedded, embedded, neurons
from neuprint_dsl.embedded import load
from neuprint_dsl.embedded import open_database as wired_open  # bound by the package root
from neuprint_dsl.embedded.sample import generate_sample
from neuprint_dsl.transports.ladybug import open_database


def usage() -> None:
    db = neuprint_dsl.embedded()
    assert_type(db, Embedded)
    assert_type(neuprint_dsl.embedded("x.lbug"), Embedded)
    assert_type(embedded(Path("x.lbug"), progress=None), Embedded)
    assert_type(open_database(None), Embedded)
    assert_type(neuprint_dsl.open_embedded(None), Embedded)
    wired_open("x.lbug", progress=None)
    assert_type(load("export", "x.lbug"), Path)
    generate_sample("out", neurons=40, edges=100, seed=3)
    with neuprint_dsl.embedded() as conn:
        conn.run(neurons(limit=1))

    # rejected
    neuprint_dsl.embedded(3)  # type: ignore[arg-type]
    neuprint_dsl.embedded(path="x", cache=True)  # type: ignore[call-arg]

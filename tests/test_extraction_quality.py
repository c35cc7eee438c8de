"""The extraction-quality benchmark runs over its saved pages, and the fetch component's extractor keeps the
accuracy measured on them (benchmarks/README.md, "Extraction quality"): a regression on any field fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from html import unescape
from pathlib import Path

from conftest import REPO

# Measured with benchmarks/extraction_quality.py on the 36 pages (title 36, date 36, text 35 correct).
FLOOR = {"title": 36, "date": 36, "text": 35}


def test_the_benchmark_runs_and_meets_the_measured_floor(tmp_path: Path) -> None:
    out = tmp_path / "quality.json"
    run = subprocess.run(
        [sys.executable, "benchmarks/extraction_quality.py", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stderr
    results = json.loads(out.read_text())
    assert results["pages"] >= 30
    assert {field: results["correct"][field] >= floor for field, floor in FLOOR.items()} == dict.fromkeys(
        FLOOR, True
    ), (
        results["correct"],
        results["confusions"],
    )
    assert all(results["accuracy"][field] >= 0.9 for field in ("title", "date", "text", "all"))  # the target
    assert "confusions:" in run.stdout and "table-layout" in run.stdout  # the remaining miss is reported


def test_the_saved_pages_are_the_generators_output() -> None:
    """The pages on disk are exactly what benchmarks/extraction_pages.py writes (no hand edits after measuring)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import extraction_pages
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    folder = REPO / "benchmarks" / "data" / "extraction"
    pages = extraction_pages.pages()
    assert len(pages) >= 30 and len({page.layout for page in pages}) == len(pages)
    for page in pages:
        assert (folder / f"{page.name}.html").read_text(encoding="utf-8") == page.html + "\n", page.name
        assert page.key in unescape(page.html) and page.absent in unescape(page.html), page.name
    expected = [json.loads(line) for line in (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["file"] for record in expected] == [f"{page.name}.html" for page in pages]

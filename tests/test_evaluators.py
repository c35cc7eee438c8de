"""Each benchmark evaluator runs on 30 real items: a report with its primary metric in [0, 1] and two PNG plots."""

from __future__ import annotations

from pathlib import Path

import pytest

from factdesk import registry
from factdesk.evaluate.base import EvalReport
from factdesk.evaluate.climate_fever import ClimateFeverEvaluator
from factdesk.evaluate.liar_plus import DEFAULT_MODEL, LiarPlusEvaluator
from factdesk.evaluate.scifact import SciFactEvaluator

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

CASES = [
    ("climate-fever", ClimateFeverEvaluator, "climate_fever", "dev"),
    ("scifact", SciFactEvaluator, "scifact", "dev"),
    ("liar-plus", LiarPlusEvaluator, "liar_plus", "test"),
]


@pytest.mark.parametrize(("name", "kind", "folder", "split"), CASES)
def test_evaluator_reports_primary_metric_and_plots(
    name: str, kind: type, folder: str, split: str, tmp_path: Path
) -> None:
    if not (SHARED_DATA / folder).is_dir():
        pytest.skip(f"benchmark data not found: {SHARED_DATA / folder} (expects the shared data next to the repo)")
    if name == "liar-plus" and not DEFAULT_MODEL.is_file():
        pytest.skip(f"no LIAR-PLUS model at {DEFAULT_MODEL}; run python -m factdesk.training.liar")
    evaluator = registry.create("evaluator", name, limit=30)
    assert isinstance(evaluator, kind)
    report = evaluator.run(SHARED_DATA, split, plots_dir=tmp_path)
    assert isinstance(report, EvalReport)
    assert report.benchmark == name and report.split == split
    assert 0.0 <= report.primary <= 1.0
    assert any(s.system.startswith("majority") for s in report.systems)
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) >= 2 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert report.table().splitlines()[0].split()[1] == report.primary_metric


def test_liar_plus_val_is_cross_validated(tmp_path: Path) -> None:
    if not (SHARED_DATA / "liar_plus").is_dir() or not DEFAULT_MODEL.is_file():
        pytest.skip("LIAR-PLUS data or model missing")
    report = LiarPlusEvaluator(limit=30).run(SHARED_DATA, "val")
    assert "cross-validated" in report.details["protocol"]
    assert 0.0 <= report.primary <= 1.0

"""`factdesk eval` and `factdesk train`: the AVeriTeC evaluator through the real CLI, and its error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, run_subprocess

needs_averitec = pytest.mark.skipif(
    not (SHARED_DATA / "averitec" / "dev.json").is_file(),
    reason=f"AVeriTeC data not found in {SHARED_DATA / 'averitec'} (shared data folder absent)",
)


@pytest.mark.slow
@needs_averitec
def test_eval_averitec_writes_json_and_plots(tmp_path: Path) -> None:
    out, plots = tmp_path / "out.json", tmp_path / "plots"
    result = run_subprocess(
        "eval", "averitec", "--split", "dev", "--limit", "40", "--data-dir", str(SHARED_DATA),
        "--json", str(out), "--plots", str(plots),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "averitec dev: macro_f1 = " in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["benchmark"] == "averitec" and report["details"]["claims"] == 40
    systems = {s["system"]: s["metrics"] for s in report["systems"]}
    factdesk = systems["factdesk (trained-verdict)"]
    for metric in ("accuracy", "macro_f1", "f1_supported", "f1_refuted", "f1_nee", "f1_conflicting", "ece"):
        assert 0.0 <= factdesk[metric] <= 1.0
    assert report["primary"]["macro_f1"] == factdesk["macro_f1"]
    assert "factdesk (stance-vote)" in systems and "majority class (Refuted)" in systems
    assert report["details"]["baseline"]["claims_covered"] == 40
    assert (plots / "averitec_dev_confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert (plots / "averitec_dev_reliability.png").read_bytes()[:4] == b"\x89PNG"


def test_unknown_evaluator_exits_2(factdesk, tmp_path: Path) -> None:
    result = factdesk("eval", "no-such-benchmark", "--data-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "no evaluator named 'no-such-benchmark'" in result.stderr and "averitec" in result.stderr


def test_missing_data_dir_exits_2(factdesk, tmp_path: Path) -> None:
    result = factdesk("eval", "averitec", "--data-dir", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "data folder" in result.stderr and "not found" in result.stderr


def test_averitec_without_its_folder_or_split_exits_2(factdesk, tmp_path: Path) -> None:
    result = factdesk("eval", "averitec", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "AVeriTeC data not found" in result.stderr
    (tmp_path / "averitec").mkdir()
    result = factdesk("eval", "averitec", "--split", "test", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "no labeled 'test' split" in result.stderr


def test_train_without_the_train_extra_says_how_to_install(factdesk, monkeypatch, tmp_path: Path) -> None:
    from factdesk.cli import train_eval

    monkeypatch.setattr(train_eval.importlib.util, "find_spec", lambda name: None)
    for model in ("stance", "verdict", "liar"):
        result = factdesk("train", model, "--data-dir", str(tmp_path))
        assert result.exit_code == 2
        assert "pip install -e '.[train]'" in result.stderr

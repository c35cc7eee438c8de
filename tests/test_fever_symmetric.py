"""FEVER-Symmetric: the loader's errors, the claim-only model and bias rule, and the evaluator on 40 real pairs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA

from factdesk import registry
from factdesk.datasets.fever_symmetric import DATA_SUBDIR, SymmetricPair, load_pairs
from factdesk.errors import FactdeskError
from factdesk.evaluate.base import EvalReport
from factdesk.evaluate.claim_only import ClaimOnlyModel
from factdesk.evaluate.fever_symmetric import (
    SYSTEM_2WAY,
    SYSTEM_3WAY,
    SYSTEM_CLAIM_ONLY,
    SYSTEM_MAJORITY,
    FeverSymmetricEvaluator,
    metrics,
    tune_bias,
    two_way,
)

needs_data = pytest.mark.skipif(
    not (SHARED_DATA / DATA_SUBDIR / "fever_symmetric_dev.jsonl").is_file(),
    reason=f"FEVER-Symmetric data not found in {SHARED_DATA / DATA_SUBDIR} (shared data folder absent)",
)


def _write(data_dir: Path, split: str, lines: list[str]) -> Path:
    folder = data_dir / DATA_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fever_symmetric_{split}.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _record(i: int, label: str, claim: str = "The Cretaceous ended .") -> str:
    return json.dumps({"id": str(i), "claim": claim, "evidence": f"Evidence -LRB- {i} -RRB- .", "label": label})


def test_load_pairs_reads_labels_in_order(tmp_path: Path) -> None:
    _write(tmp_path, "dev", [_record(1, "SUPPORTS"), "", _record(2, "REFUTES")])
    pairs = load_pairs(tmp_path, "dev")
    assert pairs == [
        SymmetricPair("1", "The Cretaceous ended .", "Evidence -LRB- 1 -RRB- .", "supports"),
        SymmetricPair("2", "The Cretaceous ended .", "Evidence -LRB- 2 -RRB- .", "refutes"),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"id": "3", "claim": "c", "evidence": "e"}), "missing field 'label'"),
        (json.dumps({"id": "3", "claim": "c", "evidence": "e", "label": "NOT ENOUGH INFO"}), "SUPPORTS or REFUTES"),
        (json.dumps({"id": "3", "claim": "", "evidence": "e", "label": "REFUTES"}), "'claim' must be"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_load_pairs_names_file_and_line_of_a_bad_line(tmp_path: Path, line: str, reason: str) -> None:
    path = _write(tmp_path, "test", [_record(1, "SUPPORTS"), _record(2, "REFUTES"), line])
    with pytest.raises(FactdeskError) as info:
        load_pairs(tmp_path, "test")
    assert str(info.value).startswith(f"{path}:3: ")
    assert reason in str(info.value)


def test_load_pairs_missing_file_and_bad_split(tmp_path: Path) -> None:
    with pytest.raises(FactdeskError, match=r"fever_symmetric_dev\.jsonl"):
        load_pairs(tmp_path, "dev")
    with pytest.raises(FactdeskError, match="must be one of dev, test"):
        load_pairs(tmp_path, "train")
    with pytest.raises(FactdeskError, match="must be one of dev, test"):
        FeverSymmetricEvaluator().run(tmp_path, "train")


def test_claim_only_model_learns_a_cue_and_ties_on_symmetric_claims() -> None:
    claims = ["X did not win", "Y did not play", "X won a prize", "Y played well"]
    labels = ["refutes", "refutes", "supports", "supports"]
    model = ClaimOnlyModel().fit(claims, labels)
    assert model.predict(["Z did not sing", "Z won"]) == ["refutes", "supports"]
    symmetric = ClaimOnlyModel().fit(["A is B", "A is B"], ["refutes", "supports"])
    (refutes, supports) = symmetric.scores(["A is B"])[0]
    assert refutes == supports


def test_bias_is_tuned_for_accuracy_and_metrics_count_neutral_as_wrong() -> None:
    scores = np.array([-2.0, -1.0, -0.5, 1.0])  # log-odds supports vs refutes
    gold = ["refutes", "supports", "supports", "supports"]
    assert two_way(scores, 0.0) == ["refutes", "refutes", "refutes", "supports"]
    bias, best = tune_bias(scores, gold)
    assert best == 1.0 and 1.0 < bias <= 2.0
    m = metrics(["supports", "refutes", "refutes", "supports"], ["supports", "neutral", "refutes", "neutral"])
    assert m["accuracy"] == 0.5 and m["neutral_rate"] == 0.5
    assert m["f1_supports"] == pytest.approx(2 / 3) and m["f1_refutes"] == pytest.approx(2 / 3)


@needs_data
@pytest.mark.parametrize("split", ["dev", "test"])
def test_evaluator_end_to_end_on_40_pairs(split: str, tmp_path: Path) -> None:
    evaluator = registry.create("evaluator", "fever-symmetric", limit=40)
    assert isinstance(evaluator, FeverSymmetricEvaluator)
    report = evaluator.run(SHARED_DATA, split, plots_dir=tmp_path)
    assert isinstance(report, EvalReport)
    assert report.benchmark == "fever-symmetric" and report.split == split
    assert report.primary_metric == "accuracy" and report.systems[0].system == SYSTEM_2WAY
    names = [s.system for s in report.systems]
    assert {SYSTEM_2WAY, SYSTEM_3WAY, SYSTEM_MAJORITY, SYSTEM_CLAIM_ONLY} <= set(names)
    for s in report.systems:
        assert set(s.metrics) == {"accuracy", "macro_f1", "f1_supports", "f1_refutes", "neutral_rate"}
        assert all(0.0 <= v <= 1.0 for v in s.metrics.values())
    details = report.details
    assert details["pairs"] == 40 and details["dev_pairs_for_tuning"] == 40
    assert sum(details["gold_counts"].values()) == 40
    assert details["data_file"].endswith(f"fever_symmetric_{split}.jsonl")
    assert isinstance(details["bias_b"], float)
    assert "FEVER" in details["claims_origin"]
    assert report.systems[0].metrics["neutral_rate"] == 0.0
    assert report.primary > 0.55  # the stance model reads the evidence: clearly above the claim-only 0.5
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) == 2 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)

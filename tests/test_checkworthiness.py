"""Check-worthiness: the trained model's numpy inference against its training-time scores, the metrics, and the
CheckThat! 2024 evaluator on the real data (skipped when ../shared/data/checkthat2024 is absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from factdesk.claims.checkworthiness import MODEL_PATH, CheckworthinessModel
from factdesk.claims.extract import ClaimExtractor, rule_score
from factdesk.evaluate.checkworthiness import precision_recall_points, ranking_scores
from tests.conftest import SHARED_DATA

CT24 = SHARED_DATA / "checkthat2024"


def test_numpy_inference_gives_the_training_time_scores():
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    model = CheckworthinessModel.from_json(data)
    checks = data["checks"]
    texts = [c["sentence"] for c in checks]
    assert [list(f) for f in ClaimExtractor(scorer="rules").features(texts)] == [c["features"] for c in checks]
    scores = model.scores(texts, [c["features"] for c in checks])
    np.testing.assert_allclose(scores, [c["score"] for c in checks], atol=1e-4)
    assert min(scores) < 0.5 < max(scores)


def test_rules_scorer_stays_selectable():
    texts = ["Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years.", "Thank you all."]
    rules = ClaimExtractor(scorer="rules")
    features = rules.features(texts)
    assert list(rules.scores(texts, features)) == [rule_score(f) for f in features]
    assert not np.allclose(ClaimExtractor().scores(texts, features), rules.scores(texts, features))


def test_ranking_scores_by_hand():
    gold = [True, False, True, False, False]
    scores = np.array([0.9, 0.8, 0.4, 0.3, 0.6])
    metrics = ranking_scores(gold, scores, threshold=0.5)
    assert metrics["precision"] == pytest.approx(1 / 3) and metrics["recall"] == pytest.approx(1 / 2)
    assert metrics["f1"] == pytest.approx(0.4)
    assert metrics["p@10"] == pytest.approx(2 / 10)  # k beyond the list counts the missing rows as misses
    assert metrics["average_precision"] == pytest.approx((1 + 2 / 4) / 2)
    recalls, precisions = precision_recall_points(gold, scores)
    assert recalls == [0.0, 0.5, 0.5, 0.5, 1.0, 1.0] and precisions[:3] == [1.0, 1.0, 0.5]


@pytest.mark.skipif(not CT24.is_dir(), reason=f"CheckThat! 2024 data not found at {CT24} (shared data, report-only)")
def test_eval_checkworthiness_on_ct24_dev_test(factdesk, tmp_path):
    result = factdesk(
        "eval",
        "checkworthiness",
        "--split",
        "dev-test",
        "--data-dir",
        str(SHARED_DATA),
        "--json",
        str(tmp_path / "r.json"),
        "--plots",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["details"]["sentences"] == 318 and report["details"]["checkworthy"] == 74
    systems = {s["system"].split(" (")[0]: s["metrics"] for s in report["systems"]}
    assert list(systems) == ["factdesk model", "rule-based scorer", "always-Yes"]
    assert systems["always-Yes"]["precision"] == pytest.approx(74 / 318) and systems["always-Yes"]["recall"] == 1
    for metrics in systems.values():
        p, r = metrics["precision"], metrics["recall"]
        assert metrics["f1"] == pytest.approx(2 * p * r / (p + r))
        assert set(metrics) == {"f1", "precision", "recall", "p@10", "p@25", "p@50", "average_precision"}
    assert systems["factdesk model"]["f1"] > systems["always-Yes"]["f1"]
    assert (tmp_path / "checkworthiness_dev-test_pr.png").stat().st_size > 10_000
    card = (MODEL_PATH.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert f"| trained model | {systems['factdesk model']['f1']:.3f} |" in card  # the card's dev-test row


@pytest.mark.skipif(not CT24.is_dir(), reason=f"CheckThat! 2024 data not found at {CT24} (shared data, report-only)")
def test_unknown_split_is_refused(factdesk):
    result = factdesk("eval", "checkworthiness", "--split", "test", "--data-dir", str(SHARED_DATA))
    assert result.exit_code != 0 and "checkworthiness splits are dev, dev-test" in result.output + result.stderr

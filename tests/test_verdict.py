"""The trained verdict aggregator: loads offline, returns normalised probabilities, and rules sensibly on real
evidence scored by the real stance model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from factdesk import registry
from factdesk.records import STANCE_LABELS, VERDICT_LABELS, Claim, Document, Evidence, Passage
from factdesk.urls import domain
from factdesk.verify.cross_encoder import CrossEncoderStance
from factdesk.verify.verdict import (
    DEFAULT_MODEL,
    DENSE_FEATURES,
    FeatureSpec,
    TrainedVerdictAggregator,
    VerdictFeaturizer,
    VerdictModel,
)

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"no trained verdict model at {DEFAULT_MODEL}")


@pytest.fixture(scope="module")
def aggregator() -> TrainedVerdictAggregator:
    aggregator = registry.create("aggregator", "trained-verdict")
    aggregator.warm_up()
    return aggregator


@pytest.fixture(scope="module")
def stance() -> CrossEncoderStance:
    model = CrossEncoderStance()
    model.warm_up()
    return model


def weigh(stance: CrossEncoderStance, claim: Claim, texts: list[str]) -> list[Evidence]:
    """Evidence records as the pipeline builds them, with the stance model's real probabilities."""
    evidence = []
    for i, (text, row) in enumerate(zip(texts, stance.predict(claim.text, texts), strict=True)):
        doc = Document(id=f"d{i}", text=text, url=f"https://news.example/{i}", outlet="news.example")
        probs = {label: float(p) for label, p in zip(STANCE_LABELS, row, strict=True)}
        evidence.append(
            Evidence(
                Passage(doc.id, 0, len(text), text),
                doc,
                STANCE_LABELS[int(np.argmax(row))],
                probs,
                {"retrieval": 1.0, "relevance": 1.0 - probs["neutral"]},
            )
        )
    return evidence


def test_probabilities_are_normalised(aggregator: TrainedVerdictAggregator, stance: CrossEncoderStance) -> None:
    claim = Claim("The unemployment rate in Nigeria rose to 33 percent in 2020.")
    for evidence in ([], weigh(stance, claim, ["Nigeria's unemployment rate rose to 33.3% in the fourth quarter."])):
        scores = aggregator.run(claim, evidence)
        assert tuple(scores) == VERDICT_LABELS
        assert math.isclose(sum(scores.values()), 1.0, abs_tol=1e-6)
        assert all(0.0 <= p <= 1.0 for p in scores.values())


def test_refuting_evidence_gives_refuted(aggregator: TrainedVerdictAggregator, stance: CrossEncoderStance) -> None:
    claim = Claim("A photo shows Pope Francis wearing a white puffer jacket at the Vatican.")
    texts = [
        "Is the photo of the pope in a puffer jacket real? No, the image is fake: it was generated with the AI tool "
        "Midjourney and first shared on Reddit.",
        "Did Pope Francis wear a puffer jacket? No. The Vatican said the pope never wore such a jacket; the picture "
        "was created by artificial intelligence.",
    ]
    scores = aggregator.run(claim, weigh(stance, claim, texts))
    assert max(scores, key=scores.__getitem__) == "Refuted"


def test_supporting_evidence_gives_supported(aggregator: TrainedVerdictAggregator, stance: CrossEncoderStance) -> None:
    claim = Claim("Joe Biden won the 2020 United States presidential election.")
    texts = [
        "Who won the 2020 United States presidential election? Joe Biden won the 2020 presidential election, "
        "defeating the incumbent Donald Trump.",
        "Was Joe Biden certified as the winner of the 2020 election? Yes. Congress certified Joe Biden's victory in "
        "the 2020 presidential election on 7 January 2021.",
    ]
    scores = aggregator.run(claim, weigh(stance, claim, texts))
    assert max(scores, key=scores.__getitem__) == "Supported"


def test_fact_features_compare_numbers_and_dates() -> None:
    featurizer = VerdictFeaturizer()
    claim = Claim("In March 2020 the minister said 4,000 nurses were hired.")
    evidence_text = "Records from March 2020 show that 1,200 nurses were hired."
    doc = Document(id="d", text=evidence_text)
    neutral = {"supports": 0.0, "refutes": 0.0, "neutral": 1.0}
    evidence = [Evidence(Passage("d", 0, len(evidence_text), evidence_text), doc, "neutral", neutral, {})]
    features = dict(zip(DENSE_FEATURES, featurizer.dense(claim, evidence), strict=True))
    assert features["claim_has_numbers"] == 1.0 and features["numbers_found"] == 0.0
    assert features["numbers_conflict"] == 1.0
    assert features["months_found"] == 1.0


def test_domains_and_gbdt_export() -> None:
    assert domain("https://web.archive.org/web/2020/https://www.example.com/a?b=1") == "example.com"
    assert domain("http://archive.org/web/2020/https://www.example.com/a") == "example.com"
    assert domain("http://WWW.News.Example:8080/x") == "news.example"
    assert domain("example.com/page") == "example.com"  # a bare host, as deny lists write them
    tree = {"left": [1, -1, -1], "right": [2, -1, -1], "feature": [0, -2, -2], "threshold": [0.5, 0, 0],
            "value": [0.0, -1.0, 2.0]}  # fmt: skip
    params = {"learning_rate": 0.5, "init": [0.0, 0.0], "trees": [[tree, tree]]}
    model = VerdictModel("gbdt", FeatureSpec(("x",)), ("a", "b"), np.zeros(1), np.ones(1), params, np.zeros(2), 1.0)
    assert model.raw(np.array([[0.0], [1.0]])).tolist() == [[-0.5, -0.5], [1.0, 1.0]]

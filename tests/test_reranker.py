"""The evidence reranker (the stance model's relevance output): its judgement, and its place in evidence ranking."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import doc, write_jsonl

from factdesk import Claim, Config, FactDesk
from factdesk.config import VerifyConfig
from factdesk.errors import FactdeskError
from factdesk.onnx_model import clear_logits_cache
from factdesk.retrieve.rerank import DEFAULT_MODEL_DIR, CrossEncoderReranker
from factdesk.verify.cross_encoder import CrossEncoderStance

CLAIM = "The Glenholm bridge opened to traffic in 1990"


def test_the_shipped_reranker_prefers_the_passage_that_answers_the_claim() -> None:
    assert CrossEncoderStance(str(DEFAULT_MODEL_DIR)).outputs == 4, "three stance logits and the relevance one"
    reranker = CrossEncoderReranker()
    scores = reranker.run(
        CLAIM,
        [
            "Local records show the Glenholm bridge was opened to traffic in May 1994, four years late.",
            "The council raised parking fees by 3 percent in 2019.",
            "A recipe for lemon cake with poppy seeds.",
        ],
    )
    assert scores.shape == (3,) and ((scores > 0) & (scores < 1)).all()
    assert scores[0] > max(scores[1], scores[2]) + 0.2


class _CountingSession:
    def __init__(self, session) -> None:
        self.session, self.calls = session, 0

    def run(self, *args, **kwargs):
        self.calls += 1
        return self.session.run(*args, **kwargs)


def test_the_stance_model_and_the_reranker_share_one_pass_and_its_numbers() -> None:
    passages = ["The Glenholm bridge was opened to traffic in May 1994.", "Parking fees rose by 3 percent in 2019."]
    pairs = [(CLAIM, p) for p in passages]
    clear_logits_cache()
    stance, reranker = CrossEncoderStance(negation_scope=False), CrossEncoderReranker()
    assert stance.max_length == reranker.max_length, "one length, so one pass"
    reranker.warm_up()
    reranker._session = counting = _CountingSession(reranker._session)
    logits = stance.logits(pairs)
    relevance = reranker.score_pairs(pairs)
    assert counting.calls == 0 and (relevance == logits[:, -1]).all()
    reranker.score_pairs(pairs[:1])  # other pairs: a pass of its own
    assert counting.calls == 1
    clear_logits_cache()
    assert (reranker.score_pairs(pairs) == relevance).all()  # what a new pass gives


def _corpus(tmp_path):
    return write_jsonl(
        tmp_path / "d.jsonl",
        [
            doc("answer", "The Glenholm bridge was opened to traffic in May 1994, four years late.", "1995-01-10"),
            doc("nearby", "Glenholm opened a new library in 1990; the bridge plans were still on paper.", "1995-01-11"),
            doc("other", "Glenholm council raised parking fees by 3 percent.", "1995-01-12", outlet="Other Wire"),
        ],
    )


def test_evidence_carries_the_reranker_score_and_is_ranked_by_it(tmp_path) -> None:
    corpus = _corpus(tmp_path)
    with FactDesk(tmp_path / "store") as desk:
        desk.ingest([corpus])
        check = desk.check(Claim(CLAIM, date=date(1996, 1, 1)), save=False)
    assert check.evidence, "the corpus answers the claim"
    for evidence in check.evidence:
        assert 0.0 < evidence.scores["rerank"] < 1.0
    by_rerank = {e.document.id: e.scores["rerank"] for e in check.evidence}
    assert by_rerank["answer"] == max(by_rerank.values())
    assert check.evidence[0].document.id == "answer"

    config = Config(verify=VerifyConfig(reranker=""))
    with FactDesk(tmp_path / "store", config) as desk:
        assert desk.reranker is None
        plain = desk.check(Claim(CLAIM, date=date(1996, 1, 1)), save=False)
    assert plain.evidence and all("rerank" not in e.scores for e in plain.evidence)


def test_ranking_weights_that_leave_retrieval_a_negative_share_are_refused(tmp_path) -> None:
    config = Config(verify=VerifyConfig(rerank_weight=0.8, relevance_weight=0.5))
    with pytest.raises(FactdeskError, match="rerank_weight \\+ relevance_weight must be at most 1"):
        FactDesk(tmp_path / "store", config)
    with pytest.raises(FactdeskError, match="no reranker backend named 'nope'"):
        FactDesk(tmp_path / "store", Config(verify=VerifyConfig(reranker="nope")))

"""Does the verdict follow the evidence? Four probes of a claim-only shortcut (``factdesk eval grounding``).

(a) AVeriTeC dev claims, each given another claim's gold evidence (a random claim's; and, harder, the most similar
    claim's that is not the same claim reworded): the honest verdict is Not Enough Evidence, and its rate is
    reported.
(b) AVeriTeC dev end to end on the closed corpus (gold-answer pool) with each claim's own gold answers removed, so
    nothing relevant is left to find: the rate of Not Enough Evidence, over all claims and over those with no
    near-duplicate claim in the pool (a fifth of dev claims have one, whose answers may still answer them). The
    same claims with their answers present are the ``averitec-retrieval`` evaluator's run.
(c) FEVER-Symmetric v0.2 test: stance pair accuracy (``fever-symmetric``), where a claim's wording cannot give the
    answer away.
(d) A contrast set: dev claims rated Supported, each minimally edited (negation, another number, date or entity;
    ``factdesk.evaluate.contrast``) and checked against the same gold evidence: the rate of edits that change the
    verdict.

Each is set beside the train majority class and a claim-only model (naive Bayes on the claim's words), measured in
the same run. The closed corpus is made of the benchmark's gold answers; it is not the AVeriTeC leaderboard's
setting, and its figures are never compared with the leaderboard's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from factdesk import registry
from factdesk.config import Config, VerifyConfig
from factdesk.datasets.averitec import MAX_SIMILARITY, AveritecItem, load_split, misinfo_list, others_evidence, tfidf
from factdesk.errors import FactdeskError
from factdesk.evaluate.averitec import classification_metrics, with_evidence
from factdesk.evaluate.averitec_retrieval import AveritecRetrievalEvaluator
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.claim_only import ClaimOnlyModel
from factdesk.evaluate.contrast import ContrastEditor
from factdesk.evaluate.fever_symmetric import FeverSymmetricEvaluator
from factdesk.records import VERDICT_LABELS
from factdesk.registry import register
from factdesk.verify.relevance import RelevanceGate, relevant

NEE = "Not Enough Evidence"


@register("evaluator", "grounding")
@dataclass
class GroundingEvaluator:
    """``limit``: the first N dev claims (and FEVER-Symmetric pairs); ``closed_corpus``: run probe (b), which checks
    every claim end to end through the pipeline (minutes); ``seed``: which other claim's evidence each gets;
    ``profile``: the shipped profile whose models are probed ("" for the defaults)."""

    limit: int | None = None
    closed_corpus: bool = True
    seed: int = 13
    profile: str = ""
    name: str = "grounding"

    def run(self, data_dir: Path, split: str = "dev", plots_dir: Path | None = None, progress: bool = False):
        if split != "dev":
            raise FactdeskError("grounding probes AVeriTeC dev (and FEVER-Symmetric test, tuned on its dev)")
        dev = load_split(data_dir, "dev")[: self.limit]
        train = load_split(data_dir, "train")
        majority = Counter(i.label for i in train).most_common(1)[0][0]
        claim_only = ClaimOnlyModel().fit([i.claim.text for i in train], [i.label for i in train])
        with misinfo_list(data_dir):
            judge = _Judge(Config.load(profile=self.profile).verify, progress)

        own = judge.verdicts(dev)
        unrelated = judge.verdicts(others_evidence(dev, self.seed))
        similar = judge.verdicts(others_evidence(dev, self.seed, similar=True))
        edits, edited = self._contrast(dev, own, train, judge)
        stance_dir = str(judge.stance.model_dir)
        fever = FeverSymmetricEvaluator(limit=self.limit, model_dir=stance_dir).run(data_dir, "test", progress=progress)
        fever_rows = {s.system: s.metrics for s in fever.systems}
        gold = [i.label for i in dev]
        claim_only_dev = claim_only.predict([i.claim.text for i in dev])

        factdesk = {
            "nee_rate_unrelated_evidence": _rate(unrelated, NEE),
            "nee_rate_similar_topic_evidence": _rate(similar, NEE),
            "fever_symmetric_accuracy": fever.primary,
            "contrast_flip_rate": _flip_rate(edits, own, edited),
            **{f"gold_evidence_{k}": v for k, v in classification_metrics(gold, own).items()},
        }
        claim_only_edited = claim_only.predict([e.edited for _, e in edits])
        baseline_claim_only = {
            "nee_rate_unrelated_evidence": _rate(claim_only_dev, NEE),
            "nee_rate_similar_topic_evidence": _rate(claim_only_dev, NEE),
            "fever_symmetric_accuracy": _claim_only_row(fever_rows)["accuracy"],
            "contrast_flip_rate": _flip_rate(edits, claim_only_dev, claim_only_edited),
            **{f"gold_evidence_{k}": v for k, v in classification_metrics(gold, claim_only_dev).items()},
        }
        baseline_majority = {
            "nee_rate_unrelated_evidence": float(majority == NEE),
            "nee_rate_similar_topic_evidence": float(majority == NEE),
            "fever_symmetric_accuracy": _majority_row(fever_rows)["accuracy"],
            "contrast_flip_rate": 0.0,
            **{f"gold_evidence_{k}": v for k, v in classification_metrics(gold, [majority] * len(gold)).items()},
        }
        details: dict[str, Any] = {
            "claims": len(dev),
            "gold_labels": dict(Counter(gold)),
            "relevance_gate": {"threshold": judge.gate.threshold, "min_content_words": judge.gate.min_content_words},
            "predicted": {
                "own_evidence": dict(Counter(own)),
                "unrelated_evidence": dict(Counter(unrelated)),
                "similar_topic_evidence": dict(Counter(similar)),
            },
            "contrast": _contrast_details(edits, own, edited),
            "fever_symmetric": {"systems": fever_rows, "details": fever.details},
        }
        if self.closed_corpus:
            closed = AveritecRetrievalEvaluator(
                limit=self.limit, retrievers=("hybrid",), without_own_answers=True, profile=self.profile
            )
            report = closed.run(data_dir, "dev", progress=progress)
            labels = [row["label"] for row in report.details["hybrid"]["claims"]]
            unique = near_duplicate_similarity(dev, train) < MAX_SIMILARITY
            factdesk["nee_rate_own_answers_removed"] = _rate(labels, NEE)
            factdesk["nee_rate_own_answers_removed_no_near_duplicate"] = _rate(_where(labels, unique), NEE)
            for scores, predicted in (
                (baseline_claim_only, claim_only_dev),
                (baseline_majority, [majority] * len(dev)),
            ):
                scores["nee_rate_own_answers_removed"] = _rate(predicted, NEE)
                scores["nee_rate_own_answers_removed_no_near_duplicate"] = _rate(_where(predicted, unique), NEE)
            details["own_answers_removed"] = {
                "predicted": report.details["hybrid"]["predicted_labels"],
                "nee_causes": report.details["hybrid"]["nee_causes"],
                "claims_without_a_near_duplicate": int(unique.sum()),
                "note": "closed corpus (gold-answer pool), each claim's own answers removed; not the leaderboard. "
                f"A claim with a near-duplicate in the pool (TF-IDF cosine >= {MAX_SIMILARITY}) may still find "
                "answers to it among that claim's answers",
            }
        systems = [
            SystemScores("factdesk (relevance gate + grounded verdict)", factdesk),
            SystemScores(f"majority class ({majority})", baseline_majority),
            SystemScores("claim-only model (naive Bayes on claim words)", baseline_claim_only),
        ]
        return EvalReport("grounding", split, "nee_rate_unrelated_evidence", systems, details)

    @staticmethod
    def _contrast(
        dev: Sequence[AveritecItem], own: Sequence[str], train: Sequence[AveritecItem], judge: _Judge
    ) -> tuple[list[tuple[int, Any]], list[str]]:
        """Minimal edits of the Supported dev claims, and the verdicts on them with the same evidence."""
        editor = ContrastEditor()
        editor.warm_up()
        pool = editor.entity_pool([i.claim.text for i in train])
        edits = [
            (k, edit)
            for k, item in enumerate(dev)
            if item.label == "Supported"
            for edit in editor.edits(item.claim.text, pool)
        ]
        items = [replace(dev[k], claim=replace(dev[k].claim, text=edit.edited)) for k, edit in edits]
        return edits, judge.verdicts(items)


class _Judge:
    """The configured models as the pipeline runs them on given evidence: stance, relevance gate, verdict."""

    def __init__(self, verify: VerifyConfig, progress: bool) -> None:
        self.gate = RelevanceGate(verify.relevance_threshold, verify.min_content_words)
        self.progress = progress
        self.stance = registry.build("stance", verify.stance_model)
        self.reranker = registry.build("reranker", verify.reranker) if verify.reranker else None
        self.aggregator = registry.build("aggregator", verify.aggregator)
        self.reader = registry.build("reader", verify.reader) if verify.reader else None

    def verdicts(self, items: Sequence[AveritecItem]) -> list[str]:
        self.aggregator.warm_up()
        gated = with_evidence(items, self.stance, self.progress, self.reranker, self.gate, self.reader)
        labels = []
        for item, evidence in zip(items, gated, strict=True):
            scores = self.aggregator.run(item.claim, relevant(evidence))
            labels.append(max(VERDICT_LABELS, key=scores.__getitem__))
        return labels


def near_duplicate_similarity(claims: Sequence[AveritecItem], pool: Sequence[AveritecItem]) -> np.ndarray:
    """For each claim, the TF-IDF cosine of the most similar other claim among ``claims`` and ``pool``."""
    vectors = tfidf([i.claim.text for i in (*claims, *pool)])
    similarity = vectors[: len(claims)] @ vectors.T
    similarity[np.arange(len(claims)), np.arange(len(claims))] = -1.0
    return similarity.max(axis=1)


def _where(labels: Sequence[str], mask: np.ndarray) -> list[str]:
    return [label for label, keep in zip(labels, mask, strict=True) if keep]


def _rate(labels: Sequence[str], label: str) -> float:
    return float(np.mean([x == label for x in labels])) if labels else 0.0


def _flip_rate(edits: Sequence[tuple[int, Any]], original: Sequence[str], edited: Sequence[str]) -> float:
    return float(np.mean([original[k] != e for (k, _), e in zip(edits, edited, strict=True)])) if edits else 0.0


def _contrast_details(edits: Sequence[tuple[int, Any]], original: Sequence[str], edited: Sequence[str]) -> dict:
    by_kind: dict[str, list[bool]] = {}
    from_supported = []
    for (k, edit), label in zip(edits, edited, strict=True):
        by_kind.setdefault(edit.kind, []).append(original[k] != label)
        if original[k] == "Supported":
            from_supported.append(label != "Supported")
    return {
        "edits": len(edits),
        "flip_rate_by_kind": {kind: round(float(np.mean(f)), 4) for kind, f in by_kind.items()},
        "edits_of_claims_predicted_supported": len(from_supported),
        "flip_rate_when_predicted_supported": round(float(np.mean(from_supported)), 4) if from_supported else None,
        "examples": [
            {"kind": e.kind, "original": e.original, "edited": e.edited, "before": original[k], "after": label}
            for (k, e), label in list(zip(edits, edited, strict=True))[:12]
        ],
    }


def _claim_only_row(rows: dict[str, dict[str, float]]) -> dict[str, float]:
    return next(m for name, m in rows.items() if name.startswith("claim-only"))


def _majority_row(rows: dict[str, dict[str, float]]) -> dict[str, float]:
    return next(m for name, m in rows.items() if name.startswith("majority"))

"""CLIMATE-FEVER (Diggelmann et al. 2020): stance of each (claim, evidence sentence) pair, and the claim's label.

The stance model trained on 70% of the claims; this evaluator scores only the other 30%, the claims with
``int(sha1(claim_id), 16) % 100 < 30`` (``factdesk.datasets.climate_fever.HELD_OUT_PERCENT``).

The model is conservative (many supports/refutes pairs come out neutral), so a second row shows it with two
log-probability offsets fitted to this domain. They are cross-fitted: each claim's pairs are corrected with
offsets chosen on the other folds' claims, so the row is an honest estimate of what in-domain calibration buys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.datasets.climate_fever import HELD_OUT_PERCENT, VERDICT_OF, ClimateClaim, load_claims
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label, macro_f1
from factdesk.evaluate.plots import confusion_png, expected_calibration_error, reliability_png
from factdesk.records import VERDICT_LABELS, Claim, Document, Evidence, Passage
from factdesk.registry import register
from factdesk.verify.aggregate import StanceVoteAggregator
from factdesk.verify.base import STANCE_LABELS, softmax
from factdesk.verify.baseline import LexicalStanceBaseline
from factdesk.verify.cross_encoder import CrossEncoderStance

OFFSET_GRID = np.arange(-1.0, 3.01, 0.25)  # log-probability offsets tried for supports and refutes


def fit_offsets(log_probs: np.ndarray, gold: np.ndarray, grid: np.ndarray = OFFSET_GRID) -> np.ndarray:
    """Additive log-probability offsets for (supports, refutes; neutral fixed at 0) maximising macro-F1."""
    best, best_score = np.zeros(3), -1.0
    for s in grid:
        for r in grid:
            offsets = np.array([s, r, 0.0])
            score = _macro_f1_idx(gold, (log_probs + offsets).argmax(axis=1))
            if score > best_score + 1e-12:
                best, best_score = offsets, score
    return best


def cross_fitted_offsets(
    log_probs: np.ndarray, gold: np.ndarray, groups: Sequence[str], folds: int = 5
) -> tuple[np.ndarray, list[list[float]]]:
    """Offset-corrected log-probabilities, each claim's pairs corrected with offsets fitted on the other folds
    (folds by sha1 of the claim id, so a claim's evidence never informs its own correction)."""
    fold = np.array([int(hashlib.sha1(f"fold:{g}".encode()).hexdigest(), 16) % folds for g in groups])
    corrected = log_probs.copy()
    fitted = []
    for k in range(folds):
        test = fold == k
        if not test.any() or test.all():
            continue
        offsets = fit_offsets(log_probs[~test], gold[~test])
        corrected[test] += offsets
        fitted.append([round(float(x), 2) for x in offsets])
    return corrected, fitted


def _macro_f1_idx(gold: np.ndarray, predicted: np.ndarray, n_labels: int = 3) -> float:
    scores = []
    for label in range(n_labels):
        tp = np.sum((gold == label) & (predicted == label))
        fp = np.sum((gold != label) & (predicted == label))
        fn = np.sum((gold == label) & (predicted != label))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def claim_verdicts(claims: Sequence[ClimateClaim], probs: np.ndarray, aggregator: StanceVoteAggregator) -> list[str]:
    """Each claim's verdict from its evidence sentences, through the pipeline's aggregator."""
    verdicts, row = [], 0
    for claim in claims:
        evidence = []
        for e in claim.evidence:
            p = probs[row]
            row += 1
            document = Document(id=e.article, text=e.text, title=e.article)
            evidence.append(
                Evidence(
                    passage=Passage(e.evidence_id, 0, len(e.text), e.text),
                    document=document,
                    stance=STANCE_LABELS[int(np.argmax(p))],
                    stance_probabilities={label: float(x) for label, x in zip(STANCE_LABELS, p, strict=True)},
                    scores={"retrieval": 0.0, "relevance": 1.0},
                )
            )
        scores = aggregator.run(Claim(claim.text, id=claim.claim_id), evidence)
        verdicts.append(max(VERDICT_LABELS, key=lambda label: scores[label]))
    return verdicts


@register("evaluator", "climate-fever")
class ClimateFeverEvaluator:
    """Pair-level stance macro-F1 (primary) and claim-level verdicts on the held-out CLIMATE-FEVER claims."""

    name = "climate-fever"
    primary_metric = "macro_f1"

    def __init__(self, limit: int | None = None, stance: CrossEncoderStance | None = None) -> None:
        self.limit = limit
        self.stance = stance or CrossEncoderStance()

    def run(
        self, data_dir: Path, split: str = "dev", plots_dir: Path | None = None, progress: bool = False
    ) -> EvalReport:
        if split not in ("dev", "heldout"):
            raise ValueError("climate-fever has one evaluation split, 'dev' (alias 'heldout'): the held-out claims")
        claims = load_claims(Path(data_dir), "heldout")[: self.limit]
        pairs = [(c.text, e.text) for c in claims for e in c.evidence]
        gold = [e.stance for c in claims for e in c.evidence]
        groups = [c.claim_id for c in claims for _ in c.evidence]
        gold_verdicts = [c.verdict for c in claims]
        probs = self.stance.predict_pairs(pairs)
        gold_idx = np.array([STANCE_LABELS.index(g) for g in gold])
        corrected, fitted = cross_fitted_offsets(np.log(np.maximum(probs, 1e-9)), gold_idx, groups)
        corrected_probs = softmax(corrected)
        lexical = np.vstack([LexicalStanceBaseline().predict(c.text, [e.text for e in c.evidence]) for c in claims])
        aggregator = StanceVoteAggregator()
        predicted = _argmax_labels(probs)
        majority_pair = max(STANCE_LABELS, key=gold.count)
        majority_claim = max(VERDICT_LABELS, key=gold_verdicts.count)
        systems = [
            _scores(
                "factdesk cross-encoder", gold, predicted, gold_verdicts, claim_verdicts(claims, probs, aggregator)
            ),
            _scores(
                "factdesk + label offsets (5-fold CV by claim)",
                gold,
                _argmax_labels(corrected_probs),
                gold_verdicts,
                claim_verdicts(claims, corrected_probs, aggregator),
            ),
            _scores(
                "lexical baseline",
                gold,
                _argmax_labels(lexical),
                gold_verdicts,
                claim_verdicts(claims, lexical, aggregator),
            ),
            _scores(
                f"majority ({majority_pair} / {majority_claim})",
                gold,
                [majority_pair] * len(gold),
                gold_verdicts,
                [majority_claim] * len(claims),
            ),
        ]
        confidence = probs.max(axis=1)
        correct = [g == p for g, p in zip(gold, predicted, strict=True)]
        systems[0].metrics["ece"] = expected_calibration_error(confidence, correct)
        matrix = confusion(gold, predicted, STANCE_LABELS)
        claim_matrix = confusion(gold_verdicts, claim_verdicts(claims, probs, aggregator), VERDICT_LABELS)
        plots = []
        if plots_dir is not None:
            plots_dir = Path(plots_dir)
            plots = [
                str(
                    confusion_png(
                        matrix, STANCE_LABELS, plots_dir / "climate_fever_pairs_confusion.png", "CLIMATE-FEVER pairs"
                    )
                ),
                str(
                    reliability_png(
                        confidence, correct, plots_dir / "climate_fever_pairs_reliability.png", "CLIMATE-FEVER pairs"
                    )
                ),
                str(
                    confusion_png(
                        claim_matrix,
                        VERDICT_LABELS,
                        plots_dir / "climate_fever_claims_confusion.png",
                        "CLIMATE-FEVER claims",
                    )
                ),
            ]
        return EvalReport(
            benchmark="climate-fever",
            split=split,
            primary_metric=self.primary_metric,
            systems=systems,
            details={
                "held_out": f"claims with int(sha1(claim_id), 16) % 100 < {HELD_OUT_PERCENT}, never trained on",
                "claims": len(claims),
                "pairs": len(pairs),
                "pair_labels": "evidence_label SUPPORTS/REFUTES/NOT_ENOUGH_INFO -> supports/refutes/neutral",
                "claim_labels": VERDICT_OF,
                "claim_aggregator": f"stance-vote (votes={aggregator.votes}) over the claim's 5 evidence sentences",
                "gold_pair_counts": {label: gold.count(label) for label in STANCE_LABELS},
                "gold_claim_counts": {label: gold_verdicts.count(label) for label in VERDICT_LABELS},
                "per_label_f1": f1_per_label(gold, predicted, STANCE_LABELS),
                "per_label_f1_with_offsets": f1_per_label(gold, _argmax_labels(corrected_probs), STANCE_LABELS),
                "offsets_per_fold (supports, refutes, neutral)": fitted,
                "unanimous_pairs": _unanimous(claims, gold, predicted, _argmax_labels(corrected_probs)),
                "confusion_rows_gold_cols_pred": matrix,
                "claim_confusion_rows_gold_cols_pred": claim_matrix,
                "stance_model": {"max_length": self.stance.max_length, "model_dir": str(self.stance.model_dir)},
            },
            plots=plots,
        )


def _unanimous(
    claims: Sequence[ClimateClaim], gold: list[str], predicted: list[str], corrected: list[str]
) -> dict[str, Any]:
    """Scores on the pairs whose annotators all agreed (vote entropy 0): how much is label noise."""
    keep = [e.entropy == 0 for c in claims for e in c.evidence]
    g = [x for x, k in zip(gold, keep, strict=True) if k]
    return {
        "n": len(g),
        "gold_counts": {label: g.count(label) for label in STANCE_LABELS},
        "macro_f1": macro_f1(g, [x for x, k in zip(predicted, keep, strict=True) if k], STANCE_LABELS),
        "macro_f1_with_offsets": macro_f1(g, [x for x, k in zip(corrected, keep, strict=True) if k], STANCE_LABELS),
    }


def _argmax_labels(probs: np.ndarray) -> list[str]:
    return [STANCE_LABELS[i] for i in probs.argmax(axis=1)]


def _scores(
    system: str, gold: list[str], predicted: list[str], gold_claims: list[str], predicted_claims: list[str]
) -> SystemScores:
    return SystemScores(
        system,
        {
            "macro_f1": macro_f1(gold, predicted, STANCE_LABELS),
            "accuracy": accuracy(gold, predicted),
            "claim_macro_f1": macro_f1(gold_claims, predicted_claims, VERDICT_LABELS),
            "claim_accuracy": accuracy(gold_claims, predicted_claims),
        },
    )

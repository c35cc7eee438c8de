"""FEVER-Symmetric v0.2 (Schuster et al. 2019): a stance diagnostic with the claim-only shortcut removed.

Every claim occurs twice, once with evidence that supports it and once with evidence that refutes it, so a model
that reads only the claim scores 0.5. The claims come from the FEVER shared-task dev set (400 of dev's and 430 of
test's are FEVER dev claims). The stance model never trained on a claim of this set: its stage 3 trains on other
FEVER dev claims' pairs only).

Systems, measured in the same run:

- ``factdesk stance (2-way, bias tuned on dev)`` (first, the primary): predict ``supports`` iff
  ``log P(supports) - log P(refutes) + b > 0``, with ``b`` chosen on the dev split, also when evaluating test;
- ``factdesk stance (3-way argmax)``: the stance model's argmax, a ``neutral`` prediction counting as wrong;
- ``majority class``: dev's majority label;
- ``claim-only (hypothesis-only) model``: a multinomial naive Bayes on claim unigrams and bigrams trained on the
  dev split's claims (out-of-fold by claim when evaluating dev);
- ``claim-only model (trained on FEVER dev claims)``, when ``fever/fever_labelled_dev.json`` is there: the same
  model trained on FEVER claims outside this set, to show that the cue it learns there does not transfer here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.datasets.fever_symmetric import (
    FEVER_DEV,
    FEVER_HELD_OUT_PERCENT,
    SPLITS,
    SymmetricPair,
    data_file,
    fever_held_out,
    load_fever_claims,
    load_pairs,
)
from factdesk.datasets.text import detokenize
from factdesk.errors import FactdeskError
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.claim_only import ClaimOnlyModel
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label
from factdesk.evaluate.plots import confusion_png
from factdesk.registry import register
from factdesk.verify.base import STANCE_LABELS
from factdesk.verify.cross_encoder import CrossEncoderStance

LABELS = ("supports", "refutes")
BIAS_GRID = np.round(np.arange(-8.0, 8.0001, 0.05), 2)  # log-odds offsets tried for the 2-way decision
CLAIM_ONLY_FOLDS = 5

SYSTEM_2WAY = "factdesk stance (2-way, bias tuned on dev)"
SYSTEM_3WAY = "factdesk stance (3-way argmax)"
SYSTEM_MAJORITY = "majority class"
SYSTEM_CLAIM_ONLY = "claim-only (hypothesis-only) model"
SYSTEM_CLAIM_ONLY_FEVER = "claim-only model (trained on FEVER dev claims)"


def claim_fold(claim: str, folds: int = CLAIM_ONLY_FOLDS) -> int:
    """A claim's fold, by sha1 of its text: both pairs of a symmetric claim fall in the same fold."""
    return int(hashlib.sha1(f"fold:{claim}".encode()).hexdigest(), 16) % folds


def out_of_fold_claim_only(pairs: Sequence[SymmetricPair]) -> list[str]:
    """Claim-only predictions for ``pairs``, each from a model trained on the other folds' claims."""
    folds = [claim_fold(p.claim) for p in pairs]
    predicted = [""] * len(pairs)
    for k in sorted(set(folds)):
        train = [p for p, f in zip(pairs, folds, strict=True) if f != k]
        test = [i for i, f in enumerate(folds) if f == k]
        if not train:  # one fold only (a tiny limit): nothing to learn from
            for i in test:
                predicted[i] = LABELS[0]
            continue
        model = ClaimOnlyModel().fit([p.claim for p in train], [p.label for p in train])
        for i, label in zip(test, model.predict([pairs[i].claim for i in test]), strict=True):
            predicted[i] = label
    return predicted


def log_odds(probs: np.ndarray) -> np.ndarray:
    """log P(supports) - log P(refutes) from (n, 3) stance probabilities."""
    p = np.maximum(probs, 1e-12)
    return np.log(p[:, 0]) - np.log(p[:, 1])


def two_way(scores: np.ndarray, bias: float) -> list[str]:
    return [LABELS[0] if s + bias > 0 else LABELS[1] for s in scores]


def tune_bias(scores: np.ndarray, gold: Sequence[str], grid: np.ndarray = BIAS_GRID) -> tuple[float, float]:
    """The grid offset with the best accuracy (the smallest |b| on a tie), and that accuracy."""
    best, best_accuracy = 0.0, -1.0
    for b in sorted(grid, key=lambda x: (abs(x), x)):
        score = accuracy(gold, two_way(scores, float(b)))
        if score > best_accuracy + 1e-12:
            best, best_accuracy = float(b), score
    return best, best_accuracy


def metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 over supports/refutes (a neutral prediction is wrong), per-label F1, neutral rate."""
    f1 = f1_per_label(gold, predicted, STANCE_LABELS)
    return {
        "accuracy": accuracy(gold, predicted),
        "macro_f1": (f1["supports"] + f1["refutes"]) / 2,
        "f1_supports": f1["supports"],
        "f1_refutes": f1["refutes"],
        "neutral_rate": sum(p == "neutral" for p in predicted) / len(predicted) if predicted else 0.0,
    }


@register("evaluator", "fever-symmetric")
class FeverSymmetricEvaluator:
    """2-way stance accuracy (primary) on FEVER-Symmetric v0.2 dev or test, with claim-only and majority rows."""

    name = "fever-symmetric"
    primary_metric = "accuracy"

    def __init__(self, limit: int | None = None, model_dir: str | None = None) -> None:
        self.limit = limit
        self.model_dir = model_dir
        self._stance: CrossEncoderStance | None = None

    @property
    def stance(self) -> CrossEncoderStance:
        if self._stance is None:
            self._stance = CrossEncoderStance(self.model_dir)
        return self._stance

    def score(self, pairs: Sequence[SymmetricPair]) -> np.ndarray:
        """Stance probabilities (n, 3) of the pairs, FEVER's bracket tokens undone as in training."""
        try:
            self.stance.warm_up()
        except FileNotFoundError as exc:
            raise FactdeskError(str(exc)) from exc
        return self.stance.predict_pairs([(detokenize(p.claim), detokenize(p.evidence)) for p in pairs])

    def run(
        self, data_dir: Path, split: str = "dev", plots_dir: Path | None = None, progress: bool = False
    ) -> EvalReport:
        data_dir = Path(data_dir)
        path = data_file(data_dir, split)
        pairs = load_pairs(data_dir, split)[: self.limit]
        dev = pairs if split == "dev" else load_pairs(data_dir, "dev")[: self.limit]
        gold, dev_gold = [p.label for p in pairs], [p.label for p in dev]

        probs = self.score(pairs)
        dev_probs = probs if split == "dev" else self.score(dev)
        bias, dev_accuracy = tune_bias(log_odds(dev_probs), dev_gold)
        predicted_2way = two_way(log_odds(probs), bias)
        predicted_3way = [STANCE_LABELS[i] for i in probs.argmax(axis=1)]

        majority = max(LABELS, key=dev_gold.count)  # supports on a tie
        if split == "dev":
            claim_only = out_of_fold_claim_only(pairs)
        else:
            claim_only = ClaimOnlyModel().fit([p.claim for p in dev], dev_gold).predict([p.claim for p in pairs])
        systems = [
            SystemScores(SYSTEM_2WAY, metrics(gold, predicted_2way)),
            SystemScores(SYSTEM_3WAY, metrics(gold, predicted_3way)),
            SystemScores(SYSTEM_MAJORITY, metrics(gold, [majority] * len(gold))),
            SystemScores(SYSTEM_CLAIM_ONLY, metrics(gold, claim_only)),
        ]
        symmetric_claims = {p.claim for s in SPLITS for p in load_pairs(data_dir, s)}
        fever = load_fever_claims(data_dir, symmetric_claims)
        fever_details: dict[str, Any] = {"available": bool(fever)}
        if fever:
            train = [c for c in fever if not fever_held_out(c.claim)]
            held = [c for c in fever if fever_held_out(c.claim)]
            model = ClaimOnlyModel().fit([c.claim for c in train], [c.label for c in train])
            fever_predicted = model.predict([p.claim for p in pairs])
            systems.append(SystemScores(SYSTEM_CLAIM_ONLY_FEVER, metrics(gold, fever_predicted)))
            fever_details = {
                "available": True,
                "source": str(data_dir / FEVER_DEV),
                "train_claims": len(train),
                "held_out_claims": len(held),
                "held_out_accuracy": accuracy([c.label for c in held], model.predict([c.claim for c in held])),
                "note": "SUPPORTS/REFUTES FEVER dev claims not in FEVER-Symmetric v0.2; held out by sha1 of the "
                f"claim ({FEVER_HELD_OUT_PERCENT}%): its held-out FEVER accuracy is the claim-only cue it learned",
            }

        matrix_3way = confusion(gold, predicted_3way, STANCE_LABELS)
        matrix_2way = confusion(gold, predicted_2way, LABELS)
        plots = []
        if plots_dir is not None:
            plots_dir = Path(plots_dir)
            plots = [
                str(confusion_png(matrix_2way, LABELS, plots_dir / f"fever_symmetric_{split}_2way_confusion.png",
                                  f"FEVER-Symmetric {split}, 2-way (b = {bias:+.2f})")),
                str(confusion_png(matrix_3way, STANCE_LABELS, plots_dir / f"fever_symmetric_{split}_3way_confusion.png",
                                  f"FEVER-Symmetric {split}, 3-way argmax")),
            ]  # fmt: skip
        return EvalReport(
            benchmark=self.name,
            split=split,
            primary_metric=self.primary_metric,
            systems=systems,
            details={
                "data_file": str(path),
                "version": "v0.2",
                "pairs": len(pairs),
                "claims": len({p.claim for p in pairs}),
                "gold_counts": {label: gold.count(label) for label in LABELS},
                "dev_pairs_for_tuning": len(dev),
                "dev_gold_counts": {label: dev_gold.count(label) for label in LABELS},
                "limit": self.limit,
                "bias_b": bias,
                "bias_rule": "supports iff log P(supports) - log P(refutes) + b > 0; b on a grid "
                f"[{BIAS_GRID[0]}, {BIAS_GRID[-1]}] step 0.05 maximising dev accuracy (smallest |b| on a tie)",
                "bias_dev_accuracy": dev_accuracy,
                "bias_tuned_in_sample": split == "dev",
                "two_way_accuracy_at_b0": accuracy(gold, two_way(log_odds(probs), 0.0)),
                "majority_label": majority,
                "claim_only": "multinomial naive Bayes (alpha 1) on lower-cased claim unigrams + bigrams, trained on "
                + (
                    f"the other folds' dev claims ({CLAIM_ONLY_FOLDS} folds by sha1 of the claim text)"
                    if split == "dev"
                    else "the dev split's claims"
                )
                + "; every v0.2 claim occurs once as SUPPORTS and once as REFUTES, so it can only score 0.5",
                "claim_only_fever": fever_details,
                "claims_origin": "FEVER-Symmetric claims come from the FEVER shared-task dev set (400 dev / 430 "
                "test claims are FEVER dev claims); the stance model never trained on a FEVER-Symmetric claim "
                "(stage 3 trains on other FEVER dev claims' pairs only)",
                "preprocessing": "FEVER/PTB bracket tokens undone (-LRB- -> '(' ...), as in stance training",
                "confusion_3way_rows_gold_cols_pred": matrix_3way,
                "confusion_2way_rows_gold_cols_pred": matrix_2way,
                "stance_model": {"max_length": self.stance.max_length, "model_dir": str(self.stance.model_dir)},
            },
            plots=plots,
        )

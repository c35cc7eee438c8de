"""SciFact (Wadden et al. 2020): label each (claim, abstract) pair SUPPORT / CONTRADICT / NEI from evidence text.

Split ``dev`` is the official ``claims_validation.csv`` (the stance model never trained on it; it trained on
``claims_train.csv``). A claim with evidence is scored against the gold rationale sentences of each evidence
abstract, joined in order; a claim without evidence (NEI) against the first two sentences of its first cited
abstract in the corpus: a rationale-sized snippet (rationales have 1.07 sentences on average in SciFact train), so
that the input's length does not give the label away. A second row scores NEI claims against the whole cited
abstract instead, of which the stance model's windowing keeps the part that overlaps the claim most.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from factdesk.datasets.scifact import LABELS, NEI_SENTENCES, SPLITS, load_pairs
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label, macro_f1
from factdesk.evaluate.plots import confusion_png, expected_calibration_error, reliability_png
from factdesk.registry import register
from factdesk.verify.baseline import LexicalStanceBaseline
from factdesk.verify.cross_encoder import CrossEncoderStance


@register("evaluator", "scifact")
class SciFactEvaluator:
    """Macro-F1 of SUPPORT / CONTRADICT / NEI over (claim, abstract) pairs given oracle rationales."""

    name = "scifact"
    primary_metric = "macro_f1"

    def __init__(self, limit: int | None = None, stance: CrossEncoderStance | None = None) -> None:
        self.limit = limit
        self.stance = stance or CrossEncoderStance()

    def run(
        self, data_dir: Path, split: str = "dev", plots_dir: Path | None = None, progress: bool = False
    ) -> EvalReport:
        if split not in SPLITS:
            raise ValueError(f"scifact split must be one of {sorted(SPLITS)}, not {split!r}")
        pairs = load_pairs(Path(data_dir), split)[: self.limit]
        gold = [p.label for p in pairs]
        probs = self.stance.predict_pairs([(p.claim, p.evidence) for p in pairs])
        predicted = [LABELS[i] for i in probs.argmax(axis=1)]
        nei = [i for i, p in enumerate(pairs) if p.label == "NEI"]
        probs_whole = probs.copy()
        if nei:
            probs_whole[nei] = self.stance.predict_pairs([(pairs[i].claim, " ".join(pairs[i].abstract)) for i in nei])
        lexical = np.vstack([LexicalStanceBaseline().predict(p.claim, [p.evidence]) for p in pairs])
        majority = max(LABELS, key=gold.count)
        confidence = probs.max(axis=1)
        correct = [g == p for g, p in zip(gold, predicted, strict=True)]
        systems = [
            _scores("factdesk cross-encoder", gold, predicted),
            _scores("factdesk, NEI vs whole abstract", gold, [LABELS[i] for i in probs_whole.argmax(axis=1)]),
            _scores("lexical baseline", gold, [LABELS[i] for i in lexical.argmax(axis=1)]),
            _scores(f"majority ({majority})", gold, [majority] * len(gold)),
        ]
        systems[0].metrics["ece"] = expected_calibration_error(confidence, correct)
        matrix = confusion(gold, predicted, LABELS)
        plots = []
        if plots_dir is not None:
            plots_dir = Path(plots_dir)
            plots = [
                str(confusion_png(matrix, LABELS, plots_dir / f"scifact_{split}_confusion.png", f"SciFact {split}")),
                str(reliability_png(confidence, correct, plots_dir / f"scifact_{split}_reliability.png", "SciFact")),
            ]
        return EvalReport(
            benchmark="scifact",
            split=split,
            primary_metric=self.primary_metric,
            systems=systems,
            details={
                "data": f"claims_{SPLITS[split]}.csv of scifact.zip (HF allenai/scifact CSV export)",
                "unit": "one (claim, abstract) pair per evidence abstract, one per NEI claim",
                "evidence": f"gold rationales joined; NEI: first {NEI_SENTENCES} sentences of the first cited abstract",
                "n": len(pairs),
                "gold_counts": {label: gold.count(label) for label in LABELS},
                "per_label_f1": f1_per_label(gold, predicted, LABELS),
                "confusion_rows_gold_cols_pred": matrix,
                "labels": list(LABELS),
                "stance_model": {"max_length": self.stance.max_length, "model_dir": str(self.stance.model_dir)},
            },
            plots=plots,
        )


def _scores(system: str, gold: list[str], predicted: list[str]) -> SystemScores:
    return SystemScores(system, {"macro_f1": macro_f1(gold, predicted, LABELS), "accuracy": accuracy(gold, predicted)})

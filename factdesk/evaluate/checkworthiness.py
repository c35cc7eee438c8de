"""CLEF CheckThat! 2024 Task 1, English check-worthiness (Hasanain et al. 2024): sentences from US political
debates labelled Yes/No; the lab's metric is F1 of the Yes class.

Read from ``<data_dir>/checkthat2024/CT24_checkworthy_english_{dev,dev-test}.tsv`` (research use, report-only;
never copied into the project). Rows in the same run: the trained model, the rule-based scorer (both at
``factdesk extract``'s default threshold, 0.5), and always-Yes. The trained model was fitted on dev, so its dev
row is in-sample; its model card gives the cross-validated dev scores. Dev-test is for reporting only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from factdesk.claims.checkworthiness import load_model
from factdesk.claims.extract import ClaimExtractor
from factdesk.datasets.checkthat import ct24_path, load_sentences
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.plots import precision_recall_png
from factdesk.registry import register

TOP_K = (10, 25, 50)
THRESHOLD = 0.5


def ranking_scores(gold: Sequence[bool], scores: np.ndarray, threshold: float = THRESHOLD) -> dict[str, float]:
    """Yes-class precision, recall and F1 at ``threshold``; P@k and average precision of the ranking (ties keep
    the file's order)."""
    labels = np.asarray(gold, dtype=bool)
    chosen = scores >= threshold
    tp = int(np.sum(chosen & labels))
    precision = tp / int(chosen.sum()) if chosen.any() else 0.0
    recall = tp / int(labels.sum()) if labels.any() else 0.0
    ranked = labels[np.argsort(-scores, kind="stable")]
    hits = np.cumsum(ranked)
    metrics = {
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "precision": precision,
        "recall": recall,
        **{f"p@{k}": float(hits[min(k, len(ranked)) - 1] / k) for k in TOP_K},
        "average_precision": float(np.sum(hits[ranked] / (np.flatnonzero(ranked) + 1)) / max(labels.sum(), 1)),
    }
    return metrics


def precision_recall_points(gold: Sequence[bool], scores: np.ndarray) -> tuple[list[float], list[float]]:
    """(recalls, precisions) at each distinct score, highest first."""
    labels = np.asarray(gold, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(labels[order])
    last = np.r_[np.flatnonzero(np.diff(scores[order])), len(order) - 1]  # the last row of each tied score
    return [0.0, *(hits[last] / max(labels.sum(), 1)).tolist()], [1.0, *(hits[last] / (last + 1)).tolist()]


@register("evaluator", "checkworthiness")
class CheckworthinessEvaluator:
    """Yes-class F1 (primary), precision, recall, P@10/25/50 and AP of the trained model, the rules and
    always-Yes."""

    name = "checkworthiness"
    primary_metric = "f1"

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit

    def run(
        self, data_dir: Path, split: str = "dev", plots_dir: Path | None = None, progress: bool = False
    ) -> EvalReport:
        sentences = load_sentences(Path(data_dir), split)[: self.limit]
        texts = [s.text for s in sentences]
        gold = [s.checkworthy for s in sentences]
        rules = ClaimExtractor(scorer="rules")
        features = rules.features(texts)
        model = load_model()
        scores = {
            f"factdesk model ({model.name}{'; in-sample' if split == 'dev' else ''})": ClaimExtractor(
                scorer="model"
            ).scores(texts, features),
            "rule-based scorer": rules.scores(texts, features),
            "always-Yes": np.ones(len(texts)),
        }
        systems = [SystemScores(name, ranking_scores(gold, s)) for name, s in scores.items()]
        plots = []
        if plots_dir is not None:
            curves = {name: precision_recall_points(gold, s) for name, s in list(scores.items())[:2]}
            path = Path(plots_dir) / f"checkworthiness_{split}_pr.png"
            plots.append(str(precision_recall_png(curves, sum(gold) / len(gold), path, f"CT24 English {split}")))
        return EvalReport(
            benchmark="checkworthiness",
            split=split,
            primary_metric=self.primary_metric,
            systems=systems,
            details={
                "data": str(ct24_path(Path(data_dir), split)),
                "sentences": len(sentences),
                "checkworthy": sum(gold),
                "threshold": THRESHOLD,
                "model": model.name,
                "note": "the model was trained on dev: its dev row is in-sample"
                if split == "dev"
                else "report-only: never used to train, tune or select",
            },
            plots=plots,
        )

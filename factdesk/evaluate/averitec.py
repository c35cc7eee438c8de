"""AVeriTeC verdict evaluation with gold question–answer evidence (Schlichtkrull et al., NeurIPS 2023).

Each gold QA pair becomes one evidence passage "question answer" (plus the boolean explanation, if any), scored by
the stance model and passed through the relevance gate, as in the pipeline; the aggregators then rule on the four
labels from the passages about the claim (none: Not Enough Evidence). Systems compared in the same run: factdesk's
trained verdict model, the stance-vote aggregator, the train majority class, and, on dev, the official 2024
baseline's predictions (which used its own retrieved evidence).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from factdesk.config import VerifyConfig
from factdesk.datasets.averitec import SPLIT_FILES, AveritecItem, averitec_dir, load_split, misinfo_list
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label, macro_f1
from factdesk.evaluate.plots import confusion_png, expected_calibration_error, reliability_png
from factdesk.records import STANCE_LABELS, VERDICT_LABELS, Claim, Document, Evidence, Passage
from factdesk.registry import register
from factdesk.retrieve.rerank import CrossEncoderReranker
from factdesk.urls import domain
from factdesk.verify.aggregate import StanceVoteAggregator
from factdesk.verify.attribution import echoes_claimant, reports_claim
from factdesk.verify.base import PassageReader
from factdesk.verify.cross_encoder import CrossEncoderStance
from factdesk.verify.reading import EncoderPassageReader
from factdesk.verify.relevance import RelevanceGate, relevant
from factdesk.verify.verdict import TrainedVerdictAggregator

BASELINE_FILE = "baseline_retrieval/dev_veracity_prediction.json"
SHORT = {
    "Supported": "supported",
    "Refuted": "refuted",
    "Not Enough Evidence": "nee",
    "Conflicting Evidence/Cherrypicking": "conflicting",
}


def predict_stance(
    stance: CrossEncoderStance, pairs: Sequence[tuple[str, str]], progress: bool = False, chunk: int = 256
) -> np.ndarray:
    """Stance probabilities for (claim, passage) pairs, in chunks so progress can be shown."""
    parts = [np.zeros((0, len(STANCE_LABELS)), dtype=np.float32)]
    for start in tqdm(range(0, len(pairs), chunk), desc="stance", unit="chunk", disable=not progress):
        parts.append(stance.predict_pairs(pairs[start : start + chunk]))
    return np.concatenate(parts)


def gold_evidence(item: AveritecItem, probabilities: np.ndarray) -> list[Evidence]:
    """The item's QA pairs as Evidence records with their stance probabilities. As in the pipeline, an answer in
    which the claimant speaks, or that repeats the claim as a quotation or as something claimed, is marked
    ``from_claimant`` (it casts no support vote); the question, which restates the claim, is not read for that."""
    evidence = []
    for j, ((text, url), row) in enumerate(zip(item.qa, probabilities, strict=True)):
        doc = Document(id=f"{item.claim.id}-qa{j}", text=text, url=url, outlet=domain(url) if url else "")
        probs = {label: float(p) for label, p in zip(STANCE_LABELS, row, strict=True)}
        evidence.append(
            Evidence(
                passage=Passage(doc.id, 0, len(text), text),
                document=doc,
                stance=max(probs, key=probs.__getitem__),
                stance_probabilities=probs,
                scores={"retrieval": 0.0, "relevance": 1.0 - probs["neutral"]},
                from_claimant=_reports_claimant(item.claim, text.partition("?")[2] or text),
            )
        )
    return evidence


def _reports_claimant(claim: Claim, answer: str) -> bool:
    return echoes_claimant(claim, answer) or reports_claim(claim, answer)


def with_evidence(
    items: Sequence[AveritecItem],
    stance: CrossEncoderStance,
    progress: bool,
    reranker: CrossEncoderReranker | None = None,
    gate: RelevanceGate | None = None,
    reader: PassageReader | None = None,
) -> list[list[Evidence]]:
    """Scores every gold QA pair of every item against its claim; with a reranker and a gate, the passages not
    about the claim are tagged ``unrelated`` (they stay in the list and cast no vote); with a reader, the others
    are read as the pipeline reads them."""
    pairs = [(item.claim.text, text) for item in items for text, _ in item.qa]
    probabilities = predict_stance(stance, pairs, progress)
    relevance = reranker.run_pairs(pairs) if reranker is not None and pairs else np.ones(len(pairs))
    out, start = [], 0
    for item in items:
        evidence = gold_evidence(item, probabilities[start : start + len(item.qa)])
        if gate is not None:
            evidence = gate.apply(evidence, relevance[start : start + len(item.qa)].tolist())
        if reader is not None:
            evidence = reader.run(item.claim, evidence)
        out.append(evidence)
        start += len(item.qa)
    return out


def classification_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 over the four labels and F1 per label."""
    scores = {"accuracy": accuracy(gold, predicted), "macro_f1": macro_f1(gold, predicted, VERDICT_LABELS)}
    for label, f1 in f1_per_label(gold, predicted, VERDICT_LABELS).items():
        scores[f"f1_{SHORT[label]}"] = f1
    return scores


def scored_system(name: str, gold: Sequence[str], probabilities: Sequence[dict[str, float]]) -> SystemScores:
    predicted = [max(p, key=p.__getitem__) for p in probabilities]
    metrics = classification_metrics(gold, predicted)
    metrics["ece"] = expected_calibration_error(
        [max(p.values()) for p in probabilities], [g == q for g, q in zip(gold, predicted, strict=True)]
    )
    return SystemScores(name, metrics)


@register("evaluator", "averitec")
class AveritecEvaluator:
    """Verdict accuracy and macro-F1 on AVeriTeC with gold QA evidence. ``limit``: the first N claims only."""

    name = "averitec"

    def __init__(self, limit: int | None = None, model_path: str | None = None) -> None:
        self.limit = limit
        self.model_path = model_path

    def run(
        self, data_dir: Path, split: str = "dev", plots_dir: Path | None = None, progress: bool = False
    ) -> EvalReport:
        items = load_split(data_dir, split)[: self.limit]
        train = load_split(data_dir, "train")
        majority = Counter(i.label for i in train).most_common(1)[0][0]
        priors = {label: sum(i.label == label for i in train) / len(train) for label in VERDICT_LABELS}

        stance, reranker = CrossEncoderStance(), CrossEncoderReranker()
        verify = VerifyConfig()
        gate = RelevanceGate(verify.relevance_threshold, verify.min_content_words)
        with misinfo_list(data_dir):
            trained = TrainedVerdictAggregator(self.model_path)
        vote = StanceVoteAggregator()
        started = time.perf_counter()
        stance.warm_up()
        trained.warm_up()
        gated = with_evidence(items, stance, progress, reranker, gate, EncoderPassageReader())
        evidence = [relevant(e) for e in gated]
        stance_seconds = time.perf_counter() - started
        started = time.perf_counter()
        trained_probs = [
            trained.run(i.claim, e)
            for i, e in tqdm(zip(items, evidence, strict=True), total=len(items), desc="verdict", disable=not progress)
        ]
        verdict_seconds = time.perf_counter() - started
        vote_probs = [vote.run(i.claim, e) for i, e in zip(items, evidence, strict=True)]

        gold = [i.label for i in items]
        systems = [
            scored_system("factdesk (trained-verdict)", gold, trained_probs),
            scored_system("factdesk (stance-vote)", gold, vote_probs),
            scored_system(f"majority class ({majority})", gold, [priors] * len(items)),
        ]
        details: dict[str, Any] = {
            "claims": len(items),
            "evidence_passages": sum(len(e) for e in gated),
            "passages_about_the_claim": sum(len(e) for e in evidence),
            "claims_without_evidence_about_them": sum(not e for e in evidence),
            "relevance_gate": {"threshold": gate.threshold, "min_content_words": gate.min_content_words},
            "gold_labels": dict(Counter(gold)),
            "evidence": "gold question-answer pairs, one passage each",
            "split_file": f"averitec/{SPLIT_FILES.get(split, split)}",
            "verdict_model": {k: trained.model.meta.get(k) for k in ("name", "trained", "seed")}
            if trained.model
            else {},
            "seconds_per_claim": {
                "stance": round(stance_seconds / max(len(items), 1), 4),
                "trained_verdict": round(verdict_seconds / max(len(items), 1), 4),
            },
            "confusion": {
                "labels": list(VERDICT_LABELS),
                "factdesk (trained-verdict)": confusion(gold, _argmax(trained_probs), VERDICT_LABELS),
                "factdesk (stance-vote)": confusion(gold, _argmax(vote_probs), VERDICT_LABELS),
            },
        }
        if split == "test":
            details["note"] = "unofficial labeled test subset (Deng et al. 2024, 1,000 of 2,215 claims); see PROVENANCE"
        baseline = self._baseline(data_dir, split, items)
        if baseline is not None:
            covered_gold, covered_pred = baseline
            systems.append(SystemScores("AVeriTeC 2024 baseline", classification_metrics(covered_gold, covered_pred)))
            details["baseline"] = {
                "file": f"averitec/{BASELINE_FILE}",
                "claims_covered": len(covered_gold),
                "note": "official baseline predictions with its own retrieved evidence (not gold QA); no probabilities",
            }
            details["confusion"]["AVeriTeC 2024 baseline"] = confusion(covered_gold, covered_pred, VERDICT_LABELS)

        plots = []
        if plots_dir is not None:
            plots = self._plots(Path(plots_dir), split, gold, trained_probs, vote_probs, details["confusion"])
        return EvalReport("averitec", split, "macro_f1", systems, details, plots)

    @staticmethod
    def _baseline(data_dir: Path, split: str, items: Sequence[AveritecItem]) -> tuple[list[str], list[str]] | None:
        """Gold and predicted labels of the baseline on the evaluated claims it covers (matched by id and text)."""
        path = averitec_dir(data_dir) / BASELINE_FILE
        if split != "dev" or not path.is_file():
            return None
        by_id = {f"averitec-dev-{r['claim_id']}": r for r in json.loads(path.read_text(encoding="utf-8"))}
        gold, predicted = [], []
        for item in items:
            row = by_id.get(item.claim.id)
            if row and row["claim"].strip() == item.claim.text and row.get("pred_label") in VERDICT_LABELS:
                gold.append(item.label)
                predicted.append(row["pred_label"])
        return gold, predicted

    @staticmethod
    def _plots(
        folder: Path,
        split: str,
        gold: list[str],
        trained: list[dict[str, float]],
        vote: list[dict[str, float]],
        matrices: dict[str, Any],
    ) -> list[str]:
        paths = []
        for system, tag in (
            ("factdesk (trained-verdict)", ""),
            ("factdesk (stance-vote)", "_stance_vote"),
            ("AVeriTeC 2024 baseline", "_baseline"),
        ):
            if system in matrices:
                path = folder / f"averitec_{split}_confusion{tag}.png"
                paths.append(confusion_png(matrices[system], VERDICT_LABELS, path, f"AVeriTeC {split}: {system}"))
        for probs, system, tag in ((trained, "factdesk (trained-verdict)", ""), (vote, "stance-vote", "_stance_vote")):
            predicted = _argmax(probs)
            path = folder / f"averitec_{split}_reliability{tag}.png"
            paths.append(
                reliability_png(
                    [max(p.values()) for p in probs],
                    [g == q for g, q in zip(gold, predicted, strict=True)],
                    path,
                    f"AVeriTeC {split}: {system}",
                )
            )
        return [str(p) for p in paths]


def _argmax(probabilities: Sequence[dict[str, float]]) -> list[str]:
    return [max(p, key=p.__getitem__) for p in probabilities]

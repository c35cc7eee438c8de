"""AVeriTeC retrieval in a closed corpus, end to end through ``FactDesk.check``.

Corpus: every gold answer of train and dev (``answer`` plus the boolean explanation, one document each, with its
source URL; unanswerable answers are left out). A claim's own answers are its gold evidence; every other claim's
answers are distractors. The answers carry no publication date, so all documents are undated: the claim date is
the cut-off as usual, but here it removes nothing (the documents are kept and flagged as undated).

Each dev claim (text, speaker, claim date) is checked with ``save=False`` in a temporary store. Reported:

- ``recall@k``: the share of the claim's gold answers among its ``k`` evidence items (after reranking),
  averaged over claims; ``candidate_recall@k`` is the same for the retriever's first ``k`` candidates.
- ``evidence_score``: AVeriTeC's Hungarian-matched METEOR between predicted "question answer" strings (the
  sub-question each passage was retrieved for, then the passage) and the gold "question answer" strings,
  divided by the number of gold strings. METEOR is NLTK's with exact and Porter-stem matching only: WordNet
  cannot be fetched at run time, so its synonym stage matches nothing, which can only lower scores slightly.
- ``label_accuracy`` and ``averitec_score`` (label right and evidence score above 0.25, as the official scorer).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from factdesk import registry
from factdesk.config import Config
from factdesk.datasets.averitec import answer_text, claim_date, load_records, misinfo_list, write_corpus
from factdesk.errors import FactdeskError
from factdesk.evaluate.averitec import classification_metrics
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.records import NOT_ENOUGH_EVIDENCE as NEE
from factdesk.records import Claim
from factdesk.registry import register
from factdesk.retrieve import retriever_params
from factdesk.store import PassageHit, Store

log = logging.getLogger("factdesk")
AVERITEC_THRESHOLD = 0.25
MAX_EVIDENCE = 10  # the official scorer reads at most 10 predicted question-answer pairs


def gold_strings(claim: dict[str, Any]) -> list[str]:
    """The official scorer's target strings: question + answer (+ boolean explanation)."""
    strings = []
    for qa in claim["questions"]:
        answers = qa["answers"] if isinstance(qa["answers"], list) else [qa["answers"]]
        for answer in answers:
            s = qa["question"] + " " + answer["answer"]
            if answer.get("answer_type") == "Boolean":
                s += ". " + answer.get("boolean_explanation", "")
            strings.append(s)
        if not answers:
            strings.append(qa["question"] + " No answer could be found.")
    return strings


class _NoWordNet:
    """Stands in for WordNet in NLTK's METEOR: no synonyms, so exact and stem matches only."""

    def synsets(self, *_: object, **__: object) -> list[object]:
        return []


def meteor(candidate: str, reference: str) -> float:
    from nltk.tokenize import NLTKWordTokenizer
    from nltk.translate.meteor_score import single_meteor_score

    tokenize = NLTKWordTokenizer().tokenize
    return float(single_meteor_score(tokenize(reference), tokenize(candidate), wordnet=_NoWordNet()))


def evidence_score(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Hungarian-matched METEOR, reweighted by the number of gold strings (official ``compute_pairwise_...``)."""
    from scipy.optimize import linear_sum_assignment

    predicted = list(predicted)[:MAX_EVIDENCE]
    if not predicted or not gold:
        return 0.0
    scores = np.array([[meteor(p, g) for g in gold] for p in predicted])
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return float(scores[rows, cols].sum() / len(gold))


class _Recorder:
    """Wraps a retriever to keep the candidates of its first call since ``reset`` (a check's retrieval for the
    claim itself; later calls, for the claimant's earlier words, do not count), for candidate recall; documents
    whose id starts with ``excluded`` (when set) are never returned."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.first: list[PassageHit] | None = None
        self.excluded = ""

    def reset(self) -> None:
        self.first = None

    def warm_up(self) -> None:
        self.inner.warm_up()

    def index(self, store: Store, progress: bool = False) -> object:
        return self.inner.index(store, progress=progress)

    def rebuild(self, store: Store, progress: bool = False) -> int:
        return self.inner.rebuild(store, progress=progress)

    def run(self, store: Store, claim: Claim, cutoff: date | None) -> list[PassageHit]:
        hits = self.inner.run(store, claim, cutoff)
        kept = [h for h in hits if not (self.excluded and h.document.id.startswith(self.excluded))]
        if self.first is None:
            self.first = kept
        return kept


@register("evaluator", "averitec-retrieval")
@dataclass
class AveritecRetrievalEvaluator:
    limit: int | None = None
    k: int = 10
    retrievers: tuple[str, ...] = ("hybrid", "fts5")
    cache: str = "runs/averitec-retrieval/vectors"  # passage embeddings by text hash, reused across runs
    aggregator: str = ""  # the verdict aggregator; empty: the pipeline's default
    verdict_evidence: int | None = None  # passages the aggregator weighs; None: the pipeline's default
    relevance_weight: float | None = None  # evidence ranking's share of stance relevance; None: the default
    rerank_weight: float | None = None  # evidence ranking's share of the reranker; None: the default
    reranker: str | None = None  # the evidence reranker ("" for none); None: the default
    lexical: str = ""  # hybrid's BM25 engine ("tantivy" or "fts5"); empty: the default
    lexical_analyzer: str = ""  # tantivy's ("plain" or "en_stem"); empty: the default
    without_own_answers: bool = False  # each claim's own gold answers are removed from what it can retrieve
    profile: str = ""  # the shipped profile the settings above start from ("" for the defaults)
    name: str = "averitec-retrieval"

    def run(self, data_dir: Path, split: str, plots_dir: Path | None = None, progress: bool = False) -> EvalReport:
        if split != "dev":
            raise FactdeskError("averitec-retrieval evaluates dev only (test labels are not public)")
        folder = Path(data_dir) / "averitec"
        if not (folder / "dev.json").exists() or not (folder / "train.json").exists():
            raise FactdeskError(f"{folder}: AVeriTeC train.json and dev.json not found")
        train, dev = load_records(data_dir, "train"), load_records(data_dir, "dev")
        claims = dev[: self.limit] if self.limit else dev
        systems, details = [], {}
        majority = Counter(item["label"] for item in train).most_common(1)[0][0]
        with tempfile.TemporaryDirectory(prefix="factdesk-averitec-") as tmp, misinfo_list(data_dir):
            corpus = Path(tmp) / "corpus.jsonl"
            documents = write_corpus(corpus, {"train": train, "dev": dev})
            store = Path(tmp) / "store"
            for name in self.retrievers:
                scores, per_claim = self._system(name, store, corpus, claims, progress)
                setting = ", ".join(v for v in (self.lexical, self.lexical_analyzer) if v)
                label = f"{name}, {setting}" if setting and name == "hybrid" else name
                systems.append(SystemScores(f"factdesk ({label})", scores))
                details[name] = per_claim
        gold = [item["label"] for item in claims]
        majority_scores = {f"label_{k}": v for k, v in classification_metrics(gold, [majority] * len(gold)).items()}
        systems.append(SystemScores(f"majority class ({majority})", majority_scores))
        details["gold_labels"] = dict(Counter(gold))
        details["corpus"] = {
            "documents": documents,
            "claims_evaluated": len(claims),
            "note": "closed corpus of train+dev gold answers; all documents undated, so the cut-off removes none",
            "meteor": "NLTK METEOR, exact + Porter-stem matching (no WordNet synonyms)",
        }
        return EvalReport("averitec-retrieval", split, f"recall@{self.k}", systems, details)

    def _system(
        self, name: str, store: Path, corpus: Path, claims: list[dict[str, Any]], progress: bool
    ) -> tuple[dict[str, float], dict[str, Any]]:
        from factdesk.pipeline import FactDesk

        base = Config.load(profile=self.profile)
        verify = base.verify
        if self.aggregator:
            verify = replace(verify, aggregator=self.aggregator)
        if self.verdict_evidence is not None:
            verify = replace(verify, verdict_evidence=self.verdict_evidence)
        if self.relevance_weight is not None:
            verify = replace(verify, relevance_weight=self.relevance_weight)
        if self.rerank_weight is not None:
            verify = replace(verify, rerank_weight=self.rerank_weight)
        if self.reranker is not None:
            verify = replace(verify, reranker=self.reranker)
        retrieve = replace(base.retrieve, retriever=name, top_k=self.k)
        if self.lexical:
            retrieve = replace(retrieve, lexical=self.lexical)
        if self.lexical_analyzer:
            retrieve = replace(retrieve, lexical_analyzer=self.lexical_analyzer)
        config = replace(base, retrieve=retrieve, verify=verify)
        with FactDesk(store, config) as desk:
            inner = registry.create("retriever", name, **retriever_params(config.retrieve))
            if name == "hybrid":
                inner.vector_cache = self.cache
            recorder = _Recorder(inner)
            desk.weigher.retriever = recorder
            if not desk.store.stats()["documents"]:
                desk.ingest([corpus], progress=progress)
            desk.warm_up()
            desk.index(progress=progress)  # embeds the corpus (through the cache) before timing claims
            rows = []
            started = time.perf_counter()
            iterator = claims
            if progress:
                from tqdm import tqdm

                iterator = tqdm(claims, desc=name)
            for number, item in enumerate(iterator):
                recorder.excluded = f"dev-{number}-" if self.without_own_answers else ""
                rows.append(self._claim(desk, recorder, item))
            seconds = time.perf_counter() - started
        gold_labels = [item["label"] for item in claims]
        predicted = [row["label"] for row in rows]
        right = [g == p for g, p in zip(gold_labels, predicted, strict=True)]
        label_scores = {f"label_{k}": v for k, v in classification_metrics(gold_labels, predicted).items()}
        scores = {
            f"recall@{self.k}": float(np.mean([r["recall"] for r in rows])),
            f"candidate_recall@{self.k}": float(np.mean([r["candidate_recall"] for r in rows])),
            "candidate_recall@all": float(np.mean([r["candidate_recall_all"] for r in rows])),
            "evidence_score": float(np.mean([r["evidence_score"] for r in rows])),
            "averitec_score": float(
                np.mean([ok and r["evidence_score"] > AVERITEC_THRESHOLD for ok, r in zip(right, rows, strict=True)])
            ),
            "seconds_per_claim": seconds / max(len(rows), 1),
            "nee_rate": float(np.mean([p == NEE for p in predicted])),
            **label_scores,
        }
        return scores, {"claims": rows, "predicted_labels": dict(Counter(predicted)), "nee_causes": nee_causes(rows)}

    def _claim(self, desk: Any, recorder: _Recorder, item: dict[str, Any]) -> dict[str, Any]:
        claim = Claim(item["claim"], claimant=item.get("speaker") or "", date=claim_date(item.get("claim_date")))
        recorder.reset()
        check = desk.check(claim, save=False)
        gold = {t for q in item["questions"] for a in q["answers"] if (t := answer_text(a))}
        evidence = check.evidence[: self.k]
        found = {e.document.text for e in evidence}
        candidates = [h.document.text for h in recorder.first or []]
        predicted = [f"{e.question} {e.passage.text}".strip() for e in evidence]
        denominator = max(min(len(gold), self.k), 1)
        return {
            "label": check.verdict.label,
            "leaning": check.verdict.leaning,
            "evidence_about_claim": sum(e.about_claim for e in check.evidence),
            "recall": len(gold & found) / denominator if gold else 0.0,
            "candidate_recall": len(gold & set(candidates[: self.k])) / denominator if gold else 0.0,
            "candidate_recall_all": len(gold & set(candidates)) / len(gold) if gold else 0.0,
            "evidence_score": evidence_score(predicted, gold_strings(item)),
            "undated_evidence": sum(e.undated for e in evidence),
        }


def nee_causes(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Why claims were ruled Not Enough Evidence: no passage passed the relevance gate, the verdict model said so,
    or it leaned to another label with too little confidence (abstention)."""
    causes: Counter[str] = Counter()
    for row in rows:
        if row["label"] == NEE:
            if not row["evidence_about_claim"]:
                causes["no_evidence_about_the_claim"] += 1
            elif row["leaning"] and row["leaning"] != NEE:
                causes[f"abstained_leaning_{row['leaning']}"] += 1
            else:
                causes["verdict_model"] += 1
    return dict(causes)

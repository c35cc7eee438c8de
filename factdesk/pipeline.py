"""The library API: a FactDesk wires the stages together over one store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from factdesk import registry
from factdesk.claims.matching import ClaimMatcher, Match
from factdesk.claims.reviews import known_checks
from factdesk.config import Config
from factdesk.errors import FactdeskError
from factdesk.explain import TemplateWriter
from factdesk.explain.citations import CitationChecker
from factdesk.ingest import Ingester, IngestReport
from factdesk.publish import load_scale
from factdesk.records import (
    NOT_ENOUGH_EVIDENCE,
    STANCE_LABELS,
    Claim,
    Evidence,
    FactCheck,
    Provenance,
    Statement,
    Verdict,
)
from factdesk.retrieve import Retriever, retriever_params
from factdesk.retrieve.credibility import mmr_select
from factdesk.retrieve.lexical import fts_query
from factdesk.retrieve.rerank import Reranker
from factdesk.store import PassageHit, Store
from factdesk.urls import domain
from factdesk.verify.attribution import conclusions, echoes_claimant, reports_claim
from factdesk.verify.base import Aggregator, Decomposer, StanceModel
from factdesk.verify.relevance import RelevanceGate, voting_evidence

VERSION = "0.1.0"
log = logging.getLogger("factdesk")


class FactDesk:
    """``FactDesk(path)`` opens (or creates) a store; ``check`` runs retrieve → verify → explain on a claim."""

    def __init__(self, store: str | Path, config: Config | None = None) -> None:
        self.config = config or Config()
        self.store = Store(Path(store))
        self.retriever: Retriever = registry.create(
            "retriever", self.config.retrieve.retriever, **retriever_params(self.config.retrieve)
        )
        self.stance: StanceModel = registry.create("stance", self.config.verify.stance_model)
        self.aggregator: Aggregator = registry.create("aggregator", self.config.verify.aggregator)
        reranker = self.config.verify.reranker
        self.reranker: Reranker | None = registry.create("reranker", reranker) if reranker else None
        if self.config.verify.rerank_weight + self.config.verify.relevance_weight > 1.0:
            raise FactdeskError("[verify] rerank_weight + relevance_weight must be at most 1 (the rest is retrieval)")
        decomposer = self.config.verify.decomposer
        self.decomposer: Decomposer | None = registry.create("decomposer", decomposer) if decomposer else None
        explain = self.config.explain
        writer_params = (
            {"url": explain.llm_url, "model": explain.llm_model, "api_key_env": explain.llm_api_key_env}
            if explain.writer == "llm"
            else {}
        )
        self.writer = registry.create("writer", explain.writer, **writer_params)
        self.fallback_writer = TemplateWriter()
        self.citations = CitationChecker(self.store.document, self.stance, self.claim_stance)
        self.rating_scale = load_scale(self.config.publish.rating_scale)
        self.gate = RelevanceGate(self.config.verify.relevance_threshold, self.config.verify.min_content_words)
        self._warm = False

    def warm_up(self) -> None:
        if not self._warm:
            try:
                self.retriever.warm_up()
                self.stance.warm_up()
                if self.reranker is not None:
                    self.reranker.warm_up()
                if self.decomposer is not None:
                    self.decomposer.warm_up()
                self.aggregator.warm_up()
            except OSError as exc:
                raise FactdeskError(f"cannot load a model: {exc}") from exc
            self._warm = True

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> FactDesk:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ingest(self, paths: Sequence[str | Path], progress: bool = False) -> IngestReport:
        """Adds documents, then brings the retriever's index up to date (dense retrieval embeds new passages)."""
        report = Ingester(self.store, self.config.ingest, progress=progress).run([Path(p) for p in paths])
        self.index(progress=progress)
        return report

    def index(self, rebuild: bool = False, progress: bool = False) -> int:
        """Syncs the retriever's index with the store, or rebuilds it; returns the passages rebuilt."""
        try:
            if rebuild:
                return self.retriever.rebuild(self.store, progress=progress)
            self.retriever.index(self.store, progress=progress)
        except OSError as exc:
            raise FactdeskError(f"cannot build the retrieval index: {exc}") from exc
        return 0

    def check(self, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        """Checks ``claim`` against passages published no later than ``as_of`` (default: the claim's date)."""
        cutoff = as_of or claim.date
        evidence = self.gather(claim, cutoff)
        scores = self.aggregator.run(claim, voting_evidence(evidence, self.config.verify.verdict_evidence))
        verdict = self._rule(scores)
        notes = [
            f"Note: {e.document.id} has no publication date; it was kept and may postdate the claim."
            for e in evidence
            if e.undated
        ]
        justification = self._write(claim, verdict, evidence, notes)
        check = FactCheck(
            claim=claim,
            verdict=verdict,
            evidence=tuple(evidence),
            justification=justification,
            provenance=Provenance(
                stance_model=self.stance.name,
                aggregator=self.aggregator.name,
                retriever=self.retriever.name,
                corpus_version=self.store.corpus_version(),
                evidence_cutoff=cutoff,
                created=datetime.now(UTC),
                factdesk_version=VERSION,
            ),
            notes=tuple(notes),
        )
        if save:
            self.save(check)
        return check

    def gather(self, claim: Claim, cutoff: date | None) -> list[Evidence]:
        """The evidence for ``claim``, published no later than ``cutoff``: retrieved passages and the retrieved
        documents' conclusions, weighed and passed through the relevance gate, then the claimant's earlier words."""
        self.warm_up()
        hits = self._with_conclusions(self.retriever.run(self.store, claim, cutoff))
        evidence = self._weigh(claim, hits)
        return evidence + self._earlier_statements(claim, evidence)

    def _rule(self, scores: dict[str, float]) -> Verdict:
        """The ruling: the likeliest label, unless its probability is below ``abstain_below`` (then Not Enough
        Evidence, leaning towards that label)."""
        label = max(scores, key=scores.__getitem__)
        confidence = scores[label]
        leaning = ""
        if label != NOT_ENOUGH_EVIDENCE and confidence < self.config.verify.abstain_below:
            label, leaning = NOT_ENOUGH_EVIDENCE, label
        return Verdict(label, self.rating_scale.rate(label, confidence).name, confidence, scores, leaning)

    def _write(
        self, claim: Claim, verdict: Verdict, evidence: list[Evidence], notes: list[str]
    ) -> tuple[Statement, ...]:
        """Runs the writer and keeps only sentences whose citations check out; drops are logged and noted."""
        kept = []
        statements = self.writer.run(claim, verdict, evidence)
        for result in self.citations.check(claim, verdict.label, statements, evidence):
            if result.supported:
                kept.append(result.statement)
            else:
                log.warning("dropped an unsupported sentence (%s): %s", result.reason, result.statement.text)
                notes.append(f"Dropped a sentence its evidence does not support ({result.reason}).")
        only_verdict = not any(s.kind not in ("verdict", "assessment") for s in kept)
        if only_verdict and self.writer.name != self.fallback_writer.name and evidence:
            notes.append("The writer produced no supported sentence; the local template writer was used.")
            return self.fallback_writer.run(claim, verdict, evidence)
        return tuple(kept)

    def known_match(self, claim: Claim) -> Match | None:
        """The best earlier fact-check (imported or published here) that likely makes the same point, if any."""
        checks = known_checks(self.store)
        if not checks:
            return None  # nothing to match against: do not load the embedder
        matcher = ClaimMatcher()
        matcher.index(checks, cache=self.store)
        matches = matcher.run(claim.text, 1)
        return matches[0] if matches and matches[0].likely_same else None

    def save(self, check: FactCheck) -> int:
        """Stores a fact-check (and its claim) and returns its id, for ``publish``."""
        return self.store.add_factcheck(check)

    def _weigh(self, claim: Claim, hits: list[PassageHit]) -> list[Evidence]:
        """Scores every candidate's stance (and relevance, with a reranker), then keeps the ``top_k`` ranked
        highest by ``rerank_weight · reranker + relevance_weight · stance relevance + the rest · retrieval``."""
        if not hits:
            return []
        texts = [hit.passage.text for hit in hits]
        probabilities = self.claim_stance(claim, texts)
        reranked = self.reranker.run(claim.text, texts) if self.reranker is not None else np.zeros(len(hits))
        best_score = max(hit.score for hit in hits) or 1.0
        verify = self.config.verify
        rerank_weight = verify.rerank_weight if self.reranker is not None else 0.0
        retrieval_weight = 1.0 - verify.rerank_weight - verify.relevance_weight
        weighed = []
        for hit, row, rerank in zip(hits, probabilities, reranked, strict=True):
            relevance = float(1.0 - row[STANCE_LABELS.index("neutral")])
            stance = STANCE_LABELS[int(np.argmax(row))]
            ranking = (
                rerank_weight * float(rerank)
                + verify.relevance_weight * relevance
                + retrieval_weight * hit.score / best_score
            )
            scores = {"retrieval": float(hit.score), "relevance": relevance}
            if self.reranker is not None:
                scores["rerank"] = float(rerank)
            weighed.append(
                (
                    ranking,
                    Evidence(
                        passage=hit.passage,
                        document=hit.document,
                        stance=stance,
                        stance_probabilities={label: float(p) for label, p in zip(STANCE_LABELS, row, strict=True)},
                        scores=scores,
                        from_claimant=echoes_claimant(claim, hit.passage.text)
                        or reports_claim(claim, hit.passage.text),
                        question=hit.question,
                    ),
                )
            )
        about = reranked if self.reranker is not None else [e.relevance for _, e in weighed]
        gated = self.gate.apply([e for _, e in weighed], about)
        weighed = [(rank, e) for (rank, _), e in zip(weighed, gated, strict=True)]
        kept = [(rank, e) for rank, e in weighed if e.relevance >= self.config.verify.min_relevance]
        chosen = mmr_select(
            kept,
            relevance=lambda item: item[0],
            source=lambda item: domain(item[1].document.url) or item[1].document.outlet.lower(),
            k=self.config.retrieve.top_k,
            trade_off=self.config.retrieve.mmr_trade_off,
        )
        return [e for _, e in chosen]

    def _with_conclusions(self, hits: list[PassageHit]) -> list[PassageHit]:
        """The hits, and the conclusion of each retrieved document that the hits left out ("That is false.", with
        the passage before it), scored as its document's best hit: a document is read for its verdict, whatever
        cap on passages per document the retriever applied."""
        best: dict[str, PassageHit] = {}
        for hit in hits:
            if hit.passage.doc_id not in best or hit.score > best[hit.passage.doc_id].score:
                best[hit.passage.doc_id] = hit
        seen = {(h.passage.doc_id, h.passage.end) for h in hits}
        added = []
        for doc_id, top in best.items():
            for passage in conclusions(self.store.passages(doc_id), top.document.text):
                if (doc_id, passage.end) not in seen:
                    added.append(replace(top, passage=passage))
        return hits + added

    def _earlier_statements(self, claim: Claim, found: list[Evidence]) -> list[Evidence]:
        """Passages from before the claim's date in which the claimant (or their organisation) speaks: what they
        said earlier is evidence too, as the claimant's own record. They cast no support vote."""
        if not (claim.claimant and claim.date):
            return []
        query = fts_query(f"{claim.claimant} {claim.claimant_role.rpartition(',')[2]}")
        seen = {(e.passage.doc_id, e.passage.start) for e in found}
        before = claim.date - timedelta(days=1)
        hits = [
            hit
            for hit in self.store.search_passages(query, before, self.config.retrieve.candidates)
            if hit.document.published is not None
            and (hit.passage.doc_id, hit.passage.start) not in seen
            and echoes_claimant(claim, hit.passage.text)
        ]
        return self._weigh(claim, hits)[: self.config.verify.earlier_statements]

    def claim_stance(self, claim: Claim, passages: Sequence[str]) -> np.ndarray:
        """Stance towards the whole claim and each of its parts: a passage refutes the claim if it refutes any
        part, and supports it only if it supports the whole."""
        parts = self.decomposer.run(claim.text) if self.decomposer is not None else []
        whole = self.stance.predict(claim.text, passages)
        if not parts:
            return whole
        each = np.stack([whole, *(self.stance.predict(part, passages) for part in parts)])
        supports = whole[:, STANCE_LABELS.index("supports")]
        refutes = each[:, :, STANCE_LABELS.index("refutes")].max(axis=0)
        combined = np.zeros_like(whole)
        combined[:, STANCE_LABELS.index("supports")] = supports
        combined[:, STANCE_LABELS.index("refutes")] = refutes
        combined[:, STANCE_LABELS.index("neutral")] = np.clip(1.0 - supports - refutes, 0.0, None)
        return combined / combined.sum(axis=1, keepdims=True)

    def describe(self) -> dict[str, object]:
        return {"store": str(self.store.root), "config": asdict(self.config), **self.store.stats()}

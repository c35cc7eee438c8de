"""Gathering and weighing evidence: what the configured retriever finds for a claim, scored for stance and
relevance, passed through the relevance gate and ranked, then what the claimant said earlier.

Near-duplicate documents (one story syndicated to several outlets, linked at ingest) count as one source: of the
passages retrieved from one cluster, only those of its best-ranked document are weighed, and they name the other
copies published by the cut-off as ``also_carried_by``. A wire story carried by five outlets is one vote, not five."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from factdesk.config import RetrieveConfig, VerifyConfig
from factdesk.errors import FactdeskError
from factdesk.records import STANCE_LABELS, Carrier, Claim, Evidence
from factdesk.retrieve import Retriever
from factdesk.retrieve.credibility import mmr_select
from factdesk.retrieve.rerank import Reranker
from factdesk.store import PassageHit, StoreBackend
from factdesk.urls import domain
from factdesk.verify.attribution import conclusions, echoes_claimant, reports_claim
from factdesk.verify.base import Decomposer, PassageReader, StanceModel
from factdesk.verify.relevance import RelevanceGate


@dataclass(frozen=True, slots=True)
class Syndicated:
    """A retrieved document's near-duplicate cluster: its id (the first copy's) and every copy published by the
    cut-off (undated ones kept), the document itself included."""

    cluster: str
    copies: tuple[Carrier, ...]


def syndicated(store: StoreBackend, hits: Sequence[PassageHit], cutoff: date | None) -> dict[str, Syndicated]:
    """The near-duplicate cluster of each hit's document that has copies stored, by document id."""
    clusters = store.near_duplicates({hit.passage.doc_id for hit in hits})
    documents = store.documents({member for members in clusters.values() for member in members})
    found = {}
    for doc_id, members in clusters.items():
        copies = tuple(
            Carrier(d.id, d.outlet, d.url, d.published)
            for d in (documents[m] for m in members if m in documents)
            if cutoff is None or d.published is None or d.published <= cutoff
        )
        found[doc_id] = Syndicated(members[0], copies)
    return found


def one_per_cluster(items: list[tuple[float, Evidence]], copies: dict[str, Syndicated]) -> list[tuple[float, Evidence]]:
    """The items, less those from a near-duplicate of a better-ranked item's document; the items of a document
    that has copies name them (``also_carried_by``)."""
    chosen: dict[str, str] = {}  # cluster -> the document weighed for it
    for _, evidence in sorted(items, key=lambda item: -item[0]):
        if (cluster := copies.get(evidence.passage.doc_id)) is not None:
            chosen.setdefault(cluster.cluster, evidence.passage.doc_id)
    kept = []
    for rank, evidence in items:
        cluster = copies.get(evidence.passage.doc_id)
        if cluster is None:
            kept.append((rank, evidence))
        elif chosen[cluster.cluster] == evidence.passage.doc_id:
            others = tuple(copy for copy in cluster.copies if copy.doc_id != evidence.passage.doc_id)
            kept.append((rank, replace(evidence, also_carried_by=others)))
    return kept


class EvidenceWeigher:
    """``gather(store, claim, cutoff)``: the retriever's candidates and each retrieved document's conclusion,
    weighed (``weigh``) and gated, then the claimant's earlier words. ``claim_stance`` is the stance towards a
    claim and its parts, which the citation checker reuses."""

    def __init__(
        self,
        retriever: Retriever,
        stance: StanceModel,
        reranker: Reranker | None,
        decomposer: Decomposer | None,
        retrieve: RetrieveConfig,
        verify: VerifyConfig,
        reader: PassageReader | None = None,
    ) -> None:
        if verify.rerank_weight + verify.relevance_weight > 1.0:
            raise FactdeskError("[verify] rerank_weight + relevance_weight must be at most 1 (the rest is retrieval)")
        self.retriever, self.stance, self.reranker, self.decomposer = retriever, stance, reranker, decomposer
        self.reader = reader
        self.retrieve, self.verify = retrieve, verify
        self.gate = RelevanceGate(verify.relevance_threshold, verify.min_content_words)

    def warm_up(self) -> None:
        self.retriever.warm_up()
        self.stance.warm_up()
        if self.reranker is not None:
            self.reranker.warm_up()
        if self.decomposer is not None:
            self.decomposer.warm_up()
        if self.reader is not None:
            self.reader.warm_up()

    def gather(self, store: StoreBackend, claim: Claim, cutoff: date | None) -> list[Evidence]:
        """The evidence for ``claim``, published no later than ``cutoff``: retrieved passages and the retrieved
        documents' conclusions, weighed and passed through the relevance gate, then the claimant's earlier words."""
        hits = self.with_conclusions(store, self.retriever.run(store, claim, cutoff))
        evidence = self.weigh(claim, hits, syndicated(store, hits, cutoff))
        return evidence + self.earlier_statements(store, claim, evidence)

    def weigh(
        self, claim: Claim, hits: list[PassageHit], copies: dict[str, Syndicated] | None = None
    ) -> list[Evidence]:
        """Scores every candidate's stance (and relevance, with a reranker), counts each near-duplicate cluster
        (``copies``, from ``syndicated``) as one document, then keeps the ``top_k`` ranked highest by
        ``rerank_weight · reranker + relevance_weight · stance relevance + the rest · retrieval``, read by the
        passage reader (where there is one)."""
        kept = [(rank, e) for rank, e in self._score(claim, hits) if e.relevance >= self.verify.min_relevance]
        kept = one_per_cluster(kept, copies or {})
        chosen = mmr_select(
            kept,
            relevance=lambda item: item[0],
            source=lambda item: domain(item[1].document.url) or item[1].document.outlet.lower(),
            k=self.retrieve.top_k,
            trade_off=self.retrieve.mmr_trade_off,
        )
        return self._read(claim, [e for _, e in chosen])

    def weigh_all(self, claim: Claim, hits: list[PassageHit]) -> list[Evidence]:
        """Every hit weighed (stance, relevance, the gate's tag, the reader's reading) and none left out: passages
        an editor chose, which the ranking does not get to drop."""
        return self._read(claim, [e for _, e in self._score(claim, hits)])

    def _read(self, claim: Claim, evidence: list[Evidence]) -> list[Evidence]:
        return self.reader.run(claim, evidence) if self.reader is not None and evidence else evidence

    def _score(self, claim: Claim, hits: list[PassageHit]) -> list[tuple[float, Evidence]]:
        """Each hit with its ranking score and as evidence: stance, relevance and the relevance gate's tag."""
        if not hits:
            return []
        texts = [hit.passage.text for hit in hits]
        probabilities = self.claim_stance(claim, texts)
        reranked = self.reranker.run(claim.text, texts) if self.reranker is not None else np.zeros(len(hits))
        best_score = max(hit.score for hit in hits) or 1.0
        verify = self.verify
        rerank_weight = verify.rerank_weight if self.reranker is not None else 0.0
        retrieval_weight = 1.0 - verify.rerank_weight - verify.relevance_weight
        weighed = []
        for hit, row, rerank in zip(hits, probabilities, reranked, strict=True):
            relevance = float(1.0 - row[STANCE_LABELS.index("neutral")])
            ranking = (
                rerank_weight * float(rerank)
                + verify.relevance_weight * relevance
                + retrieval_weight * hit.score / best_score
            )
            scores = {"retrieval": float(hit.score), "relevance": relevance}
            if self.reranker is not None:
                scores["rerank"] = float(rerank)
            evidence = Evidence(
                passage=hit.passage,
                document=hit.document,
                stance=STANCE_LABELS[int(np.argmax(row))],
                stance_probabilities={label: float(p) for label, p in zip(STANCE_LABELS, row, strict=True)},
                scores=scores,
                from_claimant=echoes_claimant(claim, hit.passage.text) or reports_claim(claim, hit.passage.text),
                question=hit.question,
            )
            weighed.append((ranking, evidence))
        about = reranked if self.reranker is not None else [e.relevance for _, e in weighed]
        gated = self.gate.apply([e for _, e in weighed], about, claim)
        return [(rank, e) for (rank, _), e in zip(weighed, gated, strict=True)]

    @staticmethod
    def with_conclusions(store: StoreBackend, hits: list[PassageHit]) -> list[PassageHit]:
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
            for passage in conclusions(store.passages(doc_id), top.document.text):
                if (doc_id, passage.end) not in seen:
                    added.append(replace(top, passage=passage))
        return hits + added

    def earlier_statements(self, store: StoreBackend, claim: Claim, found: list[Evidence]) -> list[Evidence]:
        """Passages from before the claim's date in which the claimant (or their organisation) speaks, found by
        the configured retriever: what they said earlier is evidence too, as the claimant's own record. They cast
        no support vote."""
        if not (claim.claimant and claim.date and self.verify.earlier_statements):
            return []
        organisation = claim.claimant_role.rpartition(",")[2].strip()
        query = Claim(f"{claim.claimant} {organisation}".strip(), claimant=claim.claimant)
        seen = {(e.passage.doc_id, e.passage.start) for e in found}
        hits = [
            hit
            for hit in self.retriever.run(store, query, claim.date - timedelta(days=1))
            if hit.document.published is not None
            and (hit.passage.doc_id, hit.passage.start) not in seen
            and echoes_claimant(claim, hit.passage.text)
        ]
        return self.weigh(claim, hits, syndicated(store, hits, claim.date))[: self.verify.earlier_statements]

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

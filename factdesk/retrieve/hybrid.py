"""Hybrid retrieval: BM25 (tantivy or FTS5) and dense (ANN) ranked lists for the claim and each of its sub-queries,
fused by reciprocal rank fusion, filtered by source policy, and picked by MMR across sources.

score(passage) = reliability weight · Σ over lists  w_query · w_list / (rrf_k + rank)

where w_list is ``lexical_weight`` for a BM25 list and 1 for a dense one (``benchmarks/fusion_settings.py`` chose
it, ``rrf_k`` and ``mmr_trade_off``).

Each passage keeps the (sub-)question of the list that contributed most to its score. Reranking happens
downstream: ``EvidenceWeigher.weigh`` scores every candidate with the trained stance model and its relevance output
(``factdesk.retrieve.rerank``) and ranks by a weighted sum of the reranker score, the stance relevance
(1 − P(neutral)) and this score (``[verify] rerank_weight``, ``relevance_weight``). Nothing published after
the cut-off comes back from any list: tantivy checks its ``published`` field (see ``LexicalIndex.search``),
then every list is read from SQL with the cut-off; undated documents are kept (``PassageHit.undated``) and
flagged by the pipeline. ``lexical = "tantivy"`` keeps a tantivy index next to the store (``LexicalIndex``), in
step with it like the dense one; ``"fts5"`` searches the store's own FTS5 table, whose cost grows with the corpus.
A store with no folder (PostgreSQL) keeps nothing beside it: there BM25 is the store's own full-text search and the
passage embeddings live in the database (``StoreDenseIndex``: pgvector HNSW); without pgvector on the server the
dense lists are left out, and a warning says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.config import misinformation_list
from factdesk.errors import FactdeskError
from factdesk.records import Claim
from factdesk.registry import register
from factdesk.retrieve.credibility import SourcePolicy, mmr_select, source_key
from factdesk.retrieve.dense import DenseIndex, IndexSettings, PassageEmbedder, StoreDenseIndex, passage_embedder
from factdesk.retrieve.lexical_index import ANALYZERS, LexicalIndex, LexicalSettings
from factdesk.retrieve.planner import QueryPlanner, SubQuery
from factdesk.store import PassageHit, Store, StoreBackend, VectorStore

log = logging.getLogger(__name__)

Key = tuple[str, int, int]
LEXICAL = ("tantivy", "fts5")


@register("retriever", "hybrid")
@dataclass
class HybridRetriever:
    candidates: int = 40
    max_per_document: int = 2
    embedder: str = "minilm-onnx"
    index_dtype: str = "i8"
    list_depth: int = 50  # passages taken from each ranked list
    rrf_k: int = 10
    max_queries: int = 6
    sub_query_weight: float = 0.5
    lexical_weight: float = 0.5  # a BM25 list counts this much against a dense list in the fusion
    dense: bool = True  # False: sub-queries and RRF over the lexical lists only
    lexical: str = "tantivy"  # the BM25 engine: "tantivy" (an index beside the store) or "fts5" (the store's)
    lexical_analyzer: str = "plain"  # tantivy's: "plain" or "en_stem" (English stems)
    mmr_trade_off: float = 0.8
    allow_domains: list[str] = field(default_factory=list)
    deny_domains: list[str] = field(default_factory=list)
    deny_list_file: str = field(default_factory=misinformation_list)
    domain_weights: dict[str, float] = field(default_factory=dict)
    vector_cache: str = ""  # a store folder whose embeddings table caches passage vectors, e.g. across test stores
    name: str = "hybrid-rrf"
    _embedder: Any = field(default=None, init=False, repr=False)
    _planner: QueryPlanner | None = field(default=None, init=False, repr=False)
    _indexes: dict[str, DenseIndex | StoreDenseIndex] = field(default_factory=dict, init=False, repr=False)
    _lexical: dict[str, LexicalIndex] = field(default_factory=dict, init=False, repr=False)
    _policy: SourcePolicy | None = field(default=None, init=False, repr=False)
    _cache: Store | None = field(default=None, init=False, repr=False)
    _in_store: dict[str, bool] = field(default_factory=dict, init=False, repr=False)  # whether pgvector is there

    def __post_init__(self) -> None:
        if self.lexical not in LEXICAL:
            raise FactdeskError(f"unknown lexical engine {self.lexical!r}; expected one of {', '.join(LEXICAL)}")
        if self.lexical_analyzer not in ANALYZERS:
            raise FactdeskError(f"unknown lexical analyzer {self.lexical_analyzer!r}; expected one of {ANALYZERS}")

    def warm_up(self) -> None:
        if self._planner is None:
            self._planner = QueryPlanner(self.max_queries, self.sub_query_weight)
            self._planner.warm_up()
            self._policy = SourcePolicy.from_lists(
                self.allow_domains, self.deny_domains, self.deny_list_file, self.domain_weights
            )
        if self.dense and self._embedder is None:
            embedder: PassageEmbedder = passage_embedder(self.embedder)
            embedder.warm_up()
            self._embedder = embedder
            if self.vector_cache:
                self._cache = Store(Path(self.vector_cache))

    def _tantivy(self, store: StoreBackend) -> bool:
        return self.lexical == "tantivy" and store.folder is not None

    def _dense(self, store: StoreBackend) -> bool:
        """Whether dense lists are searched: asked for, and the index can be kept beside the store or in it."""
        if not self.dense or store.folder is not None:
            return self.dense
        if store.location not in self._in_store:
            self._in_store[store.location] = isinstance(store, VectorStore) and store.dense_search_available()
            if not self._in_store[store.location]:
                log.warning(
                    "%s has no folder for a dense index, nor pgvector: retrieving with its full-text search only",
                    store.location,
                )
        return self._in_store[store.location]

    def index(self, store: StoreBackend, progress: bool = False) -> None:
        """Brings the indexes kept beside ``store`` (tantivy, dense) up to date with it."""
        if self._tantivy(store):
            self.lexical_index(store, progress)
        if self._dense(store):
            self.dense_index(store, progress)

    def rebuild(self, store: StoreBackend, progress: bool = False) -> int:
        """Rebuilds the indexes kept beside ``store`` from it (re-embedding every passage); returns how many."""
        self.warm_up()
        rebuilt = 0
        if self._tantivy(store):
            index = self._lexical[store.location] = self._new_lexical(store)
            rebuilt = index.rebuild(progress=progress)
        if self._dense(store):
            dense = self._indexes[store.location] = self._new_dense(store)
            rebuilt = dense.rebuild(progress=progress)
        return rebuilt

    def lexical_index(self, store: StoreBackend, progress: bool = False) -> LexicalIndex:
        """The tantivy index of ``store``, synced with it."""
        index = self._lexical.get(store.location)
        if index is None:
            index = self._lexical[store.location] = self._new_lexical(store)
        index.sync(progress=progress)
        return index

    def dense_index(self, store: StoreBackend, progress: bool = False) -> DenseIndex | StoreDenseIndex:
        """The dense index of ``store``, synced with it."""
        self.warm_up()
        index = self._indexes.get(store.location)
        if index is None:
            index = self._indexes[store.location] = self._new_dense(store)
        index.sync(progress=progress)
        return index

    def _new_lexical(self, store: StoreBackend) -> LexicalIndex:
        return LexicalIndex(store, LexicalSettings(analyzer=self.lexical_analyzer))

    def _new_dense(self, store: StoreBackend) -> DenseIndex | StoreDenseIndex:
        if isinstance(store, VectorStore) and store.folder is None:
            return StoreDenseIndex(store, self._embedder)
        index = DenseIndex(store, self._embedder, IndexSettings(dtype=self.index_dtype))
        index.use_cache(self._cache)
        return index

    def model_files(self) -> list[Path]:
        """The embedder's model files, where it names them (after ``warm_up``)."""
        return list(getattr(self._embedder, "model_files", list)()) if self.dense else []

    def run(self, store: StoreBackend, claim: Claim, cutoff: date | None) -> list[PassageHit]:
        self.warm_up()
        assert self._planner is not None
        plan = self._planner.run(claim)
        vectors = self._embedder.queries([q.text for q in plan]) if self._dense(store) else None
        return self.search(store, plan, vectors, cutoff)

    def search(
        self, store: StoreBackend, plan: list[SubQuery], vectors: np.ndarray | None, cutoff: date | None
    ) -> list[PassageHit]:
        """Ranked lists for each planned query (``vectors`` are their embeddings), fused and selected."""
        assert self._policy is not None
        policy = self._policy
        ranked: list[tuple[SubQuery, list[PassageHit]]] = []
        lexical = self.lexical_index(store) if self._tantivy(store) else None
        for query in plan:
            if lexical is not None:
                hits = lexical.search(query.text, cutoff, self.list_depth, lambda h: not policy.admits(h))
            else:
                hits = store.search_passages(query.text, cutoff, self.list_depth * 2)
                hits = [h for h in hits if policy.admits(h)][: self.list_depth]
            ranked.append((replace(query, weight=query.weight * self.lexical_weight), hits))
        if vectors is not None:
            index = self.dense_index(store)
            for query, vector in zip(plan, vectors, strict=True):
                ranked.append((query, index.search(vector, cutoff, self.list_depth, lambda h: not policy.admits(h))))
        return self._select(self._fuse(ranked))

    def _fuse(self, ranked: list[tuple[SubQuery, list[PassageHit]]]) -> list[PassageHit]:
        """Reciprocal rank fusion; each hit takes the question of its largest contribution."""
        assert self._policy is not None
        scores: dict[Key, float] = {}
        best: dict[Key, tuple[float, PassageHit, str]] = {}
        for query, hits in ranked:
            for rank, hit in enumerate(hits, start=1):
                key = (hit.passage.doc_id, hit.passage.start, hit.passage.end)
                part = query.weight / (self.rrf_k + rank)
                scores[key] = scores.get(key, 0.0) + part
                if key not in best or part > best[key][0]:
                    best[key] = (part, hit, query.question)
        fused = [
            PassageHit(hit.passage, hit.document, scores[key] * self._policy.weight(hit), question)
            for key, (_, hit, question) in best.items()
        ]
        fused.sort(key=lambda h: h.score, reverse=True)
        return fused

    def _select(self, fused: list[PassageHit]) -> list[PassageHit]:
        """At most ``max_per_document`` per document, then MMR across sources."""
        per_document: dict[str, int] = {}
        pool = []
        for hit in fused:
            count = per_document.get(hit.passage.doc_id, 0)
            if count < self.max_per_document:
                per_document[hit.passage.doc_id] = count + 1
                pool.append(hit)
        return mmr_select(pool, lambda h: h.score, source_key, self.candidates, self.mmr_trade_off)

"""Lexical retrieval with the store's own search: SQLite FTS5 (BM25) or PostgreSQL full-text search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from factdesk.records import Claim
from factdesk.registry import register
from factdesk.store import PassageHit, StoreBackend


@register("retriever", "fts5")
@dataclass
class Fts5Retriever:
    candidates: int = 40
    max_per_document: int = 2
    name: str = "fts5-bm25"

    def warm_up(self) -> None:
        """Nothing to load: the index lives in the store."""

    def index(self, store: StoreBackend, progress: bool = False) -> None:
        """Nothing to do: the store's search index is updated in the same transaction as the passages."""

    def rebuild(self, store: StoreBackend, progress: bool = False) -> int:
        """Nothing to rebuild outside the store."""
        return 0

    def run(self, store: StoreBackend, claim: Claim, cutoff: date | None) -> list[PassageHit]:
        hits = store.search_passages(claim.text, cutoff, self.candidates * 3)
        per_document: dict[str, int] = {}
        kept: list[PassageHit] = []
        for hit in hits:
            count = per_document.get(hit.passage.doc_id, 0)
            if count < self.max_per_document:
                per_document[hit.passage.doc_id] = count + 1
                kept.append(hit)
            if len(kept) == self.candidates:
                break
        return kept

"""Search answers kept in the store (a ``search_results`` table), so a re-check asks the search service nothing;
the fetch log does the same for the pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from factdesk.search.base import SearchResult
from factdesk.store import StoreBackend


class SearchCache:
    """One answer per (backend, service URL, query, cut-off sent, results asked for), kept by the store."""

    def __init__(self, store: StoreBackend, backend: str, endpoint: str) -> None:
        self.store = store
        self.backend = backend
        self.endpoint = endpoint

    def get(self, query: str, cutoff: date | None, count: int) -> list[SearchResult] | None:
        """The stored answer, or None if this search was never made."""
        stored = self.store.search_answer(self.backend, self.endpoint, query, _day(cutoff), count)
        return [SearchResult(**item) for item in json.loads(stored)] if stored is not None else None

    def put(self, query: str, cutoff: date | None, count: int, results: list[SearchResult]) -> None:
        payload = json.dumps([{"url": r.url, "title": r.title, "snippet": r.snippet} for r in results])
        searched_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.store.save_search_answer(self.backend, self.endpoint, query, _day(cutoff), count, payload, searched_at)


def _day(cutoff: date | None) -> str:
    return cutoff.isoformat() if cutoff else ""

"""Search answers kept in the store (a ``search_results`` table), so a re-check asks the search service nothing;
the fetch log does the same for the pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from factdesk.search.base import SearchResult
from factdesk.store import Store


class SearchCache:
    """One row per (backend, service URL, query, cut-off sent, results asked for), in the store's
    ``search_results`` table (made by the store's migrations)."""

    def __init__(self, store: Store, backend: str, endpoint: str) -> None:
        self.store = store
        self.backend = backend
        self.endpoint = endpoint

    def get(self, query: str, cutoff: date | None, count: int) -> list[SearchResult] | None:
        """The stored answer, or None if this search was never made."""
        rows = self.store.query(
            "SELECT results FROM search_results WHERE backend = ? AND endpoint = ? AND query = ? AND cutoff = ?"
            " AND count = ?",
            (self.backend, self.endpoint, query, _day(cutoff), count),
        )
        return [SearchResult(**item) for item in json.loads(rows[0][0])] if rows else None

    def put(self, query: str, cutoff: date | None, count: int, results: list[SearchResult]) -> None:
        payload = json.dumps([{"url": r.url, "title": r.title, "snippet": r.snippet} for r in results])
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO search_results VALUES (?,?,?,?,?,?,?)",
                (
                    self.backend,
                    self.endpoint,
                    query,
                    _day(cutoff),
                    count,
                    payload,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )


def _day(cutoff: date | None) -> str:
    return cutoff.isoformat() if cutoff else ""

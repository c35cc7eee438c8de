"""Search answers kept in the store (a ``search_results`` table), so a re-check asks the search service nothing;
the fetch log does the same for the pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from factdesk.search.base import SearchResult
from factdesk.store import Store

_SCHEMA = """CREATE TABLE IF NOT EXISTS search_results (
    backend TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    query TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    count INTEGER NOT NULL,
    results TEXT NOT NULL,
    searched_at TEXT NOT NULL,
    PRIMARY KEY (backend, endpoint, query, cutoff, count)
)"""


class SearchCache:
    """One row per (backend, service URL, query, cut-off sent, results asked for)."""

    def __init__(self, store: Store, backend: str, endpoint: str) -> None:
        self.store = store
        self.backend = backend
        self.endpoint = endpoint
        self._created = False

    def _ready(self) -> bool:
        if self.store.read_only:
            return bool(self.store.query("SELECT 1 FROM sqlite_master WHERE name = 'search_results'"))
        if not self._created:
            with self.store.transaction() as conn:
                conn.execute(_SCHEMA)
            self._created = True
        return True

    def get(self, query: str, cutoff: date | None, count: int) -> list[SearchResult] | None:
        """The stored answer, or None if this search was never made."""
        if not self._ready():
            return None
        rows = self.store.query(
            "SELECT results FROM search_results WHERE backend = ? AND endpoint = ? AND query = ? AND cutoff = ?"
            " AND count = ?",
            (self.backend, self.endpoint, query, _day(cutoff), count),
        )
        return [SearchResult(**item) for item in json.loads(rows[0][0])] if rows else None

    def put(self, query: str, cutoff: date | None, count: int, results: list[SearchResult]) -> None:
        self._ready()
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

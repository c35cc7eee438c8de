"""What was fetched and searched from the web: the fetch log's tables (``factdesk.fetch``), each response fetched
and the stored documents it gave, and the search answers (``factdesk.search``)."""

from __future__ import annotations

from collections.abc import Sequence

from factdesk.store.base import StoreBase
from factdesk.store.schema import TABLES

FETCH_COLUMNS = TABLES["fetches"][1:]  # every column but the id


class Fetches(StoreBase):
    def fetched_urls(self, urls: Sequence[str]) -> set[str]:
        """Which of ``urls`` were fetched before (as asked for, before redirects)."""
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            rows = self._conn.execute(f"SELECT url FROM fetches WHERE url IN ({','.join('?' * len(chunk))})", chunk)
            found.update(row[0] for row in rows)
        return found

    def add_fetch(self, fetch: dict[str, object], content_hashes: Sequence[str]) -> int:
        """Logs one fetch (a value for each of ``FETCH_COLUMNS``) with the stored documents whose text hashes are
        ``content_hashes``, in one transaction; returns its id."""
        with self.transaction() as conn:
            fetch_id = conn.execute(
                f"INSERT INTO fetches ({', '.join(FETCH_COLUMNS)}) VALUES ({','.join('?' * len(FETCH_COLUMNS))})",
                [fetch[column] for column in FETCH_COLUMNS],
            ).lastrowid
            conn.execute(
                "INSERT OR IGNORE INTO fetched_documents (doc_id, fetch_id)"
                f" SELECT id, ? FROM documents WHERE content_hash IN ({','.join('?' * len(content_hashes))})",
                (fetch_id, *content_hashes),
            )
        assert fetch_id is not None
        return fetch_id

    def fetches_of(self, doc_id: str) -> list[dict[str, object]]:
        """The fetches that gave document ``doc_id``, earliest first."""
        rows = self._conn.execute(
            "SELECT f.* FROM fetches f JOIN fetched_documents d ON d.fetch_id = f.id WHERE d.doc_id = ? ORDER BY f.id",
            (doc_id,),
        )
        return [dict(row) for row in rows]

    def search_answer(self, backend: str, endpoint: str, query: str, cutoff: str, count: int) -> str | None:
        """The stored answer (JSON) of one search, or None if it was never made."""
        row = self._conn.execute(
            "SELECT results FROM search_results WHERE backend = ? AND endpoint = ? AND query = ? AND cutoff = ?"
            " AND count = ?",
            (backend, endpoint, query, cutoff, count),
        ).fetchone()
        return row[0] if row else None

    def save_search_answer(
        self, backend: str, endpoint: str, query: str, cutoff: str, count: int, results: str, searched_at: str
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO search_results VALUES (?,?,?,?,?,?,?)",
                (backend, endpoint, query, cutoff, count, results, searched_at),
            )

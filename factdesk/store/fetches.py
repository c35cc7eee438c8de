"""What was fetched and searched from the web: the fetch log's tables (``factdesk.fetch``), each response fetched
and the stored documents it gave, the pages that failed and when they may be tried again, the search answers
(``factdesk.search``), and the feeds watched with the items seen in each (``factdesk.watch``)."""

from __future__ import annotations

from collections.abc import Sequence

from factdesk.store.base import StoreBase
from factdesk.store.schema import TABLES

FETCH_COLUMNS = TABLES["fetches"][1:]  # every column but the id
FAILURE_COLUMNS = TABLES["fetch_failures"]
FEED_COLUMNS = TABLES["feeds"]
ITEM_COLUMNS = TABLES["feed_items"]
PENDING = "pending"
DONE = "done"


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
            conn.execute("DELETE FROM fetch_failures WHERE url = ?", (fetch["url"],))
        assert fetch_id is not None
        return fetch_id

    def fetched_documents(self, url: str) -> list[str]:
        """The ids of the stored documents the latest fetch of ``url`` gave (none if it was never fetched)."""
        rows = self._conn.execute(
            "SELECT d.doc_id FROM fetched_documents d WHERE d.fetch_id ="
            " (SELECT MAX(id) FROM fetches WHERE url = ?) ORDER BY d.doc_id",
            (url,),
        )
        return [row[0] for row in rows]

    def fetch_failures(self, urls: Sequence[str]) -> dict[str, dict[str, object]]:
        """The recorded failures of ``urls`` (attempts, last error, when, and when it may be tried again) by URL."""
        found: dict[str, dict[str, object]] = {}
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            rows = self._conn.execute(
                f"SELECT * FROM fetch_failures WHERE url IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update((row["url"], dict(row)) for row in rows)
        return found

    def save_fetch_failure(self, failure: dict[str, object]) -> None:
        """Records (or replaces) a URL's failure: a value for each of ``FAILURE_COLUMNS``."""
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO fetch_failures ({', '.join(FAILURE_COLUMNS)})"
                f" VALUES ({','.join('?' * len(FAILURE_COLUMNS))})",
                [failure[column] for column in FAILURE_COLUMNS],
            )

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

    def feed(self, url: str) -> dict[str, object] | None:
        """A watched feed's row (title, ETag, Last-Modified, when polled), or None if it was never read."""
        row = self._conn.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def save_feed(self, feed: dict[str, object], items: Sequence[dict[str, object]]) -> int:
        """Records a feed's read (a value for each of ``FEED_COLUMNS``) and, in the same transaction, its items not
        seen before (by key, or by link) as pending; returns how many items were new."""
        item_columns = ", ".join(ITEM_COLUMNS)
        new = 0
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO feeds ({', '.join(FEED_COLUMNS)})"
                f" VALUES ({','.join('?' * len(FEED_COLUMNS))})",
                [feed[column] for column in FEED_COLUMNS],
            )
            for item in items:
                values = {**item, "feed_url": feed["url"], "state": PENDING, "done_at": None, "result": "{}"}
                new += conn.execute(
                    f"INSERT INTO feed_items ({item_columns}) SELECT {','.join('?' * len(ITEM_COLUMNS))}"
                    " WHERE NOT EXISTS (SELECT 1 FROM feed_items WHERE feed_url = ?"
                    " AND (item_key = ? OR (link <> '' AND link = ?)))",
                    [*(values[column] for column in ITEM_COLUMNS), feed["url"], item["item_key"], item["link"]],
                ).rowcount
        return new

    def feed_items(self, feed_url: str, state: str | None = None) -> list[dict[str, object]]:
        """A feed's items (those in ``state`` if given), in the order they were found."""
        rows = self._conn.execute(
            "SELECT * FROM feed_items WHERE feed_url = ? AND (? IS NULL OR state = ?) ORDER BY found_at, seq",
            (feed_url, state, state),
        )
        return [dict(row) for row in rows]

    def finish_feed_item(self, feed_url: str, item_key: str, result: str, done_at: str) -> None:
        """Marks an item done, with what was found in it (JSON)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE feed_items SET state = ?, result = ?, done_at = ? WHERE feed_url = ? AND item_key = ?",
                (DONE, result, done_at, feed_url, item_key),
            )

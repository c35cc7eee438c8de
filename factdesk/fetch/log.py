"""What was fetched: a ``fetches`` table in the store (URL, final URL, status, time, hash, WARC record) and which
stored documents each fetch gave. A URL logged here is not fetched again unless asked."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from factdesk.fetch.archive import WarcRecord
from factdesk.fetch.client import Response
from factdesk.store import Store


@dataclass(frozen=True, slots=True)
class FetchRecord:
    url: str
    final_url: str
    status: int
    content_type: str
    fetched_at: datetime
    sha256: str
    warc: WarcRecord


class FetchLog:
    """The store's ``fetches`` and ``fetched_documents`` tables (made by the store's migrations)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def fetched(self, urls: list[str]) -> set[str]:
        """Which of ``urls`` were fetched before (as asked for, before redirects)."""
        if not urls:
            return set()
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            rows = self.store.query(f"SELECT url FROM fetches WHERE url IN ({','.join('?' * len(chunk))})", chunk)
            found.update(row[0] for row in rows)
        return found

    def add(self, response: Response, warc: WarcRecord, content_hashes: list[str]) -> int:
        """Logs one fetch with the stored documents whose text hashes are ``content_hashes``, in one transaction."""
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO fetches (url, final_url, status, content_type, fetched_at, sha256, warc_file,"
                " warc_offset, warc_length) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    response.url,
                    response.final_url,
                    response.status,
                    response.content_type,
                    response.fetched_at.isoformat(timespec="seconds"),
                    response.sha256,
                    warc.file,
                    warc.offset,
                    warc.length,
                ),
            )
            fetch_id = cursor.lastrowid
            marks = ",".join("?" * len(content_hashes))
            conn.execute(
                "INSERT OR IGNORE INTO fetched_documents (doc_id, fetch_id)"
                f" SELECT id, ? FROM documents WHERE content_hash IN ({marks})",
                (fetch_id, *content_hashes),
            )
        assert fetch_id is not None
        return fetch_id

    def sources(self, doc_id: str) -> list[FetchRecord]:
        """The fetches that gave document ``doc_id``, earliest first."""
        rows = self.store.query(
            "SELECT f.* FROM fetches f JOIN fetched_documents d ON d.fetch_id = f.id WHERE d.doc_id = ? ORDER BY f.id",
            (doc_id,),
        )
        return [_record(row) for row in rows]


def _record(row: sqlite3.Row) -> FetchRecord:
    return FetchRecord(
        url=row["url"],
        final_url=row["final_url"],
        status=row["status"],
        content_type=row["content_type"],
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
        sha256=row["sha256"],
        warc=WarcRecord(row["warc_file"], row["warc_offset"], row["warc_length"]),
    )


def archived_copies(store: Store, doc_ids: list[str]) -> dict[str, dict[str, object]]:
    """For each fetched document among ``doc_ids``: the file name its archived copy gets in a publication
    (``archive/<sha256>.warc.gz``), the fetched URL and time, and where the record lies in the store's archive."""
    log = FetchLog(store)
    copies: dict[str, dict[str, object]] = {}
    for doc_id in dict.fromkeys(doc_ids):
        records = log.sources(doc_id)
        if records:
            first = records[0]
            copies[doc_id] = {
                "file": f"archive/{first.sha256}.warc.gz",
                "url": first.final_url,
                "fetched_at": first.fetched_at.isoformat(),
                "sha256": first.sha256,
                "warc_file": first.warc.file,
                "warc_offset": first.warc.offset,
                "warc_length": first.warc.length,
            }
    return copies

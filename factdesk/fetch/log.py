"""What was fetched: a ``fetches`` table in the store (URL, final URL, status, time, hash, WARC record) and which
stored documents each fetch gave. A URL logged here is not fetched again unless asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from factdesk.fetch.archive import WarcRecord
from factdesk.fetch.client import Response
from factdesk.store import StoreBackend


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

    def __init__(self, store: StoreBackend) -> None:
        self.store = store

    def fetched(self, urls: list[str]) -> set[str]:
        """Which of ``urls`` were fetched before (as asked for, before redirects)."""
        return self.store.fetched_urls(urls) if urls else set()

    def add(self, response: Response, warc: WarcRecord, content_hashes: list[str]) -> int:
        """Logs one fetch with the stored documents whose text hashes are ``content_hashes``, in one transaction."""
        fetch = {
            "url": response.url,
            "final_url": response.final_url,
            "status": response.status,
            "content_type": response.content_type,
            "fetched_at": response.fetched_at.isoformat(timespec="seconds"),
            "sha256": response.sha256,
            "warc_file": warc.file,
            "warc_offset": warc.offset,
            "warc_length": warc.length,
        }
        return self.store.add_fetch(fetch, content_hashes)

    def sources(self, doc_id: str) -> list[FetchRecord]:
        """The fetches that gave document ``doc_id``, earliest first."""
        return [_record(row) for row in self.store.fetches_of(doc_id)]


def _record(row: dict[str, Any]) -> FetchRecord:
    return FetchRecord(
        url=row["url"],
        final_url=row["final_url"],
        status=row["status"],
        content_type=row["content_type"],
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
        sha256=row["sha256"],
        warc=WarcRecord(row["warc_file"], row["warc_offset"], row["warc_length"]),
    )


def archived_copies(store: StoreBackend, doc_ids: list[str]) -> dict[str, dict[str, object]]:
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

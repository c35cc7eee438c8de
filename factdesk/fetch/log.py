"""What was fetched: a ``fetches`` table in the store (URL, final URL, status, time, hash, WARC record) and which
stored documents each fetch gave. A URL logged here is not fetched again unless asked.

What failed: a ``fetch_failures`` table (URL, attempts, last error, when, and when it may be tried again). After
the n-th failure in a row a URL waits ``backoff · 2^(n-1)`` seconds (at most ``backoff_max``) before it is tried
again, so re-checks do not hammer a failing host; a success clears the record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


@dataclass(frozen=True, slots=True)
class Failure:
    url: str
    attempts: int  # failures in a row
    error: str  # the last one's reason
    failed_at: datetime
    retry_after: datetime

    def waiting(self, now: datetime) -> bool:
        return now < self.retry_after

    def reason(self) -> str:
        """Why the URL is not fetched now, for a per-URL error line."""
        times = "once" if self.attempts == 1 else f"{self.attempts} times"
        return (
            f"failed {times}, last at {self.failed_at:%Y-%m-%d %H:%M:%S} UTC ({self.error}); not tried again before"
            f" {self.retry_after:%Y-%m-%d %H:%M:%S} UTC ([fetch] failure_backoff)"
        )


class FetchLog:
    """The store's ``fetches``, ``fetched_documents`` and ``fetch_failures`` tables (made by its migrations)."""

    def __init__(self, store: StoreBackend, backoff: float = 3600.0, backoff_max: float = 7 * 86400.0) -> None:
        self.store = store
        self.backoff = backoff
        self.backoff_max = backoff_max

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

    def failures(self, urls: list[str]) -> dict[str, Failure]:
        """The recorded failures among ``urls``, by URL."""
        rows = self.store.fetch_failures(urls) if urls else {}
        return {url: _failure(row) for url, row in rows.items()}

    def fail(self, url: str, error: str, now: datetime | None = None) -> Failure:
        """Records one more failure of ``url``; it waits twice as long as after the failure before."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        before = self.failures([url]).get(url)
        attempts = before.attempts + 1 if before else 1
        wait = min(self.backoff_max, self.backoff * 2 ** (attempts - 1))
        failure = Failure(url, attempts, error, now, now + timedelta(seconds=wait))
        self.store.save_fetch_failure(
            {
                "url": url,
                "attempts": attempts,
                "error": error,
                "failed_at": now.isoformat(),
                "retry_after": failure.retry_after.isoformat(),
            }
        )
        return failure

    def documents_of(self, url: str) -> list[str]:
        """The ids of the stored documents the latest fetch of ``url`` gave."""
        return self.store.fetched_documents(url)

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


def _failure(row: dict[str, Any]) -> Failure:
    return Failure(
        url=row["url"],
        attempts=row["attempts"],
        error=row["error"],
        failed_at=datetime.fromisoformat(row["failed_at"]),
        retry_after=datetime.fromisoformat(row["retry_after"]),
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

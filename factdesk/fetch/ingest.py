"""``ingest URL``: fetch, archive each response to WARC, store its documents, then log the fetch.

Per URL, in this order, so a kill loses nothing: the WARC record (synced), the documents (one transaction), the
fetch log entry (one transaction). A URL is skipped on the next run only once its log entry is committed.

A URL that fails is logged as failed and not fetched again until its backoff has passed (``FetchLog``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tqdm import tqdm

from factdesk.config import IngestConfig
from factdesk.errors import InputProblem
from factdesk.fetch.archive import WarcArchive, archive_folder
from factdesk.fetch.errors import is_refusal
from factdesk.fetch.fetcher import HttpFetcher
from factdesk.fetch.log import FetchLog
from factdesk.ingest.chunking import chunk
from factdesk.ingest.pipeline import DocumentPreparer, IngestReport
from factdesk.ingest.readers import content_hash
from factdesk.store import StoreBackend, StoredDocument


class WebIngester:
    def __init__(
        self,
        store: StoreBackend,
        fetcher: HttpFetcher,
        config: IngestConfig,
        progress: bool = False,
        log: FetchLog | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.config = config
        self.progress = progress
        self.log = log or FetchLog(store)
        self.archive = WarcArchive(archive_folder(store))
        self.preparer = DocumentPreparer(config)

    def run(self, urls: Sequence[str], report: IngestReport, refetch: bool = False) -> IngestReport:
        """Adds what ``urls`` hold to ``report``; URLs fetched before, and URLs that failed and whose backoff has
        not passed (reported as problems), are skipped unless ``refetch``."""
        unique = list(dict.fromkeys(urls))
        done = set() if refetch else self.log.fetched(unique)
        now = datetime.now(UTC)
        failures = {} if refetch else self.log.failures([url for url in unique if url not in done])
        waiting = {url: failure for url, failure in failures.items() if failure.waiting(now)}
        todo = [url for url in unique if url not in done and url not in waiting]
        report.urls += len(unique)
        report.already_fetched += len(done)
        report.waiting += len(waiting)
        report.problems.extend(InputProblem(url, None, failure.reason()) for url, failure in waiting.items())
        with tqdm(total=len(todo), unit="URL", desc="fetch", disable=None if self.progress else True) as bar:
            for item in self.fetcher.fetch(todo):
                bar.update()
                if item.response is None:
                    if not is_refusal(item.error):  # nothing was asked of the page's host: no backoff
                        self.log.fail(item.url, item.error)
                    report.problems.append(InputProblem(item.url, None, item.error))
                    continue
                warc = self.archive.write(item.response)
                documents = [self.preparer.with_language(doc) for doc in item.documents]
                batch = [
                    StoredDocument(doc, chunk(doc, self.config.passage_chars), content_hash(doc.text), item.url)
                    for doc in documents
                    if doc is not None
                ]
                batch = self.preparer.ready(self.store, batch)
                result = self.store.add_documents(batch, action="fetch")
                self.log.add(item.response, warc, [stored.content_hash for stored in batch])
                report.fetched += 1
                report.read += len(documents)
                report.other_language += len(documents) - len(batch)
                report.added += result.added
                report.near_duplicates += sum(1 for stored in batch if stored.cluster)
                report.duplicates += result.duplicates
                report.problems.extend(InputProblem(source, None, reason) for source, reason in result.conflicts)
                bar.set_postfix(added=report.added, problems=len(report.problems))
        return report

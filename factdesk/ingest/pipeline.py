"""``ingest``: read files, chunk, deduplicate, and commit to the store in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from factdesk.config import IngestConfig
from factdesk.errors import InputProblem
from factdesk.ingest.chunking import chunk
from factdesk.ingest.readers import content_hash, expand_paths, read_file
from factdesk.records import Document
from factdesk.store import StoreBackend, StoredDocument


@dataclass
class IngestReport:
    files: int = 0
    urls: int = 0
    fetched: int = 0
    already_fetched: int = 0  # URLs fetched on an earlier run, not fetched again
    waiting: int = 0  # URLs that failed on an earlier run, not tried again before their backoff has passed
    read: int = 0
    added: int = 0
    duplicates: int = 0
    problems: list[InputProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Ingester:
    """Reads documents and commits each batch as one transaction; a rerun skips what is already stored."""

    def __init__(
        self,
        store: StoreBackend,
        config: IngestConfig | None = None,
        progress: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.config = config or IngestConfig()
        self.progress = progress
        self.metadata = metadata or {}  # Document fields that replace what each file says (url, outlet, ...)
        self._pending: list[StoredDocument] = []
        self._pending_hashes: set[str] = set()

    def run(self, paths: Sequence[Path]) -> IngestReport:
        files, problems = expand_paths(list(paths))
        report = IngestReport(files=len(files), problems=problems)
        total = sum(f.stat().st_size for f in files)
        with tqdm(
            total=total, unit="B", unit_scale=True, desc="ingest", disable=None if self.progress else True
        ) as bar:
            for path in files:
                for item in read_file(path):
                    bar.update(item.nbytes)
                    if item.problem:
                        report.problems.append(item.problem)
                        continue
                    assert item.document is not None
                    report.read += 1
                    digest = content_hash(item.document.text)
                    if digest in self._pending_hashes:
                        report.duplicates += 1
                        continue
                    document = replace(item.document, **self.metadata)
                    self._pending.append(StoredDocument(document, (), digest, item.source))
                    self._pending_hashes.add(digest)
                    if len(self._pending) >= self.config.batch_size:
                        self._flush(report)
                bar.set_postfix(added=report.added, duplicates=report.duplicates, problems=len(report.problems))
            self._flush(report)
            bar.set_postfix(added=report.added, duplicates=report.duplicates, problems=len(report.problems))
        return report

    def add(self, documents: Sequence[Document], source: str) -> IngestReport:
        """Stores documents given as records (text pasted on a page, say), chunked and deduplicated like files;
        ``source`` names where they came from in the store and in problems."""
        report = IngestReport(read=len(documents))
        for document in documents:
            digest = content_hash(document.text)
            if digest not in self._pending_hashes:
                self._pending.append(StoredDocument(replace(document, **self.metadata), (), digest, source))
                self._pending_hashes.add(digest)
            else:
                report.duplicates += 1
        self._flush(report)
        return report

    def _flush(self, report: IngestReport) -> None:
        if not self._pending:
            return
        known = self.store.known_hashes([item.content_hash for item in self._pending])
        batch = [
            StoredDocument(
                item.document, chunk(item.document, self.config.passage_chars), item.content_hash, item.source
            )
            for item in self._pending
            if item.content_hash not in known
        ]
        result = self.store.add_documents(batch)
        report.added += result.added
        report.duplicates += result.duplicates + len(self._pending) - len(batch)
        report.problems.extend(_conflict(source, reason) for source, reason in result.conflicts)
        self._pending.clear()
        self._pending_hashes.clear()


def _conflict(source: str, reason: str) -> InputProblem:
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return InputProblem(path, int(line), reason)
    return InputProblem(source, None, reason)

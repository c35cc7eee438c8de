"""``ingest``: read files, identify each document's language, chunk, deduplicate, link near-duplicates, and commit
to the store in batches.

Record files (JSONL and WARC, plain or gzipped; ``factdesk.ingest.streams``) are read as streams in constant
memory. Each batch is one transaction that also records how far each of them has been read (an ingest marker), so
a killed ingest resumes after its last committed batch and a file read to the end is not read again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from factdesk.config import IngestConfig
from factdesk.errors import InputProblem
from factdesk.ingest.chunking import chunk
from factdesk.ingest.near_duplicates import NearDuplicateFinder
from factdesk.ingest.readers import ReadItem, content_hash, expand_paths, is_stream, read_file
from factdesk.ingest.streams import Position, file_key, read_stream
from factdesk.records import Document
from factdesk.store import IngestMarker, StoreBackend, StoredDocument
from factdesk.text.language import detect_language


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
    near_duplicates: int = 0  # documents linked to an earlier copy (a cluster's first)
    other_language: int = 0  # documents left out: not in the languages asked for
    skipped: int = 0  # records of record files that hold no document (WARC requests, images, pages with no text)
    resumed: int = 0  # record files read on from where an earlier ingest stopped
    finished: int = 0  # record files read to the end by an earlier ingest, not read again
    problems: list[InputProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def language_code(language: str) -> str:
    """The primary subtag of a language tag, lower-cased: ``en-GB`` and ``EN`` are ``en``."""
    return language.strip().replace("_", "-").split("-")[0].lower()


class DocumentPreparer:
    """What every ingest path does to documents before they are stored: the language recorded (identified when
    the document states none), the language filter, and near-duplicates linked (``ready``)."""

    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self.languages = {language_code(code) for code in config.languages}
        self.finder = NearDuplicateFinder(config.near_duplicate_threshold) if config.near_duplicates else None

    def with_language(self, document: Document) -> Document | None:
        """The document with its language recorded, or None when it is not in the languages kept."""
        if not document.language:
            found = detect_language(document.text).code if self.config.identify_language else "en"
            document = replace(document, language=found)
        if self.languages and language_code(document.language) not in self.languages:
            return None
        return document

    def ready(self, store: StoreBackend, batch: list[StoredDocument]) -> list[StoredDocument]:
        """The batch with each document's signature, band keys and near-duplicate cluster."""
        return self.finder.run(store, batch) if self.finder is not None and batch else batch


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
        self.preparer = DocumentPreparer(self.config)
        self._pending: list[StoredDocument] = []
        self._pending_hashes: set[str] = set()
        self._markers: dict[str, IngestMarker] = {}  # how far each record file is read, committed with the batch

    def run(self, paths: Sequence[Path]) -> IngestReport:
        files, problems = expand_paths(list(paths))
        report = IngestReport(files=len(files), problems=problems)
        total = sum(f.stat().st_size for f in files)
        with tqdm(
            total=total, unit="B", unit_scale=True, desc="ingest", disable=None if self.progress else True
        ) as bar:
            for path in files:
                if is_stream(path):
                    self._read_stream(path, report, bar)
                else:
                    for item in read_file(path):
                        bar.update(item.nbytes)
                        self._take(item, report)
                bar.set_postfix(added=report.added, duplicates=report.duplicates, problems=len(report.problems))
            self._flush(report)
            bar.set_postfix(added=report.added, duplicates=report.duplicates, problems=len(report.problems))
        return report

    def _read_stream(self, path: Path, report: IngestReport, bar: tqdm) -> None:
        """Reads a record file from where the store's marker says an earlier ingest stopped, moving the marker on
        with each record; a file already read to the end is passed over."""
        key = file_key(path)
        marker = self.store.ingest_marker(key)
        if marker is not None and marker.done:
            report.finished += 1
            bar.update(path.stat().st_size)
            return
        start = Position(marker.records, marker.offset) if marker is not None else Position()
        report.resumed += marker is not None
        position, consumed = start, 0
        for found in read_stream(path, start):
            bar.update(found.consumed - consumed)
            consumed, position = found.consumed, found.position
            self._markers[key] = IngestMarker(key, str(path), position.records, position.offset, False)
            if found.item is None:
                report.skipped += 1
            else:
                self._take(found.item, report)
        self._markers[key] = IngestMarker(key, str(path), position.records, position.offset, True)

    def _take(self, item: ReadItem, report: IngestReport) -> None:
        if item.problem:
            report.problems.append(item.problem)
            return
        assert item.document is not None
        report.read += 1
        document = self.preparer.with_language(replace(item.document, **self.metadata))
        if document is None:
            report.other_language += 1
            return
        digest = content_hash(document.text)
        if digest in self._pending_hashes:
            report.duplicates += 1
            return
        self._pending.append(StoredDocument(document, (), digest, item.source))
        self._pending_hashes.add(digest)
        if len(self._pending) >= self.config.batch_size:
            self._flush(report)

    def add(self, documents: Sequence[Document], source: str) -> IngestReport:
        """Stores documents given as records (text pasted on a page, say), chunked and deduplicated like files;
        ``source`` names where they came from in the store and in problems."""
        report = IngestReport()
        for document in documents:
            self._take(ReadItem(document, None, source, 0), report)
        self._flush(report)
        return report

    def _flush(self, report: IngestReport) -> None:
        if not self._pending and not self._markers:
            return
        known = self.store.known_hashes([item.content_hash for item in self._pending])
        batch = [
            StoredDocument(
                item.document, chunk(item.document, self.config.passage_chars), item.content_hash, item.source
            )
            for item in self._pending
            if item.content_hash not in known
        ]
        batch = self.preparer.ready(self.store, batch)
        result = self.store.add_documents(batch, markers=list(self._markers.values()))
        report.added += result.added
        report.near_duplicates += sum(1 for item in batch if item.cluster)
        report.duplicates += result.duplicates + len(self._pending) - len(batch)
        report.problems.extend(_conflict(source, reason) for source, reason in result.conflicts)
        self._pending.clear()
        self._pending_hashes.clear()
        self._markers.clear()


def _conflict(source: str, reason: str) -> InputProblem:
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return InputProblem(path, int(line), reason)
    return InputProblem(source, None, reason)

"""The corpus: documents, their passages (mirrored into FTS5), their near-duplicate clusters, the corpus version,
and how far each record file has been read."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from factdesk.records import Document, Passage
from factdesk.store.audit import audit, now
from factdesk.store.base import StoreBase

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document to store. ``signature`` is its MinHash signature and ``bands`` its LSH band keys (both empty for
    a text too short to compare); ``cluster`` the id of the first copy of the near-duplicates it belongs to, ""
    when it is the first (an original)."""

    document: Document
    passages: Sequence[Passage]
    content_hash: str
    source: str
    signature: bytes = b""
    bands: Sequence[int] = ()
    cluster: str = ""


@dataclass(frozen=True, slots=True)
class IngestMarker:
    """How far a record file (JSONL, WARC) has been read into the store, committed with each batch: ``records``
    read (lines of JSONL), the byte ``offset`` where the next one starts, and whether the file is ``done``.
    ``file_key`` names the file by its content, so a copy elsewhere resumes too."""

    file_key: str
    path: str
    records: int
    offset: int
    done: bool


@dataclass(frozen=True, slots=True)
class BatchResult:
    added: int
    duplicates: int
    conflicts: tuple[tuple[str, str], ...]  # (source, reason) for ids already stored with other text


def document_from_row(row: sqlite3.Row) -> Document:
    return Document(
        id=row["id"],
        text=row["text"],
        url=row["url"],
        outlet=row["outlet"],
        title=row["title"],
        published=date.fromisoformat(row["published"]) if row["published"] else None,
        author=row["author"],
        language=row["language"],
    )


class Documents(StoreBase):
    def add_documents(
        self, batch: Iterable[StoredDocument], action: str = "ingest", markers: Sequence[IngestMarker] = ()
    ) -> BatchResult:
        """Adds a batch atomically, with the files' ``markers``; documents whose text is already stored are
        skipped."""
        added = duplicates = 0
        conflicts: list[tuple[str, str]] = []
        items = list(batch)
        skipped: set[str] = set()  # ids of this batch's documents that were not added
        with self.transaction() as conn:
            for item in items:
                doc = item.document
                if conn.execute("SELECT 1 FROM documents WHERE content_hash = ?", (item.content_hash,)).fetchone():
                    duplicates += 1
                    skipped.add(doc.id)
                    continue
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc.id,)).fetchone():
                    conflicts.append((item.source, f"document id {doc.id!r} is already stored with other text"))
                    skipped.add(doc.id)
                    continue
                conn.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc.id,
                        doc.url,
                        doc.outlet,
                        doc.title,
                        doc.published.isoformat() if doc.published else None,
                        doc.author,
                        doc.language,
                        doc.text,
                        item.content_hash,
                        item.source,
                        now(),
                    ),
                )
                for passage in item.passages:
                    cursor = conn.execute(
                        "INSERT INTO passages (doc_id, start, end, text) VALUES (?,?,?,?)",
                        (doc.id, passage.start, passage.end, passage.text),
                    )
                    conn.execute(
                        "INSERT INTO passages_fts (rowid, text) VALUES (?, ?)", (cursor.lastrowid, passage.text)
                    )
                if item.signature:
                    cluster = item.cluster if item.cluster and item.cluster not in skipped else doc.id
                    conn.execute("INSERT INTO document_signatures VALUES (?, ?, ?)", (doc.id, item.signature, cluster))
                    conn.executemany("INSERT INTO signature_bands VALUES (?, ?)", [(key, doc.id) for key in item.bands])
                added += 1
            conn.executemany(
                "INSERT OR REPLACE INTO ingest_markers VALUES (?, ?, ?, ?, ?, ?)", [marker_row(m) for m in markers]
            )
            if added:
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'")
                audit(conn, action, {"added": added, "duplicates": duplicates})
        return BatchResult(added, duplicates, tuple(conflicts))

    def ingest_marker(self, file_key: str) -> IngestMarker | None:
        row = self._conn.execute("SELECT * FROM ingest_markers WHERE file_key = ?", (file_key,)).fetchone()
        return marker_from_row(tuple(row)) if row else None

    def near_duplicate_candidates(self, band_keys: Sequence[int]) -> list[tuple[str, str, bytes]]:
        """(doc_id, cluster, signature) of each stored document that shares an LSH band key with ``band_keys``."""
        ids: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(band_keys))):
            marks = ",".join("?" * len(chunk))
            ids.update(
                row[0]
                for row in self._conn.execute(f"SELECT doc_id FROM signature_bands WHERE band_key IN ({marks})", chunk)
            )
        found: list[tuple[str, str, bytes]] = []
        for chunk in _chunks(sorted(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT doc_id, cluster, signature FROM document_signatures WHERE doc_id IN ({marks})", chunk
            )
            found.extend((row[0], row[1], bytes(row[2])) for row in rows)
        return found

    def near_duplicates(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """For each of ``doc_ids`` that has near-duplicates stored: its cluster, every document of it (itself
        included), the first copy first."""
        found: dict[str, list[str]] = {}
        for chunk in _chunks(list(dict.fromkeys(doc_ids))):
            rows = self._conn.execute(
                "SELECT s.doc_id, m.doc_id FROM document_signatures s"
                " JOIN document_signatures m ON m.cluster = s.cluster"
                f" WHERE s.doc_id IN ({','.join('?' * len(chunk))})"
                " ORDER BY s.doc_id, m.doc_id != m.cluster, m.doc_id",
                chunk,
            )
            for doc_id, member in rows:
                found.setdefault(doc_id, []).append(member)
        return {doc_id: tuple(members) for doc_id, members in found.items() if len(members) > 1}

    def known_hashes(self, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(f"SELECT content_hash FROM documents WHERE content_hash IN ({marks})", chunk)
            found.update(row[0] for row in rows)
        return found

    def document(self, doc_id: str) -> Document | None:
        row = self._conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return document_from_row(row) if row else None

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The stored documents among ``doc_ids``, by id."""
        ids = list(dict.fromkeys(doc_ids))
        found: dict[str, Document] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self._conn.execute(f"SELECT * FROM documents WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            found.update((row["id"], document_from_row(row)) for row in rows)
        return found

    def document_source(self, doc_id: str) -> str | None:
        """What document ``doc_id`` was ingested from: a file, or the URL it was fetched from."""
        row = self._conn.execute("SELECT source FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def passages(self, doc_id: str) -> list[Passage]:
        rows = self._conn.execute("SELECT * FROM passages WHERE doc_id = ? ORDER BY start", (doc_id,))
        return [Passage(row["doc_id"], row["start"], row["end"], row["text"]) for row in rows]

    def stats(self) -> dict[str, int | str]:
        count = self._conn.execute
        return {
            "documents": count("SELECT COUNT(*) FROM documents").fetchone()[0],
            "passages": count("SELECT COUNT(*) FROM passages").fetchone()[0],
            "factchecks": count("SELECT COUNT(*) FROM factchecks").fetchone()[0],
            "corpus_version": self.corpus_version(),
        }

    def corpus_version(self) -> str:
        return self._conn.execute("SELECT value FROM meta WHERE key = 'corpus_version'").fetchone()[0]


def marker_row(marker: IngestMarker) -> tuple[str, str, int, int, int, str]:
    return (marker.file_key, marker.path, marker.records, marker.offset, int(marker.done), now())


def marker_from_row(row: Sequence[object]) -> IngestMarker:
    file_key, path, records, offset, done = row[:5]
    return IngestMarker(str(file_key), str(path), int(records), int(offset), bool(done))  # type: ignore[call-overload]


def _chunks(values: list[T], size: int = 500) -> list[list[T]]:
    return [values[i : i + size] for i in range(0, len(values), size)]

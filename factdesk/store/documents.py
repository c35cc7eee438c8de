"""The corpus: documents, their passages (mirrored into FTS5) and the corpus version."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from factdesk.records import Document, Passage
from factdesk.store.audit import audit, now
from factdesk.store.base import StoreBase


@dataclass(frozen=True, slots=True)
class StoredDocument:
    document: Document
    passages: Sequence[Passage]
    content_hash: str
    source: str


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
    def add_documents(self, batch: Iterable[StoredDocument], action: str = "ingest") -> BatchResult:
        """Adds a batch atomically; documents whose text is already stored are skipped."""
        added = duplicates = 0
        conflicts: list[tuple[str, str]] = []
        with self.transaction() as conn:
            for item in batch:
                doc = item.document
                if conn.execute("SELECT 1 FROM documents WHERE content_hash = ?", (item.content_hash,)).fetchone():
                    duplicates += 1
                    continue
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc.id,)).fetchone():
                    conflicts.append((item.source, f"document id {doc.id!r} is already stored with other text"))
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
                added += 1
            if added:
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'")
                audit(conn, action, {"added": added, "duplicates": duplicates})
        return BatchResult(added, duplicates, tuple(conflicts))

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

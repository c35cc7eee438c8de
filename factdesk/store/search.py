"""Finding passages: FTS5 search, and passages by rowid for the indexes kept outside the store (ANN, tantivy)
with their bookkeeping."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from factdesk.records import Document, Passage
from factdesk.store.audit import now
from factdesk.store.base import StoreBase
from factdesk.store.documents import document_from_row
from factdesk.text.terms import fts_query

HIT_CACHE = 4096  # passages kept by rowid after a look-up: a claim's ranked lists share about a third of theirs


@dataclass(frozen=True, slots=True)
class PassageHit:
    """A retrieved passage; ``question`` is the (sub-)question of the claim it was found for, if any."""

    passage: Passage
    document: Document
    score: float
    question: str = ""

    @property
    def undated(self) -> bool:
        """Kept by every cut-off, since its date is unknown; reports flag it."""
        return self.document.published is None


class Search(StoreBase):
    def __init__(self, root: Path, read_only: bool = False) -> None:
        super().__init__(root, read_only)
        self._hits: OrderedDict[int, PassageHit] = OrderedDict()  # stored rows never change, so never stale
        self._hits_lock = threading.Lock()

    def search_passages(self, text: str, cutoff: date | None, limit: int) -> list[PassageHit]:
        """FTS5 BM25 search for any content word of ``text``; passages of documents published after ``cutoff``
        never come back."""
        match = fts_query(text)
        if not match:
            return []
        rows = self._conn.execute(
            """
            SELECT p.doc_id, p.start, p.end, p.text AS passage_text, -bm25(passages_fts) AS score,
                   d.id, d.url, d.outlet, d.title, d.published, d.author, d.language, d.text
            FROM passages_fts
            JOIN passages p ON p.id = passages_fts.rowid
            JOIN documents d ON d.id = p.doc_id
            WHERE passages_fts MATCH ? AND (? IS NULL OR d.published IS NULL OR d.published <= ?)
            ORDER BY bm25(passages_fts)
            LIMIT ?
            """,
            (match, cutoff and cutoff.isoformat(), cutoff and cutoff.isoformat(), limit),
        )
        return [
            PassageHit(
                Passage(row["doc_id"], row["start"], row["end"], row["passage_text"]),
                document_from_row(row),
                row["score"],
            )
            for row in rows
        ]

    def passage_count(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def passages_after(self, rowid: int, limit: int) -> list[tuple[int, str]]:
        """(rowid, text) of up to ``limit`` passages with a rowid above ``rowid``, in rowid order."""
        rows = self._conn.execute("SELECT id, text FROM passages WHERE id > ? ORDER BY id LIMIT ?", (rowid, limit))
        return [(row[0], row[1]) for row in rows]

    def dated_passages_after(self, rowid: int, limit: int) -> list[tuple[int, str, date | None]]:
        """(rowid, text, the document's published date) of up to ``limit`` passages after ``rowid``, in order."""
        rows = self._conn.execute(
            "SELECT p.id, p.text, d.published FROM passages p JOIN documents d ON d.id = p.doc_id"
            " WHERE p.id > ? ORDER BY p.id LIMIT ?",
            (rowid, limit),
        )
        return [(row[0], row[1], date.fromisoformat(row[2]) if row[2] else None) for row in rows]

    def passage_hits(self, rowids: Sequence[int], cutoff: date | None) -> dict[int, PassageHit]:
        """Passages by rowid (score 0); those of documents published after ``cutoff`` never come back."""
        with self._hits_lock:
            known = {rowid: hit for rowid in rowids if (hit := self._hits.get(rowid)) is not None}
        missing = [rowid for rowid in dict.fromkeys(rowids) if rowid not in known]
        documents: dict[str, Document] = {}
        for i in range(0, len(missing), 500):
            chunk = missing[i : i + 500]
            cursor = self._conn.cursor()
            cursor.row_factory = None  # plain tuples: a ranked list reads hundreds of rows
            rows = cursor.execute(
                "SELECT p.id, p.doc_id, p.start, p.end, p.text, d.url, d.outlet, d.title, d.published, d.author,"
                " d.language, d.text"
                f" FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for rowid, doc_id, start, end, text, url, outlet, title, published, author, language, body in rows:
                if (document := documents.get(doc_id)) is None:
                    day = date.fromisoformat(published) if published else None
                    document = documents[doc_id] = Document(doc_id, body, url, outlet, title, day, author, language)
                known[rowid] = PassageHit(Passage(doc_id, start, end, text), document, 0.0)
        with self._hits_lock:
            for rowid in missing:
                if rowid in known:
                    self._hits[rowid] = known[rowid]
            while len(self._hits) > HIT_CACHE:
                self._hits.popitem(last=False)
        return {
            rowid: hit
            for rowid, hit in known.items()
            if cutoff is None or hit.document.published is None or hit.document.published <= cutoff
        }

    def passage_index_record(self, model: str) -> tuple[int, int] | None:
        """(passages indexed, largest rowid indexed) of the index named ``model``, if one was recorded."""
        row = self._conn.execute("SELECT count, last_id FROM passage_index WHERE model = ?", (model,)).fetchone()
        return (row[0], row[1]) if row else None

    def record_passage_index(self, model: str, last_id: int, count: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO passage_index (model, last_id, count, updated_at) VALUES (?,?,?,?)",
                (model, last_id, count, now()),
            )

"""The embedded store: SQLite (WAL) is the source of truth, with FTS5 over passages and an append-only audit log."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from factdesk.errors import FactdeskError
from factdesk.records import Claim, Document, FactCheck, Passage, factcheck_from_jsonable, to_jsonable

SCHEMA_VERSION = "1"
DB_NAME = "factdesk.sqlite3"
HIT_CACHE = 4096  # passages kept by rowid after a look-up: a claim's ranked lists share about a third of theirs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    outlet TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    author TEXT NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, content='passages', content_rowid='id', tokenize='porter unicode61'
);
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL,
    text TEXT NOT NULL,
    claimant TEXT NOT NULL,
    claimant_role TEXT NOT NULL,
    claim_date TEXT,
    appearance_url TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_by_claimant ON claims(claimant);
CREATE TABLE IF NOT EXISTS factchecks (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    label TEXT NOT NULL,
    rating TEXT NOT NULL,
    confidence REAL NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS publications (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    factcheck_id INTEGER NOT NULL REFERENCES factchecks(id),
    published_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (slug, version)
);
CREATE TRIGGER IF NOT EXISTS publications_no_update BEFORE UPDATE ON publications
BEGIN SELECT RAISE(ABORT, 'a published fact-check is immutable; publish a correction instead'); END;
CREATE TRIGGER IF NOT EXISTS publications_no_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'a published fact-check is immutable; publish a correction instead'); END;
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """One SQLite database in a folder. Every write is one transaction."""

    @staticmethod
    def exists(root: Path) -> bool:
        """Whether ``root`` holds a store (its database file)."""
        return (Path(root) / DB_NAME).is_file()

    @staticmethod
    def is_read_only(root: Path) -> bool:
        """Whether the store in ``root`` cannot be written: its folder or database is not writable by us, or is
        write-protected (no write permission for anyone, which root would otherwise ignore)."""
        paths = [p for p in (Path(root), Path(root) / DB_NAME) if p.exists()]
        return any(not os.access(p, os.W_OK) or not p.stat().st_mode & 0o222 for p in paths)

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.read_only = Store.exists(self.root) and Store.is_read_only(self.root)
        try:
            if self.read_only:
                self._conn = sqlite3.connect(
                    self._read_only_uri(), uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                self.root.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.root / DB_NAME, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise FactdeskError(f"{self.root}: cannot open store: {exc}") from exc
        self._conn.row_factory = sqlite3.Row
        self._hits: OrderedDict[int, PassageHit] = OrderedDict()  # stored rows never change, so never stale
        self._hits_lock = threading.Lock()
        self._conn.execute("PRAGMA foreign_keys=ON")
        if self.read_only:
            return  # no schema set-up: a read-only store is read as it is
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('corpus_version', '0')")

    def _read_only_uri(self) -> str:
        """An SQLite URI that never writes: ``immutable`` (no -shm or -wal file is made) unless a -wal file is
        there, whose transactions must then be read through the shared-memory file."""
        path = (self.root / DB_NAME).resolve()
        wal = path.with_name(f"{DB_NAME}-wal")
        return f"{path.as_uri()}?mode=ro" + ("" if wal.exists() else "&immutable=1")

    def require_writable(self, why: str = "this command writes to it") -> None:
        """Raises the error a write to a read-only store gets: one line naming the folder, and why it must write."""
        if self.read_only:
            raise FactdeskError(f"the store {self.root} is read-only; {why}")

    def _table_ready(self, table: str, create: Callable[[sqlite3.Connection], object]) -> bool:
        """Makes a table that is created on first use; a read-only store is only asked whether it has it."""
        if self.read_only:
            return self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None
        with self.transaction() as conn:
            create(conn)
        return True

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """The rows of one read statement, for tables other packages keep in the store (``factdesk.fetch``)."""
        return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.require_writable()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ---- documents -------------------------------------------------------------------------------------------

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
                        _now(),
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
                self._audit(conn, action, {"added": added, "duplicates": duplicates})
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
        return _document(row) if row else None

    def passages(self, doc_id: str) -> list[Passage]:
        rows = self._conn.execute("SELECT * FROM passages WHERE doc_id = ? ORDER BY start", (doc_id,))
        return [_passage(row) for row in rows]

    def search_passages(self, match: str, cutoff: date | None, limit: int) -> list[PassageHit]:
        """FTS5 BM25 search; passages of documents published after ``cutoff`` never come back."""
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
                Passage(row["doc_id"], row["start"], row["end"], row["passage_text"]), _document(row), row["score"]
            )
            for row in rows
        ]

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

    # ---- claims and fact-checks ------------------------------------------------------------------------------

    def add_factcheck(self, check: FactCheck) -> int:
        claim: Claim = check.claim
        with self.transaction() as conn:
            claim_id = conn.execute(
                "INSERT INTO claims (external_id, text, claimant, claimant_role, claim_date, appearance_url,"
                " created_at) VALUES (?,?,?,?,?,?,?)",
                (
                    claim.id,
                    claim.text,
                    claim.claimant,
                    claim.claimant_role,
                    claim.date.isoformat() if claim.date else None,
                    claim.appearance_url,
                    _now(),
                ),
            ).lastrowid
            check_id = conn.execute(
                "INSERT INTO factchecks (claim_id, label, rating, confidence, payload, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (
                    claim_id,
                    check.verdict.label,
                    check.verdict.rating,
                    check.verdict.confidence,
                    json.dumps(to_jsonable(check), ensure_ascii=False),
                    _now(),
                ),
            ).lastrowid
            self._audit(conn, "check", {"factcheck": check_id, "claim": claim.text, "label": check.verdict.label})
        assert check_id is not None
        return check_id

    def factcheck(self, check_id: int) -> FactCheck:
        row = self._conn.execute("SELECT payload FROM factchecks WHERE id = ?", (check_id,)).fetchone()
        if row is None:
            raise FactdeskError(f"no fact-check with id {check_id} in {self.root}")
        return factcheck_from_jsonable(json.loads(row[0]))

    def recent_factchecks(self, limit: int = 50) -> list[dict[str, object]]:
        """The newest stored fact-checks: id, claim, claimant, claim date, label, rating, confidence, created."""
        rows = self._conn.execute(
            "SELECT f.id, c.text AS claim, c.claimant, c.claim_date, f.label, f.rating, f.confidence, f.created_at"
            " FROM factchecks f JOIN claims c ON c.id = f.claim_id ORDER BY f.id DESC LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows]

    def add_publication(self, slug: str, version: int, check_id: int, payload: dict[str, object]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO publications (slug, version, factcheck_id, published_at, payload) VALUES (?,?,?,?,?)",
                (slug, version, check_id, _now(), json.dumps(payload, ensure_ascii=False)),
            )
            self._audit(conn, "publish", {"slug": slug, "version": version, "factcheck": check_id})

    def publications(self, slug: str | None = None, check_id: int | None = None) -> list[dict[str, object]]:
        """Publications, oldest first, optionally of one slug or one fact-check."""
        rows = self._conn.execute(
            "SELECT slug, version, factcheck_id, published_at, payload FROM publications"
            " WHERE (? IS NULL OR slug = ?) AND (? IS NULL OR factcheck_id = ?) ORDER BY slug, version",
            (slug, slug, check_id, check_id),
        )
        return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]

    def audit_log(self) -> list[dict[str, str]]:
        rows = self._conn.execute("SELECT at, action, detail FROM audit_log ORDER BY id")
        return [dict(row) for row in rows]

    @staticmethod
    def _audit(conn: sqlite3.Connection, action: str, detail: dict[str, object]) -> None:
        conn.execute(
            "INSERT INTO audit_log (at, action, detail) VALUES (?,?,?)",
            (_now(), action, json.dumps(detail, ensure_ascii=False)),
        )

    # ---- claim intake: imported fact-checks, cached embeddings, claimant history -----------------------------

    def add_reviews(self, reviews: Iterable[Review], source: str) -> tuple[int, int]:
        """Adds fact-checks from ``source``; (added, already stored), deduplicated by url + claim reviewed."""
        added = duplicates = 0
        with self.transaction() as conn:
            _intake_tables(conn)
            for review in reviews:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO reviews (url, claim_reviewed, rating, claimant, claim_date, review_date,"
                    " publisher, language, source, payload, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        review.url,
                        review.claim_reviewed,
                        review.rating,
                        review.claimant,
                        review.claim_date.isoformat() if review.claim_date else None,
                        review.review_date.isoformat() if review.review_date else None,
                        review.publisher,
                        review.language,
                        source,
                        json.dumps(review.payload, ensure_ascii=False),
                        _now(),
                    ),
                )
                added += cursor.rowcount
                duplicates += 1 - cursor.rowcount
            if added:
                self._audit(conn, "import-reviews", {"source": source, "added": added, "duplicates": duplicates})
        return added, duplicates

    def reviews(self, claimant: str | None = None) -> list[Review]:
        """Imported fact-checks in import order, optionally of one claimant (case-insensitive)."""
        if not self._table_ready("reviews", _intake_tables):
            return []
        rows = self._conn.execute(
            "SELECT * FROM reviews WHERE ? IS NULL OR claimant = ? COLLATE NOCASE ORDER BY id",
            (claimant and claimant.strip(), claimant and claimant.strip()),
        )
        return [
            Review(
                url=row["url"],
                claim_reviewed=row["claim_reviewed"],
                rating=row["rating"],
                claimant=row["claimant"],
                claim_date=date.fromisoformat(row["claim_date"]) if row["claim_date"] else None,
                review_date=date.fromisoformat(row["review_date"]) if row["review_date"] else None,
                publisher=row["publisher"],
                language=row["language"],
                payload=json.loads(row["payload"]),
            )
            for row in rows
        ]

    def vectors(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        """Cached embeddings of ``model`` by text key."""
        if not self._table_ready("embeddings", _intake_tables):
            return {}
        found: dict[str, bytes] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})", (model, *chunk)
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def add_vectors(self, model: str, vectors: Iterable[tuple[str, bytes]]) -> None:
        if self.read_only:
            return  # a cache: a read-only store is read from, never added to
        with self.transaction() as conn:
            _intake_tables(conn)
            conn.executemany(
                "INSERT OR IGNORE INTO embeddings (model, key, vector) VALUES (?,?,?)",
                ((model, key, vector) for key, vector in vectors),
            )

    def claimant_history(self, name: str) -> list[dict[str, object]]:
        """Each stored check of a claim by ``name`` (case-insensitive), oldest claim first, undated last."""
        rows = self._conn.execute(
            "SELECT f.id AS check_id, c.text, c.claimant, c.claimant_role, c.claim_date, f.label, f.rating,"
            " f.confidence, f.created_at FROM claims c JOIN factchecks f ON f.claim_id = c.id"
            " WHERE c.claimant = ? COLLATE NOCASE"
            " ORDER BY c.claim_date IS NULL, c.claim_date, f.created_at, f.id",
            (name.strip(),),
        )
        return [dict(row) for row in rows]

    # ---- indexes outside the store (ANN, tantivy): passage rows by rowid and their bookkeeping ---------------

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
        if not self._table_ready("passage_index", lambda conn: conn.execute(_PASSAGE_INDEX_SCHEMA)):
            return None
        row = self._conn.execute("SELECT count, last_id FROM passage_index WHERE model = ?", (model,)).fetchone()
        return (row[0], row[1]) if row else None

    def record_passage_index(self, model: str, last_id: int, count: int) -> None:
        with self.transaction() as conn:
            conn.execute(_PASSAGE_INDEX_SCHEMA)
            conn.execute(
                "INSERT OR REPLACE INTO passage_index (model, last_id, count, updated_at) VALUES (?,?,?,?)",
                (model, last_id, count, _now()),
            )


def _document(row: sqlite3.Row) -> Document:
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


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(row["doc_id"], row["start"], row["end"], row["text"])


# ---- claim intake ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Review:
    """An earlier fact-check, e.g. from a ClaimReview record: what was checked and how it was rated."""

    url: str
    claim_reviewed: str
    rating: str
    claimant: str = ""
    claim_date: date | None = None
    review_date: date | None = None
    publisher: str = ""
    language: str = ""
    payload: dict[str, object] = field(default_factory=dict)


_INTAKE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reviews (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        claim_reviewed TEXT NOT NULL,
        rating TEXT NOT NULL,
        claimant TEXT NOT NULL,
        claim_date TEXT,
        review_date TEXT,
        publisher TEXT NOT NULL,
        language TEXT NOT NULL,
        source TEXT NOT NULL,
        payload TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        UNIQUE (url, claim_reviewed)
    )""",
    "CREATE INDEX IF NOT EXISTS reviews_by_claimant ON reviews(claimant COLLATE NOCASE)",
    """CREATE TABLE IF NOT EXISTS embeddings (
        model TEXT NOT NULL,
        key TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, key)
    )""",
)


def _intake_tables(conn: sqlite3.Connection) -> None:
    for statement in _INTAKE_SCHEMA:
        conn.execute(statement)


_PASSAGE_INDEX_SCHEMA = """CREATE TABLE IF NOT EXISTS passage_index (
    model TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    updated_at TEXT NOT NULL
)"""

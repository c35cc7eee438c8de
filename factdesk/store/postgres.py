"""The PostgreSQL store: the same tables, columns and ordered migrations as the SQLite store, in a database that
several processes write at once (each write one transaction; no file locks).

Full-text search is a ``tsvector`` column generated from each passage (the ``english`` configuration: Porter stems,
stop words dropped) with a GIN index, ranked as a BM25 approximation: for each query word, its IDF (from the
planner's lexeme statistics) times ``ts_rank`` for that word with length normalisation 1 (divided by 1 + the log of
the passage's length), summed. Dates and JSON stay text, as in SQLite, so a store copies between the two unchanged.
Needs the ``postgres`` extra (psycopg)."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, Self

import numpy as np

from factdesk.errors import FactdeskError
from factdesk.records import Document, FactCheck, Passage
from factdesk.store.audit import actor, now
from factdesk.store.checks import by_reference, claim_row, publication_action, referenced_ids, with_documents
from factdesk.store.desk import REVISION_COLUMNS, event_row, revision_row
from factdesk.store.documents import BatchResult, IngestMarker, StoredDocument, marker_from_row, marker_row
from factdesk.store.fetches import DONE, FAILURE_COLUMNS, FEED_COLUMNS, FETCH_COLUMNS, ITEM_COLUMNS, PENDING
from factdesk.store.intake import Review, review_from_row
from factdesk.store.locations import redact
from factdesk.store.schema import SCHEMA_VERSION, TABLES, check_version
from factdesk.store.search import PassageHit
from factdesk.store.serving import (
    JOB_COLUMNS,
    SESSION_COLUMNS,
    Job,
    JobState,
    StoredSession,
    job_from_row,
    session_from_row,
)
from factdesk.store.users import USER_COLUMNS, StoredUser, change_detail, user_changes, user_from_row
from factdesk.text.terms import query_terms

IMMUTABLE = """CREATE FUNCTION factdesk_refuse() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$"""
PUBLISHED = "a published fact-check is immutable; publish a correction instead"

# The same migrations as the SQLite schema's (``factdesk.store.schema``), in PostgreSQL's dialect. No
# PostgreSQL store predates version 3, so its migration only makes the table.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO meta VALUES ('corpus_version', '0')",
        """CREATE TABLE documents (
            id TEXT PRIMARY KEY, url TEXT NOT NULL, outlet TEXT NOT NULL, title TEXT NOT NULL, published TEXT,
            author TEXT NOT NULL, language TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL, ingested_at TEXT NOT NULL)""",
        """CREATE TABLE passages (
            id BIGSERIAL PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id), start INTEGER NOT NULL,
            "end" INTEGER NOT NULL, text TEXT NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED)""",
        "CREATE INDEX passages_by_doc ON passages(doc_id)",
        "CREATE INDEX passages_tsv ON passages USING gin (tsv)",
        "CREATE INDEX documents_by_published ON documents(published)",
        """CREATE TABLE claims (
            id BIGSERIAL PRIMARY KEY, external_id TEXT NOT NULL, text TEXT NOT NULL, claimant TEXT NOT NULL,
            claimant_role TEXT NOT NULL, claim_date TEXT, appearance_url TEXT NOT NULL, created_at TEXT NOT NULL)""",
        "CREATE INDEX claims_by_claimant ON claims(lower(claimant))",
        """CREATE TABLE factchecks (
            id BIGSERIAL PRIMARY KEY, claim_id BIGINT NOT NULL REFERENCES claims(id), label TEXT NOT NULL,
            rating TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL, payload TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE publications (
            id BIGSERIAL PRIMARY KEY, slug TEXT NOT NULL, version INTEGER NOT NULL,
            factcheck_id BIGINT NOT NULL REFERENCES factchecks(id), published_at TEXT NOT NULL, payload TEXT NOT NULL,
            UNIQUE (slug, version))""",
        IMMUTABLE,
        "CREATE TRIGGER publications_immutable BEFORE UPDATE OR DELETE ON publications"
        f" FOR EACH ROW EXECUTE FUNCTION factdesk_refuse('{PUBLISHED}')",
        """CREATE TABLE audit_log (
            id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL)""",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION factdesk_refuse('audit_log is append-only')",
    ),
    (
        """CREATE TABLE reviews (
            id BIGSERIAL PRIMARY KEY, url TEXT NOT NULL, claim_reviewed TEXT NOT NULL, rating TEXT NOT NULL,
            claimant TEXT NOT NULL, claim_date TEXT, review_date TEXT, publisher TEXT NOT NULL, language TEXT NOT NULL,
            source TEXT NOT NULL, payload TEXT NOT NULL, imported_at TEXT NOT NULL, UNIQUE (url, claim_reviewed))""",
        "CREATE INDEX reviews_by_claimant ON reviews(lower(claimant))",
        """CREATE TABLE embeddings (
            model TEXT NOT NULL, key TEXT NOT NULL, vector BYTEA NOT NULL, PRIMARY KEY (model, key))""",
        """CREATE TABLE passage_index (
            model TEXT PRIMARY KEY, last_id BIGINT NOT NULL, count BIGINT NOT NULL, updated_at TEXT NOT NULL)""",
    ),
    (
        """CREATE TABLE factcheck_documents (
            factcheck_id BIGINT NOT NULL REFERENCES factchecks(id), doc_id TEXT NOT NULL REFERENCES documents(id),
            PRIMARY KEY (factcheck_id, doc_id))""",
        "CREATE INDEX factcheck_documents_by_doc ON factcheck_documents(doc_id)",
    ),
    (
        """CREATE TABLE fetches (
            id BIGSERIAL PRIMARY KEY, url TEXT NOT NULL, final_url TEXT NOT NULL, status INTEGER NOT NULL,
            content_type TEXT NOT NULL, fetched_at TEXT NOT NULL, sha256 TEXT NOT NULL, warc_file TEXT NOT NULL,
            warc_offset BIGINT NOT NULL, warc_length BIGINT NOT NULL)""",
        "CREATE INDEX fetches_by_url ON fetches(url)",
        """CREATE TABLE fetched_documents (
            doc_id TEXT NOT NULL, fetch_id BIGINT NOT NULL REFERENCES fetches(id), PRIMARY KEY (doc_id, fetch_id))""",
    ),
    (
        """CREATE TABLE search_results (
            backend TEXT NOT NULL, endpoint TEXT NOT NULL, query TEXT NOT NULL, cutoff TEXT NOT NULL,
            count INTEGER NOT NULL, results TEXT NOT NULL, searched_at TEXT NOT NULL,
            PRIMARY KEY (backend, endpoint, query, cutoff, count))""",
    ),
    (
        """CREATE TABLE users (
            id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL, disabled_at TEXT)""",
        "CREATE UNIQUE INDEX users_by_name ON users(lower(name))",
        """CREATE TABLE user_tokens (
            id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id), token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL, revoked_at TEXT)""",
        """CREATE TABLE signoffs (
            id BIGSERIAL PRIMARY KEY, factcheck_id BIGINT NOT NULL REFERENCES factchecks(id), state TEXT NOT NULL,
            actor TEXT, at TEXT NOT NULL, note TEXT NOT NULL)""",
        "CREATE INDEX signoffs_by_check ON signoffs(factcheck_id)",
        "CREATE TRIGGER signoffs_append_only BEFORE UPDATE OR DELETE ON signoffs"
        " FOR EACH ROW EXECUTE FUNCTION factdesk_refuse('signoffs is append-only')",
        "ALTER TABLE audit_log ADD COLUMN actor TEXT",
    ),
    (
        """CREATE TABLE feeds (
            url TEXT PRIMARY KEY, title TEXT NOT NULL, etag TEXT NOT NULL, last_modified TEXT NOT NULL,
            polled_at TEXT NOT NULL)""",
        """CREATE TABLE feed_items (
            feed_url TEXT NOT NULL REFERENCES feeds(url), item_key TEXT NOT NULL, link TEXT NOT NULL,
            title TEXT NOT NULL, published TEXT, seq INTEGER NOT NULL, found_at TEXT NOT NULL,
            state TEXT NOT NULL, done_at TEXT, result TEXT NOT NULL, PRIMARY KEY (feed_url, item_key))""",
        """CREATE TABLE fetch_failures (
            url TEXT PRIMARY KEY, attempts INTEGER NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL,
            retry_after TEXT NOT NULL)""",
    ),
    (
        """CREATE TABLE desk_events (
            id BIGSERIAL PRIMARY KEY, factcheck_id BIGINT NOT NULL REFERENCES factchecks(id), kind TEXT NOT NULL,
            detail TEXT NOT NULL, actor TEXT, at TEXT NOT NULL)""",
        "CREATE INDEX desk_events_by_check ON desk_events(factcheck_id)",
        "CREATE TRIGGER desk_events_append_only BEFORE UPDATE OR DELETE ON desk_events"
        " FOR EACH ROW EXECUTE FUNCTION factdesk_refuse('desk_events is append-only')",
        """CREATE TABLE revisions (
            id BIGSERIAL PRIMARY KEY, factcheck_id BIGINT NOT NULL REFERENCES factchecks(id), kind TEXT NOT NULL,
            label TEXT NOT NULL, rating TEXT NOT NULL, confidence DOUBLE PRECISION, payload TEXT NOT NULL,
            note TEXT NOT NULL, flags TEXT NOT NULL, actor TEXT, at TEXT NOT NULL)""",
        "CREATE INDEX revisions_by_check ON revisions(factcheck_id)",
        "CREATE TRIGGER revisions_append_only BEFORE UPDATE OR DELETE ON revisions"
        " FOR EACH ROW EXECUTE FUNCTION factdesk_refuse('revisions is append-only')",
    ),
    (
        """CREATE TABLE document_signatures (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id), signature BYTEA NOT NULL, cluster TEXT NOT NULL)""",
        "CREATE INDEX document_signatures_by_cluster ON document_signatures(cluster)",
        "CREATE TABLE signature_bands (band_key BIGINT NOT NULL, doc_id TEXT NOT NULL REFERENCES documents(id))",
        "CREATE INDEX signature_bands_by_key ON signature_bands(band_key)",
        """CREATE TABLE ingest_markers (
            file_key TEXT PRIMARY KEY, path TEXT NOT NULL, records BIGINT NOT NULL, byte_offset BIGINT NOT NULL,
            done INTEGER NOT NULL, updated_at TEXT NOT NULL)""",
    ),
    (
        """CREATE TABLE sessions (
            key TEXT PRIMARY KEY, user_name TEXT, csrf TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
            seen DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX sessions_by_seen ON sessions(seen)",
        """CREATE TABLE jobs (
            id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, user_name TEXT NOT NULL, input_text TEXT NOT NULL,
            params TEXT NOT NULL, state TEXT NOT NULL, submitted DOUBLE PRECISION NOT NULL,
            started DOUBLE PRECISION, finished DOUBLE PRECISION, check_id BIGINT, summary TEXT, error TEXT)""",
        "CREATE INDEX jobs_by_user ON jobs(user_name)",
        "CREATE INDEX jobs_by_state ON jobs(state)",
    ),
)
SERIAL = frozenset(
    {"passages", "claims", "factchecks", "publications", "audit_log", "reviews", "fetches", "users", "user_tokens",
     "signoffs", "desk_events", "revisions", "jobs"}
)  # fmt: skip
STATS_SECONDS = 300  # how long the term statistics for IDF are kept before being read again
MIGRATION_LOCK = 7_405_176  # the advisory lock migrations take, so two processes never migrate at once
DOCUMENT_COLUMNS = "d.id, d.url, d.outlet, d.title, d.published, d.author, d.language, d.text"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise FactdeskError(
            "a PostgreSQL store needs psycopg (the `postgres` extra): pip install -e '.[postgres]'"
        ) from exc
    return psycopg


def _document(row: Sequence[Any]) -> Document:
    """A document from its columns in ``DOCUMENT_COLUMNS`` order."""
    doc_id, url, outlet, title, published, author, language, text = row
    day = date.fromisoformat(published) if published else None
    return Document(doc_id, text, url, outlet, title, day, author, language)


def _vector(row: np.ndarray) -> str:
    """pgvector's text form of a vector."""
    return "[" + ",".join(f"{x:.7g}" for x in row.tolist()) + "]"


def _connect(url: str) -> Any:
    """A connection in autocommit mode (a read is its own statement; writes open a transaction); an unreachable
    server is one line naming it and why."""
    psycopg = _psycopg()
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise FactdeskError(f"{redact(url)}: not a PostgreSQL URL: {exc}") from exc
    where = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}"
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=int(info.get("connect_timeout") or 10))
    except psycopg.Error as exc:
        reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        raise FactdeskError(f"cannot reach the PostgreSQL store at {where} ({redact(url)}): {reason}") from exc


class PostgresStore:
    """The tables of a factdesk store in one PostgreSQL database (its default schema)."""

    folder = None  # nothing beside the store: the database holds it all

    @staticmethod
    def exists(url: str) -> bool:
        """Whether the database at ``url`` holds a store."""
        with _connect(url) as conn:
            return conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]

    def __init__(self, url: str, read_only: bool = False) -> None:
        """``read_only`` opens the store as a reader whose transactions cannot write (a batch worker)."""
        self.url = url
        self._stats: tuple[float, dict[str, float], float] | None = None  # (read at, lexeme shares, rare share)
        self._conn = _connect(url)
        try:
            if read_only:
                self._conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            self.read_only = self._open_schema()
        except BaseException:
            self._conn.close()
            raise

    @property
    def location(self) -> str:
        return redact(self.url)

    def _version(self) -> int:
        if not self._one("SELECT to_regclass('meta') IS NOT NULL"):
            return 0
        value = self._one("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(value) if value is not None else 0

    def _open_schema(self) -> bool:
        """Checks the recorded schema version and migrates an older store; returns whether it is read-only (a
        standby, or a role that may not write)."""
        version = self._version()
        check_version(version, self.location)
        read_only = bool(
            self._one("SELECT current_setting('transaction_read_only') = 'on'")
            or (version and not self._one("SELECT has_table_privilege('documents', 'INSERT')"))
        )
        if version < SCHEMA_VERSION:
            if read_only:
                raise FactdeskError(
                    f"{self.location}: the store's schema is version {version} and this factdesk reads version"
                    f" {SCHEMA_VERSION}; open it once with write permission to migrate it"
                )
            self._migrate()
        return read_only

    def _migrate(self) -> None:
        psycopg = _psycopg()
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                version = self._version()  # again, under the lock: another process may have migrated it
                check_version(version, self.location)
                for migration in MIGRATIONS[version:]:
                    for statement in migration:
                        self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) DO UPDATE SET value = %s",
                    (str(SCHEMA_VERSION), str(SCHEMA_VERSION)),
                )
                if 0 < version < SCHEMA_VERSION:
                    self._audit("migrate", {"from": version, "to": SCHEMA_VERSION})
        except psycopg.Error as exc:
            raise FactdeskError(f"{self.location}: cannot set up the store's tables: {exc}") from exc

    def _one(self, sql: str, params: Sequence[object] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _audit(self, action: str, detail: dict[str, object]) -> None:
        self._conn.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (%s, %s, %s, %s)",
            (now(), actor(), action, json.dumps(detail, ensure_ascii=False)),
        )

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        self.require_writable()
        with self._conn.transaction():
            yield self._conn

    def require_writable(self, why: str = "this command writes to it") -> None:
        if self.read_only:
            raise FactdeskError(f"the store {self.location} is read-only; {why}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # the corpus

    def add_documents(
        self, batch: Iterable[StoredDocument], action: str = "ingest", markers: Sequence[IngestMarker] = ()
    ) -> BatchResult:
        """Adds a batch atomically, with the files' ``markers``; documents whose text is already stored are
        skipped. Documents go in by content hash, so concurrent batches wait on each other's rows in one order and
        never deadlock."""
        items = sorted(batch, key=lambda item: item.content_hash)
        if not items and not markers:
            return BatchResult(0, 0, ())
        rows = [
            (
                item.document.id,
                item.document.url,
                item.document.outlet,
                item.document.title,
                item.document.published.isoformat() if item.document.published else None,
                item.document.author,
                item.document.language,
                item.document.text,
                item.content_hash,
                item.source,
                now(),
            )
            for item in items
        ]
        with self._transaction() as conn, conn.cursor() as cursor:
            inserted = []  # whether each item went in, in order
            if rows:
                cursor.executemany(
                    "INSERT INTO documents VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                    " ON CONFLICT DO NOTHING RETURNING 1",
                    rows,
                    returning=True,
                )
                while True:
                    inserted.append(cursor.fetchone() is not None)
                    if not cursor.nextset():
                        break
            stored = {
                row[0]
                for row in conn.execute(
                    "SELECT content_hash FROM documents WHERE content_hash = ANY(%s)",
                    ([item.content_hash for item, new in zip(items, inserted, strict=True) if not new],),
                )
            }
            added_items = [item for item, new in zip(items, inserted, strict=True) if new]
            with cursor.copy('COPY passages (doc_id, start, "end", text) FROM STDIN') as copy:
                for item in added_items:
                    for passage in item.passages:
                        copy.write_row((item.document.id, passage.start, passage.end, passage.text))
            skipped = {item.document.id for item, new in zip(items, inserted, strict=True) if not new}
            signed = [item for item in added_items if item.signature]
            cursor.executemany(
                "INSERT INTO document_signatures VALUES (%s, %s, %s)",
                [
                    (
                        item.document.id,
                        item.signature,
                        item.cluster if item.cluster and item.cluster not in skipped else item.document.id,
                    )
                    for item in signed
                ],
            )
            with cursor.copy("COPY signature_bands (band_key, doc_id) FROM STDIN") as copy:
                for item in signed:
                    for key in item.bands:
                        copy.write_row((key, item.document.id))
            cursor.executemany(
                "INSERT INTO ingest_markers VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (file_key) DO UPDATE SET"
                " path = excluded.path, records = excluded.records, byte_offset = excluded.byte_offset,"
                " done = excluded.done, updated_at = excluded.updated_at",
                [marker_row(marker) for marker in markers],
            )
            added = len(added_items)
            duplicates = sum(
                1 for item, new in zip(items, inserted, strict=True) if not new and item.content_hash in stored
            )
            if added:
                conn.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'corpus_version'")
                self._audit(action, {"added": added, "duplicates": duplicates})
        conflicts = tuple(
            (item.source, f"document id {item.document.id!r} is already stored with other text")
            for item, new in zip(items, inserted, strict=True)
            if not new and item.content_hash not in stored
        )
        return BatchResult(added, duplicates, conflicts)

    def ingest_marker(self, file_key: str) -> IngestMarker | None:
        row = self._conn.execute("SELECT * FROM ingest_markers WHERE file_key = %s", (file_key,)).fetchone()
        return marker_from_row(row) if row else None

    def near_duplicate_candidates(self, band_keys: Sequence[int]) -> list[tuple[str, str, bytes]]:
        rows = self._conn.execute(
            "SELECT s.doc_id, s.cluster, s.signature FROM document_signatures s WHERE s.doc_id IN"
            " (SELECT doc_id FROM signature_bands WHERE band_key = ANY(%s))",
            (list(band_keys),),
        )
        return [(row[0], row[1], bytes(row[2])) for row in rows]

    def near_duplicates(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        rows = self._conn.execute(
            "SELECT s.doc_id, m.doc_id FROM document_signatures s JOIN document_signatures m ON m.cluster = s.cluster"
            " WHERE s.doc_id = ANY(%s) ORDER BY s.doc_id, m.doc_id <> m.cluster, m.doc_id",
            (list(doc_ids),),
        )
        for doc_id, member in rows:
            found.setdefault(doc_id, []).append(member)
        return {doc_id: tuple(members) for doc_id, members in found.items() if len(members) > 1}

    def known_hashes(self, hashes: Sequence[str]) -> set[str]:
        rows = self._conn.execute("SELECT content_hash FROM documents WHERE content_hash = ANY(%s)", (list(hashes),))
        return {row[0] for row in rows}

    def document(self, doc_id: str) -> Document | None:
        return self.documents([doc_id]).get(doc_id)

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        rows = self._conn.execute(f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = ANY(%s)", (list(doc_ids),))
        return {row[0]: _document(row) for row in rows}

    def document_source(self, doc_id: str) -> str | None:
        return self._one("SELECT source FROM documents WHERE id = %s", (doc_id,))

    def passages(self, doc_id: str) -> list[Passage]:
        rows = self._conn.execute(
            'SELECT doc_id, start, "end", text FROM passages WHERE doc_id = %s ORDER BY start', (doc_id,)
        )
        return [Passage(*row) for row in rows]

    def stats(self) -> dict[str, int | str]:
        return {
            "documents": self._one("SELECT COUNT(*) FROM documents"),
            "passages": self._one("SELECT COUNT(*) FROM passages"),
            "factchecks": self._one("SELECT COUNT(*) FROM factchecks"),
            "corpus_version": self.corpus_version(),
        }

    def corpus_version(self) -> str:
        return self._one("SELECT value FROM meta WHERE key = 'corpus_version'")

    # search

    def search_passages(self, text: str, cutoff: date | None, limit: int) -> list[PassageHit]:
        """Full-text search for any content word of ``text``, ranked like BM25: the sum over its words of the
        word's IDF times ``ts_rank`` of the passage for that word (normalisation 1); passages of documents
        published after ``cutoff`` never come back."""
        terms = query_terms(text)
        rows = self._conn.execute(
            "SELECT DISTINCT plainto_tsquery('english', t)::text FROM unnest(%s::text[]) t", (terms,)
        ).fetchall()
        words = [row[0] for row in rows if row[0]]
        if not words:
            return []
        idf = self._idf(words)
        score = " + ".join(["%s * ts_rank(p.tsv, %s::tsquery, 1)"] * len(words))
        day = cutoff and cutoff.isoformat()
        rows = self._conn.execute(
            f"""SELECT p.doc_id, p.start, p."end", p.text, {score} AS score, {DOCUMENT_COLUMNS}
            FROM passages p JOIN documents d ON d.id = p.doc_id
            WHERE p.tsv @@ %s::tsquery AND (%s::text IS NULL OR d.published IS NULL OR d.published <= %s)
            ORDER BY score DESC, p.id LIMIT %s""",
            (*[v for word in words for v in (idf[word], word)], " | ".join(f"({w})" for w in words), day, day, limit),
        )
        return [PassageHit(Passage(*row[:4]), _document(row[5:]), float(row[4])) for row in rows]

    def _idf(self, words: Sequence[str]) -> dict[str, float]:
        """BM25's IDF, ln(1 + (1 - f) / f), of each word (a tsquery), f being the share of passages holding it,
        from the planner's statistics (``ANALYZE``, which autovacuum runs): its most common lexemes and their
        shares; a lexeme not among them gets half the smallest share. Read again after ``STATS_SECONDS``."""
        if self._stats is None or time.monotonic() - self._stats[0] > STATS_SECONDS:
            row = self._conn.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE tablename = 'passages' AND attname = 'tsv' AND schemaname = current_schema()"
            ).fetchone()
            shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
            rare = row[1][-3] / 2 if row and row[1] else 0.01  # the last three: smallest, largest, null share
            self._stats = (time.monotonic(), shares, rare)
        _, shares, rare = self._stats
        found = {}
        for word in words:
            share = min(max(shares.get(word.strip("'"), rare), 1e-9), 1.0)
            found[word] = math.log(1 + (1 - share) / share)
        return found

    def passage_count(self) -> int:
        return self._one("SELECT COUNT(*) FROM passages")

    def passages_after(self, rowid: int, limit: int) -> list[tuple[int, str]]:
        rows = self._conn.execute("SELECT id, text FROM passages WHERE id > %s ORDER BY id LIMIT %s", (rowid, limit))
        return [(row[0], row[1]) for row in rows]

    def dated_passages_after(self, rowid: int, limit: int) -> list[tuple[int, str, date | None]]:
        rows = self._conn.execute(
            "SELECT p.id, p.text, d.published FROM passages p JOIN documents d ON d.id = p.doc_id"
            " WHERE p.id > %s ORDER BY p.id LIMIT %s",
            (rowid, limit),
        )
        return [(row[0], row[1], date.fromisoformat(row[2]) if row[2] else None) for row in rows]

    def passage_hits(self, rowids: Sequence[int], cutoff: date | None) -> dict[int, PassageHit]:
        """Passages by rowid (score 0); those of documents published after ``cutoff`` never come back."""
        day = cutoff and cutoff.isoformat()
        rows = self._conn.execute(
            f"""SELECT p.id, p.doc_id, p.start, p."end", p.text, {DOCUMENT_COLUMNS}
            FROM passages p JOIN documents d ON d.id = p.doc_id
            WHERE p.id = ANY(%s) AND (%s::text IS NULL OR d.published IS NULL OR d.published <= %s)""",
            (list(rowids), day, day),
        )
        return {row[0]: PassageHit(Passage(*row[1:5]), _document(row[5:]), 0.0) for row in rows}

    def passage_index_record(self, model: str) -> tuple[int, int] | None:
        row = self._conn.execute("SELECT count, last_id FROM passage_index WHERE model = %s", (model,)).fetchone()
        return (row[0], row[1]) if row else None

    def record_passage_index(self, model: str, last_id: int, count: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO passage_index (model, last_id, count, updated_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (model) DO UPDATE SET last_id = excluded.last_id, count = excluded.count,"
                " updated_at = excluded.updated_at",
                (model, last_id, count, now()),
            )

    # checks and publications

    def add_factcheck(self, check: FactCheck) -> int:
        claim, verdict = check.claim, check.verdict
        payload, referenced = by_reference(check, self.documents(e.document.id for e in check.evidence))
        with self._transaction() as conn:
            claim_id = conn.execute(
                "INSERT INTO claims (external_id, text, claimant, claimant_role, claim_date, appearance_url,"
                " created_at) VALUES (%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                claim_row(claim),
            ).fetchone()[0]
            check_id: int = conn.execute(
                "INSERT INTO factchecks (claim_id, label, rating, confidence, payload, created_at)"
                " VALUES (%s,%s,%s,%s,%s,%s) RETURNING id",
                (
                    claim_id,
                    verdict.label,
                    verdict.rating,
                    verdict.confidence,
                    json.dumps(payload, ensure_ascii=False),
                    now(),
                ),
            ).fetchone()[0]
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO factcheck_documents VALUES (%s, %s)", [(check_id, d) for d in referenced]
                )
            self._audit("check", {"factcheck": check_id, "claim": claim.text, "label": verdict.label})
        return check_id

    def factcheck(self, check_id: int) -> FactCheck:
        text = self._one("SELECT payload FROM factchecks WHERE id = %s", (check_id,))
        if text is None:
            raise FactdeskError(f"no fact-check with id {check_id} in {self.location}")
        payload = json.loads(text)
        return with_documents(
            payload, self.documents(referenced_ids(payload)), f"fact-check {check_id} in {self.location}"
        )

    def recent_factchecks(self, limit: int = 50) -> list[dict[str, object]]:
        return self._rows(
            "SELECT f.id, c.text AS claim, c.claimant, c.claim_date, f.label, f.rating, f.confidence, f.created_at"
            " FROM factchecks f JOIN claims c ON c.id = f.claim_id ORDER BY f.id DESC LIMIT %s",
            (limit,),
        )

    def claimant_history(self, name: str) -> list[dict[str, object]]:
        return self._rows(
            "SELECT f.id AS check_id, c.text, c.claimant, c.claimant_role, c.claim_date, f.label, f.rating,"
            " f.confidence, f.created_at FROM claims c JOIN factchecks f ON f.claim_id = c.id"
            " WHERE lower(c.claimant) = lower(%s)"
            " ORDER BY c.claim_date IS NULL, c.claim_date, f.created_at, f.id",
            (name.strip(),),
        )

    def add_publication(self, slug: str, version: int, check_id: int, payload: dict[str, object]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO publications (slug, version, factcheck_id, published_at, payload) VALUES (%s,%s,%s,%s,%s)",
                (slug, version, check_id, now(), json.dumps(payload, ensure_ascii=False)),
            )
            self._audit(publication_action(version), {"slug": slug, "version": version, "factcheck": check_id})

    def publications(self, slug: str | None = None, check_id: int | None = None) -> list[dict[str, object]]:
        rows = self._rows(
            "SELECT slug, version, factcheck_id, published_at, payload FROM publications"
            " WHERE (%s::text IS NULL OR slug = %s) AND (%s::bigint IS NULL OR factcheck_id = %s)"
            ' ORDER BY slug COLLATE "C", version',
            (slug, slug, check_id, check_id),
        )
        return [{**row, "payload": json.loads(row["payload"])} for row in rows]

    def audit_log(self) -> list[dict[str, str | None]]:
        return self._rows("SELECT at, actor, action, detail FROM audit_log ORDER BY id")

    # accounts and sign-offs

    def add_user(self, name: str, role: str, password_hash: str) -> None:
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE lower(name) = lower(%s)", (name,)).fetchone():
                raise FactdeskError(f"a user named {name!r} already exists")
            conn.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (%s,%s,%s,%s)",
                (name, role, password_hash, now()),
            )
            self._audit("user-add", {"user": name, "role": role})

    def user(self, name: str) -> StoredUser | None:
        rows = self._rows(f"SELECT {USER_COLUMNS} FROM users u WHERE lower(u.name) = lower(%s)", (name,))
        return user_from_row(rows[0]) if rows else None

    def users(self) -> list[StoredUser]:
        return [user_from_row(row) for row in self._rows(f"SELECT {USER_COLUMNS} FROM users u ORDER BY id")]

    def update_user(
        self, name: str, role: str | None = None, password_hash: str | None = None, disabled: bool | None = None
    ) -> None:
        changes = user_changes(role, password_hash, disabled)
        with self._transaction() as conn:
            stored = self._user_name(name)
            assignments = ", ".join(f"{column} = %s" for column in changes)
            conn.execute(f"UPDATE users SET {assignments} WHERE name = %s", (*changes.values(), stored))
            self._audit("user-change", change_detail(stored, changes))

    def _user_name(self, name: str) -> str:
        stored = self._one("SELECT name FROM users WHERE lower(name) = lower(%s)", (name,))
        if stored is None:
            raise FactdeskError(f"no user named {name!r}")
        return str(stored)

    def add_token(self, name: str, token_hash: str) -> int:
        with self._transaction() as conn:
            stored = self._user_name(name)
            token_id: int = conn.execute(
                "INSERT INTO user_tokens (user_id, token_hash, created_at) SELECT id, %s, %s FROM users"
                " WHERE name = %s RETURNING id",
                (token_hash, now(), stored),
            ).fetchone()[0]
            self._audit("token-create", {"user": stored, "token": token_id})
        return token_id

    def token_user(self, token_hash: str) -> StoredUser | None:
        rows = self._rows(
            f"SELECT {USER_COLUMNS} FROM user_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = %s AND t.revoked_at IS NULL",
            (token_hash,),
        )
        return user_from_row(rows[0]) if rows else None

    def revoke_tokens(self, name: str) -> int:
        with self._transaction() as conn:
            stored = self._user_name(name)
            revoked: int = conn.execute(
                "UPDATE user_tokens SET revoked_at = %s WHERE revoked_at IS NULL"
                " AND user_id = (SELECT id FROM users WHERE name = %s)",
                (now(), stored),
            ).rowcount
            self._audit("token-revoke", {"user": stored, "revoked": revoked})
        return revoked

    def add_signoff(self, check_id: int, action: str, state: str, note: str = "") -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO signoffs (factcheck_id, state, actor, at, note) VALUES (%s,%s,%s,%s,%s)",
                (check_id, state, actor(), now(), note),
            )
            self._audit(action, {"factcheck": check_id, "state": state, "note": note})

    def signoffs(self, check_id: int) -> list[dict[str, object]]:
        return self._rows(
            "SELECT state, actor, at, note FROM signoffs WHERE factcheck_id = %s ORDER BY id", (check_id,)
        )

    def signoff_states(self) -> dict[int, str]:
        rows = self._conn.execute(
            "SELECT DISTINCT ON (factcheck_id) factcheck_id, state FROM signoffs ORDER BY factcheck_id, id DESC"
        ).fetchall()
        published = self._conn.execute("SELECT DISTINCT factcheck_id FROM publications").fetchall()
        return {**{row[0]: row[1] for row in rows}, **{row[0]: "published" for row in published}}

    def record(self, action: str, detail: dict[str, object]) -> None:
        with self._transaction():
            self._audit(action, detail)

    # the desk's work on checks

    def _require_check(self, check_id: int) -> None:
        if self._one("SELECT 1 FROM factchecks WHERE id = %s", (check_id,)) is None:
            raise FactdeskError(f"no fact-check with id {check_id} in {self.location}")

    def add_desk_event(self, check_id: int, kind: str, detail: dict[str, object]) -> None:
        self._require_check(check_id)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO desk_events (factcheck_id, kind, detail, actor, at) VALUES (%s,%s,%s,%s,%s)",
                (check_id, kind, json.dumps(detail, ensure_ascii=False), actor(), now()),
            )
            self._audit(kind, {"factcheck": check_id, **detail})

    def desk_events(self, check_id: int | None = None, kind: str | None = None) -> list[dict[str, object]]:
        rows = self._rows(
            "SELECT factcheck_id, kind, detail, actor, at FROM desk_events"
            " WHERE (%s::bigint IS NULL OR factcheck_id = %s) AND (%s::text IS NULL OR kind = %s) ORDER BY id",
            (check_id, check_id, kind, kind),
        )
        return [event_row(row) for row in rows]

    def add_revision(
        self, check_id: int, kind: str, check: FactCheck, note: str = "", flags: Sequence[dict[str, object]] = ()
    ) -> int:
        self._require_check(check_id)
        payload, _ = by_reference(check, self.documents(e.document.id for e in check.evidence))
        verdict = check.verdict
        with self._transaction() as conn:
            revision: int = conn.execute(
                "INSERT INTO revisions (factcheck_id, kind, label, rating, confidence, payload, note, flags, actor, at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                (
                    check_id,
                    kind,
                    verdict.label,
                    verdict.rating,
                    verdict.confidence,
                    json.dumps(payload, ensure_ascii=False),
                    note,
                    json.dumps(list(flags), ensure_ascii=False),
                    actor(),
                    now(),
                ),
            ).fetchone()[0]
            self._audit(kind, {"factcheck": check_id, "revision": revision, "label": verdict.label, "note": note})
        return revision

    def revisions(self, check_id: int | None = None) -> list[dict[str, object]]:
        rows = self._rows(
            f"SELECT {REVISION_COLUMNS} FROM revisions WHERE (%s::bigint IS NULL OR factcheck_id = %s) ORDER BY id",
            (check_id, check_id),
        )
        return [revision_row(row) for row in rows]

    def revision(self, revision_id: int) -> FactCheck:
        text = self._one("SELECT payload FROM revisions WHERE id = %s", (revision_id,))
        if text is None:
            raise FactdeskError(f"no revision with id {revision_id} in {self.location}")
        payload = json.loads(text)
        return with_documents(payload, self.documents(referenced_ids(payload)), f"revision {revision_id}")

    def check_rows(self, words: Sequence[str] = ()) -> list[dict[str, object]]:
        where = " AND ".join("(lower(c.text) LIKE %s OR lower(f.payload) LIKE %s)" for _ in words)
        rows = self._rows(
            "SELECT f.id, c.text AS claim, c.claimant, c.claimant_role, c.claim_date, c.appearance_url, f.label,"
            " f.rating, f.confidence, f.created_at,"
            " (SELECT json_agg(DISTINCT d.outlet)::text FROM factcheck_documents fd"
            "  JOIN documents d ON d.id = fd.doc_id WHERE fd.factcheck_id = f.id AND d.outlet <> '') AS outlets"
            f" FROM factchecks f JOIN claims c ON c.id = f.claim_id {'WHERE ' + where if where else ''}"
            " ORDER BY f.id DESC",
            [pattern for word in words for pattern in (word, word)],
        )
        return [{**row, "outlets": sorted(json.loads(row["outlets"] or "[]"))} for row in rows]

    # intake

    def add_reviews(self, reviews: Iterable[Review], source: str) -> tuple[int, int]:
        added = duplicates = 0
        with self._transaction() as conn:
            for review in reviews:
                inserted = conn.execute(
                    "INSERT INTO reviews (url, claim_reviewed, rating, claimant, claim_date, review_date, publisher,"
                    " language, source, payload, imported_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                    " ON CONFLICT DO NOTHING",
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
                        now(),
                    ),
                ).rowcount
                added += inserted
                duplicates += 1 - inserted
            if added:
                self._audit("import-reviews", {"source": source, "added": added, "duplicates": duplicates})
        return added, duplicates

    def reviews(self, claimant: str | None = None) -> list[Review]:
        name = claimant and claimant.strip()
        rows = self._rows(
            "SELECT * FROM reviews WHERE %s::text IS NULL OR lower(claimant) = lower(%s) ORDER BY id", (name, name)
        )
        return [review_from_row(row) for row in rows]

    def vectors(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        rows = self._conn.execute(
            "SELECT key, vector FROM embeddings WHERE model = %s AND key = ANY(%s)", (model, list(keys))
        )
        return {row[0]: bytes(row[1]) for row in rows}

    def add_vectors(self, model: str, vectors: Iterable[tuple[str, bytes]]) -> None:
        if self.read_only:
            return  # a cache: a read-only store is read from, never added to
        with self._transaction() as conn, conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO embeddings (model, key, vector) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(model, key, vector) for key, vector in vectors],
            )

    # the fetch log

    def fetched_urls(self, urls: Sequence[str]) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT url FROM fetches WHERE url = ANY(%s)", (list(urls),))}

    def add_fetch(self, fetch: dict[str, object], content_hashes: Sequence[str]) -> int:
        with self._transaction() as conn:
            fetch_id: int = conn.execute(
                f"INSERT INTO fetches ({', '.join(FETCH_COLUMNS)}) VALUES ({', '.join(['%s'] * len(FETCH_COLUMNS))})"
                " RETURNING id",
                [fetch[column] for column in FETCH_COLUMNS],
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO fetched_documents (doc_id, fetch_id) SELECT id, %s FROM documents"
                " WHERE content_hash = ANY(%s) ON CONFLICT DO NOTHING",
                (fetch_id, list(content_hashes)),
            )
            conn.execute("DELETE FROM fetch_failures WHERE url = %s", (fetch["url"],))
        return fetch_id

    def fetched_documents(self, url: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT d.doc_id FROM fetched_documents d WHERE d.fetch_id ="
            " (SELECT MAX(id) FROM fetches WHERE url = %s) ORDER BY d.doc_id",
            (url,),
        )
        return [row[0] for row in rows]

    def fetch_failures(self, urls: Sequence[str]) -> dict[str, dict[str, object]]:
        rows = self._rows("SELECT * FROM fetch_failures WHERE url = ANY(%s)", (list(urls),))
        return {row["url"]: row for row in rows}

    def save_fetch_failure(self, failure: dict[str, object]) -> None:
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in FAILURE_COLUMNS[1:])
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO fetch_failures ({', '.join(FAILURE_COLUMNS)})"
                f" VALUES ({', '.join(['%s'] * len(FAILURE_COLUMNS))}) ON CONFLICT (url) DO UPDATE SET {updates}",
                [failure[column] for column in FAILURE_COLUMNS],
            )

    def fetches_of(self, doc_id: str) -> list[dict[str, object]]:
        return self._rows(
            "SELECT f.* FROM fetches f JOIN fetched_documents d ON d.fetch_id = f.id WHERE d.doc_id = %s ORDER BY f.id",
            (doc_id,),
        )

    # watched feeds

    def feed(self, url: str) -> dict[str, object] | None:
        rows = self._rows("SELECT * FROM feeds WHERE url = %s", (url,))
        return rows[0] if rows else None

    def save_feed(self, feed: dict[str, object], items: Sequence[dict[str, object]]) -> int:
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in FEED_COLUMNS[1:])
        placeholders = ", ".join(["%s"] * len(ITEM_COLUMNS))
        new = 0
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO feeds ({', '.join(FEED_COLUMNS)}) VALUES ({', '.join(['%s'] * len(FEED_COLUMNS))})"
                f" ON CONFLICT (url) DO UPDATE SET {updates}",
                [feed[column] for column in FEED_COLUMNS],
            )
            for item in items:
                values = {**item, "feed_url": feed["url"], "state": PENDING, "done_at": None, "result": "{}"}
                new += conn.execute(
                    f"INSERT INTO feed_items ({', '.join(ITEM_COLUMNS)}) SELECT {placeholders}"
                    " WHERE NOT EXISTS (SELECT 1 FROM feed_items WHERE feed_url = %s"
                    " AND (item_key = %s OR (link <> '' AND link = %s))) ON CONFLICT DO NOTHING",
                    [*(values[column] for column in ITEM_COLUMNS), feed["url"], item["item_key"], item["link"]],
                ).rowcount
        return new

    def feed_items(self, feed_url: str, state: str | None = None) -> list[dict[str, object]]:
        return self._rows(
            "SELECT * FROM feed_items WHERE feed_url = %s AND (%s::text IS NULL OR state = %s) ORDER BY found_at, seq",
            (feed_url, state, state),
        )

    def finish_feed_item(self, feed_url: str, item_key: str, result: str, done_at: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE feed_items SET state = %s, result = %s, done_at = %s WHERE feed_url = %s AND item_key = %s",
                (DONE, result, done_at, feed_url, item_key),
            )

    # the workbench's sessions and jobs (``factdesk.store.serving``)

    def add_session(self, key: str, session: StoredSession) -> None:
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO sessions (key, {SESSION_COLUMNS}) VALUES (%s,%s,%s,%s,%s)",
                (key, session.user, session.csrf, session.created, session.seen),
            )

    def session(self, key: str) -> StoredSession | None:
        rows = self._rows(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE key = %s", (key,))
        return session_from_row(rows[0]) if rows else None

    def touch_session(self, key: str, seen: float) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE sessions SET seen = %s WHERE key = %s", (seen, key))

    def end_sessions(self, key: str | None = None, user: str | None = None) -> int:
        with self._transaction() as conn:
            if key is not None:
                return conn.execute("DELETE FROM sessions WHERE key = %s", (key,)).rowcount
            return conn.execute("DELETE FROM sessions WHERE lower(user_name) = lower(%s)", (user,)).rowcount

    def prune_sessions(self, seen_before: float, created_before: float, keep: int) -> int:
        with self._transaction() as conn:
            ended: int = conn.execute(
                "DELETE FROM sessions WHERE seen < %s OR (user_name IS NOT NULL AND created < %s)",
                (seen_before, created_before),
            ).rowcount
            ended += conn.execute(
                "DELETE FROM sessions WHERE key NOT IN (SELECT key FROM sessions ORDER BY seen DESC LIMIT %s)",
                (keep,),
            ).rowcount
        return ended

    def add_job(self, kind: str, user: str, claim: str, params: Mapping[str, Any], submitted: float) -> Job:
        with self._transaction() as conn:
            job_id: int = conn.execute(
                "INSERT INTO jobs (kind, user_name, input_text, params, state, submitted) VALUES (%s,%s,%s,%s,%s,%s)"
                " RETURNING id",
                (kind, user, claim, json.dumps(params, ensure_ascii=False), "queued", submitted),
            ).fetchone()[0]
        return Job(job_id, kind, user, claim, submitted, dict(params))

    def job(self, job_id: int) -> Job | None:
        rows = self._rows(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,))
        return job_from_row(rows[0]) if rows else None

    def jobs(self, user: str | None = None, states: tuple[JobState, ...] = (), limit: int = 100) -> list[Job]:
        rows = self._rows(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE (%s::text IS NULL OR user_name = %s)"
            " AND (cardinality(%s::text[]) = 0 OR state = ANY(%s::text[])) ORDER BY id DESC LIMIT %s",
            (user, user, list(states), list(states), limit),
        )
        return [job_from_row(row) for row in rows]

    def update_job(self, job: Job) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE jobs SET state = %s, started = %s, finished = %s, check_id = %s, summary = %s, error = %s"
                " WHERE id = %s",
                (job.state, job.started, job.finished, job.check_id, job.summary, job.error, job.id),
            )

    # web search answers

    def search_answer(self, backend: str, endpoint: str, query: str, cutoff: str, count: int) -> str | None:
        return self._one(
            "SELECT results FROM search_results WHERE backend = %s AND endpoint = %s AND query = %s AND cutoff = %s"
            " AND count = %s",
            (backend, endpoint, query, cutoff, count),
        )

    def save_search_answer(
        self, backend: str, endpoint: str, query: str, cutoff: str, count: int, results: str, searched_at: str
    ) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO search_results VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT"
                " (backend, endpoint, query, cutoff, count) DO UPDATE SET results = EXCLUDED.results,"
                " searched_at = EXCLUDED.searched_at",
                (backend, endpoint, query, cutoff, count, results, searched_at),
            )

    # passage embeddings (pgvector), kept per model outside the migrated schema: an index, rebuilt at will

    def dense_search_available(self) -> bool:
        """Whether pgvector is installed on the server (``CREATE EXTENSION`` then needs the right to run it)."""
        return bool(self._one("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"))

    def latest_passage_id(self) -> int:
        return self._one("SELECT COALESCE(MAX(id), 0) FROM passages")

    def _vector_table(self, model: str) -> str:
        return "passage_vectors_" + re.sub(r"[^a-z0-9]+", "_", model.lower())[:40]

    def passages_to_embed(self, model: str, limit: int) -> list[tuple[int, str]]:
        """(rowid, text) of up to ``limit`` passages with no embedding of ``model`` yet, in rowid order."""
        table = self._vector_table(model)
        if not self._one("SELECT to_regclass(%s) IS NOT NULL", (table,)):
            return self.passages_after(0, limit)
        rows = self._conn.execute(
            f"SELECT p.id, p.text FROM passages p WHERE NOT EXISTS (SELECT 1 FROM {table} v WHERE v.passage_id = p.id)"
            " ORDER BY p.id LIMIT %s",
            (limit,),
        )
        return [(row[0], row[1]) for row in rows]

    def add_passage_vectors(self, model: str, rowids: Sequence[int], vectors: np.ndarray) -> None:
        """Stores passage embeddings (rows L2-normalised), making the model's table and HNSW index (cosine) on
        first use; a passage embedded meanwhile by another process keeps its vector."""
        table = self._vector_table(model)
        with self._transaction() as conn, conn.cursor() as cursor:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (passage_id BIGINT PRIMARY KEY REFERENCES passages(id),"
                f" embedding vector({vectors.shape[1]}) NOT NULL)"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops)")
            cursor.executemany(
                f"INSERT INTO {table} VALUES (%s, %s::vector) ON CONFLICT DO NOTHING",
                [(rowid, _vector(row)) for rowid, row in zip(rowids, vectors, strict=True)],
            )

    def drop_passage_vectors(self, model: str) -> None:
        with self._transaction() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {self._vector_table(model)}")

    def nearest_passages(self, model: str, vector: np.ndarray, cutoff: date | None, limit: int) -> list[PassageHit]:
        """The ``limit`` passages nearest ``vector`` (HNSW) published no later than ``cutoff`` (undated ones kept);
        ``score`` is the cosine similarity. The index is searched for more than ``limit`` and widened until enough
        pass the cut-off, or every passage was looked at."""
        table = self._vector_table(model)
        if not self._one("SELECT to_regclass(%s) IS NOT NULL", (table,)):
            return []
        total = self._one(f"SELECT COUNT(*) FROM {table}")
        day, query = cutoff and cutoff.isoformat(), _vector(vector)
        want = min(total, max(limit * 2, 40))
        while True:
            with self._conn.transaction():
                self._conn.execute(f"SET LOCAL hnsw.ef_search = {min(max(want, 40), 1000)}")
                rows = self._conn.execute(
                    f"""SELECT p.doc_id, p.start, p."end", p.text, 1 - n.distance, {DOCUMENT_COLUMNS}
                    FROM (SELECT passage_id, embedding <=> %s::vector AS distance FROM {table}
                          ORDER BY embedding <=> %s::vector LIMIT %s) n
                    JOIN passages p ON p.id = n.passage_id JOIN documents d ON d.id = p.doc_id
                    WHERE %s::text IS NULL OR d.published IS NULL OR d.published <= %s
                    ORDER BY n.distance, p.id LIMIT %s""",
                    (query, query, want, day, day, limit),
                ).fetchall()
            if len(rows) >= limit or want >= total:
                return [PassageHit(Passage(*row[:4]), _document(row[5:]), float(row[4])) for row in rows]
            want = min(total, want * 4)

    # copying between backends

    def table_rows(self, table: str) -> Iterator[tuple[object, ...]]:
        """Every row of ``table`` (one of ``TABLES``), its columns in that order, read with a server-side cursor."""
        columns = ", ".join(f'"{column}"' for column in TABLES[table])
        with self._conn.transaction(), self._conn.cursor(name=f"rows_of_{table}") as cursor:
            cursor.execute(f"SELECT {columns} FROM {table}")
            for row in cursor:
                yield tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)

    def copy_rows(self, rows: dict[str, Iterable[tuple[object, ...]]]) -> dict[str, int]:
        """Adds rows to tables (``meta``'s replace), all in one transaction, then moves each id sequence past the
        largest id copied. Returns the rows added to each table."""
        added: dict[str, int] = {}
        with self._transaction() as conn, conn.cursor() as cursor:
            for table, values in rows.items():
                columns = TABLES[table]
                names = ", ".join(f'"{column}"' for column in columns)
                if table == "meta":
                    batch = list(values)
                    cursor.executemany(
                        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", batch
                    )
                    added[table] = len(batch)
                    continue
                added[table] = 0
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
                        added[table] += 1
                if table in SERIAL:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
                        f" FROM {table}"
                    )
        return added

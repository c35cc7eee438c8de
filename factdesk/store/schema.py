"""The store's schema as ordered migrations. The database records its version in ``meta``; opening a store checks
it, and an older store is brought up to date in one transaction. A migration is never edited once released: a
change to the schema is a new one at the end."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from factdesk.errors import FactdeskError
from factdesk.store.audit import audit

Migration = Callable[[sqlite3.Connection], None]


def _statements(*sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return run


_CORE = _statements(
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT INTO meta VALUES ('corpus_version', '0')",
    """CREATE TABLE documents (
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
    )""",
    """CREATE TABLE passages (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(id),
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX passages_by_doc ON passages(doc_id)",
    "CREATE VIRTUAL TABLE passages_fts USING fts5(text, content='passages', content_rowid='id',"
    " tokenize='porter unicode61')",
    """CREATE TABLE claims (
        id INTEGER PRIMARY KEY,
        external_id TEXT NOT NULL,
        text TEXT NOT NULL,
        claimant TEXT NOT NULL,
        claimant_role TEXT NOT NULL,
        claim_date TEXT,
        appearance_url TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX claims_by_claimant ON claims(claimant)",
    """CREATE TABLE factchecks (
        id INTEGER PRIMARY KEY,
        claim_id INTEGER NOT NULL REFERENCES claims(id),
        label TEXT NOT NULL,
        rating TEXT NOT NULL,
        confidence REAL NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE publications (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        version INTEGER NOT NULL,
        factcheck_id INTEGER NOT NULL REFERENCES factchecks(id),
        published_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        UNIQUE (slug, version)
    )""",
    "CREATE TRIGGER publications_no_update BEFORE UPDATE ON publications"
    " BEGIN SELECT RAISE(ABORT, 'a published fact-check is immutable; publish a correction instead'); END",
    "CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications"
    " BEGIN SELECT RAISE(ABORT, 'a published fact-check is immutable; publish a correction instead'); END",
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)

# Version 1 stores made these tables on first use, so they may already be there.
_INTAKE_AND_INDEXES = _statements(
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
    """CREATE TABLE IF NOT EXISTS passage_index (
        model TEXT PRIMARY KEY,
        last_id INTEGER NOT NULL,
        count INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    )""",
)

_DOCUMENT_COLUMNS = ("id", "text", "url", "outlet", "title", "published", "author", "language")


def _checks_reference_documents(conn: sqlite3.Connection) -> None:
    """A stored check names each evidence document by id (``document_id``) instead of copying it, when the store
    holds that document as it was weighed; ``factcheck_documents`` records the references."""
    conn.execute(
        """CREATE TABLE factcheck_documents (
            factcheck_id INTEGER NOT NULL REFERENCES factchecks(id),
            doc_id TEXT NOT NULL REFERENCES documents(id),
            PRIMARY KEY (factcheck_id, doc_id)
        )"""
    )
    conn.execute("CREATE INDEX factcheck_documents_by_doc ON factcheck_documents(doc_id)")
    columns = ", ".join(_DOCUMENT_COLUMNS)
    stored: dict[str, dict[str, object] | None] = {}
    for check_id, payload in conn.execute("SELECT id, payload FROM factchecks").fetchall():
        data = json.loads(payload)
        referenced: set[str] = set()
        for item in data["evidence"]:
            doc_id = item["document"]["id"]
            if doc_id not in stored:
                row = conn.execute(f"SELECT {columns} FROM documents WHERE id = ?", (doc_id,)).fetchone()
                stored[doc_id] = dict(zip(_DOCUMENT_COLUMNS, row, strict=True)) if row else None
            if item["document"] == stored[doc_id]:
                del item["document"]
                item["document_id"] = doc_id
                referenced.add(doc_id)
        conn.execute("UPDATE factchecks SET payload = ? WHERE id = ?", (json.dumps(data, ensure_ascii=False), check_id))
        conn.executemany("INSERT INTO factcheck_documents VALUES (?, ?)", [(check_id, d) for d in sorted(referenced)])


# What was fetched from the web (``factdesk.fetch``): each response's URL, final URL, status, time, hash and WARC
# record, and the stored documents it gave. A URL logged here is not fetched again unless asked.
_FETCH_LOG = _statements(
    """CREATE TABLE IF NOT EXISTS fetches (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        final_url TEXT NOT NULL,
        status INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        warc_file TEXT NOT NULL,
        warc_offset INTEGER NOT NULL,
        warc_length INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fetches_by_url ON fetches(url)",
    """CREATE TABLE IF NOT EXISTS fetched_documents (
        doc_id TEXT NOT NULL,
        fetch_id INTEGER NOT NULL REFERENCES fetches(id),
        PRIMARY KEY (doc_id, fetch_id)
    )""",
)

# Web search answers (``factdesk.search``), so a re-check asks the search service nothing.
_SEARCH_RESULTS = _statements(
    """CREATE TABLE IF NOT EXISTS search_results (
        backend TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        query TEXT NOT NULL,
        cutoff TEXT NOT NULL,
        count INTEGER NOT NULL,
        results TEXT NOT NULL,
        searched_at TEXT NOT NULL,
        PRIMARY KEY (backend, endpoint, query, cutoff, count)
    )""",
)

# The newsroom's accounts (``factdesk.accounts``): users with a role and an argon2 password hash, their API tokens
# (SHA-256 of each; the token itself is shown once), each fact-check's sign-off (draft, in review, approved: an
# append-only history), and who made each audited change.
_ACCOUNTS = _statements(
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT
    )""",
    """CREATE TABLE user_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    """CREATE TABLE signoffs (
        id INTEGER PRIMARY KEY,
        factcheck_id INTEGER NOT NULL REFERENCES factchecks(id),
        state TEXT NOT NULL,
        actor TEXT,
        at TEXT NOT NULL,
        note TEXT NOT NULL
    )""",
    "CREATE INDEX signoffs_by_check ON signoffs(factcheck_id)",
    "CREATE TRIGGER signoffs_no_update BEFORE UPDATE ON signoffs"
    " BEGIN SELECT RAISE(ABORT, 'signoffs is append-only'); END",
    "CREATE TRIGGER signoffs_no_delete BEFORE DELETE ON signoffs"
    " BEGIN SELECT RAISE(ABORT, 'signoffs is append-only'); END",
    "ALTER TABLE audit_log ADD COLUMN actor TEXT",
)

# Feeds watched (``factdesk watch``): each feed's conditional-request validators, and every item seen in it with
# its state (``pending`` until fetched, read for claims and matched; then ``done`` with what was found); and pages
# that failed to fetch, with when they may be tried again (``factdesk.fetch``), so re-runs do not hammer a host.
_FEEDS_AND_FAILURES = _statements(
    """CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        etag TEXT NOT NULL,
        last_modified TEXT NOT NULL,
        polled_at TEXT NOT NULL
    )""",
    """CREATE TABLE feed_items (
        feed_url TEXT NOT NULL REFERENCES feeds(url),
        item_key TEXT NOT NULL,
        link TEXT NOT NULL,
        title TEXT NOT NULL,
        published TEXT,
        seq INTEGER NOT NULL,
        found_at TEXT NOT NULL,
        state TEXT NOT NULL,
        done_at TEXT,
        result TEXT NOT NULL,
        PRIMARY KEY (feed_url, item_key)
    )""",
    """CREATE TABLE fetch_failures (
        url TEXT PRIMARY KEY,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        failed_at TEXT NOT NULL,
        retry_after TEXT NOT NULL
    )""",
)

# The desk's work on fact-checks (``factdesk.publish.desk``): append-only events (assignments, an editor's marks on
# passages, documents added to a check's evidence, known-check matches) and revisions (new editions of a check: ruled
# again on curated evidence, the editor's ruling, an edited justification; confidence NULL for an editor's ruling).
_DESK = _statements(
    """CREATE TABLE desk_events (
        id INTEGER PRIMARY KEY,
        factcheck_id INTEGER NOT NULL REFERENCES factchecks(id),
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        actor TEXT,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX desk_events_by_check ON desk_events(factcheck_id)",
    "CREATE TRIGGER desk_events_no_update BEFORE UPDATE ON desk_events"
    " BEGIN SELECT RAISE(ABORT, 'desk_events is append-only'); END",
    "CREATE TRIGGER desk_events_no_delete BEFORE DELETE ON desk_events"
    " BEGIN SELECT RAISE(ABORT, 'desk_events is append-only'); END",
    """CREATE TABLE revisions (
        id INTEGER PRIMARY KEY,
        factcheck_id INTEGER NOT NULL REFERENCES factchecks(id),
        kind TEXT NOT NULL,
        label TEXT NOT NULL,
        rating TEXT NOT NULL,
        confidence REAL,
        payload TEXT NOT NULL,
        note TEXT NOT NULL,
        flags TEXT NOT NULL,
        actor TEXT,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX revisions_by_check ON revisions(factcheck_id)",
    "CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions"
    " BEGIN SELECT RAISE(ABORT, 'revisions is append-only'); END",
    "CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions"
    " BEGIN SELECT RAISE(ABORT, 'revisions is append-only'); END",
)

# Corpus-scale ingest (``factdesk.ingest``): each document's MinHash signature and the near-duplicate cluster it
# belongs to (the id of the cluster's first copy, its own for an original), the LSH band keys that find candidates
# (one row per band), and how far each record file (JSONL, WARC) has been read, committed with each batch.
_NEAR_DUPLICATES_AND_MARKERS = _statements(
    """CREATE TABLE document_signatures (
        doc_id TEXT PRIMARY KEY REFERENCES documents(id),
        signature BLOB NOT NULL,
        cluster TEXT NOT NULL
    )""",
    "CREATE INDEX document_signatures_by_cluster ON document_signatures(cluster)",
    """CREATE TABLE signature_bands (
        band_key INTEGER NOT NULL,
        doc_id TEXT NOT NULL REFERENCES documents(id)
    )""",
    "CREATE INDEX signature_bands_by_key ON signature_bands(band_key)",
    """CREATE TABLE ingest_markers (
        file_key TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        records INTEGER NOT NULL,
        byte_offset INTEGER NOT NULL,
        done INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    )""",
)

# The workbench's server state (``factdesk.workbench``), so that a restart loses nothing: sign-in sessions, kept by
# the SHA-256 of their id (never the id), with their CSRF token and times (seconds), deleted when they end; and
# background jobs with who started them, on what (``params``: what running them again needs), state and outcome.
_SESSIONS_AND_JOBS = _statements(
    """CREATE TABLE sessions (
        key TEXT PRIMARY KEY,
        user_name TEXT,
        csrf TEXT NOT NULL,
        created REAL NOT NULL,
        seen REAL NOT NULL
    )""",
    "CREATE INDEX sessions_by_seen ON sessions(seen)",
    """CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        user_name TEXT NOT NULL,
        input_text TEXT NOT NULL,
        params TEXT NOT NULL,
        state TEXT NOT NULL,
        submitted REAL NOT NULL,
        started REAL,
        finished REAL,
        check_id INTEGER,
        summary TEXT,
        error TEXT
    )""",
    "CREATE INDEX jobs_by_user ON jobs(user_name)",
    "CREATE INDEX jobs_by_state ON jobs(state)",
)

# The schema version is the number of migrations applied; index i brings a store from version i to i + 1.
MIGRATIONS: tuple[Migration, ...] = (
    _CORE,
    _INTAKE_AND_INDEXES,
    _checks_reference_documents,
    _FETCH_LOG,
    _SEARCH_RESULTS,
    _ACCOUNTS,
    _FEEDS_AND_FAILURES,
    _DESK,
    _NEAR_DUPLICATES_AND_MARKERS,
    _SESSIONS_AND_JOBS,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version a database records; 0 for an empty one."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def check_version(version: int, path: str | Path) -> None:
    """Refuses a store made by a newer factdesk, whose schema this code does not know."""
    if version > SCHEMA_VERSION:
        raise FactdeskError(
            f"{path}: the store's schema is version {version}, newer than this factdesk's ({SCHEMA_VERSION});"
            " upgrade factdesk to open it"
        )


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Brings the database up to ``SCHEMA_VERSION`` in one transaction, audited unless the store is new; returns
    the version it was at."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)  # again, under the write lock: another process may have migrated it
        check_version(version, path)
        for migration in MIGRATIONS[version:]:
            migration(conn)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        if 0 < version < SCHEMA_VERSION:
            audit(conn, "migrate", {"from": version, "to": SCHEMA_VERSION})
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version


# Every table a store's content lives in, with its columns, in an order that keeps references valid when copied
# (``factdesk migrate``). ``passage_index`` is left out: it records files beside a store, which do not travel.
TABLES: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "documents": (
        "id",
        "url",
        "outlet",
        "title",
        "published",
        "author",
        "language",
        "text",
        "content_hash",
        "source",
        "ingested_at",
    ),
    "passages": ("id", "doc_id", "start", "end", "text"),
    "claims": ("id", "external_id", "text", "claimant", "claimant_role", "claim_date", "appearance_url", "created_at"),
    "factchecks": ("id", "claim_id", "label", "rating", "confidence", "payload", "created_at"),
    "factcheck_documents": ("factcheck_id", "doc_id"),
    "publications": ("id", "slug", "version", "factcheck_id", "published_at", "payload"),
    "audit_log": ("id", "at", "action", "detail", "actor"),
    "reviews": (
        "id",
        "url",
        "claim_reviewed",
        "rating",
        "claimant",
        "claim_date",
        "review_date",
        "publisher",
        "language",
        "source",
        "payload",
        "imported_at",
    ),
    "embeddings": ("model", "key", "vector"),
    "fetches": (
        "id",
        "url",
        "final_url",
        "status",
        "content_type",
        "fetched_at",
        "sha256",
        "warc_file",
        "warc_offset",
        "warc_length",
    ),
    "fetched_documents": ("doc_id", "fetch_id"),
    "search_results": ("backend", "endpoint", "query", "cutoff", "count", "results", "searched_at"),
    "users": ("id", "name", "role", "password_hash", "created_at", "disabled_at"),
    "user_tokens": ("id", "user_id", "token_hash", "created_at", "revoked_at"),
    "signoffs": ("id", "factcheck_id", "state", "actor", "at", "note"),
    "feeds": ("url", "title", "etag", "last_modified", "polled_at"),
    "feed_items": (
        "feed_url",
        "item_key",
        "link",
        "title",
        "published",
        "seq",
        "found_at",
        "state",
        "done_at",
        "result",
    ),
    "fetch_failures": ("url", "attempts", "error", "failed_at", "retry_after"),
    "desk_events": ("id", "factcheck_id", "kind", "detail", "actor", "at"),
    "revisions": (
        "id",
        "factcheck_id",
        "kind",
        "label",
        "rating",
        "confidence",
        "payload",
        "note",
        "flags",
        "actor",
        "at",
    ),
    "document_signatures": ("doc_id", "signature", "cluster"),
    "signature_bands": ("band_key", "doc_id"),
    "ingest_markers": ("file_key", "path", "records", "byte_offset", "done", "updated_at"),
    "sessions": ("key", "user_name", "csrf", "created", "seen"),
    "jobs": (
        "id",
        "kind",
        "user_name",
        "input_text",
        "params",
        "state",
        "submitted",
        "started",
        "finished",
        "check_id",
        "summary",
        "error",
    ),
}

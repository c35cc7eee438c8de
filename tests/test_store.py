"""The store's schema: versioned, checked on open, migrated in one transaction; reads run no DDL; a stored check
names its documents by id and reads back whole."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from factdesk.errors import FactdeskError
from factdesk.records import (
    Citation,
    Claim,
    Document,
    Evidence,
    FactCheck,
    Passage,
    Provenance,
    Statement,
    Verdict,
    to_jsonable,
)
from factdesk.store import Store, StoredDocument, schema
from factdesk.store.base import DB_NAME

LATER = "Repairs took 14 months, the council said."
STORED = Document(
    "bridge-1", f"The Harwick bridge reopened on 3 May 2022. {LATER}", "https://wire.example/1", "Wire", "Bridge",
    date(2022, 5, 4), "R. Lee", "en",
)  # fmt: skip
ELSEWHERE = Document("web-9", "The bridge is still closed.", "https://blog.example/9", "Blog", "Closed", None)


def _stored(document: Document) -> StoredDocument:
    return StoredDocument(document, [Passage(document.id, 0, len(document.text), document.text)], document.id, "t")


def _evidence(document: Document, stance: str) -> Evidence:
    end = document.text.index(".") + 1  # the first sentence
    passage = Passage(document.id, 0, end, document.text[:end])
    return Evidence(passage, document, stance, {stance: 0.9}, {"retrieval": 0.5, "relevance": 0.8})


def _check() -> FactCheck:
    return FactCheck(
        claim=Claim("The Harwick bridge reopened in May 2022.", "Mayor Jones", "Mayor", date(2022, 6, 1)),
        verdict=Verdict("Supported", "True", 0.8, {"Supported": 0.8, "Refuted": 0.2}),
        evidence=(_evidence(STORED, "supports"), _evidence(ELSEWHERE, "refutes")),
        justification=(Statement("It reopened.", (Citation(STORED.id, 0, 10),), "verdict"),),
        provenance=Provenance("stance", "agg", "bm25", "1", date(2022, 6, 1), datetime(2026, 1, 2, tzinfo=UTC), "0"),
    )


def _version_1_store(root: Path, payload: dict) -> None:
    """A store as factdesk wrote it before migrations: schema version 1, a check with its documents copied."""
    root.mkdir()
    with Store(root) as store:
        store.add_documents([_stored(STORED)])
    conn = sqlite3.connect(root / DB_NAME, isolation_level=None)
    later = ("fetched_documents", "fetches", "search_results", "signoffs", "user_tokens", "users")
    later += ("feed_items", "feeds", "fetch_failures", "desk_events", "revisions")
    later += ("signature_bands", "document_signatures", "ingest_markers", "sessions", "jobs")
    for table in ("factcheck_documents", "reviews", "embeddings", "passage_index", *later):  # made by migrations 2-10
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE audit_log DROP COLUMN actor")
    conn.execute("INSERT INTO claims VALUES (1, '', 'c', '', '', NULL, '', '2026-01-01')")
    conn.execute(
        "INSERT INTO factchecks VALUES (1, 1, 'Supported', 'True', 0.8, ?, '2026-01-01')", (json.dumps(payload),)
    )
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()


def _version(root: Path) -> str:
    with sqlite3.connect(root / DB_NAME) as conn:
        return conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]


def test_a_new_store_records_the_current_schema_version(tmp_path: Path) -> None:
    Store(tmp_path / "s").close()
    assert _version(tmp_path / "s") == str(schema.SCHEMA_VERSION) == str(len(schema.MIGRATIONS))


def test_a_store_newer_than_the_code_is_refused_naming_file_and_versions(tmp_path: Path, factdesk, store) -> None:
    Store(store).close()
    with sqlite3.connect(store / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(schema.SCHEMA_VERSION + 1),))
    expected = f"{store / DB_NAME}: the store's schema is version {schema.SCHEMA_VERSION + 1}, newer than"
    with pytest.raises(FactdeskError, match="newer than this factdesk's") as raised:
        Store(store)
    assert str(raised.value).startswith(expected) and f"({schema.SCHEMA_VERSION})" in str(raised.value)
    result = factdesk("info")
    assert result.exit_code == 2 and expected in result.stderr


def test_a_check_names_stored_documents_by_id_and_reads_back_whole(tmp_path: Path) -> None:
    with Store(tmp_path / "s") as store:
        store.add_documents([_stored(STORED)])
        check_id = store.add_factcheck(_check())
        assert store.factcheck(check_id) == _check()
    with sqlite3.connect(tmp_path / "s" / DB_NAME) as conn:
        payload = json.loads(conn.execute("SELECT payload FROM factchecks").fetchone()[0])
        references = conn.execute("SELECT factcheck_id, doc_id FROM factcheck_documents").fetchall()
    by_reference, whole = payload["evidence"]
    assert by_reference["document_id"] == STORED.id and "document" not in by_reference
    assert LATER not in json.dumps(payload)  # the document's text is not copied, only the passage weighed
    assert whole["document"] == to_jsonable(ELSEWHERE) and "document_id" not in whole  # not in the store: kept
    assert references == [(check_id, STORED.id)]


def test_a_version_1_store_is_migrated_in_one_transaction(tmp_path: Path) -> None:
    root = tmp_path / "s"
    _version_1_store(root, to_jsonable(_check()))
    with Store(root) as store:
        assert store.factcheck(1) == _check()
        assert store.reviews() == [] and store.passage_index_record("m") is None  # tables added by migration 2
        assert [entry["action"] for entry in store.audit_log()][-1] == "migrate"
    assert _version(root) == str(schema.SCHEMA_VERSION)
    with sqlite3.connect(root / DB_NAME) as conn:
        payload = json.loads(conn.execute("SELECT payload FROM factchecks").fetchone()[0])
    assert [("document_id" in item, "document" in item) for item in payload["evidence"]] == [
        (True, False),
        (False, True),
    ]


def test_a_failed_migration_leaves_the_store_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "s"
    _version_1_store(root, to_jsonable(_check()))

    def fails(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration failed")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS[:2], fails))
    with pytest.raises(RuntimeError, match="migration failed"):
        Store(root)
    assert _version(root) == "1"
    with sqlite3.connect(root / DB_NAME) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not {"half_done", "reviews", "factcheck_documents"} & tables


def test_an_older_read_only_store_asks_to_be_migrated_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "s"
    _version_1_store(root, to_jsonable(_check()))
    before = (root / DB_NAME).read_bytes()
    for path in (root / DB_NAME, root):
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        with pytest.raises(FactdeskError, match=f"{root / DB_NAME}: the store's schema is version 1 and this"):
            Store(root)
    finally:
        for path in (root, root / DB_NAME):
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert (root / DB_NAME).read_bytes() == before


def test_opening_and_reading_a_store_runs_no_ddl_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "s"
    with Store(root) as store:
        store.add_documents([_stored(STORED)])
        check_id = store.add_factcheck(_check())
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    with Store(root) as store:
        store.stats()
        store.document(STORED.id)
        store.passages(STORED.id)
        store.search_passages("bridge", None, 5)
        store.passage_hits([1], None)
        store.factcheck(check_id)
        store.recent_factchecks()
        store.claimant_history("Mayor Jones")
        store.publications()
        store.reviews()
        store.vectors("m", ["k"])
        store.passage_index_record("m")
    assert statements, "the trace saw the store's statements"
    writes = [s for s in statements if s.split()[0].upper() in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE"}]
    assert not writes

"""One behaviour suite for every store backend: SQLite in a folder, and PostgreSQL in a real server (from the
``pgserver`` package, or ``$FACTDESK_TEST_PG``, a URL of a server where the tests may create databases). The
PostgreSQL cases skip, saying why, only when neither is available."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pytest
import synthetic
from click.testing import CliRunner
from conftest import BASELINE_CONFIG, REPO, doc, write_jsonl
from test_store import ELSEWHERE, STORED, _check, _stored

from factdesk.cli.main import cli
from factdesk.config import IngestConfig, RetrieveConfig
from factdesk.errors import FactdeskError
from factdesk.ingest import Ingester
from factdesk.ingest.streams import file_key
from factdesk.records import Document, Passage
from factdesk.retrieve.dense import passage_embedder
from factdesk.store import (
    BatchResult,
    IngestMarker,
    Review,
    StoredDocument,
    VectorStore,
    acting_as,
    open_store,
    postgres,
    schema,
)
from factdesk.store.base import DB_NAME
from factdesk.store.desk import search_words
from factdesk.store.serving import StoredSession
from factdesk.store.transfer import digests

LATER = Document("later-1", "The Harwick bridge closed again in 2023.", "https://wire.example/2", "Wire", "Closed",
                 date(2023, 1, 5))  # fmt: skip
UNDATED = Document("undated-1", "Harwick bridge tolls were never charged.", "https://blog.example/3", "Blog", "Tolls")


@pytest.fixture(scope="session")
def postgres_admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL of a PostgreSQL server on which databases may be created."""
    if os.environ.get("FACTDESK_TEST_PG"):
        yield os.environ["FACTDESK_TEST_PG"]
        return
    try:
        import pgserver
    except ImportError:
        pytest.skip("no PostgreSQL: $FACTDESK_TEST_PG is not set and pgserver is not installed (the postgres extra)")
    try:
        server = pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="stop")
    except Exception as exc:  # pgserver raises its own errors, and OSError, when the server cannot start
        pytest.skip(f"no PostgreSQL: $FACTDESK_TEST_PG is not set and pgserver could not start one: {exc}")
    yield server.get_uri()
    server.cleanup()


def _with(url: str, database: str | None = None, user: str | None = None) -> str:
    """``url`` naming another database or user (whose password is the user's name)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        netloc = f"{user}:{user}@{netloc.rsplit('@', 1)[-1]}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}" if database else parts.path))


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def new_pg_database(postgres_admin: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    name = f"factdesk_test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_admin, f"CREATE DATABASE {name}")
    yield _with(postgres_admin, name)
    _admin(postgres_admin, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new store goes: a folder, or the URL of an empty PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store")
    return request.getfixturevalue("new_pg_database")


def _raw(location: str, sql: str) -> None:
    """Runs ``sql`` on the store's database directly, around factdesk."""
    if location.startswith("postgresql://"):
        _admin(location, sql)
    else:
        with closing(sqlite3.connect(Path(location) / DB_NAME, isolation_level=None)) as conn:
            conn.execute(sql)


def _raw_error() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:  # the SQLite cases run without the postgres extra
        return (sqlite3.DatabaseError,)
    return (sqlite3.DatabaseError, psycopg.Error)


def _document(n: int, published: date | None = date(2022, 5, 1)) -> StoredDocument:
    text = f"Report {n}: the Harwick bridge carried {n} lorries. Council engineers counted them."
    document = Document(f"doc-{n}", text, f"https://wire.example/{n}", "Wire", f"Report {n}", published)
    cut = text.index(".") + 1
    passages = [Passage(document.id, 0, cut, text[:cut]), Passage(document.id, cut + 1, len(text), text[cut + 1 :])]
    return StoredDocument(document, passages, f"hash-{n}", "test")


def test_ingest_counts_duplicates_conflicts_and_reads_back(location):
    with open_store(location) as store:
        result = store.add_documents([_stored(STORED), _stored(ELSEWHERE), _document(1)])
        assert (result.added, result.duplicates, result.conflicts) == (3, 0, ())
        again = store.add_documents([_stored(STORED), replace(_document(2), document=replace(STORED, text="x"))])
        assert (again.added, again.duplicates) == (0, 1)
        assert again.conflicts == (("test", "document id 'bridge-1' is already stored with other text"),)
        assert store.stats() == {"documents": 3, "passages": 4, "factchecks": 0, "corpus_version": "1"}
        assert store.document("bridge-1") == STORED
        assert store.documents(["web-9", "nope"]) == {"web-9": ELSEWHERE}
        assert store.document_source("doc-1") == "test"
        assert store.passages("doc-1") == list(_document(1).passages)
        assert store.known_hashes(["bridge-1", "hash-1", "hash-9"]) == {"bridge-1", "hash-1"}
        assert [text for _, text in store.passages_after(0, 10)][:1] == [STORED.text]


def test_near_duplicate_clusters_and_ingest_markers_are_written_with_the_batch(location):
    first = replace(_document(1), signature=b"sig-1", bands=(11, 12))
    copy = replace(_document(2), signature=b"sig-2", bands=(12, 13), cluster="doc-1")
    again = replace(_document(3), document=_document(1).document, content_hash="hash-1")  # doc-1's text once more
    orphan = replace(_document(4), signature=b"sig-4", bands=(14,), cluster="doc-1b")  # its first copy is not added
    short = _document(5)  # no signature: never compared
    marker = IngestMarker("file-a", "/dumps/a.jsonl.gz", 250, 40_960, False)
    with open_store(location) as store:
        store.add_documents([first])
        result = store.add_documents(
            [copy, replace(again, document=replace(_document(1).document, id="doc-1b")), orphan, short],
            markers=[marker],
        )
        assert (result.added, result.duplicates) == (3, 1)
        assert store.ingest_marker("file-a") == marker and store.ingest_marker("file-b") is None
        assert sorted(store.near_duplicate_candidates([12, 99])) == [
            ("doc-1", "doc-1", b"sig-1"),
            ("doc-2", "doc-1", b"sig-2"),
        ]
        assert store.near_duplicate_candidates([14]) == [("doc-4", "doc-4", b"sig-4")]
        assert store.near_duplicates(["doc-2", "doc-1", "doc-4", "doc-5", "nope"]) == {
            "doc-1": ("doc-1", "doc-2"),
            "doc-2": ("doc-1", "doc-2"),
        }
        version = store.corpus_version()
        done = replace(marker, records=300, offset=51_200, done=True)
        assert store.add_documents([], markers=[done]) == BatchResult(0, 0, ())
        assert store.ingest_marker("file-a") == done and store.corpus_version() == version
        with pytest.raises(_raw_error()):  # a marker that cannot be written takes the batch's documents with it
            store.add_documents([_document(6)], markers=[replace(done, path=None)])
        assert store.document("doc-6") is None and store.ingest_marker("file-a") == done


def test_search_ranks_matches_and_never_returns_passages_after_the_cutoff(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED), _stored(LATER), _stored(UNDATED), _stored(ELSEWHERE)])
        everything = store.search_passages("Harwick bridge", None, 10)
        assert {hit.document.id for hit in everything} == {"bridge-1", "later-1", "undated-1", "web-9"}
        assert all(hit.score > 0 for hit in everything)
        assert everything[-1].document.id == "web-9"  # "bridge" only, no "Harwick"
        cut = store.search_passages("Harwick bridge", date(2022, 6, 1), 10)
        assert {hit.document.id for hit in cut} == {"bridge-1", "undated-1", "web-9"}
        assert [hit.undated for hit in cut if hit.document.id == "undated-1"] == [True]
        assert store.search_passages("reopened", None, 10)[0].passage.text == STORED.text  # stemmed: reopen
        assert store.search_passages("the of and", None, 10) == []
        assert len(store.search_passages("Harwick bridge", None, 2)) == 2
        rowids = [rowid for rowid, _ in store.passages_after(0, 10)]
        hits = store.passage_hits(rowids, date(2022, 6, 1))
        assert {hit.document.id for hit in hits.values()} == {"bridge-1", "undated-1", "web-9"}
        assert [day for _, _, day in store.dated_passages_after(0, 10)] == [
            date(2022, 5, 4),
            date(2023, 1, 5),
            None,
            None,
        ]


def test_search_weighs_a_rare_word_above_a_common_one(location):
    common = [Document(f"c{n}", f"The bridge carried {n} lorries today.", f"https://w.example/{n}") for n in range(6)]
    rare = Document("rare", "The ferry carried 7 lorries today.", "https://w.example/rare")
    with open_store(location) as store:
        store.add_documents([_stored(d) for d in [*common, rare]])
    _raw(location, "ANALYZE")  # PostgreSQL's IDF comes from the planner's statistics
    with open_store(location) as store:
        hits = store.search_passages("bridge ferry", None, 10)
    assert len(hits) == 7
    assert hits[0].document.id == "rare"


def test_checks_round_trip_with_documents_by_reference(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
        check = _check()
        check_id = store.add_factcheck(check)
        assert store.factcheck(check_id) == check
        assert store.stats()["factchecks"] == 1
        [recent] = store.recent_factchecks()
        assert (recent["id"], recent["claimant"], recent["label"], recent["confidence"]) == (
            check_id,
            "Mayor Jones",
            "Supported",
            0.8,
        )
        assert [row["check_id"] for row in store.claimant_history(" mayor JONES ")] == [check_id]
        with pytest.raises(FactdeskError, match="no fact-check with id 99"):
            store.factcheck(99)
    for table in ("factcheck_documents", "passages", "documents"):
        _raw(location, f"DELETE FROM {table}")  # the store no longer holds what the check names by id
    with open_store(location) as store, pytest.raises(FactdeskError, match="cites document 'bridge-1', not stored"):
        store.factcheck(check_id)


def test_publications_are_kept_in_order_and_immutable(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
        first, second = store.add_factcheck(_check()), store.add_factcheck(_check())
        store.add_publication("harwick", 2, second, {"note": "corrected"})
        store.add_publication("harwick", 1, first, {"note": "first"})
        store.add_publication("Zebra", 1, second, {})
        assert [(p["slug"], p["version"]) for p in store.publications()] == [
            ("Zebra", 1),
            ("harwick", 1),
            ("harwick", 2),
        ]  # slugs in byte order on both backends
        assert [p["payload"] for p in store.publications(slug="harwick")] == [{"note": "first"}, {"note": "corrected"}]
        assert [p["slug"] for p in store.publications(check_id=first)] == ["harwick"]
    for sql in ("UPDATE publications SET payload = '{}'", "DELETE FROM publications"):
        with pytest.raises(_raw_error(), match="a published fact-check is immutable"):
            _raw(location, sql)


def test_audit_log_records_each_write_and_is_append_only(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
        check_id = store.add_factcheck(_check())
        store.add_publication("harwick", 1, check_id, {})
        assert store.add_reviews(
            [Review("https://fc.example/1", "It reopened.", "True", "Mayor Jones")], "r.jsonl"
        ) == (
            1,
            0,
        )
        log = store.audit_log()
    assert [entry["action"] for entry in log] == ["ingest", "check", "publish", "import-reviews"]
    assert json.loads(log[0]["detail"]) == {"added": 1, "duplicates": 0}
    for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(_raw_error(), match="audit_log is append-only"):
            _raw(location, sql)


def test_users_tokens_and_sign_offs_are_kept_with_who_made_each_change(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
        check_id = store.add_factcheck(_check())
        with acting_as("ada"):
            store.add_user("Rita", "reporter", "$argon2id$hash")
            with pytest.raises(FactdeskError, match="a user named 'RITA' already exists"):
                store.add_user("RITA", "editor", "other")
            [rita] = store.users()
            assert store.user("rita") == rita and (rita.name, rita.role, rita.active) == ("Rita", "reporter", True)
            store.update_user("rita", role="editor", disabled=True)
            assert (store.user("RITA").role, store.user("RITA").active) == ("editor", False)
            with pytest.raises(FactdeskError, match="no user named 'nobody'"):
                store.update_user("nobody", role="admin")
            assert store.add_token("rita", "digest-1") != store.add_token("Rita", "digest-2")
            assert store.token_user("digest-1") == store.user("Rita") and store.token_user("digest-3") is None
            assert store.revoke_tokens("rita") == 2
            assert store.token_user("digest-1") is None and store.revoke_tokens("rita") == 0
        with acting_as("cleo"):
            store.add_signoff(check_id, "submit-for-review", "in-review", "ready")
            store.add_signoff(check_id, "approve", "approved")
        assert [(e["state"], e["actor"], e["note"]) for e in store.signoffs(check_id)] == [
            ("in-review", "cleo", "ready"),
            ("approved", "cleo", ""),
        ]
        assert store.signoff_states() == {check_id: "approved"}
        store.add_publication("harwick", 1, check_id, {})
        store.add_publication("harwick", 2, check_id, {})
        assert store.signoff_states() == {check_id: "published"}
        store.record("login", {"address": "127.0.0.1"})
        log = [(e["actor"], e["action"], json.loads(str(e["detail"]))) for e in store.audit_log()]
    assert [(actor, action) for actor, action, _ in log] == [
        (None, "ingest"),
        (None, "check"),
        ("ada", "user-add"),
        ("ada", "user-change"),
        ("ada", "token-create"),
        ("ada", "token-create"),
        ("ada", "token-revoke"),
        ("ada", "token-revoke"),
        ("cleo", "submit-for-review"),
        ("cleo", "approve"),
        (None, "publish"),
        (None, "correct"),
        (None, "login"),
    ]
    assert log[3][2] == {"user": "Rita", "role": "editor", "disabled": True}  # never the password hash
    assert "hash" not in json.dumps([detail for _, _, detail in log])
    for sql in ("UPDATE signoffs SET state = 'x'", "DELETE FROM signoffs"):
        with pytest.raises(_raw_error(), match="signoffs is append-only"):
            _raw(location, sql)


def test_desk_events_and_revisions_are_kept_with_who_made_them_and_append_only(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
        check_id = store.add_factcheck(_check())
        other = store.add_factcheck(replace(_check(), claim=replace(_check().claim, text="Tolls 100% were_charged.")))
        with acting_as("eddie"):
            store.add_desk_event(check_id, "assign", {"assignee": "rita"})
            store.add_desk_event(check_id, "curate", {"doc_id": "bridge-1", "mark": "irrelevant", "reason": "ü"})
            ruling = replace(_check().verdict, confidence=None)
            first = store.add_revision(check_id, "ruling", replace(_check(), verdict=ruling), "overruled")
            second = store.add_revision(check_id, "edit", _check(), "", [{"sentence": 1, "reason": "r"}])
        with pytest.raises(FactdeskError, match="no fact-check with id 99"):
            store.add_desk_event(99, "assign", {"assignee": None})
        assert [(e["kind"], e["actor"], e["detail"]) for e in store.desk_events(check_id)] == [
            ("assign", "eddie", {"assignee": "rita"}),
            ("curate", "eddie", {"doc_id": "bridge-1", "mark": "irrelevant", "reason": "ü"}),
        ]
        assert [e["factcheck_id"] for e in store.desk_events(kind="assign")] == [check_id]
        rows = store.revisions(check_id)
        assert [(r["id"], r["kind"], r["confidence"], r["note"], r["flags"], r["actor"]) for r in rows] == [
            (first, "ruling", None, "overruled", [], "eddie"),
            (second, "edit", 0.8, "", [{"sentence": 1, "reason": "r"}], "eddie"),
        ]
        assert store.revision(first).verdict.confidence is None and store.revision(second) == _check()
        assert store.factcheck(check_id) == _check()  # the stored check never changes
        assert [r["id"] for r in store.check_rows()] == [other, check_id]
        assert store.check_rows()[0]["outlets"] == ["Wire"]  # the stored document it weighed
        assert [r["id"] for r in store.check_rows(search_words("100%"))] == [other]  # LIKE's wildcards are words
        assert [r["id"] for r in store.check_rows(search_words("WERE_CHARGED"))] == [other]
        assert [r["id"] for r in store.check_rows(search_words("harwick reopened"))] == [other, check_id]
        assert store.check_rows(search_words("harwick closed-forever")) == []
        actions = [(e["actor"], e["action"]) for e in store.audit_log()][-4:]
    assert actions == [("eddie", "assign"), ("eddie", "curate"), ("eddie", "ruling"), ("eddie", "edit")]
    for table in ("desk_events", "revisions"):
        for sql in (f"UPDATE {table} SET kind = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(_raw_error(), match=f"{table} is append-only"):
                _raw(location, sql)


def test_workbench_sessions_and_jobs_are_kept_pruned_and_ended(location):
    with open_store(location) as store:
        store.add_session("old", StoredSession("rita", "csrf-1", 100.0, 100.0))
        store.add_session("long", StoredSession("Rita", "csrf-2", 50.0, 900.0))
        store.add_session("form", StoredSession(None, "csrf-3", 50.0, 950.0))
        store.add_session("ed", StoredSession("ed", "csrf-4", 800.0, 1000.0))
        store.touch_session("old", 500.0)
    with open_store(location) as store:  # a restart: all there
        assert store.session("old") == StoredSession("rita", "csrf-1", 100.0, 500.0)
        assert store.prune_sessions(seen_before=400.0, created_before=60.0, keep=2) == 2  # "long", then "old"
        assert [store.session(key) is not None for key in ("old", "long", "form", "ed")] == [False, False, True, True]
        assert store.end_sessions(user="ED") == 1 and store.end_sessions("form") == 1 and store.session("form") is None
        first = store.add_job("check", "rita", "The bridge reopened", {"claim": "The bridge reopened"}, 10.0)
        second = store.add_job("ingest", "ed", "note.txt (3 bytes)", {"upload": "note.txt"}, 11.0)
        first.state, first.started, first.finished, first.check_id = "done", 12.0, 15.5, 7
        store.update_job(first)
    with open_store(location) as store:
        assert store.job(first.id) == first and store.job(first.id).elapsed(99.0) == 5.5
        assert store.jobs(states=("queued", "running")) == [second]
        assert [job.id for job in store.jobs()] == [second.id, first.id] and store.jobs("rita") == [first]
        assert store.job(second.id + 1) is None


def test_reviews_vectors_and_fetch_log(location):
    review = Review("https://fc.example/1", "It reopened.", "True", "Mayor Jones", date(2022, 5, 1), None, "FC", "en",
                    {"k": [1, "ü"]})  # fmt: skip
    with open_store(location) as store:
        assert store.add_reviews([review, review], "r.jsonl") == (1, 1)
        assert store.reviews(claimant="MAYOR jones") == [review]
        assert store.reviews(claimant="someone") == []
        store.add_vectors("m", [("a", b"\x00\x01"), ("b", b"\xff")])
        store.add_vectors("m", [("a", b"other")])  # a cache: the first vector stays
        assert store.vectors("m", ["a", "b", "c"]) == {"a": b"\x00\x01", "b": b"\xff"}
        store.add_documents([_stored(STORED)])
        fetch = {"url": "https://wire.example/1", "final_url": "https://wire.example/1?x", "status": 200,
                 "content_type": "text/html", "fetched_at": "2026-01-02T03:04:05+00:00", "sha256": "ab" * 32,
                 "warc_file": "archive/a.warc.gz", "warc_offset": 0, "warc_length": 10}  # fmt: skip
        fetch_id = store.add_fetch(fetch, ["bridge-1"])
        assert store.fetched_urls(["https://wire.example/1", "https://other.example/"]) == {"https://wire.example/1"}
        assert store.fetches_of("bridge-1") == [{"id": fetch_id, **fetch}]
        assert store.fetches_of("web-9") == []


def test_fetch_failures_and_watched_feeds(location):
    fetch = {"url": "https://wire.example/1", "final_url": "https://wire.example/1", "status": 200,
             "content_type": "text/html", "fetched_at": "2026-01-02T03:04:05+00:00", "sha256": "ab" * 32,
             "warc_file": "archive/a.warc.gz", "warc_offset": 0, "warc_length": 10}  # fmt: skip
    failure = {"url": fetch["url"], "attempts": 1, "error": "HTTP 503", "failed_at": "2026-01-01T00:00:00+00:00",
               "retry_after": "2026-01-01T01:00:00+00:00"}  # fmt: skip
    feed = {"url": "https://wire.example/feed.xml", "title": "Wire", "etag": '"v1"', "last_modified": "",
            "polled_at": "2026-01-01T00:00:00+00:00"}  # fmt: skip

    def item(key: str, link: str, seq: int) -> dict[str, object]:
        return {"item_key": key, "link": link, "title": key, "published": "2022-09-10", "seq": seq,
                "found_at": "2026-01-01T00:00:00.000001+00:00"}  # fmt: skip

    with open_store(location) as store:
        store.save_fetch_failure(failure)
        store.save_fetch_failure({**failure, "attempts": 2, "retry_after": "2026-01-01T02:00:00+00:00"})
        assert store.fetch_failures([fetch["url"], "https://other.example/"]) == {
            fetch["url"]: {**failure, "attempts": 2, "retry_after": "2026-01-01T02:00:00+00:00"}
        }
        store.add_documents([_stored(STORED)])
        assert store.fetched_documents(fetch["url"]) == []
        store.add_fetch(fetch, ["bridge-1"])
        assert store.fetch_failures([fetch["url"]]) == {}  # a success clears the failure
        assert store.fetched_documents(fetch["url"]) == ["bridge-1"]

        assert store.feed(feed["url"]) is None
        first = [item("a", "https://wire.example/a", 0), item("b", "https://wire.example/b", 1), item("a", "", 2)]
        assert store.save_feed(feed, first) == 2  # one key twice: recorded once
        # seen again: by key, or by link under a new key; one item new
        again = [item("a", "https://wire.example/a", 0), item("b2", "https://wire.example/b", 1), item("c", "", 2)]
        assert store.save_feed({**feed, "etag": '"v2"'}, again) == 1
        assert store.feed(feed["url"]) == {**feed, "etag": '"v2"'}
        pending = store.feed_items(feed["url"], "pending")
        assert [(row["item_key"], row["seq"]) for row in pending] == [("a", 0), ("b", 1), ("c", 2)]
        store.finish_feed_item(feed["url"], "b", '{"claims": []}', "2026-01-01T00:00:05+00:00")
        assert [row["item_key"] for row in store.feed_items(feed["url"], "pending")] == ["a", "c"]
        done = store.feed_items(feed["url"], "done")
        assert [(row["item_key"], row["result"], row["done_at"]) for row in done] == [
            ("b", '{"claims": []}', "2026-01-01T00:00:05+00:00")
        ]
        assert len(store.feed_items(feed["url"])) == 3


def test_search_answers_are_kept_and_replaced(location):
    key = ("searxng", "http://search.example/", "Izium regrouping", "2022-09-13", 10)
    with open_store(location) as store:
        assert store.search_answer(*key) is None
        store.save_search_answer(*key, '[{"url": "https://a.example/"}]', "2026-01-02T03:04:05+00:00")
        store.save_search_answer(*key, '[{"url": "https://b.example/"}]', "2026-01-03T03:04:05+00:00")
        assert store.search_answer(*key) == '[{"url": "https://b.example/"}]'
        assert store.search_answer(*key[:3], "", 10) is None  # another cut-off is another search


def test_a_new_store_records_the_schema_version_and_a_newer_one_is_refused(location):
    assert len(postgres.MIGRATIONS) == len(schema.MIGRATIONS) == schema.SCHEMA_VERSION
    open_store(location).close()
    _raw(location, f"UPDATE meta SET value = '{schema.SCHEMA_VERSION + 1}' WHERE key = 'schema_version'")
    with pytest.raises(FactdeskError, match=f"newer than this factdesk's \\({schema.SCHEMA_VERSION}\\)"):
        open_store(location)


def test_an_older_store_is_migrated_once_and_audited(location):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
    for table in ("sessions", "jobs"):
        _raw(location, f"DROP TABLE {table}")  # undoes the last migration
    _raw(location, f"UPDATE meta SET value = '{schema.SCHEMA_VERSION - 1}' WHERE key = 'schema_version'")
    with open_store(location) as store:
        assert store.session("any") is None and store.jobs() == []
        assert [(entry["actor"], entry["action"]) for entry in store.audit_log()] == [
            (None, "ingest"),
            (None, "migrate"),
        ]
        assert store.document("bridge-1") == STORED
    with open_store(location) as store:
        assert len(store.audit_log()) == 2


def _read_only(location: str, request: pytest.FixtureRequest) -> str:
    """The same store, opened where it cannot be written: a write-protected folder, or a role that may only
    read."""
    if not location.startswith("postgresql://"):
        root = Path(location)
        for path in (root / DB_NAME, root):
            path.chmod(0o555)
        request.addfinalizer(lambda: [path.chmod(0o755) for path in (root, root / DB_NAME)])
        return location
    role = f"reader_{uuid.uuid4().hex[:8]}"
    database = urlsplit(location).path.lstrip("/")
    _admin(
        location,
        f"CREATE ROLE {role} LOGIN PASSWORD '{role}'",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    )
    request.addfinalizer(lambda: _admin(location, f"DROP OWNED BY {role}", f"DROP ROLE {role}"))
    return _with(location, database, user=role)


def test_a_store_that_cannot_be_written_reads_and_refuses_writes(location, request):
    with open_store(location) as store:
        store.add_documents([_stored(STORED)])
        check_id = store.add_factcheck(_check())
    with open_store(_read_only(location, request)) as store:
        assert store.read_only
        assert store.factcheck(check_id) == _check()
        assert [hit.document.id for hit in store.search_passages("bridge", None, 5)] == ["bridge-1"]
        store.add_vectors("m", [("a", b"x")])  # a cache: skipped, not an error
        with pytest.raises(FactdeskError, match="is read-only; this command writes to it"):
            store.add_documents([_stored(ELSEWHERE)])
        with pytest.raises(FactdeskError, match="is read-only"):
            store.add_factcheck(_check())


def test_a_store_opened_read_only_refuses_writes_and_reads_what_the_writer_adds_meanwhile(location):
    """As a batch worker opens it while the driver saves checks: nothing written through it, nothing missed."""
    with open_store(location) as writer:
        writer.add_documents([_stored(STORED)])
        with open_store(location, read_only=True) as reader:
            assert reader.read_only and not writer.read_only
            with pytest.raises(FactdeskError, match="is read-only; this command writes to it"):
                reader.add_documents([_stored(ELSEWHERE)])
            with pytest.raises(FactdeskError, match="is read-only"):
                reader.add_factcheck(_check())
            check_id = writer.add_factcheck(_check())
            writer.add_documents([_stored(ELSEWHERE)])
            assert reader.factcheck(check_id) == _check()
            assert {hit.document.id for hit in reader.search_passages("bridge", None, 5)} == {"bridge-1", "web-9"}
    if not location.startswith("postgresql://"):
        with pytest.raises(FactdeskError, match="no store to open read-only"):
            open_store(Path(location).parent / "nowhere", read_only=True)


WRITER = """
import json, sys
from test_store import _check
from test_store_backends import _document
from factdesk.store import open_store
location, task, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
added = duplicates = 0
with open_store(location) as store:
    for start in range(first, last, 25):
        if task == "checks":
            added += len({store.add_factcheck(_check()) for _ in range(start, min(start + 25, last))})
            continue
        result = store.add_documents([_document(n) for n in range(start, min(start + 25, last))])
        added, duplicates = added + result.added, duplicates + result.duplicates
        assert not result.conflicts, result.conflicts
print(json.dumps({"task": task, "added": added, "duplicates": duplicates}))
"""


def test_four_processes_ingest_and_save_checks_into_one_store_at_once(location):
    with open_store(location) as store:  # made first, so the writers race on rows, not on the schema
        store.add_documents([_stored(STORED)])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    jobs = [("ingest", 0, 400), ("ingest", 200, 600), ("checks", 0, 50), ("checks", 0, 50)]  # 200 documents in both
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, location, task, str(first), str(last)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        for task, first, last in jobs
    ]
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        results.append(json.loads(out))
    ingests = [r for r in results if r["task"] == "ingest"]
    assert sum(r["added"] for r in ingests) == 600
    assert sum(r["duplicates"] for r in ingests) == 200
    assert [r["added"] for r in results if r["task"] == "checks"] == [50, 50]  # distinct ids
    with open_store(location) as store:
        stats = store.stats()
        assert (stats["documents"], stats["passages"], stats["factchecks"]) == (601, 1201, 100)
        assert store.documents(f"doc-{n}" for n in range(600)).keys() == {f"doc-{n}" for n in range(600)}
        assert {check["id"] for check in store.recent_factchecks(200)} == set(range(1, 101))
        assert store.factcheck(100) == _check()
        log = store.audit_log()
        assert sum(json.loads(e["detail"])["added"] for e in log if e["action"] == "ingest") == 601
        assert sum(e["action"] == "check" for e in log) == 100


def test_passage_embeddings_in_postgresql_nearest_first_never_after_the_cutoff(new_pg_database):
    with open_store(new_pg_database) as store:
        assert isinstance(store, VectorStore) and store.dense_search_available()
        store.add_documents([_stored(STORED), _stored(LATER), _stored(UNDATED), _stored(ELSEWHERE)])
        todo = store.passages_to_embed("toy", 10)
        assert [text for _, text in todo] == [STORED.text, LATER.text, UNDATED.text, ELSEWHERE.text]
        vectors = np.eye(4, dtype=np.float32)
        store.add_passage_vectors("toy", [rowid for rowid, _ in todo[:3]], vectors[:3])
        assert store.passages_to_embed("toy", 10) == todo[3:]
        store.add_passage_vectors("toy", [todo[3][0], todo[0][0]], vectors[[3, 1]])  # the first keeps its vector
        query = np.array([0.9, 0.5, 0.1, 0.0], dtype=np.float32)
        nearest = store.nearest_passages("toy", query, None, 3)
        assert [hit.document.id for hit in nearest] == ["bridge-1", "later-1", "undated-1"]
        assert nearest[0].score == pytest.approx(0.9 / np.linalg.norm(query), abs=1e-6)  # cosine
        cut = store.nearest_passages("toy", query, date(2022, 6, 1), 3)
        assert [hit.document.id for hit in cut] == ["bridge-1", "undated-1", "web-9"]
        assert store.nearest_passages("other", query, None, 3) == []
        store.drop_passage_vectors("toy")
        assert len(store.passages_to_embed("toy", 10)) == 4


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def pg_store(new_pg_database: str) -> str:
    return new_pg_database


def test_check_and_publish_through_the_cli_then_migrate_to_postgresql_and_back(pg_store, tmp_path):
    corpus = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            doc("a", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-04"),
            doc("b", "The Harwick bridge closed again in January 2023 for more repairs.", "2023-01-05"),
        ],
    )
    config = tmp_path / "config.toml"
    config.write_text(BASELINE_CONFIG + '[retrieve]\nretriever = "fts5"\n')
    folder, back = str(tmp_path / "store"), str(tmp_path / "back")
    for store in (folder, pg_store):
        assert _cli("--store", store, "ingest", str(corpus))[0] == 0
        code, out, err = _cli("--store", store, "--config", str(config), "check", "The Harwick bridge reopened",
                              "--date", "2022-06-01", "--format", "json")  # fmt: skip
        assert code == 0, err
        assert {e["doc_id"] for e in json.loads(out)["evidence"]} == {"a"}  # b is dated after the claim
        assert _cli("--store", store, "publish", "1", "--out", str(tmp_path / f"published-{len(store)}"))[0] == 0
    with open_store(folder) as sqlite_store, open_store(pg_store) as postgres_store:
        assert postgres_store.factcheck(1).verdict == sqlite_store.factcheck(1).verdict
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(BASELINE_CONFIG)
    code, out, err = _cli("--store", pg_store, "--config", str(baseline), "check", "The Harwick bridge reopened",
                          "--date", "2022-06-01", "--format", "json")  # fmt: skip
    assert code == 0, err  # the default hybrid retriever: the store's full-text search and pgvector
    assert "full-text search only" not in err
    assert {e["doc_id"] for e in json.loads(out)["evidence"]} == {"a"}
    with open_store(pg_store) as store:
        assert isinstance(store, VectorStore)
        model = passage_embedder(RetrieveConfig().embedder).name
        assert store.passages_to_embed(model, 10) == []  # both passages were embedded for the check
    code, _, err = _cli("--store", pg_store, "ingest", "https://wire.example/page")
    assert code == 2
    assert "has no folder for the WARC archive of fetched pages" in err

    target = _with(pg_store, f"{urlsplit(pg_store).path.lstrip('/')}_copy")
    _admin(pg_store, f"CREATE DATABASE {urlsplit(target).path.lstrip('/')}")
    try:
        for src, dst in ((folder, target), (target, back), (folder, target)):  # the last: a re-run changes nothing
            code, out, err = _cli("migrate", src, dst)
            assert code == 0, err
            assert "counts and content hashes match: documents 2, passages 2, claims 1, factchecks 1" in out
        with open_store(folder) as a, open_store(target) as b, open_store(back) as c:
            assert digests(a) == digests(b) == digests(c)
            assert c.search_passages("bridge", date(2022, 6, 1), 5)[0].document.id == "a"
            assert b.factcheck(1) == a.factcheck(1)
            b.add_factcheck(a.factcheck(1))  # the copied ids do not collide with new ones
        code, _, err = _cli("migrate", pg_store, back)  # back holds the same store, but pg_store has another check
        assert code == 2
        assert "differs from" in err
    finally:
        _admin(pg_store, f"DROP DATABASE {urlsplit(target).path.lstrip('/')} WITH (FORCE)")


def test_an_unreachable_postgresql_store_is_one_line_naming_the_host_and_reason():
    code, _, err = _cli("--store", "postgresql://desk:secret@127.0.0.1:9/factdesk", "info")
    assert code == 2
    assert "cannot reach the PostgreSQL store at 127.0.0.1:9 (postgresql://desk:***@127.0.0.1:9/factdesk)" in err
    assert "refused" in err.lower() and "secret" not in err


def _wire_dump(path: Path, stories: int, seed: int) -> tuple[Path, dict[str, str]]:
    """A gzipped JSONL dump of wire stories, each followed by its syndicated copies; the story of each document."""
    records, story_of = synthetic.wire_corpus(stories, seed)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)
    return path, story_of


def _clusters(location: str) -> dict[str, str]:
    """Each signed document's cluster, read around factdesk."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as conn:
            return dict(conn.execute("SELECT doc_id, cluster FROM document_signatures").fetchall())
    with closing(sqlite3.connect(Path(location) / DB_NAME)) as conn:
        return dict(conn.execute("SELECT doc_id, cluster FROM document_signatures").fetchall())


def _count(location: str) -> int:
    """Documents in the store, read around factdesk; 0 before its tables exist."""
    try:
        if location.startswith("postgresql://"):
            import psycopg

            with psycopg.connect(location) as conn:
                return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        with closing(sqlite3.connect(Path(location) / DB_NAME)) as conn:
            return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except Exception:  # the schema is not made yet (sqlite3 or psycopg's error)
        return 0


def test_ingest_links_near_duplicates_and_keeps_its_markers_on_every_backend(location, tmp_path):
    dump, story_of = _wire_dump(tmp_path / "wire.jsonl.gz", 24, seed=2)
    with open_store(location) as store:
        report = Ingester(store, IngestConfig(batch_size=7)).run([dump])
        assert (report.read, report.added, report.problems) == (len(story_of), len(story_of), [])
        assert report.near_duplicates == sum(1 for doc_id, story in story_of.items() if doc_id != story)
        assert _clusters(location) == story_of  # each copy in its story's cluster, the wire story first
        assert store.near_duplicates(["Herald-3", "wire-3", "wire-4"]) == {
            "Herald-3": ("wire-3", "Courier-3", "Gazette-3", "Herald-3"),
            "wire-3": ("wire-3", "Courier-3", "Gazette-3", "Herald-3"),
        }
        marker = store.ingest_marker(file_key(dump))
        assert marker is not None and marker.done and marker.records == len(story_of)
        again = Ingester(store, IngestConfig(batch_size=7)).run([dump])
        assert (again.finished, again.read, again.added) == (1, 0, 0)


@pytest.mark.slow
def test_a_killed_ingest_of_a_dump_resumes_after_its_last_batch_and_ends_as_an_unbroken_one(location, tmp_path):
    dump, story_of = _wire_dump(tmp_path / "wire.jsonl.gz", 1600, seed=4)
    batch = 25
    config = tmp_path / "factdesk.toml"
    config.write_text(f'[ingest]\nbatch_size = {batch}\n[retrieve]\nretriever = "fts5"\n')
    args = ["--store", location, "--config", str(config), "ingest", str(dump)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}

    process = subprocess.Popen(
        [sys.executable, "-m", "factdesk", *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None and _count(location) < 8 * batch:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = _count(location)
    assert 0 < killed_at < len(story_of), "the kill must land mid-file"
    with open_store(location) as store:
        marker = store.ingest_marker(file_key(dump))
    assert marker is not None and not marker.done and marker.records == killed_at  # one record a document

    rerun = subprocess.run([sys.executable, "-m", "factdesk", *args], cwd=REPO, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 files (0 read before, 1 resumed)" in rerun.stdout
    assert f"{len(story_of) - killed_at} documents read: {len(story_of) - killed_at} added, 0 already stored" in (
        rerun.stdout
    )
    assert _count(location) == len(story_of)
    with open_store(tmp_path / "unbroken") as unbroken:  # the same dump, read in one go
        Ingester(unbroken, IngestConfig(batch_size=batch)).run([dump])
    clusters = _clusters(location)
    assert clusters == _clusters(str(tmp_path / "unbroken"))
    assert all(story_of[cluster] == story_of[doc_id] for doc_id, cluster in clusters.items()), "no false merge"
    copies = [doc_id for doc_id, story in story_of.items() if doc_id != story]
    assert sum(clusters[doc_id] == story_of[doc_id] for doc_id in copies) >= 0.95 * len(copies)

"""Corpus-scale ingest through the CLI, on a SQLite store: JSONL.gz and WARC dumps read as streams in constant
memory, bad records named, ingest markers (resume, no rereading), language identification and the language
filter, near-duplicates linked to the first copy, and a syndicated story counted once in a check. The same on
PostgreSQL, and a killed ingest resumed, are in ``test_store_backends.py``."""

from __future__ import annotations

import gzip
import io
import json
import random
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
import synthetic
from conftest import BASELINE_CONFIG, doc

from factdesk.config import IngestConfig
from factdesk.ingest import Ingester
from factdesk.ingest.near_duplicates import BANDS, LSH_THRESHOLD, NUM_PERM, ROWS, NearDuplicateFinder
from factdesk.ingest.streams import file_key, read_stream
from factdesk.store import IngestMarker, Store

ARTICLE = """<!doctype html><html><head><meta charset="{charset}"><title>{title} | Daily Courier</title>
<meta property="article:published_time" content="2022-09-07"></head><body>
<nav><a href="/">Home</a></nav><article><h1>{title}</h1>
<p>{first}</p>
<p>Engineers said on Wednesday that two bridges on the line had been repaired after shelling in August.</p>
<p>Freight traffic resumed at about half of its pre-war volume, according to the regional rail operator.</p>
</article><footer>Cookie notice.</footer></body></html>"""


def write_gz(path: Path, records: list[dict], extra: bytes = b"") -> Path:
    with gzip.open(path, "wb") as handle:
        handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8") + extra)
    return path


def write_warc(path: Path, records: list[tuple[str, str, bytes, str, str]], compress: bool = True) -> Path:
    """(WARC type, URL, body, Content-Type, HTTP status) each; a request record goes before each response."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=compress)
        for kind, url, body, content_type, status in records:
            if kind == "response":
                request = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "daily.example")], is_http_request=True)
                writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
                http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
                record = writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
                )
            else:
                record = writer.create_warc_record(
                    url, kind, payload=io.BytesIO(body), length=len(body), warc_content_type=content_type
                )
            writer.write_record(record)
    return path


def article(title: str, first: str, charset: str = "utf-8") -> bytes:
    return ARTICLE.format(title=title, first=first, charset=charset).encode(charset)


def rows(store: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def test_a_jsonl_gz_dump_is_read_like_jsonl_and_bad_lines_are_named(factdesk, store, tmp_path):
    good = doc("a", "A first report about the river.", author="R. Lee", language="en")
    records = [good, doc("b", "A second report about the river.")]
    dump = write_gz(tmp_path / "dump.jsonl.gz", [*records], b'{"id": "c", "text": \n\n{"id": "d"}\n')

    result = factdesk("ingest", str(dump))

    assert result.exit_code == 1
    assert f"error: {dump}:3: invalid JSON" in result.stderr
    assert f"error: {dump}:5: field 'text': missing or empty (document 'd')" in result.stderr
    assert "2 documents read: 2 added, 0 already stored, 2 problems" in result.stdout
    with Store(store) as s:
        stored = s.document("a")
        assert (stored.url, stored.outlet, stored.title, str(stored.published), stored.author) == (
            good["url"], "Test Wire", "Title a", "2022-09-01", "R. Lee"
        )  # fmt: skip
        assert s.document_source("b") == f"{dump}:2"


def test_a_cut_gzip_stream_keeps_the_lines_before_the_cut(factdesk, store, tmp_path):
    records = [doc(f"d{i}", f"Report {i} on the harbour works, with figures for week {i}.") for i in range(400)]
    whole = write_gz(tmp_path / "whole.jsonl.gz", records).read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])

    result = factdesk("ingest", str(cut))

    assert result.exit_code == 1
    assert f"error: {cut}:" in result.stderr and "damaged gzip stream after line" in result.stderr
    kept = rows(store, "SELECT COUNT(*) FROM documents")[0][0]
    assert 50 < kept < 400
    assert rows(store, "SELECT id FROM documents ORDER BY id") == [(f"d{i}",) for i in sorted(range(kept), key=str)]


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_pages_are_read_and_other_records_passed_over(factdesk, store, tmp_path, name):
    crawl = write_warc(
        tmp_path / name,
        [
            ("response", "https://daily.example/rail", article("Rail hub under pressure", "The junction carries most "
             "supplies bound for the southern front."), "text/html; charset=utf-8", "200 OK"),
            ("response", "https://daily.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png", "200 OK"),
            ("response", "https://daily.example/gone", article("Gone", "Nothing here."), "text/html", "404 Not Found"),
            ("response", "https://daily.example/cafe", article("Café prices", "Café owners in the old town raised "
             "prices by a tenth."), "text/html; charset=iso-8859-1", "200 OK"),
            ("response", "https://daily.example/", b"<html><body><script>go()</script></body></html>", "text/html",
             "200 OK"),
            ("resource", "https://daily.example/saved", article("Saved page", "The saved page tells of a ferry "
             "that ran again."), "text/html", ""),
        ],
        compress=name.endswith(".gz"),
    )  # fmt: skip

    result = factdesk("ingest", str(crawl))

    assert result.exit_code == 0, result.stderr
    assert "3 documents read: 3 added" in result.stdout and "8 records with no document" in result.stdout
    found = rows(store, "SELECT url, outlet, title, published, language, source FROM documents ORDER BY url")
    assert [row[:5] for row in found] == [
        ("https://daily.example/cafe", "daily.example", "Café prices", "2022-09-07", "en"),
        ("https://daily.example/rail", "daily.example", "Rail hub under pressure", "2022-09-07", "en"),
        ("https://daily.example/saved", "daily.example", "Saved page", "2022-09-07", "en"),
    ]
    assert found[0][5] == f"{crawl}:record 8"
    texts = dict(rows(store, "SELECT url, text FROM documents"))
    assert "Café owners" in texts["https://daily.example/cafe"] and "Cookie" not in texts["https://daily.example/rail"]


def test_a_damaged_warc_record_is_named_and_the_records_after_it_kept(factdesk, store, tmp_path):
    pages = [
        ("response", f"https://daily.example/{i}", article(f"Story {i}", f"Story number {i} tells of the ferry."),
         "text/html", "200 OK")
        for i in range(3)
    ]  # fmt: skip
    crawl = write_warc(tmp_path / "crawl.warc.gz", pages)
    starts = [found.position.offset for found in read_stream(crawl)]  # where each record ends
    raw = bytearray(crawl.read_bytes())
    damaged = starts[2]  # the second page's response record
    raw[damaged + 20 : damaged + 60] = b"\x00" * 40
    crawl.write_bytes(bytes(raw))

    result = factdesk("ingest", str(crawl))

    assert result.exit_code == 1
    assert f"error: {crawl}: record 4 at byte {damaged}: damaged WARC record" in result.stderr
    assert sorted(rows(store, "SELECT url FROM documents")) == [
        ("https://daily.example/0",),
        ("https://daily.example/2",),
    ]


def test_reading_a_dump_holds_one_record_at_a_time(tmp_path):
    text = "A long report on the harbour works and what they cost the city. " * 30  # about 2 KB a line
    dump = write_gz(tmp_path / "big.jsonl.gz", [doc(f"d{i}", f"{i}: {text}") for i in range(5000)])
    tracemalloc.start()
    try:
        read = sum(1 for found in read_stream(dump) if found.item and found.item.document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == 5000
    assert peak < 1_000_000, f"{peak} bytes at the peak, for a dump of 10 MB"


@pytest.mark.parametrize("name", ["dump.jsonl.gz", "dump.jsonl", "crawl.warc.gz", "crawl.warc"])
def test_an_ingest_resumes_after_its_marker_and_a_finished_file_is_not_read_again(tmp_path, name):
    path = tmp_path / name
    if "warc" in name:
        pages = [
            ("response", f"https://daily.example/{i}", article(f"Story {i}", f"Story {i} tells of ferry {i}."),
             "text/html", "200 OK")
            for i in range(10)
        ]  # fmt: skip
        write_warc(path, pages, compress=name.endswith(".gz"))
    else:
        records = [doc(f"d{i}", f"Report {i} on the harbour works.") for i in range(10)]
        (write_gz if name.endswith(".gz") else synthetic_jsonl)(path, records)
    positions = [found.position for found in read_stream(path) if found.item and found.item.document]
    assert len(positions) == 10
    store = Store(tmp_path / "store")
    done = positions[3]  # as if an ingest was killed after committing the first four documents
    store.add_documents([], markers=[IngestMarker(file_key(path), str(path), done.records, done.offset, False)])

    report = Ingester(store, IngestConfig(batch_size=3)).run([path])

    assert (report.resumed, report.read, report.added, report.problems) == (1, 6, 6, [])
    assert store.stats()["documents"] == 6
    marker = store.ingest_marker(file_key(path))
    assert marker is not None and marker.done and (marker.records, marker.offset) >= (positions[-1].records, 0)
    again = Ingester(store, IngestConfig(batch_size=3)).run([path])
    assert (again.finished, again.read, again.added) == (1, 0, 0)
    store.close()


def synthetic_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_each_document_gets_its_language_and_others_can_be_left_out(factdesk, store, tmp_path):
    records = [
        doc("en", "The river bridge reopened to traffic on Monday after months of repairs, the council said."),
        doc("de", "Die Brücke über den Fluss wurde am Montag nach monatelangen Reparaturen wieder geöffnet."),
        doc("fr", "Le pont sur la rivière a rouvert à la circulation lundi après des mois de travaux."),
        doc("es", "The council says the bridge is open again.", language="es"),  # as the record states
    ]
    dump = write_gz(tmp_path / "mixed.jsonl.gz", records)

    factdesk("ingest", str(dump))
    assert dict(rows(store, "SELECT id, language FROM documents")) == {"en": "en", "de": "de", "fr": "fr", "es": "es"}

    only = tmp_path / "only-en"
    result = factdesk("ingest", "--language", "en", "--language", "ES", str(dump), store_dir=only)
    assert "4 documents read: 2 added" in result.stdout and "2 in other languages left out" in result.stdout
    assert sorted(rows(only, "SELECT id FROM documents")) == [("en",), ("es",)]


def _stories(seed: int) -> tuple[list[dict], dict[str, str]]:
    """Wire stories carried by up to three outlets, a follow-up that repeats a paragraph of the first story, and
    two briefs too short to compare; and the story of each document that has one."""
    records, original = synthetic.wire_corpus(12, seed)
    follow_up = synthetic.wire_story(random.Random(seed + 1000))  # a new story, one paragraph of story 0 as background
    follow_up.insert(3, records[0]["text"].split("\n\n")[2])
    records.append({"id": "follow-up", "text": "\n\n".join(follow_up), "outlet": "Wire"})
    original["follow-up"] = "follow-up"
    short = "Ferry services resumed on Monday, the port said."  # too short to compare, whatever its copies
    records += [{"id": "brief-1", "text": short}, {"id": "brief-2", "text": short.replace("Monday", "Tuesday")}]
    return records, original


def test_near_duplicates_are_linked_to_the_first_copy_of_their_story(factdesk, store, tmp_path):
    records, original = _stories(seed=5)
    rng = random.Random(1)
    rng.shuffle(records)
    first = {}  # each story's first copy in the dump
    for record in records:
        first.setdefault(original.get(record["id"], record["id"]), record["id"])

    result = factdesk("ingest", str(write_gz(tmp_path / "wire.jsonl.gz", records)))

    assert result.exit_code == 0, result.stderr
    copies = sum(1 for doc_id, story in original.items() if doc_id != first[story])
    assert f"{copies} near-duplicates linked to an earlier copy" in result.stdout
    clusters = dict(rows(store, "SELECT doc_id, cluster FROM document_signatures"))
    assert clusters == {doc_id: first[story] for doc_id, story in original.items()}
    assert "brief-1" not in clusters and "brief-2" not in clusters


def test_the_near_duplicate_index_uses_datasketch_lsh_parameters():
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (BANDS, ROWS)
    finder = NearDuplicateFinder()
    story = synthetic.wire_story(random.Random(3))
    a, b = finder.signatures(["\n\n".join(story), "\n\n".join(synthetic.syndicated_copy(random.Random(4), story))])
    assert a is not None and b is not None and 0.5 < float((a == b).mean()) < 1.0


WIRE = [
    "Harwick bridge reopens after 14 months",
    "The Harwick river bridge reopened to traffic on 3 May 2022 after 14 months of repairs, the regional council "
    "said on Tuesday.",
    "Engineers replaced the steel deck and strengthened both piers, which had been damaged by floods in 2020. The "
    "council said the work cost 12 million euros, two million more than planned.",
    "Buses that had been diverted through Marden for more than a year returned to their usual route on Wednesday "
    "morning, the transport operator said.",
    "Local businesses on the east bank said trade had fallen by a third while the bridge was closed. Several "
    "shops that shut during the works are expected to reopen this summer.",
]


def _wire_copy(outlet: str, published: str, headline: str) -> dict:
    text = "\n\n".join([headline, f"HARWICK ({outlet}) - {WIRE[1]}", *WIRE[2:]])
    return doc(outlet.lower().replace(" ", "-"), text, published=published, outlet=outlet, title=headline)


def test_a_story_carried_by_several_outlets_counts_as_one_source(factdesk, tmp_path):
    corpus = [
        doc("wire", "\n\n".join(WIRE), published="2022-05-03", outlet="Valley Wire", title=WIRE[0]),
        _wire_copy("Coastal Herald", "2022-05-03", "Bridge open again in Harwick"),
        _wire_copy("Metro Broadcast", "2022-05-04", "Harwick traffic crosses the river again"),
        _wire_copy("Late Gazette", "2022-06-10", "A month on, Harwick bridge busy"),  # after the claim
        doc("ledger", "Council engineers confirmed that the Harwick river bridge reopened to traffic in early May "
            "2022, after repairs that began in March 2021.", published="2022-05-05", outlet="Civic Ledger"),
    ]  # fmt: skip
    dump = write_gz(tmp_path / "corpus.jsonl.gz", corpus)
    claim = ["--date", "2022-05-20", "--format", "json", "The Harwick river bridge reopened to traffic in May 2022."]
    found = {}
    for linked in (True, False):
        config = tmp_path / f"linked-{linked}.toml"
        config.write_text(
            f'{BASELINE_CONFIG}[retrieve]\nretriever = "fts5"\n[ingest]\nnear_duplicates = {str(linked).lower()}\n'
        )
        where = tmp_path / f"store-{linked}"
        factdesk("--config", str(config), "ingest", str(dump), store_dir=where)
        result = factdesk("--config", str(config), "check", *claim, store_dir=where)
        assert result.exit_code == 0, result.stderr
        found[linked] = json.loads(result.stdout)["evidence"]

    story = {"wire", "coastal-herald", "metro-broadcast"}
    assert len({e["doc_id"] for e in found[False]} & story) == 3  # unlinked: three votes for one story
    linked = [e for e in found[True] if e["doc_id"] in story]
    assert {e["doc_id"] for e in linked} == {"wire"}
    assert {e["doc_id"] for e in found[True]} == {"wire", "ledger"}
    carried = {(c["doc_id"], c["outlet"], c["published"]) for c in linked[0]["also_carried_by"]}
    assert carried == {("coastal-herald", "Coastal Herald", "2022-05-03"), ("metro-broadcast", "Metro Broadcast",
                       "2022-05-04")}  # fmt: skip
    text = factdesk("--config", str(tmp_path / "linked-True.toml"), "check", *claim[:2], claim[-1],
                    store_dir=tmp_path / "store-True").stdout  # fmt: skip
    assert "also carried by Coastal Herald, Metro Broadcast (the same story: counted once)" in " ".join(text.split())

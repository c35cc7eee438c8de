"""`factdesk ingest URL` and `factdesk source` against a loopback web: content types, metadata, the WARC
archive, re-runs, and hostile servers that must each give one clear per-URL error while the rest is kept."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO, run_subprocess
from loopback_web import LoopbackWeb, gzip_bomb

from factdesk.fetch import FetchLog, HttpFetcher, WarcArchive, safety
from factdesk.fetch.archive import record_bytes
from factdesk.store import Store
from factdesk.store.base import DB_NAME

FETCH_SETTINGS = """[retrieve]
retriever = "fts5"
[fetch]
allow_private = true
host_delay = 0.0
backoff = 0.01
retries = 1
read_timeout = 0.5
total_timeout = 2.0
max_bytes = 5000000
max_decoded_bytes = 10000000
"""
GOOD = [
    "/news/meta.html",
    "/news/plain.html",
    "/news/gzip.html",
    "/news/brotli.html",
    "/report.pdf",
    "/feed.xml",
    "/note.txt",
]


@pytest.fixture(scope="module")
def web():
    gzip_bomb()  # made once, before any request has to wait for it
    server = LoopbackWeb()
    yield server
    server.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "fetch.toml"
    path.write_text(FETCH_SETTINGS)
    return path


def fetcher(**settings: object) -> HttpFetcher:
    defaults = {"allow_private": True, "host_delay": 0.0, "backoff": 0.01, "retries": 1, "read_timeout": 0.5}
    return HttpFetcher(**{**defaults, **settings})  # type: ignore[arg-type]


def documents(store: Path) -> dict[str, dict]:
    """Stored documents by URL path (query kept), with the id."""
    with closing(sqlite3.connect(store / DB_NAME)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT id, url, title, outlet, author, published, text FROM documents").fetchall()
    return {row["url"].split("/", 3)[-1]: dict(row) for row in rows}


def test_fetches_html_pdf_feed_and_text_with_metadata(factdesk, store, config, web):
    result = factdesk("--config", str(config), "ingest", *(web.url(p) for p in GOOD))

    assert result.exit_code == 0, result.output
    assert "7 URLs: 7 fetched, 0 fetched before" in result.stdout
    docs = documents(store)
    meta = docs["news/meta.html"]
    assert (meta["title"], meta["outlet"], meta["author"], meta["published"]) == (
        "Russian forces retreat from Izium",
        "Meridian Wire",
        "Olena Kovalenko",
        "2022-09-10",
    )
    assert "orderly regrouping" in meta["text"] and "Cookie" not in meta["text"] and "Home" not in meta["text"]
    plain = docs["news/plain.html"]
    assert (plain["outlet"], plain["published"]) == ("127.0.0.1", None)
    assert "Kupiansk" in plain["text"]
    assert docs["news/gzip.html"]["outlet"] == "Meridian Wire"
    assert "Kupiansk" in docs["news/brotli.html"]["text"]
    pdf = docs["report.pdf"]
    assert (pdf["title"], pdf["author"], pdf["published"]) == (
        "Kharkiv counteroffensive assessment",
        "Institute for Conflict Studies",
        "2022-09-11",
    )
    assert "disorderly" in pdf["text"]
    izium, balakliia = docs["izium"], docs["balakliia"]  # each feed item is a document at its own link
    assert (izium["outlet"], izium["published"], izium["title"]) == (
        "Eastern Front Monitor",
        "2022-09-10",
        "Izium retaken",
    )
    assert "retook Izium after Russian units fled" in izium["text"] and "<b>" not in izium["text"]
    assert balakliia["published"] == "2022-09-08"
    assert docs["note.txt"]["title"] == "Field note from Kharkiv"


def test_archive_records_reproduce_the_hash_and_source_shows_them(factdesk, store, config, web):
    factdesk("--config", str(config), "ingest", web.url("/news/gzip.html"), web.url("/redirect?to=/note.txt"))
    docs = documents(store)
    with Store(store) as s:
        log = FetchLog(s)
        gzipped = log.sources(docs["news/gzip.html"]["id"])[0]
        redirected = log.sources(docs["note.txt"]["id"])[0]
    archive = WarcArchive(store)
    for record in (gzipped, redirected):
        payload = archive.payload(record.warc)
        assert hashlib.sha256(payload).hexdigest() == record.sha256
    assert (redirected.url, redirected.final_url) == (web.url("/redirect?to=/note.txt"), web.url("/note.txt"))
    assert b"Field note from Kharkiv" in archive.payload(redirected.warc)

    from warcio.archiveiterator import ArchiveIterator

    with (store / gzipped.warc.file).open("rb") as handle:
        handle.seek(gzipped.warc.offset)
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Target-URI") == web.url("/news/gzip.html")
        assert record.http_headers.get_header("Content-Encoding") == "gzip"  # kept as sent
        assert record.raw_stream.read()[:2] == b"\x1f\x8b"

    shown = factdesk("source", docs["news/gzip.html"]["id"])
    assert shown.exit_code == 0, shown.output
    assert web.url("/news/gzip.html") in shown.stdout
    assert gzipped.sha256 in shown.stdout
    assert f"{store / gzipped.warc.file} offset {gzipped.warc.offset}" in shown.stdout
    assert "archived payload matches" in shown.stdout
    as_json = json.loads(factdesk("source", docs["note.txt"]["id"], "--format", "json").stdout)
    assert as_json["fetches"][0]["final_url"] == web.url("/note.txt")


def test_source_reports_a_tampered_archive(factdesk, store, config, web):
    factdesk("--config", str(config), "ingest", web.url("/note.txt"))
    doc_id = documents(store)["note.txt"]["id"]
    with Store(store) as s:
        record = FetchLog(s).sources(doc_id)[0]
    path = store / record.warc.file
    data = bytearray(path.read_bytes())
    data[record.warc.offset + record.warc.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    result = factdesk("source", doc_id)

    assert result.exit_code == 1
    assert "UNREADABLE" in result.stdout or "DOES NOT MATCH" in result.stdout


def test_rerun_fetches_nothing_twice_unless_asked(factdesk, store, config, web):
    urls = [web.url("/news/plain.html"), web.url("/feed.xml")]
    first = factdesk("--config", str(config), "ingest", *urls)
    hits = web.hits["/news/plain.html"], web.hits["/feed.xml"]
    again = factdesk("--config", str(config), "ingest", *urls)

    assert first.exit_code == again.exit_code == 0
    assert "2 URLs: 0 fetched, 2 fetched before" in again.stdout
    assert (web.hits["/news/plain.html"], web.hits["/feed.xml"]) == hits
    refetched = factdesk("--config", str(config), "ingest", "--refetch", *urls)
    assert "2 URLs: 2 fetched" in refetched.stdout and "0 added, 3 already stored" in refetched.stdout
    assert (web.hits["/news/plain.html"], web.hits["/feed.xml"]) == (hits[0] + 1, hits[1] + 1)


HOSTILE = {
    "/private/secret.html": "disallowed by http://127.0.0.1:",
    "/error": "HTTP 500 Internal Server Error (after 2 tries)",
    "/hang": "timed out: no data for 0.5 s",
    "/drip": "took longer than 2 s in all",
    "/huge": "too large: more than 5,000,000 bytes",
    "/huge?declared=1": "too large: 200,000,000 bytes declared, the limit is 5,000,000",
    "/bomb": "decompresses to more than 10,000,000 bytes",
    "/image.png": "unsupported content type 'image/png'",
    "/nowhere": "HTTP 404",
    "/news/naïve page": "HTTP 404",  # sent percent-encoded
    "/broken.pdf": "not a readable PDF",
}


@pytest.mark.slow
def test_each_hostile_url_gets_its_error_and_the_good_ones_are_kept(factdesk, store, config, web, tmp_path):
    local = tmp_path / "local.txt"
    local.write_text("Local note\n\nA local file in the same batch.\n")
    urls = [web.url(path) for path in HOSTILE]
    started = time.monotonic()

    result = factdesk("--config", str(config), "ingest", *urls, web.url("/news/meta.html"), str(local))

    assert time.monotonic() - started < 15
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(HOSTILE), result.stderr
    for path, reason in HOSTILE.items():
        assert any(line.startswith(f"error: {web.url(path)}: ") and reason in line for line in errors), (path, errors)
    docs = documents(store)
    assert "news/meta.html" in docs and len(docs) == 2  # the good page and the local file
    assert f"{len(HOSTILE) + 1} URLs: 1 fetched" in result.stdout and f"{len(HOSTILE)} problems" in result.stdout


def failures(store: Path) -> dict[str, tuple[int, str, str, str]]:
    """The fetch log's failures: (attempts, error, failed at, retry after) by URL path."""
    with closing(sqlite3.connect(store / DB_NAME)) as conn:
        rows = conn.execute("SELECT url, attempts, error, failed_at, retry_after FROM fetch_failures").fetchall()
    return {urlsplit(url).path: tuple(rest) for url, *rest in rows}


def test_a_failed_page_waits_out_an_exponential_backoff_before_it_is_tried_again(factdesk, store, config, web):
    config.write_text(FETCH_SETTINGS.replace("retries = 1", "retries = 0") + "failure_backoff = 600.0\n")
    url = web.url("/recovering")
    web.down = True
    try:
        first = factdesk("--config", str(config), "ingest", url)
        hits = web.hits["/recovering"]
        again = factdesk("--config", str(config), "ingest", url)
        recorded = failures(store)["/recovering"]
        forced = factdesk("--config", str(config), "ingest", "--refetch", url)
        doubled = failures(store)["/recovering"]
    finally:
        web.down = False

    assert first.exit_code == again.exit_code == forced.exit_code == 1
    assert f"error: {url}: HTTP 503 Service Unavailable" in first.stderr
    assert web.hits["/recovering"] == hits + 1  # the re-run asked nothing; --refetch asked once
    assert f"error: {url}: failed once, last at " in again.stderr and "(HTTP 503 Service Unavailable)" in again.stderr
    assert "not tried again before" in again.stderr and "1 URLs: 0 fetched, 0 fetched before" in again.stdout
    attempts, error, failed_at, retry_after = recorded
    assert (attempts, error) == (1, "HTTP 503 Service Unavailable")
    assert (datetime.fromisoformat(retry_after) - datetime.fromisoformat(failed_at)).total_seconds() == 600
    attempts, _, failed_at, retry_after = doubled
    assert attempts == 2
    assert (datetime.fromisoformat(retry_after) - datetime.fromisoformat(failed_at)).total_seconds() == 1200
    assert "failed 2 times" in factdesk("--config", str(config), "ingest", url).stderr

    recovered = factdesk("--config", str(config), "ingest", "--refetch", url)  # the page is back

    assert recovered.exit_code == 0, recovered.output
    assert failures(store) == {}  # a success clears the record
    assert "Recovered field note" in documents(store)["recovering"]["text"]


def test_the_backoff_grows_to_its_cap(store):
    with Store(store) as s:
        log = FetchLog(s, backoff=10.0, backoff_max=25.0)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        waits = [log.fail("https://down.example/", "HTTP 500", start).retry_after - start for _ in range(4)]
        assert [wait.total_seconds() for wait in waits] == [10, 20, 25, 25]
        assert log.failures(["https://down.example/"])["https://down.example/"].attempts == 4
        assert not log.failures(["https://down.example/"])["https://down.example/"].waiting(start + waits[-1])


def test_wrong_charset_still_reads(factdesk, store, config, web):
    paths = ["/news/cp1252-says-utf8.html", "/news/utf8-says-latin1.html"]
    result = factdesk("--config", str(config), "ingest", *(web.url(p) for p in paths))

    assert result.exit_code == 0, result.output
    docs = documents(store)
    for path in paths:
        text = docs[path.lstrip("/")]["text"]
        assert "café" in text and "naïve" in text and "crème brûlée" in text and "Ã" not in text


def test_default_setting_refuses_loopback_without_connecting(factdesk, store, web):
    before = sum(web.hits.values())
    result = factdesk("ingest", web.url("/news/meta.html"), web.url("/robots.txt"))

    assert result.exit_code == 1
    assert f"error: {web.url('/news/meta.html')}: refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback" in (
        result.stderr
    )
    assert "allow_private = true" in result.stderr
    assert sum(web.hits.values()) == before


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.2.3.4",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "fe80::1",
        "fd00:ec2::254",
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_refused(address):
    assert safety.address_refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert safety.address_refusal(ipaddress.ip_address(address)) == ""


def test_every_dns_answer_is_checked(monkeypatch):
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)

    outcome = fetcher(allow_private=False).fetch_one("http://rebind.example/")

    assert outcome.error.startswith("refused: rebind.example resolves to 10.0.0.7 is a private address")


def test_redirects_to_private_addresses_are_refused_with_the_setting_off(monkeypatch, web):
    """127.0.0.2 stands for a public site (only it is let through); its redirects to loopback and to the cloud
    metadata address must be refused before any connection."""
    public = LoopbackWeb("127.0.0.2")
    real = safety.address_refusal
    monkeypatch.setattr(safety, "address_refusal", lambda address: "" if str(address) == "127.0.0.2" else real(address))
    try:
        before = web.hits["/news/meta.html"]
        outcomes = list(
            fetcher(allow_private=False).fetch(
                [
                    public.url("/redirect?to=/note.txt"),
                    public.url(f"/redirect?to={web.url('/news/meta.html')}"),
                    public.url("/redirect?to=http://169.254.169.254/latest/meta-data/"),
                    public.url("/redirect?to=http://localhost:9/"),
                ]
            )
        )
    finally:
        public.close()
    assert outcomes[0].documents and outcomes[0].response.final_url == public.url("/note.txt")
    assert "127.0.0.1 is a loopback address" in outcomes[1].error
    assert "169.254.169.254 is a link-local address" in outcomes[2].error
    assert "is a loopback address" in outcomes[3].error
    assert web.hits["/news/meta.html"] == before


def test_retries_with_backoff_get_a_page_after_a_503(web):
    outcome = fetcher(retries=1).fetch_one(web.url("/flaky"))

    assert outcome.error == ""
    assert outcome.documents[0].title == "Second field note from Kharkiv"


def test_requests_to_one_host_are_paced(web):
    started = time.monotonic()
    outcomes = list(fetcher(host_delay=0.2, concurrency=4).fetch([web.url(f"/page/{n}") for n in range(4)]))

    assert all(o.documents for o in outcomes)
    assert time.monotonic() - started >= 0.8  # robots.txt, then four pages, 0.2 s apart


def test_local_files_take_metadata_from_options(factdesk, store, tmp_path):
    page = tmp_path / "pasted.txt"
    page.write_text("Accessibility links\nSkip to content\n\nTroops were seen leaving Izium on Saturday.\n")

    result = factdesk(
        "ingest",
        str(page),
        "--url",
        "https://wire.example/izium",
        "--outlet",
        "Meridian Wire",
        "--published",
        "2022-09-10",
        "--title",
        "Troops leave Izium",
    )

    assert result.exit_code == 0, result.output
    doc = documents(store)["izium"]
    assert (doc["title"], doc["outlet"], doc["published"]) == ("Troops leave Izium", "Meridian Wire", "2022-09-10")
    bad = factdesk("ingest", str(page), "--published", "10/09/2022")
    assert bad.exit_code == 2 and "--published: expected YYYY-MM-DD" in bad.stderr


def test_kill_during_url_ingest_loses_nothing_and_the_rerun_fetches_nothing_twice(store, config, web):
    urls = [web.url(f"/page/{n}?delay=0.2") for n in range(1000, 1040)]
    db = store / "factdesk.sqlite3"
    args = [sys.executable, "-m", "factdesk", "--store", str(store), "--config", str(config), "ingest", *urls]

    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and len(logged(db)) < 5:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = logged(db)
    assert 0 < len(done) < len(urls), "the kill must land mid-run"
    with sqlite3.connect(db) as conn:
        unstored = conn.execute(
            "SELECT COUNT(*) FROM fetches f WHERE NOT EXISTS (SELECT 1 FROM fetched_documents d"
            " JOIN documents ON documents.id = d.doc_id WHERE d.fetch_id = f.id)"
        ).fetchone()[0]
    assert unstored == 0, "a fetch is logged only with its documents"
    hits = {url: web.hits[urlsplit(url).path] for url in done}

    rerun = run_subprocess("--store", str(store), "--config", str(config), "ingest", *urls, cwd=REPO)

    assert rerun.returncode == 0, rerun.stderr
    assert f"40 URLs: {40 - len(done)} fetched, {len(done)} fetched before" in rerun.stdout
    assert {url: web.hits[urlsplit(url).path] for url in done} == hits
    assert len(documents(store)) == 40


def logged(db: Path) -> set[str]:
    try:
        with sqlite3.connect(db) as conn:
            return {row[0] for row in conn.execute("SELECT url FROM fetches")}
    except sqlite3.OperationalError:  # no store or no fetches table yet
        return set()


def test_published_reports_link_each_fetched_source_to_its_archived_copy(factdesk, store, config, web, tmp_path):
    light = config.read_text().replace(
        '[retrieve]\nretriever = "fts5"\n',
        '[retrieve]\nretriever = "fts5"\n[verify]\nstance_model = "lexical-baseline"\naggregator = "stance-vote"\n'
        'reranker = ""\ndecomposer = ""\n',
    )
    config.write_text(light)
    assert factdesk("--config", str(config), "ingest", web.url("/news/meta.html")).exit_code == 0
    checked = factdesk(
        "--config", str(config), "check", "Russian troops abandoned positions around Izium", "--date", "2022-09-12"
    )
    assert checked.exit_code == 0, checked.output
    with Store(store) as s:
        record = FetchLog(s).sources(documents(store)["news/meta.html"]["id"])[0]

    published = factdesk("--config", str(config), "publish", "1", "--out", str(tmp_path / "site"))

    assert published.exit_code == 0, published.output
    [folder] = list((tmp_path / "site").glob("*/v1"))
    copy = folder / "archive" / f"{record.sha256}.warc.gz"
    assert f'<a href="archive/{record.sha256}.warc.gz" class="archived">archived copy</a>' in (
        (folder / "index.html").read_text()
    )
    from warcio.archiveiterator import ArchiveIterator

    with copy.open("rb") as handle:
        records = [
            (item.rec_headers.get_header("WARC-Target-URI"), hashlib.sha256(item.content_stream().read()).hexdigest())
            for item in ArchiveIterator(handle)
        ]
    assert records == [(web.url("/news/meta.html"), record.sha256)]
    again = factdesk("--config", str(config), "publish", "1", "--out", str(tmp_path / "site"))
    assert again.exit_code == 0 and copy.read_bytes() == record_bytes(store, record.warc)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_https_verifies_the_certificate_against_the_host_name(monkeypatch, tmp_path):
    """The connection goes to the checked address, yet TLS still verifies the name in the URL."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server = LoopbackWeb()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    port = server.server.server_port
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    try:
        trusted = fetcher().fetch_one(f"https://localhost:{port}/note.txt")
        wrong_name = fetcher().fetch_one(f"https://127.0.0.1:{port}/note.txt")
        monkeypatch.delenv("SSL_CERT_FILE")
        untrusted = fetcher().fetch_one(f"https://localhost:{port}/note.txt")
    finally:
        server.close()
    assert trusted.error == "" and trusted.documents[0].title == "Field note from Kharkiv"
    # robots.txt is read first, over the same TLS: its failure names the reason
    assert "TLS failed with 127.0.0.1" in wrong_name.error and "IP address mismatch" in wrong_name.error
    assert "TLS failed with localhost" in untrusted.error and "certificate verify failed" in untrusted.error

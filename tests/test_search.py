"""Web search for `check --web`: each backend against a loopback server speaking its protocol, the cache in the
store, the privacy rule, and the reference case end to end over the loopback web."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO, run_subprocess
from loopback_search import KEYS, LATER, PAGES, SearchWeb

from factdesk import registry
from factdesk.config import Config
from factdesk.fetch import FetchLog, WarcArchive
from factdesk.pipeline import FactDesk
from factdesk.records import Claim
from factdesk.search import QuotaExceeded, SearchError, WebGatherer

LIGHT = """[retrieve]
retriever = "fts5"
[verify]
stance_model = "lexical-baseline"
aggregator = "stance-vote"
reranker = ""
decomposer = ""
reader = ""
"""
FETCH = """[fetch]
allow_private = true
host_delay = 0.0
backoff = 0.01
retries = 1
read_timeout = 2.0
"""
ENV = {
    "BRAVE_SEARCH_API_KEY": KEYS["brave"],
    "GOOGLE_CSE_API_KEY": KEYS["google"],
    "GOOGLE_CSE_ID": KEYS["cx"],
    "SERPER_API_KEY": KEYS["serper"],
}
REGROUPING = Claim(
    "Russian troops stationed in the districts of Balakliia and Izium are being regrouped to achieve the goals of "
    "the operation in the Donbas.",
    claimant="Igor Konashenkov",
    claimant_role="Spokesman, Russian Defence Ministry",
    date=date(2022, 9, 10),
)
AS_OF = date(2022, 9, 13)
BACKENDS = ["searxng", "brave", "google-cse", "serper"]


@pytest.fixture(scope="module")
def web():
    server = SearchWeb()
    yield server
    server.close()


@pytest.fixture
def keys(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def settings(web: SearchWeb, backend: str = "searxng", light: bool = True, extra: str = "") -> str:
    search = f'[search]\nbackend = "{backend}"\nurl = "{web.base}"\nrequest_delay = 0.0\n{extra}'
    return (LIGHT if light else "") + FETCH + search


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "web.toml"
    path.write_text(text)
    return path


def backend(name: str, web: SearchWeb, **settings: object):
    defaults = {"url": web.base, "allow_private": True, "request_delay": 0.0, "backoff": 0.01, "retries": 1}
    return registry.create("search", name, **{**defaults, **settings})


@pytest.mark.parametrize("name", BACKENDS)
def test_each_backend_speaks_its_protocol_and_sends_the_cut_off(name, web, keys):
    before = web.searches

    results = backend(name, web).search("Izium regrouping rout", AS_OF, 5)

    assert web.searches == before + 1
    method, path, params, headers, body = web.requests[-1]
    urls = [r.url for r in results]
    assert web.url("/analysis/2022-09-10-rout") in urls and len(urls) <= 5
    assert all(r.title for r in results)
    later = [url for url in urls if url.removeprefix(web.base) in LATER]
    if name == "searxng":  # no absolute date restriction: later pages come back, for the store's filter
        assert (method, path, params) == ("GET", "/search", {"q": "Izium regrouping rout", "format": "json"})
        assert later
    else:
        assert not later
    if name == "brave":
        assert (method, path) == ("GET", "/res/v1/web/search")
        assert headers["x-subscription-token"] == KEYS["brave"] and headers["accept"] == "application/json"
        assert params == {"q": "Izium regrouping rout", "count": "5", "freshness": "1990-01-01to2022-09-13"}
    if name == "google-cse":
        assert (method, path) == ("GET", "/customsearch/v1")
        assert params == {
            "key": KEYS["google"],
            "cx": KEYS["cx"],
            "q": "Izium regrouping rout",
            "num": "5",
            "sort": "date:r:19900101:20220913",
        }
    if name == "serper":
        assert (method, path, params) == ("POST", "/search", {})
        assert headers["x-api-key"] == KEYS["serper"] and headers["content-type"] == "application/json"
        assert body == {"q": "Izium regrouping rout", "num": 5, "tbs": "cdr:1,cd_min:1/1/1990,cd_max:9/13/2022"}


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("brave", "BRAVE_SEARCH_API_KEY"),
        ("google-cse", "GOOGLE_CSE_API_KEY"),
        ("google-cse", "GOOGLE_CSE_ID"),
        ("serper", "SERPER_API_KEY"),
    ],
)
def test_a_missing_key_names_its_variable_and_nothing_is_sent(name, variable, web, keys, monkeypatch):
    monkeypatch.delenv(variable)
    before = web.searches

    with pytest.raises(SearchError, match=rf"{name} search needs its key in \${variable}, which is not set"):
        backend(name, web).search("Izium", None, 5)

    assert web.searches == before


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("brave", "HTTP 401 Unauthorized: The provided subscription token is invalid."),
        ("google-cse", "HTTP 400 Bad Request: API key not valid. Please pass a valid API key."),
        ("serper", "HTTP 403 Forbidden: Unauthorized."),
    ],
)
def test_a_rejected_key_gives_the_services_reason_and_never_shows_the_key(name, status, web, monkeypatch):
    for variable in ENV:
        monkeypatch.setenv(variable, "wrong-key")

    with pytest.raises(SearchError) as raised:
        backend(name, web).search("Izium", None, 5)

    message = str(raised.value)
    assert message.startswith(f"{name}: {web.base}/") and message.endswith(status)
    assert "wrong-key" not in message


def test_searxng_takes_language_and_categories_and_says_what_is_wrong(web):
    backend("searxng", web, language="en", categories="news").search("Izium", None, 5)
    assert web.requests[-1][2] == {"q": "Izium", "format": "json", "categories": "news", "language": "en"}

    with pytest.raises(SearchError, match=r"searxng: \[search\] url is not set"):
        backend("searxng", web, url="").search("Izium", None, 5)
    with pytest.raises(SearchError, match=rf"searxng: {web.base}/nowhere/search: HTTP 404 Not Found: not found$"):
        backend("searxng", web, url=web.url("/nowhere")).search("Izium", None, 5)
    web.searxng_json = False
    try:
        with pytest.raises(SearchError, match=r"HTTP 403 Forbidden: .*json in search.formats of the instance's"):
            backend("searxng", web).search("Izium", None, 5)
    finally:
        web.searxng_json = True


def test_quota_is_retried_with_backoff_then_reported(web, keys):
    before = web.searches
    web.quota_left = 0
    try:
        with pytest.raises(
            QuotaExceeded, match=r"brave: .*over the quota or rate limit \(HTTP 429\) \(after 2 tries\)"
        ):
            backend("brave", web, retries=1).search("Izium", None, 5)
    finally:
        web.quota_left = 1_000_000
    assert web.searches == before + 2


def test_a_loopback_search_service_is_refused_without_allow_private(web):
    before = sum(web.hits.values())

    with pytest.raises(SearchError, match=r"refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1 is a loopback address"):
        backend("searxng", web, allow_private=False).search("Izium", None, 5)

    assert sum(web.hits.values()) == before


def test_the_query_plan_becomes_distinct_capped_queries(tmp_path, web):
    config = Config.from_toml(config_file(tmp_path, settings(web, extra="max_queries = 4\n")))
    with FactDesk(tmp_path / "store", config) as desk:
        queries = WebGatherer(desk.store, config).queries(REGROUPING)

    assert queries[0] == REGROUPING.text and len(queries) == 4
    assert len({q.lower() for q in queries}) == 4
    assert any("Izium" in q and q != REGROUPING.text for q in queries)


def test_web_gathering_is_cached_so_a_recheck_asks_nothing(tmp_path, web):
    config = Config.from_toml(config_file(tmp_path, settings(web, extra="max_results = 6\n")))
    searches, pages = web.searches, sum(web.page_hits().values())
    with FactDesk(tmp_path / "store", config) as desk:
        first = desk.gather_web(REGROUPING, as_of=AS_OF)
        documents = desk.store.stats()["documents"]
        asked, fetched = web.searches - searches, sum(web.page_hits().values()) - pages

        again = desk.gather_web(REGROUPING, as_of=AS_OF)
        check = desk.check(REGROUPING, as_of=AS_OF, save=False)

    assert asked == first.queries > 1 and first.cached == 0
    assert first.results == fetched == first.fetched == 6  # capped by max_results
    assert documents == 6 and first.added == 6
    assert web.searches - searches == asked and sum(web.page_hits().values()) - pages == fetched
    assert (again.cached, again.fetched, again.fetched_before) == (again.queries, 0, 6)
    assert check.evidence and all(e.document.published <= AS_OF for e in check.evidence)


def test_without_web_nothing_leaves_the_machine(factdesk, store, tmp_path, web):
    config = config_file(tmp_path, settings(web))
    assert factdesk("--config", str(config), "check", REGROUPING.text, "--web", "--date", "2022-09-10").exit_code == 0
    before = sum(web.hits.values())

    plain = factdesk(
        "--config", str(config), "check", "Russian troops near Izium were regrouped", "--date", "2022-09-10"
    )
    batch = factdesk(
        "--config",
        str(config),
        "check",
        "--claims",
        str(write_claims(tmp_path)),
        "--out",
        str(tmp_path / "out.jsonl"),
    )

    assert plain.exit_code == batch.exit_code == 0, plain.output + batch.output
    assert sum(web.hits.values()) == before


def write_claims(tmp_path: Path) -> Path:
    path = tmp_path / "claims.jsonl"
    lines = [
        {"id": "regrouping", "claim": REGROUPING.text, "claimant": "Igor Konashenkov", "date": "2022-09-10"},
        {"id": "equipment", "claim": "Russian forces abandoned tanks near Izium", "date": "2022-09-12"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_check_web_reports_what_was_fetched_and_batch_mode_takes_web(factdesk, store, tmp_path, web):
    config = config_file(tmp_path, settings(web))

    one = factdesk("--config", str(config), "check", REGROUPING.text, "--web", "--as-of", "2022-09-13")
    batch = factdesk(
        "--config",
        str(config),
        "check",
        "--web",
        "--claims",
        str(write_claims(tmp_path)),
        "--out",
        str(tmp_path / "out.jsonl"),
    )

    assert one.exit_code == 0, one.output
    summary = one.stderr.splitlines()[-2]
    assert summary.startswith("web: ") and " fetched, 0 fetched before, 0 refused, 0 failed; " in summary
    assert batch.exit_code == 0, batch.output
    assert "web: " in batch.stderr and "2 checked" in batch.stdout
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["regrouping", "equipment"]
    assert all(e["url"].removeprefix(web.base) not in LATER for r in records for e in r["evidence"])


def test_pages_refused_or_failed_are_reported_and_the_rest_kept(factdesk, store, tmp_path, web):
    config = config_file(tmp_path, settings(web))
    web.extra_results = ["/private/leak.html", "/gone.html"]
    try:
        result = factdesk("--config", str(config), "check", REGROUPING.text, "--web", "--as-of", "2022-09-13")
    finally:
        web.extra_results = []

    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert f"warning: refused {web.url('/private/leak.html')}: disallowed by {web.base}/robots.txt" in lines
    assert f"warning: failed {web.url('/gone.html')}: HTTP 404 Not Found" in lines
    assert "9 fetched, 0 fetched before, 1 refused, 1 failed; 9 documents added" in result.stderr
    assert "Saved as fact-check 1" in result.stderr


def test_a_recheck_does_not_ask_a_failed_page_again_before_its_backoff(factdesk, store, tmp_path, web):
    config = config_file(tmp_path, settings(web))
    web.extra_results = ["/gone.html"]
    try:
        first = factdesk("--config", str(config), "check", REGROUPING.text, "--web", "--as-of", "2022-09-13")
        asked = web.hits["/gone.html"]
        again = factdesk("--config", str(config), "check", REGROUPING.text, "--web", "--as-of", "2022-09-13")
    finally:
        web.extra_results = []

    assert first.exit_code == again.exit_code == 0, again.output
    assert f"warning: failed {web.url('/gone.html')}: HTTP 404 Not Found" in first.stderr.splitlines()
    assert web.hits["/gone.html"] == asked  # the re-check (its searches answered by the store) left it alone
    assert f"warning: failed {web.url('/gone.html')}: failed once, last at " in again.stderr
    assert "0 fetched, 9 fetched before, 0 refused, 1 failed" in again.stderr


def test_a_failed_search_is_a_clear_error(factdesk, store, tmp_path, web, monkeypatch):
    monkeypatch.delenv("BRAVE_SEARCH_API_KEY", raising=False)
    config = config_file(tmp_path, settings(web, backend="brave"))

    result = factdesk("--config", str(config), "check", REGROUPING.text, "--web")

    assert result.exit_code == 2
    assert "error: brave search needs its key in $BRAVE_SEARCH_API_KEY" in result.stderr


def test_pages_dated_after_the_cut_off_are_fetched_but_never_cited(tmp_path, web):
    """The reference case over the loopback web, with the default models: SearXNG sends no cut-off, so the later
    pages are fetched too; the store's time filter keeps them out of the evidence."""
    config = Config.from_toml(config_file(tmp_path, settings(web, light=False)))
    with FactDesk(tmp_path / "store", config) as desk:
        report = desk.gather_web(REGROUPING, as_of=AS_OF)
        check = desk.check(REGROUPING, as_of=AS_OF, save=False)
        stored = {row[1] for row in desk.store.table_rows("documents")}  # (id, url, ...)
        archived = [
            WarcArchive(desk.store.root).verify(record.warc, record.sha256)
            for e in check.evidence
            for record in FetchLog(desk.store).sources(e.document.id)
        ]
        unlimited = desk.check(REGROUPING, as_of=date(2022, 12, 31), save=False)

    later = {web.url(path) for path in LATER}
    assert later <= stored and report.failed == [] == report.refused
    cited = {e.document.url for e in check.evidence}
    assert check.verdict.rating == "False", (check.verdict, [(e.stance, e.passage.text[:80]) for e in check.evidence])
    assert cited and not cited & later
    assert cited <= {web.url(p.path) for p in PAGES if p.published <= AS_OF}
    assert len(archived) == len(check.evidence) and all(archived)  # each evidence item's WARC record matches
    assert {e.document.url for e in unlimited.evidence} & later  # a later cut-off would have used them


@pytest.mark.slow
def test_a_killed_web_check_loses_nothing_and_the_rerun_asks_nothing_twice(store, tmp_path, web):
    config = config_file(tmp_path, settings(web).replace("[fetch]\n", "[fetch]\nconcurrency = 1\n"))
    args = ["--store", str(store), "--config", str(config), "check", REGROUPING.text, "--web", "--as-of", "2022-09-13"]
    searches = web.searches
    web.delay = 0.3
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "factdesk", *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None and len(fetched_urls(store)) < 2:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        done = len(logged := fetched_urls(store))
        hits = {path: web.hits[path] for path in logged}
        asked = web.searches - searches

        rerun = run_subprocess(*args, cwd=REPO)
    finally:
        web.delay = 0.0

    assert 2 <= done < 9, "the kill must land mid-fetch"
    assert rerun.returncode == 0, rerun.stderr
    assert (
        f"web: {asked} searches ({asked} answered from the store), 9 results: {9 - done} fetched, {done} fetched"
        in (rerun.stderr)
    )
    assert web.searches - searches == asked  # the searches made before the kill were kept
    assert {path: web.hits[path] for path in logged} == hits  # pages fetched before the kill: not again
    assert len(fetched_urls(store)) == 9  # nothing lost: every result is in the store after the rerun


def fetched_urls(store: Path) -> set[str]:
    """The paths of the pages in the fetch log."""
    try:
        with sqlite3.connect(store / "factdesk.sqlite3") as conn:
            return {urlsplit(row[0]).path for row in conn.execute("SELECT url FROM fetches")}
    except sqlite3.OperationalError:  # no store or no fetches table yet
        return set()


def test_a_key_in_the_query_string_is_never_shown_in_an_error(web, keys):
    with pytest.raises(SearchError) as raised:
        backend("google-cse", web, url="ftp://127.0.0.1").search("Izium", None, 5)

    assert str(raised.value) == "google-cse: ftp://127.0.0.1/customsearch/v1: not an http(s) URL: " + (
        "ftp://127.0.0.1/customsearch/v1"
    )

"""`factdesk watch` against a loopback web of feeds: new items fetched once and read for claims that match known
fact-checks, resumption (conditional requests, the store's per-feed state), OPML lists and their errors, a feed or
page that fails while the others go on, --limit, --interval, the library call, and a kill mid-run."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from conftest import REPO, run_subprocess
from loopback_feeds import FeedWeb

from factdesk.config import Config
from factdesk.pipeline import FactDesk
from factdesk.store.base import DB_NAME
from factdesk.watch import FeedSource

SETTINGS = """[retrieve]
retriever = "fts5"
[fetch]
allow_private = true
host_delay = 0.0
backoff = 0.01
retries = 1
read_timeout = 2.0
"""
REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checkers.example/regrouping",
    "claimReviewed": "Russian troops near Balakliia and Izium are being regrouped to reinforce the Donetsk front.",
    "author": {"@type": "Organization", "name": "Checkers Desk"},
    "reviewRating": {"@type": "Rating", "alternateName": "False"},
    "itemReviewed": {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "Russian defence ministry"},
        "datePublished": "2022-09-10",
    },
}
ARTICLES = ["regrouping-briefing", "harbour-dredging", "grain-exports"]


@pytest.fixture
def web():
    server = FeedWeb()
    yield server
    server.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watch.toml"
    path.write_text(SETTINGS)
    return path


@pytest.fixture
def reviewed(factdesk, config, tmp_path) -> None:
    path = tmp_path / "review.json"
    path.write_text(json.dumps(REVIEW))
    assert factdesk("--config", str(config), "import-reviews", str(path)).exit_code == 0


def items(store: Path) -> dict[str, tuple[str, dict]]:
    """Each feed item's (state, result) by link path (or key when it has no link)."""
    with closing(sqlite3.connect(store / DB_NAME)) as conn:
        rows = conn.execute("SELECT item_key, link, state, result FROM feed_items").fetchall()
    return {(link.split("/", 3)[-1] if link else key): (state, json.loads(result)) for key, link, state, result in rows}


def stored_urls(store: Path) -> set[str]:
    with closing(sqlite3.connect(store / DB_NAME)) as conn:
        return {row[0].split("/", 3)[-1] for row in conn.execute("SELECT url FROM documents")}


def test_new_items_are_fetched_once_read_for_claims_and_matched(factdesk, store, config, web, reviewed):
    feeds = [web.url("/feeds/front.xml"), web.url("/feeds/economy.atom")]

    result = factdesk("--config", str(config), "watch", *feeds)

    assert result.exit_code == 1, result.output  # one item's page fails: reported, the rest read
    out = result.stdout
    assert f"FEED  {feeds[0]} (Harbour Post: front page): read, 4 new items" in out
    assert f"FEED  {feeds[1]} (Harbour Post: economy): read, 2 new items" in out
    match = next(line for line in out.splitlines() if "~" in line)
    assert "“At its evening briefing the Russian defence ministry said that Russian troops near Balakliia" in match
    assert "rated False by Checkers Desk (https://checkers.example/regrouping)" in match
    assert f"FAILED  “Item failing” {web.url('/articles/failing')}: HTTP 503 Service Unavailable" in out
    assert f"REFUSED  “Item private” {web.url('/private/memo')}: disallowed by {web.url('/robots.txt')}" in out
    assert "6 new items; items 4 read, 1 failed, 1 refused; " in out
    assert "1 matching one of 1 known fact-checks" in out
    # the dredging story is in both feeds: fetched once; robots.txt kept the private page from being asked for
    pages = Counter(web.paths("/articles/"))
    assert {path: pages[f"/articles/{path}"] for path in ARTICLES} == dict.fromkeys(ARTICLES, 1)
    assert web.paths("/private/") == []
    assert stored_urls(store) == {f"articles/{path}" for path in ARTICLES}
    state = items(store)
    assert state["articles/failing"][0] == "pending" and state["private/memo"][0] == "done"
    assert state["articles/regrouping-briefing"][1]["matches"][0]["check"]["rating"] == "False"


def test_a_rerun_asks_unchanged_feeds_conditionally_and_fetches_only_new_items(factdesk, store, config, web):
    feeds = [web.url("/feeds/front.xml"), web.url("/feeds/economy.atom")]
    factdesk("--config", str(config), "watch", *feeds)
    before = len(web.requests)

    again = factdesk("--config", str(config), "watch", *feeds)

    asked = web.requests[before:]
    assert [r.path for r in asked if r.path.startswith("/feeds/")] == ["/feeds/front.xml", "/feeds/economy.atom"]
    assert all(r.if_none_match and r.if_modified_since for r in asked if r.path.startswith("/feeds/"))
    assert [r.path for r in asked if not r.path.startswith("/feeds/")] == ["/robots.txt"]  # the failed page waits
    assert "read, 0 new items" not in again.stdout and again.stdout.count(": unchanged, 0 new items") == 2
    assert f"WAITING  “Item failing” {web.url('/articles/failing')}: failed once, last at " in again.stdout
    assert "not tried again before" in again.stdout and again.exit_code == 1

    web.publish("front", "bus-lanes")
    third = factdesk("--config", str(config), "watch", *feeds)

    assert f"FEED  {feeds[0]} (Harbour Post: front page): read, 1 new items" in third.stdout
    assert Counter(web.paths("/articles/"))["/articles/bus-lanes"] == 1
    assert "articles/bus-lanes" in stored_urls(store)
    assert all(count == 1 for path, count in Counter(web.paths("/articles/")).items() if path != "/articles/failing")


def test_feeds_from_an_opml_list_and_one_bad_feed_does_not_stop_the_others(factdesk, store, config, web, tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?>\n<opml version="2.0"><head><title>Desk</title></head><body>\n'
        '<outline text="News">\n'
        f'  <outline type="rss" text="Economy" xmlUrl="{web.url("/feeds/economy.atom")}"/>\n'
        f'  <outline type="rss" text="Broken" xmlUrl="{web.url("/feeds/broken.xml")}"/>\n'
        "</outline>\n"
        f'<outline type="rss" text="Not a feed" xmlUrl="{web.url("/feeds/not-a-feed.html")}"/>\n'
        "</body></opml>\n"
    )

    result = factdesk("--config", str(config), "watch", str(opml), web.url("/feeds/economy.atom"), "--format", "json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    feeds = {feed["url"].rsplit("/", 1)[1]: feed for feed in report["feeds"]}
    assert list(feeds) == ["economy.atom", "broken.xml", "not-a-feed.html"]  # listed twice, watched once
    assert feeds["broken.xml"]["status"] == "failed"
    assert feeds["broken.xml"]["error"] == "HTTP 500 Internal Server Error (after 2 tries)"
    assert feeds["not-a-feed.html"]["error"] == "not an RSS or Atom feed (text/html)"
    economy = feeds["economy.atom"]
    assert (economy["status"], economy["new_items"], economy["title"]) == ("read", 2, "Harbour Post: economy")
    assert [(item["status"], item["published"]) for item in economy["items"]] == [
        ("read", "2022-09-08"),
        ("read", "2022-09-09"),
    ]
    grain = economy["items"][0]
    assert any("1.7 million tonnes in August" in claim["claim"] for claim in grain["claims"])
    assert report["known_checks"] == 0 and report["ok"] is False


BAD_OPML = {
    "unclosed": ('<opml><body>\n<outline xmlUrl="http://a.example/f"></body></opml>', 2, "not well-formed XML"),
    "not-opml": ('<?xml version="1.0"?>\n<rss version="2.0"></rss>', 2, "not an OPML file: the root element is <rss>"),
    "no-url": ('<opml><body>\n\n<outline type="rss" text="x"/></body></opml>', 3, 'type="rss"> with no xmlUrl'),
    "not-http": ('<opml><body>\n<outline xmlUrl="file:///etc/passwd"/></body></opml>', 2, "is not an http(s) URL"),
    "doctype": ('<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "b">]>\n<opml/>', 2, "DOCTYPE or entity"),
    "empty": ('<opml version="2.0"><head/><body></body></opml>', None, "no feeds: no <outline> with an xmlUrl"),
}


@pytest.mark.parametrize("case", BAD_OPML)
def test_a_bad_opml_file_is_one_error_naming_file_and_line(factdesk, store, tmp_path, web, case):
    text, line, reason = BAD_OPML[case]
    path = tmp_path / f"{case}.opml"
    path.write_text(text)

    result = factdesk("--create", "watch", str(path), web.url("/feeds/front.xml"))

    assert result.exit_code == 2
    where = f"{path}:{line}" if line else str(path)
    assert result.stderr.startswith(f"error: {where}: ") and reason in result.stderr, result.stderr
    assert web.requests == []  # nothing fetched before the list is known to be good


def test_limit_leaves_items_for_the_next_pass_and_interval_polls(factdesk, store, config, web):
    feed = web.url("/feeds/many.xml?n=5")

    first = factdesk("--config", str(config), "watch", feed, "--limit", "2", "--scorer", "rules")

    assert first.exit_code == 0, first.output
    assert "read, 5 new items, 3 left for the next pass" in first.stdout
    assert sorted(web.paths("/articles/")) == ["/articles/n/0", "/articles/n/1"]  # the feed's first two
    polled = factdesk(
        "--config", str(config), "watch", feed, "--limit", "2", "--scorer", "rules", "--interval", "1", "--passes", "2"
    )
    assert polled.exit_code == 0, polled.output
    summaries = [line for line in polled.stdout.splitlines() if line.startswith("watch: ")]
    assert len(summaries) == 2 and "items 2 read" in summaries[0] and "items 1 read" in summaries[1]
    assert sorted(web.paths("/articles/")) == [f"/articles/n/{n}" for n in range(5)]  # each once
    both = factdesk("--create", "watch", feed, "--once", "--interval", "5")
    assert both.exit_code == 2 and "--once and --interval exclude each other" in both.stderr


def test_the_library_call_watches_and_resumes(store, web):
    config = Config.from_toml(_write(store.parent / "lib.toml", SETTINGS))
    feeds = [FeedSource(web.url("/feeds/economy.atom"))]
    with FactDesk(store, config) as desk:
        first = desk.watch(feeds, scorer="rules")
        again = desk.watch(feeds, scorer="rules")

    assert first.ok and [item.status for item in first.feeds[0].items] == ["read", "read"]
    assert first.feeds[0].items[0].documents and first.feeds[0].items[0].claims
    assert (again.feeds[0].status, again.feeds[0].new_items, again.feeds[0].items) == ("unchanged", 0, [])


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def fetched(store: Path) -> set[str]:
    try:
        with closing(sqlite3.connect(store / DB_NAME)) as conn:
            return {row[0].split("/", 3)[-1] for row in conn.execute("SELECT url FROM fetches")}
    except sqlite3.OperationalError:  # no store or no fetch log yet
        return set()


@pytest.mark.slow
def test_a_killed_watch_loses_nothing_and_the_rerun_fetches_no_item_twice(store, config, web):
    """SIGKILL mid-fetch, then a rerun: from the server's request log, no page whose fetch was logged before the
    kill is asked for again, at most the one in flight (concurrency 1) is asked twice, and every item ends up
    stored and read."""
    config.write_text(SETTINGS.replace("[fetch]\n", "[fetch]\nconcurrency = 1\n"))
    count = 12
    args = ["--store", str(store), "--config", str(config), "watch", web.url(f"/feeds/many.xml?n={count}")]
    web.delay = 0.3
    process = subprocess.Popen(
        [sys.executable, "-m", "factdesk", *args, "--scorer", "rules"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and len(fetched(store)) < 3:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before_kill = fetched(store)
    asked_before = Counter(web.paths("/articles/"))
    assert 3 <= len(before_kill) < count, "the kill must land mid-run"

    rerun = run_subprocess(*args, "--scorer", "rules", cwd=REPO)

    assert rerun.returncode == 0, rerun.stderr
    asked = Counter(web.paths("/articles/"))
    twice = {path for path, n in asked.items() if n > 1}
    assert all(n <= 2 for n in asked.values())
    assert not twice & {f"/{path}" for path in before_kill}  # logged before the kill: never asked again
    assert len(twice) <= 1 and twice <= {p for p in asked_before if f"{p[1:]}" not in before_kill}
    assert set(asked) == {f"/articles/n/{n}" for n in range(count)}
    assert stored_urls(store) == {f"articles/n/{n}" for n in range(count)}  # nothing lost
    assert {state for state, _ in items(store).values()} == {"done"}
    # the feed's items were recorded before any page was fetched: the rerun's conditional request gets a 304 and
    # reads every item from the store (the kill came before any was read)
    assert ": unchanged, 0 new items" in rerun.stdout and f"items {count} read" in rerun.stdout

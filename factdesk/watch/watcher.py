"""The feed watcher: polls feeds, fetches and ingests each new item's page (archived, through the fetch
component's SSRF rules, robots.txt and pacing), extracts the check-worthy claims in it, and matches them against
known fact-checks.

It resumes where it stopped, through three records in the store, each written in one transaction:
1. a feed's read: its validators (ETag, Last-Modified) and the items not seen before, recorded as pending;
2. each page fetched: the fetch log (``factdesk.fetch``), so no page is fetched twice;
3. each pending item once read and matched: marked done, with what was found.
A run killed anywhere redoes at most the step it was in, and fetches again only a page whose answer it had not yet
received. A page that failed stays pending and is tried again on a later pass, once its backoff has passed; an
item refused (a private address, robots.txt) or with no link is marked done with the reason."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from tqdm import tqdm

from factdesk import registry
from factdesk.claims.extract import ClaimExtractor
from factdesk.claims.matching import KNOWN_MATCH_SCORE, ClaimMatcher, Match
from factdesk.claims.reviews import KnownCheck, known_checks
from factdesk.config import Config
from factdesk.fetch import fetch_log, fetcher_params
from factdesk.fetch.errors import FetchError, is_refusal
from factdesk.fetch.feeds import FeedReader, FeedSource
from factdesk.fetch.ingest import WebIngester
from factdesk.ingest import IngestReport
from factdesk.records import to_jsonable
from factdesk.store import StoreBackend
from factdesk.store.fetches import PENDING


@dataclass
class ItemReport:
    """One item handled in this pass. ``status``: ``read`` (claims extracted and matched), ``failed`` (tried again
    later), ``waiting`` (failed before; its backoff has not passed), ``refused`` or ``no link`` (not tried again)."""

    title: str
    link: str
    published: date | None
    status: str
    error: str = ""
    documents: list[str] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FeedReport:
    """One feed in this pass. ``status``: ``read``, ``unchanged`` (304) or ``failed`` (``error`` says why; its
    pending items are still handled). ``left`` counts pending items left for a later pass by ``--limit``."""

    url: str
    title: str
    status: str
    error: str = ""
    new_items: int = 0
    left: int = 0
    items: list[ItemReport] = field(default_factory=list)


@dataclass
class WatchReport:
    feeds: list[FeedReport] = field(default_factory=list)
    known_checks: int = 0  # fact-checks the claims were matched against

    @property
    def ok(self) -> bool:
        """No feed and no item failed (an item still waiting out its backoff counts as failed)."""
        return all(
            f.status != "failed" and all(i.status not in ("failed", "waiting") for i in f.items) for f in self.feeds
        )

    def count(self, status: str) -> int:
        return sum(1 for feed in self.feeds for item in feed.items if item.status == status)

    def summary(self) -> str:
        items = [item for feed in self.feeds for item in feed.items]
        failed_feeds = sum(1 for feed in self.feeds if feed.status == "failed")
        others = "".join(f", {self.count(s)} {s}" for s in ("failed", "waiting", "refused", "no link") if self.count(s))
        return (
            f"watch: {len(self.feeds)} feeds ({failed_feeds} failed), "
            f"{sum(feed.new_items for feed in self.feeds)} new items; items {self.count('read')} read{others}; "
            f"{sum(len(item.claims) for item in items)} check-worthy claims, "
            f"{sum(len(item.matches) for item in items)} matching one of {self.known_checks} known fact-checks"
        )

    def lines(self) -> list[str]:
        """A readable account: each feed, each item handled with its matches (or why it was not read), then the
        summary."""
        out = []
        for feed in self.feeds:
            name = f"{feed.url} ({feed.title})" if feed.title else feed.url
            if feed.status == "failed":
                out.append(f"FEED  {name}: failed: {feed.error}")
            else:
                left = f", {feed.left} left for the next pass" if feed.left else ""
                out.append(f"FEED  {name}: {feed.status}, {feed.new_items} new items{left}")
            for item in feed.items:
                title = f"“{item.title}”" if item.title else "(untitled)"
                where = f" {item.link}" if item.link else ""
                if item.status != "read":
                    out.append(f"  {item.status.upper()}  {title}{where}: {item.error}")
                    continue
                found = f"{len(item.claims)} check-worthy claims, {len(item.matches)} matching a known fact-check"
                out.append(f"  ITEM  {title}{where}: {found}")
                for match in item.matches:
                    check = match["check"]
                    by = f" by {check['publisher']}" if check["publisher"] else ""
                    out.append(
                        f"        “{match['claim']}” ~ “{check['claim']}”: rated {check['rating']}{by}"
                        f" ({check['url']}), score {match['score']:.2f}"
                    )
        return [*out, self.summary()]

    def to_json(self) -> dict[str, Any]:
        return {
            "feeds": to_jsonable(self.feeds),
            "known_checks": self.known_checks,
            "ok": self.ok,
            "summary": self.summary(),
        }


class FeedWatcher:
    """``run(feeds)`` makes one pass over ``feeds``; ``limit`` caps the items handled per feed in a pass (the rest
    stay pending, for the next). Claims are kept at the extractor's threshold; a match at ``min_score`` or above
    is listed."""

    def __init__(
        self,
        store: StoreBackend,
        config: Config,
        extractor: ClaimExtractor | None = None,
        min_score: float = KNOWN_MATCH_SCORE,
        embedder: str | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.extractor = extractor or ClaimExtractor()
        self.min_score = min_score
        self.embedder = embedder
        self.fetcher = registry.build("fetcher", config.fetch.fetcher, **fetcher_params(config.fetch))
        self.log = fetch_log(store, config.fetch)
        self.reader = FeedReader(self.fetcher)

    def warm_up(self) -> None:
        self.extractor.warm_up()

    def run(self, feeds: Sequence[FeedSource], limit: int | None = None, progress: bool = False) -> WatchReport:
        report = WatchReport()
        polled = []
        for source in tqdm(feeds, desc="feeds", unit="feed", disable=None if progress else True):
            feed = self._poll(source)
            report.feeds.append(feed)
            polled.append((feed, self.store.feed_items(source.url, PENDING)))
        links = [str(item["link"]) for _, pending in polled for item in pending if item["link"]]
        now = datetime.now(UTC)
        waiting = {link: failure for link, failure in self.log.failures(links).items() if failure.waiting(now)}
        todo: list[tuple[FeedReport, dict[str, Any]]] = []
        for feed, pending in polled:
            held = [item for item in pending if item["link"] in waiting]  # failed before; tried once backoff passes
            feed.items += [_item(item, "waiting", waiting[str(item["link"])].reason()) for item in held]
            ready = [item for item in pending if item["link"] not in waiting]
            chosen = ready if limit is None else ready[:limit]
            feed.left = len(ready) - len(chosen)
            todo += [(feed, item) for item in chosen]
        problems = self._fetch([str(item["link"]) for _, item in todo if item["link"]], progress)
        checks = known_checks(self.store)
        report.known_checks = len(checks)
        matcher = self._matcher(checks) if todo and checks else None
        read: dict[str, ItemReport] = {}  # by link: a story in two feeds is read once
        for feed, item in tqdm(todo, desc="read", unit="item", disable=None if progress else True):
            link = str(item["link"])
            if not link:
                feed.items.append(self._finish(item, "no link", "the item has no link to fetch"))
            elif is_refusal(problems.get(link, "")):
                feed.items.append(self._finish(item, "refused", problems[link]))
            elif link in problems:
                feed.items.append(_item(item, "failed", problems[link]))  # still pending: tried again later
            elif link in read:
                feed.items.append(self._done(item, replace(read[link], title=str(item["title"]))))
            else:
                read[link] = self._read(item, matcher)
                feed.items.append(read[link])
        return report

    def _poll(self, source: FeedSource) -> FeedReport:
        """Reads the feed and records its new items as pending, with its validators, in one transaction."""
        state = self.store.feed(source.url) or {}
        try:
            read = self.reader.read(source.url, str(state.get("etag", "")), str(state.get("last_modified", "")))
        except FetchError as exc:
            return FeedReport(source.url, str(state.get("title") or source.title), "failed", str(exc))
        now = datetime.now(UTC)
        title = read.title or str(state.get("title") or source.title)
        row = {
            "url": source.url,
            "title": title,
            "etag": read.etag,
            "last_modified": read.last_modified,
            "polled_at": now.isoformat(timespec="seconds"),
        }
        items = [
            {
                "item_key": item.key,
                "link": item.link,
                "title": item.title,
                "published": item.published.isoformat() if item.published else None,
                "seq": seq,
                "found_at": now.isoformat(),
            }
            for seq, item in enumerate(read.items)
        ]
        new = self.store.save_feed(row, items)
        return FeedReport(source.url, title, "read" if read.changed else "unchanged", new_items=new)

    def _fetch(self, links: list[str], progress: bool) -> dict[str, str]:
        """Fetches the pages not fetched before, each logged; returns why each one not stored is not, by link."""
        ingester = WebIngester(self.store, self.fetcher, self.config.ingest, progress, self.log)
        fetched = ingester.run(links, IngestReport())
        return {problem.path: problem.reason for problem in fetched.problems}

    def _matcher(self, checks: list[KnownCheck]) -> ClaimMatcher:
        matcher = ClaimMatcher(self.embedder) if self.embedder else ClaimMatcher()
        matcher.index(checks, cache=self.store)
        return matcher

    def _read(self, item: dict[str, Any], matcher: ClaimMatcher | None) -> ItemReport:
        """Extracts and matches the claims of an item whose page is stored, and marks it done."""
        found = _item(item, "read")
        found.documents = self.log.documents_of(found.link)
        for document in self.store.documents(found.documents).values():
            on = document.published or found.published
            for claim in self.extractor.run(document.text, on=on, prefix=document.id):
                found.claims.append(
                    {"id": claim.id, "claim": claim.claim, "score": claim.score, "sentence": claim.sentence}
                )
        if matcher is not None and found.claims:
            best = matcher.run_batch([claim["claim"] for claim in found.claims], 1)
            for claim, matches in zip(found.claims, best, strict=True):
                found.matches += [_match(claim["claim"], match) for match in matches if match.score >= self.min_score]
        return self._done(item, found)

    def _finish(self, item: dict[str, Any], status: str, reason: str) -> ItemReport:
        """An item that will not be read (refused, or no link): marked done with the reason."""
        return self._done(item, _item(item, status, reason))

    def _done(self, item: dict[str, Any], found: ItemReport) -> ItemReport:
        result = {name: getattr(found, name) for name in ("status", "error", "documents", "claims", "matches")}
        done_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.store.finish_feed_item(str(item["feed_url"]), str(item["item_key"]), json.dumps(result), done_at)
        return found


def _item(item: dict[str, Any], status: str, error: str = "") -> ItemReport:
    published = date.fromisoformat(str(item["published"])) if item["published"] else None
    return ItemReport(str(item["title"]), str(item["link"]), published, status, error)


def _match(claim: str, match: Match) -> dict[str, Any]:
    check = match.check
    return {
        "claim": claim,
        "score": round(match.score, 4),
        "check": {
            "claim": check.claim,
            "rating": check.rating,
            "url": check.url,
            "publisher": check.publisher,
            "claimant": check.claimant,
            "date": check.claim_date.isoformat() if check.claim_date else None,
        },
    }

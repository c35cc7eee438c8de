"""Feeds to watch: OPML subscription lists, and RSS/Atom feeds read with conditional requests (ETag and
Last-Modified), so a feed that has not changed costs one short answer (304) and no parsing."""

from __future__ import annotations

import hashlib
import xml.parsers.expat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from factdesk.errors import InputError
from factdesk.fetch import extract
from factdesk.fetch.client import Response
from factdesk.fetch.errors import FetchError
from factdesk.fetch.fetcher import HttpFetcher

OPML_SUFFIXES = {".opml", ".xml"}


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to watch: its URL, the title a subscription list gives it, and where it was listed (FILE:LINE)."""

    url: str
    title: str = ""
    where: str = ""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item of a feed: ``key`` is its id (guid), else its link, else a hash of its title and text."""

    key: str
    link: str
    title: str
    published: date | None


@dataclass(frozen=True, slots=True)
class FeedRead:
    """A feed's answer: ``changed`` is False on a 304 (no items then); the validators to send next time."""

    changed: bool
    title: str
    items: tuple[FeedItem, ...]
    etag: str
    last_modified: str


def read_opml(path: Path) -> list[FeedSource]:
    """The feeds an OPML file lists (every ``<outline>`` with an ``xmlUrl``, nested ones too), each once, in order.
    Raises InputError naming the file and line: not well-formed XML, not OPML, a DOCTYPE or entity declaration
    (refused: an entity can expand without bound), an outline of type rss/atom with no ``xmlUrl``, a feed URL
    that is not http(s), or no feeds at all."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.at(path, None, f"cannot read: {exc.strerror or exc}") from None
    parser = xml.parsers.expat.ParserCreate()
    found: dict[str, FeedSource] = {}
    stack: list[str] = []

    def problem(reason: str) -> InputError:
        return InputError.at(path, parser.CurrentLineNumber, reason)

    def start(name: str, attributes: dict[str, str]) -> None:
        if not stack and name != "opml":
            raise problem(f"not an OPML file: the root element is <{name}>, expected <opml>")
        stack.append(name)
        if name != "outline":
            return
        if "body" not in stack:
            raise problem("an <outline> outside <body>")
        url = attributes.get("xmlUrl", "").strip()
        kind = attributes.get("type", "").strip().lower()
        if not url:
            if kind in ("rss", "atom"):
                raise problem(f'an <outline type="{kind}"> with no xmlUrl attribute')
            return  # a folder of feeds
        if not _http_url(url):
            raise problem(f"xmlUrl {url!r} is not an http(s) URL")
        title = attributes.get("title") or attributes.get("text") or ""
        found.setdefault(url, FeedSource(url, title.strip(), f"{path}:{parser.CurrentLineNumber}"))

    def refuse_declarations(*_: object) -> None:
        raise problem("a DOCTYPE or entity declaration: refused in a subscription list")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _name: stack.pop()
    parser.StartDoctypeDeclHandler = refuse_declarations
    parser.EntityDeclHandler = refuse_declarations
    try:
        parser.Parse(raw, True)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.errors.messages.get(exc.code, str(exc))  # type: ignore[attr-defined]
        raise InputError.at(path, exc.lineno, f"not well-formed XML: {reason} (column {exc.offset + 1})") from None
    if not found:
        raise InputError.at(path, None, "no feeds: no <outline> with an xmlUrl attribute")
    return list(found.values())


def feed_sources(arguments: list[str]) -> list[FeedSource]:
    """Feeds from command-line arguments: http(s) URLs, and OPML files (``.opml`` or ``.xml``), each feed once."""
    found: dict[str, FeedSource] = {}
    for argument in arguments:
        if _http_url(argument):
            found.setdefault(argument, FeedSource(argument, "", "command line"))
            continue
        path = Path(argument)
        if not path.is_file():
            raise InputError.at(argument, None, "neither an http(s) feed URL nor an OPML file")
        if path.suffix.lower() not in OPML_SUFFIXES:
            raise InputError.at(argument, None, "expected an OPML file (.opml or .xml) or a feed URL")
        for source in read_opml(path):
            found.setdefault(source.url, source)
    return list(found.values())


def _http_url(text: str) -> bool:
    return "://" in text and text.split("://", 1)[0].lower() in ("http", "https")


class FeedReader:
    """Reads a feed through ``fetcher`` (SSRF rules, robots.txt, pacing, retries), sending the validators of the
    last read so that an unchanged feed answers 304."""

    def __init__(self, fetcher: HttpFetcher) -> None:
        self.fetcher = fetcher

    def read(self, url: str, etag: str = "", last_modified: str = "") -> FeedRead:
        """Raises FetchError when the feed cannot be fetched or is not a feed."""
        headers = {"If-None-Match": etag} if etag else {}
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response = self.fetcher.get(url, headers)
        if response.status == 304:
            return FeedRead(False, "", (), etag, last_modified)
        if not 200 <= response.status < 300:
            raise FetchError(f"HTTP {response.status} {response.reason}")
        title, items = parse_feed(response)
        return FeedRead(True, title, items, response.header("ETag"), response.header("Last-Modified"))


def parse_feed(response: Response) -> tuple[str, tuple[FeedItem, ...]]:
    """The feed's title and its items, in the feed's order; raises FetchError if it is not an RSS/Atom feed."""
    import feedparser

    if extract.kind_of(response) != "feed":
        raise FetchError(f"not an RSS or Atom feed ({response.content_type or 'no content type'})")
    feed = feedparser.parse(
        response.body,
        response_headers={"content-type": response.header("Content-Type"), "content-location": response.final_url},
    )
    if feed.bozo and not feed.entries:
        raise FetchError(f"not a readable feed: {feed.bozo_exception}")
    items: dict[str, FeedItem] = {}
    for entry in feed.entries:
        link = (entry.get("link") or "").strip()
        title = extract.plain(entry.get("title", ""))
        key = (entry.get("id") or "").strip() or link
        if not key:
            text = title + "\n" + extract.plain(entry.get("summary", ""))
            key = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        items.setdefault(key, FeedItem(key, link, title[:300], date(*stamp[:3]) if stamp else None))
    return extract.plain(feed.feed.get("title", "")), tuple(items.values())

"""A loopback "web" of feeds for `factdesk watch`: an RSS feed and an Atom feed that answer conditional requests
(ETag, Last-Modified) with 304, the article pages their items link to, a feed that fails, a page that is not a
feed, an item page that always fails, one that robots.txt disallows, and a feed of many numbered items whose pages
can be slowed down. Every request is logged with its conditional headers.

The articles are written for these tests in the project's own words; outlets and people are invented."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    published: datetime
    paragraphs: tuple[str, ...]

    def html(self) -> str:
        body = "".join(f"<p>{p}</p>" for p in self.paragraphs)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{self.title}</title>'
            f'<meta property="og:title" content="{self.title}"><meta property="og:site_name" content="Harbour Post">'
            f'<meta property="article:published_time" content="{self.published.isoformat()}"></head>'
            f'<body><nav><a href="/">Home</a></nav><article><h1>{self.title}</h1>{body}</article>'
            "<footer>Harbour Post, all rights reserved.</footer></body></html>"
        )


ARTICLES = {
    a.slug: a
    for a in (
        Article(
            "regrouping-briefing",
            "Ministry describes pull-back near Izium as a regrouping",
            datetime(2022, 9, 10, 16, 0, tzinfo=UTC),
            (
                "At its evening briefing the Russian defence ministry said that Russian troops near Balakliia and "
                "Izium were being regrouped to reinforce the Donetsk front.",
                "Reporters in the region described columns of vehicles leaving the area in a hurry on Saturday.",
                "Ukrainian officials said more than 2,000 square kilometres had been recaptured since the start of "
                "the month.",
            ),
        ),
        Article(
            "harbour-dredging",
            "Harbour dredging finished ahead of schedule",
            datetime(2022, 9, 9, 8, 30, tzinfo=UTC),
            (
                "The port authority said the dredging of the inner harbour was finished three weeks early and cost "
                "12 million euros, a million less than planned.",
                "Ships with a draught of up to 14 metres can now reach the container quay at any tide.",
            ),
        ),
        Article(
            "grain-exports",
            "Grain exports through the southern ports rose in August",
            datetime(2022, 9, 8, 12, 0, tzinfo=UTC),
            (
                "Grain exports through the southern ports rose to 1.7 million tonnes in August, up from 1.2 million "
                "tonnes in July, the shipping registry reported.",
                "Insurers said premiums for vessels calling at the ports had fallen for a second month.",
            ),
        ),
        Article(
            "bus-lanes",
            "Council votes on new bus lanes",
            datetime(2022, 9, 7, 18, 0, tzinfo=UTC),
            (
                "The city council approved a budget of 40 million euros for new bus lanes on Tuesday evening.",
                "Work on the first two corridors is due to start in the spring.",
            ),
        ),
    )
}
# (slug, with a link?) of each feed's items, newest first; "failing" and "private" link to pages that fail.
FRONT = ["regrouping-briefing", "harbour-dredging", "failing", "private"]
ECONOMY = ["grain-exports", "harbour-dredging"]  # the dredging story is in both feeds: fetched once


def numbered(n: int) -> Article:
    return Article(
        f"n/{n}",
        f"Regional bulletin {n}",
        datetime(2022, 9, 1, 6, 0, tzinfo=UTC),
        (
            f"Bulletin {n}: the regional water utility said {n * 3 + 10} households were reconnected to the mains "
            f"on day {n} of the repair programme.",
            f"Engineers replaced {n + 4} kilometres of pipe in district {n}, the utility's spokeswoman said.",
        ),
    )


@dataclass
class Request:
    path: str
    query: str
    if_none_match: str
    if_modified_since: str
    at: float = field(default_factory=time.monotonic)


class FeedWeb:
    """Serves the feeds and pages on 127.0.0.1. ``requests`` logs every request; ``front`` and ``economy`` are the
    slugs each feed lists (change them to publish new items); ``delay`` slows each numbered page."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.front = list(FRONT)
        self.economy = list(ECONOMY)
        self.delay = 0.0
        self.modified = datetime(2022, 9, 10, 18, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    web.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self, prefix: str = "") -> list[str]:
        """The paths requested, in order, with their query."""
        with self._lock:
            return [r.path + (f"?{r.query}" if r.query else "") for r in self.requests if r.path.startswith(prefix)]

    def publish(self, feed: str, slug: str) -> None:
        """Adds an item at the top of ``feed`` and moves its Last-Modified on."""
        getattr(self, feed).insert(0, slug)
        self.modified = datetime.now(UTC).replace(microsecond=0)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        with self._lock:
            self.requests.append(
                Request(
                    parts.path,
                    parts.query,
                    handler.headers.get("If-None-Match", ""),
                    handler.headers.get("If-Modified-Since", ""),
                )
            )
        if parts.path == "/robots.txt":
            return _send(handler, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if parts.path == "/feeds/front.xml":
            return self._feed(handler, self._rss("Harbour Post: front page", self.front))
        if parts.path == "/feeds/economy.atom":
            return self._feed(handler, self._atom("Harbour Post: economy", self.economy), "application/atom+xml")
        if parts.path == "/feeds/many.xml":
            count = int(query.get("n", ["10"])[0])
            return self._feed(handler, self._rss("Regional bulletins", [f"n/{n}" for n in range(count)]))
        if parts.path == "/feeds/broken.xml":
            return _send(handler, 500, b"feed generator crashed", "text/plain")
        if parts.path == "/feeds/not-a-feed.html":
            return _send(handler, 200, ARTICLES["bus-lanes"].html().encode(), "text/html; charset=utf-8")
        if parts.path == "/articles/failing":
            return _send(handler, 503, b"try later", "text/plain")
        slug = parts.path.removeprefix("/articles/")
        if slug.startswith("n/"):
            time.sleep(self.delay)
            return _send(handler, 200, numbered(int(slug[2:])).html().encode(), "text/html; charset=utf-8")
        if slug in ARTICLES or parts.path.startswith("/private/"):
            article = ARTICLES.get(slug) or ARTICLES["bus-lanes"]
            return _send(handler, 200, article.html().encode(), "text/html; charset=utf-8")
        return _send(handler, 404, b"not found", "text/plain")

    def _feed(self, handler: BaseHTTPRequestHandler, body: str, kind: str = "application/rss+xml") -> None:
        etag = f'"{hashlib.sha256(body.encode()).hexdigest()[:16]}"'
        modified = format_datetime(self.modified, usegmt=True)
        if handler.headers.get("If-None-Match") == etag:
            return _send(handler, 304, b"", kind, ETag=etag, Last_Modified=modified)
        return _send(handler, 200, body.encode(), kind, ETag=etag, Last_Modified=modified)

    def _link(self, slug: str) -> str:
        return self.url("/private/memo" if slug == "private" else f"/articles/{slug}")

    def _article(self, slug: str) -> Article:
        if slug.startswith("n/"):
            return numbered(int(slug[2:]))
        return ARTICLES.get(slug) or Article(slug, f"Item {slug}", datetime(2022, 9, 6, tzinfo=UTC), ("",))

    def _rss(self, title: str, slugs: list[str]) -> str:
        items = "".join(
            f"<item><title>{escape(self._article(s).title)}</title><link>{self._link(s)}</link>"
            f'<guid isPermaLink="false">harbour-{s}</guid>'
            f"<pubDate>{format_datetime(self._article(s).published, usegmt=True)}</pubDate>"
            f"<description>{escape(self._article(s).paragraphs[0][:80])}</description></item>"
            for s in slugs
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>{self.base}/</link><description>News</description>{items}"
            "</channel></rss>"
        )

    def _atom(self, title: str, slugs: list[str]) -> str:
        entries = "".join(
            f'<entry><title>{escape(self._article(s).title)}</title><link href="{self._link(s)}"/>'
            f"<id>tag:harbour.example,2022:{s}</id><updated>{self._article(s).published.isoformat()}</updated>"
            f"<summary>{escape(self._article(s).paragraphs[0][:80])}</summary></entry>"
            for s in slugs
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>tag:harbour.example,2022:economy</id>"
            f"<updated>{self.modified.isoformat()}</updated>{entries}</feed>"
        )


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    if status != 304:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    if status != 304:
        handler.wfile.write(body)

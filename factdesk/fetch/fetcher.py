"""The fetcher component: URLs in, documents out, with robots.txt, per-host pacing, retries and bounded
concurrency. ``factdesk ingest URL`` uses it; so can search or feed watching (``fetch(urls)``)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from factdesk.fetch import extract
from factdesk.fetch.client import HttpClient, Limits, Response
from factdesk.fetch.errors import FetchError
from factdesk.records import Document
from factdesk.registry import register

MAX_WAIT = 30.0  # the longest Retry-After or Crawl-delay honoured, in seconds
ROBOTS_BYTES = 500_000


@dataclass(frozen=True, slots=True)
class Fetched:
    """One URL's outcome: its final response and documents, or ``error`` saying why there are none."""

    url: str
    response: Response | None = None
    documents: tuple[Document, ...] = ()
    error: str = ""


class HostPacer:
    """At most one request per ``delay`` seconds to each host, across threads."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, delay: float) -> None:
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, 0.0))
            self._next[host] = at + delay
        if at > now:
            time.sleep(at - now)


@register("fetcher", "http")
class HttpFetcher:
    """Fetches URLs and reads them into documents; every setting is ``[fetch]``'s (``factdesk.config``)."""

    def __init__(
        self,
        user_agent: str = "factdesk/0.1 (+https://factdesk.example/bot)",
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 1.0,
        host_delay: float = 1.0,
        concurrency: int = 8,
        max_bytes: int = 20_000_000,
        max_decoded_bytes: int = 50_000_000,
        max_redirects: int = 5,
        robots: bool = True,
        allow_private: bool = False,
    ) -> None:
        limits = Limits(connect_timeout, read_timeout, total_timeout, max_bytes, max_decoded_bytes, max_redirects)
        self.client = HttpClient(user_agent, limits, allow_private)
        self.user_agent = user_agent
        self.retries = retries
        self.backoff = backoff
        self.host_delay = host_delay
        self.concurrency = max(1, concurrency)
        self.robots = robots
        self.pacer = HostPacer()
        self._robots: dict[str, RobotFileParser | None] = {}  # by origin; None: robots.txt allows everything
        self._robots_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def fetch(self, urls: Iterable[str]) -> Iterator[Fetched]:
        """Each URL's outcome, in the order given; at most ``concurrency`` requests in flight."""
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="fetch") as pool:
            window: deque[Future[Fetched]] = deque()
            for url in urls:
                window.append(pool.submit(self.fetch_one, url))
                if len(window) >= 2 * self.concurrency:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    def fetch_one(self, url: str) -> Fetched:
        try:
            response = self._get(url)
            if not 200 <= response.status < 300:
                raise FetchError(f"HTTP {response.status} {response.reason}")
            return Fetched(url, response, tuple(extract.documents(response)))
        except FetchError as exc:
            return Fetched(url, error=str(exc))

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        """One URL's final response, whatever its status (a 304 to a conditional request too), after robots.txt,
        pacing and retries; raises FetchError. ``headers`` are sent with the request (If-None-Match, ...)."""
        return self._get(url, headers)

    def _get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        for attempt in range(self.retries + 1):
            try:
                return self.client.get(url, before_hop=self._before_hop, headers=headers)
            except FetchError as exc:
                if not exc.retry or attempt == self.retries:
                    tries = f" (after {attempt + 1} tries)" if attempt else ""
                    raise FetchError(f"{exc}{tries}") from None
                time.sleep(min(MAX_WAIT, max(exc.wait, self.backoff * 2**attempt)))
        raise AssertionError("unreachable")

    def _before_hop(self, url: str) -> None:
        delay = self._robots_delay(url) if self.robots else 0.0
        self.pacer.wait(urlsplit(url).netloc, max(self.host_delay, delay))

    def _robots_delay(self, url: str) -> float:
        """The Crawl-delay robots.txt sets for us; raises FetchError when it disallows ``url``."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                self._robots[origin] = self._read_robots(origin)
        rules = self._robots[origin]
        if rules is None:
            return 0.0
        if not rules.can_fetch(self.user_agent, url):
            raise FetchError(f"disallowed by {origin}/robots.txt")
        return min(MAX_WAIT, float(rules.crawl_delay(self.user_agent) or 0.0))

    def _read_robots(self, origin: str) -> RobotFileParser | None:
        """Per RFC 9309: a 4xx means no rules; a server or network error means nothing may be fetched."""
        url = f"{origin}/robots.txt"
        try:
            response = self.client.get(url, before_hop=self._pace, max_bytes=ROBOTS_BYTES)
        except FetchError as exc:
            raise FetchError(f"cannot read {url} ({exc}), so not fetching from {origin}") from None
        if 400 <= response.status < 500:
            return None
        if response.status >= 300:
            raise FetchError(f"cannot read {url} (HTTP {response.status}), so not fetching from {origin}")
        rules = RobotFileParser(url)
        rules.parse(extract.decode(response.body, response.charset).splitlines())
        return rules

    def _pace(self, url: str) -> None:
        self.pacer.wait(urlsplit(url).netloc, self.host_delay)

"""The search backends, each speaking its service's own protocol (stage ``search`` in the registry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from factdesk.registry import register
from factdesk.search.base import EARLIEST, SearchError, SearchResult, WebSearch


@register("search", "searxng")
@dataclass
class Searxng(WebSearch):
    """A SearXNG instance's JSON API (``GET /search?q=…&format=json``; the instance must list ``json`` in
    ``search.formats``). No key. SearXNG's ``time_range`` only counts back from today, so there is no cut-off
    here: later pages are left to the store's time filter."""

    categories: str = ""  # e.g. "news,general"; "" the instance's default
    language: str = ""  # e.g. "en"; "" the instance's default

    name: ClassVar[str] = "searxng"
    restricts_dates: ClassVar[bool] = False

    def search(self, query: str, before: date | None, count: int) -> list[SearchResult]:
        params = {"q": query, "format": "json", "categories": self.categories, "language": self.language}
        try:
            data = self.request(self.endpoint("/search"), {k: v for k, v in params.items() if v}, {})
        except SearchError as exc:
            if "HTTP 403" not in str(exc):
                raise
            raise SearchError(f"{exc} (is json in search.formats of the instance's settings.yml?)") from None
        return _results(data.get("results"), "url", "content")[:count]


@register("search", "brave")
@dataclass
class Brave(WebSearch):
    """Brave Search API (``GET /res/v1/web/search``, key in the ``X-Subscription-Token`` header); the cut-off is
    sent as a ``freshness`` date range."""

    api_key_env: str = "BRAVE_SEARCH_API_KEY"

    name: ClassVar[str] = "brave"
    default_url: ClassVar[str] = "https://api.search.brave.com"

    def search(self, query: str, before: date | None, count: int) -> list[SearchResult]:
        token = self.key(self.api_key_env)
        params = {"q": query, "count": str(min(count, 20))}
        if before is not None:
            params["freshness"] = f"{EARLIEST.isoformat()}to{before.isoformat()}"
        data = self.request(self.endpoint("/res/v1/web/search"), params, {"X-Subscription-Token": token})
        return _results((data.get("web") or {}).get("results"), "url", "description")[:count]


@register("search", "google-cse")
@dataclass
class GoogleCse(WebSearch):
    """Google's Programmable Search (Custom Search JSON API, ``GET /customsearch/v1`` with ``key`` and the
    engine's ``cx``); the cut-off is sent as ``sort=date:r:START:END``."""

    api_key_env: str = "GOOGLE_CSE_API_KEY"
    engine_id_env: str = "GOOGLE_CSE_ID"

    name: ClassVar[str] = "google-cse"
    default_url: ClassVar[str] = "https://www.googleapis.com"

    def search(self, query: str, before: date | None, count: int) -> list[SearchResult]:
        params = {
            "key": self.key(self.api_key_env),
            "cx": self.key(self.engine_id_env, "engine_id_env"),
            "q": query,
            "num": str(min(count, 10)),
        }
        if before is not None:
            params["sort"] = f"date:r:{EARLIEST:%Y%m%d}:{before:%Y%m%d}"
        data = self.request(self.endpoint("/customsearch/v1"), params, {})
        return _results(data.get("items"), "link", "snippet")[:count]


@register("search", "serper")
@dataclass
class Serper(WebSearch):
    """Serper's Google results (``POST /search`` with a JSON body, key in ``X-API-KEY``), the search most
    fact-checking tools use (FacTool, Loki, OpenFactCheck); the cut-off is sent as Google's custom date range
    (``tbs=cdr:1,cd_min:…,cd_max:…``)."""

    api_key_env: str = "SERPER_API_KEY"

    name: ClassVar[str] = "serper"
    default_url: ClassVar[str] = "https://google.serper.dev"

    def search(self, query: str, before: date | None, count: int) -> list[SearchResult]:
        token = self.key(self.api_key_env)
        body: dict[str, Any] = {"q": query, "num": min(count, 100)}
        if before is not None:
            body["tbs"] = f"cdr:1,cd_min:{_us_date(EARLIEST)},cd_max:{_us_date(before)}"
        data = self.request(self.endpoint("/search"), {}, {"X-API-KEY": token}, body)
        return _results(data.get("organic"), "link", "snippet")[:count]


def _us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _results(items: Any, url_key: str, snippet_key: str) -> list[SearchResult]:
    """The http(s) results of a JSON list, whatever else the list holds."""
    if not isinstance(items, list):
        return []
    return [
        SearchResult(item[url_key], str(item.get("title") or ""), str(item.get(snippet_key) or ""))
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get(url_key), str)
        and item[url_key].split("://", 1)[0].lower() in ("http", "https")
    ]

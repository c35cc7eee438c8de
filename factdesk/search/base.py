"""What every search backend shares: a JSON request through the fetcher's SSRF-safe client, with pacing, retries
with backoff (429, 5xx, timeouts), API keys from the environment, and errors naming the backend and endpoint."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from factdesk.errors import FactdeskError
from factdesk.fetch.client import HttpClient, Limits
from factdesk.fetch.errors import FetchError
from factdesk.fetch.fetcher import MAX_WAIT, HostPacer

EARLIEST = date(1990, 1, 1)  # the start of a date range whose end is the cut-off, for engines that need both
_PACER = HostPacer()  # one per process: every backend instance keeps to a service's request_delay


class SearchError(FactdeskError):
    """A search that failed: the message names the backend, its endpoint (never the key) and the reason."""


class QuotaExceeded(SearchError):
    """HTTP 429 after every retry: further queries would fail too."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    url: str
    title: str = ""
    snippet: str = ""


@dataclass
class WebSearch:
    """A search backend. ``url`` is the service's base URL (``default_url`` if empty); the other settings are
    ``[fetch]``'s, except ``request_delay`` (``[search]``'s)."""

    url: str = ""
    user_agent: str = "factdesk/0.1 (+https://factdesk.example/bot)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    retries: int = 2
    backoff: float = 1.0
    request_delay: float = 1.0
    allow_private: bool = False
    _client: HttpClient = field(init=False, repr=False)

    name: ClassVar[str] = ""
    default_url: ClassVar[str] = ""
    restricts_dates: ClassVar[bool] = True  # whether ``search`` sends the cut-off to the engine

    def __post_init__(self) -> None:
        limits = Limits(self.connect_timeout, self.read_timeout, self.total_timeout)
        self._client = HttpClient(self.user_agent, limits, self.allow_private)

    def search(self, query: str, before: date | None, count: int) -> list[SearchResult]:
        """Up to ``count`` results for ``query``, restricted to pages dated no later than ``before`` where the
        engine can restrict by date."""
        raise NotImplementedError

    def endpoint(self, path: str) -> str:
        base = (self.url or self.default_url).rstrip("/")
        if not base:
            raise SearchError(f"{self.name}: [search] url is not set; give your instance's address")
        return base + path

    def key(self, variable: str, setting: str = "api_key_env") -> str:
        value = os.environ.get(variable, "").strip()
        if not value:
            raise SearchError(
                f"{self.name} search needs its key in ${variable}, which is not set "
                f"(or name another variable with [search.backend] {setting})"
            )
        return value

    def request(
        self, endpoint: str, params: dict[str, str], headers: dict[str, str], body: dict[str, Any] | None = None
    ) -> Any:
        """The JSON answer of a GET of ``endpoint`` with ``params`` (a POST of ``body`` as JSON when given)."""
        url = f"{endpoint}?{urlencode(params)}" if params else endpoint
        headers = {"Accept": "application/json", **headers}
        for attempt in range(self.retries + 1):
            _PACER.wait(urlsplit(endpoint).netloc, self.request_delay)
            try:
                if body is None:
                    response = self._client.get(url, headers=headers)
                else:
                    data = json.dumps(body).encode()
                    response = self._client.post(url, data, {"Content-Type": "application/json", **headers})
                break
            except FetchError as exc:
                if exc.retry and attempt < self.retries:
                    time.sleep(min(MAX_WAIT, max(exc.wait, self.backoff * 2**attempt)))
                    continue
                tries = f" (after {attempt + 1} tries)" if attempt else ""
                if exc.status == 429:
                    raise QuotaExceeded(
                        f"{self.name}: {endpoint}: over the quota or rate limit (HTTP 429){tries}; wait, or lower "
                        "[search] max_queries or raise [search] request_delay"
                    ) from None
                reason = str(exc).replace(url, endpoint)  # a key in the query string is never shown
                raise SearchError(f"{self.name}: {endpoint}: {reason}{tries}") from None
        if not 200 <= response.status < 300:
            detail = _error_detail(response.body)
            raise SearchError(
                f"{self.name}: {endpoint}: HTTP {response.status} {response.reason}{': ' + detail if detail else ''}"
            )
        try:
            return json.loads(response.body)
        except ValueError:
            raise SearchError(
                f"{self.name}: {endpoint} did not answer JSON ({response.content_type or 'no content type'})"
            ) from None


def _error_detail(body: bytes) -> str:
    """The message of an API's JSON error (``{"error": {"message"|"detail": ...}}`` or ``{"message": ...}``)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:200]
    error = payload.get("error", payload) if isinstance(payload, dict) else {}
    if isinstance(error, dict):
        return str(error.get("message") or error.get("detail") or "")[:200]
    return str(error)[:200]

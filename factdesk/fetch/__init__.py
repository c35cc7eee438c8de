"""Fetching from the web: an SSRF-safe HTTP client, readers for HTML, PDF, feeds and text, a WARC archive of
every response, and a log of what was fetched (see README, "Fetching from the web")."""

from dataclasses import asdict
from typing import Any

from factdesk.config import FetchConfig
from factdesk.fetch.archive import WarcArchive, WarcRecord, archive_folder
from factdesk.fetch.errors import FetchError
from factdesk.fetch.fetcher import Fetched, HttpFetcher
from factdesk.fetch.log import Failure, FetchLog, FetchRecord
from factdesk.store import StoreBackend

LOG_SETTINGS = ("failure_backoff", "failure_backoff_max")  # the fetch log's, not the fetcher's


def fetcher_params(config: FetchConfig) -> dict[str, Any]:
    """The settings of ``[fetch]`` its fetcher takes, for ``registry.build("fetcher", ...)``."""
    return {key: value for key, value in asdict(config).items() if key not in ("fetcher", *LOG_SETTINGS)}


def fetch_log(store: StoreBackend, config: FetchConfig) -> FetchLog:
    """The store's fetch log, with ``[fetch]``'s backoff for failed pages."""
    return FetchLog(store, config.failure_backoff, config.failure_backoff_max)


def is_url(text: str) -> bool:
    return "://" in text and text.split("://", 1)[0].isalpha()


__all__ = [
    "Failure",
    "FetchError",
    "FetchLog",
    "FetchRecord",
    "Fetched",
    "HttpFetcher",
    "WarcArchive",
    "WarcRecord",
    "archive_folder",
    "fetch_log",
    "fetcher_params",
    "is_url",
]

"""Fetching from the web: an SSRF-safe HTTP client, readers for HTML, PDF, feeds and text, a WARC archive of
every response, and a log of what was fetched (see README, "Fetching from the web")."""

from dataclasses import asdict
from typing import Any

from factdesk.config import FetchConfig
from factdesk.fetch.archive import WarcArchive, WarcRecord, archive_folder
from factdesk.fetch.errors import FetchError
from factdesk.fetch.fetcher import Fetched, HttpFetcher
from factdesk.fetch.log import FetchLog, FetchRecord


def fetcher_params(config: FetchConfig) -> dict[str, Any]:
    """The settings of ``[fetch]`` its fetcher takes, for ``registry.build("fetcher", ...)``."""
    return {key: value for key, value in asdict(config).items() if key != "fetcher"}


def is_url(text: str) -> bool:
    return "://" in text and text.split("://", 1)[0].isalpha()


__all__ = [
    "FetchError",
    "FetchLog",
    "FetchRecord",
    "Fetched",
    "HttpFetcher",
    "WarcArchive",
    "WarcRecord",
    "archive_folder",
    "fetcher_params",
    "is_url",
]

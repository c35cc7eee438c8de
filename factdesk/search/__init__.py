"""Web search for ``check --web``: pluggable backends (SearXNG, Brave, Google Programmable Search, Serper), a cache
of their answers in the store, and the gathering of a claim's evidence from the web (see README, "Searching the
web")."""

from factdesk.search import backends  # noqa: F401  (registers the backends)
from factdesk.search.base import QuotaExceeded, SearchError, SearchResult, WebSearch
from factdesk.search.cache import SearchCache
from factdesk.search.gather import WebGatherer, WebReport, search_params

__all__ = [
    "QuotaExceeded",
    "SearchCache",
    "SearchError",
    "SearchResult",
    "WebGatherer",
    "WebReport",
    "WebSearch",
    "search_params",
]

"""``check --web``: the claim's query plan becomes search queries; their results are fetched, archived and
ingested like ``ingest URL``. Answers are cached and fetches logged in the store, so a re-check (or a rerun after
a kill) asks nothing twice."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import zip_longest
from typing import Any

from tqdm import tqdm

from factdesk import registry
from factdesk.config import Config
from factdesk.errors import InputProblem
from factdesk.fetch import fetch_log, fetcher_params
from factdesk.fetch.errors import is_refusal
from factdesk.fetch.ingest import WebIngester
from factdesk.ingest import IngestReport
from factdesk.records import Claim
from factdesk.retrieve.planner import QueryPlanner
from factdesk.search.base import QuotaExceeded, SearchError, SearchResult, WebSearch
from factdesk.search.cache import SearchCache
from factdesk.store import StoreBackend

MAX_QUERY_WORDS = 32  # Google ignores words past 32; the others accept at least as many


def search_params(config: Config) -> dict[str, Any]:
    """The settings a search backend takes from ``[search]`` and ``[fetch]``, for ``registry.build``."""
    fetch = config.fetch
    return {
        "url": config.search.url,
        "request_delay": config.search.request_delay,
        "user_agent": fetch.user_agent,
        "connect_timeout": fetch.connect_timeout,
        "read_timeout": fetch.read_timeout,
        "total_timeout": fetch.total_timeout,
        "retries": fetch.retries,
        "backoff": fetch.backoff,
        "allow_private": fetch.allow_private,
    }


@dataclass
class WebReport:
    """What a web gathering did: queries asked (and how many the cache answered), distinct results, pages fetched
    now or before, pages refused (private address, robots.txt) or failed, and searches that failed."""

    queries: int = 0
    cached: int = 0
    results: int = 0
    fetched: int = 0
    fetched_before: int = 0
    added: int = 0
    refused: list[InputProblem] = field(default_factory=list)
    failed: list[InputProblem] = field(default_factory=list)
    search_problems: list[str] = field(default_factory=list)

    def add(self, other: WebReport) -> None:
        for name in ("queries", "cached", "results", "fetched", "fetched_before", "added"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.refused += other.refused
        self.failed += other.failed
        self.search_problems += other.search_problems

    def summary(self) -> str:
        return (
            f"web: {self.queries} searches ({self.cached} answered from the store), {self.results} results: "
            f"{self.fetched} fetched, {self.fetched_before} fetched before, {len(self.refused)} refused, "
            f"{len(self.failed)} failed; {self.added} documents added"
        )

    def lines(self) -> list[str]:
        """One line per search or page that failed or was refused, then the summary."""
        return [
            *(f"warning: search failed: {problem}" for problem in self.search_problems),
            *(f"warning: refused {problem}" for problem in self.refused),
            *(f"warning: failed {problem}" for problem in self.failed),
            self.summary(),
        ]


class WebGatherer:
    """Searches with ``[search]``'s backend and fetches with ``[fetch]``'s fetcher into ``store``."""

    def __init__(self, store: StoreBackend, config: Config) -> None:
        self.store = store
        self.config = config.search
        self.ingest_config = config.ingest
        self.backend: WebSearch = registry.build("search", config.search.backend, **search_params(config))
        self.fetcher = registry.build("fetcher", config.fetch.fetcher, **fetcher_params(config.fetch))
        self.log = fetch_log(store, config.fetch)
        self.cache = SearchCache(store, self.backend.name, self.backend.url or self.backend.default_url)
        self.planner = QueryPlanner(max_queries=config.search.max_queries)

    def queries(self, claim: Claim) -> list[str]:
        """The query plan's texts (claim, clauses, entities, figures, dates, claimant), distinct and short
        enough for every engine, at most ``[search] max_queries``."""
        seen: set[str] = set()
        queries = []
        for sub in self.planner.run(claim):
            words = sub.text.split()[:MAX_QUERY_WORDS]
            key = " ".join(re.findall(r"\w+", " ".join(words).lower()))
            if key and key not in seen:
                seen.add(key)
                queries.append(" ".join(words))
        return queries[: self.config.max_queries]

    def run(self, claim: Claim, cutoff: date | None, progress: bool = False) -> WebReport:
        """Searches for ``claim`` (restricted to ``cutoff`` where the engine can) and ingests what it finds.
        Raises SearchError when no search succeeds."""
        report = WebReport()
        before = cutoff if self.backend.restricts_dates else None
        count = self.config.results_per_query
        answers: list[list[SearchResult]] = []
        errors: list[SearchError] = []
        queries = self.queries(claim)
        for query in tqdm(queries, desc="search", unit="query", disable=None if progress else True):
            report.queries += 1
            results = self.cache.get(query, before, count)
            if results is not None:
                report.cached += 1
            else:
                try:
                    results = self.backend.search(query, before, count)
                except SearchError as exc:
                    errors.append(exc)
                    report.search_problems.append(f"{query!r}: {exc}")
                    if isinstance(exc, QuotaExceeded):
                        break
                    continue
                self.cache.put(query, before, count, results)
            answers.append(results)
        if errors and not answers:
            raise errors[0]
        urls = _interleave(answers, self.config.max_results)
        report.results = len(urls)
        ingester = WebIngester(self.store, self.fetcher, self.ingest_config, progress, self.log)
        fetched = ingester.run(urls, IngestReport())
        report.fetched, report.fetched_before, report.added = fetched.fetched, fetched.already_fetched, fetched.added
        for problem in fetched.problems:
            (report.refused if is_refusal(problem.reason) else report.failed).append(problem)
        return report


def _interleave(answers: list[list[SearchResult]], limit: int) -> list[str]:
    """Distinct result URLs, best of each query first (rank 1 of every query, then rank 2, ...), at most
    ``limit``; a URL's #fragment is dropped."""
    urls: dict[str, None] = {}
    for rank in zip_longest(*answers):
        for result in rank:
            if result is not None:
                urls.setdefault(result.url.split("#", 1)[0])
    return list(urls)[:limit]

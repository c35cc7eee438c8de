"""Source credibility and diversity: allow/deny lists and reliability weights by domain or outlet, and MMR
selection so that no single site fills the evidence.

A deny list file, such as AVeriTeC's list of misinformation domains (``misinfo_list.txt``, CC BY-NC 4.0, so not
shipped with factdesk), is read from ``deny_list_file`` (by default ``$FACTDESK_MISINFO_LIST``); when that file
cannot be read, a notice is logged and no list is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from factdesk.store import PassageHit
from factdesk.urls import domain, read_domain_list

log = logging.getLogger("factdesk")
T = TypeVar("T")


def source_key(hit: PassageHit) -> str:
    """What counts as one source for diversity: the domain, else the outlet, else the document itself."""
    return domain(hit.document.url) if hit.document.url else (hit.document.outlet.lower() or hit.document.id)


@lru_cache(maxsize=8)
def load_domain_list(path: str) -> frozenset[str]:
    """One domain a line (``#`` comments and blank lines ignored); empty, with a notice, if unreadable."""
    if not path:
        return frozenset()
    try:
        return read_domain_list(Path(path))
    except OSError as exc:
        log.warning("deny list %s not loaded (%s); no domains are deny-listed by default", path, exc.strerror)
        return frozenset()


@dataclass(frozen=True)
class SourcePolicy:
    """``allow`` (if not empty, only these sources), ``deny`` (never these) and ``weights`` (reliability, default
    1.0) by domain (a subdomain matches its parent) or by outlet name (case-insensitive)."""

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_lists(
        cls, allow: Iterable[str], deny: Iterable[str], deny_file: str, weights: Mapping[str, float]
    ) -> SourcePolicy:
        return cls(
            allow=frozenset(_keys(allow)),
            deny=frozenset(_keys(deny)) | load_domain_list(deny_file),
            weights={key: float(w) for name, w in weights.items() for key in _keys([name])},
        )

    def admits(self, hit: PassageHit) -> bool:
        names = _names(hit)
        if self.deny and any(n in self.deny for n in names):
            return False
        return not self.allow or any(n in self.allow for n in names)

    def weight(self, hit: PassageHit) -> float:
        return next((self.weights[n] for n in _names(hit) if n in self.weights), 1.0)


def _keys(names: Iterable[str]) -> list[str]:
    return [key for name in names if (key := domain(name) if "." in name else name.strip().lower())]


def _names(hit: PassageHit) -> tuple[str, ...]:
    return _source_names(hit.document.url, hit.document.outlet)


@lru_cache(maxsize=65_536)
def _source_names(url: str, outlet: str) -> tuple[str, ...]:
    """The domain and each parent domain (a.b.com, b.com), then the outlet name."""
    host = domain(url) if url else ""
    parts = host.split(".") if host else []
    names = tuple(".".join(parts[i:]) for i in range(len(parts) - 1))
    return (*names, outlet.strip().lower()) if outlet else names


def mmr_select(
    items: Sequence[T], relevance: Callable[[T], float], source: Callable[[T], str], k: int, trade_off: float = 0.6
) -> list[T]:
    """Maximal marginal relevance over sources: picks ``k`` items, each maximising
    ``trade_off · relevance / best relevance − (1 − trade_off) · share``, where ``share`` is the fraction of the
    items already picked that come from the same source."""
    if not items:
        return []
    scores = [relevance(item) for item in items]
    top = max(scores)
    base = trade_off * np.array([s / top if top > 0 else 1.0 for s in scores], dtype=np.float64)
    keys = [source(item) for item in items]
    ids = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    source_of = np.array([ids[key] for key in keys])
    counts = np.zeros(len(ids), dtype=np.float64)  # items picked per source
    taken = np.zeros(len(items), dtype=bool)
    picked: list[int] = []
    while len(picked) < min(k, len(items)):
        # the same arithmetic as trade_off · scaled − (1 − trade_off) · share, item by item; argmax takes the
        # first of equal gains, i.e. the earliest item
        gains = base - (1 - trade_off) * counts[source_of] / max(len(picked), 1)
        gains[taken] = -np.inf
        best = int(np.argmax(gains))
        taken[best] = True
        picked.append(best)
        counts[source_of[best]] += 1
    return [items[i] for i in picked]

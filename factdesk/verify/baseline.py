"""A transparent word-overlap and negation baseline, kept as a fast, model-free stance backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from factdesk.registry import register
from factdesk.text.terms import query_terms

NEGATION_CUES = frozenset(
    "not no never none nothing neither nor without denied denies deny false untrue contrary rather instead "
    "myth hoax debunked isn't wasn't aren't weren't didn't doesn't don't won't cannot can't".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@register("stance", "lexical-baseline")
@dataclass
class LexicalStanceBaseline:
    """Relevance is the share of the claim's content words found in the passage; a negation on one side only
    turns relevance into refutation. No training, no model: a floor for the trained verifier to beat."""

    name: str = "lexical-baseline"

    def warm_up(self) -> None:
        """Nothing to load."""

    def predict(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        claim_terms = {_stem(term) for term in query_terms(claim)}
        claim_negated = bool(NEGATION_CUES & set(claim.lower().split()))
        rows = []
        for passage in passages:
            words = passage.lower().split()
            found = {_stem(term) for term in query_terms(passage)}
            relevance = len(claim_terms & found) / len(claim_terms) if claim_terms else 0.0
            contradicts = claim_negated != bool(NEGATION_CUES & set(words))
            refute_share = 0.75 if contradicts else 0.25
            rows.append([relevance * (1 - refute_share), relevance * refute_share, 1.0 - relevance])
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), 3)

"""The verify contracts: a stance model scores (claim, passage) pairs; an aggregator turns evidence into a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from factdesk.records import STANCE_LABELS, Claim, Evidence

__all__ = ["STANCE_LABELS", "Aggregator", "Decomposer", "PassageReader", "StanceModel", "VerdictScores", "softmax"]

VerdictScores = dict[str, float]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a 2-D array."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class StanceModel(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def predict(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        """Shape ``(len(passages), 3)``: probabilities in ``STANCE_LABELS`` order."""
        ...


class PassageReader(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def run(self, claim: Claim, evidence: Sequence[Evidence]) -> list[Evidence]:
        """The evidence with each passage about the claim given its ``reading`` and the stance that reading
        implies; passages not about the claim unchanged."""
        ...


class Decomposer(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def run(self, text: str) -> list[str]:
        """Parts of a claim that evidence can confirm or refute separately (not the claim itself)."""
        ...


class Aggregator(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def run(self, claim: Claim, evidence: Sequence[Evidence]) -> VerdictScores:
        """A probability for each of the four verdict labels."""
        ...

"""A claim-only (hypothesis-only) baseline: multinomial naive Bayes over the claim's words, blind to evidence.

It measures how much of a benchmark can be answered from the claim's wording alone; a grounded verdict model must
not behave like it (with unrelated or no evidence it says Not Enough Evidence; a minimal edit of the claim that
the evidence contradicts changes its verdict).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from factdesk.verify.verdict import bag_of_words


@dataclass
class ClaimOnlyModel:
    """``fit`` on claim texts and labels, then ``predict``; ``alpha`` is the add-alpha smoothing."""

    alpha: float = 1.0
    labels: tuple[str, ...] = ()
    log_prior: np.ndarray = field(default_factory=lambda: np.zeros(0))
    log_likelihood: dict[str, np.ndarray] = field(default_factory=dict)
    log_unseen: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> ClaimOnlyModel:
        if not texts:
            raise ValueError("the claim-only model needs at least one training claim")
        self.labels = tuple(sorted(set(labels)))
        counts = {label: Counter() for label in self.labels}
        for text, label in zip(texts, labels, strict=True):
            counts[label].update(bag_of_words(text))
        vocabulary = sorted({w for c in counts.values() for w in c})
        totals = np.array([sum(counts[k].values()) for k in self.labels], dtype=float)
        denominator = totals + self.alpha * (len(vocabulary) + 1)
        self.log_unseen = np.log(self.alpha / denominator)
        self.log_likelihood = {
            w: np.log((np.array([counts[k][w] for k in self.labels], dtype=float) + self.alpha) / denominator)
            for w in vocabulary
        }
        prior = np.array([sum(label == k for label in labels) for k in self.labels], dtype=float)
        self.log_prior = np.log(prior / prior.sum())
        return self

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Joint log-probabilities, shape ``(len(texts), len(labels))``."""
        return np.array(
            [
                self.log_prior
                + sum(
                    (self.log_likelihood.get(w, self.log_unseen) for w in bag_of_words(t)), np.zeros(len(self.labels))
                )
                for t in texts
            ]
        ).reshape(len(texts), len(self.labels))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The likeliest label of each text (the first in sorted order on a tie)."""
        return [self.labels[int(k)] for k in self.scores(texts).argmax(axis=1)] if texts else []

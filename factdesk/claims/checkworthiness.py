"""The trained check-worthiness model: logistic regression over a sentence's word and character n-grams (tf-idf,
L2-normalised) and the rule-based scorer's features, read from ``checkworthiness.json``; numpy-only inference.

``factdesk.training.checkworthiness`` fits it on CLEF CheckThat! 2024 dev (see the MODEL_CARD.md beside
the weights). Its intercept is shifted so that a score of 0.5 is the threshold chosen by cross-validation.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from factdesk.errors import FactdeskError

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "checkworthiness" / "checkworthiness.json"
_TOKEN = re.compile(r"\w+|[^\w\s]")


def ngrams(text: str, word: tuple[int, int], char: tuple[int, int]) -> list[str]:
    """Word n-grams (``w:``) over lower-cased words and punctuation, and character n-grams (``c:``) inside each
    word padded with spaces; an empty range (0, 0) gives none of that kind."""
    tokens = _TOKEN.findall(text.lower())
    grams = [
        "w:" + " ".join(tokens[i : i + n]) for n in range(word[0], word[1] + 1) for i in range(len(tokens) - n + 1)
    ]
    for token in tokens:
        padded = f" {token} "
        for n in range(char[0], char[1] + 1):
            grams.extend("c:" + padded[i : i + n] for i in range(max(len(padded) - n + 1, 0)))
    return [g for g in grams if g not in ("w:", "c:")]


@dataclass(frozen=True)
class CheckworthinessModel:
    """Scores are P(check-worthy) with the intercept shifted: 0.5 is the cross-validated threshold."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    rule_features: tuple[str, ...]
    coef: np.ndarray  # n-gram weights, then one per rule feature
    intercept: float
    word: tuple[int, int]
    char: tuple[int, int]
    name: str

    @classmethod
    def from_json(cls, data: dict) -> CheckworthinessModel:
        vocabulary = data["vocabulary"]
        return cls(
            vocabulary={gram: i for i, gram in enumerate(vocabulary)},
            idf=np.asarray(data["idf"], dtype=np.float64),
            rule_features=tuple(data["rule_features"]),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            word=tuple(data["ngrams"]["word"]),
            char=tuple(data["ngrams"]["char"]),
            name=data["name"],
        )

    def scores(self, texts: Sequence[str], features: Sequence[Sequence[str]]) -> np.ndarray:
        """The n-grams' tf-idf weights (sublinear tf, L2-normalised) and the rule features (0/1) through the
        logistic regression."""
        rule_weight = dict(zip(self.rule_features, self.coef[len(self.vocabulary) :], strict=True))
        logits = np.full(len(texts), self.intercept)
        for row, (text, present) in enumerate(zip(texts, features, strict=True)):
            grams = ngrams(text, self.word, self.char) if self.vocabulary else []
            counts = Counter(g for g in grams if g in self.vocabulary)
            if counts:
                columns = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
                values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[columns]
                logits[row] += values @ self.coef[columns] / np.linalg.norm(values)
            logits[row] += sum(rule_weight.get(name, 0.0) for name in set(present))
        return 1.0 / (1.0 + np.exp(-logits))


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_PATH) -> CheckworthinessModel:
    try:
        return CheckworthinessModel.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise FactdeskError(f"cannot load the check-worthiness model {path}: {exc}") from exc

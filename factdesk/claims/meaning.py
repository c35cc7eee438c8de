"""The meaning check behind decontextualisation: a rewrite may add who, when and where, but never change a
claim's polarity or its figures.

``meaning_changes(original, rewritten, resolved)`` compares the two texts on
- negators (not, n't, never, no, none, nothing, nobody, nowhere, neither, nor, cannot, without), counted;
- figures (``factdesk.text.facts.amounts``: value and unit, so "$2 billion" and "2 billion dollars" agree);
- number and quantity words (three, half, twice, dozens, all, most, more, fewer ...), counted.
Calendar dates and bare years are not figures, so a resolved date adds none; the relative-date phrases the
rewrite ``resolved`` ("three years ago") are taken out of the original before counting.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from factdesk.text.facts import amounts

_NEGATOR = re.compile(
    r"\b(?:not|never|no|none|nothing|nobody|nowhere|neither|nor|cannot|without)\b|n['’]t\b", re.IGNORECASE
)
_QUANTITY_WORDS = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|dozens?|half|quarter|third|twice|double|triple|all|every|each|most|"
    r"more|less|fewer|least|only|majority|minority|few|several|many|much)\b",
    re.IGNORECASE,
)


def meaning_changes(original: str, rewritten: str, resolved: Iterable[str] = ()) -> tuple[str, ...]:
    """What the rewrite changed that it must not, in words; empty when polarity and figures are kept."""
    for phrase in resolved:
        original = original.replace(phrase, " ", 1)
    changes = []
    before, after = _negators(original), _negators(rewritten)
    if before != after:
        changes.append(f"negators {_show(before)} became {_show(after)}")
    before, after = _figures(original), _figures(rewritten)
    if before != after:
        changes.append(f"figures {_show(before)} became {_show(after)}")
    before, after = _quantity_words(original), _quantity_words(rewritten)
    if before != after:
        changes.append(f"quantity words {_show(before)} became {_show(after)}")
    return tuple(changes)


def _negators(text: str) -> Counter[str]:
    return Counter(m.group(0).lower().replace("’", "'") for m in _NEGATOR.finditer(text))


def _figures(text: str) -> Counter[str]:
    return Counter(
        f"{a.value:,.0f} {a.unit}".strip() if a.value.is_integer() else f"{a.value:,} {a.unit}".strip()
        for a in amounts(text)
    )


def _quantity_words(text: str) -> Counter[str]:
    return Counter(m.group(0).lower() for m in _QUANTITY_WORDS.finditer(text))


def _show(counts: Counter[str]) -> str:
    return "[" + ", ".join(sorted(counts.elements())) + "]"

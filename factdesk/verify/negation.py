"""Does a passage deny the claim, or something else? Stance models read a "not" as refuting almost whatever it
negates: "The withdrawal from Izium was not a planned regrouping" comes out as refuting "Russian troops left tanks
behind near Izium". A sentence that negates something the claim does not say is set aside, and the passage is read
again without it; if what is left does not refute the claim, the denial was about another proposition.

A sentence is off the claim when it has a negator and at least one lower-case content word, and none of its
lower-case content words shares a stem with a word of the claim (capitalised words are left out: naming the same
place or side is not saying the same thing about it). Sentences with no content word of their own ("No.") and
passages with a question (an answer reads with its question) are never set aside."""

from __future__ import annotations

import re

_NEGATOR = re.compile(r"\b(?:not|never|no|none|nothing|neither|nor|cannot)\b|n['’]t\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])[\"'’”)\]]*\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_STOP = frozenset(
    """the and for with from that this these those was were are has have had its their they them which who what
    when where will would could should been being than then there into onto over about after before also only
    not never none nothing neither nor cannot can does did doing done any all some such very more most much many
    other another just even still yet out off near behind under between through during without within among
    claim claims claimed said says say according""".split()
)
STEM = 5  # characters compared: "regrouped" and "regrouping" meet, "Russia" and "Russian" meet


def _stem(word: str) -> str:
    return word.lower().replace("’", "'").split("'")[0][:STEM]


def _content(words: list[str]) -> set[str]:
    return {_stem(w) for w in words if len(w) > 2 and w.lower() not in _STOP}


def off_claim_denials(claim: str, passage: str) -> list[str]:
    """The sentences of ``passage`` that negate something ``claim`` does not mention (see the module docstring)."""
    if "?" in passage:
        return []
    wanted = _content(_WORD.findall(claim))
    off = []
    for sentence in _SENTENCE.split(passage):
        if not _NEGATOR.search(sentence):
            continue
        said = _content([w for w in _WORD.findall(sentence) if w[0].islower()])
        if said and not said & wanted:
            off.append(sentence)
    return off


def without_off_claim_denials(claim: str, passage: str) -> str | None:
    """``passage`` without its off-claim denials ("" when nothing else is left); None when it has none."""
    off = set(off_claim_denials(claim, passage))
    if not off:
        return None
    return " ".join(s for s in _SENTENCE.split(passage) if s not in off).strip()

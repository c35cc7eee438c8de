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

from factdesk.verify.attribution import STOP_WORDS, WORD, content_stems

_NEGATOR = re.compile(r"\b(?:not|never|no|none|nothing|neither|nor|cannot)\b|n['’]t\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])[\"'’”)\]]*\s+")
# More words that say nothing of what a sentence asserts: quantifiers, negators, reporting verbs, "claim".
_STOP = STOP_WORDS | frozenset(
    """according all also among another any behind between can cannot claim claimed claims did does doing done
    during even just many more most much near neither never none nor not nothing off only other out said say says
    some still such through under very within without yet""".split()
)


def off_claim_denials(claim: str, passage: str) -> list[str]:
    """The sentences of ``passage`` that negate something ``claim`` does not mention (see the module docstring)."""
    if "?" in passage:
        return []
    wanted = content_stems(WORD.findall(claim), _STOP)
    off = []
    for sentence in _SENTENCE.split(passage):
        if not _NEGATOR.search(sentence):
            continue
        said = content_stems([w for w in WORD.findall(sentence) if w[0].islower()], _STOP)
        if said and not said & wanted:
            off.append(sentence)
    return off


def without_off_claim_denials(claim: str, passage: str) -> str | None:
    """``passage`` without its off-claim denials ("" when nothing else is left); None when it has none."""
    off = set(off_claim_denials(claim, passage))
    if not off:
        return None
    return " ".join(s for s in _SENTENCE.split(passage) if s not in off).strip()

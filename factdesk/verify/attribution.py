"""Is a passage the claimant's own side speaking? Reported statements by the claimant or their organisation are
not independent confirmation of the claim, so they cast no support vote."""

from __future__ import annotations

import re

from factdesk.records import Claim

_REPORTING = re.compile(
    r"\b(?:said|says|say|announced|announces|stated|states|claimed|claims|told|insisted|insists|declared|"
    r"according to|briefing|statement)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MIN_ORGANISATION_WORDS = 2


def echoes_claimant(claim: Claim, text: str) -> bool:
    """True when ``text`` names the claimant, or has a sentence that reports what the claimant's organisation
    (the part of ``claimant_role`` after its last comma, e.g. "Russian Ministry of Defence") said."""
    surname = _surname(claim.claimant)
    if surname and re.search(rf"\b{re.escape(surname)}\b", text):
        return True
    organisation = {_stem(w) for w in _WORD.findall(claim.claimant_role.rpartition(",")[2]) if len(w) > 2}
    organisation -= {"the", "and", "for"}
    if len(organisation) < _MIN_ORGANISATION_WORDS:
        return False
    for sentence in _SENTENCE.split(text):
        named = organisation & {_stem(w) for w in _WORD.findall(sentence)}
        if len(named) >= _MIN_ORGANISATION_WORDS and _REPORTING.search(sentence):
            return True
    return False


def _surname(claimant: str) -> str:
    words = claimant.split()
    return words[-1].strip(".,") if words and len(words[-1]) >= 3 else ""


def _stem(word: str) -> str:
    """Crude prefix stem, so "Russia's"/"Russian" and "Defence"/"defense" meet."""
    return word.lower()[:5]

"""Is a passage the claimant's own side speaking, or the claim itself being reported? Reported statements by the
claimant or their organisation, and an article quoting the claim (often in order to rebut it), are not
independent confirmation of the claim, so they cast no support vote."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from factdesk.records import Claim, Passage

_REPORTING = re.compile(
    r"\b(?:said|says|say|announced|announces|stated|states|claimed|claims|told|insisted|insists|declared|"
    r"according to|briefing|statement)\b",
    re.IGNORECASE,
)
WORD = re.compile(r"[A-Za-z]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MIN_ORGANISATION_WORDS = 2


def echoes_claimant(claim: Claim, text: str) -> bool:
    """True when ``text`` names the claimant (a person's surname, anywhere), or has a sentence that reports what
    the claimant, when not a person ("Civic Alliance", "a viral social media post"), or the claimant's
    organisation (the part of ``claimant_role`` after its last comma, e.g. "Russian Ministry of Defence") said."""
    if is_person(claim.claimant, claim.claimant_role):
        surname = _surname(claim.claimant)
        if surname and re.search(rf"\b{re.escape(surname)}\b", text):
            return True
    elif _reports(_name_stems(claim.claimant), text):
        return True
    return _reports(_name_stems(claim.claimant_role.rpartition(",")[2]), text)


def _name_stems(name: str) -> set[str]:
    return {stem(w) for w in WORD.findall(name) if len(w) > 2} - {"the", "and", "for"}


def _reports(named_by: set[str], text: str) -> bool:
    """Whether a sentence of ``text`` names at least two of the ``named_by`` stems (or all, when fewer) and
    reports speech."""
    if len(named_by) < _MIN_ORGANISATION_WORDS:
        return False
    for sentence in _SENTENCE.split(text):
        named = named_by & {stem(w) for w in WORD.findall(sentence)}
        if len(named) >= _MIN_ORGANISATION_WORDS and _REPORTING.search(sentence):
            return True
    return False


# Words that make a claimant (or the first part of their role) an organisation, a publication or a post rather
# than a person, whose surname alone would name them.
_NOT_A_PERSON = frozenset(
    """account agency airline alliance army assembly association authority bank blog board body campaign
    centre center chamber channel charity church club coalition commission committee company council court
    cross department federation forum foundation front fund government group institute league magazine media
    ministry movement network newspaper office operator organisation organization outlet page paper party
    police post press radio service site society station team television trust tv union university user
    users website""".split()
)


def is_person(claimant: str, role: str = "") -> bool:
    """Whether ``claimant`` reads as a person's name: one to four capitalised words, none of them (nor the first
    part of ``role``, "Political party" or "Rail operator") a word for an organisation, a publication or a post."""
    words = claimant.replace("'s", "").split()
    if not 1 <= len(words) <= 4 or not all(w[0].isupper() for w in words):
        return False
    named = {w.lower().strip(".,'’") for w in words} | {w.lower() for w in WORD.findall(role.partition(",")[0])}
    return not named & _NOT_A_PERSON


_QUOTATION = re.compile(r"[\"“”«»]|(?:^|\s)['‘][^']+['’](?=[\s,.;:!?]|$)")
_CLAIMED = re.compile(
    r"\b(?:claim(?:ed|s|ing)?|alleg\w*|purport\w*|so-called|asserted|asserts|insisted|insists|rumou?r\w*|"
    r"viral|posts? (?:say|said|claim)|it is (?:false|untrue|not true) that)\b",
    re.IGNORECASE,
)
STOP_WORDS = frozenset(
    "the and for with from that this these those was were are has have had its their they them which who what "
    "when where will would could should been being than then there into onto over about after before".split()
)
REPEATS_CLAIM = 0.7  # the least share of the claim's content words a sentence must repeat to be reporting it


def reports_claim(claim: Claim, text: str) -> bool:
    """True when a sentence of ``text`` repeats most of the claim's words (``REPEATS_CLAIM``) as a quotation or as
    something claimed ("the ministry claimed ...", a pull-quote): it reports the claim, it does not confirm it."""
    wanted = _content(claim.text)
    if len(wanted) < 3:
        return False
    for sentence in _SENTENCE.split(text):
        repeated = len(wanted & _content(sentence)) / len(wanted)
        if repeated >= REPEATS_CLAIM and (_QUOTATION.search(sentence) or _CLAIMED.search(sentence)):
            return True
    return False


_CONCLUSION = re.compile(
    r"^\W*(?:that|this|it|the claim|this claim|the statement)(?:'s|\s+is|\s+was)\s+(?:(?:mostly|partly|half)\s+)?"
    r"(?:false|untrue|not true|wrong|misleading|inaccurate|true|correct|accurate|unproven|unsubstantiated)\b"
    r"|\bwe rate (?:this|the|it)\b|^\W*(?:rating|verdict):",
    re.IGNORECASE,
)


def conclusions(passages: Sequence[Passage], text: str) -> list[Passage]:
    """A document's conclusions ("That is false.", "We rate this claim Misleading"), each joined with the passage
    before it, which says what "that" is: read alone such a sentence is about nothing; with its context it is the
    document's verdict, which a cap on passages per document must not drop."""
    out = []
    for k, passage in enumerate(passages):
        if _CONCLUSION.search(passage.text):
            start = passages[k - 1].start if k else passage.start
            out.append(Passage(passage.doc_id, start, passage.end, text[start : passage.end]))
    return out


def _content(text: str) -> set[str]:
    return content_stems(WORD.findall(text))


def content_stems(words: Iterable[str], stop: frozenset[str] = STOP_WORDS) -> set[str]:
    """Stems of the words that carry content: longer than two letters and not in ``stop``."""
    return {stem(w) for w in words if len(w) > 2 and w.lower() not in stop}


def _surname(claimant: str) -> str:
    words = claimant.split()
    return words[-1].strip(".,") if words and len(words[-1]) >= 3 else ""


def stem(word: str) -> str:
    """Crude prefix stem, so "Russia's"/"Russian" and "Defence"/"defense" meet."""
    return word.lower()[:5]

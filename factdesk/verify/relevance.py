"""Relevance before stance: a passage is evidence only if it is about the claim.

A passage is judged not about the claim when it carries no content on its own (a bare "Yes", a date, a number),
when the relevance model scores it below a threshold, or when its document's date shows it is about another time
than the claim: published before the year the claim is about, or years after it without naming that year (a news
passage that names no year speaks of its own time). Such a passage keeps its place in the report, tagged
``unrelated`` ("not about the claim"), and casts no vote in the verdict. The threshold was chosen on AVeriTeC dev
(``benchmarks/relevance_gate.py``): other claims' evidence must fail it, a claim's own evidence pass it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from datetime import date

from factdesk.records import UNRELATED, Claim, Evidence

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words that carry no content on their own: a reply, a date's parts, function words.
_EMPTY = frozenset(
    """yes no not true false correct incorrect none unknown maybe perhaps the and but for with from that this
    these those there then than was were are has have had did does its it's his her their they them you your
    our who what when where why how which also just only very about into onto over under after before
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    year years month months day days week weeks today yesterday tomorrow""".split()
)


_ANY_YEAR = re.compile(r"(?<![\d,.])(?:19|20)\d\d(?![\d,.]\d)")
# A year as the claim names a time: "in 2019", "May 2019", "2019's", "(2019)", not "2000 people".
_MONTHS = "january february march april may june july august september october november december".split()
_CLAIM_YEAR = re.compile(
    r"(?:\b(?:in|of|since|during|until|till|before|after|from|by|between|and|to|the|a|an|year|season|early|late|mid|"
    rf"{'|'.join(_MONTHS)}|\d{{1,2}})[\s-]+|\()((?:19|20)\d\d)\b|\b((?:19|20)\d\d)(?:'s|’s|\))",
    re.IGNORECASE,
)
LATER_YEARS = 2  # a passage naming no year is about its own time when published this many years after the claim's


_SINCE = re.compile(r"\bsince\s+(?:the\s+)?(?:(?:early|late|mid)[\s-]+)?(?:19|20)\d\d\b", re.IGNORECASE)


def claim_years(claim: Claim) -> set[int]:
    """The past years a claim is about: those it names as times, up to its date's year (a year after it is a
    forecast or a promise, which documents from before it can be about), and its date's year when it names a
    period that runs up to it ("since 2023")."""
    named = {int(a or b) for a, b in _CLAIM_YEAR.findall(claim.text)}
    if claim.date is not None and _SINCE.search(claim.text):
        named.add(claim.date.year)
    return {y for y in named if claim.date is None or y <= claim.date.year}


def content_words(text: str) -> list[str]:
    """The words of ``text`` that say something on their own (letters only, three or more, not a reply or
    a date's parts)."""
    return [w for w in (m.lower() for m in _WORD.findall(text)) if len(w) >= 3 and w not in _EMPTY]


@dataclass(frozen=True)
class RelevanceGate:
    """``threshold``: the least relevance (0-1, the relevance model's) for a passage to count as evidence;
    ``min_content_words``: fewer content words than this and the passage is never evidence."""

    threshold: float = 0.25
    min_content_words: int = 3

    def reason(self, text: str, relevance: float, published: date | None = None, years: Set[int] = frozenset()) -> str:
        """Why the passage is not about the claim, or "" when it is. ``published``: its document's date;
        ``years``: the past years the claim is about (``claim_years``)."""
        if len(content_words(text)) < self.min_content_words:
            return "carries no content on its own"
        if relevance < self.threshold:
            return f"relevance {relevance:.2f} is below {self.threshold:.2f}"
        if published is not None and years:
            if published.year < min(years):
                return f"published in {published.year}, before {min(years)}, the year the claim is about"
            if published.year >= max(years) + LATER_YEARS and not _ANY_YEAR.search(text):
                return f"published in {published.year}, it names no year: about its own time, not {max(years)}"
        return ""

    def apply(
        self, evidence: Sequence[Evidence], relevance: Sequence[float], claim: Claim | None = None
    ) -> list[Evidence]:
        """The evidence with each passage that is not about the claim re-tagged ``unrelated``; its scores keep
        the relevance the gate read (``about``). With the ``claim``, passages from another time are too."""
        years = claim_years(claim) if claim is not None else set()
        out = []
        for item, score in zip(evidence, relevance, strict=True):
            scores = {**item.scores, "about": float(score)}
            why = self.reason(item.passage.text, float(score), item.document.published, years)
            out.append(replace(item, stance=UNRELATED if why else item.stance, scores=scores))
        return out


def relevant(evidence: Sequence[Evidence]) -> list[Evidence]:
    """The passages about the claim: the only ones that vote."""
    return [e for e in evidence if e.about_claim]


def voting_evidence(evidence: Sequence[Evidence], limit: int) -> list[Evidence]:
    """The ``limit`` most relevant passages about the claim (0: all), which the verdict weighs. The verdict model
    was trained on about three evidence items a claim, and weighing every retrieved passage drowns the relevant
    ones. Passages not about the claim never vote; with none left the verdict is Not Enough Evidence."""
    voting = sorted(relevant(evidence), key=lambda e: e.relevance, reverse=True)
    return voting[:limit] if limit else voting

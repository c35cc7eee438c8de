"""The local justification writer: short attributed sentences, each citing the passages it rests on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from factdesk.records import Citation, Claim, Evidence, Statement, Verdict
from factdesk.registry import register

_VERDICT_SENTENCE = {
    "Refuted": "The evidence refutes the claim.",
    "Supported": "The evidence supports the claim.",
    "Conflicting Evidence/Cherrypicking": "The evidence points both ways: some sources back the claim, others do not.",
    "Not Enough Evidence": "The passages found neither confirm nor refute the claim.",
}
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")


def format_date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "undated"


def source_name(evidence: Evidence) -> str:
    return evidence.document.outlet or evidence.document.title or evidence.document.id


def quote_span(evidence: Evidence, max_chars: int = 260) -> tuple[int, int]:
    """Char offsets, in the document, of the passage's opening sentences up to ``max_chars``."""
    text = evidence.passage.text
    end = len(text)
    if end > max_chars:
        ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= max_chars]
        end = ends[-1] if ends else text.rfind(" ", 0, max_chars) if " " in text[:max_chars] else max_chars
    start = evidence.passage.start
    return start, start + len(text[:end].rstrip())


@register("writer", "template")
@dataclass
class TemplateWriter:
    """Verdict sentence first, then the strongest evidence for the ruling, then what points the other way."""

    max_points: int = 4
    name: str = "template"

    def run(self, claim: Claim, verdict: Verdict, evidence: Sequence[Evidence]) -> tuple[Statement, ...]:
        refuting = [e for e in evidence if e.stance == "refutes"]
        supporting = [e for e in evidence if e.stance == "supports" and not e.from_claimant]
        lead, other = (supporting, refuting) if verdict.label == "Supported" else (refuting, supporting)
        if verdict.label == "Not Enough Evidence":
            lead, other = list(evidence), []
        if not evidence:
            cutoff = f" published on or before {format_date(claim.date)}" if claim.date else ""
            return (Statement(f"No evidence{cutoff} was found in the corpus.", ()),)
        statements = [Statement(_VERDICT_SENTENCE[verdict.label], tuple(_cite(e) for e in lead[:3]))]
        statements += [self._attributed(e, "According to") for e in lead[: self.max_points]]
        if other:
            statements.append(self._attributed(other[0], "On the other side, according to"))
        claimant_echo = [e for e in evidence if e.from_claimant]
        if claimant_echo and claim.claimant:
            statements.append(
                Statement(
                    f"{source_name(claimant_echo[0])} reported the claim as {claim.claimant} made it; "
                    "a claimant's own words are not counted as evidence for the claim.",
                    (_cite(claimant_echo[0]),),
                )
            )
        return tuple(statements)

    @staticmethod
    def _attributed(evidence: Evidence, opening: str) -> Statement:
        start, end = quote_span(evidence)
        quote = evidence.document.text[start:end]
        when = format_date(evidence.document.published)
        return Statement(
            f"{opening} {source_name(evidence)} ({when}): “{quote}”", (Citation(evidence.passage.doc_id, start, end),)
        )


def _cite(evidence: Evidence) -> Citation:
    return Citation(evidence.passage.doc_id, evidence.passage.start, evidence.passage.end)

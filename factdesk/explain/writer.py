"""The local justification writer: a verdict sentence, attributed evidence, a timeline and a comparison of
figures, each sentence citing the exact span it rests on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from factdesk.records import Citation, Claim, Evidence, Statement, Verdict
from factdesk.registry import register
from factdesk.text.facts import date_mentions, quantities, sentence_containing

VERDICT_PHRASES = {
    "Refuted": "the evidence refutes the claim.",
    "Supported": "the evidence supports the claim.",
    "Conflicting Evidence/Cherrypicking": "the evidence points both ways: some sources back the claim, others do not.",
    "Not Enough Evidence": "the passages found neither confirm nor refute the claim.",
}
LEAD_STANCE = {"Refuted": "refutes", "Supported": "supports"}
OPPOSITE = {"refutes": "supports", "supports": "refutes"}
CLEAR = 0.05  # how far a passage the verdict sentence cites must lean the verdict's way
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
        end = ends[-1] if ends else max(text.rfind(" ", 0, max_chars), max_chars // 2)
    start = evidence.passage.start
    return start, start + len(text[:end].rstrip())


def quoted(evidence: Evidence, opening: str, span: tuple[int, int] | None = None) -> Statement:
    start, end = span or quote_span(evidence)
    words = evidence.document.text[start:end]
    when = format_date(evidence.document.published)
    return Statement(
        f"{opening} {source_name(evidence)}, {when}: “{words}”",
        (Citation(evidence.passage.doc_id, start, end),),
        "quote",
    )


def cite_passage(evidence: Evidence) -> Citation:
    return Citation(evidence.passage.doc_id, evidence.passage.start, evidence.passage.end)


def lead_evidence(verdict: Verdict, evidence: Sequence[Evidence]) -> list[Evidence]:
    """The independent evidence that carries the ruling, strongest first."""
    independent = [e for e in evidence if not e.from_claimant]
    if verdict.label == "Conflicting Evidence/Cherrypicking":
        sides = []
        for stance in ("supports", "refutes"):
            taking = [e for e in independent if e.stance == stance]
            strongest = sorted(independent, key=lambda e: e.leaning[stance], reverse=True)
            sides += [e for e in (taking or strongest)[:2] if all(e is not chosen for chosen in sides)]
        return sides
    stance = LEAD_STANCE.get(verdict.label)
    if not stance:
        return independent
    leaning = [e for e in independent if e.stance == stance]
    return leaning or sorted(
        (e for e in independent if e.leaning[stance] > e.leaning[OPPOSITE[stance]]),
        key=lambda e: e.leaning[stance],
        reverse=True,
    )


def verdict_statement(claim: Claim, verdict: Verdict, evidence: Sequence[Evidence]) -> Statement:
    """The ruling, citing the passages it rests on. Passages not about the claim are never cited."""
    found = len(evidence)
    evidence = [e for e in evidence if e.about_claim]
    if not evidence:
        cutoff = f" published on or before {format_date(claim.date)}" if claim.date else ""
        unrelated = f"; the {found} passages retrieved are not about it" if found else ""
        return Statement(
            f"{verdict.rating}: no evidence about the claim{cutoff} was found in the corpus{unrelated}.", (), "verdict"
        )
    if verdict.leaning:
        return abstention_statement(claim, verdict, evidence)
    if verdict.label == "Not Enough Evidence":
        weighed = sorted((e for e in evidence if not e.from_claimant), key=lambda e: e.relevance, reverse=True)[:3]
        return Statement(
            f"{verdict.rating}: {VERDICT_PHRASES[verdict.label]} Missing: {missing_evidence(claim, evidence)}.",
            tuple(map(cite_passage, weighed or evidence[:3])),
            "assessment",
        )
    lead = lead_evidence(verdict, evidence)
    if stance := LEAD_STANCE.get(verdict.label):
        # a passage that leans only just is left out: rescoring it in another batch can tip it the other way
        lead = [e for e in lead if e.leaning[stance] - e.leaning[OPPOSITE[stance]] > CLEAR]
    lead = lead[:3]
    if not lead and stance:
        weighed = sorted((e for e in evidence if not e.from_claimant), key=lambda e: e.relevance, reverse=True)[:3]
        said = (
            f"this is the editor's ruling; no passage found {stance} the claim outright."
            if verdict.confidence is None
            else f"this is the verdict model's reading of the evidence as a whole (confidence "
            f"{verdict.confidence:.2f}); no passage found {stance} the claim outright, so an editor should weigh it."
        )
        return Statement(
            f"{verdict.rating}: {said}",
            tuple(map(cite_passage, weighed or evidence[:3])),
            "assessment",
        )
    return Statement(f"{verdict.rating}: {VERDICT_PHRASES[verdict.label]}", tuple(map(cite_passage, lead)), "verdict")


def abstention_statement(claim: Claim, verdict: Verdict, evidence: Sequence[Evidence]) -> Statement:
    """The desk does not rule: the verdict model leaned one way, below the confidence needed for a ruling."""
    leaning = Verdict(verdict.leaning, verdict.rating, verdict.confidence, verdict.probabilities)
    lead = lead_evidence(leaning, evidence)[:3] or sorted(evidence, key=lambda e: e.relevance, reverse=True)[:3]
    return Statement(
        f"{verdict.rating}: the evidence leans towards {verdict.leaning} (confidence {verdict.confidence:.2f}), "
        f"too weakly for a ruling. Missing: {missing_evidence(claim, evidence)}.",
        tuple(map(cite_passage, lead)),
        "assessment",
    )


def missing_evidence(claim: Claim, evidence: Sequence[Evidence]) -> str:
    """What a ruling would need that the passages about the claim do not give, in words."""
    if not evidence:
        return "any passage about the claim"
    said = " ".join(e.passage.text for e in evidence)
    figures = [q.text for q in quantities(claim.text) if q.text not in said]
    year = claim.date.year if claim.date else 2000
    days = [d for m in date_mentions(claim.text, year) if (d := claim.text[m.start : m.end]) not in said]
    if figures or days:
        return "a source that gives " + ", ".join(f"“{x}”" for x in [*figures, *days][:3]) + " as the claim does"
    return "a source that states outright whether the claim is true"


@register("writer", "template")
@dataclass
class TemplateWriter:
    """Verdict first; then "in fact" the strongest evidence for the ruling, what points the other way, how the
    claim itself was reported, a timeline of dated events, and the claim's figures against the evidence's."""

    max_points: int = 4
    max_timeline: int = 8
    name: str = "template"

    def run(self, claim: Claim, verdict: Verdict, evidence: Sequence[Evidence]) -> tuple[Statement, ...]:
        statements = [verdict_statement(claim, verdict, evidence)]
        evidence = [e for e in evidence if e.about_claim]  # the rest is listed, never used
        if not evidence:
            return tuple(statements)
        lead = lead_evidence(verdict, evidence)
        lead_stance = LEAD_STANCE.get(verdict.label)
        other = [
            e for e in evidence if lead_stance and not e.from_claimant and e.stance not in (lead_stance, "neutral")
        ]
        for number, item in enumerate(lead[: self.max_points]):
            statements.append(quoted(item, "In fact, according to" if number == 0 and lead_stance else "According to"))
        statements += [quoted(item, "On the other side, according to") for item in other[:2]]
        echoes = [e for e in evidence if e.from_claimant]
        earlier = [e for e in echoes if claim.date and e.document.published and e.document.published < claim.date]
        same = next((e for e in echoes if e not in earlier), None)
        if same and claim.claimant:
            statements.append(quoted(same, f"The claim, as {claim.claimant} made it, was reported by"))
        if claim.claimant:
            statements += [quoted(e, f"Earlier, {claim.claimant}'s side was reported by") for e in earlier]
        statements += self._timeline(evidence)
        statements += self._comparison(claim, evidence)
        return tuple(statements)

    def _timeline(self, evidence: Sequence[Evidence]) -> list[Statement]:
        events: dict[tuple[date, int, int], Evidence] = {}
        for item in evidence:
            if item.document.published is None:
                continue  # a bare "6 September" cannot be placed in a year
            text = item.document.text
            for mention in date_mentions(item.passage.text, item.document.published.year):
                start, end = sentence_containing(
                    text, item.passage.start + mention.start, item.passage.start + mention.end
                )
                start, end = max(start, item.passage.start), min(end, item.passage.end)
                events.setdefault((mention.day, start, end), item)
        timeline = []
        seen_sentences: set[str] = set()
        for (day, start, end), item in sorted(events.items(), key=lambda pair: pair[0]):
            sentence = item.document.text[start:end]
            if sentence in seen_sentences:
                continue
            seen_sentences.add(sentence)
            timeline.append(
                Statement(
                    f"{format_date(day)}: “{sentence}” ({source_name(item)})",
                    (Citation(item.passage.doc_id, start, end),),
                    "timeline",
                )
            )
        return timeline[: self.max_timeline]

    @staticmethod
    def _comparison(claim: Claim, evidence: Sequence[Evidence]) -> list[Statement]:
        statements = []
        for said in quantities(claim.text):
            for item in evidence:
                for found in quantities(item.passage.text):
                    if found.family != said.family:
                        continue
                    start = item.passage.start + found.start
                    end = item.passage.start + found.end
                    verb = "also gives" if found.value == said.value else "reported"
                    statements.append(
                        Statement(
                            f"The claim says {said.text}; {source_name(item)} {verb} {found.text} "
                            f"({format_date(item.document.published)}).",
                            (Citation(item.passage.doc_id, start, end),),
                            "comparison",
                        )
                    )
        return statements[:4]

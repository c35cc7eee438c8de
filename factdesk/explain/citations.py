"""Checks that every cited span exists and backs its sentence, by the rule of the sentence's kind."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from factdesk.records import STANCE_LABELS, Citation, Claim, Document, Evidence, Statement
from factdesk.verify.base import StanceModel

VERDICT_STANCE = {"Refuted": ("refutes", "supports"), "Supported": ("supports", "refutes")}
_QUOTED = re.compile(r"“(.+)”", re.DOTALL)
# "According to <source>[, <date>], <content>": the source must be a cited document's outlet, and the content
# is what the verifier checks (the attribution itself is not a claim the passage makes).
_ATTRIBUTION = re.compile(
    r"^(?:In fact, )?according to ([^,]+?)(?:, (?:\d{1,2} )?[A-Z][a-z]+ \d{4}| on [^,]+)?, (.+)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class CitationCheck:
    statement: Statement
    supported: bool
    reason: str


ClaimStance = Callable[[Claim, Sequence[str]], np.ndarray]


@dataclass
class CitationChecker:
    """``documents`` looks a document up by id; ``stance`` checks free sentences; ``claim_stance`` checks verdict
    sentences the way the pipeline weighed the evidence (default: ``stance`` on the whole claim). A verdict
    sentence citing a passage of ``weighed`` evidence is checked against the stance recorded for it, the figures the
    report shows: scoring it again in another batch can shift an int8 model's probabilities by a few hundredths."""

    documents: Callable[[str], Document | None]
    stance: StanceModel
    claim_stance: ClaimStance | None = None
    min_support: float = 0.5

    def check(
        self, claim: Claim, label: str, statements: Sequence[Statement], weighed: Sequence[Evidence] = ()
    ) -> list[CitationCheck]:
        recorded = {
            (e.passage.doc_id, e.passage.start, e.passage.end): [e.leaning[k] for k in STANCE_LABELS] for e in weighed
        }
        return [self._check_one(claim, label, statement, recorded) for statement in statements]

    def _check_one(
        self, claim: Claim, label: str, statement: Statement, recorded: dict[tuple[str, int, int], list[float]]
    ) -> CitationCheck:
        spans = []
        for citation in statement.citations:
            document = self.documents(citation.doc_id)
            if document is None:
                return CitationCheck(statement, False, f"cites unknown document {citation.doc_id!r}")
            if not 0 <= citation.start < citation.end <= len(document.text):
                return CitationCheck(statement, False, f"span {citation.start}-{citation.end} is outside {document.id}")
            spans.append(document.text[citation.start : citation.end])
        if not spans:
            ok = statement.kind == "verdict" and label == "Not Enough Evidence"
            return CitationCheck(statement, ok, "no citation" if not ok else "nothing found, nothing cited")
        if statement.kind in ("quote", "timeline"):
            match = _QUOTED.search(statement.text)
            ok = bool(match) and match.group(1) in spans
            return CitationCheck(statement, ok, "quoted words are the cited span" if ok else "quote not in span")
        if statement.kind == "comparison":
            figure = statement.text.split(";", 1)[-1]
            ok = any(span in figure for span in spans)
            return CitationCheck(statement, ok, "figure is the cited span" if ok else "figure not in span")
        if statement.kind == "verdict":
            return self._verdict(claim, label, statement, spans, recorded)
        if statement.kind == "assessment":
            return CitationCheck(statement, True, "overall reading: cites the passages weighed, says none leans")
        content = statement.text
        attribution = _ATTRIBUTION.match(content)
        if attribution:
            named, content = attribution.group(1).strip(), attribution.group(2)
            sources = {
                s.casefold()
                for c in statement.citations
                if (d := self.documents(c.doc_id))
                for s in (d.outlet, d.title)
            }
            if named.casefold() not in sources:
                return CitationCheck(statement, False, f"attributed to {named!r}, which is not a cited source")
        probabilities = self.stance.predict(content, [" ".join(spans)])[0]
        support = float(probabilities[STANCE_LABELS.index("supports")])
        ok = support >= self.min_support
        return CitationCheck(statement, ok, f"verifier support {support:.2f} (threshold {self.min_support})")

    def _verdict(
        self,
        claim: Claim,
        label: str,
        statement: Statement,
        spans: list[str],
        recorded: dict[tuple[str, int, int], list[float]],
    ) -> CitationCheck:
        if label not in VERDICT_STANCE:
            return CitationCheck(statement, True, f"{label}: any weighed passage may be cited")
        stance, opposite = VERDICT_STANCE[label]
        keys = [_key(c) for c in statement.citations]
        if all(k in recorded for k in keys):
            rows = np.array([recorded[k] for k in keys])
        elif self.claim_stance is not None:
            rows = self.claim_stance(claim, spans)
        else:
            rows = self.stance.predict(claim.text, spans)
        leaning = [row[STANCE_LABELS.index(stance)] > row[STANCE_LABELS.index(opposite)] for row in rows]
        ok = all(leaning)
        return CitationCheck(statement, ok, f"{sum(leaning)} of {len(rows)} cited passages lean '{stance}'")


def _key(citation: Citation) -> tuple[str, int, int]:
    return (citation.doc_id, citation.start, citation.end)

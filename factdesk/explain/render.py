"""Fact-check reports as text, Markdown or the JSON record of the batch output."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from factdesk.explain.writer import format_date, source_name
from factdesk.records import Citation, Evidence, FactCheck, Statement

FORMATS = ("text", "json", "markdown")


def evidence_number(check: FactCheck, citation: Citation) -> int:
    """1-based index of the evidence item whose passage contains the cited span."""
    for number, evidence in enumerate(check.evidence, start=1):
        p = evidence.passage
        if p.doc_id == citation.doc_id and p.start <= citation.start and citation.end <= p.end:
            return number
    raise ValueError(f"citation {citation} points outside the selected evidence")


def cited(check: FactCheck, statement: Statement) -> str:
    marks = sorted({evidence_number(check, c) for c in statement.citations})
    return statement.text + "".join(f" [{n}]" for n in marks)


def justification_text(check: FactCheck) -> str:
    return " ".join(cited(check, s) for s in check.justification)


def check_record(check: FactCheck) -> dict[str, Any]:
    """The batch output line: exactly the documented keys."""
    return {
        "id": check.claim.id,
        "claim": check.claim.text,
        "label": check.verdict.label,
        "rating": check.verdict.rating,
        "confidence": round(check.verdict.confidence, 4),
        "probabilities": {label: round(p, 4) for label, p in check.verdict.probabilities.items()},
        "evidence": [_evidence_record(e) for e in check.evidence],
        "justification": justification_text(check),
    }


def _evidence_record(evidence: Evidence) -> dict[str, Any]:
    return {
        "doc_id": evidence.passage.doc_id,
        "url": evidence.document.url,
        "outlet": evidence.document.outlet,
        "published": evidence.document.published.isoformat() if evidence.document.published else None,
        "passage": evidence.passage.text,
        "start": evidence.passage.start,
        "end": evidence.passage.end,
        "stance": evidence.stance,
        "score": round(evidence.relevance, 4),
    }


def render(check: FactCheck, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(check_record(check), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        return _markdown(check)
    return _text(check)


def _claimant_line(check: FactCheck) -> str:
    claim = check.claim
    who = claim.claimant or "Unknown claimant"
    if claim.claimant_role:
        who += f", {claim.claimant_role}"
    return f"{who} — {format_date(claim.date)}" + (f" — {claim.appearance_url}" if claim.appearance_url else "")


def _source_line(evidence: Evidence) -> str:
    doc = evidence.document
    parts = [source_name(evidence), format_date(doc.published)]
    if doc.url:
        parts.append(doc.url)
    return " · ".join(parts)


def _text(check: FactCheck) -> str:
    verdict = check.verdict
    wrap = textwrap.TextWrapper(width=100, subsequent_indent="    ")
    lines = [
        f"CLAIM     “{check.claim.text}”",
        f"CLAIMANT  {_claimant_line(check)}",
        f"VERDICT   {verdict.rating} ({verdict.label}), confidence {verdict.confidence:.2f}",
        "",
        f"EVIDENCE ({len(check.evidence)} passages, none published after the claim date)",
    ]
    for number, evidence in enumerate(check.evidence, start=1):
        lines.append(f"[{number}] {evidence.stance.upper():8} {_source_line(evidence)}")
        lines.extend(wrap.wrap("    " + evidence.passage.text))
    lines += ["", "JUSTIFICATION"]
    for statement in check.justification:
        lines.extend(wrap.wrap(cited(check, statement)))
    lines += ["", *check.notes] if check.notes else []
    return "\n".join(lines)


def _markdown(check: FactCheck) -> str:
    verdict = check.verdict
    lines = [
        f"# {verdict.rating}: “{check.claim.text}”",
        "",
        f"**Claimant:** {_claimant_line(check)}  ",
        f"**Verdict:** {verdict.rating} ({verdict.label}), confidence {verdict.confidence:.2f}",
        "",
        "## Justification",
        "",
        *[cited(check, statement) for statement in check.justification],
        "",
        "## Evidence",
        "",
    ]
    for number, evidence in enumerate(check.evidence, start=1):
        lines.append(f"{number}. **{evidence.stance}** — {_source_line(evidence)}: “{evidence.passage.text}”")
    return "\n".join(lines) + "\n"

"""Fact-check reports as text, Markdown, standalone HTML, or the JSON record of the batch output."""

from __future__ import annotations

import hashlib
import json
import textwrap
from datetime import date
from html import escape
from typing import Any

from factdesk.explain.writer import format_date, source_name
from factdesk.records import Citation, Evidence, FactCheck, Statement, Verdict, to_jsonable

FORMATS = ("text", "json", "markdown", "html")
SECTIONS = (
    ("Justification", ("verdict", "assessment", "quote", "free")),
    ("Timeline", ("timeline",)),
    ("Figures compared", ("comparison",)),
)


def evidence_number(check: FactCheck, citation: Citation) -> int:
    """1-based index of the evidence item whose passage contains the cited span."""
    for number, evidence in enumerate(check.evidence, start=1):
        p = evidence.passage
        if p.doc_id == citation.doc_id and p.start <= citation.start and citation.end <= p.end:
            return number
    raise ValueError(f"citation {citation} points outside the selected evidence")


def citation_marks(check: FactCheck, statement: Statement) -> list[int]:
    return sorted({evidence_number(check, c) for c in statement.citations})


def cited(check: FactCheck, statement: Statement) -> str:
    return statement.text + "".join(f" [{n}]" for n in citation_marks(check, statement))


def sections(check: FactCheck) -> list[tuple[str, list[Statement]]]:
    grouped = [(title, [s for s in check.justification if s.kind in kinds]) for title, kinds in SECTIONS]
    return [(title, statements) for title, statements in grouped if statements]


def headline(check: FactCheck) -> str:
    return f"{check.verdict.rating}: “{check.claim.text}”"


def justification_text(check: FactCheck) -> str:
    return " ".join(cited(check, s) for s in check.justification)


def record_id(check: FactCheck, check_id: int | None = None) -> str:
    """The claim's own id (a batch line's), else the stored fact-check's, else a hash of the claim and of what it
    was checked against (corpus version, cut-off), the same each time that claim is checked against that corpus."""
    if check.claim.id:
        return check.claim.id
    if check_id is not None:
        return str(check_id)
    checked = [to_jsonable(check.claim), check.provenance.corpus_version, to_jsonable(check.provenance.evidence_cutoff)]
    return "sha256:" + hashlib.sha256(json.dumps(checked, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def check_record(check: FactCheck, check_id: int | None = None) -> dict[str, Any]:
    """The JSON record of a check (``--format json``, and each line of the batch output). ``justification`` is its
    text with [n] marks; ``statements`` are its sentences, each with the spans it cites: document id, number of the
    evidence item holding the span (the n of [n]), char offsets in the document, and the quoted words."""
    return {
        "id": record_id(check, check_id),
        "claim": check.claim.text,
        "label": check.verdict.label,
        "rating": check.verdict.rating,
        "confidence": None if check.verdict.confidence is None else round(check.verdict.confidence, 4),
        "ruled_by": "editor" if check.verdict.by_editor else "model",
        "leaning": check.verdict.leaning,
        "probabilities": {label: round(p, 4) for label, p in check.verdict.probabilities.items()},
        "evidence": [_evidence_record(e) for e in check.evidence],
        "justification": justification_text(check),
        "statements": [
            {"text": s.text, "kind": s.kind, "citations": [_citation_record(check, c) for c in s.citations]}
            for s in check.justification
        ],
        "notes": list(check.notes),
    }


def _citation_record(check: FactCheck, citation: Citation) -> dict[str, Any]:
    number = evidence_number(check, citation)
    text = check.evidence[number - 1].document.text
    return {
        "doc_id": citation.doc_id,
        "evidence": number,
        "start": citation.start,
        "end": citation.end,
        "quote": text[citation.start : citation.end],
    }


def _evidence_record(evidence: Evidence) -> dict[str, Any]:
    return {
        "doc_id": evidence.passage.doc_id,
        "url": evidence.document.url,
        "outlet": evidence.document.outlet,
        "published": _iso(evidence.document.published),
        "passage": evidence.passage.text,
        "start": evidence.passage.start,
        "end": evidence.passage.end,
        "stance": evidence.stance,
        "about_claim": evidence.about_claim,
        "score": round(evidence.relevance, 4),
        "also_carried_by": [
            {"doc_id": copy.doc_id, "outlet": copy.outlet, "url": copy.url, "published": _iso(copy.published)}
            for copy in evidence.also_carried_by
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def carried_by(evidence: Evidence) -> str:
    """ "also carried by" and the outlets of the evidence document's near-duplicates (one source with it), or ""."""
    if not evidence.also_carried_by:
        return ""
    names = [copy.outlet or copy.url or copy.doc_id for copy in evidence.also_carried_by]
    return "also carried by " + ", ".join(dict.fromkeys(names)) + " (the same story: counted once)"


def render(check: FactCheck, fmt: str, claim_review: dict[str, Any] | None = None, check_id: int | None = None) -> str:
    """``check_id``: the stored fact-check's id, if it was stored (the JSON record's id)."""
    if fmt == "json":
        return json.dumps(check_record(check, check_id), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        return _markdown(check)
    if fmt == "html":
        return render_html(check, claim_review)
    return _text(check)


def claimant_line(check: FactCheck) -> str:
    claim = check.claim
    who = claim.claimant or "Unknown claimant"
    if claim.claimant_role:
        who += f", {claim.claimant_role}"
    return f"{who} — {format_date(claim.date)}" + (f" — {claim.appearance_url}" if claim.appearance_url else "")


def cutoff_phrase(check: FactCheck) -> str:
    cutoff = check.provenance.evidence_cutoff
    return f", none published after {format_date(cutoff)}" if cutoff else ", no date cut-off"


def verdict_line(verdict: Verdict) -> str:
    """Rating, label and confidence; when the desk abstained, which way the evidence leaned and how weakly; an
    editor's ruling says so, with no confidence."""
    if verdict.confidence is None:
        return f"{verdict.rating} ({verdict.label}), editor's ruling"
    if verdict.leaning:
        return (
            f"{verdict.rating} ({verdict.label}; the evidence leans {verdict.leaning} at confidence "
            f"{verdict.confidence:.2f}, too weakly for a ruling)"
        )
    return f"{verdict.rating} ({verdict.label}), confidence {verdict.confidence:.2f}"


def stance_tag(evidence: Evidence) -> str:
    """How a passage is labelled in a report: its stance, or "not about the claim" (it cast no vote)."""
    return evidence.stance if evidence.about_claim else "not about the claim"


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
        headline(check),
        "",
        f"CLAIMANT  {claimant_line(check)}",
        f"VERDICT   {verdict_line(verdict)}",
    ]
    for title, statements in sections(check):
        lines += ["", title.upper()]
        for statement in statements:
            lines.extend(wrap.wrap(cited(check, statement)))
    lines += ["", f"EVIDENCE ({len(check.evidence)} passages{cutoff_phrase(check)})"]
    for number, evidence in enumerate(check.evidence, start=1):
        lines.append(f"[{number}] {stance_tag(evidence).upper():8} {_source_line(evidence)}")
        lines.extend(wrap.wrap("    " + evidence.passage.text))
        if copies := carried_by(evidence):
            lines.extend(wrap.wrap(f"    ({copies})"))
    lines += ["", *check.notes] if check.notes else []
    return "\n".join(lines)


def one_line(text: str) -> str:
    """``text`` with each run of whitespace, line breaks included, as one space. In Markdown a heading ends at a
    line break, and a list item or a quoted passage at a blank line or a line that starts like a new block."""
    return " ".join(text.split())


def blockquote(text: str) -> str:
    """``text`` as one Markdown block quote: each of its lines marked, blank ones too, so its paragraphs stay in."""
    return "".join(f"> {line}".rstrip() + "\n" for line in text.strip().splitlines()) + "\n"


def _markdown(check: FactCheck) -> str:
    verdict = check.verdict
    lines = [
        one_line(f"# {headline(check)}"),
        "",
        f"**Claimant:** {one_line(claimant_line(check))}  ",
        f"**Verdict:** {verdict_line(verdict)}",
    ]
    for title, statements in sections(check):
        lines += ["", f"## {title}", ""]
        lines += [one_line(f"- {cited(check, statement)}") for statement in statements]
    lines += ["", f"## Evidence ({len(check.evidence)} passages{cutoff_phrase(check)})", ""]
    for number, evidence in enumerate(check.evidence, start=1):
        item = f"{number}. **{stance_tag(evidence)}** — {_source_line(evidence)}: “{evidence.passage.text}”"
        copies = carried_by(evidence)
        lines.append(one_line(item + (f" ({copies})" if copies else "")))
    return "\n".join(lines) + "\n"


_CSS = """
body{font:17px/1.55 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.6rem;line-height:1.25}.rating{display:inline-block;padding:.15rem .6rem;border:2px solid;
font:700 1rem system-ui,sans-serif;text-transform:uppercase}.claimant{color:#444}.meta{font:.85rem system-ui,sans-serif;
color:#555}ol.evidence li{margin-bottom:.8rem}.stance{font:600 .8rem system-ui,sans-serif;text-transform:uppercase}
sup a{text-decoration:none}.correction{border-left:4px solid #b35900;padding:.3rem .8rem;background:#fff6ec}
@media print{body{margin:0;max-width:none}a{color:inherit}}
"""


def render_html(
    check: FactCheck,
    claim_review: dict[str, Any] | None = None,
    corrections: tuple[str, ...] = (),
    archived: dict[str, str] | None = None,
) -> str:
    """A standalone, printable page; every piece of untrusted text is escaped, JSON-LD included."""
    e = escape
    verdict = check.verdict
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{e(headline(check))}</title><style>{_CSS}</style>",
    ]
    if claim_review is not None:
        payload = json.dumps(claim_review, ensure_ascii=False, indent=1)
        safe = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        parts.append(f'<script type="application/ld+json">{safe}</script>')
    parts += [
        "</head><body><main><article>",
        f'<p><span class="rating" aria-label="Rating">{e(verdict.rating)}</span></p>',
        f"<h1>{e(check.claim.text)}</h1>",
        f'<p class="claimant">{e(claimant_line(check))}</p>',
        f'<p class="meta">Verdict: {e(verdict_line(verdict))}. '
        f"Checked by factdesk {e(check.provenance.factdesk_version)} with {e(check.provenance.stance_model)}.</p>",
    ]
    parts += [f'<p class="correction" role="note">{e(note)}</p>' for note in corrections]
    for title, statements in sections(check):
        parts.append(f"<h2>{e(title)}</h2>")
        for statement in statements:
            marks = "".join(
                f'<sup><a href="#ev{n}" aria-label="evidence {n}">[{n}]</a></sup>'
                for n in citation_marks(check, statement)
            )
            parts.append(f"<p>{e(statement.text)}{marks}</p>")
    parts.append(f"<h2>Evidence ({len(check.evidence)} passages{e(cutoff_phrase(check))})</h2>")
    parts.append('<ol class="evidence">')
    for number, item in enumerate(check.evidence, start=1):
        doc = item.document
        source = e(source_name(item))
        link = f'<a href="{e(doc.url)}" rel="nofollow noopener">{source}</a>' if doc.url.startswith("http") else source
        copy = (archived or {}).get(item.passage.doc_id)
        snapshot = f' (<a href="{e(copy)}" class="archived">archived copy</a>)' if copy else ""
        copies = carried_by(item)
        parts.append(
            f'<li id="ev{number}"><span class="stance">{e(stance_tag(item))}</span> — {link}{snapshot}, '
            f"{e(format_date(doc.published))}<br><q>{e(item.passage.text)}</q>"
            + (f'<br><span class="meta">{e(copies)}</span>' if copies else "")
            + "</li>"
        )
    parts += ["</ol>", "</article></main></body></html>"]
    return "\n".join(parts) + "\n"

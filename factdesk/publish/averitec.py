"""The AVeriTeC shared-task submission format: claim, predicted label, and question–answer evidence."""

from __future__ import annotations

from typing import Any

from factdesk.explain.writer import format_date, source_name
from factdesk.records import FactCheck
from factdesk.text.terms import query_terms


def averitec_record(check: FactCheck) -> dict[str, Any]:
    topic = " ".join(query_terms(check.claim.text)[:6])
    return {
        "claim_id": check.claim.id,
        "claim": check.claim.text,
        "pred_label": check.verdict.label,
        "evidence": [
            {
                "question": e.question
                or f"What did {source_name(e)} report on {format_date(e.document.published)} about {topic}?",
                "answer": e.passage.text,
                "url": e.document.url,
                "scraped_text": e.passage.text,
            }
            for e in check.evidence
        ],
    }

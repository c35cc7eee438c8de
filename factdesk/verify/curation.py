"""An editor's curation of a check's evidence: a passage marked irrelevant is left out, and one marked with a stance
is read that way, whatever the models made of it. Each mark carries the editor's reason, which the check's notes
keep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from factdesk.errors import FactdeskError
from factdesk.records import STANCE_LABELS, Evidence

IRRELEVANT = "irrelevant"
MARKS: tuple[str, ...] = (IRRELEVANT, *STANCE_LABELS)


@dataclass(frozen=True, slots=True)
class Mark:
    """The editor's judgement of the passage ``doc_id[start:end]``: ``irrelevant``, or the stance it takes."""

    doc_id: str
    start: int
    end: int
    mark: str
    reason: str

    def __post_init__(self) -> None:
        if self.mark not in MARKS:
            raise FactdeskError(f"field 'mark': {self.mark!r} is not one of {', '.join(MARKS)}")
        if not self.reason.strip():
            raise FactdeskError("field 'reason': say why the passage is marked (the reason is kept on the record)")

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc_id, self.start, self.end)


def latest_marks(marks: Sequence[Mark]) -> dict[tuple[str, int, int], Mark]:
    """Each marked passage's latest mark (``marks`` oldest first)."""
    return {mark.key: mark for mark in marks}


def curate(evidence: Sequence[Evidence], marks: Sequence[Mark]) -> tuple[list[Evidence], list[str]]:
    """The evidence with the editor's marks applied (each passage's latest), and a note for each mark applied. A
    passage marked irrelevant is left out. A passage given a stance takes it as its stance and reading, wholly (the
    editor's, not a model's probability), and as fully relevant, so that it votes; the model's reading is named in
    the note."""
    by_passage = latest_marks(marks)
    kept, notes = [], []
    for item in evidence:
        mark = by_passage.get((item.passage.doc_id, item.passage.start, item.passage.end))
        if mark is None:
            kept.append(item)
            continue
        where = f"{item.document.outlet or item.document.id} ({item.passage.doc_id}:{mark.start}-{mark.end})"
        if mark.mark == IRRELEVANT:
            notes.append(f"The editor left out a passage of {where} as irrelevant: {mark.reason.strip()}")
            continue
        certain = {label: float(label == mark.mark) for label in STANCE_LABELS}
        kept.append(
            replace(
                item,
                stance=mark.mark,
                stance_probabilities=certain,
                reading=certain,
                scores={**item.scores, "relevance": 1.0, "editor": 1.0},
            )
        )
        notes.append(
            f"The editor read a passage of {where} as '{mark.mark}' (the models read '{item.stance}'):"
            f" {mark.reason.strip()}"
        )
    return kept, notes

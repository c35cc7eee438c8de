"""The desk's flow on fact-checks, between the check and its sign-off: the queue (by state, with filters, a
free-text search and pages), who a check is assigned to, an editor's marks on its passages and the documents added
to its evidence, the known-check match, and its editions. A stored check never changes: each re-run on curated
evidence, editor's ruling or edited justification is a new revision, the latest of which is the check as it now
stands (what is reviewed and published), and the model's verdicts stay in the history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.explain.render import verdict_line
from factdesk.explain.writer import TemplateWriter
from factdesk.publish.signoff import SignOff
from factdesk.records import Citation, FactCheck, Statement, Verdict
from factdesk.store import StoreBackend
from factdesk.store.desk import search_words
from factdesk.urls import domain
from factdesk.verify.curation import Mark

# The queue's states: a draft no one has taken up is new; one assigned or worked on (marked, re-run, edited, ruled
# on) is in progress; the rest are its sign-off's.
QUEUE_STATES: dict[str, str] = {
    "new": "new",
    "in-progress": "in progress",
    "in-review": "in review",
    "approved": "approved",
    "published": "published",
}
WORK = frozenset({"curate", "add-evidence"})  # desk events that put a draft in progress (with any revision)
EDITABLE = ("draft", "in-review")


@dataclass(frozen=True)
class QueueFilter:
    """Each filter given narrows the queue: a state, a claimant, an outlet (where the claim appeared, or a source
    weighed), a range of claim dates, a rating (or verdict label), an assignee, words in the check."""

    state: str = ""
    claimant: str = ""
    outlet: str = ""
    since: date | None = None
    until: date | None = None
    rating: str = ""
    assignee: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        if self.state and self.state not in QUEUE_STATES:
            raise FactdeskError(f"field 'state': {self.state!r} is not one of {', '.join(QUEUE_STATES)}")
        if self.since and self.until and self.since > self.until:
            raise FactdeskError("field 'since': the range starts after it ends ('until')")


@dataclass(frozen=True)
class QueueItem:
    id: int
    claim: str
    claimant: str
    claim_date: str | None
    outlets: list[str]
    label: str  # as the check now stands
    rating: str
    confidence: float | None  # None: the editor's ruling
    model_label: str  # the stored check's, the model's
    state: str
    assignee: str | None
    created_at: str


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def overrule(check: FactCheck, label: str, rating: str) -> FactCheck:
    """``check`` with the editor's ruling (``label``, ``rating``) over the model's verdict: the ruling has no
    confidence (it is no model's), the model's probabilities stay, and a note keeps the model's verdict and its
    confidence; the justification is written again for the ruling."""
    model = check.verdict
    verdict = Verdict(label, rating, None, model.probabilities)
    justification = TemplateWriter().run(check.claim, verdict, check.evidence)
    was = verdict_line(model) if model.confidence is not None else f"{model.rating} ({model.label})"
    notes = (*check.notes, f"The rating {rating} is the editor's ruling; the model's verdict was {was}.")
    return replace(check, verdict=verdict, justification=justification, notes=notes)


def current_check(store: StoreBackend, check_id: int) -> FactCheck:
    """The check as it now stands: its latest revision, or the stored check."""
    revisions = store.revisions(check_id)
    return store.revision(int(str(revisions[-1]["id"]))) if revisions else store.factcheck(check_id)


def parse_citations(text: str, where: str) -> tuple[Citation, ...]:
    """Citations written ``doc_id:start-end``, separated by ``;`` or new lines."""
    found = []
    for part in (p.strip() for p in text.replace("\n", ";").split(";")):
        if not part:
            continue
        doc_id, _, span = part.rpartition(":")
        start, _, end = span.partition("-")
        if not doc_id or not start.strip().isdigit() or not end.strip().isdigit():
            raise FactdeskError(f"{where}: {part!r} is not a citation; write doc_id:start-end")
        found.append(Citation(doc_id.strip(), int(start), int(end)))
    return tuple(found)


def outside_evidence(check: FactCheck, statement: Statement) -> str:
    """Why a sentence's citations are not spans of the check's evidence passages ("" when they all are)."""
    if not statement.citations and statement.kind != "verdict":
        return "cites no span of the evidence"
    for c in statement.citations:
        if not any(
            e.passage.doc_id == c.doc_id and e.passage.start <= c.start < c.end <= e.passage.end for e in check.evidence
        ):
            return f"cites {c.doc_id}:{c.start}-{c.end}, which is not within a passage of this check's evidence"
    return ""


class DeskWork:
    """The desk's flow over a store; every write is recorded as the acting user's (``store.acting_as``)."""

    def __init__(self, store: StoreBackend) -> None:
        self.store = store
        self.signoff = SignOff(store)

    # the queue

    def queue(self, filters: QueueFilter, page: int = 1, per_page: int = 25) -> QueuePage:
        """One page of the checks that pass ``filters``, newest first."""
        if page < 1 or not 1 <= per_page <= 200:
            raise FactdeskError("field 'page': pages start at 1, and hold 1 to 200 checks")
        states = self.signoff.states()
        assigned = self._assignees()
        latest = {int(str(r["factcheck_id"])): r for r in self.store.revisions()}
        worked = {int(str(e["factcheck_id"])) for e in self.store.desk_events() if e["kind"] in WORK} | set(latest)
        items = []
        for row in self.store.check_rows(search_words(filters.text)):
            check_id = int(str(row["id"]))
            now = latest.get(check_id, row)
            state = states.get(check_id) or ("in-progress" if check_id in worked or assigned.get(check_id) else "new")
            items.append(
                QueueItem(
                    id=check_id,
                    claim=str(row["claim"]),
                    claimant=str(row["claimant"]),
                    claim_date=None if row["claim_date"] is None else str(row["claim_date"]),
                    outlets=[*map(str, row["outlets"]), *_appearance(str(row["appearance_url"]))],  # type: ignore[call-overload]
                    label=str(now["label"]),
                    rating=str(now["rating"]),
                    confidence=None if now["confidence"] is None else float(str(now["confidence"])),
                    model_label=str(row["label"]),
                    state=state,
                    assignee=assigned.get(check_id),
                    created_at=str(row["created_at"]),
                )
            )
        kept = [item for item in items if _passes(item, filters)]
        first = (page - 1) * per_page
        return QueuePage(kept[first : first + per_page], len(kept), page, per_page)

    def _assignees(self) -> dict[int, str | None]:
        return {int(str(e["factcheck_id"])): e["detail"]["assignee"] for e in self.store.desk_events(kind="assign")}  # type: ignore[index]

    def assignee(self, check_id: int) -> str | None:
        return self._assignees().get(check_id)

    def assign(self, check_id: int, name: str | None) -> str | None:
        """Assigns the check to the active user ``name`` (None or "": to no one); returns their stored name."""
        stored = None
        if name:
            user = self.store.user(name.strip())
            if user is None or not user.active:
                raise FactdeskError(f"field 'assignee': no active user named {name.strip()!r}")
            stored = user.name
        self.signoff.state(check_id)  # an unknown check is an error
        self.store.add_desk_event(check_id, "assign", {"assignee": stored})
        return stored

    # curation

    def require_editable(self, check_id: int) -> None:
        state = self.signoff.state(check_id)
        if state not in EDITABLE:
            raise FactdeskError(
                f"fact-check {check_id} is {state}; it can be changed only as a draft or in review"
                + (" (publish a correction instead)" if state == "published" else " (send it back to draft first)")
            )

    def mark(self, check_id: int, mark: Mark) -> None:
        """Records the editor's mark on a passage of the check's evidence (as it now stands, or added to it)."""
        self.require_editable(check_id)
        check = current_check(self.store, check_id)
        original = self.store.factcheck(check_id)
        passages = {(e.passage.doc_id, e.passage.start, e.passage.end) for e in (*check.evidence, *original.evidence)}
        added = set(self.added(check_id))
        added_passages = {(p.doc_id, p.start, p.end) for d in added for p in self.store.passages(d)}
        if mark.key not in passages | added_passages:
            raise FactdeskError(
                f"{mark.doc_id}:{mark.start}-{mark.end} is not a passage of fact-check {check_id}'s evidence"
            )
        detail = {"doc_id": mark.doc_id, "start": mark.start, "end": mark.end, "mark": mark.mark, "reason": mark.reason}
        self.store.add_desk_event(check_id, "curate", detail)

    def marks(self, check_id: int) -> list[Mark]:
        return [
            Mark(str(d["doc_id"]), int(d["start"]), int(d["end"]), str(d["mark"]), str(d["reason"]))
            for d in (e["detail"] for e in self.store.desk_events(check_id, "curate"))  # type: ignore[union-attr]
        ]

    def add_evidence(self, check_id: int, doc_id: str) -> None:
        self.require_editable(check_id)
        if self.store.document(doc_id) is None:
            raise FactdeskError(f"no document {doc_id!r} in the store")
        self.store.add_desk_event(check_id, "add-evidence", {"doc_id": doc_id})

    def added(self, check_id: int) -> list[str]:
        return [str(e["detail"]["doc_id"]) for e in self.store.desk_events(check_id, "add-evidence")]  # type: ignore[index]

    # the known-check match

    def record_match(self, check_id: int, match: dict[str, Any] | None) -> None:
        """Keeps the known-check match found when the check was made (None: looked for, none found)."""
        self.store.add_desk_event(check_id, "known-match", {"match": match})

    def known_match(self, check_id: int) -> tuple[bool, dict[str, Any] | None]:
        """Whether a match was looked for, and the match found."""
        found = self.store.desk_events(check_id, "known-match")
        return (True, found[-1]["detail"]["match"]) if found else (False, None)  # type: ignore[index]

    # editions

    def history(self, check_id: int) -> list[dict[str, object]]:
        """The check's editions, oldest first: the stored one (the model's, kind "check"), then each revision."""
        model = self.store.factcheck(check_id)
        first = {"label": model.verdict.label, "rating": model.verdict.rating, "confidence": model.verdict.confidence}
        at = model.provenance.created.isoformat(timespec="seconds")
        return [
            {"kind": "check", **first, "note": "", "flags": [], "actor": None, "at": at},
            *self.store.revisions(check_id),
        ]

    def revise(self, check_id: int, kind: str, check: FactCheck, note: str = "", flags: Sequence[dict] = ()) -> int:
        self.require_editable(check_id)
        return self.store.add_revision(check_id, kind, check, note.strip(), flags)

    def rule(self, check_id: int, label: str, rating: str, note: str) -> int:
        """The editor's ruling over the check as it stands (a verdict label and this scale's rating of it)."""
        if not note.strip():
            raise FactdeskError("field 'note': say why the editor rules otherwise (it is kept on the record)")
        return self.revise(check_id, "ruling", overrule(current_check(self.store, check_id), label, rating), note)

    def flags(self, check_id: int) -> list[dict[str, object]]:
        """The unsupported sentences of the check as it stands (none unless an edited justification has them)."""
        revisions = self.store.revisions(check_id)
        return list(revisions[-1]["flags"]) if revisions else []  # type: ignore[call-overload]


def _appearance(url: str) -> list[str]:
    return [domain(url)] if url and domain(url) else []


def _passes(item: QueueItem, f: QueueFilter) -> bool:
    day = date.fromisoformat(item.claim_date) if item.claim_date else None
    return (
        (not f.state or item.state == f.state)
        and (not f.claimant or f.claimant.casefold() in item.claimant.casefold())
        and (not f.outlet or any(f.outlet.casefold() in o.casefold() for o in item.outlets))
        and (not f.since or (day is not None and day >= f.since))
        and (not f.until or (day is not None and day <= f.until))
        and (not f.rating or f.rating.casefold() in (item.rating.casefold(), item.label.casefold()))
        and (not f.assignee or (item.assignee or "").casefold() == f.assignee.casefold())
    )

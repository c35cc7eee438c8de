"""The desk's work on fact-checks: append-only events (an assignment, an editor's mark on a passage, a document added
to a check's evidence, the known-check match found for it) and revisions (the check ruled again on curated
evidence, the editor's ruling, an edited justification), each with who made it and when."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.records import FactCheck
from factdesk.store.audit import actor, audit, now
from factdesk.store.checks import by_reference, referenced_ids, with_documents
from factdesk.store.documents import Documents

REVISION_COLUMNS = "id, factcheck_id, kind, label, rating, confidence, note, flags, actor, at"


def event_row(row: dict[str, Any]) -> dict[str, object]:
    return {**row, "detail": json.loads(row["detail"])}


def revision_row(row: dict[str, Any]) -> dict[str, object]:
    return {**row, "flags": json.loads(row["flags"])}


def search_words(text: str) -> list[str]:
    """The words of a free-text search, lower-cased, as LIKE patterns (``%``, ``_`` and ``\\`` escaped)."""
    escaped = (w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in text.lower().split())
    return [f"%{word}%" for word in escaped]


class Desk(Documents):
    def _require_check(self, check_id: int) -> None:
        if self._conn.execute("SELECT 1 FROM factchecks WHERE id = ?", (check_id,)).fetchone() is None:
            raise FactdeskError(f"no fact-check with id {check_id} in {self.root}")

    def add_desk_event(self, check_id: int, kind: str, detail: dict[str, object]) -> None:
        """Records ``kind`` (its audit action too) on fact-check ``check_id`` by the acting user."""
        self._require_check(check_id)
        text = json.dumps(detail, ensure_ascii=False)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO desk_events (factcheck_id, kind, detail, actor, at) VALUES (?,?,?,?,?)",
                (check_id, kind, text, actor(), now()),
            )
            audit(conn, kind, {"factcheck": check_id, **detail})

    def desk_events(self, check_id: int | None = None, kind: str | None = None) -> list[dict[str, object]]:
        """Events oldest first (of one check, of one kind): factcheck_id, kind, detail, actor, at."""
        rows = self._conn.execute(
            "SELECT factcheck_id, kind, detail, actor, at FROM desk_events"
            " WHERE (? IS NULL OR factcheck_id = ?) AND (? IS NULL OR kind = ?) ORDER BY id",
            (check_id, check_id, kind, kind),
        )
        return [event_row(dict(row)) for row in rows]

    def add_revision(
        self, check_id: int, kind: str, check: FactCheck, note: str = "", flags: Sequence[dict[str, object]] = ()
    ) -> int:
        """Keeps a new edition of fact-check ``check_id`` (the stored check itself never changes); returns its id."""
        self._require_check(check_id)
        payload, _ = by_reference(check, self.documents(e.document.id for e in check.evidence))
        verdict = check.verdict
        with self.transaction() as conn:
            revision = conn.execute(
                "INSERT INTO revisions (factcheck_id, kind, label, rating, confidence, payload, note, flags, actor, at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    check_id,
                    kind,
                    verdict.label,
                    verdict.rating,
                    verdict.confidence,
                    json.dumps(payload, ensure_ascii=False),
                    note,
                    json.dumps(list(flags), ensure_ascii=False),
                    actor(),
                    now(),
                ),
            ).lastrowid
            audit(conn, kind, {"factcheck": check_id, "revision": revision, "label": verdict.label, "note": note})
        assert revision is not None
        return revision

    def revisions(self, check_id: int | None = None) -> list[dict[str, object]]:
        """Revisions oldest first (of one check), without their checks: id, factcheck_id, kind, label, rating,
        confidence (None: an editor's ruling), note, flags (the sentences the citation checker found unsupported),
        actor, at."""
        rows = self._conn.execute(
            f"SELECT {REVISION_COLUMNS} FROM revisions WHERE (? IS NULL OR factcheck_id = ?) ORDER BY id",
            (check_id, check_id),
        )
        return [revision_row(dict(row)) for row in rows]

    def revision(self, revision_id: int) -> FactCheck:
        row = self._conn.execute("SELECT payload FROM revisions WHERE id = ?", (revision_id,)).fetchone()
        if row is None:
            raise FactdeskError(f"no revision with id {revision_id} in {self.root}")
        payload = json.loads(row[0])
        return with_documents(payload, self.documents(referenced_ids(payload)), f"revision {revision_id}")

    def check_rows(self, words: Sequence[str] = ()) -> list[dict[str, object]]:
        """Every stored fact-check, newest first, whose claim or record holds each of ``words`` (``search_words``):
        id, claim, claimant, claimant_role, claim_date, appearance_url, label, rating, confidence, created_at, and
        outlets (of the documents it weighed)."""
        where = " AND ".join("(lower(c.text) LIKE ? ESCAPE '\\' OR lower(f.payload) LIKE ? ESCAPE '\\')" for _ in words)
        rows = self._conn.execute(
            "SELECT f.id, c.text AS claim, c.claimant, c.claimant_role, c.claim_date, c.appearance_url, f.label,"
            " f.rating, f.confidence, f.created_at,"
            " (SELECT json_group_array(DISTINCT d.outlet) FROM factcheck_documents fd"
            "  JOIN documents d ON d.id = fd.doc_id WHERE fd.factcheck_id = f.id AND d.outlet != '') AS outlets"
            f" FROM factchecks f JOIN claims c ON c.id = f.claim_id {'WHERE ' + where if where else ''}"
            " ORDER BY f.id DESC",
            [pattern for word in words for pattern in (word, word)],
        )
        return [{**dict(row), "outlets": sorted(json.loads(row["outlets"] or "[]"))} for row in rows]

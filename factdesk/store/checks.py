"""Claims, their fact-checks and publications. A stored check names the documents it weighed by id; the store
holds their text once."""

from __future__ import annotations

import json
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.records import Claim, Document, FactCheck, factcheck_from_jsonable, to_jsonable
from factdesk.store.audit import audit, now
from factdesk.store.documents import Documents


def claim_row(claim: Claim) -> tuple[object, ...]:
    """The ``claims`` row of ``claim``, without its id: external id, text, claimant, role, date, URL, now."""
    date = claim.date.isoformat() if claim.date else None
    return (claim.id, claim.text, claim.claimant, claim.claimant_role, date, claim.appearance_url, now())


def publication_action(version: int) -> str:
    """How the audit log names publishing ``version`` of a slug: the first is published, later ones correct it."""
    return "publish" if version == 1 else "correct"


def by_reference(check: FactCheck, stored: dict[str, Document]) -> tuple[dict[str, Any], list[str]]:
    """The check as JSON, each evidence document that the store holds as weighed (``stored``) named by
    ``document_id``; a document it does not hold (or holds otherwise) is kept whole."""
    payload = to_jsonable(check)
    referenced: dict[str, None] = {}
    for item, evidence in zip(payload["evidence"], check.evidence, strict=True):
        if stored.get(evidence.document.id) == evidence.document:
            del item["document"]
            item["document_id"] = evidence.document.id
            referenced[evidence.document.id] = None
    return payload, list(referenced)


def referenced_ids(payload: dict[str, Any]) -> list[str]:
    """The documents a stored check names by id."""
    return [item["document_id"] for item in payload["evidence"] if "document_id" in item]


def with_documents(payload: dict[str, Any], stored: dict[str, Document], where: str) -> FactCheck:
    """The stored check ``payload`` with each document it names by id put back from ``stored``."""
    for item in payload["evidence"]:
        if "document_id" in item:
            doc_id = item.pop("document_id")
            if doc_id not in stored:
                raise FactdeskError(f"{where} cites document {doc_id!r}, not stored")
            item["document"] = to_jsonable(stored[doc_id])
    return factcheck_from_jsonable(payload)


class Checks(Documents):
    def add_factcheck(self, check: FactCheck) -> int:
        claim = check.claim
        payload, referenced = by_reference(check, self.documents(e.document.id for e in check.evidence))
        with self.transaction() as conn:
            claim_id = conn.execute(
                "INSERT INTO claims (external_id, text, claimant, claimant_role, claim_date, appearance_url,"
                " created_at) VALUES (?,?,?,?,?,?,?)",
                claim_row(claim),
            ).lastrowid
            check_id = conn.execute(
                "INSERT INTO factchecks (claim_id, label, rating, confidence, payload, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (
                    claim_id,
                    check.verdict.label,
                    check.verdict.rating,
                    check.verdict.confidence,
                    json.dumps(payload, ensure_ascii=False),
                    now(),
                ),
            ).lastrowid
            conn.executemany("INSERT INTO factcheck_documents VALUES (?, ?)", [(check_id, d) for d in referenced])
            audit(conn, "check", {"factcheck": check_id, "claim": claim.text, "label": check.verdict.label})
        assert check_id is not None
        return check_id

    def factcheck(self, check_id: int) -> FactCheck:
        row = self._conn.execute("SELECT payload FROM factchecks WHERE id = ?", (check_id,)).fetchone()
        if row is None:
            raise FactdeskError(f"no fact-check with id {check_id} in {self.root}")
        payload = json.loads(row[0])
        return with_documents(payload, self.documents(referenced_ids(payload)), f"fact-check {check_id} in {self.root}")

    def recent_factchecks(self, limit: int = 50) -> list[dict[str, object]]:
        """The newest stored fact-checks: id, claim, claimant, claim date, label, rating, confidence, created."""
        rows = self._conn.execute(
            "SELECT f.id, c.text AS claim, c.claimant, c.claim_date, f.label, f.rating, f.confidence, f.created_at"
            " FROM factchecks f JOIN claims c ON c.id = f.claim_id ORDER BY f.id DESC LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows]

    def claimant_history(self, name: str) -> list[dict[str, object]]:
        """Each stored check of a claim by ``name`` (case-insensitive), oldest claim first, undated last."""
        rows = self._conn.execute(
            "SELECT f.id AS check_id, c.text, c.claimant, c.claimant_role, c.claim_date, f.label, f.rating,"
            " f.confidence, f.created_at FROM claims c JOIN factchecks f ON f.claim_id = c.id"
            " WHERE c.claimant = ? COLLATE NOCASE"
            " ORDER BY c.claim_date IS NULL, c.claim_date, f.created_at, f.id",
            (name.strip(),),
        )
        return [dict(row) for row in rows]

    def add_publication(self, slug: str, version: int, check_id: int, payload: dict[str, object]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO publications (slug, version, factcheck_id, published_at, payload) VALUES (?,?,?,?,?)",
                (slug, version, check_id, now(), json.dumps(payload, ensure_ascii=False)),
            )
            audit(conn, publication_action(version), {"slug": slug, "version": version, "factcheck": check_id})

    def publications(self, slug: str | None = None, check_id: int | None = None) -> list[dict[str, object]]:
        """Publications, oldest first, optionally of one slug or one fact-check."""
        rows = self._conn.execute(
            "SELECT slug, version, factcheck_id, published_at, payload FROM publications"
            " WHERE (? IS NULL OR slug = ?) AND (? IS NULL OR factcheck_id = ?) ORDER BY slug, version",
            (slug, slug, check_id, check_id),
        )
        return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]

    def audit_log(self) -> list[dict[str, str | None]]:
        rows = self._conn.execute("SELECT at, actor, action, detail FROM audit_log ORDER BY id")
        return [dict(row) for row in rows]

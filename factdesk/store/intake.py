"""Claim intake: imported fact-checks (reviews) and cached claim embeddings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from factdesk.store.audit import audit, now
from factdesk.store.base import StoreBase


@dataclass(frozen=True, slots=True)
class Review:
    """An earlier fact-check, e.g. from a ClaimReview record: what was checked and how it was rated."""

    url: str
    claim_reviewed: str
    rating: str
    claimant: str = ""
    claim_date: date | None = None
    review_date: date | None = None
    publisher: str = ""
    language: str = ""
    payload: dict[str, object] = field(default_factory=dict)


def review_from_row(row: Mapping[str, Any]) -> Review:
    """A review from its ``reviews`` row (either backend's)."""
    return Review(
        url=row["url"],
        claim_reviewed=row["claim_reviewed"],
        rating=row["rating"],
        claimant=row["claimant"],
        claim_date=date.fromisoformat(row["claim_date"]) if row["claim_date"] else None,
        review_date=date.fromisoformat(row["review_date"]) if row["review_date"] else None,
        publisher=row["publisher"],
        language=row["language"],
        payload=json.loads(row["payload"]),
    )


class Intake(StoreBase):
    def add_reviews(self, reviews: Iterable[Review], source: str) -> tuple[int, int]:
        """Adds fact-checks from ``source``; (added, already stored), deduplicated by url + claim reviewed."""
        added = duplicates = 0
        with self.transaction() as conn:
            for review in reviews:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO reviews (url, claim_reviewed, rating, claimant, claim_date, review_date,"
                    " publisher, language, source, payload, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        review.url,
                        review.claim_reviewed,
                        review.rating,
                        review.claimant,
                        review.claim_date.isoformat() if review.claim_date else None,
                        review.review_date.isoformat() if review.review_date else None,
                        review.publisher,
                        review.language,
                        source,
                        json.dumps(review.payload, ensure_ascii=False),
                        now(),
                    ),
                )
                added += cursor.rowcount
                duplicates += 1 - cursor.rowcount
            if added:
                audit(conn, "import-reviews", {"source": source, "added": added, "duplicates": duplicates})
        return added, duplicates

    def reviews(self, claimant: str | None = None) -> list[Review]:
        """Imported fact-checks in import order, optionally of one claimant (case-insensitive)."""
        rows = self._conn.execute(
            "SELECT * FROM reviews WHERE ? IS NULL OR claimant = ? COLLATE NOCASE ORDER BY id",
            (claimant and claimant.strip(), claimant and claimant.strip()),
        )
        return [review_from_row(row) for row in rows]

    def vectors(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        """Cached embeddings of ``model`` by text key."""
        found: dict[str, bytes] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})", (model, *chunk)
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def add_vectors(self, model: str, vectors: Iterable[tuple[str, bytes]]) -> None:
        if self.read_only:
            return  # a cache: a read-only store is read from, never added to
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO embeddings (model, key, vector) VALUES (?,?,?)",
                ((model, key, vector) for key, vector in vectors),
            )

"""Earlier fact-checks: ClaimReview JSON-LD files read into Review records, and the store's known checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from factdesk.errors import FactdeskError, InputProblem
from factdesk.ingest.readers import parse_iso_date
from factdesk.store import Review, StoreBackend

REVIEW_SUFFIXES = {".json", ".jsonld", ".jsonl", ".ndjson"}


@dataclass(frozen=True, slots=True)
class ReviewItem:
    review: Review | None
    problem: InputProblem | None


@dataclass(frozen=True, slots=True)
class KnownCheck:
    """A claim already checked, by an imported ClaimReview (``source="review"``) or by factdesk itself
    (``source="factdesk"``, the latest published version)."""

    claim: str
    url: str
    rating: str
    claimant: str
    claim_date: date | None
    publisher: str
    source: str


def review_files(paths: list[Path]) -> tuple[list[Path], list[InputProblem]]:
    """Files named directly, and .json/.jsonld/.jsonl files under folders, in a stable order."""
    files: list[Path] = []
    problems: list[InputProblem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in REVIEW_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(InputProblem(str(path), None, "no such file or directory"))
    return files, problems


def read_reviews(path: Path) -> Iterator[ReviewItem]:
    """ClaimReview records from a file holding one JSON object, a JSON array, or one object per line (JSONL).
    A ``@graph`` list is unpacked. Bad records are problems naming ``file:line`` or ``file: record N``."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield ReviewItem(None, InputProblem(where, None, f"cannot read: {exc.strerror or exc}"))
        return
    if b"\x00" in raw:
        yield ReviewItem(None, InputProblem(where, None, "binary file (contains NUL bytes)"))
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield ReviewItem(None, InputProblem(where, line, "not valid UTF-8"))
        return
    if not text.strip():
        yield ReviewItem(None, InputProblem(where, None, "empty file; expected ClaimReview JSON-LD"))
        return
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        if _first_line_is_json(text):
            yield from _jsonl(where, text)
        else:
            yield ReviewItem(None, InputProblem(where, exc.lineno, f"invalid JSON ({exc.msg} at column {exc.colno})"))
        return
    if not isinstance(whole, list):
        yield from (_item(record, where, None) for record in _unpack(whole))
        return
    for number, record in enumerate(whole, start=1):
        yield from (_item(review, f"{where}: record {number}", None) for review in _unpack(record))


def _first_line_is_json(text: str) -> bool:
    first = next(line for line in text.splitlines() if line.strip())
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return True


def _jsonl(where: str, text: str) -> Iterator[ReviewItem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ReviewItem(None, InputProblem(where, number, f"invalid JSON ({exc.msg} at column {exc.colno})"))
            continue
        yield from (_item(review, where, number) for review in _unpack(record))


def _unpack(record: object) -> list[object]:
    if isinstance(record, dict) and isinstance(record.get("@graph"), list):
        return list(record["@graph"])
    return [record]


def _item(record: object, where: str, line: int | None) -> ReviewItem:
    try:
        return ReviewItem(_review(record), None)
    except ValueError as exc:
        return ReviewItem(None, InputProblem(where, line, str(exc)))


def _review(record: object) -> Review:
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    kinds = record.get("@type", "ClaimReview")
    if "ClaimReview" not in (kinds if isinstance(kinds, list) else [kinds]):
        raise ValueError(f"not a ClaimReview (@type {kinds!r})")
    url = _required_text(record, "url")
    claim = _required_text(record, "claimReviewed")
    item = record.get("itemReviewed") or {}
    if not isinstance(item, dict):
        raise ValueError("field 'itemReviewed': expected an object")
    return Review(
        url=url,
        claim_reviewed=" ".join(claim.split()),
        rating=_rating(record.get("reviewRating")),
        claimant=_name(item.get("author"), "itemReviewed.author"),
        claim_date=_date(item.get("datePublished"), "itemReviewed.datePublished"),
        review_date=_date(record.get("datePublished"), "datePublished"),
        publisher=_name(record.get("author"), "author"),
        language=_name(record.get("inLanguage"), "inLanguage"),
        payload=record,
    )


def _required_text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"field {name!r}: missing or empty")
    if not isinstance(value, str):
        raise ValueError(f"field {name!r}: expected a string, got {type(value).__name__}")
    return value.strip()


def _rating(value: object) -> str:
    """``alternateName`` (the textual rating), else ``ratingValue`` on its ``worstRating``–``bestRating`` scale."""
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, dict):
        raise ValueError("field 'reviewRating': missing; expected an object with 'alternateName' or 'ratingValue'")
    name = value.get("alternateName") or value.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    score = value.get("ratingValue")
    if isinstance(score, int | float | str) and not isinstance(score, bool) and str(score).strip():
        best = value.get("bestRating")
        return f"{score}/{best}" if best is not None else str(score)
    raise ValueError("field 'reviewRating': no 'alternateName' or 'ratingValue'")


def _name(value: object, field: str) -> str:
    """A string, an object's ``name``, or the first of a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {field!r}: expected a name, got {type(value).__name__}")
    return value.strip()


def _date(value: object, field: str) -> date | None:
    """YYYY-MM-DD, or the date part of an ISO date-time."""
    if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        value = value[:10]
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise ValueError(f"field {field!r}: {exc}") from None


def known_checks(store: StoreBackend) -> list[KnownCheck]:
    """Imported reviews, then the latest published version of each of factdesk's own checks."""
    known = [
        KnownCheck(r.claim_reviewed, r.url, r.rating, r.claimant, r.claim_date, r.publisher, "review")
        for r in store.reviews()
    ]
    latest: dict[str, dict[str, Any]] = {}
    for row in store.publications():
        latest[str(row["slug"])] = row["payload"]  # type: ignore[assignment]
    for payload in latest.values():
        try:
            review = _review(payload["claim_review"])
        except (KeyError, ValueError) as exc:
            raise FactdeskError(f"a stored publication has a malformed ClaimReview: {exc}") from None
        known.append(
            KnownCheck(
                review.claim_reviewed,
                review.url,
                review.rating,
                review.claimant,
                review.claim_date,
                review.publisher,
                "factdesk",
            )
        )
    return known

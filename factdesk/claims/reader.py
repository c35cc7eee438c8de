"""Reads batch claims (JSONL) into Claim records, reporting bad lines by file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from factdesk.errors import FactdeskError, InputProblem
from factdesk.ingest.readers import parse_iso_date
from factdesk.records import Claim


@dataclass(frozen=True, slots=True)
class ClaimItem:
    claim: Claim | None
    problem: InputProblem | None


def parse_claim_date(value: str | None, name: str = "--date") -> date | None:
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise FactdeskError(f"{name}: {exc}") from None


def read_claims(path: Path) -> Iterator[ClaimItem]:
    """Each line: ``{"id", "claim", "claimant"?, "claimant_role"?, "date"?, "appearance_url"?}``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FactdeskError(f"{path}: cannot read claims: {exc.strerror or exc}") from None
    if not raw.strip():
        raise FactdeskError(f"{path}: empty file; expected one JSON claim per line")
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield ClaimItem(_claim(json.loads(line.decode("utf-8"))), None)
        except UnicodeDecodeError:
            yield ClaimItem(None, InputProblem(str(path), number, "not valid UTF-8"))
        except json.JSONDecodeError as exc:
            yield ClaimItem(None, InputProblem(str(path), number, f"invalid JSON ({exc.msg} at column {exc.colno})"))
        except ValueError as exc:
            yield ClaimItem(None, InputProblem(str(path), number, str(exc)))


def _claim(record: object) -> Claim:
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    claim_id = record.get("id")
    if isinstance(claim_id, int) and not isinstance(claim_id, bool):
        claim_id = str(claim_id)
    if not isinstance(claim_id, str) or not claim_id.strip():
        raise ValueError("field 'id': missing or empty")
    text = record.get("claim")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"field 'claim': missing or empty (claim {claim_id!r})")
    strings = {}
    for name in ("claimant", "claimant_role", "appearance_url"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"field {name!r}: expected a string, got {type(value).__name__}")
        strings[name] = (value or "").strip()
    try:
        claim_date = parse_iso_date(record.get("date"))
    except ValueError as exc:
        raise ValueError(f"field 'date': {exc}") from None
    return Claim(
        text=text.strip(),
        claimant=strings["claimant"],
        claimant_role=strings["claimant_role"],
        date=claim_date,
        appearance_url=strings["appearance_url"],
        id=claim_id.strip(),
    )

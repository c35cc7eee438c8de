"""The append-only audit log: each write that changes what the desk knows or said is recorded with its time."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def audit(conn: sqlite3.Connection, action: str, detail: dict[str, object]) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, action, detail) VALUES (?,?,?)",
        (now(), action, json.dumps(detail, ensure_ascii=False)),
    )

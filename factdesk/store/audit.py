"""The append-only audit log: each write that changes what the desk knows or said is recorded with its time and
who made it (the name set with ``acting_as``; none for the command line, run by whoever holds the store)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_ACTOR: ContextVar[str | None] = ContextVar("factdesk_actor", default=None)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def actor() -> str | None:
    """Who the writes made here are recorded as, in this thread (or task)."""
    return _ACTOR.get()


@contextmanager
def acting_as(name: str | None) -> Iterator[None]:
    """Records the writes made inside the block, in this thread (or task), as ``name``'s."""
    token = _ACTOR.set(name)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def audit(conn: sqlite3.Connection, action: str, detail: dict[str, object]) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?,?,?,?)",
        (now(), actor(), action, json.dumps(detail, ensure_ascii=False)),
    )

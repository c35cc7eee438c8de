"""What the workbench's server keeps so that a restart loses nothing: sign-in sessions (by a SHA-256 digest of their
id, never the id itself; times in seconds of the server's clock) and background jobs (checks, re-runs, ingests:
who started them, on what, how far they got and what came of them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from factdesk.store.base import StoreBase

JobState = Literal["queued", "running", "done", "failed"]
UNFINISHED: tuple[JobState, ...] = ("queued", "running")
SESSION_COLUMNS = "user_name, csrf, created, seen"
JOB_COLUMNS = "id, kind, user_name, input_text, params, state, submitted, started, finished, check_id, summary, error"


@dataclass(frozen=True, slots=True)
class StoredSession:
    user: str | None  # None: signed out (a login form's session, holding its CSRF token)
    csrf: str
    created: float
    seen: float


@dataclass(slots=True)
class Job:
    """A background job as recorded: ``claim`` is what it works on (the claim checked, or what is ingested);
    ``params`` what it needs to be run again after a restart."""

    id: int
    kind: str  # "check", "rerun" or "ingest"
    user: str  # who started it; what it stores is audited as theirs
    claim: str
    submitted: float
    params: dict[str, Any] = field(default_factory=dict)
    state: JobState = "queued"
    started: float | None = None
    finished: float | None = None
    check_id: int | None = None
    summary: str | None = None  # what a job that made no fact-check did (an ingest)
    error: str | None = None

    def elapsed(self, now: float) -> float:
        """Seconds since the job was submitted, up to when it finished."""
        return round(max(0.0, (self.finished or now) - self.submitted), 2)


def session_from_row(row: Mapping[str, Any]) -> StoredSession:
    return StoredSession(row["user_name"], row["csrf"], float(row["created"]), float(row["seen"]))


def job_from_row(row: Mapping[str, Any]) -> Job:
    return Job(
        id=int(row["id"]),
        kind=row["kind"],
        user=row["user_name"],
        claim=row["input_text"],
        submitted=float(row["submitted"]),
        params=json.loads(row["params"]),
        state=row["state"],
        started=row["started"],
        finished=row["finished"],
        check_id=row["check_id"],
        summary=row["summary"],
        error=row["error"],
    )


class Serving(StoreBase):
    # sessions

    def add_session(self, key: str, session: StoredSession) -> None:
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO sessions (key, {SESSION_COLUMNS}) VALUES (?,?,?,?,?)",
                (key, session.user, session.csrf, session.created, session.seen),
            )

    def session(self, key: str) -> StoredSession | None:
        row = self._conn.execute(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE key = ?", (key,)).fetchone()
        return session_from_row(row) if row else None

    def touch_session(self, key: str, seen: float) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET seen = ? WHERE key = ?", (seen, key))

    def end_sessions(self, key: str | None = None, user: str | None = None) -> int:
        """Deletes the session with digest ``key``, or every session of ``user`` (in any case); returns how many."""
        with self.transaction() as conn:
            if key is not None:
                return conn.execute("DELETE FROM sessions WHERE key = ?", (key,)).rowcount
            return conn.execute("DELETE FROM sessions WHERE lower(user_name) = lower(?)", (user,)).rowcount

    def prune_sessions(self, seen_before: float, created_before: float, keep: int) -> int:
        """Deletes sessions unused since ``seen_before``, signed-in ones begun before ``created_before``, and then
        all but the ``keep`` most recently used; returns how many."""
        with self.transaction() as conn:
            ended = conn.execute(
                "DELETE FROM sessions WHERE seen < ? OR (user_name IS NOT NULL AND created < ?)",
                (seen_before, created_before),
            ).rowcount
            ended += conn.execute(
                "DELETE FROM sessions WHERE key NOT IN (SELECT key FROM sessions ORDER BY seen DESC LIMIT ?)", (keep,)
            ).rowcount
        return ended

    # jobs

    def add_job(self, kind: str, user: str, claim: str, params: Mapping[str, Any], submitted: float) -> Job:
        with self.transaction() as conn:
            job_id = conn.execute(
                "INSERT INTO jobs (kind, user_name, input_text, params, state, submitted) VALUES (?,?,?,?,?,?)",
                (kind, user, claim, json.dumps(params, ensure_ascii=False), "queued", submitted),
            ).lastrowid
        assert job_id is not None
        return Job(job_id, kind, user, claim, submitted, dict(params))

    def job(self, job_id: int) -> Job | None:
        row = self._conn.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return job_from_row(row) if row else None

    def jobs(self, user: str | None = None, states: tuple[JobState, ...] = (), limit: int = 100) -> list[Job]:
        """Jobs of ``user`` (or everyone's) in ``states`` (or any), newest first."""
        marks = ",".join("?" * len(states))
        rows = self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE (? IS NULL OR user_name = ?)"
            + (f" AND state IN ({marks})" if states else "")
            + " ORDER BY id DESC LIMIT ?",
            (user, user, *states, limit),
        )
        return [job_from_row(row) for row in rows]

    def update_job(self, job: Job) -> None:
        """Records a job's state, times and outcome."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, started = ?, finished = ?, check_id = ?, summary = ?, error = ?"
                " WHERE id = ?",
                (job.state, job.started, job.finished, job.check_id, job.summary, job.error, job.id),
            )

"""Checks (and re-runs of checks on curated evidence) as background jobs: a pool of worker threads, each with its own
FactDesk (one model load per worker, one store connection per worker), so a check never holds up a page and the
store sees each worker's writes as its own transactions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from factdesk.errors import FactdeskError
from factdesk.pipeline import FactDesk
from factdesk.store import acting_as

log = logging.getLogger("factdesk.workbench")

State = Literal["queued", "running", "done", "failed"]
Work = Callable[[FactDesk], int | str]  # what a job does with its worker's desk: a fact-check's id, or what it did


@dataclass
class Job:
    id: int
    claim: str
    user: str  # who started it; the stored check is audited as theirs
    submitted: float
    kind: str = "check"  # or "rerun", "ingest"
    state: State = "queued"
    started: float | None = None
    finished: float | None = None
    check_id: int | None = None
    summary: str | None = None  # what a job that made no fact-check did (an ingest)
    error: str | None = None

    def elapsed(self, now: float) -> float:
        """Seconds since the job was submitted, up to when it finished."""
        return round((self.finished or now) - self.submitted, 2)


class Jobs:
    """Runs jobs on ``workers`` threads; each thread opens its own desk with ``open_desk`` on first use."""

    def __init__(self, open_desk: Callable[[], FactDesk], workers: int = 1) -> None:
        self._open_desk = open_desk
        self._local = threading.local()
        self._desks: list[FactDesk] = []
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="factdesk-check")

    def start(
        self, claim: str, user: str, work: Work, announce: Callable[[Job], None] | None = None, kind: str = "check"
    ) -> Job:
        """Queues ``work`` on ``claim`` for ``user``; ``announce`` is called with the job before it can run."""
        with self._lock:
            job = Job(id=len(self._jobs) + 1, claim=claim, user=user, submitted=time.monotonic(), kind=kind)
            self._jobs[job.id] = job
        if announce is not None:
            announce(job)
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: int) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise FactdeskError(f"no job with id {job_id}")
        return job

    def of(self, user: str, limit: int = 100) -> list[Job]:
        """``user``'s newest jobs, newest first."""
        with self._lock:
            return [job for job in reversed(self._jobs.values()) if job.user == user][:limit]

    def close(self) -> None:
        """Waits for running checks, drops queued ones, and closes the workers' desks."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for desk in self._desks:
            desk.close()

    def _desk(self) -> FactDesk:
        desk: FactDesk | None = getattr(self._local, "desk", None)
        if desk is None:
            desk = self._local.desk = self._open_desk()
            with self._lock:
                self._desks.append(desk)
        return desk

    def _run(self, job: Job, work: Work) -> None:
        job.started, job.state = time.monotonic(), "running"
        try:
            with acting_as(job.user):
                result = work(self._desk())
            if isinstance(result, int):
                job.check_id = result
            else:
                job.summary = result
            job.state = "done"
        except Exception as exc:  # a failed check is reported on its job; the worker goes on to the next
            log.exception("%s job %d failed", job.kind, job.id)
            job.error = str(exc) if isinstance(exc, FactdeskError) else f"{type(exc).__name__}: {exc}"
            job.state = "failed"
        finally:
            job.finished = time.monotonic()

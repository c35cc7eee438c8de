"""Checks, re-runs of checks on curated evidence and ingests as background jobs: a pool of worker threads, each with
its own FactDesk (one model load per worker, one store connection per worker), so a job never holds up a page and
the store sees each worker's writes as its own transactions. Every job is recorded in the store as it is queued,
starts and ends; one left queued or running by a server that stopped is queued again when the next one starts (a
check, re-run or ingest is safe to run again), or marked failed, saying why, when it cannot be."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.pipeline import FactDesk
from factdesk.store import StoreBackend, acting_as
from factdesk.store.serving import UNFINISHED, Job

log = logging.getLogger("factdesk.workbench")

Work = Callable[[FactDesk], int | str]  # what a job does with its worker's desk: a fact-check's id, or what it did
Rebuild = Callable[[Job], Work | str]  # a stopped job's work again, or why it cannot be run again


class Jobs:
    """Runs jobs on ``workers`` threads; each thread opens its own desk with ``open_desk`` on first use. ``store``
    (a connection of its own, used one call at a time) records the jobs."""

    def __init__(self, open_desk: Callable[[], FactDesk], store: StoreBackend, workers: int = 1) -> None:
        self._open_desk = open_desk
        self._store = store
        self._local = threading.local()
        self._desks: list[FactDesk] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="factdesk-check")

    def start(
        self,
        kind: str,
        claim: str,
        user: str,
        params: Mapping[str, Any],
        work: Work,
        announce: Callable[[Job], None] | None = None,
    ) -> Job:
        """Records and queues ``work`` on ``claim`` for ``user``; ``params`` is what running it again needs.
        ``announce`` is called with the job before it can run."""
        with self._lock:
            job = self._store.add_job(kind, user, claim, params, time.time())
        if announce is not None:
            announce(job)
        self._pool.submit(self._run, job, work)
        return job

    def resume(self, rebuild: Rebuild) -> list[Job]:
        """Queues again each job a server that stopped left queued or running, oldest first; one whose work cannot
        be rebuilt is marked failed with the reason. Returns those jobs, as now recorded."""
        with self._lock:
            stopped = sorted(self._store.jobs(states=UNFINISHED, limit=1_000_000), key=lambda job: job.id)
        for job in stopped:
            work = rebuild(job)
            if isinstance(work, str):
                job.state, job.finished, job.error = "failed", time.time(), work
                log.warning("%s job %d was stopped by a restart and cannot run again: %s", job.kind, job.id, work)
            else:
                job.state, job.started = "queued", None
            with self._lock:
                self._store.update_job(job)
                self._store.record(
                    "job-resume" if job.state == "queued" else "job-fail",
                    {"job": job.id, "kind": job.kind, "user": job.user, **({"error": job.error} if job.error else {})},
                )
            if not isinstance(work, str):
                self._pool.submit(self._run, job, work)
        return stopped

    def get(self, job_id: int) -> Job:
        with self._lock:
            job = self._store.job(job_id)
        if job is None:
            raise FactdeskError(f"no job with id {job_id}")
        return job

    def of(self, user: str, limit: int = 100) -> list[Job]:
        """``user``'s newest jobs, newest first."""
        with self._lock:
            return self._store.jobs(user, limit=limit)

    def close(self) -> None:
        """Waits for running jobs and closes the workers' desks; queued ones stay recorded as queued, to run when
        the server starts again."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for desk in self._desks:
            desk.close()
        self._store.close()

    def _desk(self) -> FactDesk:
        desk: FactDesk | None = getattr(self._local, "desk", None)
        if desk is None:
            desk = self._local.desk = self._open_desk()
            with self._lock:
                self._desks.append(desk)
        return desk

    def _save(self, job: Job) -> None:
        with self._lock:
            self._store.update_job(job)

    def _run(self, job: Job, work: Work) -> None:
        job.started, job.state = time.time(), "running"
        self._save(job)
        try:
            with acting_as(job.user):
                result = work(self._desk())
            if isinstance(result, int):
                job.check_id = result
            else:
                job.summary = result
            job.state = "done"
        except Exception as exc:  # a failed job is reported on its job; the worker goes on to the next
            log.exception("%s job %d failed", job.kind, job.id)
            job.error = str(exc) if isinstance(exc, FactdeskError) else f"{type(exc).__name__}: {exc}"
            job.state = "failed"
        job.finished = time.time()
        self._save(job)

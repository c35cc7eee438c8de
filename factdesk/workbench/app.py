"""The editor's workbench: an ASGI app (FastAPI, Jinja2 templates, served by uvicorn) over the library API.

An editor checks a claim, follows the check's job while it runs in the background, reads the report with its cited
evidence, publishes it, and publishes corrections (with a note, and optionally their own verdict over the model's).
Every action the pages offer is also in the JSON API under /api, described by /openapi.json. Reports are shown in a
sandboxed frame, so nothing in evidence can run; forms are accepted only from the workbench's own pages.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from pydantic import BaseModel

from factdesk.claims import parse_claim_date
from factdesk.errors import FactdeskError
from factdesk.explain import check_record
from factdesk.explain.render import render_html
from factdesk.pipeline import FactDesk
from factdesk.publish.publisher import Publication, Publisher
from factdesk.records import Claim
from factdesk.workbench.jobs import Job, Jobs

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; frame-src 'self'; form-action 'self'"
)
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MAX_FORM_BYTES = 64 * 1024
T = TypeVar("T")


class ClaimIn(BaseModel):
    claim: str
    claimant: str = ""
    role: str = ""
    date: str = ""
    url: str = ""


class JobOut(BaseModel):
    id: int
    claim: str
    state: Literal["queued", "running", "done", "failed"]
    elapsed: float
    check_id: int | None
    error: str | None


class CheckSummary(BaseModel):
    id: int
    claim: str
    claimant: str | None
    claim_date: str | None
    label: str
    rating: str
    confidence: float


class PublicationOut(BaseModel):
    slug: str
    version: int
    check_id: int
    published_at: str


class CorrectionIn(BaseModel):
    note: str
    label: str | None = None


class Workbench:
    """The library calls behind the pages and the API. Page reads, publishing and corrections share ``desk`` one at a
    time (under a lock); checks run as jobs, each worker thread with its own desk on the same store."""

    def __init__(self, desk: FactDesk, out: Path, workers: int = 1) -> None:
        self.desk = desk
        self.out = out
        self.publisher = Publisher(desk.store, desk.config.publish)
        self.jobs = Jobs(lambda: FactDesk(desk.store.location, desk.config), workers)
        self._lock = threading.Lock()

    def locked(self, call: Callable[[], T]) -> T:
        with self._lock:
            return call()

    def start_check(self, fields: Mapping[str, str]) -> Job:
        text = fields.get("claim", "").strip()
        if not text:
            raise FactdeskError("field 'claim': give the claim's exact words")
        claim = Claim(
            text=text,
            claimant=fields.get("claimant", "").strip(),
            claimant_role=fields.get("role", "").strip(),
            date=parse_claim_date(fields.get("date", "").strip() or None, "field 'date'"),
            appearance_url=fields.get("url", "").strip(),
        )
        return self.jobs.start(claim)

    def checks(self) -> list[dict[str, Any]]:
        return self.locked(self.desk.store.recent_factchecks)

    def publish(self, check_id: int) -> Publication:
        return self.locked(lambda: self.publisher.publish(check_id, self.out))

    def correct(self, slug: str, note: str, label: str | None) -> Publication:
        return self.locked(lambda: self.publisher.correct(slug, note, self.out, label=label))

    def publications(self, slug: str | None = None) -> list[PublicationOut]:
        rows = self.locked(lambda: self.desk.store.publications(slug=slug))
        return [
            PublicationOut(
                slug=str(r["slug"]),
                version=int(str(r["version"])),
                check_id=int(str(r["factcheck_id"])),
                published_at=str(r["published_at"]),
            )
            for r in rows
        ]


def _job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        claim=job.claim,
        state=job.state,
        elapsed=job.elapsed(time.monotonic()),
        check_id=job.check_id,
        error=job.error,
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    return {key: values[0] for key, values in parse_qs(body.decode("utf-8", errors="replace")).items()}


def create_app(workbench: Workbench) -> FastAPI:
    """The pages and the JSON API; shutting the app down waits for running checks and closes the workers' desks."""
    templates = Environment(loader=PackageLoader("factdesk.workbench", "templates"), autoescape=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(workbench.jobs.close)

    app = FastAPI(
        title="factdesk workbench",
        summary="Check claims, publish and correct fact-checks.",
        lifespan=lifespan,
        docs_url=None,  # the interactive docs load scripts from a CDN; /openapi.json is the schema
        redoc_url=None,
    )
    app.mount("/static", StaticFiles(packages=[("factdesk.workbench", "static")]), name="static")

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method == "POST":
            origin = request.headers.get("origin")
            if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
                return PlainTextResponse("forms are accepted only from the workbench's own pages", 403)
            if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
                return PlainTextResponse("form too large", 413)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.exception_handler(FactdeskError)
    async def refused(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, 400)
        return page("message.html", 400, title="Error", message=str(exc), error=True)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Not Found"}, 404)
        return page("message.html", 404, title="Not found", message="No such page.", error=False)

    # pages

    @app.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        published = sorted({p.slug for p in workbench.publications()})
        return page("home.html", title="factdesk workbench", checks=workbench.checks(), published=published)

    @app.post("/check", include_in_schema=False)
    async def check_form(request: Request) -> RedirectResponse:
        job = workbench.start_check(await _form(request))
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(job_id: int) -> HTMLResponse:
        return page("job.html", title=f"Job {job_id}", job=workbench.jobs.get(job_id))

    @app.get("/checks/{check_id}", include_in_schema=False)
    def check_page(check_id: int) -> HTMLResponse:
        store = workbench.desk.store
        check, published = workbench.locked(lambda: (store.factcheck(check_id), store.publications(check_id=check_id)))
        slug = str(published[-1]["slug"]) if published else None
        return page("check.html", title=f"Fact-check {check_id}", check_id=check_id, check=check, published=slug)

    @app.get("/checks/{check_id}/report", include_in_schema=False)
    def check_report(check_id: int) -> HTMLResponse:
        check = workbench.locked(lambda: workbench.desk.store.factcheck(check_id))
        return HTMLResponse(render_html(check), headers={"Content-Security-Policy": REPORT_POLICY})

    @app.post("/checks/{check_id}/publish", include_in_schema=False)
    async def publish_form(check_id: int) -> RedirectResponse:
        publication = await run_in_threadpool(workbench.publish, check_id)
        return RedirectResponse(f"/published/{publication.slug}", 303)

    def publication_page(slug: str, version: int | None) -> HTMLResponse:
        publication = workbench.locked(lambda: workbench.publisher.get(slug, version))
        return page(
            "publication.html",
            title=slug,
            slug=slug,
            publication=publication,
            versions=workbench.publications(slug),
            labels=workbench.publisher.scale.labels,
        )

    @app.get("/published/{slug}", include_in_schema=False)
    def latest_publication_page(slug: str) -> HTMLResponse:
        return publication_page(slug, None)

    @app.get("/published/{slug}/v{version:int}", include_in_schema=False)
    def version_page(slug: str, version: int) -> HTMLResponse:
        return publication_page(slug, version)

    @app.get("/published/{slug}/v{version:int}/report", include_in_schema=False)
    def published_report(slug: str, version: int) -> HTMLResponse:
        publication = workbench.locked(lambda: workbench.publisher.get(slug, version))
        return HTMLResponse(publication.files()["index.html"], headers={"Content-Security-Policy": REPORT_POLICY})

    @app.post("/published/{slug}/correct", include_in_schema=False)
    async def correct_form(slug: str, request: Request) -> RedirectResponse:
        form = await _form(request)
        publication = await run_in_threadpool(workbench.correct, slug, form.get("note", ""), form.get("label") or None)
        return RedirectResponse(f"/published/{publication.slug}", 303)

    # the JSON API

    @app.get("/api/checks", tags=["checks"])
    def list_checks() -> list[CheckSummary]:
        """The newest fact-checks in the store."""
        return [
            CheckSummary(
                id=int(r["id"]),
                claim=str(r["claim"]),
                claimant=r["claimant"] or None,
                claim_date=None if r["claim_date"] is None else str(r["claim_date"]),
                label=str(r["label"]),
                rating=str(r["rating"]),
                confidence=float(r["confidence"]),
            )
            for r in workbench.checks()
        ]

    @app.get("/api/checks/{check_id}", tags=["checks"])
    def get_check(check_id: int) -> dict[str, Any]:
        """A fact-check's record, as `factdesk check --format json` writes it."""
        return check_record(workbench.locked(lambda: workbench.desk.store.factcheck(check_id)), check_id)

    @app.post("/api/checks", status_code=202, tags=["checks"])
    def start_check(claim: ClaimIn) -> JobOut:
        """Starts checking a claim in the background; follow the job at /api/jobs/{id}."""
        return _job_out(workbench.start_check(claim.model_dump()))

    @app.get("/api/jobs/{job_id}", tags=["checks"])
    def job_status(job_id: int) -> JobOut:
        """A check job's state; when done, `check_id` names the stored fact-check."""
        return _job_out(workbench.jobs.get(job_id))

    @app.post("/api/checks/{check_id}/publish", status_code=201, tags=["published"])
    def publish(check_id: int) -> PublicationOut:
        """Publishes a fact-check as version 1 of its slug."""
        return workbench.publications(workbench.publish(check_id).slug)[-1]

    @app.get("/api/published", tags=["published"])
    def list_published() -> list[PublicationOut]:
        """Every published version, by slug then version."""
        return workbench.publications()

    @app.get("/api/published/{slug}", tags=["published"])
    def published_versions(slug: str) -> list[PublicationOut]:
        """The published versions of one slug, oldest first."""
        versions = workbench.publications(slug)
        if not versions:
            raise FactdeskError(f"nothing published under {slug!r}")
        return versions

    @app.post("/api/published/{slug}/corrections", status_code=201, tags=["published"])
    def correct(slug: str, correction: CorrectionIn) -> PublicationOut:
        """Publishes a new version with a correction note and, optionally, the editor's verdict label."""
        return workbench.publications(workbench.correct(slug, correction.note, correction.label).slug)[-1]

    return app


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: any free port), bound before the server starts so that errors are plain."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise FactdeskError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def make_server(app: FastAPI) -> uvicorn.Server:
    """A uvicorn server for the app; run it with ``server.run(sockets=[bind(host, port)])``."""
    return uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))

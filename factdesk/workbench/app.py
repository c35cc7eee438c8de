"""The newsroom's workbench: an ASGI app (FastAPI, Jinja2 templates, served by uvicorn) over the library API.

Everyone signs in. A reporter checks a claim, follows the check's job while it runs in the background, reads the
report with its cited evidence and sends it for review; an editor sends it back or on; a chief editor approves it,
publishes it after a preview, and publishes corrections (with a note, and optionally their own verdict over the
model's). Every change is recorded in the store's audit log as its user's. Every action the pages offer is also in
the JSON API under /api, described by /openapi.json, for a user's API token. Reports are shown in a sandboxed frame,
so nothing in evidence can run; forms are accepted only from the workbench's own pages with the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from pydantic import BaseModel

from factdesk import registry
from factdesk.accounts import PERMISSIONS, ROLES, Accounts, Action, Role, allowed_actions, may, refusal
from factdesk.claims import parse_claim_date
from factdesk.claims.extract import ClaimExtractor, ExtractedClaim
from factdesk.errors import FactdeskError
from factdesk.explain import check_record
from factdesk.explain.render import render_html
from factdesk.fetch import fetcher_params
from factdesk.ingest import IngestReport
from factdesk.ingest.readers import SUPPORTED_SUFFIXES
from factdesk.pipeline import FactDesk
from factdesk.publish.desk import QUEUE_STATES, DeskWork, QueueFilter, QueuePage, current_check, parse_citations
from factdesk.publish.publisher import Publication, Publisher
from factdesk.publish.signoff import STATE_NAMES, Move, SignOff, State
from factdesk.records import Claim, Document, FactCheck, Statement
from factdesk.store import PassageHit, StoreBackend, StoredUser, acting_as, open_store
from factdesk.store.serving import Job
from factdesk.verify.curation import MARKS, Mark, latest_marks
from factdesk.workbench.auth import COOKIE, LoginLimiter, Session, Sessions
from factdesk.workbench.jobs import Jobs, Work

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; frame-src 'self'; form-action 'self'"
)
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MAX_FORM_BYTES = 256 * 1024
MAX_PASTE_CHARS = 100_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a document uploaded to the corpus
UPLOAD_PATHS = frozenset({"/ingest", "/api/documents"})  # where a request may carry that much, with its form
FORM_DATA = "multipart/form-data"
PICKED = ("claim", "claimant", "date")  # each picked claim's own fields on the extraction page: claim-N, ...
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPE = "application/x-www-form-urlencoded"
SIGNOFF_ACTIONS: dict[Move, Action] = {"submit": "submit", "return": "return", "approve": "approve"}
T = TypeVar("T")
log = logging.getLogger("factdesk.workbench")


class ClaimIn(BaseModel):
    claim: str
    claimant: str = ""
    role: str = ""
    date: str = ""
    url: str = ""


class JobOut(BaseModel):
    id: int
    kind: str  # "check", "rerun" or "ingest"
    claim: str  # the claim checked, or what is ingested
    user: str
    state: Literal["queued", "running", "done", "failed"]
    elapsed: float
    check_id: int | None
    summary: str | None  # what an ingest did
    error: str | None


class ExtractIn(BaseModel):
    text: str = ""  # a pasted transcript, article or post...
    page: str = ""  # ...or the http(s) URL of a page to fetch
    speaker: str = ""
    role: str = ""
    date: str = ""
    url: str = ""  # where a pasted text appeared


class ExtractedOut(BaseModel):
    claim: str  # rewritten to stand alone
    sentence: str  # as said
    claimant: str
    date: str | None
    score: float
    needs_context: list[str]


class ExtractionOut(BaseModel):
    url: str
    title: str
    role: str
    claims: list[ExtractedOut]


class PageIn(BaseModel):
    url: str


class CheckSummary(BaseModel):
    id: int
    claim: str
    claimant: str | None
    claim_date: str | None
    label: str
    rating: str
    confidence: float
    state: State


class PublicationOut(BaseModel):
    slug: str
    version: int
    check_id: int
    published_at: str


class PreviewOut(BaseModel):
    slug: str
    rating: str
    claim_review: dict[str, Any]


class CorrectionIn(BaseModel):
    note: str
    label: str | None = None


class NoteIn(BaseModel):
    note: str = ""


class SignOffEntry(BaseModel):
    state: str
    actor: str | None
    at: str
    note: str


class SignOffOut(BaseModel):
    check_id: int
    state: State
    history: list[SignOffEntry]


class UserOut(BaseModel):
    name: str
    role: Role
    created_at: str
    active: bool


class UserIn(BaseModel):
    name: str
    role: Role
    password: str


class UserChange(BaseModel):
    role: Role | None = None
    active: bool | None = None


class QueueItemOut(BaseModel):
    id: int
    claim: str
    claimant: str
    claim_date: str | None
    outlets: list[str]
    label: str
    rating: str
    confidence: float | None  # None: the editor's ruling
    model_label: str
    state: str
    assignee: str | None
    created_at: str


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    total: int
    page: int
    per_page: int
    pages: int


class AssignIn(BaseModel):
    assignee: str | None = None


class MarkIn(BaseModel):
    doc_id: str
    start: int
    end: int
    mark: Literal["irrelevant", "supports", "refutes", "neutral"]
    reason: str


class DocumentIn(BaseModel):
    text: str
    outlet: str = ""
    url: str = ""
    title: str = ""
    date: str = ""


class CitationIn(BaseModel):
    doc_id: str
    start: int
    end: int


class SentenceIn(BaseModel):
    text: str
    citations: list[CitationIn]


class JustificationIn(BaseModel):
    sentences: list[SentenceIn]
    note: str = ""


class FlagOut(BaseModel):
    sentence: int
    text: str
    reason: str


class RulingIn(BaseModel):
    label: str
    note: str


class EditionOut(BaseModel):
    kind: str  # "check" (the stored, model's), "rerun" (the model's, on curated evidence), "ruling", "edit"
    label: str
    rating: str
    confidence: float | None  # None: the editor's ruling
    note: str
    flags: list[FlagOut]
    actor: str | None
    at: str


class PassageOut(BaseModel):
    doc_id: str
    start: int
    end: int
    outlet: str
    url: str
    published: str | None
    text: str
    score: float


class ClaimantCheckOut(BaseModel):
    check_id: int
    claim: str
    claim_date: str | None
    label: str
    rating: str
    state: str


@dataclass(frozen=True)
class Caller:
    """Who made a request: a signed-in user (with their browser session) or the holder of an API token."""

    name: str
    role: str
    session: Session | None = None  # None: an API token, which needs no CSRF token

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""

    @property
    def actions(self) -> frozenset[Action]:
        return allowed_actions(self.role)


@dataclass(frozen=True)
class Extraction:
    """The check-worthy claims of a pasted text or a fetched page, and what is known of where they were said."""

    claims: list[ExtractedClaim]
    role: str  # the claimant's
    url: str  # the page fetched, or where a pasted text appeared
    title: str  # the fetched page's


class Refusal(Exception):
    """A request the workbench turns down: not signed in (401), not allowed (403), or too many tries (429)."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, caller: Caller | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.caller = caller  # who was refused, if signed in


class Workbench:
    """The library calls behind the pages and the API. Page reads, accounts, sign-off, publishing and corrections
    share ``desk`` one at a time (under a lock), each write recorded as its user's; checks run as jobs, each worker
    thread with its own desk on the same store."""

    def __init__(self, desk: FactDesk, out: Path, workers: int = 1) -> None:
        self.desk = desk
        self.out = out
        self.publisher = Publisher(desk.store, desk.config.publish)
        self.accounts = Accounts(desk.store)
        self.signoff = SignOff(desk.store)
        self.work = DeskWork(desk.store)
        self.jobs = Jobs(lambda: FactDesk(desk.store.location, desk.config), open_store(desk.store.location), workers)
        self.extractor = ClaimExtractor()  # its models load on first use
        self.fetcher = registry.build("fetcher", desk.config.fetch.fetcher, **fetcher_params(desk.config.fetch))
        self._lock = threading.Lock()
        self._extracting = threading.Lock()  # one extraction at a time: the extractor's spaCy pipeline is shared
        self._ingesting = threading.Lock()  # one ingest at a time: the retriever's index has one writer

    def locked(self, call: Callable[[], T], user: str | None = None) -> T:
        """``call()`` alone on the desk; what it writes is recorded as ``user``'s."""
        with self._lock, acting_as(user):
            return call()

    def start_check(self, fields: Mapping[str, str], user: str) -> Job:
        return self._start(_claim(fields), user)

    def start_checks(self, fields: Mapping[str, str], user: str) -> list[Job]:
        """Checks the claims picked on the extraction page (``pick-N``: the N-th claim, ``claim-N`` its words as
        the editor left them); none starts unless every one is a claim."""
        count = _int(fields.get("count", "0"), "count")
        claims = [
            _claim({**fields, **{key: fields.get(f"{key}-{n}", "") for key in PICKED}}, f"claim {n}: ")
            for n in range(1, min(count, 500) + 1)
            if fields.get(f"pick-{n}") == "yes"
        ]
        if not claims:
            raise FactdeskError("pick at least one claim to check")
        return [self._start(claim, user) for claim in claims]

    def extract(self, fields: Mapping[str, str]) -> Extraction:
        """The check-worthy claims of a pasted text (``text``) or of the page at ``page``, which the fetcher gets
        under ``[fetch]``'s rules: http(s) only, no private, loopback or metadata address (unless allow_private),
        its size limits and robots.txt. The page's author and date stand in for a speaker and date not given."""
        text, page = fields.get("text", ""), fields.get("page", "").strip()
        speaker, url, title = fields.get("speaker", "").strip(), fields.get("url", "").strip(), ""
        said_on = parse_claim_date(fields.get("date", "").strip() or None, "field 'date'")
        if page and text.strip():
            raise FactdeskError("give a text or a page's URL, not both")
        if page:
            if not page.lower().startswith(("http://", "https://")):
                raise FactdeskError(f"field 'page': {page!r} is not an http:// or https:// URL")
            fetched = self.fetcher.fetch_one(page)
            if fetched.error:
                raise FactdeskError(f"cannot fetch {page}: {fetched.error}")
            documents = fetched.documents
            text, url = "\n\n".join(d.text for d in documents), page
            title = documents[0].title if documents else ""
            speaker = speaker or (documents[0].author if documents else "")
            said_on = said_on or (documents[0].published if documents else None)
        if not text.strip():
            raise FactdeskError("field 'text': paste a transcript, article or post, or give a page's URL")
        if len(text) > MAX_PASTE_CHARS:
            raise FactdeskError(f"field 'text': at most {MAX_PASTE_CHARS} characters, got {len(text)}")
        with self._extracting:
            claims = self.extractor.run(text, speaker, said_on, prefix="pasted")
        return Extraction(claims, fields.get("role", "").strip(), url, title)

    def ingest_upload(self, name: str, data: bytes, fields: Mapping[str, str], user: str) -> Job:
        """Ingests an uploaded file (any format ``factdesk ingest`` reads) in the background; ``fields`` (outlet,
        url, title, date) replace what the file says."""
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise FactdeskError(f"{name!r}: unsupported file type; upload one of {supported}")
        if not data.strip():
            raise FactdeskError(f"{name!r}: the file is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise FactdeskError(f"{name!r}: at most {MAX_UPLOAD_BYTES // 2**20} MiB may be uploaded")
        metadata: dict[str, object] = {k: fields.get(k, "").strip() for k in ("outlet", "url", "title")}
        metadata["published"] = parse_claim_date(fields.get("date", "").strip() or None, "field 'date'")
        metadata = {key: value for key, value in metadata.items() if value}
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem).strip("-")[:80] or "upload"

        def work(desk: FactDesk) -> str:
            with self._ingesting, tempfile.TemporaryDirectory(prefix="factdesk-upload-") as folder:
                path = Path(folder) / f"{stem}{suffix}"
                path.write_bytes(data)
                report = desk.ingest([path], metadata=metadata)
                return _ingested(report, {str(path): name})

        return self._start_ingest(f"{name} ({len(data):,} bytes)", user, {"upload": name}, work)

    def ingest_url(self, url: str, user: str) -> Job:
        """Fetches a page under ``[fetch]``'s rules, archives it and ingests it, in the background."""
        url = url.strip()
        if not url.lower().startswith(("http://", "https://")):
            raise FactdeskError(f"field 'url': {url!r} is not an http:// or https:// URL")
        return self._start_ingest(url, user, {"url": url}, self._url_work(url))

    def _url_work(self, url: str) -> Work:
        def work(desk: FactDesk) -> str:
            with self._ingesting:
                return _ingested(desk.ingest([url]), {})

        return work

    def _start_ingest(self, what: str, user: str, params: dict[str, str], work: Work) -> Job:
        def announce(job: Job) -> None:
            self.locked(lambda: self.desk.store.record("ingest-start", {"job": job.id, "source": what}), user)

        return self.jobs.start("ingest", what, user, params, work, announce)

    def _start(self, claim: Claim, user: str) -> Job:
        text = claim.text

        def announce(job: Job) -> None:
            self.locked(lambda: self.desk.store.record("check-start", {"job": job.id, "claim": text}), user)

        return self.jobs.start("check", text, user, _claim_fields(claim), self._check_work(claim), announce)

    def _check_work(self, claim: Claim) -> Work:
        def work(desk: FactDesk) -> int:
            check_id = desk.save(desk.check(claim, save=False))
            try:
                found = desk.known_match(claim)
            except FactdeskError as exc:  # the check stands without it; the page says no match was looked for
                log.warning("no known-check match for check %d: %s", check_id, exc)
            else:
                desk.keep_known_match(check_id, found)
            return check_id

        return work

    def rebuild(self, job: Job) -> Work | str:
        """The work of a job that a stopped server left unfinished, from what was recorded of it; or why it cannot
        be run again (an upload's file was not kept)."""
        if job.kind == "check":
            return self._check_work(_claim(job.params))
        if job.kind == "rerun":
            return self._rerun_work(int(job.params["factcheck"]))
        if job.kind == "ingest" and "url" in job.params:
            return self._url_work(str(job.params["url"]))
        return "the server stopped before this upload was ingested, and uploaded files are not kept: upload it again"

    def resume(self) -> list[Job]:
        """Runs again the jobs a stopped server left queued or running (``Jobs.resume``)."""
        return self.jobs.resume(self.rebuild)

    def queue(self, filters: QueueFilter, page: int, per_page: int) -> QueuePage:
        return self.locked(lambda: self.work.queue(filters, page, per_page))

    def check_view(self, check_id: int) -> dict[str, Any]:
        """All the check page shows: the check as it stands and as the model made it, its editions, the known-check
        match, the evidence an editor may mark (with its marks), the assignee and the sign-off."""

        def read() -> dict[str, Any]:
            store, work = self.desk.store, self.work
            stored, current = store.factcheck(check_id), current_check(store, check_id)
            looked, match = work.known_match(check_id)
            marks = latest_marks(work.marks(check_id))
            added = work.added(check_id)
            published = store.publications(check_id=check_id)
            return {
                "check": current,
                "model": stored,
                "history": work.history(check_id),
                "looked": looked,
                "match": match,
                "passages": _curation_rows(stored, current, added, store, marks),
                "added": added,
                "assignee": work.assignee(check_id),
                "flags": work.flags(check_id),
                "published": str(published[-1]["slug"]) if published else None,
                "users": [u.name for u in store.users() if u.active],
            }

        view = self.locked(read)
        return {**view, "signoff": self.signoff_record(check_id)}

    def assign(self, check_id: int, name: str | None, user: str) -> str | None:
        return self.locked(lambda: self.work.assign(check_id, name), user)

    def mark(self, check_id: int, fields: Mapping[str, Any], user: str) -> None:
        mark = Mark(
            str(fields.get("doc_id", "")).strip(),
            _int(fields.get("start"), "start"),
            _int(fields.get("end"), "end"),
            str(fields.get("mark", "")).strip(),
            str(fields.get("reason", "")),
        )
        self.locked(lambda: self.work.mark(check_id, mark), user)

    def add_document(self, check_id: int, fields: Mapping[str, str], user: str) -> str:
        """Stores pasted text (with its outlet, URL, title and date) and adds it to the check's evidence."""
        text = fields.get("text", "").strip()
        if len(text) > MAX_PASTE_CHARS:
            raise FactdeskError(f"field 'text': at most {MAX_PASTE_CHARS} characters may be pasted")
        document = Document(
            id=f"pasted-{hashlib.sha256(text.encode()).hexdigest()[:12]}",
            text=text,
            url=fields.get("url", "").strip(),
            outlet=fields.get("outlet", "").strip(),
            title=fields.get("title", "").strip(),
            published=parse_claim_date(fields.get("date", "").strip() or None, "field 'date'"),
        )

        def run() -> str:
            self.work.require_editable(check_id)
            doc_id = self.desk.add_document(document)
            self.work.add_evidence(check_id, doc_id)
            return doc_id

        return self.locked(run, user)

    def rerun(self, check_id: int, user: str) -> Job:
        """Rules again, in the background, on the check's evidence as curated: a new revision, the model's."""
        claim = self.locked(lambda: (self.work.require_editable(check_id), self.desk.store.factcheck(check_id))[1])

        def announce(job: Job) -> None:
            self.locked(lambda: self.desk.store.record("rerun-start", {"job": job.id, "factcheck": check_id}), user)

        work = self._rerun_work(check_id)
        return self.jobs.start("rerun", claim.claim.text, user, {"factcheck": check_id}, work, announce)

    @staticmethod
    def _rerun_work(check_id: int) -> Work:
        def work(desk: FactDesk) -> int:
            on_desk = DeskWork(desk.store)
            checked = desk.recheck(desk.store.factcheck(check_id), on_desk.marks(check_id), on_desk.added(check_id))
            on_desk.revise(check_id, "rerun", checked, "ruled again on the curated evidence")
            return check_id

        return work

    def edit_justification(self, check_id: int, sentences: list[tuple[str, str]], note: str, user: str) -> list:
        """Saves the editor's justification (each sentence's text and citations) as a revision after the citation
        checker reads it; returns the sentences it flags. Flagged sentences may be saved only on a draft."""

        def run() -> list[dict[str, object]]:
            self.work.require_editable(check_id)
            check = current_check(self.desk.store, check_id)
            statements = _statements(check, sentences)
            revised, flags = self.desk.check_justification(check, statements)
            state = self.signoff.state(check_id)
            if flags and state != "draft":
                raise FactdeskError(
                    f"fact-check {check_id} is {STATE_NAMES[state]}: a justification with unsupported sentences"
                    f" (sentence {', '.join(str(f['sentence']) for f in flags)}) can be saved only on a draft"
                )
            self.work.revise(check_id, "edit", revised, note, flags)
            return flags

        return self.locked(run, user)

    def rule(self, check_id: int, label: str, note: str, user: str) -> None:
        verdict, rating = self.publisher.scale.ruling(label)
        self.locked(lambda: self.work.rule(check_id, verdict, rating, note), user)

    def claimant(self, name: str) -> list[dict[str, Any]]:
        rows, states = self.locked(lambda: (self.desk.store.claimant_history(name), self.signoff.states()))
        return [{**row, "state": states.get(int(str(row["check_id"])), "draft")} for row in rows]

    def search(self, text: str, limit: int) -> list[PassageHit]:
        return self.locked(lambda: self.desk.search_corpus(text, limit))

    def checks(self) -> list[dict[str, Any]]:
        """The newest fact-checks, each with its sign-off state."""
        rows, states = self.locked(lambda: (self.desk.store.recent_factchecks(), self.signoff.states()))
        return [{**row, "state": states.get(int(row["id"]), "draft")} for row in rows]

    def move(self, check_id: int, move: Move, note: str, user: str) -> State:
        return self.locked(lambda: self.signoff.move(check_id, move, note), user)

    def signoff_record(self, check_id: int) -> SignOffOut:
        state, history = self.locked(lambda: (self.signoff.state(check_id), self.desk.store.signoffs(check_id)))
        return SignOffOut(check_id=check_id, state=state, history=[SignOffEntry(**entry) for entry in history])

    def preview(self, check_id: int) -> Publication:
        def run() -> Publication:
            self.signoff.require_approved(check_id)
            return self.publisher.preview(check_id)

        return self.locked(run)

    def publish(self, check_id: int, user: str) -> Publication:
        def run() -> Publication:
            self.signoff.require_approved(check_id)
            return self.publisher.publish(check_id, self.out)

        return self.locked(run, user)

    def correct(self, slug: str, note: str, label: str | None, user: str) -> Publication:
        return self.locked(lambda: self.publisher.correct(slug, note, self.out, label=label), user)

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

    def users(self) -> list[UserOut]:
        return [_user_out(user) for user in self.locked(self.desk.store.users)]

    def add_user(self, name: str, role: str, password: str, user: str) -> UserOut:
        return _user_out(self.locked(lambda: self.accounts.add(name, role, password), user))

    def change_user(self, name: str, role: str | None, active: bool | None, user: str) -> UserOut:
        disabled = None if active is None else not active
        return _user_out(self.locked(lambda: self.accounts.change(name, role=role, disabled=disabled), user))


def _claim(fields: Mapping[str, str], where: str = "") -> Claim:
    """The claim in a form's fields (claim, claimant, role, date, url); ``where`` starts each error's message."""
    text = fields.get("claim", "").strip()
    if not text:
        raise FactdeskError(f"{where}field 'claim': give the claim's exact words")
    return Claim(
        text=text,
        claimant=fields.get("claimant", "").strip(),
        claimant_role=fields.get("role", "").strip(),
        date=parse_claim_date(fields.get("date", "").strip() or None, f"{where}field 'date'"),
        appearance_url=fields.get("url", "").strip(),
    )


def _claim_fields(claim: Claim) -> dict[str, str]:
    """A claim as the form fields ``_claim`` reads it from: how a check job is recorded, to be run again."""
    return {
        "claim": claim.text,
        "claimant": claim.claimant,
        "role": claim.claimant_role,
        "date": claim.date.isoformat() if claim.date else "",
        "url": claim.appearance_url,
    }


def _ingested(report: IngestReport, names: Mapping[str, str]) -> str:
    """What an ingest did, in a line; an ingest that added nothing and found problems fails with them. ``names``
    gives uploaded files' own names for the temporary paths they were ingested from."""

    def shown(problem: object) -> str:
        text = str(problem)
        for path, name in names.items():
            text = text.replace(path, name)
        return text

    problems = [shown(p) for p in report.problems]
    if problems and not report.added:
        raise FactdeskError("nothing was added: " + "; ".join(problems[:5]))
    said = f"{report.added} document(s) added, {report.duplicates} already in the store"
    return said + (f"; {len(problems)} problem(s): " + "; ".join(problems[:5]) if problems else "")


def _int(value: object, name: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise FactdeskError(f"field {name!r}: expected a whole number, got {value!r}") from None


def _statements(check: FactCheck, sentences: list[tuple[str, str]]) -> list[Statement]:
    """The editor's sentences (text, citations as ``doc_id:start-end; ...``), blank ones left out. A sentence kept
    word for word keeps its kind; an edited quote, timeline or comparison keeps its kind (its quoted words or figure
    must still be in the span), and any other edited or new sentence is checked as free text, by the verifier."""
    before = {s.text: s.kind for s in check.justification}
    statements = []
    for number, (text, cites) in enumerate(sentences, start=1):
        text = " ".join(text.split())
        if not text:
            continue
        old = check.justification[number - 1].kind if number <= len(check.justification) else "free"
        kind = before.get(text) or (old if old in ("quote", "timeline", "comparison") else "free")
        statements.append(Statement(text, parse_citations(cites, f"sentence {number}"), kind))
    if not statements:
        raise FactdeskError("a justification needs at least one sentence")
    return statements


def _curation_rows(
    stored: FactCheck, current: FactCheck, added: list[str], store: StoreBackend, marks: dict[Any, Mark]
) -> list[dict[str, Any]]:
    """Each passage an editor may mark: the check's evidence as the model weighed it, then the passages of the
    documents added; with the stance it has now (None: left out), and its latest mark."""
    now = {(e.passage.doc_id, e.passage.start, e.passage.end): e.stance for e in current.evidence}
    rows: dict[tuple[str, int, int], dict[str, Any]] = {}
    items = [(e.passage, e.document, e.stance) for e in (*stored.evidence, *current.evidence)]
    for doc_id in added:
        document = store.document(doc_id)
        items += [(p, document, "") for p in store.passages(doc_id)] if document else []
    for passage, document, stance in items:
        key = (passage.doc_id, passage.start, passage.end)
        rows.setdefault(
            key,
            {"passage": passage, "document": document, "model": stance, "now": now.get(key), "mark": marks.get(key)},
        )
    return list(rows.values())


def _user_out(user: StoredUser) -> UserOut:
    return UserOut(name=user.name, role=user.role, created_at=user.created_at, active=user.active)  # type: ignore[arg-type]


def _job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        claim=job.claim,
        user=job.user,
        state=job.state,
        elapsed=job.elapsed(time.time()),
        check_id=job.check_id,
        summary=job.summary,
        error=job.error,
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    return {key: values[0] for key, values in parse_qs(body.decode("utf-8", errors="replace")).items()}


async def _read(request: Request, limit: int) -> bytes:
    """The request's body, refused (413) as soon as it passes ``limit`` bytes, whatever Content-Length said."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"too large: at most {MAX_UPLOAD_BYTES // 2**20} MiB may be uploaded")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    name: str  # the file's own name, as the browser sent it ("": none chosen)
    data: bytes


async def _upload(request: Request) -> Upload:
    """A multipart form's fields and its file ``file``, read once (at most MAX_UPLOAD_BYTES and the form's fields)
    and kept on the request."""
    found: Upload | None = getattr(request.state, "upload", None)
    if found is None:
        body = await _read(request, MAX_UPLOAD_BYTES + MAX_FORM_BYTES)
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode("latin-1", "replace")
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        if not message.is_multipart():
            raise FactdeskError("expected a form with a file (multipart/form-data)")
        fields, name, data = {}, "", b""
        for part in message.iter_parts():
            key = str(part.get_param("name", "", header="content-disposition"))
            payload = part.get_payload(decode=True)
            value = payload if isinstance(payload, bytes) else b""
            if key == "file":
                name, data = part.get_filename() or "", value
            elif key:
                fields[key] = value.decode("utf-8", errors="replace")
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"too large: at most {MAX_UPLOAD_BYTES // 2**20} MiB may be uploaded")
        found = request.state.upload = Upload(fields, name, data)
    return found


def _local(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def create_app(workbench: Workbench, sessions: Sessions | None = None, logins: LoginLimiter | None = None) -> FastAPI:
    """The pages and the JSON API, every one but the login page for signed-in users only, each action for the roles
    that may take it. Sessions are kept in the workbench's store unless ``sessions`` is given. Starting the app
    runs again the jobs a stopped server left unfinished; shutting it down waits for running jobs and closes the
    workers' desks."""
    templates = Environment(loader=PackageLoader("factdesk.workbench", "templates"), autoescape=True)
    own_sessions = sessions is None
    sessions = sessions or Sessions(open_store(workbench.desk.store.location))
    logins = logins or LoginLimiter()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(workbench.resume)
        yield
        await run_in_threadpool(workbench.jobs.close)
        if own_sessions:
            sessions.store.close()

    app = FastAPI(
        title="factdesk workbench",
        summary="Check claims, sign them off, publish and correct fact-checks.",
        description="Send `Authorization: Bearer <token>` with an API token (`factdesk user token NAME`).",
        lifespan=lifespan,
        docs_url=None,  # the interactive docs load scripts from a CDN; /openapi.json is the schema
        redoc_url=None,
    )
    app.mount("/static", StaticFiles(packages=[("factdesk.workbench", "static")]), name="static")

    def page(
        template: str, caller: Caller | None, status: int = 200, headers: dict[str, str] | None = None, **context: Any
    ) -> HTMLResponse:
        html = templates.get_template(template).render(viewer=caller, state_names=STATE_NAMES, **context)
        return HTMLResponse(html, status_code=status, headers=headers)

    def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=int(sessions.lifetime),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def identify(request: Request) -> Caller | None:
        """The caller, from an API token or a session cookie; None if neither signs anyone in."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            user = workbench.locked(lambda: workbench.accounts.bearer(token.strip())) if scheme == "Bearer" else None
            if user is None:
                raise Refusal(
                    401,
                    "the API token is wrong, revoked, or its user disabled; send Authorization: Bearer <token>",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return Caller(user.name, user.role)
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None or session.user is None:
            return None
        name = session.user
        user = workbench.locked(lambda: workbench.accounts.active(name))
        return None if user is None else Caller(user.name, user.role, session)

    def allowed(action: Action) -> Any:
        """A dependency: the caller, if signed in, sending the session's CSRF token with a change from a browser,
        and in a role that may take ``action``."""

        async def caller(request: Request) -> Caller:
            found = await run_in_threadpool(identify, request)
            if found is None:
                raise Refusal(401, "sign in first", {"WWW-Authenticate": "Bearer"})
            if found.session is not None and request.method not in SAFE_METHODS:
                token, kind = request.headers.get("x-csrf-token"), request.headers.get("content-type", "")
                if token is None and kind.startswith(FORM_TYPE):
                    token = (await _form(request)).get("csrf_token")
                elif token is None and kind.startswith(FORM_DATA) and request.url.path == "/ingest":
                    token = (await _upload(request)).fields.get("csrf_token")
                if not found.session.csrf_matches(token):
                    raise Refusal(
                        403,
                        "this form did not come from your session on the workbench (no or a wrong"
                        " CSRF token); reload the page and try again",
                        caller=found,
                    )
            if not may(found.role, action):
                raise Refusal(403, refusal(found.name, found.role, action), caller=found)
            return found

        return Depends(caller)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method not in SAFE_METHODS:
            origin = request.headers.get("origin")
            if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
                return PlainTextResponse("forms are accepted only from the workbench's own pages", 403)
            limit = MAX_FORM_BYTES + (MAX_UPLOAD_BYTES if request.url.path in UPLOAD_PATHS else 0)
            if int(request.headers.get("content-length") or 0) > limit:
                return PlainTextResponse("form too large", 413)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(FactdeskError)
    async def refused(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, 400)
        return page("message.html", None, 400, title="Error", message=str(exc), error=True)

    @app.exception_handler(Refusal)
    async def turned_down(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, exc.status, headers=exc.headers)
        if exc.status == 401:
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", 303)
        return page("message.html", exc.caller, exc.status, title="Refused", message=exc.message, error=True)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Not Found"}, 404)
        return page("message.html", None, 404, title="Not found", message="No such page.", error=False)

    gate = {action: allowed(action) for action in PERMISSIONS}  # the dependency for each action

    # signing in and out

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        if identify(request) is not None:
            return RedirectResponse(_local(next), 303)
        return login_form(request, _local(next))

    def login_form(request: Request, target: str, status: int = 200, name: str = "", error: str = "") -> Response:
        """The sign-in page, with a signed-out session holding its CSRF token (kept if the browser has one)."""
        session_id = request.cookies.get(COOKIE)
        session = sessions.get(session_id)
        if session is None or session.user is not None:
            session_id, session = sessions.start(None)
        first = not workbench.locked(workbench.desk.store.users)
        response = page(
            "login.html",
            None,
            status,
            title="Sign in",
            csrf=session.csrf,
            next=target,
            name=name,
            error=error,
            first=first,
            store=workbench.desk.store.location,
        )
        assert session_id is not None
        set_session_cookie(request, response, session_id)
        return response

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        return await run_in_threadpool(sign_in, request, await _form(request))

    def sign_in(request: Request, form: dict[str, str]) -> Response:
        target = _local(form.get("next"))
        old_id = request.cookies.get(COOKIE)
        session = sessions.get(old_id)
        if session is None or not session.csrf_matches(form.get("csrf_token")):
            return login_form(request, target, 403, error="That sign-in form had expired; please sign in again.")
        name, password = form.get("name", "").strip(), form.get("password", "")
        address = request.client.host if request.client else ""
        wait = logins.retry_after(name, address)
        if wait:
            return page(
                "message.html",
                None,
                429,
                {"Retry-After": str(wait)},
                title="Too many tries",
                error=True,
                message=f"Too many failed sign-ins as {name!r} from this address; try again in"
                f" {-(-wait // 60)} minute(s).",
            )
        account = workbench.locked(lambda: workbench.accounts.find(name))
        user = Accounts.verify(account, password)  # argon2 takes a while: outside the desk's lock
        if user is None:
            logins.failed(name, address)
            if account is not None:
                refused = {"user": account.name, "address": address}
                workbench.locked(lambda: workbench.desk.store.record("login-refused", refused))
            return login_form(
                request, target, 401, name=name, error="Wrong user name or password, or the account is disabled."
            )
        logins.succeeded(name, address)
        sessions.end(old_id)  # a new id: whoever knew the one before signing in knows nothing now
        session_id, _ = sessions.start(user.name)
        workbench.locked(lambda: workbench.desk.store.record("login", {"address": address}), user.name)
        response = RedirectResponse(target, 303)
        set_session_cookie(request, response, session_id)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, caller: Caller = gate["read"]) -> Response:
        sessions.end(request.cookies.get(COOKIE))
        workbench.locked(lambda: workbench.desk.store.record("logout", {}), caller.name)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE)
        return response

    # pages

    @app.get("/", include_in_schema=False)
    def home(caller: Caller = gate["read"]) -> HTMLResponse:
        published = sorted({p.slug for p in workbench.publications()})
        return page("home.html", caller, title="The desk", checks=workbench.checks(), published=published)

    @app.post("/check", include_in_schema=False)
    async def check_form(request: Request, caller: Caller = gate["check"]) -> RedirectResponse:
        job = await run_in_threadpool(workbench.start_check, await _form(request), caller.name)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.get("/claims/new", include_in_schema=False)
    def new_claims_page(caller: Caller = gate["check"]) -> HTMLResponse:
        return page("new.html", caller, title="Claims from a transcript or a web page", fields={})

    @app.post("/claims/extract", include_in_schema=False)
    async def extract_form(request: Request, caller: Caller = gate["check"]) -> HTMLResponse:
        form = await _form(request)
        try:
            found = await run_in_threadpool(workbench.extract, form)
        except FactdeskError as exc:  # the form again, as it was typed, with the reason
            title = "Claims from a transcript or a web page"
            return page("new.html", caller, 400, title=title, fields=form, error=str(exc))
        return page("extract.html", caller, title="Pick the claims to check", found=found)

    @app.post("/claims/check", include_in_schema=False)
    async def check_picked_form(request: Request, caller: Caller = gate["check"]) -> RedirectResponse:
        jobs = await run_in_threadpool(workbench.start_checks, await _form(request), caller.name)
        return RedirectResponse(f"/jobs/{jobs[0].id}" if len(jobs) == 1 else "/jobs", 303)

    @app.get("/jobs", include_in_schema=False)
    def jobs_page(caller: Caller = gate["read"]) -> HTMLResponse:
        return page("jobs.html", caller, title="Your jobs", jobs=workbench.jobs.of(caller.name), now=time.time())

    @app.get("/ingest", include_in_schema=False)
    def ingest_page(caller: Caller = gate["ingest"]) -> HTMLResponse:
        suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return page("ingest.html", caller, title="Add documents to the corpus", suffixes=suffixes,
                    limit=MAX_UPLOAD_BYTES // 2**20)  # fmt: skip

    @app.post("/ingest", include_in_schema=False)
    async def ingest_form(request: Request, caller: Caller = gate["ingest"]) -> RedirectResponse:
        upload = await _upload(request)
        if not upload.name:
            raise FactdeskError("choose a file to upload")
        job = await run_in_threadpool(workbench.ingest_upload, upload.name, upload.data, upload.fields, caller.name)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.post("/ingest/url", include_in_schema=False)
    async def ingest_url_form(request: Request, caller: Caller = gate["ingest"]) -> RedirectResponse:
        job = await run_in_threadpool(workbench.ingest_url, (await _form(request)).get("url", ""), caller.name)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(job_id: int, caller: Caller = gate["read"]) -> HTMLResponse:
        return page("job.html", caller, title=f"Job {job_id}", job=workbench.jobs.get(job_id))

    @app.get("/checks/{check_id}", include_in_schema=False)
    def check_page(check_id: int, caller: Caller = gate["read"]) -> HTMLResponse:
        view = workbench.check_view(check_id)
        return page(
            "check.html",
            caller,
            title=f"Fact-check {check_id}",
            check_id=check_id,
            marks=MARKS,
            labels=workbench.publisher.scale.labels,
            **view,
        )

    @app.get("/checks/{check_id}/report", include_in_schema=False)
    def check_report(check_id: int, caller: Caller = gate["read"]) -> HTMLResponse:
        check = workbench.locked(lambda: current_check(workbench.desk.store, check_id))
        return HTMLResponse(render_html(check), headers={"Content-Security-Policy": REPORT_POLICY})

    def signoff_form(move: Move, action: Action) -> None:
        async def form(check_id: int, request: Request, caller: Caller = gate[action]) -> Response:
            note = (await _form(request)).get("note", "")
            await run_in_threadpool(workbench.move, check_id, move, note, caller.name)
            return RedirectResponse(f"/checks/{check_id}", 303)

        app.post(f"/checks/{{check_id}}/{move}", include_in_schema=False, name=f"{move}_form")(form)

    for move, action in SIGNOFF_ACTIONS.items():
        signoff_form(move, action)

    @app.get("/checks/{check_id}/publish", include_in_schema=False)
    def publish_preview(check_id: int, caller: Caller = gate["publish"]) -> HTMLResponse:
        publication = workbench.preview(check_id)
        return page(
            "preview.html", caller, title=f"Publish fact-check {check_id}?", check_id=check_id, publication=publication
        )

    @app.get("/checks/{check_id}/publish/report", include_in_schema=False)
    def preview_report(check_id: int, caller: Caller = gate["publish"]) -> HTMLResponse:
        html = workbench.preview(check_id).files()["index.html"]
        return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_POLICY})

    @app.post("/checks/{check_id}/publish", include_in_schema=False)
    async def publish_form(check_id: int, request: Request, caller: Caller = gate["publish"]) -> RedirectResponse:
        if (await _form(request)).get("confirm") != "yes":
            raise FactdeskError(f"confirm on the preview page (/checks/{check_id}/publish) to publish")
        publication = await run_in_threadpool(workbench.publish, check_id, caller.name)
        return RedirectResponse(f"/published/{publication.slug}", 303)

    def publication_page(slug: str, version: int | None, caller: Caller) -> HTMLResponse:
        publication = workbench.locked(lambda: workbench.publisher.get(slug, version))
        return page(
            "publication.html",
            caller,
            title=slug,
            slug=slug,
            publication=publication,
            versions=workbench.publications(slug),
            labels=workbench.publisher.scale.labels,
        )

    @app.get("/published/{slug}", include_in_schema=False)
    def latest_publication_page(slug: str, caller: Caller = gate["read"]) -> HTMLResponse:
        return publication_page(slug, None, caller)

    @app.get("/published/{slug}/v{version:int}", include_in_schema=False)
    def version_page(slug: str, version: int, caller: Caller = gate["read"]) -> HTMLResponse:
        return publication_page(slug, version, caller)

    @app.get("/published/{slug}/v{version:int}/report", include_in_schema=False)
    def published_report(slug: str, version: int, caller: Caller = gate["read"]) -> HTMLResponse:
        publication = workbench.locked(lambda: workbench.publisher.get(slug, version))
        return HTMLResponse(publication.files()["index.html"], headers={"Content-Security-Policy": REPORT_POLICY})

    @app.post("/published/{slug}/correct", include_in_schema=False)
    async def correct_form(slug: str, request: Request, caller: Caller = gate["correct"]) -> RedirectResponse:
        form = await _form(request)
        publication = await run_in_threadpool(
            workbench.correct, slug, form.get("note", ""), form.get("label") or None, caller.name
        )
        return RedirectResponse(f"/published/{publication.slug}", 303)

    @app.get("/users", include_in_schema=False)
    def users_page(caller: Caller = gate["manage-users"]) -> HTMLResponse:
        return page("users.html", caller, title="Users", users=workbench.users(), roles=ROLES)

    @app.post("/users", include_in_schema=False)
    async def add_user_form(request: Request, caller: Caller = gate["manage-users"]) -> Response:
        form = await _form(request)
        await run_in_threadpool(
            workbench.add_user,
            form.get("name", "").strip(),
            form.get("role", ""),
            form.get("password", ""),
            caller.name,
        )
        return RedirectResponse("/users", 303)

    @app.post("/users/{name}", include_in_schema=False)
    async def change_user_form(name: str, request: Request, caller: Caller = gate["manage-users"]) -> Response:
        form = await _form(request)
        active = {"yes": True, "no": False}.get(form.get("active", ""))
        await run_in_threadpool(workbench.change_user, name, form.get("role") or None, active, caller.name)
        return RedirectResponse("/users", 303)

    def queue_filter(
        state: str, claimant: str, outlet: str, since: str, until: str, rating: str, assignee: str, q: str
    ) -> QueueFilter:
        return QueueFilter(
            state=state,
            claimant=claimant.strip(),
            outlet=outlet.strip(),
            since=parse_claim_date(since.strip() or None, "field 'since'"),
            until=parse_claim_date(until.strip() or None, "field 'until'"),
            rating=rating.strip(),
            assignee=assignee.strip(),
            text=q.strip(),
        )

    @app.get("/queue", include_in_schema=False)
    def queue_page(
        request: Request,
        state: str = "",
        claimant: str = "",
        outlet: str = "",
        since: str = "",
        until: str = "",
        rating: str = "",
        assignee: str = "",
        q: str = "",
        page_number: int = Query(1, alias="page"),
        caller: Caller = gate["read"],
    ) -> HTMLResponse:
        filters = queue_filter(state, claimant, outlet, since, until, rating, assignee, q)
        found = workbench.queue(filters, page_number, 25)
        args = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return page(
            "queue.html",
            caller,
            title="Queue",
            queue=found,
            filters=filters,
            states=QUEUE_STATES,
            args=args,
            link=lambda n: "/queue?" + urlencode({**args, "page": n}),
            ratings=workbench.publisher.scale.labels,
            users=[u.name for u in workbench.users() if u.active],
        )

    @app.post("/checks/{check_id}/assign", include_in_schema=False)
    async def assign_form(check_id: int, request: Request, caller: Caller = gate["assign"]) -> Response:
        name = (await _form(request)).get("assignee", "").strip() or None
        await run_in_threadpool(workbench.assign, check_id, name, caller.name)
        return RedirectResponse(f"/checks/{check_id}", 303)

    @app.post("/checks/{check_id}/marks", include_in_schema=False)
    async def mark_form(check_id: int, request: Request, caller: Caller = gate["curate"]) -> Response:
        await run_in_threadpool(workbench.mark, check_id, await _form(request), caller.name)
        return RedirectResponse(f"/checks/{check_id}#curate", 303)

    @app.post("/checks/{check_id}/documents", include_in_schema=False)
    async def document_form(check_id: int, request: Request, caller: Caller = gate["curate"]) -> Response:
        await run_in_threadpool(workbench.add_document, check_id, await _form(request), caller.name)
        return RedirectResponse(f"/checks/{check_id}#curate", 303)

    @app.post("/checks/{check_id}/rerun", include_in_schema=False)
    async def rerun_form(check_id: int, request: Request, caller: Caller = gate["curate"]) -> Response:
        job = await run_in_threadpool(workbench.rerun, check_id, caller.name)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.get("/checks/{check_id}/justification", include_in_schema=False)
    def justification_page(check_id: int, caller: Caller = gate["edit"]) -> HTMLResponse:
        view = workbench.check_view(check_id)
        return page(
            "justification.html",
            caller,
            title=f"Edit the justification of fact-check {check_id}",
            check_id=check_id,
            **view,
        )

    @app.post("/checks/{check_id}/justification", include_in_schema=False)
    async def justification_form(check_id: int, request: Request, caller: Caller = gate["edit"]) -> Response:
        form = await _form(request)
        count = _int(form.get("count", "0"), "count")
        sentences = [(form.get(f"text-{n}", ""), form.get(f"cite-{n}", "")) for n in range(1, min(count, 200) + 1)]
        await run_in_threadpool(workbench.edit_justification, check_id, sentences, form.get("note", ""), caller.name)
        return RedirectResponse(f"/checks/{check_id}", 303)

    @app.post("/checks/{check_id}/ruling", include_in_schema=False)
    async def ruling_form(check_id: int, request: Request, caller: Caller = gate["edit"]) -> Response:
        form = await _form(request)
        await run_in_threadpool(workbench.rule, check_id, form.get("label", ""), form.get("note", ""), caller.name)
        return RedirectResponse(f"/checks/{check_id}", 303)

    @app.get("/claimants/{name}", include_in_schema=False)
    def claimant_page(name: str, caller: Caller = gate["read"]) -> HTMLResponse:
        return page("claimant.html", caller, title=f"Claimant: {name}", name=name, rows=workbench.claimant(name))

    @app.get("/search", include_in_schema=False)
    def search_page(q: str = "", caller: Caller = gate["read"]) -> HTMLResponse:
        return page("search.html", caller, title="Corpus search", q=q, hits=workbench.search(q, 25) if q else [])

    # the JSON API

    @app.get("/api/me", tags=["users"])
    def me(caller: Caller = gate["read"]) -> dict[str, Any]:
        """Who the token (or session) signs in, and what their role may do."""
        return {"name": caller.name, "role": caller.role, "actions": sorted(caller.actions)}

    @app.get("/api/checks", tags=["checks"])
    def list_checks(caller: Caller = gate["read"]) -> list[CheckSummary]:
        """The newest fact-checks in the store, with their sign-off state."""
        return [
            CheckSummary(
                id=int(r["id"]),
                claim=str(r["claim"]),
                claimant=r["claimant"] or None,
                claim_date=None if r["claim_date"] is None else str(r["claim_date"]),
                label=str(r["label"]),
                rating=str(r["rating"]),
                confidence=float(r["confidence"]),
                state=r["state"],
            )
            for r in workbench.checks()
        ]

    @app.get("/api/checks/{check_id}", tags=["checks"])
    def get_check(check_id: int, caller: Caller = gate["read"]) -> dict[str, Any]:
        """The known-check match first (null: none found; absent: not looked for), then the fact-check's record as it
        now stands (as `factdesk check --format json` writes it), its sign-off state and assignee, and the model's
        verdict as first made."""
        view = workbench.check_view(check_id)
        found = {"known_match": view["match"]} if view["looked"] else {}
        model = view["model"].verdict
        return {
            **found,
            **check_record(view["check"], check_id),
            "state": view["signoff"].state,
            "assignee": view["assignee"],
            "model_verdict": {"label": model.label, "rating": model.rating, "confidence": model.confidence},
            "flags": view["flags"],
        }

    @app.post("/api/checks", status_code=202, tags=["checks"])
    def start_check(claim: ClaimIn, caller: Caller = gate["check"]) -> JobOut:
        """Starts checking a claim in the background; follow the job at /api/jobs/{id}."""
        return _job_out(workbench.start_check(claim.model_dump(), caller.name))

    @app.get("/api/jobs/{job_id}", tags=["checks"])
    def job_status(job_id: int, caller: Caller = gate["read"]) -> JobOut:
        """A check job's state; when done, `check_id` names the stored fact-check."""
        return _job_out(workbench.jobs.get(job_id))

    @app.get("/api/jobs", tags=["checks"])
    def my_jobs(caller: Caller = gate["read"]) -> list[JobOut]:
        """The caller's jobs (checks, re-runs, ingests), newest first; kept across restarts of the server."""
        return [_job_out(job) for job in workbench.jobs.of(caller.name)]

    @app.post("/api/claims/extract", tags=["checks"])
    def extract_claims(body: ExtractIn, caller: Caller = gate["check"]) -> ExtractionOut:
        """The check-worthy claims of a pasted text, or of the page at `page` (fetched under the server's `[fetch]`
        rules: no private or loopback address, size limits, robots.txt), each rewritten to stand alone; check the
        ones you pick with `POST /api/checks`."""
        found = workbench.extract(body.model_dump())
        claims = [
            ExtractedOut(
                claim=c.claim,
                sentence=c.sentence,
                claimant=c.claimant,
                date=c.date.isoformat() if c.date else None,
                score=c.score,
                needs_context=list(c.needs_context),
            )
            for c in found.claims
        ]
        return ExtractionOut(url=found.url, title=found.title, role=found.role, claims=claims)

    @app.post(
        "/api/documents",
        status_code=202,
        tags=["desk"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def upload_document(
        request: Request,
        name: str,
        outlet: str = "",
        url: str = "",
        title: str = "",
        date: str = "",
        caller: Caller = gate["ingest"],
    ) -> JobOut:
        """Ingests the file sent as the body (named `name`, whose suffix says how to read it; at most 10 MiB) in
        the background; outlet, url, title and date replace what the file says. Follow the job at /api/jobs/{id}."""
        data = await _read(request, MAX_UPLOAD_BYTES)
        fields = {"outlet": outlet, "url": url, "title": title, "date": date}
        return _job_out(await run_in_threadpool(workbench.ingest_upload, name, data, fields, caller.name))

    @app.post("/api/documents/url", status_code=202, tags=["desk"])
    def ingest_page_url(body: PageIn, caller: Caller = gate["ingest"]) -> JobOut:
        """Fetches a page under the server's `[fetch]` rules, archives it and ingests it, in the background."""
        return _job_out(workbench.ingest_url(body.url, caller.name))

    @app.get("/api/checks/{check_id}/signoff", tags=["sign-off"])
    def signoff_status(check_id: int, caller: Caller = gate["read"]) -> SignOffOut:
        """A fact-check's sign-off state (draft, in-review, approved, published) and its history."""
        return workbench.signoff_record(check_id)

    def signoff_api(move: Move, action: Action, summary: str) -> None:
        def endpoint(check_id: int, body: NoteIn, caller: Caller = gate[action]) -> SignOffOut:
            workbench.move(check_id, move, body.note, caller.name)
            return workbench.signoff_record(check_id)

        app.post(f"/api/checks/{{check_id}}/{move}", tags=["sign-off"], summary=summary, name=f"{move}_check")(endpoint)

    signoff_api("submit", "submit", "Sends a draft for review")
    signoff_api("return", "return", "Sends a fact-check in review, or approved, back to draft")
    signoff_api("approve", "approve", "Approves a fact-check in review for publishing")

    @app.get("/api/checks/{check_id}/preview", tags=["published"])
    def preview(check_id: int, caller: Caller = gate["publish"]) -> PreviewOut:
        """What publishing an approved fact-check would publish: its slug, rating and ClaimReview."""
        publication = workbench.preview(check_id)
        rating = publication.claim_review["reviewRating"]["alternateName"]
        return PreviewOut(slug=publication.slug, rating=rating, claim_review=publication.claim_review)

    @app.post("/api/checks/{check_id}/publish", status_code=201, tags=["published"])
    def publish(check_id: int, caller: Caller = gate["publish"]) -> PublicationOut:
        """Publishes an approved fact-check as version 1 of its slug."""
        return workbench.publications(workbench.publish(check_id, caller.name).slug)[-1]

    @app.get("/api/published", tags=["published"])
    def list_published(caller: Caller = gate["read"]) -> list[PublicationOut]:
        """Every published version, by slug then version."""
        return workbench.publications()

    @app.get("/api/published/{slug}", tags=["published"])
    def published_versions(slug: str, caller: Caller = gate["read"]) -> list[PublicationOut]:
        """The published versions of one slug, oldest first."""
        versions = workbench.publications(slug)
        if not versions:
            raise FactdeskError(f"nothing published under {slug!r}")
        return versions

    @app.post("/api/published/{slug}/corrections", status_code=201, tags=["published"])
    def correct(slug: str, correction: CorrectionIn, caller: Caller = gate["correct"]) -> PublicationOut:
        """Publishes a new version with a correction note and, optionally, the editor's verdict label."""
        return workbench.publications(workbench.correct(slug, correction.note, correction.label, caller.name).slug)[-1]

    @app.get("/api/queue", tags=["desk"])
    def queue(
        state: str = "",
        claimant: str = "",
        outlet: str = "",
        since: str = "",
        until: str = "",
        rating: str = "",
        assignee: str = "",
        q: str = "",
        page_number: int = Query(1, alias="page"),
        per_page: int = 25,
        caller: Caller = gate["read"],
    ) -> QueueOut:
        """The queue: checks by state (new, in-progress, in-review, approved, published), newest first, filtered by
        claimant, outlet, claim date range (since, until), rating, assignee and words (q), a page at a time."""
        filters = queue_filter(state, claimant, outlet, since, until, rating, assignee, q)
        found = workbench.queue(filters, page_number, per_page)
        items = [QueueItemOut(**vars(item)) for item in found.items]
        return QueueOut(items=items, total=found.total, page=found.page, per_page=found.per_page, pages=found.pages)

    @app.post("/api/checks/{check_id}/assign", tags=["desk"])
    def assign(check_id: int, body: AssignIn, caller: Caller = gate["assign"]) -> AssignIn:
        """Assigns a fact-check to a user (null: to no one)."""
        return AssignIn(assignee=workbench.assign(check_id, body.assignee, caller.name))

    @app.get("/api/checks/{check_id}/history", tags=["desk"])
    def history(check_id: int, caller: Caller = gate["read"]) -> list[EditionOut]:
        """A fact-check's editions, oldest first: the model's check, re-runs, the editor's rulings and edits."""
        return [EditionOut(**row) for row in workbench.locked(lambda: workbench.work.history(check_id))]  # type: ignore[arg-type]

    @app.post("/api/checks/{check_id}/marks", status_code=201, tags=["desk"])
    def mark(check_id: int, body: MarkIn, caller: Caller = gate["curate"]) -> MarkIn:
        """Marks a passage of the check's evidence irrelevant, or as taking a stance, with the editor's reason."""
        workbench.mark(check_id, body.model_dump(), caller.name)
        return body

    @app.post("/api/checks/{check_id}/documents", status_code=201, tags=["desk"])
    def add_document(check_id: int, body: DocumentIn, caller: Caller = gate["curate"]) -> dict[str, str]:
        """Stores pasted text (with outlet, URL, title, date) and adds it to the check's evidence."""
        return {"doc_id": workbench.add_document(check_id, body.model_dump(), caller.name)}

    @app.post("/api/checks/{check_id}/rerun", status_code=202, tags=["desk"])
    def rerun(check_id: int, caller: Caller = gate["curate"]) -> JobOut:
        """Rules again, in the background, on the check's evidence as curated; follow the job at /api/jobs/{id}."""
        return _job_out(workbench.rerun(check_id, caller.name))

    @app.put("/api/checks/{check_id}/justification", tags=["desk"])
    def justification(check_id: int, body: JustificationIn, caller: Caller = gate["edit"]) -> list[FlagOut]:
        """Saves the editor's justification; every sentence cites spans of the evidence. Returns the sentences the
        citation checker flags (saved only on a draft, and a check with any cannot be sent for review)."""
        sentences = [(s.text, "; ".join(f"{c.doc_id}:{c.start}-{c.end}" for c in s.citations)) for s in body.sentences]
        flags = workbench.edit_justification(check_id, sentences, body.note, caller.name)
        return [FlagOut(**flag) for flag in flags]

    @app.post("/api/checks/{check_id}/ruling", status_code=201, tags=["desk"])
    def ruling(check_id: int, body: RulingIn, caller: Caller = gate["edit"]) -> EditionOut:
        """The editor's ruling over the model's verdict (a verdict label or a rating), with a note; it carries no
        confidence."""
        workbench.rule(check_id, body.label, body.note, caller.name)
        return history(check_id, caller)[-1]

    @app.get("/api/claimants/{name}", tags=["desk"])
    def claimant(name: str, caller: Caller = gate["read"]) -> list[ClaimantCheckOut]:
        """Every check of a claimant's claims, oldest claim first."""
        return [
            ClaimantCheckOut(
                check_id=int(r["check_id"]),
                claim=str(r["text"]),
                claim_date=None if r["claim_date"] is None else str(r["claim_date"]),
                label=str(r["label"]),
                rating=str(r["rating"]),
                state=str(r["state"]),
            )
            for r in workbench.claimant(name)
        ]

    @app.get("/api/search", tags=["desk"])
    def search(q: str, limit: int = 20, caller: Caller = gate["read"]) -> list[PassageOut]:
        """Passages of the corpus for the words ``q``, found by the configured retriever."""
        return [
            PassageOut(
                doc_id=h.passage.doc_id,
                start=h.passage.start,
                end=h.passage.end,
                outlet=h.document.outlet,
                url=h.document.url,
                published=h.document.published.isoformat() if h.document.published else None,
                text=h.passage.text,
                score=round(h.score, 4),
            )
            for h in workbench.search(q, max(1, min(limit, 100)))
        ]

    @app.get("/api/users", tags=["users"])
    def list_users(caller: Caller = gate["manage-users"]) -> list[UserOut]:
        """Every user, oldest first."""
        return workbench.users()

    @app.post("/api/users", status_code=201, tags=["users"])
    def add_user(new: UserIn, caller: Caller = gate["manage-users"]) -> UserOut:
        """Adds a user with a role and a password (at least 10 characters)."""
        return workbench.add_user(new.name, new.role, new.password, caller.name)

    @app.patch("/api/users/{name}", tags=["users"])
    def change_user(name: str, change: UserChange, caller: Caller = gate["manage-users"]) -> UserOut:
        """Changes a user's role, or disables (active: false) or enables them."""
        return workbench.change_user(name, change.role, change.active, caller.name)

    return app


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: any free port), bound before the server starts so that errors are plain."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # TCP named outright: asyncio turns Nagle's algorithm off only on connections of such a socket, and with it on,
    # a response written in two parts (headers, then a file) waits for the client's delayed ACK, some 40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name == "posix":  # as socket.create_server does: a restart need not wait for old connections
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen()
    except OSError as exc:
        sock.close()
        raise FactdeskError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def make_server(app: FastAPI) -> uvicorn.Server:
    """A uvicorn server for the app; run it with ``server.run(sockets=[bind(host, port)])``."""
    return uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))

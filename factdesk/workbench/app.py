"""The editor's workbench: a small local web app over the library API.

An editor checks a claim, reads the report with its cited evidence, publishes it, and publishes corrections
(with a note, and optionally their own verdict over the model's). Reports are shown in a sandboxed frame, so
nothing in evidence can run; forms are accepted only from the workbench's own pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from factdesk.claims import parse_claim_date
from factdesk.errors import FactdeskError
from factdesk.explain.render import render_html
from factdesk.pipeline import FactDesk
from factdesk.publish.publisher import Publisher
from factdesk.records import Claim

log = logging.getLogger("factdesk.workbench")

PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'"
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MAX_FORM_BYTES = 64 * 1024
_CSS = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
header{background:#1f2a44;color:#fff;padding:.6rem 1.2rem}header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}section{background:#fff;border:1px solid #ddd;
border-radius:6px;padding:1rem;margin-bottom:1rem}label{display:block;margin:.4rem 0 .1rem;font-weight:600}
input,textarea,select{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}
button{margin-top:.6rem;padding:.45rem 1rem;font:inherit;background:#1f2a44;color:#fff;border:0;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #eee}
iframe{width:100%;height:70vh;border:1px solid #ddd;background:#fff}.error{color:#a00;font-weight:600}
.rating{font-weight:700}
"""


@dataclass
class Response:
    status: HTTPStatus
    body: str = ""
    location: str = ""
    policy: str = PAGE_POLICY


class Workbench:
    """Routes requests to the library API; one FactDesk, used by one request at a time."""

    def __init__(self, desk: FactDesk, out: Path) -> None:
        self.desk = desk
        self.out = out
        self.publisher = Publisher(desk.store, desk.config.publish)

    def get(self, path: str) -> Response:
        if path == "/":
            return self._page("factdesk workbench", self._home())
        if match := re.fullmatch(r"/checks/(\d+)", path):
            return self._check_page(int(match[1]))
        if match := re.fullmatch(r"/checks/(\d+)/report", path):
            check = self.desk.store.factcheck(int(match[1]))
            return Response(HTTPStatus.OK, render_html(check), policy=REPORT_POLICY)
        if match := re.fullmatch(r"/published/([a-z0-9-]+)", path):
            return self._publication_page(match[1], None)
        if match := re.fullmatch(r"/published/([a-z0-9-]+)/v(\d+)", path):
            return self._publication_page(match[1], int(match[2]))
        if match := re.fullmatch(r"/published/([a-z0-9-]+)/v(\d+)/report", path):
            publication = self.publisher.get(match[1], int(match[2]))
            return Response(HTTPStatus.OK, publication.files()["index.html"], policy=REPORT_POLICY)
        return self._page("Not found", "<p>No such page.</p>", HTTPStatus.NOT_FOUND)

    def post(self, path: str, form: dict[str, str]) -> Response:
        if path == "/check":
            return self._check(form)
        if match := re.fullmatch(r"/checks/(\d+)/publish", path):
            publication = self.publisher.publish(int(match[1]), self.out)
            return Response(HTTPStatus.SEE_OTHER, location=f"/published/{publication.slug}")
        if match := re.fullmatch(r"/published/([a-z0-9-]+)/correct", path):
            label = form.get("label") or None
            publication = self.publisher.correct(match[1], form.get("note", ""), self.out, label=label)
            return Response(HTTPStatus.SEE_OTHER, location=f"/published/{publication.slug}")
        return self._page("Not found", "<p>No such action.</p>", HTTPStatus.NOT_FOUND)

    def _check(self, form: dict[str, str]) -> Response:
        text = form.get("claim", "").strip()
        if not text:
            raise FactdeskError("field 'claim': give the claim's exact words")
        claim = Claim(
            text=text,
            claimant=form.get("claimant", "").strip(),
            claimant_role=form.get("role", "").strip(),
            date=parse_claim_date(form.get("date", "").strip() or None, "field 'date'"),
            appearance_url=form.get("url", "").strip(),
        )
        check_id = self.desk.save(self.desk.check(claim, save=False))
        return Response(HTTPStatus.SEE_OTHER, location=f"/checks/{check_id}")

    def _home(self) -> str:
        rows = "".join(
            f'<tr><td><a href="/checks/{r["id"]}">{r["id"]}</a></td><td>{escape(str(r["claim"]))}</td>'
            f"<td>{escape(str(r['claimant'] or ''))}</td><td>{escape(str(r['claim_date'] or 'undated'))}</td>"
            f'<td class="rating">{escape(str(r["rating"]))}</td></tr>'
            for r in self.desk.store.recent_factchecks()
        )
        published = sorted({str(row["slug"]) for row in self.desk.store.publications()})
        links = "".join(f'<li><a href="/published/{escape(slug)}">{escape(slug)}</a></li>' for slug in published)
        return (
            '<section><h2>Check a claim</h2><form method="post" action="/check">'
            '<label for="claim">Claim, in the claimant\'s words</label>'
            '<textarea id="claim" name="claim" rows="3" required></textarea>'
            '<label for="claimant">Claimant</label><input id="claimant" name="claimant">'
            '<label for="role">Claimant\'s role</label><input id="role" name="role">'
            '<label for="date">Date said (YYYY-MM-DD); later evidence is never used</label>'
            '<input id="date" name="date" placeholder="2022-09-10">'
            '<label for="url">Where it appeared (URL)</label><input id="url" name="url">'
            '<button type="submit">Check</button></form></section>'
            f"<section><h2>Fact-checks</h2><table><tr><th>id</th><th>claim</th><th>claimant</th><th>date</th>"
            f"<th>rating</th></tr>{rows}</table></section>"
            f"<section><h2>Published</h2><ul>{links or '<li>Nothing published yet.</li>'}</ul></section>"
        )

    def _check_page(self, check_id: int) -> Response:
        check = self.desk.store.factcheck(check_id)
        published = self.desk.store.publications(check_id=check_id)
        action = (
            f'<p>Published as <a href="/published/{escape(str(published[-1]["slug"]))}">'
            f"{escape(str(published[-1]['slug']))}</a>.</p>"
            if published
            else f'<form method="post" action="/checks/{check_id}/publish">'
            '<button type="submit">Publish this fact-check</button></form>'
        )
        body = (
            f'<section><h2>Fact-check {check_id}: <span class="rating">{escape(check.verdict.rating)}</span></h2>'
            f"<p>{escape(check.claim.text)}</p>{action}</section>"
            f'<iframe title="Report" sandbox src="/checks/{check_id}/report"></iframe>'
        )
        return self._page(f"Fact-check {check_id}", body)

    def _publication_page(self, slug: str, version: int | None) -> Response:
        publication = self.publisher.get(slug, version)
        versions = self.desk.store.publications(slug=slug)
        items = "".join(
            f'<li><a href="/published/{escape(slug)}/v{v["version"]}">version {v["version"]}</a>, '
            f"{escape(str(v['published_at']))}</li>"
            for v in versions
        )
        options = "".join(
            f'<option value="{escape(label)}">{escape(label)}</option>' for label in self.publisher.scale.labels
        )
        body = (
            f"<section><h2>{escape(slug)} — version {publication.version}</h2><ol>{items}</ol>"
            f'<form method="post" action="/published/{escape(slug)}/correct">'
            '<label for="note">Correction note (what changed and why)</label>'
            '<textarea id="note" name="note" rows="2" required></textarea>'
            '<label for="label">Editor\'s verdict (optional)</label>'
            f'<select id="label" name="label"><option value="">keep the current verdict</option>{options}</select>'
            '<button type="submit">Publish a correction</button></form></section>'
            f'<iframe title="Published report" sandbox src="/published/{escape(slug)}/v{publication.version}/report">'
            "</iframe>"
        )
        return self._page(slug, body)

    @staticmethod
    def _page(title: str, body: str, status: HTTPStatus = HTTPStatus.OK) -> Response:
        return Response(
            status,
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
            f'<style>{_CSS}</style></head><body><header><a href="/">factdesk workbench</a></header>'
            f"<main>{body}</main></body></html>",
        )


def make_server(workbench: Workbench, host: str = "127.0.0.1", port: int = 8765) -> HTTPServer:
    """A single-threaded server: one request at a time, so the store sees one writer."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._respond(lambda: workbench.get(urlsplit(self.path).path))

        def do_POST(self) -> None:
            self._respond(self._post)

        def _post(self) -> Response:
            if not self._same_origin():
                return Response(HTTPStatus.FORBIDDEN, "forms are accepted only from the workbench's own pages")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_FORM_BYTES:
                return Response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "form too large")
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            return workbench.post(urlsplit(self.path).path, form)

        def _same_origin(self) -> bool:
            origin = self.headers.get("Origin")
            return origin is None or urlsplit(origin).netloc == self.headers.get("Host")

        def _respond(self, handle: Callable[[], Response]) -> None:
            try:
                response = handle()
            except FactdeskError as exc:
                response = Workbench._page("Error", f'<p class="error">{escape(str(exc))}</p>', HTTPStatus.BAD_REQUEST)
            data = response.body.encode("utf-8")
            self.send_response(response.status)
            if response.location:
                self.send_header("Location", response.location)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", response.policy)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return HTTPServer((host, port), Handler)

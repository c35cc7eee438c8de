"""A loopback "web" for search: the four search APIs factdesk speaks (SearXNG, Brave, Google Programmable
Search, Serper), each with its own request and response shape, over a few dated news pages about the Kharkiv
counteroffensive of September 2022, some published after the ministry's "regrouping" claim.

The pages are written for these tests in their own words; the outlets and people quoted are invented."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEYS = {"brave": "brave-test-token", "google": "google-test-key", "cx": "test-engine", "serper": "serper-test-key"}


@dataclass(frozen=True)
class Page:
    path: str
    outlet: str
    title: str
    published: date
    paragraphs: tuple[str, ...]

    def html(self) -> str:
        body = "".join(f"<p>{p}</p>" for p in self.paragraphs)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{self.title} | {self.outlet}</title>'
            f'<meta property="og:site_name" content="{self.outlet}"><meta property="og:title" content="{self.title}">'
            f'<meta property="article:published_time" content="{self.published.isoformat()}T12:00:00Z"></head>'
            f'<body><nav><a href="/">Home</a></nav><article><h1>{self.title}</h1>{body}</article>'
            "<footer>Subscribe to our newsletter.</footer></body></html>"
        )


PAGES = (
    Page(
        "/statements/2022-09-10-briefing",
        "Kremlin Briefing Record",
        "Defence ministry says troops near Balakliia and Izium are being regrouped",
        date(2022, 9, 10),
        (
            "At the daily briefing on 10 September 2022 the Russian defence ministry's spokesman, Igor Konashenkov, "
            "said that Russian troops near Balakliia and Izium were being regrouped.",
            "He said the regrouping would strengthen the operation in the Donetsk direction and had been decided "
            "in advance. The briefing gave no figures on losses and did not mention the Ukrainian advance.",
        ),
    ),
    Page(
        "/wire/2022-09-10-izium-flight",
        "Lantern Wire",
        "Russian soldiers flee Izium, leaving tanks and ammunition behind",
        date(2022, 9, 10),
        (
            "Russian soldiers fled Izium in disorder on Saturday, abandoning tanks, artillery and crates of "
            "ammunition as Ukrainian troops closed in on the town.",
            "Residents said the troops left in a panic, some on foot and some in cars taken from local people. "
            "Nothing about the withdrawal looked like an orderly regrouping, a Ukrainian officer said.",
        ),
    ),
    Page(
        "/analysis/2022-09-10-rout",
        "Northern Security Review",
        "Analysis: what Moscow calls a regrouping near Izium was a rout",
        date(2022, 9, 10),
        (
            "The Russian retreat from Balakliia and Izium was a rout, not a planned regrouping. Units collapsed "
            "under a Ukrainian offensive they did not expect and abandoned their positions and equipment.",
            "The defence ministry's statement that troops were regrouped to reinforce Donetsk does not match what "
            "happened on the ground: the forces were routed and driven out, and they left in haste.",
        ),
    ),
    Page(
        "/daily/2022-09-11-assessment",
        "Institute for Conflict Assessment",
        "Daily assessment, 11 September: Russian forces collapse in Kharkiv Oblast",
        date(2022, 9, 11),
        (
            "Ukrainian forces have inflicted a major operational defeat on Russian forces in Kharkiv Oblast. "
            "Russian troops did not conduct an orderly withdrawal; they fled Izium and Balakliia and abandoned "
            "large amounts of equipment.",
            "The Russian defence ministry's claim of a deliberate regrouping towards Donetsk is false. It is an "
            "attempt to hide a disorderly retreat.",
        ),
    ),
    Page(
        "/tally/2022-09-12-equipment",
        "Open Equipment Count",
        "Hundreds of Russian vehicles lost in the Kharkiv counteroffensive",
        date(2022, 9, 12),
        (
            "Photographs verified by volunteers show more than two hundred Russian tanks, armoured vehicles and "
            "guns captured or destroyed since 6 September, many of them abandoned intact near Izium.",
            "An army that regroups takes its equipment with it. Abandoned tanks with full tanks of fuel point to "
            "a hurried flight, the volunteers said.",
        ),
    ),
    Page(
        "/broadcast/2022-09-09-balakliia",
        "Riverside Broadcasting",
        "Ukrainian troops retake Balakliia as Russian lines give way",
        date(2022, 9, 9),
        (
            "Ukrainian troops entered Balakliia on Thursday after Russian forces pulled out of the town, local "
            "officials said. Russian lines south-east of Kharkiv gave way within three days.",
            "Russia's defence ministry said it was sending reinforcements to the Kharkiv region.",
        ),
    ),
    Page(
        "/wire/2022-09-10-grain",
        "Lantern Wire",
        "Grain ships leave Odesa under the Black Sea deal",
        date(2022, 9, 10),
        ("Four more ships carrying grain left the port of Odesa on Saturday under the UN-backed export deal.",),
    ),
    # Published after the claim (and after --as-of 2022-09-13): found by search, never used as evidence.
    Page(
        "/later/2022-09-16-burial",
        "Lantern Wire",
        "After the Russian rout, investigators reach Izium",
        date(2022, 9, 16),
        (
            "Investigators reached Izium a week after Russian troops fled the town in a rout. Officials said the "
            "ministry's story of a planned regrouping had been exposed as false by everything found there.",
        ),
    ),
    Page(
        "/later/2022-09-27-review",
        "Northern Security Review",
        "Three weeks on: the 'regrouping' near Izium was a disorderly retreat",
        date(2022, 9, 27),
        (
            "Three weeks after the defence ministry said troops near Balakliia and Izium were being regrouped, "
            "the record shows a collapse: Russian forces fled and abandoned their equipment. The regrouping claim "
            "is false.",
        ),
    ),
    Page(
        "/later/2022-10-05-referendums",
        "Riverside Broadcasting",
        "Kremlin moves to annex regions after losing Kharkiv",
        date(2022, 10, 5),
        ("Weeks after its troops were driven out of Izium, Moscow moved to annex four regions of Ukraine.",),
    ),
)
LATER = tuple(page.path for page in PAGES if page.published > date(2022, 9, 13))
STOP = {"the", "and", "are", "being", "from", "that", "this", "with", "for", "area", "near", "said", "was"}


def matches(query: str, before: date | None) -> list[Page]:
    """Pages sharing at least two content words with ``query``, most shared first, dated no later than
    ``before`` when the engine was given a cut-off."""
    words = {w for w in re.findall(r"\w+", query.lower()) if len(w) > 3 and w not in STOP}
    scored = []
    for page in PAGES:
        text = " ".join((page.title, *page.paragraphs)).lower()
        shared = sum(1 for word in words if word in text)
        if shared >= 2 and (before is None or page.published <= before):
            scored.append((-shared, page.path, page))
    return [page for *_, page in sorted(scored)]


class SearchWeb:
    """Serves the pages and the four search APIs on 127.0.0.1. ``hits`` counts requests by path; ``requests``
    keeps each search request's (method, path, params, headers, JSON body); ``quota_left`` is how many search
    requests are answered before every one gets 429."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str], dict]] = []
        self.quota_left = 1_000_000
        self.delay = 0.0  # seconds before each page is served
        self.searxng_json = True  # whether the SearXNG API allows format=json (settings.yml search.formats)
        self.extra_results: list[str] = []  # paths SearXNG adds to every answer (pages that fail, say)
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    web.handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    web.handle(self, json.loads(self.rfile.read(length) or b"{}"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def searches(self) -> int:
        return len(self.requests)

    def page_hits(self) -> dict[str, int]:
        return {page.path: self.hits[page.path] for page in PAGES if self.hits[page.path]}

    def handle(self, handler: BaseHTTPRequestHandler, body: dict | None) -> None:
        parts = urlsplit(handler.path)
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        with self._lock:
            self.hits[parts.path] += 1
        page = next((p for p in PAGES if p.path == parts.path), None)
        if page is not None:
            threading.Event().wait(self.delay)
            return _send(handler, 200, page.html().encode(), "text/html; charset=utf-8")
        if parts.path == "/robots.txt":
            return _send(handler, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        api = {
            ("GET", "/search"): self._searxng,
            ("GET", "/res/v1/web/search"): self._brave,
            ("GET", "/customsearch/v1"): self._google,
            ("POST", "/search"): self._serper,
        }.get((handler.command, parts.path))
        if api is None:
            return _send(handler, 404, b"not found", "text/plain")
        headers = {key.lower(): value for key, value in handler.headers.items()}
        with self._lock:
            self.requests.append((handler.command, parts.path, params, headers, body or {}))
            self.quota_left -= 1
            over = self.quota_left < 0
        if over:
            return _json(handler, 429, {"error": {"code": 429, "message": "Quota exceeded"}}, Retry_After="0")
        status, payload = api(params, headers, body or {})
        _json(handler, status, payload)

    def _searxng(self, params: dict[str, str], _headers: dict[str, str], _body: dict) -> tuple[int, dict]:
        if params.get("format") != "json" or not self.searxng_json:
            return 403, {"error": "format not allowed"}
        results = [
            {"url": self.url(p.path), "title": p.title, "content": p.paragraphs[0][:150], "engine": "duckduckgo"}
            for p in matches(params.get("q", ""), None)
        ] + [{"url": self.url(path), "title": path, "content": ""} for path in self.extra_results]
        return 200, {
            "query": params.get("q"),
            "number_of_results": len(results),
            "results": results,
            "answers": [],
            "suggestions": [],
            "unresponsive_engines": [],
        }

    def _brave(self, params: dict[str, str], headers: dict[str, str], _body: dict) -> tuple[int, dict]:
        if headers.get("x-subscription-token") != KEYS["brave"]:
            return 401, {
                "type": "ErrorResponse",
                "error": {
                    "status": 401,
                    "code": "SUBSCRIPTION_TOKEN_INVALID",
                    "detail": "The provided subscription token is invalid.",
                },
            }
        before = None
        if "freshness" in params:
            before = date.fromisoformat(params["freshness"].split("to", 1)[1])
        found = matches(params.get("q", ""), before)[: int(params.get("count", "20"))]
        results = [
            {
                "title": p.title,
                "url": self.url(p.path),
                "description": p.paragraphs[0][:150],
                "page_age": f"{p.published}T12:00:00",
            }
            for p in found
        ]
        return 200, {
            "type": "search",
            "query": {"original": params.get("q")},
            "web": {"type": "search", "results": results},
        }

    def _google(self, params: dict[str, str], _headers: dict[str, str], _body: dict) -> tuple[int, dict]:
        if params.get("key") != KEYS["google"] or params.get("cx") != KEYS["cx"]:
            return 400, {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                }
            }
        before = None
        if params.get("sort", "").startswith("date:r:"):
            before = datetime.strptime(params["sort"].rsplit(":", 1)[1], "%Y%m%d").date()
        found = matches(params.get("q", ""), before)[: int(params.get("num", "10"))]
        items = [
            {
                "kind": "customsearch#result",
                "title": p.title,
                "link": self.url(p.path),
                "snippet": p.paragraphs[0][:150],
            }
            for p in found
        ]
        return 200, {"kind": "customsearch#search", "queries": {}, "items": items} if items else {"kind": "x"}

    def _serper(self, _params: dict[str, str], headers: dict[str, str], body: dict) -> tuple[int, dict]:
        if headers.get("x-api-key") != KEYS["serper"]:
            return 403, {"message": "Unauthorized.", "statusCode": 403}
        before = None
        if "tbs" in body:
            month, day, year = body["tbs"].split("cd_max:", 1)[1].split("/")
            before = date(int(year), int(month), int(day))
        found = matches(body.get("q", ""), before)[: int(body.get("num", 10))]
        organic = [
            {"title": p.title, "link": self.url(p.path), "snippet": p.paragraphs[0][:150], "position": n}
            for n, p in enumerate(found, 1)
        ]
        return 200, {"searchParameters": {"q": body.get("q"), "type": "search"}, "organic": organic}


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def _json(handler: BaseHTTPRequestHandler, status: int, payload: dict, **headers: str) -> None:
    _send(handler, status, json.dumps(payload).encode(), "application/json", **headers)

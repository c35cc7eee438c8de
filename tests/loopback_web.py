"""A small "web" on loopback for the fetch tests and benchmark: news pages, a PDF, a feed, robots.txt, and
hostile endpoints (redirects to private addresses, a 200 MB body, a gzip bomb, a slow drip, a wrong charset,
a 500, a hang)."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import brotli

NEWS_WITH_METADATA = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Russian forces retreat from Izium | Meridian Wire</title>
<meta property="og:site_name" content="Meridian Wire">
<meta property="og:title" content="Russian forces retreat from Izium">
<meta name="author" content="Olena Kovalenko">
<meta property="article:published_time" content="2022-09-10T14:00:00Z">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Russian forces retreat from Izium</h1>
<p>Russian troops abandoned positions around Izium on Saturday, leaving behind armoured vehicles and ammunition.</p>
<p>Witnesses described a hurried withdrawal rather than the orderly regrouping announced by the defence ministry.</p>
<p>Ukrainian units entered the town of Balakliia earlier in the week after a rapid advance from the south-west.</p>
</article><footer><p>Cookie notice: we use cookies.</p></footer></body></html>"""

NEWS_WITHOUT_METADATA = """<html><body><div class="story">
<p>The railway junction at Kupiansk carries most supplies bound for the front line in the north-east.</p>
<p>Local officials said the bridges on the line had been repaired twice since the spring, after heavy shelling.</p>
<p>Freight traffic through the junction stopped this week, according to the regional rail operator's staff.</p>
</div></body></html>"""

CHARSET_PAGE = """<html><head><title>Café society</title></head><body><article>
<p>The café on the main square reopened this week — its owner, a naïve optimist by his own account, said the
crowds had returned. “We served déjà vu and crème brûlée to soldiers and façade painters alike,” he said.</p>
<p>Neighbours said the reopening of the café was a sign that life in the town was returning to normal.</p>
</article></body></html>"""

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Eastern Front Monitor</title><link>http://monitor.test/</link>
<description>Daily notes</description><language>en</language>
<item><title>Izium retaken</title><link>http://monitor.test/izium</link>
<pubDate>Sat, 10 Sep 2022 18:00:00 GMT</pubDate>
<description>&lt;p&gt;Ukrainian forces &lt;b&gt;retook Izium&lt;/b&gt; after Russian units fled.&lt;/p&gt;
</description></item>
<item><title>Balakliia liberated</title><link>http://monitor.test/balakliia</link>
<pubDate>Thu, 08 Sep 2022 09:30:00 GMT</pubDate>
<description>Ukrainian troops entered Balakliia after a surprise advance.</description></item>
</channel></rss>"""

ROBOTS = "User-agent: *\nDisallow: /private/\n"
TEXT_NOTE = "Field note from Kharkiv\n\nSupply trucks were seen leaving Kupiansk on 9 September heading east.\n"
BIG = 200_000_000


def make_pdf(lines: list[str], title: str, author: str, created: str) -> bytes:
    """A one-page PDF with ``lines`` in Helvetica and an Info dictionary (``created``: D:YYYYMMDDHHmmSSZ)."""

    def text(value: str) -> str:
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({text(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >>"
        " /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        f"<< /Title ({text(title)}) /Author ({text(author)}) /CreationDate ({created}) >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF = make_pdf(
    [
        "Assessment of the Kharkiv counteroffensive.",
        "Russian forces in the Izium area collapsed under Ukrainian pressure on 10 September.",
        "The withdrawal was disorderly and left large stocks of equipment behind.",
    ],
    title="Kharkiv counteroffensive assessment",
    author="Institute for Conflict Studies",
    created="D:20220911080000Z",
)


@cache
def gzip_bomb() -> bytes:
    """About 100 KB of gzip that inflates to 100 MB of zeros, made without holding the 100 MB."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(100)) + packer.flush()


class LoopbackWeb:
    """A threaded HTTP server on ``host``; ``hits`` counts requests by path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.hits: Counter[str] = Counter()
        self.down = True  # whether /recovering answers 503
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                web.hits[parts.path] += 1
                route = ROUTES.get(parts.path)
                if route is None and parts.path.startswith("/page/"):
                    route = _numbered_page
                if route is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up, rightly
                    route(self, web, parse_qs(parts.query))

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


Handler = BaseHTTPRequestHandler
Route = Callable[[Handler, LoopbackWeb, dict[str, list[str]]], None]


def _send(handler: Handler, body: bytes, content_type: str, status: int = 200, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def _html(page: str, charset: str = "utf-8", encoding: str = "utf-8") -> Route:
    return lambda h, _web, _query: _send(h, page.encode(encoding), f"text/html; charset={charset}")


def _gzip_page(handler: Handler, _web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    page = NEWS_WITH_METADATA.replace("on Saturday", "on Saturday morning")  # not a duplicate of the plain one
    _send(handler, gzip.compress(page.encode()), "text/html; charset=utf-8", Content_Encoding="gzip")


def _brotli_page(handler: Handler, _web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    body = brotli.compress(NEWS_WITHOUT_METADATA.replace("this week", "on Monday").encode())
    _send(handler, body, "text/html; charset=utf-8", Content_Encoding="br")


def _redirect(handler: Handler, _web: LoopbackWeb, query: dict[str, list[str]]) -> None:
    handler.send_response(302)
    handler.send_header("Location", query["to"][0])
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _error(handler: Handler, _web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    _send(handler, b"server error", "text/plain", status=500)


def _flaky(handler: Handler, web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    """503 on the first request, then a page: a retry gets it."""
    if web.hits["/flaky"] == 1:
        _send(handler, b"busy", "text/plain", status=503, Retry_After="0")
    else:
        _send(handler, TEXT_NOTE.replace("Field note", "Second field note").encode(), "text/plain; charset=utf-8")


def _recovering(handler: Handler, web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    """503 while ``web.down``, then a page."""
    if web.down:
        _send(handler, b"down for maintenance", "text/plain", status=503)
    else:
        _send(handler, TEXT_NOTE.replace("Field note", "Recovered field note").encode(), "text/plain; charset=utf-8")


def _hang(handler: Handler, _web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    time.sleep(3)  # longer than the tests' read timeout; nothing is sent


def _drip(handler: Handler, _web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    """A byte every 0.1 s: each read gets data in time, the whole never arrives in time."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.1)


def _huge(handler: Handler, _web: LoopbackWeb, query: dict[str, list[str]]) -> None:
    """200 MB of text, sent until the client hangs up; with ``declared`` the length is announced."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    if "declared" in query:
        handler.send_header("Content-Length", str(BIG))
    handler.end_headers()
    block = b"a" * 65_536
    for _ in range(BIG // len(block)):
        handler.wfile.write(block)


def _bomb(handler: Handler, _web: LoopbackWeb, _query: dict[str, list[str]]) -> None:
    _send(handler, gzip_bomb(), "text/html", Content_Encoding="gzip")


def _numbered_page(handler: Handler, _web: LoopbackWeb, query: dict[str, list[str]]) -> None:
    """Distinct news pages for the benchmark: /page/N, answered after ``delay`` seconds (a network's latency)."""
    time.sleep(float(query.get("delay", ["0"])[0]))
    number = urlsplit(handler.path).path.rsplit("/", 1)[1]
    page = NEWS_WITH_METADATA.replace("Saturday", f"Saturday (report {number})")
    _send(handler, page.encode(), "text/html; charset=utf-8")


ROUTES: dict[str, Route] = {
    "/robots.txt": lambda h, _w, _q: _send(h, ROBOTS.encode(), "text/plain"),
    "/news/meta.html": _html(NEWS_WITH_METADATA),
    "/news/plain.html": _html(NEWS_WITHOUT_METADATA),
    "/news/gzip.html": _gzip_page,
    "/news/brotli.html": _brotli_page,
    "/news/cp1252-says-utf8.html": _html(CHARSET_PAGE, charset="utf-8", encoding="cp1252"),
    "/news/utf8-says-latin1.html": _html(CHARSET_PAGE.replace("this week", "on Sunday"), charset="iso-8859-1"),
    "/report.pdf": lambda h, _w, _q: _send(h, PDF, "application/pdf"),
    "/broken.pdf": lambda h, _w, _q: _send(h, PDF[: len(PDF) // 3], "application/pdf"),
    "/feed.xml": lambda h, _w, _q: _send(h, FEED.encode(), "application/rss+xml"),
    "/note.txt": lambda h, _w, _q: _send(h, TEXT_NOTE.encode(), "text/plain; charset=utf-8"),
    "/image.png": lambda h, _w, _q: _send(h, b"\x89PNG\r\n\x1a\n", "image/png"),
    "/private/secret.html": _html(NEWS_WITH_METADATA),
    "/redirect": _redirect,
    "/error": _error,
    "/flaky": _flaky,
    "/recovering": _recovering,
    "/hang": _hang,
    "/drip": _drip,
    "/huge": _huge,
    "/bomb": _bomb,
}

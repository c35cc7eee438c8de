"""HTTP GET with SSRF checks on every hop, redirects, a total time limit, size caps and gzip/brotli decoding."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from hashlib import sha256
from urllib.parse import quote, urljoin, urlsplit

import brotli

from factdesk.fetch import safety
from factdesk.fetch.errors import FetchError

REDIRECTS = {301, 302, 303, 307, 308}
RETRY_STATUS = {429, 500, 502, 503, 504}
CHUNK = 65_536
_URL_SAFE = "/?#[]@!$&'()*+,;=:%~-._"  # reserved characters and escapes already there stay as they are


@dataclass(frozen=True, slots=True)
class Response:
    """The final response of a GET. ``raw`` is the body as sent (still gzip/brotli-encoded), ``body`` decoded."""

    url: str
    final_url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    raw: bytes
    body: bytes
    fetched_at: datetime
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", sha256(self.body).hexdigest())

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str:
        message = Message()
        message["Content-Type"] = self.header("Content-Type")
        return str(message.get_param("charset") or "")


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 20_000_000
    max_decoded_bytes: int = 50_000_000
    max_redirects: int = 5


class HttpClient:
    """One GET at a time per call, thread-safe. Each hop's host is resolved and every answer checked
    (``safety``) before connecting to exactly the checked address."""

    def __init__(self, user_agent: str, limits: Limits, allow_private: bool = False) -> None:
        self.user_agent = user_agent
        self.limits = limits
        self.allow_private = allow_private
        self._tls = ssl.create_default_context()

    def get(
        self,
        url: str,
        before_hop: Callable[[str], None] | None = None,
        max_bytes: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The response after redirects; raises FetchError (with ``retry`` set when trying again may help).
        ``before_hop(url)`` runs before each request, once its address is checked (robots.txt, rate limits);
        ``headers`` are added to (or replace) the default ones. A status other than 2xx is returned, not raised."""
        current = url
        for _ in range(self.limits.max_redirects + 1):
            response = self._request(url, current, max_bytes or self.limits.max_bytes, before_hop, headers or {})
            location = response.header("Location")
            if response.status not in REDIRECTS or not location:
                return response
            current = urljoin(current, location)
        raise FetchError(f"more than {self.limits.max_redirects} redirects (last to {current})")

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        """One POST (for search APIs), checked like a GET; a redirect is not followed but returned."""
        return self._request(url, url, self.limits.max_bytes, None, headers, body)

    def _request(
        self,
        url: str,
        current: str,
        max_bytes: int,
        before_hop: Callable[[str], None] | None,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> Response:
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {current}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"bad port in {current}") from None
        addresses = safety.resolve(parts.hostname, port, self.allow_private)
        if before_hop is not None:
            before_hop(current)
        deadline = time.monotonic() + self.limits.total_timeout
        connection = self._connect(parts.scheme, parts.hostname, port, addresses)
        # The watchdog ends a slow drip: it shuts the socket when the total time is up, whatever is being read.
        watchdog = threading.Timer(self.limits.total_timeout, _shut, (connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._exchange(connection, url, current, max_bytes, deadline, headers, body)
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise FetchError(f"took longer than {self.limits.total_timeout:g} s in all (slow server)") from None
            if isinstance(exc, TimeoutError):
                raise FetchError(f"timed out: no data for {self.limits.read_timeout:g} s", retry=True) from None
            raise FetchError(f"connection failed: {exc or type(exc).__name__}", retry=True) from None
        finally:
            watchdog.cancel()
            connection.close()

    def _connect(self, scheme: str, host: str, port: int, addresses: list[str]) -> http.client.HTTPConnection:
        problem: OSError | None = None
        for address in addresses:
            try:
                sock = socket.create_connection((address, port), timeout=self.limits.connect_timeout)
            except OSError as exc:
                problem = exc
                continue
            sock.settimeout(self.limits.read_timeout)
            try:
                if scheme == "https":
                    sock = self._tls.wrap_socket(sock, server_hostname=host)
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                raise FetchError(f"TLS failed with {host}: {exc}") from None
            connection = http.client.HTTPConnection(host, port, timeout=self.limits.read_timeout)
            connection.sock = sock  # already connected to the checked address: never resolved again
            return connection
        if isinstance(problem, TimeoutError):
            raise FetchError(f"cannot connect to {host}:{port}: timed out", retry=True)
        raise FetchError(f"cannot connect to {host}:{port}: {problem}", retry=True)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        url: str,
        current: str,
        max_bytes: int,
        deadline: float,
        headers: dict[str, str],
        body: bytes | None,
    ) -> Response:
        parts = urlsplit(current)
        # Non-ASCII paths are percent-encoded and host names IDNA-encoded, as browsers send them.
        path = quote(parts._replace(scheme="", netloc="", fragment="").geturl() or "/", safe=_URL_SAFE)
        host = parts.netloc.rpartition("@")[2]
        connection.request(
            "GET" if body is None else "POST",
            path,
            body=body,
            headers={
                "Host": host if host.isascii() else host.encode("idna").decode("ascii"),
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/pdf,application/rss+xml,"
                "application/atom+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
                "Accept-Encoding": "gzip, br",
                "Connection": "close",
                **headers,
            },
        )
        reply = connection.getresponse()
        headers = [(key, value) for key, value in reply.getheaders() if key.lower() != "transfer-encoding"]
        if reply.status in REDIRECTS:
            return Response(url, current, reply.status, reply.reason, headers, b"", b"", _now())
        if reply.status in RETRY_STATUS:
            wait = reply.getheader("Retry-After", "")
            raise FetchError(
                f"HTTP {reply.status} {reply.reason}",
                retry=True,
                wait=float(wait) if wait.isdigit() else 0.0,
                status=reply.status,
            )
        declared = reply.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"too large: {int(declared):,} bytes declared, the limit is {max_bytes:,}")
        decoder = _Decoder(reply.getheader("Content-Encoding", ""), self.limits.max_decoded_bytes)
        raw, body, size = [], [], 0
        while chunk := reply.read1(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"too large: more than {max_bytes:,} bytes")
            raw.append(chunk)
            body.append(decoder.feed(chunk))
        if time.monotonic() >= deadline:
            raise FetchError(f"took longer than {self.limits.total_timeout:g} s in all (slow server)")
        if reply.length:
            raise FetchError(f"connection closed with {reply.length:,} bytes of the body still to come", retry=True)
        body.append(decoder.finish())
        return Response(url, current, reply.status, reply.reason, headers, b"".join(raw), b"".join(body), _now())


class _Decoder:
    """Incremental gzip/deflate/brotli decoding that stops once the output passes ``limit`` (a bomb)."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self.encoding == "br":
            self._brotli = brotli.Decompressor()
        elif self.encoding not in ("", "identity"):
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes) -> bytes:
        try:
            if self.encoding in ("gzip", "x-gzip", "deflate"):
                return self._zlib_feed(data)
            if self.encoding == "br":
                return self._brotli_feed(data)
        except (zlib.error, brotli.error) as exc:
            raise FetchError(f"bad {self.encoding} body: {exc}") from None
        return self._count(data)

    def finish(self) -> bytes:
        if self.encoding in ("gzip", "x-gzip", "deflate"):
            return self._count(self._zlib.flush())
        return b""

    def _zlib_feed(self, data: bytes) -> bytes:
        out = []
        while data:
            out.append(self._count(self._zlib.decompress(data, self.limit - self.size + 1)))
            data = self._zlib.unconsumed_tail
        return b"".join(out)

    def _brotli_feed(self, data: bytes) -> bytes:
        out = [self._count(self._brotli.process(data, output_buffer_limit=self.limit - self.size + 1))]
        while not self._brotli.can_accept_more_data():
            out.append(self._count(self._brotli.process(b"", output_buffer_limit=self.limit - self.size + 1)))
        return b"".join(out)

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise FetchError(f"decompresses to more than {self.limit:,} bytes (a compression bomb?)")
        return data


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _now() -> datetime:
    return datetime.now(UTC)

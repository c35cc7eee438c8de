"""Who is asking: server-side sessions (a random id in an HttpOnly, SameSite=Lax cookie; a new id at each login, so
an id planted before it is worthless after), a CSRF token per session, and a limit on failed logins per user and
address. Sessions live in the server's memory: restarting it signs everyone out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE = "factdesk_session"


def _key(session_id: str) -> str:
    """Sessions are kept by a digest of their id, so the table itself holds no usable id."""
    return hashlib.sha256(session_id.encode("ascii", errors="replace")).hexdigest()


@dataclass
class Session:
    user: str | None  # None: signed out (a login form's session, holding its CSRF token)
    csrf: str
    created: float
    seen: float

    def csrf_matches(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf.encode(), token.encode("utf-8", errors="replace"))


@dataclass
class Sessions:
    """Sessions by id. One ends ``lifetime`` seconds after it began, or ``idle`` seconds after its last use; a
    signed-out one ends after ``idle``. At most ``limit`` are kept: the least recently used go first."""

    lifetime: float = 12 * 3600
    idle: float = 2 * 3600
    limit: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _by_key: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, user: str | None) -> tuple[str, Session]:
        """A new session with a new random id and CSRF token."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        session = Session(user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            if len(self._by_key) >= self.limit:
                self._prune(now)
            self._by_key[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (its last use now), or None."""
        if not session_id:
            return None
        now = self.clock()
        with self._lock:
            session = self._by_key.get(_key(session_id))
            if session is None:
                return None
            if self._expired(session, now):
                del self._by_key[_key(session_id)]
                return None
            session.seen = now
            return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._by_key.pop(_key(session_id), None)

    def end_user(self, name: str) -> None:
        """Ends every session of ``name`` (disabled, or their role changed)."""
        with self._lock:
            for key in [k for k, s in self._by_key.items() if s.user is not None and s.user.lower() == name.lower()]:
                del self._by_key[key]

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.seen > self.idle or (session.user is not None and now - session.created > self.lifetime)

    def _prune(self, now: float) -> None:
        for key in [k for k, s in self._by_key.items() if self._expired(s, now)]:
            del self._by_key[key]
        excess = len(self._by_key) - self.limit + 1
        for key in sorted(self._by_key, key=lambda k: self._by_key[k].seen)[: max(0, excess)]:
            del self._by_key[key]


@dataclass
class LoginLimiter:
    """At most ``failures`` failed logins per (user name, client address) in ``window`` seconds; a success clears
    the count."""

    failures: int = 5
    window: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    _failed: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until the next attempt is allowed; 0 if it is now."""
        now = self.clock()
        with self._lock:
            times = self._recent((name.lower(), address), now)
            if not times:
                del self._failed[name.lower(), address]  # nothing kept for those who never failed lately
            return 0 if len(times) < self.failures else max(1, int(times[0] + self.window - now) + 1)

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent((name.lower(), address), now).append(now)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failed.pop((name.lower(), address), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failed.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

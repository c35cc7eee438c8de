"""Who is asking: sessions (a random id in an HttpOnly, SameSite=Lax cookie; a new id at each login, so an id
planted before it is worthless after), a CSRF token per session, and a limit on failed logins per user and address.
Sessions are kept in the store by a digest of their id, so a restart of the server signs no one out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from factdesk.store import StoreBackend
from factdesk.store.serving import StoredSession

COOKIE = "factdesk_session"


def session_key(session_id: str) -> str:
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
    """Sessions by id, in ``store`` (a connection of their own, used one call at a time). One ends ``lifetime``
    seconds after it began, or ``idle`` seconds after its last use; a signed-out one ends after ``idle``. At most
    ``limit`` are kept: the least recently used go first. A use is written to the store only ``touch`` seconds or
    more after the last one written, so a page costs no write; the idle time counts from the last one written."""

    store: StoreBackend
    lifetime: float = 12 * 3600
    idle: float = 2 * 3600
    limit: int = 10_000
    touch: float = 60.0
    clock: Callable[[], float] = time.time  # the wall clock: sessions outlive the process
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, user: str | None) -> tuple[str, Session]:
        """A new session with a new random id and CSRF token; ended sessions are deleted first."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        session = Session(user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self.store.prune_sessions(now - self.idle, now - self.lifetime, self.limit - 1)
            self.store.add_session(session_key(session_id), StoredSession(user, session.csrf, now, now))
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (its last use now), or None; an ended one is deleted."""
        if not session_id:
            return None
        key, now = session_key(session_id), self.clock()
        with self._lock:
            stored = self.store.session(key)
            if stored is None:
                return None
            if now - stored.seen > self.idle or (stored.user is not None and now - stored.created > self.lifetime):
                self.store.end_sessions(key)
                return None
            if now - stored.seen >= self.touch:
                self.store.touch_session(key, now)
        return Session(stored.user, stored.csrf, stored.created, now)

    def end(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self.store.end_sessions(session_key(session_id))

    def end_user(self, name: str) -> None:
        """Ends every session of ``name`` (disabled, or their role changed)."""
        with self._lock:
            self.store.end_sessions(user=name)


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

"""The workbench served by uvicorn on loopback over a real store, with its users, for the workbench tests."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from factdesk import FactDesk
from factdesk.accounts import Accounts
from factdesk.config import Config
from factdesk.store import open_store
from factdesk.workbench import Workbench, bind, create_app, make_server
from factdesk.workbench.auth import LoginLimiter, Sessions

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    url: str
    desk: FactDesk
    app: FastAPI
    sessions: Sessions
    logins: LoginLimiter
    tokens: dict[str, str] = field(default_factory=dict)  # user name → API token

    def api(self, user: str) -> httpx.Client:
        """A client sending ``user``'s API token."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[user]}"}, timeout=30)

    @contextmanager
    def browser(self, user: str | None = None) -> Iterator[httpx.Client]:
        """A client with a cookie jar, signed in as ``user`` if given; its ``csrf`` attribute holds the session's
        CSRF token."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            if user is not None:
                assert sign_in(client, user).status_code == 303
            yield client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: httpx.Client, user: str, password: str = PASSWORD) -> httpx.Response:
    """Signs in through the login form; on success, ``client.csrf`` is the new session's CSRF token."""
    form = client.get("/login")
    answer = client.post(
        "/login", data={"name": user, "password": password, "csrf_token": csrf_of(form.text), "next": "/"}
    )
    if answer.status_code == 303:
        client.csrf = csrf_of(client.get("/").text)  # type: ignore[attr-defined]
    return answer


@contextmanager
def serve(
    store: Path, out: Path, users: dict[str, str], workers: int = 1, config: Config | None = None
) -> Iterator[Site]:
    """The workbench on the store at ``store`` (with ``config``'s settings), with a user of each ``name: role`` in
    ``users`` (all with ``PASSWORD``) and an API token for each."""
    with FactDesk(store, config) as desk:
        accounts = Accounts(desk.store)
        for name, role in users.items():
            accounts.add(name, role, PASSWORD)
        tokens = {name: accounts.issue_token(name) for name in users}
        sessions, logins = Sessions(open_store(store)), LoginLimiter()
        app = create_app(Workbench(desk, out, workers), sessions, logins)
        sock = bind("127.0.0.1", 0)
        server = make_server(app)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the workbench did not start"
            time.sleep(0.02)
        try:
            yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", desk, app, sessions, logins, tokens)
        finally:
            server.should_exit = True
            thread.join(timeout=60)
            assert not thread.is_alive()
            sessions.store.close()


def job_until(client: httpx.Client, job_id: int, states: set[str], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(f"/api/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        job = answer.json()
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']}"
        time.sleep(0.1)


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; the test is skipped, saying why, when either is missing."""
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        yield p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])

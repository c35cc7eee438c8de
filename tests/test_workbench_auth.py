"""Accounts, roles, sessions and sign-off on the workbench, over real HTTP (uvicorn on loopback) against a real
SQLite store: every role × action pair, allowed or refused; CSRF; session fixation and expiry; password hashes and
tokens never stored in plain text; the login rate limit; API tokens; the audit log of a whole flow; `factdesk user`."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import doc, write_jsonl
from starlette.routing import Route
from test_store import _check
from workbench_site import PASSWORD, Site, chromium_browser, csrf_of, job_until, serve, sign_in

from factdesk import FactDesk
from factdesk.accounts import PERMISSIONS, ROLES, Accounts
from factdesk.cli.main import cli
from factdesk.publish.publisher import Publisher
from factdesk.records import STANCE_LABELS
from factdesk.store import acting_as, open_store
from factdesk.store.base import DB_NAME
from factdesk.workbench.auth import COOKIE, Sessions

USERS = {"rita": "reporter", "eddie": "editor", "cleo": "chief-editor", "ada": "admin", "lim": "reporter"}
BY_ROLE = {role: name for name, role in USERS.items() if name != "lim"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("workbench")
    corpus = write_jsonl(
        root / "docs.jsonl",
        [doc("a", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03")],
    )
    with FactDesk(root / "store") as desk:
        assert desk.ingest([corpus]).ok
    with serve(root / "store", root / "site", USERS) as running:
        yield running


@pytest.fixture(scope="module")
def browsers(site: Site) -> Iterator[dict[str, httpx.Client]]:
    """A signed-in browser session of each role."""
    with ExitStack() as stack:
        yield {role: stack.enter_context(site.browser(name)) for role, name in BY_ROLE.items()}


def _store_path(site: Site) -> Path:
    return Path(site.desk.store.location)


def _check_in(site: Site, state: str) -> tuple[int, str | None]:
    """A new fact-check (with a claim of its own) brought to ``state`` through the store; its id, and its slug if
    published."""
    check = _check()
    evidence = tuple(
        replace(e, stance_probabilities={s: 0.9 if s == e.stance else 0.05 for s in STANCE_LABELS})
        for e in check.evidence
    )  # as a stance model gives them: every stance's probability
    claim = replace(check.claim, text=f"The Harwick bridge reopened ({uuid.uuid4().hex[:8]}).")
    check = replace(check, claim=claim, evidence=evidence)
    with open_store(_store_path(site)) as store, acting_as("setup"):
        check_id = store.add_factcheck(check)
        moves = {"draft": [], "in-review": ["in-review"], "approved": ["in-review", "approved"]}
        for step in moves.get(state, ["in-review", "approved"]):
            store.add_signoff(check_id, "setup", step)
        if state == "published":
            return check_id, Publisher(store).publish(check_id, _store_path(site).parent / "site").slug
    return check_id, None


def _state(site: Site, check_id: int) -> str:
    with open_store(_store_path(site)) as store:
        if store.publications(check_id=check_id):
            return f"published v{len(store.publications(slug=str(store.publications(check_id=check_id)[0]['slug'])))}"
        history = store.signoffs(check_id)
        return str(history[-1]["state"]) if history else "draft"


@dataclass(frozen=True)
class Case:
    """One action, as the JSON API or a page offers it: how to set it up, send it, and see that it happened."""

    action: str
    via: str  # "api" (an API token) or "page" (a signed-in browser session with its CSRF token)
    send: Callable[[Site, httpx.Client], tuple[httpx.Response, Callable[[], object], object]]
    ok: int  # the status when allowed


def _move(move: str, start: str, end: str, via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        check_id, _ = _check_in(site, start)
        if via == "api":
            answer = client.post(f"/api/checks/{check_id}/{move}", json={"note": "n"})
        else:
            answer = client.post(f"/checks/{check_id}/{move}", data={"note": "n", "csrf_token": client.csrf})
        return answer, lambda: _state(site, check_id), end

    return Case(move, via, send, 200 if via == "api" else 303)


def _publish(via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        check_id, _ = _check_in(site, "approved")
        if via == "api":
            answer = client.post(f"/api/checks/{check_id}/publish")
        else:
            answer = client.post(f"/checks/{check_id}/publish", data={"confirm": "yes", "csrf_token": client.csrf})
        return answer, lambda: _state(site, check_id), "published v1"

    return Case("publish", via, send, 201 if via == "api" else 303)


def _preview(via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        check_id, _ = _check_in(site, "approved")
        answer = client.get(f"/api/checks/{check_id}/preview" if via == "api" else f"/checks/{check_id}/publish")
        return answer, lambda: None, None  # a preview changes nothing (test_workbench.py: it publishes nothing)

    return Case("publish", via, send, 200)


def _correct(via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        check_id, slug = _check_in(site, "published")
        if via == "api":
            answer = client.post(f"/api/published/{slug}/corrections", json={"note": "A date was wrong."})
        else:
            answer = client.post(f"/published/{slug}/correct", data={"note": "A date was wrong.", "csrf_token":
                                                                      client.csrf})  # fmt: skip
        return answer, lambda: _state(site, check_id), "published v2"

    return Case("correct", via, send, 201 if via == "api" else 303)


def _start_check(via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        claim = f"The Harwick bridge reopened ({uuid.uuid4().hex[:8]})"
        if via == "api":
            answer = client.post("/api/checks", json={"claim": claim, "date": "2022-06-01"})
        else:
            answer = client.post("/check", data={"claim": claim, "date": "2022-06-01", "csrf_token": client.csrf})

        def started() -> object:
            with open_store(_store_path(site)) as store:
                return any(e["action"] == "check-start" and claim in str(e["detail"]) for e in store.audit_log())

        return answer, started, True

    return Case("check", via, send, 202 if via == "api" else 303)


def _add_user(via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        name = f"new-{uuid.uuid4().hex[:8]}"
        fields = {"name": name, "role": "reporter", "password": PASSWORD}
        if via == "api":
            answer = client.post("/api/users", json=fields)
        else:
            answer = client.post("/users", data={**fields, "csrf_token": client.csrf})

        def added() -> object:
            with open_store(_store_path(site)) as store:
                return store.user(name) is not None

        return answer, added, True

    return Case("manage-users", via, send, 201 if via == "api" else 303)


def _ingest(via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        name = f"note-{uuid.uuid4().hex[:8]}.md"
        text = f"The Harwick bridge reopened ({name}).".encode()
        if via == "api":
            answer = client.post("/api/documents", params={"name": name}, content=text)
        else:
            answer = client.post("/ingest", data={"csrf_token": client.csrf}, files={"file": (name, text)})
        if answer.status_code in (202, 303):  # no job left running into the next test
            job = answer.json()["id"] if via == "api" else int(answer.headers["location"].rsplit("/", 1)[1])
            assert job_until(client, job, {"done", "failed"})["state"] == "done"

        def ingested() -> object:
            with open_store(_store_path(site)) as store:
                return any(e["action"] == "ingest-start" and name in str(e["detail"]) for e in store.audit_log())

        return answer, ingested, True

    return Case("ingest", via, send, 202 if via == "api" else 303)


def _desk_case(action: str, name: str, via: str, ok_api: int, ok_page: int) -> Case:
    """An action on a draft's desk page (assign, mark, add a document, re-run, edit, rule), and its effect."""

    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        check_id, _ = _check_in(site, "draft")
        unique = uuid.uuid4().hex[:8]
        passage = {"doc_id": "bridge-1", "start": 0, "end": 42}
        api, page = {
            "assign": (("post", "assign", {"assignee": "rita"}), ("assign", {"assignee": "rita"})),
            "mark": (
                ("post", "marks", {**passage, "mark": "irrelevant", "reason": "about another bridge"}),
                ("marks", {**passage, "mark": "refutes", "reason": "it says the opposite"}),
            ),
            "add-document": (
                ("post", "documents", {"text": f"The Harwick bridge opened ({unique}).", "outlet": "Gazette"}),
                ("documents", {"text": f"The Harwick bridge opened ({unique}).", "outlet": "Gazette"}),
            ),
            "rerun": (("post", "rerun", None), ("rerun", {})),
            "justification": (
                ("put", "justification", {"sentences": [{"text": "It reopened.", "citations": [passage]}]}),
                ("justification", {"count": "1", "text-1": "It reopened.", "cite-1": "bridge-1:0-42"}),
            ),
            "ruling": (
                ("post", "ruling", {"label": "Refuted", "note": "the minutes"}),
                ("ruling", {"label": "Refuted", "note": "the minutes"}),
            ),
        }[name]
        if via == "api":
            method, path, body = api
            answer = client.request(method, f"/api/checks/{check_id}/{path}", json=body)
        else:
            path, fields = page
            answer = client.post(f"/checks/{check_id}/{path}", data={**fields, "csrf_token": client.csrf})
        if name == "rerun" and answer.status_code in (202, 303):  # no job left running into the next test
            job = answer.json()["id"] if via == "api" else int(answer.headers["location"].rsplit("/", 1)[1])
            assert job_until(client, job, {"done", "failed"})["state"] == "done"

        def effect() -> object:
            with open_store(_store_path(site)) as store:
                if name == "rerun":
                    return any(
                        e["action"] == "rerun-start" and json.loads(str(e["detail"]))["factcheck"] == check_id
                        for e in store.audit_log()
                    )
                if name in ("justification", "ruling"):
                    return [r["kind"] for r in store.revisions(check_id)] == [{"ruling": "ruling"}.get(name, "edit")]
                kind = {"mark": "curate", "add-document": "add-evidence"}.get(name, name)
                return len(store.desk_events(check_id, kind)) == 1

        return answer, effect, True

    return Case(action, via, send, ok_api if via == "api" else ok_page)


def _read(path: str, action: str, via: str) -> Case:
    def send(site: Site, client: httpx.Client) -> tuple[httpx.Response, Callable[[], object], object]:
        return client.get(path), lambda: None, None

    return Case(action, via, send, 200)


CASES = [
    _read("/api/checks", "read", "api"),
    _read("/", "read", "page"),
    _read("/api/users", "manage-users", "api"),
    _read("/users", "manage-users", "page"),
    *[_start_check(via) for via in ("api", "page")],
    *[_move("submit", "draft", "in-review", via) for via in ("api", "page")],
    *[_move("return", "in-review", "draft", via) for via in ("api", "page")],
    *[_move("approve", "in-review", "approved", via) for via in ("api", "page")],
    *[_preview(via) for via in ("api", "page")],
    *[_publish(via) for via in ("api", "page")],
    *[_correct(via) for via in ("api", "page")],
    *[_add_user(via) for via in ("api", "page")],
    *[_ingest(via) for via in ("api", "page")],
    _read("/queue", "read", "page"),
    _read("/api/queue?state=new&q=harwick", "read", "api"),
    _read("/claimants/Mayor%20Jones", "read", "page"),
    _read("/api/claimants/Mayor%20Jones", "read", "api"),
    *[_desk_case("assign", "assign", via, 200, 303) for via in ("api", "page")],
    *[
        _desk_case("curate", name, via, ok, 303)
        for name, ok in (("mark", 201), ("add-document", 201), ("rerun", 202))
        for via in ("api", "page")
    ],
    *[
        _desk_case("edit", name, via, ok, 303)
        for name, ok in (("justification", 200), ("ruling", 201))
        for via in ("api", "page")
    ],
]


def test_the_matrix_covers_every_action() -> None:
    assert {case.action for case in CASES} == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.via}-{case.send.__qualname__.split('.')[0]}"
                         f"-{case.action}-{CASES.index(case)}")  # fmt: skip
def test_each_role_may_take_only_its_actions(site, browsers, case, role):
    client = site.api(BY_ROLE[role]) if case.via == "api" else browsers[role]
    answer, effect, done = case.send(site, client)
    roles, _ = PERMISSIONS[case.action]  # type: ignore[index]
    if role in roles:
        assert answer.status_code == case.ok, answer.text
        if done is not None:
            assert effect() == done
        return
    assert answer.status_code == 403, answer.text
    message = answer.json()["detail"] if case.via == "api" else answer.text
    assert f"{BY_ROLE[role]} is a" in message and "who may not" in message and "that takes" in message
    if done is not None:
        assert effect() != done, "a refused action changed the store"


def _route_paths(site: Site) -> list[tuple[str, str]]:
    values = {"check_id": "1", "job_id": "1", "slug": "x", "version": "1", "name": "rita", "path": "style.css"}
    found = []
    for route in site.app.routes:
        if not isinstance(route, Route) or route.path in ("/login", "/openapi.json"):
            continue
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], route.path)
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def test_every_page_and_action_needs_a_signed_in_user(site):
    routes = _route_paths(site)
    assert len(routes) > 30
    with httpx.Client(base_url=site.url) as anonymous:
        for method, path in routes:
            answer = anonymous.request(method, path)
            if path.startswith("/api/"):
                assert answer.status_code == 401, (method, path)
                assert answer.headers["www-authenticate"].startswith("Bearer")
            else:
                assert answer.status_code == 303, (method, path)
                assert answer.headers["location"].startswith("/login?next="), (method, path)
    assert httpx.get(f"{site.url}/openapi.json").status_code == 200


def test_a_change_without_the_sessions_csrf_token_is_refused(site, browsers):
    chief = browsers["chief-editor"]
    check_id, _ = _check_in(site, "in-review")
    for fields in ({}, {"csrf_token": "forged"}, {"csrf_token": browsers["admin"].csrf}):
        answer = chief.post(f"/checks/{check_id}/approve", data=fields)
        assert answer.status_code == 403 and "CSRF token" in answer.text
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        assert chief.post(f"/api/checks/{check_id}/approve", json={}, headers=headers).status_code == 403
    assert _state(site, check_id) == "in-review"
    assert chief.post(f"/checks/{check_id}/approve", data={"csrf_token": chief.csrf}).status_code == 303
    assert _state(site, check_id) == "approved"
    answer = chief.post(f"/api/checks/{check_id}/return", json={}, headers={"X-CSRF-Token": chief.csrf})
    assert answer.status_code == 200 and answer.json()["state"] == "draft"
    # the login form carries its own: a cross-site login is refused too
    with httpx.Client(base_url=site.url) as fresh:
        fresh.get("/login")
        answer = fresh.post("/login", data={"name": "rita", "password": PASSWORD, "csrf_token": "forged"})
        assert answer.status_code == 403 and COOKIE in answer.cookies and fresh.get("/").status_code == 303


def test_a_session_id_known_before_login_is_worthless_after(site):
    with httpx.Client(base_url=site.url) as victim:
        victim.get("/login")
        planted = victim.cookies[COOKIE]  # an attacker who knows (or set) this id before the victim signs in...
        assert sign_in(victim, "rita").status_code == 303
        signed_in = victim.cookies[COOKIE]
        assert signed_in != planted
        assert victim.get("/").status_code == 200
    with httpx.Client(base_url=site.url, cookies={COOKIE: planted}) as attacker:
        assert attacker.get("/").status_code == 303  # ...is not signed in with it
        assert attacker.get("/api/checks").status_code == 401
    with httpx.Client(base_url=site.url) as victim:
        form = victim.get("/login", headers={"Cookie": f"{COOKIE}=chosen-by-the-attacker"})
        assert form.cookies[COOKIE] != "chosen-by-the-attacker"  # an id the server never issued is never adopted
    with httpx.Client(base_url=site.url, cookies={COOKIE: signed_in}) as browser:
        assert browser.get("/").status_code == 200
        assert browser.post("/logout", data={"csrf_token": csrf_of(browser.get("/").text)}).status_code == 303
        assert browser.get("/").status_code == 303  # signed out: the id is gone


class _Hostile(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *_: object) -> None:
        pass


def test_in_a_browser_a_role_is_refused_and_a_form_from_another_site_does_nothing(site):
    check_id, _ = _check_in(site, "in-review")
    _Hostile.page = (
        f'<form id="f" method="post" action="{site.url}/checks/{check_id}/approve"><input name="note" value="x">'
        '</form><script>document.getElementById("f").submit()</script>'
    ).encode()
    hostile = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=hostile.serve_forever, daemon=True).start()
    try:
        with chromium_browser() as browser:
            page = browser.new_page()
            for name in ("rita", "cleo"):
                page.goto(f"{site.url}/login")
                page.fill("#name", name)
                page.fill("#password", PASSWORD)
                page.click("button:text-is('Sign in')")
                page.wait_for_url(f"{site.url}/")
                if name == "rita":
                    refused = page.goto(f"{site.url}/checks/{check_id}/publish")
                    assert refused is not None and refused.status == 403
                    assert "rita is a reporter, who may not publish a fact-check" in page.inner_text("main")
                    page.click("button:text-is('Sign out')")
            # signed in as a chief editor, who visits a hostile page (localhost: another site) that posts a form
            page.goto(f"http://localhost:{hostile.server_address[1]}/")
            page.wait_for_url(f"{site.url}/checks/{check_id}/approve")
            assert "forms are accepted only from the workbench's own pages" in page.inner_text("body")
            browser.close()
    finally:
        hostile.shutdown()
    assert _state(site, check_id) == "in-review"


def test_the_session_cookie_is_httponly_and_samesite_lax(site):
    answer = httpx.get(f"{site.url}/login")
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


def test_sessions_expire(site):
    now = [0.0]
    clock, site.sessions.clock = site.sessions.clock, lambda: now[0]
    try:
        with site.browser("rita") as browser:
            now[0] += site.sessions.idle - 60
            assert browser.get("/").status_code == 200  # used within the idle time: still signed in
            now[0] += site.sessions.idle + 1
            assert browser.get("/").status_code == 303  # idle too long
        with site.browser("rita") as browser:
            for _ in range(int(site.sessions.lifetime // site.sessions.idle) + 1):
                now[0] += site.sessions.idle - 1
                status = browser.get("/").status_code
            assert status == 303  # in use all along, but older than its lifetime
    finally:
        site.sessions.clock = clock


def test_sessions_are_capped_dropping_the_least_recently_used(tmp_path):
    now = [0.0]
    sessions = Sessions(open_store(tmp_path / "store"), limit=3, touch=0, clock=lambda: now[0])
    ids = []
    for _ in range(3):
        now[0] += 1
        ids.append(sessions.start("rita")[0])
    now[0] += 1
    assert sessions.get(ids[0]) is not None  # used again: now the most recent
    new, _ = sessions.start(None)
    assert [sessions.get(i) is not None for i in [*ids, new]] == [True, False, True, True]


def test_passwords_and_tokens_are_never_stored_in_plain_text(site):
    with open_store(_store_path(site)) as store:
        hashes = [user.password_hash for user in store.users()]
    assert len(hashes) >= len(USERS) and all(h.startswith("$argon2id$") for h in hashes)
    assert len(set(hashes)) == len(hashes)  # salted: one password, a different hash for each user
    files = [path for path in _store_path(site).iterdir() if path.name.startswith(DB_NAME)]
    raw = b"".join(path.read_bytes() for path in files)
    assert b"rita" in raw  # the files are readable as they are: what is not in them was never written
    assert PASSWORD.encode() not in raw
    assert not [token for token in site.tokens.values() if token.encode() in raw]


def test_five_failed_logins_per_user_and_address_then_429(site):
    now = [0.0]
    clock, site.logins.clock = site.logins.clock, lambda: now[0]
    try:
        with site.browser() as browser:
            for _ in range(5):
                assert sign_in(browser, "lim", "wrong password!").status_code == 401
            refused = sign_in(browser, "lim")  # the right password, too late
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            assert "Too many failed sign-ins" in refused.text
            assert sign_in(browser, "LIM", "another guess").status_code == 429  # names are case-insensitive
        with site.browser() as other:
            assert sign_in(other, "eddie").status_code == 303  # another user from the same address is not held up
        now[0] += site.logins.window + 1
        with site.browser() as later:
            assert sign_in(later, "lim").status_code == 303
    finally:
        site.logins.clock = clock
    with open_store(_store_path(site)) as store:
        refusals = [e for e in store.audit_log() if e["action"] == "login-refused"]
    assert len(refusals) == 5 and json.loads(str(refusals[0]["detail"])) == {"user": "lim", "address": "127.0.0.1"}


def test_api_tokens_sign_in_until_revoked_and_a_wrong_one_is_refused(site):
    with site.api("eddie") as api:
        assert api.get("/api/me").json() == {
            "name": "eddie",
            "role": "editor",
            "actions": ["assign", "check", "curate", "edit", "ingest", "read", "return", "submit"],
        }
    with open_store(_store_path(site)) as store:
        token = Accounts(store).issue_token("rita")
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{site.url}/api/me", headers=bearer).json()["name"] == "rita"
    for wrong in (f"Bearer {token[:-2]}", "Bearer fdk_nope", "Bearer", f"Basic {token}", token):
        answer = httpx.get(f"{site.url}/api/me", headers={"Authorization": wrong})
        assert answer.status_code == 401 and "API token is wrong, revoked" in answer.json()["detail"]
    with open_store(_store_path(site)) as store:
        assert Accounts(store).revoke_tokens("rita") == 2  # this one and the fixture's
    assert httpx.get(f"{site.url}/api/me", headers=bearer).status_code == 401
    site.tokens["rita"] = _fresh_token(site, "rita")


def _fresh_token(site: Site, name: str) -> str:
    with open_store(_store_path(site)) as store:
        return Accounts(store).issue_token(name)


def test_a_disabled_user_is_signed_out_and_their_token_stops(site):
    with site.api("ada") as admin:
        added = admin.post("/api/users", json={"name": "temp", "role": "editor", "password": PASSWORD})
        assert added.status_code == 201 and added.json()["active"] is True
        assert admin.post("/api/users", json={"name": "TEMP", "role": "editor", "password": PASSWORD}).json() == {
            "detail": "a user named 'TEMP' already exists"
        }
        assert admin.post("/api/users", json={"name": "x", "role": "editor", "password": "short"}).status_code == 400
        assert admin.post("/api/users", json={"name": "x", "role": "boss", "password": PASSWORD}).status_code == 422
        site.tokens["temp"] = _fresh_token(site, "temp")
        with site.browser("temp") as browser, site.api("temp") as api:
            assert browser.get("/").status_code == 200 and api.get("/api/me").status_code == 200
            assert admin.patch("/api/users/temp", json={"active": False}).json()["active"] is False
            assert browser.get("/").status_code == 303 and api.get("/api/me").status_code == 401
            assert sign_in(browser, "temp").status_code == 401
            admin.patch("/api/users/temp", json={"active": True, "role": "reporter"})
            assert api.get("/api/me").json()["role"] == "reporter"  # a role change holds at once


def test_the_audit_log_records_a_whole_flow_with_who_and_when(site):
    with open_store(_store_path(site)) as store:
        before = len(store.audit_log())
    with site.browser("rita") as reporter:
        form = {"claim": "The Harwick bridge reopened in May 2022", "date": "2022-06-01", "csrf_token": reporter.csrf}
        job = int(reporter.post("/check", data=form).headers["location"].rsplit("/", 1)[1])
        check_id = job_until(reporter, job, {"done", "failed"})["check_id"]
        assert check_id is not None
        assert reporter.post(f"/checks/{check_id}/submit", data={"csrf_token": reporter.csrf}).status_code == 303
    with site.browser("cleo") as chief:
        approve = {"note": "Checked the minutes.", "csrf_token": chief.csrf}
        assert chief.post(f"/checks/{check_id}/approve", data=approve).status_code == 303
        preview = chief.get(f"/checks/{check_id}/publish")
        assert preview.status_code == 200 and "Publish now" in preview.text
        refused = chief.post(f"/checks/{check_id}/publish", data={"csrf_token": chief.csrf})  # not confirmed
        assert refused.status_code == 400 and "confirm on the preview page" in refused.text
        published = chief.post(f"/checks/{check_id}/publish", data={"confirm": "yes", "csrf_token": chief.csrf})
        assert published.status_code == 303
        slug = published.headers["location"].rsplit("/", 1)[1]
        chief.post(f"/published/{slug}/correct", data={"note": "A typo.", "csrf_token": chief.csrf})
        chief.post("/logout", data={"csrf_token": chief.csrf})
    with open_store(_store_path(site)) as store:
        log = store.audit_log()[before:]
    flow = [(entry["actor"], entry["action"], json.loads(str(entry["detail"]))) for entry in log]
    assert [(actor, action) for actor, action, _ in flow] == [
        ("rita", "login"),
        ("rita", "check-start"),
        ("rita", "check"),
        ("rita", "known-match"),
        ("rita", "submit-for-review"),
        ("cleo", "login"),
        ("cleo", "approve"),
        ("cleo", "publish"),
        ("cleo", "correct"),
        ("cleo", "logout"),
    ]
    assert flow[0][2] == {"address": "127.0.0.1"}
    assert flow[1][2] == {"job": job, "claim": "The Harwick bridge reopened in May 2022"}
    assert flow[2][2]["factcheck"] == flow[4][2]["factcheck"] == flow[6][2]["factcheck"] == check_id
    assert flow[3][2]["factcheck"] == check_id and "match" in flow[3][2]  # the known-check match looked for
    assert flow[6][2] == {"factcheck": check_id, "state": "approved", "note": "Checked the minutes."}
    assert flow[7][2] == {"slug": slug, "version": 1, "factcheck": check_id}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", str(entry["at"])) for entry in log)


def test_the_login_page_says_how_to_make_the_first_admin(tmp_path):
    with serve(tmp_path / "store", tmp_path / "site", {}) as empty, httpx.Client(base_url=empty.url) as browser:
        page = browser.get("/", follow_redirects=True)
        assert page.status_code == 200 and "No one has an account yet" in page.text
        assert f"factdesk --store {tmp_path / 'store'} user add NAME --role admin" in page.text
        answer = browser.post("/login", data={"name": "ada", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
        assert answer.status_code == 401 and "Wrong user name or password" in answer.text


def test_the_user_command_adds_lists_sets_and_issues_tokens(store):
    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["--store", str(store), *args], input=stdin, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, _, err = run("user", "add", "Ada", "--role", "admin", "--password-stdin")
    assert code == 2 and "--password-stdin: no password on stdin" in err
    assert run("user", "add", "Ada", "--role", "admin", "--password-stdin", stdin=f"{PASSWORD}\n")[1] == (
        "Added Ada (admin).\n"
    )
    assert run("user", "add", "bob", "--role", "editor", stdin=f"{PASSWORD}\n{PASSWORD}\n")[0] == 0  # prompted
    code, _, err = run("user", "add", "ada", "--role", "editor", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert code == 2 and "a user named 'ada' already exists" in err
    code, _, err = run("user", "add", "carl", "--role", "editor", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 10 characters" in err
    code, out, _ = run("user", "list")
    assert [line.split("\t")[:2] for line in out.splitlines()] == [["Ada", "admin"], ["bob", "editor"]]
    code, token, err = run("user", "token", "bob")
    assert code == 0 and token.startswith("fdk_") and "shown only this once" in err
    assert run("user", "set", "bob", "--role", "chief-editor", "--disable")[1] == "bob: chief-editor, disabled.\n"
    assert run("user", "list")[1].splitlines()[1].endswith("\tdisabled")
    assert run("user", "token", "bob", "--revoke")[1] == "Revoked 1 token(s) of bob.\n"
    assert run("user", "set", "nobody", "--enable")[2] == "error: no user named 'nobody'\n"
    with open_store(store) as opened:
        assert opened.token_user(token.strip()) is None
        assert [(e["actor"], e["action"]) for e in opened.audit_log()] == [
            (None, "user-add"),
            (None, "user-add"),
            (None, "token-create"),
            (None, "user-change"),
            (None, "token-revoke"),
        ]
        assert Accounts(opened).authenticate("ADA", PASSWORD) is not None
        assert Accounts(opened).authenticate("bob", PASSWORD) is None  # disabled

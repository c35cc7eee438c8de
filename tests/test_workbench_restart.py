"""What the workbench keeps across a restart of its server: signed-in editors stay signed in (sessions in the store,
by a digest of their id, deleted at sign-out or expiry), and a job left queued when the server stopped runs when it
starts again, or is marked failed, saying why, when it cannot run again (an upload, whose file was not kept)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from conftest import doc, write_jsonl
from workbench_site import Site, job_until, serve

from factdesk import FactDesk
from factdesk.records import Claim, FactCheck
from factdesk.store import open_store
from factdesk.store.base import DB_NAME
from factdesk.workbench.auth import COOKIE
from factdesk.workbench.jobs import Jobs

USERS = {"rita": "reporter", "ed": "editor"}


@pytest.fixture
def store(tmp_path):
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc("a", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03"),
            doc("c", "The Harwick bridge was closed again on 9 June 2022.", "2022-06-09"),
        ],
    )
    with FactDesk(tmp_path / "store") as desk:
        assert desk.ingest([corpus]).ok
    return tmp_path / "store"


def _signed_in(site: Site, session_id: str) -> httpx.Client:
    client = httpx.Client(base_url=site.url, timeout=30)
    client.cookies.set(COOKIE, session_id)
    return client


def _session_rows(store, session_id: str) -> int:
    key = hashlib.sha256(session_id.encode()).hexdigest()
    with open_store(store) as opened:
        return int(opened.session(key) is not None)


@pytest.fixture
def stopped_with_a_queued_job(store, tmp_path, monkeypatch) -> Iterator[dict[str, object]]:
    """A first server stopped while rita's check ran and her other check and ed's upload waited: the running one
    finishes as the server stops, the waiting two are left queued. Yields rita's session id and the three job ids."""
    release = threading.Event()
    check, close = FactDesk.check, Jobs.close

    def held_check(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        assert release.wait(120)
        return check(self, claim, as_of, save)

    def close_then_release(self: Jobs) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)  # what is queued now stays queued, as at a crash
        release.set()
        close(self)

    monkeypatch.setattr(FactDesk, "check", held_check)
    monkeypatch.setattr(Jobs, "close", close_then_release)
    with serve(store, tmp_path / "site", USERS) as first, first.browser("rita") as browser:
        form = {"date": "2022-07-01", "csrf_token": browser.csrf}
        running = browser.post("/check", data={**form, "claim": "The Harwick bridge reopened in May 2022"})
        queued = browser.post("/check", data={**form, "claim": "The Harwick bridge was closed in June 2022"})
        with first.api("ed") as api:  # an editor may add documents
            upload = api.post("/api/documents", params={"name": "note.txt"}, content=b"Harwick field note.").json()
        ids = [int(running.headers["location"].rsplit("/", 1)[1]), int(queued.headers["location"].rsplit("/", 1)[1])]
        assert job_until(browser, ids[0], {"running"})["state"] == "running"
        session_id = browser.cookies[COOKIE]
    monkeypatch.setattr(FactDesk, "check", check)
    monkeypatch.setattr(Jobs, "close", close)
    with open_store(store) as opened:
        states = {job.id: job.state for job in opened.jobs()}
    assert states == {ids[0]: "done", ids[1]: "queued", upload["id"]: "queued"}
    yield {"session": session_id, "done": ids[0], "queued": ids[1], "upload": upload["id"]}


def test_after_a_restart_the_editor_is_still_signed_in_and_the_queued_jobs_run_or_fail_saying_why(
    store, tmp_path, stopped_with_a_queued_job
):
    left = stopped_with_a_queued_job
    with serve(store, tmp_path / "site", {}) as second, _signed_in(second, str(left["session"])) as browser:
        home = browser.get("/")
        assert home.status_code == 200 and "rita" in home.text  # no sign-in page: the session outlived the server
        resumed = job_until(browser, int(left["queued"]), {"done", "failed"})
        assert (resumed["state"], resumed["error"], resumed["user"]) == ("done", None, "rita")
        claim = browser.get(f"/api/checks/{resumed['check_id']}").json()["claim"]
        assert claim == "The Harwick bridge was closed in June 2022"
        upload = job_until(browser, int(left["upload"]), {"done", "failed"})
        assert upload["state"] == "failed" and "upload it again" in upload["error"] and upload["user"] == "ed"
        listed = {job["id"]: job["state"] for job in browser.get("/api/jobs").json()}
        assert listed == {left["done"]: "done", left["queued"]: "done"}  # rita's own jobs
        page = browser.get("/jobs").text
        assert page.count('class="job"') == 2 and f'href="/checks/{resumed["check_id"]}"' in page
        assert [c["claim"] for c in browser.get("/api/checks").json()].count(claim) == 1  # run once, not twice
    with serve(store, tmp_path / "site", {}) as third, third.browser("ed") as ed:
        page = ed.get("/jobs").text  # the failed upload, shown with why, to whoever started it
        assert 'class="state">failed' in page and "upload it again" in page
    with open_store(store) as opened:
        actions = [(entry["actor"], entry["action"]) for entry in opened.audit_log()]
    assert (None, "job-resume") in actions and (None, "job-fail") in actions


def test_the_store_keeps_a_digest_of_the_session_id_and_sign_out_deletes_it(store, tmp_path):
    with serve(store, tmp_path / "site", USERS) as site, site.browser("ed") as browser:
        session_id = browser.cookies[COOKIE]
        assert _session_rows(store, session_id) == 1
        raw = b"".join(path.read_bytes() for path in store.iterdir() if path.name.startswith(DB_NAME))
        assert hashlib.sha256(session_id.encode()).hexdigest().encode() in raw
        assert session_id.encode() not in raw
        assert browser.post("/logout", data={"csrf_token": browser.csrf}).status_code == 303
        assert _session_rows(store, session_id) == 0
        with _signed_in(site, session_id) as again:
            assert again.get("/").status_code == 303  # signed out for good


def test_an_expired_session_is_deleted_and_expiry_counts_across_a_restart(store, tmp_path):
    now = [1_000_000.0]
    with serve(store, tmp_path / "site", USERS) as site:
        site.sessions.clock = lambda: now[0]
        with site.browser("ed") as browser:
            session_id = browser.cookies[COOKIE]
    with serve(store, tmp_path / "site", {}) as site, _signed_in(site, session_id) as browser:
        site.sessions.clock = lambda: now[0]
        now[0] += site.sessions.idle - 60
        assert browser.get("/").status_code == 200
        now[0] += site.sessions.idle + 1
        assert browser.get("/").status_code == 303  # unused for longer than the idle time, restart or not
        assert _session_rows(store, session_id) == 0


def test_a_job_left_running_by_a_killed_server_runs_again_when_the_next_starts(store, tmp_path):
    with open_store(store) as opened:  # as a server killed mid-check leaves its job
        job = opened.add_job(
            "check", "rita", "The Harwick bridge reopened", {"claim": "The Harwick bridge reopened"}, 1.0
        )
        job.state, job.started = "running", 2.0
        opened.update_job(job)
    with serve(store, tmp_path / "site", USERS) as site, site.api("rita") as api:
        done = job_until(api, job.id, {"done", "failed"})
        assert (done["state"], done["error"]) == ("done", None)
        assert api.get(f"/api/checks/{done['check_id']}").json()["claim"] == "The Harwick bridge reopened"

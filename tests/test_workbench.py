"""The newsroom's workbench over a real store: in a real browser (Debian Chromium via Playwright), signed in as a
reporter and a chief editor, with checks as background jobs while pages answer, and through the JSON API its
OpenAPI schema describes, with API tokens. Accounts, roles, sessions and CSRF: test_workbench_auth.py."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import jsonschema
import pytest
from conftest import doc, write_jsonl
from workbench_site import PASSWORD, Site, chromium_browser, job_until, serve

from factdesk import FactDesk
from factdesk.errors import FactdeskError
from factdesk.records import Claim, FactCheck
from factdesk.workbench import bind

SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


USERS = {"ada": "admin", "rita": "reporter", "cleo": "chief-editor"}


@pytest.fixture
def site(tmp_path, request) -> Iterator[Site]:
    workers = getattr(request, "param", 1)  # check workers, when a test asks (indirect parametrization)
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc("a", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03"),
            doc("b", f"Harwick bridge traffic returned in May 2022. {SCRIPT}", "2022-05-04", outlet="Hostile Blog"),
            doc("c", "The Harwick bridge was closed again on 9 June 2022.", "2022-06-09"),
        ],
    )
    with FactDesk(tmp_path / "store") as desk:
        assert desk.ingest([corpus]).ok
    with serve(tmp_path / "store", tmp_path / "site", USERS, workers) as running:
        yield running


def _sign_in(page: Any, url: str, user: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button:text-is('Sign in')")
    page.wait_for_url(f"{url}/")


@pytest.mark.slow
def test_check_sign_off_publish_and_correct_in_a_browser(site, tmp_path):
    with chromium_browser() as browser:
        reporter = browser.new_context().new_page()
        reporter.goto(site.url)
        reporter.wait_for_url("**/login?next=%2F")  # every page needs a signed-in user
        _sign_in(reporter, site.url, "rita")
        reporter.fill("#claim", "The Harwick bridge reopened in May 2022")
        reporter.fill("#claimant", "Mayor Jones")
        reporter.fill("#date", "2022-06-01")
        reporter.click("button:text-is('Check')")
        reporter.wait_for_url("**/jobs/1")  # the check runs in the background; the job page follows it
        reporter.wait_for_url("**/checks/1", timeout=120_000)
        report = reporter.frame_locator("iframe")
        assert "The Harwick bridge reopened in May 2022" in report.locator("h1").inner_text()
        evidence = report.locator("ol.evidence").inner_text()
        assert "Test Wire" in evidence and "9 June" not in evidence
        assert report.locator("body").evaluate("() => typeof window.__pwned") == "undefined"
        assert reporter.locator("button:text-is('Approve for publishing')").count() == 0
        reporter.click("button:text-is('Send for review')")
        assert reporter.inner_text("#state") == "in review"
        assert reporter.locator("button:text-is('Approve for publishing')").count() == 0  # not a reporter's to do

        chief = browser.new_context().new_page()
        _sign_in(chief, site.url, "cleo")
        chief.goto(f"{site.url}/checks/1")
        chief.fill("#note-approve", "Sources hold up.")
        chief.click("button:text-is('Approve for publishing')")
        assert chief.inner_text("#state") == "approved"
        assert "Sources hold up." in chief.inner_text("ol.history")
        chief.click("text=Preview and publish…")
        chief.wait_for_url("**/checks/1/publish")
        preview = chief.frame_locator("iframe").locator("body").inner_text()
        assert "The Harwick bridge reopened in May 2022" in preview
        assert not list((tmp_path / "site").glob("*/v*/index.html"))  # the preview publishes nothing
        chief.click("button:text-is('Publish now')")
        chief.wait_for_url("**/published/*")
        assert "version 1" in chief.inner_text("ol")
        chief.fill("#note", "The editor overruled the model after reading the council minutes.")
        chief.select_option("#label", "Refuted")
        chief.click("button:text-is('Publish a correction')")
        chief.wait_for_load_state()
        assert "version 2" in chief.inner_text("ol")
        corrected = chief.frame_locator("iframe").locator("body").inner_text()
        assert "Correction," in corrected and "overruled the model" in corrected and "False" in corrected
        chief.click("text=version 1")
        assert "Correction," not in chief.frame_locator("iframe").locator("body").inner_text()

        reporter.goto(chief.url)
        assert reporter.locator("#note").count() == 0  # a reporter is not offered corrections
        reporter.click("button:text-is('Sign out')")
        reporter.wait_for_url("**/login")
        reporter.goto(f"{site.url}/checks/1")
        reporter.wait_for_url("**/login?next=%2Fchecks%2F1")
        browser.close()
    assert len(list((tmp_path / "site").glob("*/v*/index.html"))) == 2
    actions = [(e["actor"], e["action"]) for e in site.desk.store.audit_log()]
    assert actions[actions.index(("rita", "login")) :] == [
        ("rita", "login"),
        ("rita", "check-start"),
        ("rita", "check"),
        ("rita", "known-match"),
        ("rita", "submit-for-review"),
        ("cleo", "login"),
        ("cleo", "approve"),
        ("cleo", "publish"),
        ("cleo", "correct"),
        ("rita", "logout"),
    ]


def test_forms_from_another_site_and_bad_fields_are_refused(site):
    foreign = httpx.post(f"{site.url}/check", data={"claim": "x"}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403

    with site.browser("rita") as browser:
        bad = browser.post(
            "/check", data={"claim": "The bridge reopened", "date": "May 2022", "csrf_token": browser.csrf}
        )
        assert bad.status_code == 400 and "field &#39;date&#39;" in bad.text
        missing = browser.get("/checks/99")
        assert missing.status_code == 400 and "no fact-check with id 99" in missing.text


def test_a_slow_check_runs_in_the_background_while_pages_answer(site, monkeypatch):
    release = threading.Event()
    check = FactDesk.check

    def slow_check(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        assert release.wait(120)
        return check(self, claim, as_of, save)

    monkeypatch.setattr(FactDesk, "check", slow_check)
    with site.browser("rita") as browser:
        form = {"claim": "The Harwick bridge reopened", "date": "2022-06-01", "csrf_token": browser.csrf}
        job_page = browser.post("/check", data=form, follow_redirects=True)
        assert job_page.url.path == "/jobs/1" and "Checking: The Harwick bridge reopened" in job_page.text
        assert job_until(browser, 1, {"running"}, timeout=30)["check_id"] is None
        for path in ("/", "/jobs/1", "/api/checks", "/static/job.js"):
            began = time.monotonic()
            assert browser.get(path, timeout=5).status_code == 200
            assert time.monotonic() - began < 2, f"{path} waited for the check"
        assert browser.get("/api/jobs/1").json()["state"] == "running"
        release.set()
        done = job_until(browser, 1, {"done", "failed"})
        assert done["state"] == "done" and done["check_id"] == 1 and done["error"] is None
        assert done["user"] == "rita"
        assert [row["id"] for row in browser.get("/api/checks").json()] == [1]


def test_the_json_api_does_what_the_pages_do_as_its_openapi_schema_says(site):
    schema = httpx.get(f"{site.url}/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/api/me",
        "/api/checks",
        "/api/checks/{check_id}",
        "/api/jobs/{job_id}",
        "/api/checks/{check_id}/signoff",
        "/api/checks/{check_id}/submit",
        "/api/checks/{check_id}/return",
        "/api/checks/{check_id}/approve",
        "/api/checks/{check_id}/preview",
        "/api/checks/{check_id}/publish",
        "/api/published",
        "/api/published/{slug}",
        "/api/published/{slug}/corrections",
        "/api/users",
        "/api/users/{name}",
        "/api/queue",
        "/api/checks/{check_id}/assign",
        "/api/checks/{check_id}/history",
        "/api/checks/{check_id}/marks",
        "/api/checks/{check_id}/documents",
        "/api/checks/{check_id}/rerun",
        "/api/checks/{check_id}/justification",
        "/api/checks/{check_id}/ruling",
        "/api/claimants/{name}",
        "/api/search",
        "/api/jobs",
        "/api/claims/extract",
        "/api/documents",
        "/api/documents/url",
    }
    assert set(paths["/api/checks"]) == {"get", "post"}
    models = schema["components"]["schemas"]

    with site.api("ada") as api:
        answer = api.post(
            "/api/checks",
            json={"claim": "The Harwick bridge reopened in May 2022", "claimant": "Mayor Jones", "date": "2022-06-01"},
        )
        job = answer.json()
        assert answer.status_code == 202 and job["id"] == 1 and job["user"] == "ada"
        jsonschema.validate(job, models["JobOut"])
        done = job_until(api, job["id"], {"done", "failed"})
        assert done["state"] == "done", done["error"]
        jsonschema.validate(done, models["JobOut"])
        check_id = done["check_id"]

        record = api.get(f"/api/checks/{check_id}").json()
        assert record["claim"] == "The Harwick bridge reopened in May 2022"
        assert record["evidence"] and "9 June" not in json.dumps(record["evidence"])
        listing = api.get("/api/checks").json()
        assert [(row["id"], row["claimant"], row["rating"], row["state"]) for row in listing] == [
            (check_id, "Mayor Jones", record["rating"], "draft")
        ]

        assert api.post(f"/api/checks/{check_id}/publish").status_code == 400  # not approved yet
        assert (
            api.post(f"/api/checks/{check_id}/approve", json={})
            .json()["detail"]
            .startswith(f"fact-check {check_id} is a draft; it can be approved only when in review")
        )
        assert api.post(f"/api/checks/{check_id}/submit", json={"note": "ready"}).json()["state"] == "in-review"
        signoff = api.post(f"/api/checks/{check_id}/approve", json={}).json()
        jsonschema.validate(signoff, {**models["SignOffOut"], "components": schema["components"]})  # it has a $ref
        assert [(e["state"], e["actor"], e["note"]) for e in signoff["history"]] == [
            ("in-review", "ada", "ready"),
            ("approved", "ada", ""),
        ]
        preview = api.get(f"/api/checks/{check_id}/preview").json()
        assert preview["rating"] == preview["claim_review"]["reviewRating"]["alternateName"]
        assert api.get("/api/published").json() == []  # the preview published nothing

        answer = api.post(f"/api/checks/{check_id}/publish")
        published = answer.json()
        assert answer.status_code == 201 and published["version"] == 1 and published["check_id"] == check_id
        assert published["slug"] == preview["slug"]
        jsonschema.validate(published, models["PublicationOut"])
        assert api.get(f"/api/checks/{check_id}/signoff").json()["state"] == "published"
        slug = published["slug"]
        answer = api.post(
            f"/api/published/{slug}/corrections", json={"note": "The minutes say otherwise.", "label": "Refuted"}
        )
        corrected = answer.json()
        assert answer.status_code == 201 and corrected["slug"] == slug and corrected["version"] == 2
        assert [v["version"] for v in api.get(f"/api/published/{slug}").json()] == [1, 2]
        assert [v["version"] for v in api.get("/api/published").json()] == [1, 2]

        bad_date = api.post("/api/checks", json={"claim": "The bridge reopened", "date": "May 2022"})
        assert bad_date.status_code == 400 and "field 'date'" in bad_date.json()["detail"]
        assert api.post("/api/checks", json={"claimant": "no claim"}).status_code == 422
        missing = api.get("/api/checks/99")
        assert missing.status_code == 400 and missing.json()["detail"].startswith("no fact-check with id 99")
        assert api.get("/api/jobs/7").json() == {"detail": "no job with id 7"}
        assert api.get("/api/published/nothing-here").status_code == 400


@pytest.mark.parametrize("site", [2], indirect=True)
def test_two_workers_check_at_once_and_the_store_keeps_both(site, monkeypatch):
    both_checking = threading.Barrier(2, timeout=60)
    check = FactDesk.check

    def paired_check(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        both_checking.wait()  # passes only while the other worker is checking too
        return check(self, claim, as_of, save)

    monkeypatch.setattr(FactDesk, "check", paired_check)
    claims = ["The Harwick bridge reopened in May 2022", "The Harwick bridge was closed in June 2022"]
    with site.api("rita") as api:
        jobs = [api.post("/api/checks", json={"claim": text, "date": "2022-07-01"}).json()["id"] for text in claims]
        done = [job_until(api, job, {"done", "failed"}) for job in jobs]
        assert [job["state"] for job in done] == ["done", "done"], [job["error"] for job in done]
        assert sorted(job["check_id"] for job in done) == [1, 2]
        for job, text in zip(done, claims, strict=True):
            assert api.get(f"/api/checks/{job['check_id']}").json()["claim"] == text
        assert sorted(row["claim"] for row in api.get("/api/checks").json()) == sorted(claims)


def test_a_failed_check_is_reported_on_its_job_and_the_worker_goes_on(site, monkeypatch):
    check = FactDesk.check

    def failing_once(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        monkeypatch.setattr(FactDesk, "check", check)
        raise FactdeskError("the stance model <b>is</b> missing")

    monkeypatch.setattr(FactDesk, "check", failing_once)
    with site.api("rita") as api:
        claim = {"claim": "The Harwick bridge reopened", "date": "2022-06-01"}
        failed = job_until(api, api.post("/api/checks", json=claim).json()["id"], {"done", "failed"})
        assert (failed["state"], failed["error"], failed["check_id"]) == (
            "failed",
            "the stance model <b>is</b> missing",
            None,
        )
        assert job_until(api, api.post("/api/checks", json=claim).json()["id"], {"done", "failed"})["check_id"] == 1


def test_serve_on_a_busy_port_is_one_plain_error(factdesk, tmp_path):
    with bind("127.0.0.1", 0) as busy:
        port = str(busy.getsockname()[1])
        result = factdesk("--create", "serve", "--port", port, "--out", str(tmp_path / "site"))
    assert result.exit_code != 0 and result.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


def test_the_servers_connections_send_small_writes_at_once():
    """Nagle's algorithm is off on every connection the server accepts: a response written in parts (headers, then a
    file) does not wait some 40 ms for the client's delayed ACK."""

    async def accepted() -> int:
        seen: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=bind("127.0.0.1", 0))
        async with server:
            reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
            await reader.read()
            writer.close()
        return seen[0]

    assert asyncio.run(accepted()) == 1

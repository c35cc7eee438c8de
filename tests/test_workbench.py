"""The editor's workbench over a real store: in a real browser (Debian Chromium via Playwright), with checks as
background jobs while pages answer, and through the JSON API its OpenAPI schema describes."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema
import pytest
from conftest import doc, write_jsonl

from factdesk import FactDesk
from factdesk.errors import FactdeskError
from factdesk.records import Claim, FactCheck
from factdesk.workbench import Workbench, bind, create_app, make_server

SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def workbench_url(tmp_path, request) -> Iterator[str]:
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
        sock = bind("127.0.0.1", 0)
        server = make_server(create_app(Workbench(desk, tmp_path / "site", workers)))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the workbench did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.should_exit = True
        thread.join(timeout=60)
        assert not thread.is_alive()


def test_check_publish_and_correct_in_a_browser(workbench_url, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(workbench_url)
        page.fill("#claim", "The Harwick bridge reopened in May 2022")
        page.fill("#claimant", "Mayor Jones")
        page.fill("#date", "2022-06-01")
        page.click("button:text-is('Check')")
        page.wait_for_url("**/jobs/1")  # the check runs in the background; the job page follows it
        page.wait_for_url("**/checks/1", timeout=120_000)
        report = page.frame_locator("iframe")
        assert "The Harwick bridge reopened in May 2022" in report.locator("h1").inner_text()
        evidence = report.locator("ol.evidence").inner_text()
        assert "Test Wire" in evidence and "9 June" not in evidence
        assert report.locator("body").evaluate("() => typeof window.__pwned") == "undefined"

        page.click("button:text-is('Publish this fact-check')")
        page.wait_for_url("**/published/*")
        assert "version 1" in page.inner_text("ol")
        page.fill("#note", "The editor overruled the model after reading the council minutes.")
        page.select_option("#label", "Refuted")
        page.click("button:text-is('Publish a correction')")
        page.wait_for_load_state()
        assert "version 2" in page.inner_text("ol")
        corrected = page.frame_locator("iframe").locator("body").inner_text()
        assert "Correction," in corrected and "overruled the model" in corrected and "False" in corrected
        page.click("text=version 1")
        assert "Correction," not in page.frame_locator("iframe").locator("body").inner_text()
        browser.close()
    assert len(list((tmp_path / "site").glob("*/v*/index.html"))) == 2


def test_forms_from_another_site_and_bad_fields_are_refused(workbench_url):
    foreign = urllib.request.Request(
        f"{workbench_url}/check", data=b"claim=x", headers={"Origin": "http://evil.example"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(foreign)
    assert refused.value.code == 403

    bad_date = urllib.request.Request(f"{workbench_url}/check", data=b"claim=The+bridge+reopened&date=May+2022")
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(bad_date)
    assert bad.value.code == 400 and "field &#39;date&#39;" in bad.value.read().decode()

    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{workbench_url}/checks/99")
    assert missing.value.code == 400 and "no fact-check with id 99" in missing.value.read().decode()


def _json(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """Status and decoded JSON of a GET (or, with a body, a POST); an HTTP error's too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _job_until(url: str, job_id: int, states: set[str], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, job = _json(f"{url}/api/jobs/{job_id}")
        assert status == 200, job
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']}"
        time.sleep(0.1)


def test_a_slow_check_runs_in_the_background_while_pages_answer(workbench_url, monkeypatch):
    release = threading.Event()
    check = FactDesk.check

    def slow_check(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        assert release.wait(120)
        return check(self, claim, as_of, save)

    monkeypatch.setattr(FactDesk, "check", slow_check)
    form = b"claim=The+Harwick+bridge+reopened&date=2022-06-01"
    started = urllib.request.Request(f"{workbench_url}/check", data=form)
    with urllib.request.urlopen(started, timeout=10) as job_page:
        assert job_page.url.endswith("/jobs/1") and "Checking: The Harwick bridge reopened" in job_page.read().decode()
    assert _job_until(workbench_url, 1, {"running"}, timeout=30)["check_id"] is None
    for path in ("/", "/jobs/1", "/api/checks", "/static/job.js"):
        began = time.monotonic()
        with urllib.request.urlopen(f"{workbench_url}{path}", timeout=5) as answer:
            assert answer.status == 200
        assert time.monotonic() - began < 2, f"{path} waited for the check"
    assert _json(f"{workbench_url}/api/jobs/1")[1]["state"] == "running"
    release.set()
    done = _job_until(workbench_url, 1, {"done", "failed"})
    assert done["state"] == "done" and done["check_id"] == 1 and done["error"] is None
    assert [row["id"] for row in _json(f"{workbench_url}/api/checks")[1]] == [1]


def test_the_json_api_does_what_the_pages_do_as_its_openapi_schema_says(workbench_url):
    status, schema = _json(f"{workbench_url}/openapi.json")
    assert status == 200
    paths = schema["paths"]
    assert set(paths) == {
        "/api/checks",
        "/api/checks/{check_id}",
        "/api/jobs/{job_id}",
        "/api/checks/{check_id}/publish",
        "/api/published",
        "/api/published/{slug}",
        "/api/published/{slug}/corrections",
    }
    assert set(paths["/api/checks"]) == {"get", "post"}
    models = schema["components"]["schemas"]

    status, job = _json(
        f"{workbench_url}/api/checks",
        {"claim": "The Harwick bridge reopened in May 2022", "claimant": "Mayor Jones", "date": "2022-06-01"},
    )
    assert status == 202 and job["id"] == 1
    jsonschema.validate(job, models["JobOut"])
    done = _job_until(workbench_url, job["id"], {"done", "failed"})
    assert done["state"] == "done", done["error"]
    jsonschema.validate(done, models["JobOut"])

    status, record = _json(f"{workbench_url}/api/checks/{done['check_id']}")
    assert status == 200 and record["claim"] == "The Harwick bridge reopened in May 2022"
    assert record["evidence"] and "9 June" not in json.dumps(record["evidence"])
    status, listing = _json(f"{workbench_url}/api/checks")
    assert [(row["id"], row["claimant"], row["rating"]) for row in listing] == [
        (done["check_id"], "Mayor Jones", record["rating"])
    ]

    status, published = _json(f"{workbench_url}/api/checks/{done['check_id']}/publish", {})
    assert status == 201 and published["version"] == 1 and published["check_id"] == done["check_id"]
    jsonschema.validate(published, models["PublicationOut"])
    slug = published["slug"]
    status, corrected = _json(
        f"{workbench_url}/api/published/{slug}/corrections", {"note": "The minutes say otherwise.", "label": "Refuted"}
    )
    assert status == 201 and corrected["slug"] == slug and corrected["version"] == 2
    assert [v["version"] for v in _json(f"{workbench_url}/api/published/{slug}")[1]] == [1, 2]
    assert [v["version"] for v in _json(f"{workbench_url}/api/published")[1]] == [1, 2]

    bad_date = _json(f"{workbench_url}/api/checks", {"claim": "The bridge reopened", "date": "May 2022"})
    assert bad_date[0] == 400 and "field 'date'" in bad_date[1]["detail"]
    assert _json(f"{workbench_url}/api/checks", {"claimant": "no claim"})[0] == 422
    missing = _json(f"{workbench_url}/api/checks/99")
    assert missing[0] == 400 and missing[1]["detail"].startswith("no fact-check with id 99")
    assert _json(f"{workbench_url}/api/jobs/7") == (400, {"detail": "no job with id 7"})
    assert _json(f"{workbench_url}/api/published/nothing-here")[0] == 400


@pytest.mark.parametrize("workbench_url", [2], indirect=True)
def test_two_workers_check_at_once_and_the_store_keeps_both(workbench_url, monkeypatch):
    both_checking = threading.Barrier(2, timeout=60)
    check = FactDesk.check

    def paired_check(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        both_checking.wait()  # passes only while the other worker is checking too
        return check(self, claim, as_of, save)

    monkeypatch.setattr(FactDesk, "check", paired_check)
    claims = ["The Harwick bridge reopened in May 2022", "The Harwick bridge was closed in June 2022"]
    jobs = [_json(f"{workbench_url}/api/checks", {"claim": text, "date": "2022-07-01"})[1]["id"] for text in claims]
    done = [_job_until(workbench_url, job, {"done", "failed"}) for job in jobs]
    assert [job["state"] for job in done] == ["done", "done"], [job["error"] for job in done]
    assert sorted(job["check_id"] for job in done) == [1, 2]
    for job, text in zip(done, claims, strict=True):
        assert _json(f"{workbench_url}/api/checks/{job['check_id']}")[1]["claim"] == text
    assert sorted(row["claim"] for row in _json(f"{workbench_url}/api/checks")[1]) == sorted(claims)


def test_a_failed_check_is_reported_on_its_job_and_the_worker_goes_on(workbench_url, monkeypatch):
    check = FactDesk.check

    def failing_once(self: FactDesk, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        monkeypatch.setattr(FactDesk, "check", check)
        raise FactdeskError("the stance model <b>is</b> missing")

    monkeypatch.setattr(FactDesk, "check", failing_once)
    first = _json(f"{workbench_url}/api/checks", {"claim": "The Harwick bridge reopened", "date": "2022-06-01"})[1]
    failed = _job_until(workbench_url, first["id"], {"done", "failed"})
    assert (failed["state"], failed["error"], failed["check_id"]) == (
        "failed",
        "the stance model <b>is</b> missing",
        None,
    )
    second = _json(f"{workbench_url}/api/checks", {"claim": "The Harwick bridge reopened", "date": "2022-06-01"})[1]
    assert _job_until(workbench_url, second["id"], {"done", "failed"})["check_id"] == 1


def test_serve_on_a_busy_port_is_one_plain_error(factdesk, tmp_path):
    with bind("127.0.0.1", 0) as busy:
        port = str(busy.getsockname()[1])
        result = factdesk("--create", "serve", "--port", port, "--out", str(tmp_path / "site"))
    assert result.exit_code != 0 and result.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr

"""New work from the page, over real HTTP (uvicorn on loopback) against a real SQLite store: checks started from a
pasted transcript or from a web page (a loopback web, fetched under the fetcher's rules, which refuse it when private
addresses are not allowed), the editor picking the claims; documents uploaded (with a size limit) or fetched into the
corpus; roles and CSRF as on every form; and, in Debian Chromium, the transcript and upload flows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from conftest import doc, write_jsonl
from loopback_web import PDF, LoopbackWeb
from workbench_site import PASSWORD, Site, chromium_browser, job_until, serve

from factdesk import FactDesk
from factdesk.config import Config, FetchConfig
from factdesk.store import open_store
from factdesk.workbench.app import MAX_UPLOAD_BYTES

USERS = {"rita": "reporter", "eddie": "editor", "cleo": "chief-editor"}
TRANSCRIPT = """MAYOR JONES: Thank you all for coming tonight, it's an honour.
MAYOR JONES: Unemployment in Harwick fell from 8 percent in 2020 to 5 percent in 2023.
MAYOR JONES: We built 400 new homes on the old mill site last year.
MAYOR JONES: Will you vote for me again?
"""
LOOPBACK = Config(fetch=FetchConfig(allow_private=True, host_delay=0.0, retries=0, read_timeout=2.0))


@pytest.fixture(scope="module")
def web() -> Iterator[LoopbackWeb]:
    running = LoopbackWeb()
    yield running
    running.close()


def _corpus(root) -> object:
    return write_jsonl(
        root / "docs.jsonl",
        [
            doc("a", "Harwick's unemployment rate was 5.1 percent in 2023, the statistics office said.", "2023-12-01"),
            doc("b", "Builders finished 400 homes on the old mill site in Harwick in 2023.", "2023-11-20"),
        ],
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A workbench whose fetcher may reach loopback addresses (as for a test; never in production)."""
    root = tmp_path_factory.mktemp("intake")
    with FactDesk(root / "store", LOOPBACK) as desk:
        assert desk.ingest([_corpus(root)]).ok
    with serve(root / "store", root / "site", USERS, config=LOOPBACK) as running:
        yield running


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A workbench with the fetcher's default rules: private and loopback addresses refused."""
    root = tmp_path_factory.mktemp("strict")
    with serve(root / "store", root / "site", USERS) as running:
        yield running


def _picked(form_html: str) -> dict[str, str]:
    """The extraction page's claims: the hidden and text fields of its pick form, by name."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html))
    fields.update(re.findall(r'<textarea id="claim-\d+" name="(claim-\d+)" rows="2">([^<]*)</textarea>', form_html))
    return fields


def test_a_check_starts_from_a_pasted_transcript_with_the_claims_the_editor_picks(site):
    with site.browser("rita") as browser:
        answer = browser.post(
            "/claims/extract",
            data={
                "text": TRANSCRIPT,
                "speaker": "Mayor Jones",
                "role": "Mayor of Harwick",
                "date": "2024-01-15",
                "url": "https://harwick.example/town-hall",
                "csrf_token": browser.csrf,
            },
        )
        assert answer.status_code == 200, answer.text
        fields = _picked(answer.text)
        claims = {key: value for key, value in fields.items() if key.startswith("claim-")}
        texts = " ".join(claims.values())
        assert "Unemployment in Harwick fell from 8 percent" in texts and "400 new homes" in texts
        assert "honour" not in texts and "vote for me" not in texts  # a greeting and a question are not claims
        assert "400 new homes on the old mill site in 2023" in texts  # "last year", from the date said
        homes = next(key for key, value in claims.items() if "400 new homes" in value)
        n = homes.split("-")[1]
        assert fields[f"claimant-{n}"] == "Mayor Jones" and fields[f"date-{n}"] == "2024-01-15"
        unemployment = next(key for key, value in claims.items() if "Unemployment" in value).split("-")[1]

        none = browser.post("/claims/check", data={**fields, "csrf_token": browser.csrf})
        assert none.status_code == 400 and "pick at least one claim" in none.text
        reworded = "Harwick built 400 new homes on the old mill site in 2023."
        picked = {**fields, f"pick-{n}": "yes", f"claim-{n}": reworded, f"pick-{unemployment}": "yes"}
        bad = browser.post("/claims/check", data={**picked, f"date-{n}": "last year", "csrf_token": browser.csrf})
        assert bad.status_code == 400 and f"claim {n}: field &#39;date&#39;" in bad.text  # and nothing started
        started = browser.post("/claims/check", data={**picked, "csrf_token": browser.csrf})
        assert started.status_code == 303 and started.headers["location"] == "/jobs"
        jobs = [job for job in browser.get("/api/jobs").json() if job["state"] != "failed"][:2]
        assert {job["claim"] for job in jobs} == {reworded, claims[f"claim-{unemployment}"]}
        done = [job_until(browser, job["id"], {"done", "failed"}) for job in jobs]
        assert [job["state"] for job in done] == ["done", "done"]
        listed = browser.get("/jobs").text
        assert all(f'href="/checks/{job["check_id"]}"' in listed for job in done)
    with open_store(site.desk.store.location) as store:
        claim = store.factcheck(next(j["check_id"] for j in done if j["claim"] == reworded)).claim
    assert (claim.text, claim.claimant, claim.claimant_role) == (reworded, "Mayor Jones", "Mayor of Harwick")
    assert (claim.date, claim.appearance_url) == (date(2024, 1, 15), "https://harwick.example/town-hall")
    # the form again, as typed, with the reason
    with site.browser("rita") as browser:
        empty = browser.post("/claims/extract", data={"text": " ", "speaker": "Ms X", "csrf_token": browser.csrf})
        assert empty.status_code == 400 and "paste a transcript" in empty.text and 'value="Ms X"' in empty.text
        both = browser.post("/claims/extract", data={"text": "x", "page": "http://a.example/", "csrf_token":
                                                     browser.csrf})  # fmt: skip
        assert both.status_code == 400 and "not both" in both.text
        forged = browser.post("/claims/extract", data={"text": TRANSCRIPT, "csrf_token": "forged"})
        assert forged.status_code == 403 and "CSRF token" in forged.text


def test_claims_from_a_web_page_fetched_under_the_fetchers_rules(site, strict, web):
    page = web.url("/news/meta.html")
    with site.api("rita") as api:
        found = api.post("/api/claims/extract", json={"page": page})
        assert found.status_code == 200, found.text
        body = found.json()
        assert (body["url"], body["title"]) == (page, "Russian forces retreat from Izium")
        assert any("Izium" in c["claim"] for c in body["claims"])
        assert {(c["claimant"], c["date"]) for c in body["claims"]} == {("Olena Kovalenko", "2022-09-10")}
        assert "Cookie notice" not in " ".join(c["sentence"] for c in body["claims"])  # the article's text only
        missing = api.post("/api/claims/extract", json={"page": web.url("/nowhere")})
        assert missing.status_code == 400 and "HTTP 404" in missing.json()["detail"]
        scheme = api.post("/api/claims/extract", json={"page": "file:///etc/passwd"})
        assert scheme.status_code == 400 and "not an http:// or https:// URL" in scheme.json()["detail"]
    with site.browser("rita") as browser:
        html = browser.post("/claims/extract", data={"page": page, "csrf_token": browser.csrf}).text
        assert "Russian forces retreat from Izium" in html and f'name="url" value="{page}"' in html
    hits = web.hits["/news/meta.html"]
    with strict.api("rita") as api:
        refused = api.post("/api/claims/extract", json={"page": page})
    assert refused.status_code == 400 and "127.0.0.1" in refused.json()["detail"]
    assert "private" in refused.json()["detail"] or "loopback" in refused.json()["detail"]
    assert web.hits["/news/meta.html"] == hits  # refused before any request was sent


def test_a_document_is_uploaded_into_the_corpus_with_a_size_limit(site):
    tag = uuid.uuid4().hex[:8]
    text = f"Harwick council minutes {tag}\n\nThe mill site homes were finished in October 2023, the council said.\n"
    with site.browser("eddie") as editor:
        answer = editor.post(
            "/ingest",
            data={"outlet": "Harwick Council", "date": "2023-10-30", "csrf_token": editor.csrf},
            files={"file": (f"minutes {tag}.md", text.encode(), "text/markdown")},
        )
        assert answer.status_code == 303, answer.text
        job = job_until(editor, int(answer.headers["location"].rsplit("/", 1)[1]), {"done", "failed"})
        assert job["state"] == "done" and job["summary"].startswith("1 document(s) added"), job
        hits = editor.get("/api/search", params={"q": f"council minutes mill site homes {tag}"}).json()
        assert hits[0]["outlet"] == "Harwick Council" and hits[0]["published"] == "2023-10-30"
        assert hits[0]["doc_id"].startswith(f"minutes-{tag}-")

        again = editor.post("/ingest", data={"csrf_token": editor.csrf},
                            files={"file": (f"minutes {tag}.md", text.encode(), "text/markdown")})  # fmt: skip
        summary = job_until(editor, int(again.headers["location"].rsplit("/", 1)[1]), {"done", "failed"})["summary"]
        assert summary.startswith("0 document(s) added, 1 already in the store")

        pdf = editor.post("/ingest", data={"csrf_token": editor.csrf}, files={"file": ("report.pdf", PDF)})
        done = job_until(editor, int(pdf.headers["location"].rsplit("/", 1)[1]), {"done", "failed"})
        assert done["state"] == "done" and done["claim"] == f"report.pdf ({len(PDF):,} bytes)"
        broken = editor.post("/ingest", data={"csrf_token": editor.csrf}, files={"file": ("b.pdf", PDF[:300])})
        failed = job_until(editor, int(broken.headers["location"].rsplit("/", 1)[1]), {"done", "failed"})
        assert failed["state"] == "failed" and failed["error"].startswith("nothing was added: b.pdf: ")

        too_big = editor.post("/ingest", data={"csrf_token": editor.csrf},
                              files={"file": ("big.txt", b"x" * (MAX_UPLOAD_BYTES + 1))})  # fmt: skip
        assert too_big.status_code == 413
        unsupported = editor.post("/ingest", data={"csrf_token": editor.csrf}, files={"file": ("a.exe", b"MZ")})
        assert unsupported.status_code == 400 and "unsupported file type" in unsupported.text
        no_token = editor.post("/ingest", files={"file": ("c.md", b"Some text about Harwick.")})
        assert no_token.status_code == 403 and "CSRF token" in no_token.text
        api_form = editor.post("/api/documents", params={"name": "c.md"}, files={"file": ("c.md", b"Harwick.")})
        assert api_form.status_code == 403 and "CSRF token" in api_form.json()["detail"]  # a session needs the header
    with site.browser("rita") as reporter:
        refused = reporter.post("/ingest", data={"csrf_token": reporter.csrf}, files={"file": ("d.md", b"Harwick.")})
        assert refused.status_code == 403 and "rita is a reporter, who may not add documents to the corpus" in (
            refused.text
        )
        assert reporter.get("/ingest").status_code == 403
    with site.api("eddie") as api:
        sent = api.post("/api/documents", params={"name": "note.txt", "outlet": "Wire"}, content=b"Harwick news.\n")
        assert sent.status_code == 202, sent.text
        assert job_until(api, sent.json()["id"], {"done", "failed"})["summary"].startswith("1 document(s) added")
        big = api.post("/api/documents", params={"name": "x.txt"}, content=b"x" * (MAX_UPLOAD_BYTES + 1))
        assert big.status_code == 413
    actions = [(e["actor"], e["action"]) for e in site.desk.store.audit_log()]
    assert ("eddie", "ingest-start") in actions and ("rita", "ingest-start") not in actions


def test_a_web_page_is_ingested_under_the_fetchers_rules(site, strict, web):
    with site.api("eddie") as api:
        job = api.post("/api/documents/url", json={"url": web.url("/news/plain.html")})
        assert job.status_code == 202
        done = job_until(api, job.json()["id"], {"done", "failed"})
        assert done["state"] == "done" and done["summary"].startswith("1 document(s) added"), done
        hits = api.get("/api/search", params={"q": "railway junction at Kupiansk freight"}).json()
        assert hits[0]["url"] == web.url("/news/plain.html")
    with strict.api("eddie") as api:
        job = api.post("/api/documents/url", json={"url": web.url("/news/plain.html")}).json()
        failed = job_until(api, job["id"], {"done", "failed"})
    assert failed["state"] == "failed" and "nothing was added" in failed["error"] and "127.0.0.1" in failed["error"]


@pytest.mark.slow
def test_in_a_browser_claims_are_picked_from_a_transcript_and_a_file_is_uploaded(site, tmp_path):
    with chromium_browser() as browser:
        page = browser.new_context().new_page()
        page.goto(f"{site.url}/login")
        page.fill("#name", "eddie")
        page.fill("#password", PASSWORD)
        page.click("button:text-is('Sign in')")
        page.wait_for_url(f"{site.url}/")
        page.click("text=Or find the claims in a transcript, article or web page")
        page.fill("#text", TRANSCRIPT + "MAYOR JONES: <script>window.__pwned = 1</script> Taxes rose 12 percent.\n")
        page.fill("#speaker", "Mayor Jones")
        page.fill("#date", "2024-01-15")
        page.click("button:text-is('Extract claims')")
        page.wait_for_url("**/claims/extract")
        claim = page.locator("fieldset.claim", has_text="400 new homes")
        claim.locator("input[type=checkbox]").check()
        claim.locator("textarea").fill("Harwick built 400 new homes in 2023.")
        page.click("button:text-is('Check the claims ticked')")
        page.wait_for_url("**/checks/*", timeout=120_000)  # one claim: its job page, then the fact-check
        assert "Harwick built 400 new homes in 2023." in page.inner_text("main")
        assert "Mayor Jones" in page.inner_text("main")
        assert page.evaluate("() => typeof window.__pwned") == "undefined"

        upload = tmp_path / "field-notes.md"
        upload.write_text("Field notes from Harwick\n\nThe old mill chimney was pulled down in March 2023.\n")
        page.click("text=Add documents")
        page.set_input_files("#file", str(upload))
        page.fill("#outlet", "Harwick Field Notes")
        page.click("button:text-is('Upload and ingest')")
        page.wait_for_url("**/jobs/*")
        page.wait_for_selector("#summary:has-text('1 document(s) added')", timeout=60_000)
        page.goto(f"{site.url}/search?q=old+mill+chimney+pulled+down")
        assert "Harwick Field Notes" in page.inner_text("main")
        browser.close()

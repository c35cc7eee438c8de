"""The desk's flow on the workbench, over real HTTP (uvicorn on loopback) against a real SQLite store with real
checks: the queue (states, filters, search, pages, assignment), the known-check match shown first, evidence curation
and a re-run on it with both verdicts kept, the editable justification under the citation checker, the editor's
ruling with no invented confidence, the claimant and corpus search pages, and, in Debian Chromium, the whole flow
with a script injected in evidence and in a pasted document that never runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from conftest import doc, write_jsonl
from workbench_site import PASSWORD, Site, chromium_browser, job_until, serve

from factdesk import FactDesk
from factdesk.store import Review, open_store

SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
USERS = {"rita": "reporter", "eddie": "editor", "cleo": "chief-editor", "ada": "admin"}
CLAIM = "The Harwick bridge reopened in May 2022"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("desk")
    corpus = write_jsonl(
        root / "docs.jsonl",
        [
            doc("a", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03"),
            doc("b", f"Harwick bridge traffic returned in May 2022. {SCRIPT}", "2022-05-04", outlet="Hostile Blog"),
            doc("c", "The Harwick bridge was closed again on 9 June 2022.", "2022-06-09"),
            doc(
                "d", "Council minutes: the Harwick bridge stayed shut through May 2022.", "2022-05-20", outlet="Gazette"
            ),
        ],
    )
    with FactDesk(root / "store") as desk:
        assert desk.ingest([corpus]).ok
        review = Review("https://fc.example/harwick", "Harwick bridge reopened in May 2022", "Mostly True",
                        "Mayor Jones", date(2022, 6, 1), None, "Fact Check Weekly", "en")  # fmt: skip
        desk.store.add_reviews([review], "test")
    with serve(root / "store", root / "site", USERS) as running:
        yield running


def _checked(site: Site, user: str, claim: str = CLAIM, **fields: str) -> int:
    with site.api(user) as api:
        job = api.post("/api/checks", json={"claim": claim, "date": "2022-06-01", **fields}).json()["id"]
        done = job_until(api, job, {"done", "failed"})
    assert done["state"] == "done", done["error"]
    return int(done["check_id"])


def _stored_check(site: Site, claimant: str, day: date | None, text: str, leave_out: str = "") -> int:
    """A check stored as the command line would, with a claim of its own, like the first but without the evidence
    of the outlet ``leave_out``."""
    with open_store(site.desk.store.location) as store:
        check = store.factcheck(1)
        claim = replace(check.claim, text=text, claimant=claimant, date=day)
        evidence = tuple(e for e in check.evidence if e.document.outlet != leave_out)
        return store.add_factcheck(replace(check, claim=claim, evidence=evidence))


@pytest.fixture(scope="module")
def first(site: Site) -> int:
    return _checked(site, "rita", claimant="Mayor Jones")


def test_the_known_check_match_comes_first_on_the_check_page_and_in_the_api(site, first):
    with site.api("rita") as api:
        record = api.get(f"/api/checks/{first}").json()
    assert next(iter(record)) == "known_match"
    match = record["known_match"]
    assert (match["url"], match["rating"], match["publisher"]) == (
        "https://fc.example/harwick",
        "Mostly True",
        "Fact Check Weekly",
    )
    assert match["score"] >= 0.9 and record["claim"] == CLAIM
    with site.browser("rita") as browser:
        html = browser.get(f"/checks/{first}").text
    assert html.index('id="known"') < html.index("<iframe") < html.index('id="curate"')
    assert "Fact Check Weekly" in html and "Mostly True" in html


def test_the_queue_by_state_with_filters_search_pages_and_assignment(site, first):
    other = _stored_check(site, "Senator Smith", date(2021, 3, 1), "Tolls on the Harwick bridge doubled in 2021")
    undated = _stored_check(site, "", None, "The ferry replaced the bridge", leave_out="Hostile Blog")
    with site.api("eddie") as editor, site.api("rita") as reporter:

        def ids(**query: Any) -> list[int]:
            answer = reporter.get("/api/queue", params=query)
            assert answer.status_code == 200, answer.text
            return [item["id"] for item in answer.json()["items"]]

        assert ids()[:3] == [undated, other, first]
        assert set(ids(state="new")) >= {first, other, undated}
        assert ids(claimant="senator smith") == [other]
        assert ids(since="2021-01-01", until="2021-12-31") == [other]  # the claim's date; undated ones fall out
        assert ids(q="tolls doubled") == [other]
        assert ids(q="ferry") == [undated]
        assert ids(q="harwick bridge")[-1] == first  # words in the check's record too: its evidence
        assert first in ids(outlet="hostile") and undated not in ids(outlet="hostile")
        rating = reporter.get(f"/api/checks/{first}").json()["rating"]
        assert first in ids(rating=rating.upper())

        assert reporter.post(f"/api/checks/{other}/assign", json={"assignee": "rita"}).status_code == 403
        assigned = editor.post(f"/api/checks/{other}/assign", json={"assignee": "RITA"})
        assert assigned.status_code == 200 and assigned.json() == {"assignee": "rita"}
        wrong = editor.post(f"/api/checks/{other}/assign", json={"assignee": "nobody"})
        assert wrong.status_code == 400 and "no active user named 'nobody'" in wrong.json()["detail"]
        assert ids(assignee="rita") == [other]
        assert ids(state="in-progress") == [other] and other not in ids(state="new")
        assert editor.post(f"/api/checks/{undated}/submit", json={}).json()["state"] == "in-review"
        assert ids(state="in-review") == [undated]

        page = reporter.get("/api/queue", params={"per_page": 2, "page": 2}).json()
        assert (page["page"], page["per_page"], len(page["items"])) == (2, 2, min(2, page["total"] - 2))
        assert page["pages"] == -(-page["total"] // 2)
        bad = reporter.get("/api/queue", params={"state": "lost"})
        assert bad.status_code == 400 and "'lost' is not one of new, in-progress" in bad.json()["detail"]
        assert reporter.get("/api/queue", params={"since": "May 2021"}).status_code == 400

    with site.browser("rita") as browser:
        html = browser.get("/queue", params={"claimant": "Senator", "q": "tolls"}).text
        assert "Tolls on the Harwick bridge doubled in 2021" in html and "The ferry" not in html
        assert "in progress" in html and ">rita<" in html
        paged = browser.get("/queue", params={"page": 1, "q": "bridge"}).text
        assert 'id="count"' in paged
        history = browser.get("/claimants/Senator Smith").text
        assert "Tolls on the Harwick bridge doubled in 2021" in history and CLAIM not in history
    with site.api("rita") as api:
        assert [row["check_id"] for row in api.get("/api/claimants/mayor jones").json()] == [first]


def test_curation_and_a_rerun_keep_the_models_verdict_and_the_editors(site):
    check_id = _checked(site, "rita", f"{CLAIM} ({uuid.uuid4().hex[:6]})")
    with site.api("eddie") as api:
        record = api.get(f"/api/checks/{check_id}").json()
        model = record["model_verdict"]
        cited = {(e["doc_id"], e["start"], e["end"]) for e in record["evidence"]}
        gone = next(e for e in record["evidence"] if e["doc_id"] == "a")
        passage = {"doc_id": gone["doc_id"], "start": gone["start"], "end": gone["end"]}
        no_reason = api.post(f"/api/checks/{check_id}/marks", json={**passage, "mark": "irrelevant", "reason": " "})
        assert no_reason.status_code == 400 and "field 'reason'" in no_reason.json()["detail"]
        outside = {"doc_id": "a", "start": 0, "end": 5, "mark": "irrelevant", "reason": "x"}
        assert "is not a passage of fact-check" in api.post(f"/api/checks/{check_id}/marks", json=outside).text
        reason = "It is the mayor's press release, not an independent source."
        marked = api.post(f"/api/checks/{check_id}/marks", json={**passage, "mark": "irrelevant", "reason": reason})
        assert marked.status_code == 201
        pasted = f"The Harwick bridge did not reopen in May 2022; it stayed shut until August. {SCRIPT}"
        added = api.post(
            f"/api/checks/{check_id}/documents",
            json={
                "text": pasted,
                "outlet": "Harwick Gazette",
                "url": "https://gazette.example/1",
                "date": "2022-05-30",
            },
        )
        assert added.status_code == 201
        doc_id = added.json()["doc_id"]
        again = api.post(f"/api/checks/{check_id}/documents", json={"text": pasted})
        assert again.status_code == 400 and "already in the store" in again.json()["detail"]
        store_doc = site.desk.store.passages(doc_id)[0]
        override = {"doc_id": doc_id, "start": store_doc.start, "end": store_doc.end, "mark": "refutes"}
        assert api.post(f"/api/checks/{check_id}/marks", json={**override, "reason": "Says so."}).status_code == 201
        job = api.post(f"/api/checks/{check_id}/rerun")
        assert job.status_code == 202
        assert job_until(api, job.json()["id"], {"done", "failed"})["state"] == "done"

        rerun = api.get(f"/api/checks/{check_id}").json()
        now = {(e["doc_id"], e["start"], e["end"]): e for e in rerun["evidence"]}
        assert tuple(passage.values()) not in now  # curated out
        assert now[(doc_id, store_doc.start, store_doc.end)]["stance"] == "refutes"  # the editor's stance
        assert cited - {tuple(passage.values())} <= set(now)
        assert rerun["model_verdict"] == model  # the model's first verdict stays
        assert any(reason in note for note in rerun["notes"]) and any("'refutes'" in n for n in rerun["notes"])
        history = api.get(f"/api/checks/{check_id}/history").json()
        assert [e["kind"] for e in history] == ["check", "rerun"]
        assert history[0]["label"] == model["label"] and history[0]["confidence"] == model["confidence"]
        assert isinstance(history[1]["confidence"], float) and history[1]["actor"] == "eddie"

        ruled = api.post(f"/api/checks/{check_id}/ruling", json={"label": "Refuted", "note": "The minutes."})
        assert ruled.status_code == 201
        assert (ruled.json()["kind"], ruled.json()["label"], ruled.json()["confidence"]) == ("ruling", "Refuted", None)
        after = api.get(f"/api/checks/{check_id}").json()
        assert (after["label"], after["confidence"], after["ruled_by"]) == ("Refuted", None, "editor")
        assert [e["kind"] for e in api.get(f"/api/checks/{check_id}/history").json()] == ["check", "rerun", "ruling"]
    with site.browser("eddie") as browser:
        html = browser.get(f"/checks/{check_id}").text
    assert "editor's ruling" in html and f"confidence {model['confidence']:.2f}" in html
    assert "left out" in html and SCRIPT not in html and "&lt;script&gt;" in html
    with open_store(site.desk.store.location) as store:
        log = [(e["actor"], e["action"]) for e in store.audit_log()]
    assert [a for a in log if a[1] in ("curate", "add-evidence", "rerun", "ruling")][-5:] == [
        ("eddie", "curate"),
        ("eddie", "add-evidence"),
        ("eddie", "curate"),
        ("eddie", "rerun"),
        ("eddie", "ruling"),
    ]


def test_the_justification_is_edited_under_the_citation_checker(site):
    check_id = _checked(site, "rita", f"{CLAIM} ({uuid.uuid4().hex[:6]})")
    with site.api("eddie") as api:
        record = api.get(f"/api/checks/{check_id}").json()
        statements = [
            {"text": s["text"], "citations": [{k: c[k] for k in ("doc_id", "start", "end")} for c in s["citations"]]}
            for s in record["statements"]
        ]
        kept = api.put(f"/api/checks/{check_id}/justification", json={"sentences": statements, "note": "as written"})
        assert kept.status_code == 200 and kept.json() == []  # the writer's sentences still check out
        evidence = record["evidence"][0]
        span = {"doc_id": evidence["doc_id"], "start": evidence["start"], "end": evidence["end"]}
        bad = [
            *statements,
            {"text": "The bridge was painted purple by aliens.", "citations": [span]},
            {"text": "Nobody knows why.", "citations": []},
            {"text": "It says so.", "citations": [{**span, "end": evidence["end"] + 500}]},
        ]
        flagged = api.put(f"/api/checks/{check_id}/justification", json={"sentences": bad})
        assert flagged.status_code == 200
        flags = {f["sentence"]: f["reason"] for f in flagged.json()}
        n = len(statements)
        assert set(flags) == {n + 1, n + 2, n + 3}
        assert flags[n + 1].startswith("verifier support") and flags[n + 2] == "cites no span of the evidence"
        assert "not within a passage of this check's evidence" in flags[n + 3]
        refused = api.post(f"/api/checks/{check_id}/submit", json={})
        assert refused.status_code == 400 and "3 sentence(s) its evidence does not support" in refused.text
        assert api.put(f"/api/checks/{check_id}/justification", json={"sentences": statements}).json() == []
        assert api.post(f"/api/checks/{check_id}/submit", json={}).json()["state"] == "in-review"
        in_review = api.put(f"/api/checks/{check_id}/justification", json={"sentences": bad})
        assert in_review.status_code == 400 and "can be saved only on a draft" in in_review.json()["detail"]
        history = api.get(f"/api/checks/{check_id}/history").json()
        assert [(e["kind"], len(e["flags"])) for e in history] == [("check", 0), ("edit", 0), ("edit", 3), ("edit", 0)]
    with site.browser("eddie") as browser:
        form = browser.get(f"/checks/{check_id}/justification").text
        assert f'name="cite-1" value="{statements[0]["citations"][0]["doc_id"]}:' in form
        answer = browser.post(
            f"/checks/{check_id}/justification",
            data={"csrf_token": browser.csrf, "count": "1", "text-1": "x", "cite-1": "not a citation"},
        )
        assert answer.status_code == 400 and "is not a citation; write doc_id:start-end" in answer.text


def test_corpus_search_shows_outlet_date_and_snippet_escaped(site):
    with site.api("rita") as api:
        hits = api.get("/api/search", params={"q": "Harwick bridge closed June"}).json()
    assert hits and hits[0]["doc_id"] == "c" and hits[0]["published"] == "2022-06-09"
    assert {"outlet", "url", "text", "score"} <= set(hits[0])
    with site.browser("rita") as browser:
        html = browser.get("/search", params={"q": "Harwick bridge traffic returned"}).text
    assert "Hostile Blog" in html and "2022-05-04" in html and "&lt;script&gt;" in html and SCRIPT not in html


@pytest.mark.slow
def test_the_desk_flow_in_a_browser_where_injected_scripts_never_run(site):
    tag = uuid.uuid4().hex[:8]
    check_id = _checked(site, "rita", f"{CLAIM} [{tag}]", claimant="Mayor Jones")
    with chromium_browser() as browser:
        editor = browser.new_context().new_page()
        dialogs: list[str] = []
        editor.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        editor.goto(f"{site.url}/login")
        editor.fill("#name", "eddie")
        editor.fill("#password", PASSWORD)
        editor.click("button:text-is('Sign in')")
        editor.wait_for_url(f"{site.url}/")
        editor.click("text=Queue")
        editor.fill("#q", tag)
        editor.click("button:text-is('Filter')")
        editor.click(f"a[href='/checks/{check_id}']")
        editor.wait_for_url(f"**/checks/{check_id}")
        assert editor.locator("section").first.get_attribute("id") == "known"  # the known check comes first
        editor.select_option("#assign-to", "eddie")
        editor.click("button:text-is('Assign')")
        assert editor.inner_text("#assignee") == "eddie"
        hostile = editor.locator("li.passage", has_text="Hostile Blog").first
        hostile.locator("select").select_option("irrelevant")
        hostile.locator("input[name=reason]").fill("A blog repeating the claim.")
        hostile.locator("button:text-is('Mark passage')").click()
        editor.wait_for_load_state()
        assert "marked irrelevant: A blog repeating the claim." in editor.inner_text("#curate")
        editor.fill("#doc-text", f"The bridge reopened on 3 May 2022, the council said. {SCRIPT}")
        editor.fill("#doc-outlet", "Harwick <b>Gazette</b>")
        editor.fill("#doc-date", "2022-05-05")
        editor.click("button:text-is('Add to the evidence')")
        editor.wait_for_load_state()
        assert "Harwick <b>Gazette</b>" in editor.inner_text("#curate")  # shown as text, not markup
        editor.click("button:text-is('Re-run the verdict on the curated evidence')")
        editor.wait_for_url(f"**/checks/{check_id}", timeout=120_000)
        assert "rerun" in editor.inner_text("ol.editions")
        assert "left out" in editor.inner_text("#curate")
        editor.click("text=Edit the justification")
        editor.wait_for_url(f"**/checks/{check_id}/justification")
        editor.fill("#text-1", editor.input_value("#text-1"))  # unchanged: still its evidence's
        editor.click("button:text-is('Save')")
        editor.wait_for_url(f"**/checks/{check_id}")
        assert "Unsupported sentences" not in editor.content()
        editor.fill("#note-submit", "Curated.")
        editor.click("button:text-is('Send for review')")
        assert editor.inner_text("#state") == "in review"
        assert editor.evaluate("() => typeof window.__pwned") == "undefined"
        assert editor.frame_locator("iframe").locator("body").evaluate("() => typeof window.__pwned") == "undefined"
        assert dialogs == []

        chief = browser.new_context().new_page()
        chief.goto(f"{site.url}/login")
        chief.fill("#name", "cleo")
        chief.fill("#password", PASSWORD)
        chief.click("button:text-is('Sign in')")
        chief.wait_for_url(f"{site.url}/")
        chief.goto(f"{site.url}/checks/{check_id}")
        chief.click("button:text-is('Approve for publishing')")
        chief.click("text=Preview and publish…")
        chief.click("button:text-is('Publish now')")
        chief.wait_for_url("**/published/*")
        chief.fill("#note", "The editor's ruling after the minutes.")
        chief.select_option("#label", "Refuted")
        chief.click("button:text-is('Publish a correction')")
        chief.wait_for_load_state()
        assert "version 2" in chief.inner_text("ol")
        corrected = chief.frame_locator("iframe").locator("body").inner_text()
        assert "editor's ruling" in corrected and "confidence 1.00" not in corrected
        assert chief.frame_locator("iframe").locator("body").evaluate("() => typeof window.__pwned") == "undefined"
        chief.goto(f"{site.url}/search?q=bridge+reopened+council")
        assert "Harwick <b>Gazette</b>" in chief.inner_text("main")
        assert chief.evaluate("() => typeof window.__pwned") == "undefined"
        browser.close()

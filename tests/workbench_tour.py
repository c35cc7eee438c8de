"""A walk through every page of the workbench in Debian Chromium, checking the demo's claim on the way, as a reporter,
an editor, a chief editor and an admin would: for the accessibility test (axe-core on each page) and for the
screenshots in docs/ (docs/screenshots.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench_site import PASSWORD, Site

from factdesk.demo import demo_claim

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / ".axe" / "node_modules" / "axe-core" / "axe.min.js"  # `make axe` installs it from npm
USERS = {"rita": "reporter", "eddie": "editor", "cleo": "chief-editor", "ada": "admin"}
# Every page, by the name the tour gives it, in the order it reaches them.
PAGES = (
    "login",
    "home",
    "refused",
    "job",
    "new-claims",
    "extract",
    "jobs",
    "queue",
    "check",
    "curation",
    "report",
    "justification",
    "claimant",
    "search",
    "signoff",
    "publish-preview",
    "publication",
    "ingest",
    "users",
    "not-found",
)
RUN_AXE = """async () => {
  const result = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(" "))}));
}"""


def axe_violations(page: Any, engine: str, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts on the page, one line each (rule, impact, help, where)."""
    page.evaluate(engine)
    found = page.evaluate(RUN_AXE)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}" for v in found if v["impact"] in impacts
    ]


def sign_in(page: Any, site: Site, user: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button:text-is('Sign in')")
    page.wait_for_url(f"{site.url}/")


def sign_out(page: Any) -> None:
    page.click("button:text-is('Sign out')")
    page.wait_for_url("**/login")


def _done(site: Site, job_id: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    with site.api("rita") as api:
        while True:
            job = api.get(f"/api/jobs/{job_id}").json()
            if job["state"] in ("done", "failed"):
                assert job["state"] == "done", job["error"]
                return int(job["check_id"])
            assert time.monotonic() < deadline, f"job {job_id} still {job['state']}"
            time.sleep(0.2)


def tour(site: Site, browser: Any, width: int = 1100, height: int = 800) -> Iterator[tuple[str, Any]]:
    """Yields (name, page) at each of PAGES, once it has loaded. Reports, shown in sandboxed frames where no script
    runs, are visited as pages of their own; so the context ignores the pages' CSP, letting axe-core's script in."""
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{site.url}/login")
    yield "login", page

    sign_in(page, site, "rita")
    claim = demo_claim()
    page.fill("#claim", claim.text)
    page.fill("#claimant", claim.claimant)
    page.fill("#role", claim.claimant_role)
    page.fill("#date", claim.date.isoformat() if claim.date else "")
    page.fill("#url", claim.appearance_url)
    yield "home", page
    page.goto(f"{site.url}/users")  # not a reporter's page
    yield "refused", page
    page.goto(f"{site.url}/")
    page.fill("#claim", claim.text)
    page.fill("#claimant", claim.claimant)
    page.fill("#date", claim.date.isoformat() if claim.date else "")
    page.route("**/static/job.js", lambda route: route.abort())  # the job page stays, rather than opening the check
    page.click("button:text-is('Check')")
    page.wait_for_url("**/jobs/*")
    yield "job", page
    page.unroute("**/static/job.js")
    check_id = _done(site, int(page.url.rsplit("/", 1)[1]))
    page.goto(f"{site.url}/claims/new")
    said = f"{claim.claimant.upper()}: Good afternoon. {claim.text} The operation is going to plan."
    page.fill("#text", said)
    page.fill("#speaker", claim.claimant)
    page.fill("#date", claim.date.isoformat() if claim.date else "")
    yield "new-claims", page
    page.click("button:text-is('Extract claims')")
    page.wait_for_url("**/claims/extract")
    yield "extract", page
    page.goto(f"{site.url}/jobs")
    yield "jobs", page
    sign_out(page)

    sign_in(page, site, "eddie")
    page.goto(f"{site.url}/queue")
    yield "queue", page
    page.click(f"a[href='/checks/{check_id}']")
    page.wait_for_url(f"**/checks/{check_id}")
    yield "check", page
    page.evaluate("document.getElementById('curate').scrollIntoView()")
    yield "curation", page
    page.goto(f"{site.url}/checks/{check_id}/report")
    yield "report", page
    page.goto(f"{site.url}/checks/{check_id}/justification")
    yield "justification", page
    page.goto(f"{site.url}/checks/{check_id}")
    page.click("#check-claimant")
    page.wait_for_url("**/claimants/*")
    yield "claimant", page
    page.goto(f"{site.url}/search")
    page.fill("#q", "regrouped troops Izium")
    page.click("button:text-is('Search')")
    page.wait_for_url("**/search?q=*")
    yield "search", page
    page.goto(f"{site.url}/checks/{check_id}")
    page.click("button:text-is('Send for review')")
    page.wait_for_load_state()
    sign_out(page)

    sign_in(page, site, "cleo")
    page.goto(f"{site.url}/checks/{check_id}")
    page.fill("#note-approve", "The sources hold up.")
    yield "signoff", page
    page.click("button:text-is('Approve for publishing')")
    page.wait_for_load_state()
    page.click("text=Preview and publish…")
    page.wait_for_url(f"**/checks/{check_id}/publish")
    yield "publish-preview", page
    page.click("button:text-is('Publish now')")
    page.wait_for_url("**/published/*")
    yield "publication", page
    page.goto(f"{site.url}/ingest")
    yield "ingest", page
    sign_out(page)

    sign_in(page, site, "ada")
    page.goto(f"{site.url}/users")
    yield "users", page
    page.goto(f"{site.url}/no-such-page")
    yield "not-found", page
    context.close()

"""The editor's workbench in a real browser (Debian Chromium via Playwright) over a real store."""

from __future__ import annotations

import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from conftest import doc, write_jsonl

from factdesk import FactDesk
from factdesk.workbench import Workbench, make_server

SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def workbench_url(tmp_path) -> Iterator[str]:
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
        server = make_server(Workbench(desk, tmp_path / "site"), port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        server.server_close()


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
        page.wait_for_url("**/checks/1")
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
    assert bad.value.code == 400 and "field &#x27;date&#x27;" in bad.value.read().decode()

    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{workbench_url}/checks/99")
    assert missing.value.code == 400 and "no fact-check with id 99" in missing.value.read().decode()

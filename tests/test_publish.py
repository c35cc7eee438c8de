"""Publishing: ClaimReview JSON-LD, rating scales, immutable versions, corrections, and a safe HTML report."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from conftest import doc, write_jsonl

from factdesk.errors import FactdeskError
from factdesk.publish import RATING_SCALES, load_scale

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "claimreview.schema.json").read_text())
INJECTION = (
    'The Harwick bridge reopened in May. <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">'
)


@pytest.fixture
def checked(factdesk, tmp_path) -> str:
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc(
                "a",
                "The Harwick bridge reopened to traffic on 3 May 2022 after repairs lasting 14 months.",
                "2022-05-03",
            ),
            doc("b", INJECTION, "2022-05-04", outlet="Hostile Blog"),
        ],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    result = factdesk(
        "check",
        "The Harwick bridge </script><script>window.__pwned = 3</script> reopened after 14 months",
        "--claimant",
        "Mayor Jones",
        "--role",
        "Mayor of Harwick",
        "--date",
        "2022-06-01",
        "--url",
        "https://harwick-council.example/speech",
    )
    assert result.exit_code == 0, result.output
    assert "Saved as fact-check 1" in result.stderr
    return "1"


def test_publish_writes_valid_claimreview_and_is_idempotent(factdesk, checked, tmp_path):
    out = tmp_path / "site"
    first = factdesk("publish", checked, "--out", str(out))
    assert first.exit_code == 0, first.output
    [folder] = list(out.glob("*/v1"))
    assert sorted(p.name for p in folder.iterdir()) == [
        "averitec.json",
        "claimreview.json",
        "factcheck.json",
        "index.html",
        "report.md",
    ]
    review = json.loads((folder / "claimreview.json").read_text())
    jsonschema.validate(review, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert review["itemReviewed"]["author"] == {
        "@type": "Person",
        "name": "Mayor Jones",
        "jobTitle": "Mayor of Harwick",
    }
    averitec = json.loads((folder / "averitec.json").read_text())
    assert set(averitec) == {"claim_id", "claim", "pred_label", "evidence"}
    assert all(set(e) >= {"question", "answer", "url"} for e in averitec["evidence"])

    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = factdesk("publish", checked, "--out", str(out))
    assert again.exit_code == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_correction_is_a_new_dated_version_and_the_old_one_stays(factdesk, store, checked, tmp_path):
    out = tmp_path / "site"
    factdesk("publish", checked, "--out", str(out))
    [v1] = list(out.glob("*/v1"))
    slug = v1.parent.name
    v1_files = {p.name: p.read_bytes() for p in v1.iterdir()}

    result = factdesk(
        "correct", slug, "--note", "The repair took 14 months, not 12.", "--label", "Refuted", "--out", str(out)
    )

    assert result.exit_code == 0, result.output
    v2 = v1.parent / "v2"
    html = (v2 / "index.html").read_text()
    assert "Correction, " in html and "The repair took 14 months, not 12." in html
    assert json.loads((v2 / "claimreview.json").read_text())["reviewRating"]["alternateName"] == "False"
    assert {p.name: p.read_bytes() for p in v1.iterdir()} == v1_files
    listed = factdesk("published").stdout
    assert f"{slug}  v1" in listed and f"{slug}  v2" in listed
    old = json.loads(factdesk("published", slug, "--version", "1").stdout)
    assert old == json.loads(v1_files["claimreview.json"])
    with sqlite3.connect(store / "factdesk.sqlite3") as conn, pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("UPDATE publications SET payload = '{}'")


def test_an_editors_ruling_invents_no_confidence_and_keeps_the_models_verdict(factdesk, checked, tmp_path):
    out = tmp_path / "site"
    factdesk("publish", checked, "--out", str(out))
    [v1] = list(out.glob("*/v1"))
    model = json.loads((v1 / "factcheck.json").read_text())["verdict"]
    assert isinstance(model["confidence"], float)

    result = factdesk("correct", v1.parent.name, "--note", "Overruled.", "--label", "Refuted", "--out", str(out))

    assert result.exit_code == 0, result.output
    v2 = v1.parent / "v2"
    record = json.loads((v2 / "factcheck.json").read_text())
    verdict = record["verdict"]
    assert (verdict["label"], verdict["confidence"]) == ("Refuted", None)  # not 1.00: no model said so
    assert verdict["probabilities"] == model["probabilities"]
    report = (v2 / "report.md").read_text()
    assert "editor's ruling" in report and "confidence 1.00" not in report
    kept = f"the model's verdict was {model['rating']} ({model['label']}), confidence {model['confidence']:.2f}"
    assert kept in record["notes"][-1]  # the model's verdict and its confidence stay on the record


def test_a_correction_note_of_several_lines_stays_one_block_quote(factdesk, checked, tmp_path):
    out = tmp_path / "site"
    factdesk("publish", checked, "--out", str(out))
    [v1] = list(out.glob("*/v1"))
    note = "The repair took 14 months.\n\n# Not 12, as first said.\n- Source: the council."

    assert factdesk("correct", v1.parent.name, "--note", note, "--out", str(out)).exit_code == 0

    quote, report = (v1.parent / "v2" / "report.md").read_text().split("\n\n", 1)
    first, *others = quote.splitlines()
    assert first.startswith("> Correction, ") and first.endswith(": The repair took 14 months.")
    assert others == [">", "> # Not 12, as first said.", "> - Source: the council."]
    assert report.startswith("# ")  # the report's own heading comes after the quote


def test_correct_accepts_every_rating_of_the_scale_in_any_case(factdesk, tmp_path):
    config = tmp_path / "politifact.toml"
    config.write_text('[publish]\nrating_scale = "politifact"\n')
    corpus = write_jsonl(
        tmp_path / "docs.jsonl", [doc("a", "The Harwick bridge reopened on 3 May 2022.", "2022-05-03")]
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    assert (
        factdesk("--config", str(config), "check", "The Harwick bridge reopened", "--date", "2022-06-01").exit_code == 0
    )
    out = tmp_path / "site"
    assert factdesk("--config", str(config), "publish", "1", "--out", str(out)).exit_code == 0
    [v1] = list(out.glob("*/v1"))
    slug, scale = v1.parent.name, RATING_SCALES["politifact"]

    def correct(*args: str) -> dict:
        result = factdesk("--config", str(config), "correct", slug, "--note", "Rated.", *args, "--out", str(out))
        assert result.exit_code == 0, result.output
        latest = max(v1.parent.glob("v*"), key=lambda folder: int(folder.name[1:]))
        return json.loads((latest / "claimreview.json").read_text())["reviewRating"]

    rating = correct("--label", "pants ON fire")
    assert rating == {
        "@type": "Rating",
        "alternateName": "Pants on Fire",
        "ratingValue": 1,
        "bestRating": 6,
        "worstRating": 1,
    }
    [v2] = list(out.glob("*/v2"))
    assert json.loads((v2 / "factcheck.json").read_text())["verdict"]["label"] == "Refuted"
    assert "# Pants on Fire: " in (v2 / "report.md").read_text()
    assert correct()["alternateName"] == "Pants on Fire"  # a later correction keeps the editor's rating
    for value, level in enumerate(scale.levels, start=1):
        assert correct("--label", level.swapcase()) == {
            "@type": "Rating",
            "alternateName": level,
            "ratingValue": value,
            "bestRating": 6,
            "worstRating": 1,
        }
    assert correct("--label", "refuted")["alternateName"] == "False"  # the verdict labels still work

    bad = factdesk(
        "--config", str(config), "correct", slug, "--note", "x", "--label", "Pants on Fir", "--out", str(out)
    )
    assert bad.exit_code == 2
    assert bad.stderr == (
        "error: label 'Pants on Fir' is neither a verdict label nor a rating of the 'politifact' scale; valid labels "
        "(any case): Supported, Refuted, Not Enough Evidence, Conflicting Evidence/Cherrypicking, Pants on Fire, "
        "False, Mostly False, Half True, Mostly True, True\n"
    )


def test_published_files_cannot_be_silently_replaced(factdesk, checked, tmp_path):
    out = tmp_path / "site"
    factdesk("publish", checked, "--out", str(out))
    [v1] = list(out.glob("*/v1"))
    (v1 / "claimreview.json").write_text("{}")
    result = factdesk("publish", checked, "--out", str(out))
    assert result.exit_code == 2
    assert "differs from the published version" in result.stderr


def test_correction_needs_a_known_slug(factdesk, tmp_path):
    result = factdesk("--create", "correct", "no-such-check", "--note", "x", "--out", str(tmp_path))
    assert result.exit_code == 2 and "nothing published under 'no-such-check'" in result.stderr


def test_html_report_escapes_untrusted_text_and_runs_no_injected_script(factdesk, checked, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    out = tmp_path / "site"
    factdesk("publish", checked, "--out", str(out))
    [page_path] = list(out.glob("*/v1/index.html"))
    html = page_path.read_text()
    assert "<script>window" not in html and "<img" not in html

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(page_path.as_uri())
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert "window.__pwned = 3" in page.inner_text("h1")
        if "Hostile Blog" in html:
            assert "<script>window.__pwned = 1</script>" in page.inner_text("body")
        ld = json.loads(page.eval_on_selector('script[type="application/ld+json"]', "node => node.textContent"))
        assert ld["claimReviewed"].startswith("The Harwick bridge </script>")
        assert page.evaluate("document.querySelectorAll('script:not([type=\"application/ld+json\"])').length") == 0
        browser.close()
    assert errors == []


def test_rating_scales_map_labels_with_confidence():
    politifact = RATING_SCALES["politifact"]
    assert politifact.rate("Refuted", 0.95).name == "False"
    assert politifact.rate("Refuted", 0.6).name == "Mostly False"
    assert politifact.rate("Supported", 0.9).name == "True"
    assert politifact.rate("Conflicting Evidence/Cherrypicking", 0.9).name == "Half True"
    unrated = politifact.rate("Not Enough Evidence", 0.9)
    assert (unrated.name, unrated.value) == ("Not rated", None)
    assert RATING_SCALES["tfmu"].rate("Refuted", 0.3).value == 1


def test_custom_scale_from_toml(tmp_path):
    path = tmp_path / "scale.toml"
    path.write_text(
        'name = "traffic"\nlevels = ["Red", "Amber", "Green"]\nthreshold = 0.7\n'
        '[mapping]\nSupported = ["Amber", "Green"]\nRefuted = ["Red"]\n'
        '"Conflicting Evidence/Cherrypicking" = ["Amber"]\n"Not Enough Evidence" = []\n'
    )
    scale = load_scale(str(path))
    assert scale.rate("Supported", 0.8).name == "Green" and scale.rate("Supported", 0.5).name == "Amber"
    path.write_text('levels = ["Red"]\n[mapping]\nRefuted = ["Blue"]\n')
    with pytest.raises(FactdeskError, match="must map to at most two of its levels"):
        load_scale(str(path))

"""`factdesk claims --by NAME` through the CLI: a claimant's checked statements over time."""

from __future__ import annotations

import json

import pytest
from conftest import doc, write_jsonl
from test_match import review


@pytest.fixture
def history(factdesk, tmp_path):
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc("bridge", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03"),
            doc("budget", "The Harwick council approved a budget of 12 million euros on 2 March 2022.", "2022-03-02"),
        ],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    for claim, claimant, when in [
        ("The Harwick bridge reopened in May 2022", "Mayor Jones", "2022-06-01"),
        ("The council approved a budget of 12 million euros", "Mayor Jones", "2022-03-10"),
        ("The Harwick bridge never closed", "Councillor Smith", "2022-06-02"),
        ("Harwick has the best schools in the country", "mayor jones", ""),
    ]:
        args = ["check", claim, "--claimant", claimant] + (["--date", when] if when else [])
        assert factdesk(*args).exit_code == 0
    reviews = write_jsonl(
        tmp_path / "reviews.jsonl",
        [review(1, "Harwick's bridge cost twice its budget", "Mostly False", claimant="Mayor Jones")],
    )
    assert factdesk("import-reviews", str(reviews)).exit_code == 0


def test_lists_a_claimants_checks_oldest_first_with_ratings(factdesk, history):
    result = factdesk("claims", "--by", "Mayor Jones")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("4 checked statements by Mayor Jones (")
    assert [line[:10].rstrip() for line in lines[1:]] == ["2022-03-10", "2022-06-01", "2023-01-20", "undated"]
    assert "“The council approved a budget of 12 million euros”" in lines[1] and "fact-check 2" in lines[1]
    assert (
        "Mostly False" in lines[3] and "Checkers Desk" in lines[3] and "https://checkers.example/review-1" in lines[3]
    )
    assert "never closed" not in result.stdout


def test_json_history_carries_label_rating_and_confidence(factdesk, history):
    rows = json.loads(factdesk("claims", "--by", "mayor JONES", "--format", "json").stdout)
    assert [r["date"] for r in rows] == ["2022-03-10", "2022-06-01", "2023-01-20", None]
    mine = [r for r in rows if r["checked_by"] == "factdesk"]
    assert len(mine) == 3
    assert all(r["label"] and r["rating"] and 0 <= r["confidence"] <= 1 and r["check_id"] for r in mine)
    [imported] = [r for r in rows if r["checked_by"] != "factdesk"]
    assert imported == {
        "date": "2023-01-20",
        "claim": "Harwick's bridge cost twice its budget",
        "rating": "Mostly False",
        "checked_by": "Checkers Desk",
        "url": "https://checkers.example/review-1",
    }


def test_unknown_claimant(factdesk, history):
    result = factdesk("claims", "--by", "Nobody Known")
    assert result.exit_code == 0
    assert "No checked statements by Nobody Known" in result.stdout
    assert factdesk("claims").exit_code == 2


def test_check_cites_what_the_claimant_said_before_the_claim(factdesk, tmp_path):
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc(
                "earlier",
                "Mayor Jones said on 2 May 2022 that the Harwick bridge would stay shut all year.",
                "2022-05-02",
            ),
            doc("later", "Mayor Jones said on 9 June 2022 that the bridge had never been closed.", "2022-06-09"),
            doc("report", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03"),
        ],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    result = factdesk(
        "check",
        "The Harwick bridge reopened in May 2022",
        "--claimant",
        "Mayor Jones",
        "--date",
        "2022-06-01",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)
    cited = [e["doc_id"] for e in check["evidence"]]
    assert "earlier" in cited and "later" not in cited
    assert "Earlier, Mayor Jones's side was reported by Test Wire, 2 May 2022" in check["justification"]

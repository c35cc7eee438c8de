"""`factdesk extract` through the CLI: check-worthy sentences, decontextualised claims, and bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from factdesk.cli.main import cli

TRANSCRIPT = """Good evening, and thank you all for coming.
Last year we cut the city's carbon emissions by 14 percent, more than any other city in the state.
I think that is something we can all be proud of. What should we do next?
Yesterday the council approved 40 million euros for new bus lanes.
On Tuesday I met the transport minister, and my team showed her that bus ridership rose 22 percent since 2019.

JONES: That is not what the audit found. Emissions rose 3 percent in 2023, according to the regional agency.
REYES: I'm sure the agency's own report says emissions fell by 14 percent.
"""
KEYS = {
    "id",
    "claim",
    "claimant",
    "date",
    "score",
    "sentence",
    "start",
    "end",
    "features",
    "quantities",
    "needs_context",
}
FIGURES = """MODERATOR: Let's talk about taxes and the economy.
BIDEN: He paid $750 in federal income taxes in 2016 and 2017.
TRUMP: We had 33.1% GDP in the third quarter, the biggest jump in history.
TRUMP: Before the pandemic we created 2 million jobs in manufacturing.
"""


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "townhall.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


def claims_of(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_extracts_checkworthy_sentences_as_claims_that_check_accepts(factdesk, transcript, tmp_path):
    result = factdesk("extract", str(transcript), "--speaker", "Mayor Ana Reyes", "--date", "2024-03-15")
    claims = claims_of(result)

    assert all(set(c) == KEYS for c in claims)
    assert all(TRANSCRIPT[c["start"] : c["end"]] == c["sentence"] for c in claims)
    sentences = {c["sentence"] for c in claims}
    assert "Yesterday the council approved 40 million euros for new bus lanes." in sentences
    assert "Emissions rose 3 percent in 2023, according to the regional agency." in sentences
    for low in ("Good evening", "I think that", "What should we do next?", "That is not what"):
        assert not any(s.startswith(low) for s in sentences), low
    assert all(c["score"] >= 0.5 and c["date"] == "2024-03-15" for c in claims)
    assert len({c["id"] for c in claims}) == len(claims)
    assert "claims extracted from" in result.stderr

    claims_file = tmp_path / "claims.jsonl"
    claims_file.write_text(result.stdout, encoding="utf-8")
    checked = factdesk("--create", "check", "--claims", str(claims_file), "--out", str(tmp_path / "out.jsonl"))
    assert checked.exit_code == 0, checked.output
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == [c["id"] for c in claims]
    assert [o["claim"] for o in out] == [c["claim"] for c in claims]


def test_claims_stand_alone_with_speaker_and_calendar_dates(factdesk, transcript):
    claims = {
        c["sentence"]: c
        for c in claims_of(factdesk("extract", str(transcript), "--speaker", "Mayor Ana Reyes", "--date", "2024-03-15"))
    }
    emissions = claims[
        "Last year we cut the city's carbon emissions by 14 percent, more than any other city in the state."
    ]
    # "we" is the city, not the mayor: left as said and listed, unless --group says who it is.
    assert emissions["claim"] == (
        "In 2023 we cut the city's carbon emissions by 14 percent, more than any other city in the state."
    )
    assert emissions["needs_context"] == ["we"]
    assert claims["Yesterday the council approved 40 million euros for new bus lanes."]["claim"] == (
        "On 14 March 2024 the council approved 40 million euros for new bus lanes."
    )
    minister = next(c for s, c in claims.items() if s.startswith("On Tuesday I met"))
    assert minister["claim"].startswith("On 12 March 2024 Mayor Ana Reyes met the transport minister, and Mayor Ana")
    assert "Mayor Ana Reyes's team showed her" in minister["claim"]
    # A speaker label in capitals names the speaker; one whose words are in --speaker is that speaker.
    audit = claims["Emissions rose 3 percent in 2023, according to the regional agency."]
    assert audit["claimant"] == "Jones"
    reyes = next(c for s, c in claims.items() if s.startswith("I'm sure"))
    assert reyes["claimant"] == "Mayor Ana Reyes"
    assert reyes["claim"].startswith("Mayor Ana Reyes is sure the agency's own report")
    assert reyes["needs_context"] == []


def test_group_and_place_given_for_the_speaker_resolve_we_and_here(factdesk, tmp_path):
    path = tmp_path / "council.txt"
    path.write_text(
        "Last year we cut emissions here by 14 percent.\nJONES: We have not cut anything here.\n", encoding="utf-8"
    )
    args = ["--speaker", "Ana Reyes", "--date", "2024-03-15", "--threshold", "0"]
    claims = claims_of(factdesk("extract", str(path), *args, "--group", "Harwick City Council", "--place", "Harwick"))
    assert [(c["claim"], c["needs_context"]) for c in claims] == [
        ("In 2023 Harwick City Council cut emissions in Harwick by 14 percent.", []),
        ("We have not cut anything in Harwick.", ["we"]),  # Jones's "we" is not the speaker's group
    ]


@pytest.mark.parametrize("scorer", ["model", "rules"])
def test_sentences_with_figures_are_claims_listing_their_quantities(factdesk, tmp_path, scorer):
    path = tmp_path / "debate.txt"
    path.write_text(FIGURES, encoding="utf-8")
    claims = claims_of(factdesk("extract", str(path), "--scorer", scorer, "--threshold", "0.2"))
    found = {q["text"]: q for c in claims for q in c["quantities"]}
    assert {k: (v["value"], v["unit"], v["counted"]) for k, v in found.items()} == {
        "$750": (750.0, "USD", "federal income taxes"),
        "33.1%": (33.1, "%", "GDP"),
        "2 million": (2_000_000.0, "", "jobs"),
    }
    assert all(FIGURES[q["start"] : q["end"]] == q["text"] for q in found.values())
    if scorer == "model":  # at the default threshold too
        default = claims_of(factdesk("extract", str(path)))
        assert {q["text"] for c in default for q in c["quantities"]} == set(found)


@pytest.mark.parametrize(
    ("phrase", "resolved"),
    [
        ("three years ago", "in 2021"),
        ("last month", "in February 2024"),
        ("last week", "in the week of 4 March 2024"),
        ("during the past year", "during the year to 15 March 2024"),
        ("since last Friday", "since 8 March 2024"),
        ("next Monday", "on 18 March 2024"),
        ("two days ago", "on 13 March 2024"),
    ],
)
def test_relative_dates_are_counted_from_the_date(factdesk, tmp_path, phrase, resolved):
    path = tmp_path / "one.txt"
    path.write_text(f"Prices at the Harwick market rose 12 percent {phrase}.\n", encoding="utf-8")
    [claim] = claims_of(factdesk("extract", str(path), "--date", "2024-03-15", "--threshold", "0"))
    assert claim["claim"] == f"Prices at the Harwick market rose 12 percent {resolved}."


def test_without_speaker_or_date_the_sentence_is_kept_as_said(factdesk, transcript):
    claims = claims_of(factdesk("extract", str(transcript)))
    bus = next(c for c in claims if c["sentence"].startswith("Yesterday"))
    assert bus["claim"] == bus["sentence"] and bus["claimant"] == "" and bus["date"] is None


def test_threshold_and_top_k(factdesk, transcript):
    every = claims_of(factdesk("extract", str(transcript), "--threshold", "0"))
    assert len(every) == 9
    assert [c["start"] for c in every] == sorted(c["start"] for c in every)
    best = claims_of(factdesk("extract", str(transcript), "--threshold", "0", "--top-k", "2"))
    assert sorted(c["score"] for c in best) == sorted(c["score"] for c in every)[-2:]
    assert [c["start"] for c in best] == sorted(c["start"] for c in best)
    strict = claims_of(factdesk("extract", str(transcript), "--threshold", "0.95"))
    assert all(c["score"] >= 0.95 for c in strict) and len(strict) < len(every)


def test_reads_stdin_and_writes_out_file(store, tmp_path):
    out = tmp_path / "claims.jsonl"
    result = CliRunner().invoke(
        cli, ["--store", str(store), "extract", "-", "--out", str(out)], input=TRANSCRIPT.encode("utf-8")
    )
    assert result.exit_code == 0, result.output
    claims = [json.loads(line) for line in out.read_text().splitlines()]
    assert claims and all(c["id"].startswith("stdin-") for c in claims)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", ": empty input; expected text to extract claims from"),
        (b"  \n\n \t\n", ": empty input; expected text to extract claims from"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ": binary file (contains NUL bytes); expected UTF-8 text"),
        ("Title\n\nCaf\xe9 prices rose.".encode("latin-1"), ":3: not valid UTF-8 (byte 0xe9)"),
    ],
)
def test_bad_input_is_named_with_its_reason(factdesk, tmp_path, content, expected):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    result = factdesk("extract", str(path))
    assert result.exit_code == 2
    assert f"error: {path}{expected}" in result.stderr
    assert result.stdout == ""


def test_missing_file_and_bad_date_are_errors(factdesk, transcript, tmp_path):
    missing = factdesk("extract", str(tmp_path / "nowhere.txt"))
    assert missing.exit_code == 2 and f"{tmp_path / 'nowhere.txt'}: cannot read" in missing.stderr
    bad_date = factdesk("extract", str(transcript), "--date", "15/03/2024")
    assert bad_date.exit_code == 2 and "--date: expected YYYY-MM-DD" in bad_date.stderr

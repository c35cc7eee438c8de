"""Contrast-set edits: each kind on concrete claims, one changed span, deterministic."""

from __future__ import annotations

import pytest

from factdesk.evaluate.contrast import ContrastEdit, ContrastEditor, date_span, minimal_edits, number_span

POOL = {
    "PERSON": ["Angela Merkel", "Boris Johnson", "Joe Biden"],
    "GPE": ["Berlin", "Lagos", "Paris"],
    "ORG": ["NASA", "World Health Organization"],
}


def _by_kind(claim: str, pool: dict[str, list[str]] | None = None) -> dict[str, str]:
    edits = minimal_edits(claim, pool)
    assert len({e.kind for e in edits}) == len(edits)
    assert all(isinstance(e, ContrastEdit) and e.original == claim and e.edited != claim for e in edits)
    return {e.kind: e.edited for e in edits}


def test_number_date_and_negation_edits_of_one_claim() -> None:
    edits = _by_kind("Unemployment rose to 8.5% in 2020.")
    assert edits["number"] == "Unemployment rose to 12.75% in 2020."
    assert edits["date"] == "Unemployment rose to 8.5% in 2027."
    assert edits["negation"] == "Unemployment did not rise to 8.5% in 2020."
    assert "entity" not in edits  # no pool given


@pytest.mark.parametrize(
    ("claim", "edited"),
    [
        ("The minister was in Paris.", "The minister was not in Paris."),
        ("He did not sign the bill", "He did sign the bill"),
        ("He didn't sign the bill", "He did sign the bill"),
        ("Biden can't win in Texas.", "Biden can win in Texas."),
        ("He won't resign.", "He will resign."),
        ("The pope cannot walk.", "The pope can walk."),
        ("Masks will stop the spread of the virus.", "Masks will not stop the spread of the virus."),
        ("The senator has voted for the bill.", "The senator has not voted for the bill."),
        ("The senator voted for the bill.", "The senator did not vote for the bill."),
        ("Not all vaccines are safe.", "All vaccines are safe."),
        ("She can swim.", "She cannot swim."),
    ],
)
def test_negation(claim: str, edited: str) -> None:
    assert _by_kind(claim)["negation"] == edited


@pytest.mark.parametrize(
    "claim", ["There is no evidence that masks work.", "He has never lost.", "Why should you pay more taxes?"]
)
def test_no_negation_where_not_would_be_wrong(claim: str) -> None:
    assert "negation" not in _by_kind(claim)


@pytest.mark.parametrize(
    ("text", "edited"),
    [
        ("Joe Biden said 1,200 people died.", "Joe Biden said 3,600 people died."),
        ("Taxes rose by 40 percent.", "Taxes rose by 60 percent."),
        ("Prices rose 45% last year.", "Prices rose 67.5% last year."),
        ("The plan costs $2000 a head.", "The plan costs $6000 a head."),
        ("It fell to 2.0 points.", "It fell to 3.0 points."),
        ("He paid 0 dollars.", "He paid 3 dollars."),
        ("On March 30, 2020 there were 7 cases.", "On March 30, 2020 there were 21 cases."),
        ("The iPhone 12 has 3 cameras.", "The iPhone 12 has 9 cameras."),
    ],
)
def test_number_edit_skips_years_days_and_names(text: str, edited: str) -> None:
    assert _by_kind(text)["number"] == edited


def test_no_number_edit_for_years_codes_and_dates_only() -> None:
    assert number_span("COVID-19 spread in 2020 after 9/11 and on 1 March.") is None


@pytest.mark.parametrize(
    ("text", "edited"),
    [
        ("Obama was born in Kenya in 1961.", "Obama was born in Kenya in 1968."),
        ("Prices fell in 1990 and 2000.", "Prices fell in 1997 and 2000."),
        ("The law passed in January.", "The law passed in July."),
        ("The vote was held on 3 October.", "The vote was held on 3 April."),
    ],
)
def test_date_edit(text: str, edited: str) -> None:
    span = date_span(text)
    assert span is not None
    assert text[: span.start] + span.replacement + text[span.end :] == edited


def test_date_edit_leaves_a_may_that_is_not_a_month() -> None:
    assert "date" not in _by_kind("Vaccines may cause fever.")


def test_entity_swap_uses_the_pool_same_label_and_is_deterministic() -> None:
    claim = "Angela Merkel visited Lagos last week."
    edited = _by_kind(claim, POOL)["entity"]
    assert edited in {"Boris Johnson visited Lagos last week.", "Joe Biden visited Lagos last week."}
    assert [e.edited for e in minimal_edits(claim, POOL)] == [e.edited for e in minimal_edits(claim, POOL)]
    assert "entity" not in _by_kind(claim, {"PERSON": ["Angela Merkel"]})  # nothing else of that label
    assert "entity" not in _by_kind(claim, {})


def test_entity_pool_collects_clean_names_by_label() -> None:
    editor = ContrastEditor()
    pool = editor.entity_pool(
        ["Angela Merkel met Joe Biden in Berlin.", "Joe Biden's plan was praised by NASA.", "The virus hit Paris."]
    )
    assert "Joe Biden" in pool["PERSON"] and "Joe Biden's" not in pool["PERSON"]
    assert pool["PERSON"][0] == "Joe Biden"  # most frequent first
    assert {"Berlin", "Paris"} <= set(pool["GPE"])
    edits = editor.edits("Angela Merkel was in Berlin.", pool)
    assert [e.kind for e in edits] == ["negation", "entity"]
    assert edits[1].edited == "Joe Biden was in Berlin."

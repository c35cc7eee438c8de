"""Decontextualisation keeps meaning: the project's own (context, sentence, expected rewrite) pairs, and the
meaning check that vetoes a rewrite changing a negator or a figure."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from factdesk.claims.decontext import Context, decontextualise
from factdesk.claims.decontext_eval import Outcome, read_pairs, run_pairs, summary
from factdesk.claims.extract import ClaimExtractor
from factdesk.claims.meaning import meaning_changes

KINDS = {
    "we_country",
    "we_party",
    "we_people",
    "we_org",
    "i_my",
    "anaphora",
    "anaphora_uncertain",
    "relative_date",
    "negation",
    "numbers",
    "quoted",
    "place",
}


@pytest.fixture(scope="module")
def extractor() -> ClaimExtractor:
    extractor = ClaimExtractor(threshold=0.0, scorer="rules")
    extractor.warm_up()
    return extractor


@pytest.fixture(scope="module")
def outcomes(extractor):
    return run_pairs(read_pairs(), extractor)


def test_the_pair_set_covers_each_kind():
    pairs = read_pairs()
    kinds = Counter(p["kind"] for p in pairs)
    assert len(pairs) >= 60 and set(kinds) == KINDS
    assert len({p["id"] for p in pairs}) == len(pairs)
    assert sum(p["expected"] is None for p in pairs) >= 20  # sentences that must stay as said


def test_no_rewrite_changes_meaning(outcomes):
    changed = [(o.id, o.got, o.changes) for o in outcomes if o.meaning_changed]
    assert changed == []


def test_rewrites_match_the_expected_ones(outcomes):
    result = summary(outcomes)
    assert result["exact_match_rate"] >= 0.95, [(o.id, o.got) for o in outcomes if not o.exact]
    assert result["needs_context_match_rate"] >= 0.95


def test_we_meaning_a_country_party_or_people_is_never_the_speaker(outcomes):
    pairs = {p["id"]: p for p in read_pairs()}
    general = [o for o in outcomes if o.kind in ("we_country", "we_party", "we_people")]
    assert len(general) >= 15 and all(pairs[o.id]["speaker"] not in o.got for o in general)
    assert all({"we", "us", "our"} & set(o.needs_context) for o in general)


def nlp_doc(extractor: ClaimExtractor, text: str):
    extractor.warm_up()
    return extractor._nlp(text)


def test_a_rewrite_that_would_add_a_negator_is_dropped(extractor):
    context = Context(previous=nlp_doc(extractor, "No deal was signed."))
    rewrite = decontextualise(nlp_doc(extractor, "It would have cut tariffs by half."), context)
    assert rewrite.text == "It would have cut tariffs by half."
    assert rewrite.vetoed == ("negators [] became [no]",)
    assert rewrite.needs_context == ("it",)


def test_a_certain_subject_is_carried_from_the_previous_sentence(extractor):
    context = Context(on=date(2024, 5, 2), previous=nlp_doc(extractor, "The new bridge opened in March."))
    rewrite = decontextualise(nlp_doc(extractor, "And it cost $2 billion last year."), context)
    assert rewrite.text == "The new bridge cost $2 billion in 2023."
    assert rewrite.needs_context == () and rewrite.vetoed == ()


@pytest.mark.parametrize(
    ("original", "rewritten", "resolved", "changes"),
    [
        ("We cut taxes.", "Acme cut taxes.", (), ()),
        ("We did not cut taxes.", "Acme cut taxes.", (), ("negators [not] became []",)),
        ("I won't go.", "Jo will go.", (), ("negators [n't] became []",)),
        (
            "It cost $2.5 billion.",
            "It cost $2.5 million.",
            (),
            ("figures [2,500,000,000 USD] became [2,500,000 USD]", "quantity words [billion] became [million]"),
        ),
        ("It cost $2 billion.", "The bridge cost 2 billion dollars.", (), ()),
        ("Rents rose 8%.", "Rents rose 8 percent.", (), ()),
        ("Half the jobs went.", "The jobs went.", (), ("quantity words [half] became []",)),
        ("It rose 3 years ago.", "It rose in 2021.", ("3 years ago",), ()),
        ("It rose 3 years ago.", "It rose in 2021.", (), ("figures [3] became []",)),
        ("It closed yesterday.", "It closed on 1 May 2024.", ("yesterday",), ()),
    ],
)
def test_meaning_check(original, rewritten, resolved, changes):
    assert meaning_changes(original, rewritten, resolved) == changes


@pytest.mark.parametrize(
    ("got", "changed"),
    [
        ("In 2023 Acme cut taxes by 5 percent.", False),  # as expected
        ("In 2023 we cut taxes by 5 percent.", False),  # partial: less context, the same claim
        ("Last year we cut taxes by 5 percent.", False),  # left as said
        ("In 2023 Jo Bloggs cut taxes by 5 percent.", True),  # "we" is not the speaker
        ("In 2023 Acme cut taxes.", True),  # a figure dropped
        ("In 2022 Acme cut taxes by 5 percent.", True),  # the wrong year
    ],
)
def test_a_meaning_change_is_a_wrong_word_put_in_or_a_figure_changed(got, changed):
    sentence = "Last year we cut taxes by 5 percent."
    expected = "In 2023 Acme cut taxes by 5 percent."
    changes = meaning_changes(sentence, got, ["Last year"])
    outcome = Outcome("x", "we_org", "dev", sentence, expected, got, (), (), changes)
    assert outcome.meaning_changed == changed
    assert outcome.unresolved == (not changed and got != expected)


def test_group_is_the_unlabelled_writers_and_quoted_groups_stay(extractor):
    text = 'We cut emissions by 9 percent. Their chief said "we at Norland lost money" in 2020.\nJONES: We did.'
    claims = extractor.run(text, group="Harwick Council")
    assert [(c.claim, c.needs_context) for c in claims] == [
        ("Harwick Council cut emissions by 9 percent.", ()),
        ('Their chief said "we at Norland lost money" in 2020.', ("their",)),
        ("We did.", ("we",)),
    ]

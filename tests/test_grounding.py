"""The verdict follows relevant evidence: no evidence about a claim means Unproven, whatever its wording."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from conftest import REPO, SHARED_DATA

from factdesk import Claim, FactDesk
from factdesk.datasets.averitec import AveritecItem, others_evidence
from factdesk.demo import demo_corpus
from factdesk.evaluate.averitec_retrieval import nee_causes
from factdesk.evaluate.claim_only import ClaimOnlyModel
from factdesk.evaluate.grounding import GroundingEvaluator
from factdesk.explain.render import render
from factdesk.records import UNRELATED, Document, Evidence, Passage
from factdesk.verify.attribution import echoes_claimant, is_person
from factdesk.verify.relevance import RelevanceGate, claim_years, content_words, relevant
from factdesk.verify.verdict import CLAIM_ONLY_FEATURES, TrainedVerdictAggregator

REFERENCE = REPO.parent / "shared" / "reference" / "regrouping-fact-check.txt"


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory):
    with FactDesk(tmp_path_factory.mktemp("grounding") / "store") as desk:
        assert desk.ingest([demo_corpus()]).ok
        yield desk


def _evidence(text: str, stance: str = "supports") -> Evidence:
    doc = Document(id="d", text=text)
    probs = {"supports": 0.8, "refutes": 0.1, "neutral": 0.1}
    return Evidence(Passage("d", 0, len(text), text), doc, stance, probs, {"retrieval": 1.0, "relevance": 0.9})


@pytest.mark.parametrize("text", ["Yes", "November 3, 2020.", "No.", "12 May", "42%"])
def test_passages_with_no_content_of_their_own_are_never_evidence(text):
    gate = RelevanceGate(threshold=0.0)
    assert len(content_words(text)) < gate.min_content_words
    (item,) = gate.apply([_evidence(text)], [1.0])
    assert item.stance == UNRELATED and not item.about_claim
    assert relevant([item]) == []


def test_an_answer_with_its_question_is_evidence():
    gate = RelevanceGate(threshold=0.3)
    (item,) = gate.apply([_evidence("Did Apple receive a letter from the band in 2011? Yes")], [0.8])
    assert item.about_claim and item.stance == "supports" and item.scores["about"] == 0.8


def test_a_passage_below_the_relevance_threshold_casts_no_vote():
    gate = RelevanceGate(threshold=0.5)
    low, high = gate.apply(
        [_evidence("The tower was repainted in brown."), _evidence("The tower was sold for scrap.")], [0.2, 0.9]
    )
    assert "below" in gate.reason(low.passage.text, 0.2)
    assert [e.about_claim for e in (low, high)] == [False, True]


def _dated(text: str, published: date | None) -> Evidence:
    item = _evidence(text)
    return replace(item, document=replace(item.document, published=published))


def test_a_passage_from_another_time_than_the_claim_casts_no_vote():
    gate = RelevanceGate(threshold=0.0)
    claim = Claim("Nobody was injured when freight wagons derailed near Lissford in 2019.", date=date(2025, 5, 5))
    older = _dated("Freight wagons derailed near Lissford in 2017. Two workers were injured.", date(2017, 3, 1))
    later = _dated("A passenger train derailed near Lissford on Saturday, injuring twenty people.", date(2025, 5, 3))
    named = _dated("In 2019 six wagons derailed near Lissford and no one was injured.", date(2025, 5, 3))
    same_year = _dated("Six wagons derailed near Lissford on Tuesday night. No one was injured.", date(2019, 11, 20))
    undated = _dated("Six wagons derailed near Lissford on Tuesday night. No one was injured.", None)
    tags = [e.about_claim for e in gate.apply([older, later, named, same_year, undated], [0.9] * 5, claim)]
    assert tags == [False, False, True, True, True]
    assert "before 2019" in gate.reason(older.passage.text, 0.9, date(2017, 3, 1), {2019})
    assert "names no year" in gate.reason(later.passage.text, 0.9, date(2025, 5, 3), {2019})


def test_a_claim_with_a_promise_for_a_later_year_keeps_earlier_documents():
    promise = Claim("The company promised in 2021 that the plant would stay open until 2030.", date=date(2025, 1, 1))
    assert claim_years(promise) == {2021}
    assert claim_years(Claim("More than 2000 postal votes were dumped.", date=date(2024, 10, 1))) == set()
    since = Claim("Location data has helped solve 400 crimes since 2023.", date=date(2025, 6, 12))
    assert claim_years(since) == {2023, 2025}  # a period up to the claim's date: this year's news is about it
    (item,) = RelevanceGate(threshold=0.0).apply(
        [_dated("The plant is safe until 2030, the chief executive said.", date(2021, 6, 10))], [0.9], promise
    )
    assert item.about_claim


@pytest.mark.parametrize(
    ("claimant", "role", "person"),
    [
        ("Igor Konashenkov", "Spokesman, Russian Ministry of Defence", True),
        ("Ilse Marek", "Finance Minister", True),
        ("Viral social media post", "Unattributed claim shared online", False),
        ("Civic Alliance", "Political party", False),
        ("Green Futures Kestria", "Environmental campaign group", False),
        ("Instagram Post", "", False),
    ],
)
def test_only_a_person_is_named_by_a_surname(claimant, role, person):
    assert is_person(claimant, role) is person


def test_a_claimant_that_is_not_a_person_speaks_only_where_a_passage_reports_it():
    post = Claim("Votes were dumped.", claimant="Viral social media post", claimant_role="Unattributed claim")
    assert not echoes_claimant(post, "The post office in Brennick counted 12,905 postal ballots.")
    assert echoes_claimant(post, "The viral post claims that 3,000 votes were dumped in a river.")
    party = Claim("Crime fell.", claimant="Civic Alliance", claimant_role="Political party")
    assert not echoes_claimant(party, "Lena Varga (Civic Alliance): 41,212 votes (48.6 per cent).")
    assert echoes_claimant(party, "The Civic Alliance said on Monday that crime had fallen.")
    minister = Claim("Exports grew.", claimant="Ilse Marek", claimant_role="Finance Minister")
    assert echoes_claimant(minister, "Marek said exports had grown by a quarter last year.")


def test_the_shipped_verdict_model_reads_no_claim_only_feature():
    aggregator = TrainedVerdictAggregator()
    aggregator.warm_up()
    spec = aggregator.model.spec
    assert not set(spec.dense) & CLAIM_ONLY_FEATURES
    assert not [w for w in spec.vocabulary if w.startswith("c:")]


def test_no_evidence_is_not_enough_evidence_whatever_the_claim_says():
    aggregator = TrainedVerdictAggregator()
    for text in ("The moon landing was faked.", "Unemployment fell to 3% in 2019.", "He never said that."):
        scores = aggregator.run(Claim(text), [])
        assert max(scores, key=scores.__getitem__) == "Not Enough Evidence"


def test_a_claim_the_corpus_says_nothing_about_is_unproven(demo_desk):
    claim = Claim("The Eiffel Tower was sold to a scrap metal dealer in 2019", date=date(2022, 9, 12))
    check = demo_desk.check(claim, save=False)
    assert check.verdict.rating == "Unproven", check.verdict
    assert check.verdict.label == "Not Enough Evidence"
    assert not any(e.about_claim and e.stance == "refutes" for e in check.evidence)
    text = render(check, "text")
    assert "NOT ABOUT THE CLAIM" in text
    assert not [c for s in check.justification for c in s.citations]


@pytest.mark.xfail(
    strict=True,
    reason="missed target: the verdict model rules Refuted (0.43 against 0.30 Supported), and a voting passage "
    "about howitzers captured near Balakliia is read as refuting (0.60), so the ruling that follows the readings "
    "may stand",
)
def test_a_near_verbatim_sentence_of_the_corpus_is_true(demo_desk):
    claim = Claim("Russian troops near Izium left tanks, ammunition and documents behind", date=date(2022, 9, 12))
    check = demo_desk.check(claim, save=False)
    assert check.verdict.rating == "True", (check.verdict, [(e.stance, e.passage.text[:80]) for e in check.evidence])


def test_the_reference_fact_check_ingested_as_a_document_leads_to_false(tmp_path):
    if not REFERENCE.is_file():
        pytest.skip(f"the reference fact-check is not at {REFERENCE}")
    source = tmp_path / "reference.txt"
    source.write_text(
        "False: Russia is merely regrouping after its rout in Kharkiv\nPublished: 2022-09-13\n"
        "Outlet: Reference fact-check\n\n" + REFERENCE.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with FactDesk(tmp_path / "store") as desk:
        assert desk.ingest([source]).ok
        claim = Claim(
            "Russian troops stationed in the districts of Balakliia and Izium are being regrouped to achieve the "
            "goals of the operation in the Donbas.",
            claimant="Igor Konashenkov",
            claimant_role="Spokesman, Russian Defence Ministry",
            date=date(2022, 9, 10),
        )
        check = desk.check(claim, as_of=date(2022, 9, 13), save=False)
    assert check.verdict.rating == "False", (check.verdict, [(e.stance, e.passage.text[:90]) for e in check.evidence])


def test_the_claim_only_baseline_reads_only_the_claim():
    model = ClaimOnlyModel().fit(["the vaccine is a hoax", "the bridge opened in may"], ["Refuted", "Supported"])
    assert model.predict(["a hoax, they say", "it opened"]) == ["Refuted", "Supported"]


def test_others_evidence_pairs_each_claim_with_another_claims_answers():
    claims = [
        AveritecItem(Claim(text, id=str(k)), "Refuted", ((f"answer {k}", ""),))
        for k, text in enumerate(["Taxes rose in Ohio", "Taxes rose in Texas", "The moon is made of cheese"])
    ]
    for similar in (False, True):
        paired = others_evidence(claims, seed=1, similar=similar)
        assert [p.label for p in paired] == ["Not Enough Evidence"] * 3
        assert all(p.qa != c.qa and p.claim.text == c.claim.text for p, c in zip(paired, claims, strict=True))
    # "Taxes rose in Texas" is the Ohio claim reworded (cosine above MAX_SIMILARITY): its answers could answer it
    assert others_evidence(claims, seed=1, similar=True)[0].qa == claims[2].qa


def test_not_enough_evidence_is_traced_to_its_cause():
    nee = "Not Enough Evidence"
    rows = [
        {"label": nee, "leaning": "", "evidence_about_claim": 0},
        {"label": nee, "leaning": "Refuted", "evidence_about_claim": 2},
        {"label": nee, "leaning": nee, "evidence_about_claim": 3},
        {"label": "Refuted", "leaning": "", "evidence_about_claim": 3},
    ]
    assert nee_causes(rows) == {
        "no_evidence_about_the_claim": 1,
        "abstained_leaning_Refuted": 1,
        "verdict_model": 1,
    }


@pytest.mark.slow
def test_grounding_evaluator_on_real_claims():
    if not (SHARED_DATA / "averitec").is_dir() or not (SHARED_DATA / "nli" / "fever_symmetric").is_dir():
        pytest.skip(f"AVeriTeC or FEVER-Symmetric not found under {SHARED_DATA}")
    report = GroundingEvaluator(limit=40, closed_corpus=False).run(SHARED_DATA, "dev")
    rows = {s.system.split(" (")[0]: s.metrics for s in report.systems}
    assert report.primary_metric == "nee_rate_unrelated_evidence"
    assert set(rows) == {"factdesk", "majority class", "claim-only model"}
    assert rows["majority class"]["nee_rate_unrelated_evidence"] == 0.0
    assert report.primary > rows["claim-only model"]["nee_rate_unrelated_evidence"]
    assert report.details["contrast"]["edits"] > 0
    for metrics in rows.values():
        assert all(0.0 <= v <= 1.0 for v in metrics.values())

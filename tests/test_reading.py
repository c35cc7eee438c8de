"""Passage readings (the stance model and the verdict encoder) and a ruling that never contradicts them."""

from __future__ import annotations

from datetime import date

import pytest

from factdesk import Claim, FactDesk
from factdesk.demo import demo_corpus
from factdesk.records import UNRELATED, Document, Evidence, Passage
from factdesk.verify.reading import EncoderPassageReader, consistent_with_readings
from factdesk.verify.relevance import voting_evidence


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory):
    with FactDesk(tmp_path_factory.mktemp("reading") / "store") as desk:
        assert desk.ingest([demo_corpus()]).ok
        yield desk


SCORES = {"Supported": 0.3, "Refuted": 0.4, "Not Enough Evidence": 0.1, "Conflicting Evidence/Cherrypicking": 0.2}


def _evidence(text: str, stance: str, from_claimant: bool = False) -> Evidence:
    probabilities = {"supports": 0.2, "refutes": 0.2, "neutral": 0.2, stance: 0.6} if stance != UNRELATED else {}
    return Evidence(
        Passage("d", 0, len(text), text),
        Document("d", text),
        stance,
        probabilities or {"supports": 0.6, "refutes": 0.2, "neutral": 0.2},
        {"retrieval": 1.0, "relevance": 0.9},
        from_claimant,
    )


@pytest.mark.parametrize(
    ("tags", "ruled_out"),
    [
        (["supports", "neutral"], "Refuted"),
        (["refutes"], "Supported"),
        (["supports", "refutes"], None),
        (["neutral"], None),
    ],
)
def test_a_ruling_the_readings_contradict_is_not_made(tags, ruled_out):
    scores = consistent_with_readings(SCORES, [_evidence("x", tag) for tag in tags])
    assert sum(scores.values()) == pytest.approx(1.0)
    if ruled_out is None:
        assert scores == pytest.approx(SCORES)
    else:
        assert scores[ruled_out] == 0.0
        assert scores["Not Enough Evidence"] == pytest.approx(SCORES["Not Enough Evidence"] + SCORES[ruled_out])
        others = set(SCORES) - {ruled_out, "Not Enough Evidence"}
        assert all(scores[label] == SCORES[label] for label in others)  # no other ruling gains confidence


def test_the_claimants_own_words_are_no_support_to_bind_to():
    scores = consistent_with_readings(SCORES, [_evidence("x", "supports", from_claimant=True)])
    assert scores == pytest.approx(SCORES)


def test_nothing_left_is_not_enough_evidence():
    only_refuted = {
        "Supported": 0.0,
        "Refuted": 1.0,
        "Not Enough Evidence": 0.0,
        "Conflicting Evidence/Cherrypicking": 0.0,
    }
    scores = consistent_with_readings(only_refuted, [_evidence("x", "supports")])
    assert scores["Not Enough Evidence"] == 1.0


def test_a_rebuttal_the_stance_model_reads_as_support_is_read_as_refuting():
    claim = Claim("Hillary and Bill Clinton ran a child sex-trafficking ring in the basement of a pizzeria.")
    rebuttal = (
        "Has there been any news that confirms that there is truth in the story? Pizzagate was a widely "
        "discredited news story which linked Hillary Clinton's campaign with a fictional human trafficking ring."
    )
    as_the_stance_model_read_it = _evidence(rebuttal, "supports")
    unrelated = _evidence("The weather was mild.", UNRELATED)
    read = EncoderPassageReader().run(claim, [as_the_stance_model_read_it, unrelated])
    assert read[0].stance == "refutes", read[0].reading
    assert read[0].reading["refutes"] > read[0].stance_probabilities["refutes"]
    assert read[0].stance_probabilities == as_the_stance_model_read_it.stance_probabilities  # kept for the verdict
    assert read[1] == unrelated  # not about the claim: not read, no vote


def test_the_stance_weight_one_reads_as_the_stance_model():
    claim = Claim("The river flooded in May.")
    passage = _evidence("The river flooded in May, officials said.", "supports")
    [read] = EncoderPassageReader(stance_weight=1.0).run(claim, [passage])
    assert read.reading == pytest.approx(passage.stance_probabilities)


@pytest.mark.parametrize(
    "text",
    [
        "Russian troops near Izium left tanks, ammunition and documents behind",
        "The Eiffel Tower was sold to a scrap metal dealer in 2019",
        "Russian troops withdrew from Izium in an orderly regrouping",
    ],
)
def test_a_checks_verdict_never_contradicts_the_tags_of_its_voting_passages(demo_desk, text):
    check = demo_desk.check(Claim(text, date=date(2022, 9, 12)), save=False)
    voting = voting_evidence(check.evidence, demo_desk.config.verify.verdict_evidence)
    tags = {e.stance for e in voting if not e.from_claimant}
    shown = [(e.stance, e.passage.text[:60]) for e in voting]
    label = max(check.verdict.probabilities, key=check.verdict.probabilities.__getitem__)
    if label == "Refuted":
        assert "refutes" in tags or "supports" not in tags, shown
    if label == "Supported":
        assert "supports" in tags or "refutes" not in tags, shown
    assert all(e.reading for e in check.evidence if e.about_claim)


def test_the_prior_correction_takes_out_the_encoders_lean_towards_refuted():
    claim = Claim("The council approved a new bridge in 2021.")
    passage = _evidence("The council met in 2021 and discussed several transport projects.", "neutral")
    corrected = EncoderPassageReader(stance_weight=0.0).run(claim, [passage])[0].reading
    raw = EncoderPassageReader(stance_weight=0.0, prior_correction=False).run(claim, [passage])[0].reading
    marginal = EncoderPassageReader().encoder
    marginal.warm_up()
    assert marginal.train_marginal is not None
    refuted, supported = (marginal.train_marginal[marginal.labels.index(k)] for k in ("Refuted", "Supported"))
    assert refuted > supported  # most training claims were Refuted ...
    assert corrected["refutes"] / corrected["supports"] < raw["refutes"] / raw["supports"]  # ... and that is taken out

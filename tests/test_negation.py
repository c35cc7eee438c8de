"""A passage that negates something the claim does not say is not a refutation of the claim."""

from __future__ import annotations

import pytest

from factdesk.verify.cross_encoder import CrossEncoderStance
from factdesk.verify.negation import off_claim_denials, without_off_claim_denials

CLAIM = "Russian troops near Izium left tanks, ammunition and documents behind"


def test_a_denial_of_another_proposition_is_off_the_claim():
    passage = (
        "The withdrawal from Izium was not a planned regrouping. Ukrainian officers said Russian units left in a hurry."
    )
    assert off_claim_denials(CLAIM, passage) == ["The withdrawal from Izium was not a planned regrouping."]
    assert without_off_claim_denials(CLAIM, passage) == "Ukrainian officers said Russian units left in a hurry."


def test_a_denial_of_what_the_claim_says_stays():
    assert off_claim_denials(CLAIM, "Russian troops did not leave any tanks near Izium.") == []
    assert off_claim_denials(CLAIM, "No documents were found where the troops had been.") == []
    assert without_off_claim_denials(CLAIM, "Russian troops took all their tanks with them.") is None


def test_an_answer_is_read_with_its_question_and_a_bare_no_is_not_set_aside():
    assert off_claim_denials(CLAIM, "Was the withdrawal planned? No, it was not a planned regrouping.") == []
    assert off_claim_denials(CLAIM, "No. Russian troops took everything with them.") == []


def test_naming_the_same_place_is_not_saying_the_same_thing():
    passage = "The Russian claim of a regrouping near Izium does not hold up."
    assert off_claim_denials(CLAIM, passage) == [passage]
    assert without_off_claim_denials(CLAIM, passage) == ""


def test_the_stance_model_reads_the_passage_again_without_the_off_claim_denial():
    passages = [
        "The withdrawal from Izium was not a planned regrouping. Ukrainian officers said Russian units left "
        "without covering their retreat.",
        "The Russian claim of a regrouping near Izium does not hold up.",
        "Russian troops did not leave any equipment near Izium.",
    ]
    scoped = CrossEncoderStance().predict(CLAIM, passages)
    literal = CrossEncoderStance(negation_scope=False).predict(CLAIM, passages)
    refutes = 1
    assert literal[0].argmax() == refutes and literal[1].argmax() == refutes  # the shortcut this guards against
    assert scoped[0].argmax() != refutes
    assert scoped[1][refutes] == 0.0
    assert scoped[2].argmax() == refutes  # a denial of what the claim says is still read as one
    assert scoped[2] == pytest.approx(literal[2])

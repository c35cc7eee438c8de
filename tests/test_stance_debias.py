"""Stage 3 of the stance model: contrast pairs are labelled only where the passage decides them, FEVER pairs
never include a FEVER-Symmetric or stance-dev claim, and the exported model keeps the word-embedding table."""

from __future__ import annotations

from pathlib import Path

import pytest

from factdesk.datasets.averitec import AveritecItem
from factdesk.datasets.fever_symmetric import SPLITS, load_pairs
from factdesk.datasets.stance_pairs import REFUTES, SUPPORTS, StancePair
from factdesk.datasets.text import detokenize
from factdesk.evaluate.contrast import ContrastEditor
from factdesk.onnx_model import MODEL_FILE
from factdesk.records import Claim
from factdesk.training.debias_data import (
    carry_word_embeddings,
    changed_words,
    contrast_pairs,
    edited_claims,
    fever_training_pairs,
    passage_negations,
    reported_rulings,
)
from factdesk.verify.cross_encoder import DEFAULT_MODEL_DIR as STANCE_DIR
from factdesk.verify.verdict_encoder import WORD_EMBEDDINGS, table_sha256, word_embeddings

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def test_changed_words_are_whole_words_on_both_sides() -> None:
    assert changed_words("The bridge cost 1,200 dollars.", "The bridge cost 3,600 dollars.") == ("1,200", "3,600")
    assert changed_words("It opened in 2015.", "It opened in 2022.") == ("2015", "2022")
    assert changed_words("Obama visited Kenya.", "Obama visited Peru.") == ("Kenya", "Peru")


def test_contrast_pairs_flip_only_where_the_passage_states_what_was_changed() -> None:
    stated = StancePair("The bridge cost 1,200 dollars.", "Records show the bridge cost 1,200 dollars.", SUPPORTS, "x")
    silent = StancePair("The dam cost 1,200 dollars.", "Records show the dam was expensive.", SUPPORTS, "x")
    pairs = contrast_pairs([stated, silent], ContrastEditor(), limit=10)
    kinds = {original.claim: edited.source for original, edited in pairs}
    assert kinds[stated.claim] == "contrast_number"  # a number edit is preferred to a negation
    assert kinds.get(silent.claim) == "contrast_negation"  # the passage does not give the dam's cost
    assert all(edited.label == REFUTES and edited.passage == original.passage for original, edited in pairs)


def test_verdict_contrast_claims_are_refuted_by_the_evidence_that_supports_the_original() -> None:
    qa = (("When did the bridge open? It opened in 2015 after costing 1,200 dollars.", "https://example.org/a"),)
    supported = AveritecItem(Claim("The bridge opened in 2015.", id="c1"), "Supported", qa)
    refuted = AveritecItem(Claim("The bridge opened in 2015.", id="c2"), "Refuted", qa)
    silent = AveritecItem(Claim("The tunnel opened in 1990.", id="c3"), "Supported", qa)
    edited = edited_claims([supported, refuted, silent], ContrastEditor())
    by_id = {i.claim.id: i for i in edited}
    assert {"c1-negation-edit", "c1-date-edit"} <= set(by_id)
    assert "c3-date-edit" not in by_id  # 1990 is not in the evidence: it may be silent on the new year
    assert not any(i.startswith("c2") for i in by_id)  # only supported claims are edited
    assert by_id["c1-date-edit"].claim.text == "The bridge opened in 2022."
    assert by_id["c1-negation-edit"].claim.text == "The bridge did not open in 2015."
    assert all(i.label == "Refuted" and i.qa == qa for i in edited)


def test_evidence_side_negation_edits_the_sentence_about_the_claim() -> None:
    supported = StancePair(
        "The bridge opened in 2015.", "Work began in 2011. The bridge opened in 2015 after delays.", SUPPORTS, "x"
    )
    ((original, edited),) = passage_negations([supported], ContrastEditor(), limit=5)
    assert original == supported
    assert edited.passage == "Work began in 2011. The bridge did not open in 2015 after delays."
    assert (edited.claim, edited.label) == (supported.claim, REFUTES)


def test_reported_rulings_differ_only_in_the_ruling() -> None:
    ((refuted, supported),) = reported_rulings(["Paris is the capital of France."], seed=1)
    assert (refuted.label, supported.label) == (REFUTES, SUPPORTS)
    assert "Paris is the capital of France" in refuted.passage and "Paris is the capital of France" in supported.passage
    assert refuted.passage != supported.passage


def test_claim_only_model_learns_the_wording_cue_out_of_fold() -> None:
    pairs = [
        StancePair(f"claim {i} was {'not ' if i % 2 else ''}built", "p", REFUTES if i % 2 else SUPPORTS, "x")
        for i in range(40)
    ]
    pytest.importorskip("torch", reason="stage-3 training needs the `train` extra")
    from factdesk.training.stance_debias import claim_only_log_probs  # needs torch too

    log_probs = claim_only_log_probs(pairs, seed=13)  # columns: supports, refutes
    assert log_probs.shape == (40, 2)
    negated = log_probs[1::2]
    assert (negated[:, 1] > negated[:, 0]).all()  # each claim scored by a model that never saw it


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"no shared data at {SHARED_DATA}")
def test_fever_training_pairs_hold_out_every_fever_symmetric_and_dev_claim() -> None:
    dev_claim = "Nikolaj Coster-Waldau worked with the Fox Broadcasting Company."
    dev_sets = {"fever_dev_sample": [StancePair(dev_claim, "p", SUPPORTS, "fever_dev")]}
    pairs = fever_training_pairs(SHARED_DATA, dev_sets)
    trained = {" ".join(p.claim.lower().split()) for p in pairs}
    symmetric = {" ".join(detokenize(p.claim).lower().split()) for s in SPLITS for p in load_pairs(SHARED_DATA, s)}
    assert len(pairs) > 5000
    assert not trained & symmetric
    assert dev_claim.lower() not in trained


def test_exported_model_carries_the_word_embedding_table(tmp_path: Path) -> None:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(STANCE_DIR / MODEL_FILE))
    scale = next(i for i in model.graph.initializer if i.name == f"{WORD_EMBEDDINGS}_scale")
    scale.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(scale) * 1.5, scale.name))
    target = tmp_path / MODEL_FILE
    onnx.save(model, str(target))
    shipped = table_sha256(word_embeddings(STANCE_DIR / MODEL_FILE))
    assert table_sha256(word_embeddings(target)) != shipped
    carry_word_embeddings(STANCE_DIR / MODEL_FILE, target)
    assert table_sha256(word_embeddings(target)) == shipped

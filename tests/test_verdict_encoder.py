"""The verdict encoder: its input keeps every evidence item within the token budget, the shipped model reads the
stance model's embeddings and rules on real text, and the verdict model uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from factdesk.errors import FactdeskError
from factdesk.onnx_model import MODEL_FILE, TOKENIZER_FILE
from factdesk.records import VERDICT_LABELS, Claim, Document, Evidence, Passage
from factdesk.verify.cross_encoder import DEFAULT_MODEL_DIR as STANCE_DIR
from factdesk.verify.verdict import DEFAULT_MODEL, ENCODER_FEATURES, TrainedVerdictAggregator
from factdesk.verify.verdict_encoder import (
    DEFAULT_DIR,
    ENCODER_FILE,
    WORD_EMBEDDINGS,
    VerdictEncoder,
    encode,
    load_tokenizer,
)

pytestmark = pytest.mark.skipif(
    not (DEFAULT_DIR / ENCODER_FILE).is_file(), reason=f"no trained verdict encoder in {DEFAULT_DIR}"
)


@pytest.fixture(scope="module")
def encoder() -> VerdictEncoder:
    model = VerdictEncoder()
    model.warm_up()
    return model


def test_input_gives_each_evidence_item_a_share_of_the_budget() -> None:
    tok = load_tokenizer(STANCE_DIR)
    long_text = "The ministry said the troops were regrouping near the river. " * 30
    short_text = "No. The army withdrew."
    row = encode(tok, "Troops are regrouping.", [long_text, short_text, long_text], 128)
    ids, types = row.ids, row.type_ids
    assert len(ids) == len(types) and 125 <= len(ids) <= 128  # the equal shares leave at most 2 over
    text = tok.decode(ids)
    assert "no. the army withdrew." in text  # the short item is kept whole, between two cut long ones
    assert text.count("regrouping near") >= 2
    assert types[: ids.index(tok.token_to_id("[SEP]")) + 1] == [0] * (ids.index(tok.token_to_id("[SEP]")) + 1)
    few = encode(tok, "Troops are regrouping.", [short_text], 128).ids
    assert len(few) < 20 and tok.decode(few).endswith("no. the army withdrew.")


def test_rules_on_real_evidence(encoder: VerdictEncoder) -> None:
    refuting = [
        "Did the troops regroup? No. Reporters saw units abandon tanks and flee; the army lost 1,000 square miles in "
        "five days.",
        "Was the withdrawal planned? No. Officials had said days earlier that the army was there forever.",
    ]
    supporting = [
        "Who won the 2020 United States presidential election? Joe Biden won the 2020 presidential election.",
        "Was Joe Biden certified as the winner? Yes. Congress certified Joe Biden's victory on 7 January 2021.",
    ]
    logits = encoder.batch_logits(
        [
            ("The troops were merely regrouping, not retreating.", refuting),
            ("Joe Biden won the 2020 United States presidential election.", supporting),
        ]
    )
    assert logits.shape == (2, len(VERDICT_LABELS))
    assert VERDICT_LABELS[int(logits[0].argmax())] == "Refuted"
    assert VERDICT_LABELS[int(logits[1].argmax())] == "Supported"
    alone = encoder.logits("Joe Biden won the 2020 United States presidential election.", supporting)
    # int8 activations are scaled per batch, so batching moves the logits a little, never the ruling
    assert alone.argmax() == logits[1].argmax()
    np.testing.assert_allclose(alone, logits[1], atol=0.2)


def _stance_copy(folder: Path, change: str) -> Path:
    """A copy of the shipped stance model with one initializer (found by ``change`` in its name) scaled by 1.01."""
    import onnx
    from onnx import numpy_helper

    folder.mkdir()
    shutil.copyfile(STANCE_DIR / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    model = onnx.load(str(STANCE_DIR / MODEL_FILE))
    target = next(i for i in model.graph.initializer if change in i.name and i.name.endswith("_scale"))
    target.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(target) * 1.01, target.name))
    onnx.save(model, str(folder / MODEL_FILE))
    return folder


def test_is_tied_to_the_stance_models_word_embeddings_not_to_its_file(tmp_path: Path) -> None:
    other_table = _stance_copy(tmp_path / "other_table", WORD_EMBEDDINGS)
    with pytest.raises(FactdeskError, match="another stance model"):
        VerdictEncoder(stance_dir=str(other_table)).warm_up()
    retrained = _stance_copy(tmp_path / "retrained", "onnx::MatMul")  # another weight, the same table (stage 3)
    VerdictEncoder(stance_dir=str(retrained)).warm_up()
    with pytest.raises(FactdeskError, match=f"{ENCODER_FILE} not found"):
        VerdictEncoder(model_dir=str(tmp_path)).warm_up()


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"no trained verdict model at {DEFAULT_MODEL}")
def test_verdict_model_reads_the_encoder_when_its_features_ask_for_it() -> None:
    aggregator = TrainedVerdictAggregator()
    aggregator.warm_up()
    assert aggregator.model is not None
    uses = aggregator.model.spec.uses_encoder
    assert uses == any(name in ENCODER_FEATURES for name in aggregator.model.spec.dense)
    assert (aggregator.featurizer.encoder is not None) == uses
    if uses:
        aggregator.featurizer.encoder = None
        with pytest.raises(FactdeskError, match="verdict encoder"):
            aggregator.run(Claim("The river flooded in May."), [_evidence("The river flooded in May.")])


def _evidence(text: str) -> Evidence:
    neutral = {"supports": 0.2, "refutes": 0.1, "neutral": 0.7}
    return Evidence(Passage("d", 0, len(text), text), Document(id="d", text=text), "neutral", neutral, {})

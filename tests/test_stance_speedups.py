"""The stance model's faster path: windowing keeps the part of a long passage that matters, and pairs that fit
are scored exactly as by the path first shipped (tokenizer truncation at 128, same ONNX model)."""

from __future__ import annotations

import numpy as np
import pytest

from factdesk.onnx_model import TOKENIZER_FILE, best_window, load_tokenizer, pad_batch
from factdesk.verify.cross_encoder import DEFAULT_MODEL_DIR, CrossEncoderStance, softmax

CLAIM = "Arctic sea ice reached its lowest extent on record in September 2012."
KEY = "In September 2012 the Arctic sea ice extent fell to the lowest value on record, satellites showed."
FILLER = [
    "The committee met on Tuesday to discuss the annual budget for the regional library network.",
    "Several members asked for more funding for rural branches and longer opening hours at weekends.",
    "A spokesperson said the proposals would be published for public consultation in the spring.",
    "Local businesses have offered to sponsor a reading programme for primary school children.",
    "The chair thanked volunteers for their work during the renovation of the main reading room.",
]
SHORT_PAIRS = [
    (CLAIM, KEY),
    (CLAIM, FILLER[0]),
    ("Vaccines cause autism.", "Large studies found no link between vaccines and autism."),
    ("The Eiffel Tower is in Berlin.", "The Eiffel Tower is a wrought-iron lattice tower in Paris, France."),
    ("Coffee is grown in Brazil.", "Brazil is the world's largest producer of coffee."),
]


@pytest.fixture(scope="module")
def model() -> CrossEncoderStance:
    stance = CrossEncoderStance(max_length=64)
    stance.warm_up()
    return stance


def test_window_keeps_the_sentence_that_overlaps_the_claim(model: CrossEncoderStance) -> None:
    passage = " ".join([*FILLER[:3], KEY, *FILLER[3:]])
    (row,) = model.encode([(CLAIM, passage)])
    assert len(row.ids) <= 64
    tokenizer = load_tokenizer(DEFAULT_MODEL_DIR / TOKENIZER_FILE, 64)
    kept = tokenizer.decode(row.ids)
    assert "lowest value on record" in kept
    assert kept.startswith(tokenizer.decode(tokenizer.encode(CLAIM).ids))  # the claim is kept whole
    # plain truncation would have lost it
    assert "lowest value on record" not in tokenizer.decode(tokenizer.encode(CLAIM, passage).ids)
    assert row.type_ids.count(0) == len(tokenizer.encode(CLAIM).ids)  # [CLS] claim [SEP]


def test_window_prefers_the_earliest_on_a_tie() -> None:
    keys = [None, "a", None, None, "a", None]
    assert best_window(keys, [0, 3], 3) == (0, 3)
    assert best_window([None] * 6, [0, 3], 4) == (0, 4)


def test_pairs_that_fit_are_scored_as_before(model: CrossEncoderStance) -> None:
    old_tokenizer = load_tokenizer(DEFAULT_MODEL_DIR / TOKENIZER_FILE, 128)
    encodings = old_tokenizer.encode_batch(SHORT_PAIRS)
    assert all(len(e.ids) <= 64 for e in encodings)
    new_rows = model.encode(SHORT_PAIRS)
    assert [r.ids for r in new_rows] == [e.ids for e in encodings]
    assert [r.type_ids for r in new_rows] == [e.type_ids for e in encodings]
    # the first-shipped path: tokenizer truncation, length-sorted batch, same session
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    assert model._session is not None
    (logits,) = model._session.run(["logits"], pad_batch([encodings[i] for i in order]))
    old = np.zeros((len(SHORT_PAIRS), 3), dtype=np.float32)
    old[order] = softmax(logits[:, :3].astype(np.float32))  # a fourth output is relevance
    np.testing.assert_allclose(model.predict_pairs(SHORT_PAIRS), old, atol=1e-6)

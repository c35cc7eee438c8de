"""The fine-tuned passage embedder: its training pairs and batches, and that vectors of other weights are never
mixed with the shipped model's (the index name follows the weights)."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np

from factdesk.retrieve.dense import DEFAULT_EMBEDDER_DIR, DenseIndex, MiniLMOnnxPassageEmbedder
from factdesk.store import Store
from factdesk.training.embedder import batches, training_pairs


def _claim(text: str, *answers: dict) -> dict:
    return {"claim": text, "questions": [{"question": f"Is it true that {text}?", "answers": list(answers)}]}


def test_training_pairs_write_answers_as_the_closed_corpus_does() -> None:
    train = [
        _claim(
            "The bridge opened in 1990",
            {"answer": "No", "answer_type": "Boolean", "boolean_explanation": "It opened in 1994."},
            {"answer": "", "answer_type": "Unanswerable"},
        ),
        _claim("Taxes doubled", {"answer": "They rose by 3 percent.", "answer_type": "Extractive"}),
    ]
    pairs = training_pairs(train, questions=True)
    assert ("The bridge opened in 1990", "No. It opened in 1994.") in pairs
    assert ("Is it true that Taxes doubled?", "They rose by 3 percent.") in pairs
    assert len(pairs) == 4  # the unanswerable answer gives no pair
    assert len(training_pairs(train, questions=False)) == 2


def test_batches_cover_every_pair_once_and_never_hold_a_text_twice() -> None:
    rng = random.Random(3)
    pairs = [(f"claim {c}", f"answer {c}-{a} " + "word " * rng.randrange(30)) for c in range(40) for a in range(4)]
    pairs += [(f"question {q}", "No.") for q in range(6)]  # one answer text shared by several queries
    out = batches(pairs, 16, random.Random(13))
    seen = Counter(p for b in out for p in b)
    for batch in out:
        texts = [t for pair in batch for t in pair]
        assert len(texts) == len(set(texts)), "a batch holds a text twice: a false negative"
        assert len(batch) <= 16
    assert set(seen) <= set(pairs) and max(seen.values()) == 1
    assert len(seen) >= len(pairs) - 1  # only a final single-pair batch (no negatives) may be dropped
    assert out == batches(pairs, 16, random.Random(13)), "batches are seeded"


def test_vectors_of_other_weights_get_their_own_index(tmp_path: Path) -> None:
    other = tmp_path / "other-weights"
    other.mkdir()
    for name in ("model.onnx", "tokenizer.json"):
        (other / name).symlink_to(DEFAULT_EMBEDDER_DIR / name)
    meta = json.loads((DEFAULT_EMBEDDER_DIR / "embedder.json").read_text(encoding="utf-8"))
    (other / "embedder.json").write_text(json.dumps({**meta, "name": "some-other-weights"}), encoding="utf-8")
    shipped, copied = MiniLMOnnxPassageEmbedder(), MiniLMOnnxPassageEmbedder(model_dir=str(other))
    assert shipped.name == f"{meta['name']}-128"
    assert copied.name == "some-other-weights-128"
    shutil.rmtree(tmp_path / "store", ignore_errors=True)
    with Store(tmp_path / "store") as store:
        assert DenseIndex(store, shipped).path != DenseIndex(store, copied).path
    shipped.warm_up()
    vectors = shipped.passages(["Troops withdrew from Izium.", "Slice the onions thinly."])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

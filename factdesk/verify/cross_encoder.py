"""Cross-encoder stance model: (claim, passage) -> P(supports, refutes, neutral), run with ONNX Runtime.

Only numpy, onnxruntime and tokenizers are needed at inference; the model is trained and exported by
`factdesk.training.stance`. Pairs are fitted to ``max_length`` tokens as ``factdesk.onnx_model`` describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from factdesk.onnx_model import OnnxPairModel
from factdesk.verify.base import STANCE_LABELS, softmax
from factdesk.verify.negation import without_off_claim_denials

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "stance"


class CrossEncoderStance(OnnxPairModel):
    """Trained (claim, passage) stance classifier, run with ONNX Runtime. Its first three outputs are the stance
    logits; a fourth, if present, is evidence relevance (read by ``factdesk.retrieve.rerank``)."""

    name = "cross-encoder-stance"
    default_model_dir = DEFAULT_MODEL_DIR
    training_command = "python -m factdesk.training.stance"

    def __init__(
        self, model_dir: str | None = None, max_length: int = 64, batch_size: int = 32, negation_scope: bool = True
    ) -> None:
        super().__init__(model_dir, max_length, batch_size)
        self.negation_scope = negation_scope

    def predict(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        """Probabilities of shape (len(passages), 3), columns in STANCE_LABELS order."""
        return self.predict_pairs([(claim, p) for p in passages])

    def predict_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Like `predict`, for (claim, passage) pairs with different claims. With ``negation_scope``, a passage
        read as refuting is read again without the sentences that negate something the claim does not say
        (``factdesk.verify.negation``); with nothing else left, its refutation counts as neutral."""
        probs = softmax(self.logits(pairs)[:, : len(STANCE_LABELS)])
        if not self.negation_scope:
            return probs
        refutes, neutral = STANCE_LABELS.index("refutes"), STANCE_LABELS.index("neutral")
        again: dict[int, str] = {}
        for i in np.nonzero(probs.argmax(axis=1) == refutes)[0].tolist():
            rest = without_off_claim_denials(*pairs[i])
            if rest == "":
                probs[i, neutral] += probs[i, refutes]
                probs[i, refutes] = 0.0
            elif rest is not None:
                again[i] = rest
        if again:
            rows = list(again)
            probs[rows] = softmax(self.logits([(pairs[i][0], again[i]) for i in rows])[:, : len(STANCE_LABELS)])
        return probs

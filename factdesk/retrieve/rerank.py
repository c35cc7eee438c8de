"""Evidence rerankers: score how well each retrieved passage answers what a claim needs.

``cross-encoder-relevance`` reads the relevance output of the stance cross-encoder, trained on AVeriTeC train
question–answer evidence by ``factdesk.training.reranker`` (``factdesk train reranker``), run with ONNX
Runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from factdesk.errors import FactdeskError
from factdesk.onnx_model import OnnxPairModel
from factdesk.records import STANCE_LABELS
from factdesk.registry import register

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "stance"
RELEVANCE_FILE = "relevance.json"


class Reranker(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def run(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        """Relevance of each passage to the claim, in 0–1."""
        ...


@register("reranker", "cross-encoder-relevance")
class CrossEncoderReranker(OnnxPairModel):
    """(claim, passage) → relevance in 0–1: the sigmoid of the model's relevance logit (its last output)."""

    name = "cross-encoder-relevance"
    default_model_dir = DEFAULT_MODEL_DIR
    training_command = "factdesk train reranker"

    # Trained at 128 tokens; at 96 its monitor recall is the same (0.593 against 0.587). At 64, the stance model's
    # length, one pass serves both (``onnx_model``'s logits cache), and on AVeriTeC dev gold answers it separates a
    # claim's own answers from the most similar claim's as well (ROC AUC 0.790 against 0.791 at 96; claims left with
    # a passage past the gate: own 0.930 against 0.940, most similar claim's 0.424 against 0.446).
    def __init__(self, model_dir: str | None = None, max_length: int = 64, batch_size: int = 32) -> None:
        super().__init__(model_dir, max_length, batch_size)

    def warm_up(self) -> None:
        super().warm_up()
        if self._outputs <= len(STANCE_LABELS):
            raise FactdeskError(
                f"the model in {self.model_dir} has no relevance output ({self._outputs} logits); add one with "
                f'`{self.training_command}`, or set [verify] reranker = ""'
            )

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """The raw relevance logit of each (claim, passage) pair."""
        return self.logits(pairs)[:, -1]

    def run(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        return self.run_pairs([(claim, p) for p in passages])

    def run_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Like ``run``, for (claim, passage) pairs with different claims."""
        return 1.0 / (1.0 + np.exp(-self.score_pairs(pairs)))

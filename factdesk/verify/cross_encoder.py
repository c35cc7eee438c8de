"""Cross-encoder stance model: (claim, passage) -> P(supports, refutes, neutral), run with ONNX Runtime.

Only numpy, onnxruntime and tokenizers are needed at inference; the model is trained and exported by
`factdesk.verify.training.stance`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from factdesk.verify.base import STANCE_LABELS

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "stance"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"


def load_tokenizer(path: str | Path, max_length: int) -> Tokenizer:
    """Load a fast tokenizer that truncates (claim, passage) pairs to `max_length` tokens.

    `longest_first` cuts tokens from the longer side, so for any claim of up to (max_length - 3) / 2
    tokens only the passage is truncated; a longer claim is shortened too instead of raising an error.
    """
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


def pad_batch(encodings: Sequence[Encoding], pad_id: int = 0) -> dict[str, np.ndarray]:
    """Right-pad encodings to the longest in the batch (dynamic padding); int64 model inputs."""
    width = max(len(e.ids) for e in encodings)
    batch = {
        name: np.full((len(encodings), width), pad_id if name == "input_ids" else 0, dtype=np.int64)
        for name in ("input_ids", "attention_mask", "token_type_ids")
    }
    for row, enc in enumerate(encodings):
        n = len(enc.ids)
        batch["input_ids"][row, :n] = enc.ids
        batch["attention_mask"][row, :n] = enc.attention_mask
        batch["token_type_ids"][row, :n] = enc.type_ids
    return batch


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class CrossEncoderStance:
    """Trained (claim, passage) stance classifier, run with ONNX Runtime."""

    name = "cross-encoder-stance"

    def __init__(self, model_dir: str | None = None, max_length: int = 128, batch_size: int = 32) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        self.max_length = max_length
        self.batch_size = batch_size
        self._tokenizer: Tokenizer | None = None
        self._session: ort.InferenceSession | None = None
        self._input_names: set[str] = set()
        self._pad_id = 0

    def warm_up(self) -> None:
        """Load the tokenizer and the ONNX session (once)."""
        if self._session is not None:
            return
        missing = [f for f in (MODEL_FILE, TOKENIZER_FILE) if not (self.model_dir / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"stance model files {missing} not found in {self.model_dir}; train and export one with "
                "`python -m factdesk.verify.training.stance` or pass model_dir"
            )
        self._tokenizer = load_tokenizer(self.model_dir / TOKENIZER_FILE, self.max_length)
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(self.model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}

    def predict(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        """Probabilities of shape (len(passages), 3), columns in STANCE_LABELS order."""
        return self.predict_pairs([(claim, p) for p in passages])

    def predict_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Like `predict`, for (claim, passage) pairs with different claims."""
        if not pairs:
            return np.zeros((0, len(STANCE_LABELS)), dtype=np.float32)
        self.warm_up()
        assert self._tokenizer is not None and self._session is not None
        encodings = self._tokenizer.encode_batch(list(pairs))
        # Batch pairs of similar length together to minimise padding, then restore the input order.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        probs = np.zeros((len(pairs), len(STANCE_LABELS)), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = pad_batch([encodings[i] for i in idx], self._pad_id)
            feeds = {k: v for k, v in batch.items() if k in self._input_names}
            (logits,) = self._session.run(["logits"], feeds)
            probs[idx] = softmax(logits.astype(np.float32))
        return probs

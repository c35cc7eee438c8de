"""Verdict encoder: one cross-encoder pass over a claim and all of its evidence -> logits over the four labels.

The input is ``[CLS] claim [SEP] evidence 1 | evidence 2 | ... [SEP]``, where each evidence text is cut to a fair
share of the tokens left after the claim (a short text keeps all of its tokens and leaves the rest to the others).
The encoder shares the stance model's word embeddings, which stay frozen in training, so the shipped
``encoder.onnx`` holds only the encoder layers and reads ``inputs_embeds``; the embedding table is read from the
stance model's ONNX file at ``warm_up()``. It is trained by ``factdesk.training.verdict_encoder``, and the
trained verdict model reads its logits as features.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from factdesk.errors import FactdeskError
from factdesk.onnx_model import MODEL_FILE as STANCE_MODEL_FILE
from factdesk.onnx_model import TOKENIZER_FILE, PairInput, cpu_session, pad_inputs
from factdesk.records import VERDICT_LABELS
from factdesk.verify.cross_encoder import DEFAULT_MODEL_DIR as STANCE_DIR

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "models" / "verdict"
ENCODER_FILE = "encoder.onnx"
META_FILE = "encoder.json"
WORD_EMBEDDINGS = "inner.bert.embeddings.word_embeddings.weight"
EVIDENCE_SEPARATOR = " | "


def table_sha256(table: np.ndarray) -> str:
    """SHA-256 of a word-embedding table as the encoder reads it. The encoder is tied to this table, not to the
    stance model's file: a stance model retrained with the table frozen and carried over keeps it."""
    return hashlib.sha256(np.ascontiguousarray(table, dtype=np.float32).tobytes()).hexdigest()


def word_embeddings(stance_model: Path) -> np.ndarray:
    """The stance model's word-embedding table, dequantised as its int8 graph uses it (float32)."""
    import onnx
    from onnx import numpy_helper

    values = {
        i.name: numpy_helper.to_array(i)
        for i in onnx.load(str(stance_model)).graph.initializer
        if i.name.startswith(WORD_EMBEDDINGS)
    }
    if f"{WORD_EMBEDDINGS}_quantized" in values:
        q = values[f"{WORD_EMBEDDINGS}_quantized"].astype(np.float32)
        zero = values[f"{WORD_EMBEDDINGS}_zero_point"].astype(np.float32)
        return (q - zero) * values[f"{WORD_EMBEDDINGS}_scale"].astype(np.float32)
    if WORD_EMBEDDINGS in values:
        return values[WORD_EMBEDDINGS].astype(np.float32)
    raise FactdeskError(f"{stance_model}: no word-embedding table {WORD_EMBEDDINGS!r} in the stance model")


def load_tokenizer(stance_dir: Path) -> Tokenizer:
    """The stance model's tokenizer, without truncation or padding (``encode`` cuts the evidence itself)."""
    tokenizer = Tokenizer.from_file(str(stance_dir / TOKENIZER_FILE))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def encode(tokenizer: Tokenizer, claim: str, evidence: Sequence[str], max_length: int) -> PairInput:
    """The model input of one claim with its evidence, each evidence text cut to its share."""
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    bar = tokenizer.encode(EVIDENCE_SEPARATOR.strip(), add_special_tokens=False).ids
    claim_ids = tokenizer.encode(claim, add_special_tokens=False).ids[: max_length // 2]
    texts = [tokenizer.encode(t, add_special_tokens=False).ids for t in evidence if t.strip()]
    budget = max_length - len(claim_ids) - 3 - len(bar) * max(len(texts) - 1, 0)
    kept = _fair_shares([len(t) for t in texts], max(budget, 0))
    second: list[int] = []
    for i, (ids, n) in enumerate(zip(texts, kept, strict=True)):
        if i:
            second += bar
        second += ids[:n]
    ids = [cls, *claim_ids, sep, *second, sep]
    return PairInput(ids, [0] * (len(claim_ids) + 2) + [1] * (len(second) + 1))


def _fair_shares(lengths: Sequence[int], budget: int) -> list[int]:
    """Tokens kept of each text: the largest equal cap that fits ``budget`` (water-filling)."""
    if sum(lengths) <= budget:
        return list(lengths)
    cap, remaining, left = 0, budget, len(lengths)
    for length in sorted(lengths):
        share = remaining // left
        if length > share:
            cap = share
            break
        remaining -= length
        left -= 1
    return [min(length, cap) for length in lengths]


class VerdictEncoder:
    """Runs ``encoder.onnx``: ``logits(claim, evidence_texts)`` -> four logits in ``labels`` order."""

    def __init__(self, model_dir: str | None = None, stance_dir: str | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir else DEFAULT_DIR
        self.stance_dir = Path(stance_dir) if stance_dir else STANCE_DIR
        self.labels: tuple[str, ...] = ()
        self.max_length = 0
        self.train_marginal: np.ndarray | None = None  # mean out-of-fold probabilities, train claims' own evidence
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._table: np.ndarray | None = None

    def model_files(self) -> list[Path]:
        stance = [self.stance_dir / STANCE_MODEL_FILE, self.stance_dir / TOKENIZER_FILE]
        return [self.model_dir / ENCODER_FILE, self.model_dir / META_FILE, *stance]

    def warm_up(self) -> None:
        if self._session is not None:
            return
        model, meta_path = self.model_dir / ENCODER_FILE, self.model_dir / META_FILE
        stance = self.stance_dir / STANCE_MODEL_FILE
        for path in (model, meta_path, stance):
            if not path.is_file():
                raise FactdeskError(
                    f"verdict encoder: {path} not found; train it with `factdesk train verdict-encoder`"
                )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self._table = word_embeddings(stance)
        if meta["word_embeddings_sha256"] != table_sha256(self._table):
            raise FactdeskError(
                f"{model} was trained on the word embeddings of another stance model than {stance}; "
                "retrain it with `factdesk train verdict-encoder`"
            )
        self.labels, self.max_length = tuple(meta["labels"]), int(meta["max_length"])
        if meta.get("train_marginal"):
            self.train_marginal = np.array(meta["train_marginal"], dtype=float)
        if self.labels != VERDICT_LABELS:
            raise FactdeskError(f"{meta_path}: labels {self.labels} are not factdesk's {VERDICT_LABELS}")
        self._tokenizer = load_tokenizer(self.stance_dir)
        self._session = cpu_session(model)

    def logits(self, claim: str, evidence: Sequence[str]) -> np.ndarray:
        return self.batch_logits([(claim, evidence)])[0]

    def batch_logits(self, inputs: Sequence[tuple[str, Sequence[str]]], batch_size: int = 16) -> np.ndarray:
        """Logits for many (claim, evidence texts) inputs, batched by length."""
        self.warm_up()
        assert self._table is not None and self._tokenizer is not None and self._session is not None
        rows = [encode(self._tokenizer, c, e, self.max_length) for c, e in inputs]
        out = np.zeros((len(rows), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i].ids))
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            batch = pad_inputs([rows[i] for i in part])
            feed = {"inputs_embeds": self._table[batch.pop("input_ids")], **batch}
            out[part] = self._session.run(["logits"], feed)[0]
        return out

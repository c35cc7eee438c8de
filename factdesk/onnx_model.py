"""ONNX Runtime models on the CPU, shared by the stages: one session set-up, and the BERT cross-encoder over
(claim, passage) pairs that the stance model and the evidence reranker both are.

A pair longer than ``max_length`` tokens keeps the claim (as ``longest_first`` would) and, of the passage, the
window of ``max_length`` tokens that starts at a sentence and covers the most claim keywords, instead of the
passage's first tokens. Pairs that fit are encoded exactly as before.

The stance model and the evidence reranker are one model read at two outputs. The logits of the last few calls are
kept (``LOGITS_CACHE`` calls, by model file, ``max_length`` and the pairs), so when both read a claim's passages at
the same length, one pass serves both. Only a call with the very same pairs is served, so the numbers are those a
new pass would give (a pair's logits can differ in the last bits with the batch it is padded in).
"""

from __future__ import annotations

import bisect
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LOGITS_CACHE = 8  # calls whose logits are kept across the models of a process

_SENTENCE_BREAK_RE = re.compile(r"(?<=[.!?;])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_STOPWORDS = frozenset(
    """a an the and or but if then than that this these those there here of to in on at by for from with about
    as into over after before under between through during without within is are was were be been being has have
    had do does did not no nor so such it its it's he she they them their his her we our you your i me my which
    who whom whose what when where why how all any both each few more most other some only own same can will just
    should would could may might must also very says said say""".split()
)


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
    return pad_inputs([PairInput(e.ids, e.type_ids) for e in encodings], pad_id)


@dataclass(frozen=True, slots=True)
class PairInput:
    """Model input ids of one pair, ``[CLS] claim [SEP] passage [SEP]``, and their segment ids."""

    ids: list[int]
    type_ids: list[int]


def pad_inputs(rows: Sequence[PairInput], pad_id: int = 0) -> dict[str, np.ndarray]:
    """Right-pad rows to the longest in the batch; int64 ``input_ids``, ``attention_mask``, ``token_type_ids``."""
    width = max(len(r.ids) for r in rows)
    batch = {
        "input_ids": np.full((len(rows), width), pad_id, dtype=np.int64),
        "attention_mask": np.zeros((len(rows), width), dtype=np.int64),
        "token_type_ids": np.zeros((len(rows), width), dtype=np.int64),
    }
    for row, r in enumerate(rows):
        n = len(r.ids)
        batch["input_ids"][row, :n] = r.ids
        batch["attention_mask"][row, :n] = 1
        batch["token_type_ids"][row, :n] = r.type_ids
    return batch


def keyword(word: str) -> str | None:
    """A crude content-word key: lower case, cut to 5 characters (``warming``/``warmed`` match); None for
    stopwords and short non-numeric words."""
    word = word.lower()
    if word in _STOPWORDS or (len(word) < 3 and not word.isdigit()):
        return None
    return word[:5]


def claim_keywords(claim: str) -> set[str]:
    return {k for w in re.findall(r"\w+", claim) if (k := keyword(w))}


def sentence_starts(text: str) -> list[int]:
    """Character offsets where sentences begin (a light rule: end punctuation, space, capital or digit)."""
    return [0, *(m.end() for m in _SENTENCE_BREAK_RE.finditer(text))]


def best_window(token_keys: Sequence[str | None], starts: Sequence[int], budget: int) -> tuple[int, int]:
    """The token span ``[a, b)`` of at most ``budget`` tokens covering the most distinct claim keywords,
    among windows that start at a sentence (or end at the passage end); the earliest wins a tie."""
    n = len(token_keys)
    best, best_score = (0, min(budget, n)), -1
    for s in starts:
        a = min(s, max(0, n - budget))
        b = min(n, a + budget)
        score = len({k for k in token_keys[a:b] if k is not None})
        if score > best_score:
            best, best_score = (a, b), score
    return best


def fit_pair(encoding: Encoding, claim: str, passage: str, max_length: int) -> PairInput:
    """Model input for an untruncated pair encoding: unchanged if it fits in ``max_length`` tokens, else the
    claim (cut like ``longest_first`` when long) and the passage window that best overlaps the claim."""
    ids, type_ids = encoding.ids, encoding.type_ids
    if len(ids) <= max_length:
        return PairInput(ids, type_ids)
    sequence_ids = encoding.sequence_ids
    claim_end = sequence_ids.index(None, 1)  # the first [SEP]
    n_claim, n_passage = claim_end - 1, len(ids) - claim_end - 2
    limit = max_length - 3
    keep_claim = min(n_claim, max(limit - n_passage, limit // 2))
    budget = limit - keep_claim
    passage_ids = ids[claim_end + 1 : -1]
    offsets = encoding.offsets[claim_end + 1 : -1]
    a, b = 0, min(budget, n_passage)
    wanted = claim_keywords(claim)
    if wanted:
        token_keys = _token_keys(encoding.word_ids[claim_end + 1 : -1], offsets, passage, wanted)
        token_starts = [start for start, _ in offsets]
        starts = sorted({bisect.bisect_left(token_starts, c) for c in sentence_starts(passage)} - {n_passage})
        a, b = best_window(token_keys, starts, budget)
    cls_id, sep_id = ids[0], ids[claim_end]
    new_ids = [cls_id, *ids[1 : 1 + keep_claim], sep_id, *passage_ids[a:b], sep_id]
    return PairInput(new_ids, [0] * (keep_claim + 2) + [1] * (b - a + 1))


def _token_keys(
    word_ids: Sequence[int | None], offsets: Sequence[tuple[int, int]], text: str, wanted: set[str]
) -> list[str | None]:
    """For each passage token, the claim keyword its word matches, or None."""
    spans: dict[int, tuple[int, int]] = {}
    for w, (start, end) in zip(word_ids, offsets, strict=True):
        if w is not None:
            s, e = spans.get(w, (start, end))
            spans[w] = (min(s, start), max(e, end))
    keys = {w: k if (k := keyword(text[s:e])) in wanted else None for w, (s, e) in spans.items()}
    return [keys.get(w) if w is not None else None for w in word_ids]


def cpu_cores() -> int:
    """CPU cores this process may run on (not the host's count, which containers overstate), at most
    ``$OMP_NUM_THREADS`` where that is set: Ray sets it in each worker to the CPUs the worker holds."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(cores, int(limit))) if limit.isdigit() else cores


def cpu_session(path: Path) -> ort.InferenceSession:
    """An ONNX Runtime CPU session with the cross-encoders' settings: all graph optimisations, one thread per
    core this process may use, and idle threads that sleep."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = cpu_cores()
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: on shared cores spinning steals time (measured 177 -> 263 pairs/s).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxPairModel:
    """A BERT cross-encoder over (claim, passage) pairs, run with ONNX Runtime: tokenises, fits each pair to
    ``max_length`` tokens, batches pairs of similar length and returns the model's ``logits``."""

    default_model_dir: Path  # where a subclass's model lives, unless model_dir is given
    training_command: str  # what makes that model, named when its files are missing

    def __init__(self, model_dir: str | None = None, max_length: int = 64, batch_size: int = 32) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else self.default_model_dir
        self.max_length = max_length
        self.batch_size = batch_size
        self._tokenizer: Tokenizer | None = None
        self._session: ort.InferenceSession | None = None
        self._input_names: set[str] = set()
        self._pad_id = 0
        self._outputs = 0
        self._identity: tuple[str, int, int] = ("", 0, 0)  # the model file, as the logits cache knows it

    def model_files(self) -> list[Path]:
        return [self.model_dir / MODEL_FILE, self.model_dir / TOKENIZER_FILE]

    def warm_up(self) -> None:
        """Load the tokenizer and the ONNX session (once)."""
        if self._session is not None:
            return
        missing = [f for f in (MODEL_FILE, TOKENIZER_FILE) if not (self.model_dir / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"model files {missing} not found in {self.model_dir}; train and export one with "
                f"`{self.training_command}` or pass model_dir"
            )
        # Untruncated: `fit_pair` chooses what to keep.
        self._tokenizer = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._session = cpu_session(self.model_dir / MODEL_FILE)
        stat = (self.model_dir / MODEL_FILE).stat()
        self._identity = (str((self.model_dir / MODEL_FILE).resolve()), stat.st_size, stat.st_mtime_ns)
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._outputs = int(self._session.get_outputs()[0].shape[1])

    @property
    def outputs(self) -> int:
        """How many logits the model gives a pair."""
        self.warm_up()
        return self._outputs

    def encode(self, pairs: Sequence[tuple[str, str]]) -> list[PairInput]:
        """Model inputs of at most ``max_length`` tokens for (claim, passage) pairs."""
        self.warm_up()
        assert self._tokenizer is not None
        encodings = self._tokenizer.encode_batch(list(pairs))
        return [fit_pair(e, c, p, self.max_length) for e, (c, p) in zip(encodings, pairs, strict=True)]

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """The model's logits, shape (len(pairs), outputs), in input order. The same pairs, read lately by this
        model file at this ``max_length`` (as the stance model or as the reranker), are not run again."""
        out = np.zeros((len(pairs), self.outputs), dtype=np.float32)
        if not pairs:
            return out
        key = (self._identity, self.max_length, self.batch_size, tuple(map(tuple, pairs)))
        if (cached := _LOGITS.get(key)) is not None:
            return cached.copy()
        rows = self.encode(pairs)
        assert self._session is not None
        # Batch pairs of similar length together to minimise padding, then restore the input order.
        order = sorted(range(len(rows)), key=lambda i: len(rows[i].ids))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = pad_inputs([rows[i] for i in idx], self._pad_id)
            feeds = {k: v for k, v in batch.items() if k in self._input_names}
            (logits,) = self._session.run(["logits"], feeds)
            out[idx] = logits.astype(np.float32)
        _LOGITS.put(key, out.copy())
        return out


class _LogitsCache:
    """The logits of the last ``size`` calls, by (model file identity, max_length, batch size, pairs)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            logits = self._rows.get(key)
            if logits is not None:
                self._rows.move_to_end(key)
            return logits

    def put(self, key: tuple, logits: np.ndarray) -> None:
        with self._lock:
            self._rows[key] = logits
            self._rows.move_to_end(key)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


_LOGITS = _LogitsCache(LOGITS_CACHE)


def clear_logits_cache() -> None:
    """Forgets every cached logit (benchmarks that time the same pairs again call it)."""
    _LOGITS.clear()

"""LIAR-PLUS (Alhindi et al. 2018): 6-way and binary truthfulness of PolitiFact statements with a justification.

Binary mapping: true, mostly-true, half-true -> true; barely-true, false, pants-fire -> false.

LIAR-PLUS train2 is not in the offline data (see its PROVENANCE.md), so the model has two stages:
  A. a statement + metadata logistic regression trained on the plain LIAR ``train.tsv`` (disjoint from val2/test2;
     its credit-history counts, which include the statement itself, are not used), plus the speaker's label
     history in that split;
  B. small logistic regressions (binary and 6-way) over A's score, the speaker history, the stance model's reading
     of the justification sentences against the statement, and justification words, trained on val2.
Split ``val`` reports 5-fold cross-validated predictions on val2 (the folds refit stage B with the stored
settings); split ``test`` applies the stored weights, fitted on all of val2, to test2. The weights live in
``factdesk/models/liar/liar_plus.json``; ``python -m factdesk.verify.training.liar`` rebuilds them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label, macro_f1
from factdesk.evaluate.plots import confusion_png, expected_calibration_error, reliability_png
from factdesk.registry import register
from factdesk.verify.cross_encoder import CrossEncoderStance, sentence_starts

LABELS: tuple[str, ...] = ("pants-fire", "false", "barely-true", "half-true", "mostly-true", "true")
TRUE_SIDE = frozenset({"true", "mostly-true", "half-true"})
BINARY_LABELS: tuple[str, ...] = ("false-side", "true-side")
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "liar" / "liar_plus.json"
SPLIT_FILES = {"val": "val2", "dev": "val2", "test": "test2"}  # "dev" is an alias of "val"
MAX_SENTENCES = 12  # justification sentences scored per statement (99th percentile is 10)
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True, slots=True)
class LiarStatement:
    json_id: str
    label: str
    statement: str
    subjects: tuple[str, ...]
    speaker: str
    job: str
    state: str
    party: str
    context: str
    justification: str = ""

    @property
    def binary(self) -> str:
        return BINARY_LABELS[self.label in TRUE_SIDE]


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def read_liar_tsv(path: Path) -> list[LiarStatement]:
    """Plain LIAR (14 columns); the credit-history counts are dropped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) == 14:
            out.append(LiarStatement(f[0], f[1], f[2], tuple(_subjects(f[3])), f[4], f[5], f[6], f[7], f[13]))
    return out


def read_liar_plus(data_dir: Path, split: str) -> list[LiarStatement]:
    """LIAR-PLUS val2/test2: text and justification from the JSONL (whose TSV has line breaks inside some
    justifications), party and context from the TSV rows that parse whole, joined on the statement's json id."""
    name = SPLIT_FILES[split]
    folder = Path(data_dir) / "liar_plus"
    meta = {}
    for line in (folder / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) >= 15 and f[1].endswith(".json"):
            meta[f[1]] = (f[8], f[14])
    out = []
    for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        party, context = meta.get(r["json_file_id"], ("", ""))
        out.append(
            LiarStatement(
                r["json_file_id"],
                r["label"],
                r["claim"],
                tuple(r["topics"]),
                r["originator"],
                r["title"],
                r["party"],  # the JSONL's "party" field holds the state
                party,
                context,
                (r["justification"] or "").strip(),  # null in some test2 records
            )
        )
    return out


def _subjects(field: str) -> list[str]:
    return [s for s in field.split(",") if s]


def metadata_tokens(s: LiarStatement) -> list[str]:
    """Stage A's sparse features: statement words and bigrams, speaker, job, state, party, subjects, context words."""
    w = words(s.statement)
    tokens = [f"w={x}" for x in w] + [f"b={x}_{y}" for x, y in itertools.pairwise(w)]
    for key, value in (("spk", s.speaker), ("job", s.job), ("state", s.state), ("party", s.party)):
        if value.strip():
            tokens.append(f"{key}={value.strip().lower()}")
    tokens += [f"subj={x.lower()}" for x in s.subjects]
    tokens += [f"ctx={x}" for x in words(s.context)]
    return tokens


def justification_sentences(s: LiarStatement) -> list[str]:
    text = s.justification
    if not text:
        return []
    starts = sentence_starts(text)
    spans = zip(starts, [*starts[1:], len(text)], strict=True)
    return [t for a, b in spans if (t := text[a:b].strip())][:MAX_SENTENCES]


def stance_features(
    items: Sequence[LiarStatement], stance: CrossEncoderStance, cache: Path | None = None
) -> np.ndarray:
    """Per statement: max and mean P(supports), P(refutes) over its justification sentences, min P(neutral),
    the share of sentences argmax-supporting and -refuting, and whether it has no justification."""
    pairs = [(s.statement, sentence) for s in items for sentence in justification_sentences(s)]
    key = hashlib.sha1(json.dumps([pairs, stance.max_length, str(stance.model_dir)]).encode()).hexdigest()[:16]
    if cache is not None and (path := cache / f"liar_plus_stance_{key}.npy").is_file():
        probs = np.load(path)
    else:
        probs = stance.predict_pairs(pairs)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            np.save(cache / f"liar_plus_stance_{key}.npy", probs)
    rows, start = [], 0
    for s in items:
        n = len(justification_sentences(s))
        p = probs[start : start + n]
        start += n
        if n == 0:
            rows.append([0.0] * 7 + [1.0])
            continue
        arg = p.argmax(axis=1)
        rows.append(
            [
                p[:, 0].max(),
                p[:, 0].mean(),
                p[:, 1].max(),
                p[:, 1].mean(),
                p[:, 2].min(),
                float((arg == 0).mean()),
                float((arg == 1).mean()),
                0.0,
            ]
        )
    return np.asarray(rows, dtype=np.float64)


STANCE_FEATURES = ("sup_max", "sup_mean", "ref_max", "ref_mean", "neu_min", "sup_share", "ref_share", "no_just")


# ---------------------------------------------------------------- numpy logistic regression


def fit_logistic(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float, iterations: int = 400) -> np.ndarray:
    """Multinomial logistic regression (bias in the last row) by full-batch Adam on the L2-penalised mean
    log-loss; x should be standardised. Deterministic."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros((xb.shape[1], n_classes))
    onehot = np.eye(n_classes)[y]
    m, v = np.zeros_like(w), np.zeros_like(w)
    penalty = np.ones_like(w)
    penalty[-1] = 0.0  # no penalty on the bias
    for t in range(1, iterations + 1):
        p = _softmax(xb @ w)
        grad = xb.T @ (p - onehot) / len(x) + l2 * penalty * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def predict_logistic(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return _softmax(np.hstack([x, np.ones((len(x), 1))]) @ w)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- the two-stage model


@dataclass
class LiarModel:
    """Everything stage A and B need at inference, as stored in the JSON artifact."""

    stage_a: dict[str, float]  # sparse token -> weight, with "__bias__"
    speaker_counts: dict[str, list[int]]  # speaker -> counts in LABELS order (LIAR train)
    label_prior: list[float]
    vocabulary: list[str]  # justification words (stage B), empty if unused
    feature_names: list[str]
    mean: list[float]
    scale: list[float]
    binary_weights: list[list[float]]
    six_way_weights: list[list[float]]
    settings: dict[str, Any]

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> LiarModel:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def stage_a_logit(self, items: Sequence[LiarStatement]) -> np.ndarray:
        bias = self.stage_a.get("__bias__", 0.0)
        return np.array([bias + sum(self.stage_a.get(t, 0.0) for t in set(metadata_tokens(s))) for s in items])

    def speaker_features(self, items: Sequence[LiarStatement]) -> np.ndarray:
        """Smoothed label distribution of the speaker's LIAR-train statements, its true-side share and
        log(1 + count)."""
        prior = np.asarray(self.label_prior)
        alpha = float(self.settings["speaker_smoothing"])
        rows = []
        for s in items:
            counts = np.asarray(self.speaker_counts.get(s.speaker.strip().lower(), [0] * len(LABELS)), dtype=float)
            dist = (counts + alpha * prior) / (counts.sum() + alpha)
            rows.append([*dist, dist[3:].sum(), math.log1p(counts.sum())])
        return np.asarray(rows)

    def bag_of_words(self, items: Sequence[LiarStatement]) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.vocabulary)}
        x = np.zeros((len(items), len(self.vocabulary)))
        for row, s in enumerate(items):
            for w in set(words(s.justification)):
                if w in index:
                    x[row, index[w]] = 1.0
        return x

    def features(self, items: Sequence[LiarStatement], stance_x: np.ndarray) -> np.ndarray:
        """Stage B's raw (unstandardised) features, in ``feature_names`` order."""
        groups = self.settings["groups"]
        parts = [self.stage_a_logit(items)[:, None]]
        if "speaker" in groups:
            parts.append(self.speaker_features(items))
        if "stance" in groups:
            parts.append(stance_x)
        if "words" in groups:
            parts.append(self.bag_of_words(items))
        return np.hstack(parts)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(true-side), P over LABELS) for raw features ``x``."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        binary = predict_logistic(z, np.asarray(self.binary_weights))[:, 1]
        return binary, predict_logistic(z, np.asarray(self.six_way_weights))


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_stage_b(
    x: np.ndarray, labels: Sequence[str], l2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, scale, binary weights, 6-way weights) fitted on raw features ``x``."""
    mean, scale = standardise(x)
    z = (x - mean) / scale
    y6 = np.array([LABELS.index(label) for label in labels])
    y2 = np.array([int(label in TRUE_SIDE) for label in labels])
    return mean, scale, fit_logistic(z, y2, 2, l2), fit_logistic(z, y6, len(LABELS), l2)


def fold_of(json_id: str, folds: int = 5) -> int:
    return int(hashlib.sha1(f"liar-fold:{json_id}".encode()).hexdigest(), 16) % folds


def cross_validated(
    x: np.ndarray, items: Sequence[LiarStatement], l2: float, folds: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold (P(true-side), P over LABELS), folds by hash of the statement id."""
    fold = np.array([fold_of(s.json_id, folds) for s in items])
    binary, six = np.zeros(len(items)), np.zeros((len(items), len(LABELS)))
    labels = [s.label for s in items]
    for k in range(folds):
        test = fold == k
        if not test.any() or test.all():
            continue
        mean, scale, wb, w6 = fit_stage_b(x[~test], [lab for lab, t in zip(labels, test, strict=True) if not t], l2)
        z = (x[test] - mean) / scale
        binary[test] = predict_logistic(z, wb)[:, 1]
        six[test] = predict_logistic(z, w6)
    return binary, six


# ---------------------------------------------------------------- evaluator


@register("evaluator", "liar-plus")
class LiarPlusEvaluator:
    """Binary accuracy (primary) and 6-way accuracy from statement, metadata and justification."""

    name = "liar-plus"
    primary_metric = "binary_accuracy"

    def __init__(
        self,
        limit: int | None = None,
        model_path: str | None = None,
        stance: CrossEncoderStance | None = None,
        cache_dir: str | None = None,
    ) -> None:
        self.limit = limit
        self.model_path = Path(model_path) if model_path else DEFAULT_MODEL
        self.stance = stance or CrossEncoderStance()
        self.cache_dir = Path(cache_dir) if cache_dir else None

    def run(
        self, data_dir: Path, split: str = "test", plots_dir: Path | None = None, progress: bool = False
    ) -> EvalReport:
        if split not in SPLIT_FILES:
            raise ValueError(f"liar-plus split must be one of {sorted(SPLIT_FILES)}, not {split!r}")
        model = LiarModel.load(self.model_path)
        items = read_liar_plus(Path(data_dir), split)[: self.limit]
        stance_x = stance_features(items, self.stance, self.cache_dir)
        x = model.features(items, stance_x)
        l2 = float(model.settings["l2"])
        if SPLIT_FILES[split] == "val2":  # stage B was fitted on val2: report out-of-fold predictions
            p_true, p_six = cross_validated(x, items, l2)
        else:
            p_true, p_six = model.predict(x)
        gold6 = [s.label for s in items]
        gold2 = [s.binary for s in items]
        pred2 = [BINARY_LABELS[int(p >= 0.5)] for p in p_true]
        pred6 = [LABELS[i] for i in p_six.argmax(axis=1)]
        stage_a = model.stage_a_logit(items)
        majority6 = max(LABELS, key=gold6.count)
        majority2 = max(BINARY_LABELS, key=gold2.count)
        stance_only = [BINARY_LABELS[int(r[0] - r[2] > 0)] for r in stance_x]  # support beats refutation
        systems = [
            _scores("factdesk (stages A+B)", gold6, pred6, gold2, pred2),
            _scores("stage A only (statement + metadata, LIAR train)", gold6, None, gold2, _side(stage_a > 0)),
            _scores("justification stance only (max sup > max ref)", gold6, None, gold2, stance_only),
            _scores(
                f"majority ({majority2} / {majority6})",
                gold6,
                [majority6] * len(items),
                gold2,
                [majority2] * len(items),
            ),
        ]
        confidence = np.maximum(p_true, 1 - p_true)
        correct = [g == p for g, p in zip(gold2, pred2, strict=True)]
        systems[0].metrics["binary_ece"] = expected_calibration_error(confidence, correct)
        matrix = confusion(gold6, pred6, LABELS)
        binary_matrix = confusion(gold2, pred2, BINARY_LABELS)
        plots = []
        if plots_dir is not None:
            plots_dir = Path(plots_dir)
            plots = [
                str(
                    confusion_png(
                        matrix, LABELS, plots_dir / f"liar_plus_{split}_confusion.png", f"LIAR-PLUS {split} 6-way"
                    )
                ),
                str(
                    reliability_png(
                        confidence, correct, plots_dir / f"liar_plus_{split}_reliability.png", "LIAR-PLUS binary"
                    )
                ),
            ]
        return EvalReport(
            benchmark="liar-plus",
            split=split,
            primary_metric=self.primary_metric,
            systems=systems,
            details={
                "data": f"{SPLIT_FILES[split]}.jsonl (+ party/context from the TSV), n={len(items)}",
                "binary_mapping": "true/mostly-true/half-true -> true-side; barely-true/false/pants-fire -> false-side",
                "protocol": (
                    "5-fold cross-validated stage B on val2 (out-of-fold predictions)"
                    if SPLIT_FILES[split] == "val2"
                    else "stored weights (stage B fitted on all of val2) applied to test2"
                ),
                "model": str(self.model_path),
                "settings": model.settings,
                "gold_counts": dict(Counter(gold6)),
                "per_label_f1": f1_per_label(gold6, pred6, LABELS),
                "confusion_rows_gold_cols_pred": matrix,
                "binary_confusion_rows_gold_cols_pred": binary_matrix,
                "labels": list(LABELS),
                "justification_sentences_scored": int(sum(len(justification_sentences(s)) for s in items)),
                "stance_model": {"max_length": self.stance.max_length, "model_dir": str(self.stance.model_dir)},
            },
            plots=plots,
        )


def _side(flags: np.ndarray) -> list[str]:
    return [BINARY_LABELS[int(f)] for f in flags]


def _scores(system: str, gold6: list[str], pred6: list[str] | None, gold2: list[str], pred2: list[str]) -> SystemScores:
    metrics = {"binary_accuracy": accuracy(gold2, pred2), "binary_macro_f1": macro_f1(gold2, pred2, BINARY_LABELS)}
    if pred6 is not None:
        metrics["six_way_accuracy"] = accuracy(gold6, pred6)
        metrics["six_way_macro_f1"] = macro_f1(gold6, pred6, LABELS)
    return SystemScores(system, metrics)

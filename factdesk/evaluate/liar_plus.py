"""LIAR-PLUS (Alhindi et al. 2018): 6-way and binary truthfulness of PolitiFact statements with a justification.

Binary mapping (Alhindi et al. 2018): true, mostly-true, half-true -> true; barely-true, false, pants-fire -> false.

LIAR-PLUS train2 is not in the offline data (see its PROVENANCE.md), so the model has two stages:
  A. a statement + metadata logistic regression trained on the plain LIAR ``train.tsv`` (disjoint from val2/test2).
     LIAR's credit-history count columns are not used anywhere: they are each speaker's label tallies over all
     three splits, the current statement included, so they leak the labels being predicted;
  B. logistic regressions (binary and 6-way) trained on val2 over the justification's TF-IDF word uni- and
     bigrams (optionally naive-Bayes scaled), A's logit, the speaker's label history (from LIAR train and the
     val2 statements being trained on; a training row never counts itself), a justification score from a
     TF-IDF model fitted on AVeriTeC's Supported/Refuted justifications, and optionally the stance model's
     reading of the justification sentences against the statement.
Split ``val`` reports 5-fold cross-validated predictions on val2 (the folds refit stage B with the stored
settings); split ``test`` applies the stored weights, fitted on all of val2, to test2, with the speaker history of
LIAR train plus val2. The weights live in ``factdesk/models/liar/liar_plus.json.gz``; ``factdesk train liar`` (or
``python -m factdesk.training.liar``) rebuilds them.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.sparse import csr_matrix, hstack

from factdesk.datasets.liar_plus import BINARY_LABELS, LABELS, SPLIT_FILES, TRUE_SIDE, LiarStatement, read_liar_plus
from factdesk.evaluate.base import EvalReport, SystemScores
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label, macro_f1
from factdesk.evaluate.plots import confusion_png, expected_calibration_error, reliability_png
from factdesk.onnx_model import sentence_starts
from factdesk.registry import register
from factdesk.verify.base import softmax
from factdesk.verify.cross_encoder import CrossEncoderStance

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "liar" / "liar_plus.json.gz"
MAX_SENTENCES = 12  # justification sentences scored per statement (99th percentile is 10)
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


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


# ---------------------------------------------------------------- TF-IDF over word uni- and bigrams


def ngrams(text: str) -> list[str]:
    w = words(text)
    return w + [f"{a} {b}" for a, b in itertools.pairwise(w)]


@dataclass
class TfidfSpace:
    """Sublinear-tf TF-IDF rows, L2-normalised, then multiplied column-wise by ``scale`` (naive-Bayes
    log-count ratios, or ones). Same formulas as scikit-learn's TfidfVectorizer(sublinear_tf=True)."""

    terms: list[str]
    idf: list[float]
    scale: list[float]

    @classmethod
    def fit(cls, docs: Sequence[str], min_df: int) -> TfidfSpace:
        df = Counter(t for d in docs for t in set(ngrams(d)))
        terms = sorted(t for t, n in df.items() if n >= min_df)
        idf = [math.log((1 + len(docs)) / (1 + df[t])) + 1.0 for t in terms]
        return cls(terms, idf, [1.0] * len(terms))

    def matrix(self, docs: Sequence[str]) -> csr_matrix:
        index = {t: i for i, t in enumerate(self.terms)}
        idf = np.asarray(self.idf)
        scale = np.asarray(self.scale)
        rows, cols, vals = [], [], []
        for r, d in enumerate(docs):
            counts = Counter(t for t in ngrams(d) if t in index)
            if not counts:
                continue
            c = np.fromiter((index[t] for t in counts), dtype=np.int64, count=len(counts))
            v = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[c]
            v /= np.linalg.norm(v)
            rows += [r] * len(c)
            cols.append(c)
            vals.append(v * scale[c])
        if not rows:
            return csr_matrix((len(docs), len(self.terms)))
        return csr_matrix((np.concatenate(vals), (rows, np.concatenate(cols))), shape=(len(docs), len(self.terms)))

    def naive_bayes_scaled(self, x: csr_matrix, y: np.ndarray) -> TfidfSpace:
        """A copy whose ``scale`` is |log-count ratio| of term presence between the classes of ``y`` (binary), as
        in NBSVM (Wang & Manning 2012), from rows ``x`` of this (unscaled) space."""
        present = (x > 0).astype(np.float64)
        pos = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
        neg = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
        ratio = np.abs(np.log((pos / pos.sum()) / (neg / neg.sum())))
        return TfidfSpace(self.terms, self.idf, [round(float(r), 5) for r in ratio])


# ---------------------------------------------------------------- logistic regression (numpy + scipy)


def fit_logistic(
    x: np.ndarray | csr_matrix,
    y: np.ndarray,
    n_classes: int,
    l2: float,
    sample_weight: np.ndarray | None = None,
    iterations: int = 500,
) -> np.ndarray:
    """Multinomial logistic regression (weights of shape (features + 1, classes), bias in the last row) minimising
    the weighted mean log-loss + l2/2 * |W|^2 (bias unpenalised) by L-BFGS. ``x`` dense or sparse; deterministic."""
    n, d = x.shape
    onehot = np.eye(n_classes)[y]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    sw = sw / sw.sum()

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d + 1, n_classes)
        z = x @ w[:-1] + w[-1]
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -float((sw[:, None] * onehot * logp).sum()) + 0.5 * l2 * float((w[:-1] ** 2).sum())
        g = sw[:, None] * (np.exp(logp) - onehot)
        grad = np.vstack([x.T @ g + l2 * w[:-1], g.sum(axis=0)])
        return value, np.asarray(grad).ravel()

    result = minimize(loss, np.zeros((d + 1) * n_classes), jac=True, method="L-BFGS-B", options={"maxiter": iterations})
    return result.x.reshape(d + 1, n_classes)


def predict_logistic(x: np.ndarray | csr_matrix, w: np.ndarray) -> np.ndarray:
    z = x @ w[:-1] + w[-1]
    return softmax(np.asarray(z))


# ---------------------------------------------------------------- speaker history


def _speaker(s: LiarStatement) -> str:
    return s.speaker.strip().lower()


def label_counts(items: Sequence[LiarStatement]) -> dict[str, list[int]]:
    """speaker -> label counts in LABELS order."""
    out: dict[str, list[int]] = {}
    for s in items:
        if _speaker(s):
            out.setdefault(_speaker(s), [0] * len(LABELS))[LABELS.index(s.label)] += 1
    return out


def add_counts(*tables: Mapping[str, Sequence[int]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for table in tables:
        for k, v in table.items():
            row = out.setdefault(k, [0] * len(LABELS))
            for i, n in enumerate(v):
                row[i] += n
    return out


def history_features(
    items: Sequence[LiarStatement],
    counts: Mapping[str, Sequence[int]],
    prior: Sequence[float],
    alpha: float,
    exclude_self: bool = False,
) -> np.ndarray:
    """Smoothed label distribution of the speaker's other labelled statements, its true-side share and
    log(1 + count). ``exclude_self``: the items are themselves in ``counts`` (training rows): leave each one out."""
    prior_ = np.asarray(prior)
    rows = []
    for s in items:
        c = np.asarray(counts.get(_speaker(s), [0] * len(LABELS)), dtype=float)
        if exclude_self and _speaker(s):
            c[LABELS.index(s.label)] -= 1
        dist = (c + alpha * prior_) / (c.sum() + alpha)
        rows.append([*dist, dist[3:].sum(), math.log1p(c.sum())])
    return np.asarray(rows).reshape(len(items), len(LABELS) + 2)


HISTORY_FEATURES = (*(f"speaker_{label}" for label in LABELS), "speaker_true_side", "speaker_log_count")


# ---------------------------------------------------------------- the two-stage model


@dataclass
class StageB:
    """Stage B fitted on some rows: the justification space, the dense features' standardisation, the weights."""

    space: TfidfSpace
    mean: np.ndarray
    scale: np.ndarray
    binary: np.ndarray
    six_way: np.ndarray

    def design(self, docs: Sequence[str], dense: np.ndarray, dense_weight: float) -> csr_matrix:
        z = (dense - self.mean) / self.scale * dense_weight
        return hstack([self.space.matrix(docs), csr_matrix(z)]).tocsr()

    def predict(self, docs: Sequence[str], dense: np.ndarray, dense_weight: float) -> tuple[np.ndarray, np.ndarray]:
        x = self.design(docs, dense, dense_weight)
        return predict_logistic(x, self.binary)[:, 1], predict_logistic(x, self.six_way)


def fit_stage_b(docs: Sequence[str], dense: np.ndarray, labels: Sequence[str], settings: Mapping[str, Any]) -> StageB:
    y6 = np.array([LABELS.index(label) for label in labels])
    y2 = np.array([int(label in TRUE_SIDE) for label in labels])
    space = TfidfSpace.fit(docs, int(settings["min_df"]))
    if settings["naive_bayes"]:
        space = space.naive_bayes_scaled(space.matrix(docs), y2)
    mean = dense.mean(axis=0)
    scale = dense.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    stage = StageB(space, mean, scale, np.zeros(0), np.zeros(0))
    x = stage.design(docs, dense, float(settings["dense_weight"]))
    l2 = float(settings["l2"])
    stage.binary = fit_logistic(x, y2, 2, l2)
    stage.six_way = fit_logistic(x, y6, len(LABELS), l2)
    return stage


@dataclass
class LiarModel:
    """Everything stage A and B need at inference, as stored in the JSON artifact."""

    stage_a: dict[str, float]  # sparse token -> weight, with "__bias__"
    speaker_counts: dict[str, list[int]]  # speaker -> label counts in LABELS order, LIAR train
    speaker_counts_val2: dict[str, list[int]]  # the same over LIAR-PLUS val2 (stage B's training rows)
    label_prior: list[float]  # LIAR train
    averitec: dict[str, Any]  # terms, idf, weights, bias: justification -> logit of Supported vs Refuted
    justification: dict[str, list]  # TfidfSpace fitted on all of val2 (terms, idf, scale)
    dense_names: list[str]
    mean: list[float]
    scale: list[float]
    binary_weights: list[list[float]]  # rows: justification terms, dense features, bias
    six_way_weights: list[list[float]]
    settings: dict[str, Any]

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> LiarModel:
        raw = Path(path).read_bytes()
        return cls(**json.loads(gzip.decompress(raw) if Path(path).suffix == ".gz" else raw))

    def save(self, path: Path) -> None:
        """JSON, gzipped (reproducibly: no timestamp) when ``path`` ends in ``.gz``."""
        text = (json.dumps(self.__dict__, separators=(",", ":")) + "\n").encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0) if path.suffix == ".gz" else text)

    def stage_a_logit(self, items: Sequence[LiarStatement]) -> np.ndarray:
        bias = self.stage_a.get("__bias__", 0.0)
        return np.array([bias + sum(self.stage_a.get(t, 0.0) for t in set(metadata_tokens(s))) for s in items])

    def averitec_logit(self, items: Sequence[LiarStatement]) -> np.ndarray:
        av = self.averitec
        space = TfidfSpace(av["terms"], av["idf"], [1.0] * len(av["terms"]))
        return space.matrix([s.justification for s in items]) @ np.asarray(av["weights"]) + float(av["bias"])

    def history(
        self, items: Sequence[LiarStatement], extra: Mapping[str, Sequence[int]], exclude_self: bool = False
    ) -> np.ndarray:
        counts = add_counts(self.speaker_counts, extra)
        return history_features(
            items, counts, self.label_prior, float(self.settings["speaker_smoothing"]), exclude_self
        )

    def dense(self, stage_a: np.ndarray, history: np.ndarray, averitec: np.ndarray, stance_x: np.ndarray) -> np.ndarray:
        """Stage B's dense (unstandardised) features for the chosen groups, in ``dense_names`` order."""
        groups = self.settings["groups"]
        parts = [stage_a[:, None]]
        if "speaker" in groups:
            parts.append(history)
        if "averitec" in groups:
            parts.append(averitec[:, None])
        if "stance" in groups:
            parts.append(stance_x)
        return np.hstack(parts)

    def dense_feature_names(self) -> list[str]:
        groups = self.settings["groups"]
        names = ["stage_a_logit"]
        names += list(HISTORY_FEATURES) if "speaker" in groups else []
        names += ["averitec_logit"] if "averitec" in groups else []
        names += list(STANCE_FEATURES) if "stance" in groups else []
        return names

    def stage_b(self) -> StageB:
        return StageB(
            TfidfSpace(**self.justification),
            np.asarray(self.mean),
            np.asarray(self.scale),
            np.asarray(self.binary_weights),
            np.asarray(self.six_way_weights),
        )

    def predict(self, items: Sequence[LiarStatement], stance_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(true-side), P over LABELS) for unseen statements, stage B as fitted on all of val2."""
        dense = self.dense(
            self.stage_a_logit(items),
            self.history(items, self.speaker_counts_val2),
            self.averitec_logit(items),
            stance_x,
        )
        return self.stage_b().predict([s.justification for s in items], dense, float(self.settings["dense_weight"]))


def fold_of(json_id: str, folds: int = 5, repeat: int = 0) -> int:
    salt = "liar-fold" if repeat == 0 else f"liar-fold-{repeat}"
    return int(hashlib.sha1(f"{salt}:{json_id}".encode()).hexdigest(), 16) % folds


def cross_validated(
    model: LiarModel,
    items: Sequence[LiarStatement],
    stance_x: np.ndarray,
    settings: Mapping[str, Any] | None = None,
    folds: int = 5,
    repeat: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold (P(true-side), P over LABELS) on labelled ``items`` (val2), folds by hash of the statement id.
    Each fold refits stage B (its justification vocabulary included) on the other folds, whose labels also join
    the speaker history; stage A and the AVeriTeC score do not depend on val2."""
    settings = dict(model.settings if settings is None else settings)
    view = LiarModel(**{**model.__dict__, "settings": settings})
    fold = np.array([fold_of(s.json_id, folds, repeat) for s in items])
    stage_a = view.stage_a_logit(items)
    averitec = view.averitec_logit(items) if "averitec" in settings["groups"] else np.zeros(len(items))
    binary, six = np.zeros(len(items)), np.zeros((len(items), len(LABELS)))
    docs = [s.justification for s in items]
    for k in range(folds):
        test = fold == k
        if not test.any() or test.all():
            continue
        train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
        train_items = [items[i] for i in train_idx]
        extra = label_counts(train_items)
        h_train = view.history(train_items, extra, exclude_self=True)
        h_test = view.history([items[i] for i in test_idx], extra)
        d_train = view.dense(stage_a[train_idx], h_train, averitec[train_idx], stance_x[train_idx])
        d_test = view.dense(stage_a[test_idx], h_test, averitec[test_idx], stance_x[test_idx])
        stage = fit_stage_b([docs[i] for i in train_idx], d_train, [s.label for s in train_items], settings)
        binary[test_idx], six[test_idx] = stage.predict(
            [docs[i] for i in test_idx], d_test, float(settings["dense_weight"])
        )
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
        threshold = float(model.settings.get("threshold", 0.5))
        if SPLIT_FILES[split] == "val2":  # stage B was fitted on val2: report out-of-fold predictions
            p_true, p_six = cross_validated(model, items, stance_x)
        else:
            p_true, p_six = model.predict(items, stance_x)
        gold6 = [s.label for s in items]
        gold2 = [s.binary for s in items]
        pred2 = [BINARY_LABELS[int(p >= threshold)] for p in p_true]
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
        settings = {k: v for k, v in model.settings.items() if k != "stage_b_grid_cv_on_val2"}
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
                "settings": settings,
                "threshold": threshold,
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

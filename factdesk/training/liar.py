"""Fit the LIAR-PLUS truthfulness model stored in factdesk/models/liar/liar_plus.json.gz (see evaluate/liar_plus.py).

1. Stage A (statement + metadata tokens) is trained on LIAR train.tsv with scikit-learn, its C chosen by 5-fold CV
   there. LIAR's credit-history count columns are never read (they include the statement's own label).
2. The AVeriTeC justification score: a TF-IDF logistic regression, Supported vs Refuted, class-balanced, on the
   justifications of AVeriTeC train + dev (fixed settings, nothing chosen on LIAR-PLUS).
3. Stage B is chosen on LIAR-PLUS val2 by 5-fold cross-validation repeated with 2 fold seeds (binary accuracy,
   mean over the repeats), over feature groups, naive-Bayes scaling and L2; then the binary threshold is chosen
   on the chosen candidate's out-of-fold predictions; then stage B is refitted on all of val2.
test2 is never read here.

    factdesk train liar --data-dir ../shared/data
    python -m factdesk.training.liar --data-dir ../shared/data [--out factdesk/models/liar/liar_plus.json.gz]
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from factdesk.datasets.averitec import load_records
from factdesk.datasets.liar_plus import LABELS, TRUE_SIDE, LiarStatement, read_liar_plus, read_liar_train
from factdesk.evaluate.liar_plus import (
    DEFAULT_MODEL,
    LiarModel,
    TfidfSpace,
    cross_validated,
    fit_logistic,
    fit_stage_b,
    label_counts,
    metadata_tokens,
    stance_features,
)
from factdesk.training.options import option, parse
from factdesk.verify.cross_encoder import CrossEncoderStance

log = logging.getLogger("factdesk.train.liar")

STAGE_A_C = (0.03, 0.1, 0.3, 1.0)
MIN_TOKEN_COUNT = 3  # stage A features seen fewer times in LIAR train are dropped
SPEAKER_SMOOTHING = 3.0
AVERITEC_MIN_DF = 3
AVERITEC_L2 = 1e-3
# stage B candidates (a grid; every candidate is cross-validated on val2)
STAGE_B_GROUPS = (("speaker",), ("speaker", "averitec"), ("speaker", "averitec", "stance"))
STAGE_B_NAIVE_BAYES = (False, True)
STAGE_B_L2 = (1e-4, 3e-4)
STAGE_B_DENSE_WEIGHT = 0.3  # standardised dense features are multiplied by this before the (shared) L2 penalty
STAGE_B_MIN_DF = 2
CV_REPEATS = 2
THRESHOLDS = (0.45, 0.5, 0.55)


def fit_stage_a(train: Sequence[LiarStatement], seed: int) -> tuple[dict[str, float], dict[str, float]]:
    """Sparse binary logistic regression; returns (token -> weight with __bias__, CV accuracy per C)."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    counts = Counter(t for s in train for t in set(metadata_tokens(s)))
    vocab = sorted(t for t, n in counts.items() if n >= MIN_TOKEN_COUNT)
    index = {t: i for i, t in enumerate(vocab)}
    rows, cols = [], []
    for r, s in enumerate(train):
        for t in set(metadata_tokens(s)):
            if t in index:
                rows.append(r)
                cols.append(index[t])
    x = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(train), len(vocab)))
    y = np.array([int(s.label in TRUE_SIDE) for s in train])
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    scores = {}
    for c in tqdm(STAGE_A_C, desc="stage A C", file=sys.stderr):
        scores[c] = float(cross_val_score(LogisticRegression(C=c, max_iter=2000), x, y, cv=folds).mean())
    best = max(scores, key=scores.__getitem__)
    model = LogisticRegression(C=best, max_iter=2000).fit(x, y)
    weights = {t: round(float(w), 4) for t, w in zip(vocab, model.coef_[0], strict=True) if abs(w) >= 5e-3}
    weights["__bias__"] = round(float(model.intercept_[0]), 4)
    log.info("stage A: %d tokens (%d kept), CV accuracy by C %s, chose C=%s", len(vocab), len(weights), scores, best)
    return weights, {str(c): round(s, 4) for c, s in scores.items()}


def fit_averitec(data_dir: Path) -> dict:
    """Justification -> logit(Supported vs Refuted) from AVeriTeC train + dev, class-balanced."""
    records = load_records(data_dir, "train") + load_records(data_dir, "dev")
    docs = [(r.get("justification") or "") for r in records if r["label"] in ("Supported", "Refuted")]
    y = np.array([int(r["label"] == "Supported") for r in records if r["label"] in ("Supported", "Refuted")])
    space = TfidfSpace.fit(docs, AVERITEC_MIN_DF)
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w = fit_logistic(space.matrix(docs), y, 2, AVERITEC_L2, sample_weight=weight)
    coef = w[:-1, 1] - w[:-1, 0]
    log.info("AVeriTeC justification score: %d docs (%d Supported), %d terms", len(docs), int(y.sum()), len(coef))
    return {
        "terms": space.terms,
        "idf": [round(v, 5) for v in space.idf],
        "weights": [round(float(v), 5) for v in coef],
        "bias": round(float(w[-1, 1] - w[-1, 0]), 5),
        "trained_on": f"AVeriTeC train+dev justifications, Supported vs Refuted ({len(docs)}), class-balanced",
        "min_df": AVERITEC_MIN_DF,
        "l2": AVERITEC_L2,
    }


@dataclass(frozen=True, kw_only=True)
class LiarOptions:
    """The options of ``python -m factdesk.training.liar``; ``factdesk train`` builds them directly."""

    data_dir: Path = option(Path("../shared/data"))
    out: Path = option(DEFAULT_MODEL)
    cache_dir: Path = option(Path("runs/liar_plus"))
    seed: int = option(13)


def parse_args(argv: Sequence[str] | None = None) -> LiarOptions:
    return parse(LiarOptions, argv, __doc__)


def run(args: LiarOptions) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.time()

    train = read_liar_train(args.data_dir)
    stage_a, stage_a_cv = fit_stage_a(train, args.seed)
    label_total = Counter(s.label for s in train)
    speakers = label_counts(train)
    averitec = fit_averitec(args.data_dir)

    val = read_liar_plus(args.data_dir, "val")
    stance = CrossEncoderStance()
    stance_x = stance_features(val, stance, args.cache_dir)
    labels = [s.label for s in val]
    gold2 = np.array([int(label in TRUE_SIDE) for label in labels])
    gold6 = np.array([LABELS.index(label) for label in labels])
    model = LiarModel(
        stage_a=stage_a,
        speaker_counts=speakers,
        speaker_counts_val2=label_counts(val),
        label_prior=[round(label_total[label] / len(train), 6) for label in LABELS],
        averitec=averitec,
        justification={},
        dense_names=[],
        mean=[],
        scale=[],
        binary_weights=[],
        six_way_weights=[],
        settings={"speaker_smoothing": SPEAKER_SMOOTHING},
    )

    grid, oof = [], {}
    candidates = [
        {
            "groups": list(groups),
            "naive_bayes": nb,
            "l2": l2,
            "dense_weight": STAGE_B_DENSE_WEIGHT,
            "min_df": STAGE_B_MIN_DF,
            "speaker_smoothing": SPEAKER_SMOOTHING,
        }
        for groups in STAGE_B_GROUPS
        for nb in STAGE_B_NAIVE_BAYES
        for l2 in STAGE_B_L2
    ]
    for i, settings in enumerate(tqdm(candidates, desc="stage B candidates (val2 CV)", file=sys.stderr)):
        runs = [cross_validated(model, val, stance_x, settings, repeat=r) for r in range(CV_REPEATS)]
        binary = [float(((p >= 0.5) == gold2).mean()) for p, _ in runs]
        six = [float((q.argmax(axis=1) == gold6).mean()) for _, q in runs]
        oof[i] = [p for p, _ in runs]
        grid.append(
            {
                **{k: settings[k] for k in ("groups", "naive_bayes", "l2")},
                "cv_binary_accuracy": round(float(np.mean(binary)), 4),
                "cv_binary_accuracy_sd_over_repeats": round(float(np.std(binary)), 4),
                "cv_six_way": round(float(np.mean(six)), 4),
            }
        )
        log.info("stage B %s", grid[-1])
    best = max(range(len(grid)), key=lambda i: (grid[i]["cv_binary_accuracy"], grid[i]["cv_six_way"]))
    by_threshold = {t: round(float(np.mean([((p >= t) == gold2).mean() for p in oof[best]])), 4) for t in THRESHOLDS}
    threshold = max(THRESHOLDS, key=lambda t: (by_threshold[t], -abs(t - 0.5)))
    log.info("chose %s; CV binary accuracy by threshold %s -> %s", grid[best], by_threshold, threshold)

    settings = candidates[best]
    model.settings = settings
    stage_a_val = model.stage_a_logit(val)
    history = model.history(val, model.speaker_counts_val2, exclude_self=True)
    dense = model.dense(stage_a_val, history, model.averitec_logit(val), stance_x)
    stage = fit_stage_b([s.justification for s in val], dense, labels, settings)
    model.justification = {"terms": stage.space.terms, "idf": [round(v, 5) for v in stage.space.idf]}
    model.justification["scale"] = stage.space.scale
    model.dense_names = model.dense_feature_names()
    model.mean = [round(float(v), 6) for v in stage.mean]
    model.scale = [round(float(v), 6) for v in stage.scale]
    model.binary_weights = [[round(float(v), 5) for v in row] for row in stage.binary]
    model.six_way_weights = [[round(float(v), 5) for v in row] for row in stage.six_way]
    model.settings = {
        **settings,
        "threshold": threshold,
        "cv_binary_accuracy_by_threshold": {str(t): v for t, v in by_threshold.items()},
        "selected": grid[best],
        "stage_a_C_cv_accuracy_on_liar_train": stage_a_cv,
        "stage_b_grid_cv_on_val2": grid,
        "cv": f"5 folds by hash of the statement id, {CV_REPEATS} fold seeds; accuracy at threshold 0.5",
        "stance_max_length": stance.max_length,
        "trained_on": (
            "stage A: LIAR train.tsv (10,269); AVeriTeC score: AVeriTeC train+dev; stage B and its speaker history: "
            "LIAR-PLUS val2 (1,284) + LIAR train labels; test2 never read; LIAR credit-history columns never read"
        ),
        "seed": args.seed,
        "seconds": round(time.time() - started, 1),
    }
    model.save(args.out)
    log.info("wrote %s (%.0f KB) in %.0f s", args.out, args.out.stat().st_size / 1024, time.time() - started)


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()

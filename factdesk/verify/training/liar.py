"""Fit the LIAR-PLUS truthfulness model stored in factdesk/models/liar/liar_plus.json (see evaluate/liar_plus.py).

Stage A (statement + metadata) is trained on LIAR train.tsv with scikit-learn, its C chosen by 5-fold CV there.
Stage B is chosen by 5-fold CV on LIAR-PLUS val2 (binary accuracy), then refitted on all of val2. test2 is never
read here.

    python -m factdesk.verify.training.liar --data-dir ../shared/data [--out factdesk/models/liar/liar_plus.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from factdesk.evaluate.liar_plus import (
    DEFAULT_MODEL,
    LABELS,
    STANCE_FEATURES,
    TRUE_SIDE,
    LiarModel,
    LiarStatement,
    cross_validated,
    fit_stage_b,
    metadata_tokens,
    read_liar_plus,
    read_liar_tsv,
    stance_features,
    words,
)
from factdesk.verify.cross_encoder import CrossEncoderStance

log = logging.getLogger("factdesk.train.liar")

STAGE_A_C = (0.03, 0.1, 0.3, 1.0)
STAGE_B_L2 = (0.003, 0.01, 0.03, 0.1, 0.3)
STAGE_B_GROUPS = (("speaker", "stance"), ("speaker", "stance", "words"), ("speaker", "words"))
MIN_TOKEN_COUNT = 3  # stage A features seen fewer times in LIAR train are dropped
MIN_WORD_DF = 20  # justification words in fewer val2 statements are dropped
SPEAKER_SMOOTHING = 3.0


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
    scores = {
        c: float(cross_val_score(LogisticRegression(C=c, max_iter=2000), x, y, cv=folds).mean()) for c in STAGE_A_C
    }
    best = max(scores, key=scores.__getitem__)
    model = LogisticRegression(C=best, max_iter=2000).fit(x, y)
    weights = {t: round(float(w), 4) for t, w in zip(vocab, model.coef_[0], strict=True) if abs(w) >= 5e-3}
    weights["__bias__"] = round(float(model.intercept_[0]), 4)
    log.info("stage A: %d tokens (%d kept), CV accuracy by C %s, chose C=%s", len(vocab), len(weights), scores, best)
    return weights, {str(c): round(s, 4) for c, s in scores.items()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--cache-dir", type=Path, default=Path("runs/liar_plus"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.time()

    train = read_liar_tsv(args.data_dir / "liar" / "train.tsv")
    stage_a, stage_a_cv = fit_stage_a(train, args.seed)
    label_counts = Counter(s.label for s in train)
    speakers: dict[str, list[int]] = {}
    for s in train:
        speakers.setdefault(s.speaker.strip().lower(), [0] * len(LABELS))[LABELS.index(s.label)] += 1
    speakers = {k: v for k, v in speakers.items() if k and sum(v) >= 2}

    val = read_liar_plus(args.data_dir, "val")
    df = Counter(w for s in val for w in set(words(s.justification)))
    vocabulary = sorted(w for w, n in df.items() if n >= MIN_WORD_DF)
    stance = CrossEncoderStance()
    stance_x = stance_features(val, stance, args.cache_dir)
    labels = [s.label for s in val]
    gold2 = np.array([int(label in TRUE_SIDE) for label in labels])

    def model_for(groups: Sequence[str], l2: float) -> LiarModel:
        return LiarModel(
            stage_a=stage_a,
            speaker_counts=speakers,
            label_prior=[label_counts[label] / len(train) for label in LABELS],
            vocabulary=vocabulary if "words" in groups else [],
            feature_names=[],
            mean=[],
            scale=[],
            binary_weights=[],
            six_way_weights=[],
            settings={"groups": list(groups), "l2": l2, "speaker_smoothing": SPEAKER_SMOOTHING},
        )

    grid = []
    for groups in STAGE_B_GROUPS:
        x = model_for(groups, 0.0).features(val, stance_x)
        for l2 in STAGE_B_L2:
            p_true, p_six = cross_validated(x, val, l2)
            binary = float(((p_true >= 0.5) == gold2).mean())
            six = float(np.mean([LABELS[i] == g for i, g in zip(p_six.argmax(axis=1), labels, strict=True)]))
            grid.append(
                {"groups": list(groups), "l2": l2, "cv_binary_accuracy": round(binary, 4), "cv_six_way": round(six, 4)}
            )
            log.info("stage B %s", grid[-1])
    best = max(grid, key=lambda g: (g["cv_binary_accuracy"], g["cv_six_way"]))
    model = model_for(best["groups"], best["l2"])
    x = model.features(val, stance_x)
    mean, scale, wb, w6 = fit_stage_b(x, labels, best["l2"])
    names = ["stage_a_logit"]
    if "speaker" in best["groups"]:
        names += [f"speaker_{label}" for label in LABELS] + ["speaker_true_side", "speaker_log_count"]
    if "stance" in best["groups"]:
        names += list(STANCE_FEATURES)
    names += [f"word={w}" for w in model.vocabulary]
    model.feature_names = names
    model.mean, model.scale = [round(float(v), 6) for v in mean], [round(float(v), 6) for v in scale]
    model.binary_weights = [[round(float(v), 5) for v in row] for row in wb]
    model.six_way_weights = [[round(float(v), 5) for v in row] for row in w6]
    model.settings.update(
        {
            "stage_a_C_cv_accuracy_on_liar_train": stage_a_cv,
            "stage_b_grid_cv_on_val2": grid,
            "stance_max_length": stance.max_length,
            "trained_on": "stage A: LIAR train.tsv (10,269); stage B: LIAR-PLUS val2 (1,284); test2 never read",
            "seed": args.seed,
            "seconds": round(time.time() - started, 1),
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model.__dict__, separators=(",", ":")) + "\n", encoding="utf-8")
    log.info("chose %s; wrote %s (%.0f KB)", best, args.out, args.out.stat().st_size / 1024)


if __name__ == "__main__":
    main()

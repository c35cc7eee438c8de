"""The LIAR-PLUS model's building blocks: TF-IDF, logistic regression, leave-one-out speaker history, folds."""

from __future__ import annotations

import math

import numpy as np

from factdesk.datasets.liar_plus import LABELS, LiarStatement
from factdesk.evaluate.liar_plus import (
    TfidfSpace,
    fit_logistic,
    fold_of,
    history_features,
    label_counts,
    predict_logistic,
)


def _statement(json_id: str, label: str, speaker: str) -> LiarStatement:
    return LiarStatement(json_id, label, "a claim", (), speaker, "", "", "", "")


def test_tfidf_rows_are_unit_length_and_match_the_formula() -> None:
    docs = ["the tax rate rose", "the tax rate fell", "crime fell"]
    space = TfidfSpace.fit(docs, min_df=1)
    x = space.matrix([*docs, "nothing known here"]).toarray()
    assert np.allclose(np.linalg.norm(x[:3], axis=1), 1.0) and not x[3].any()
    i = space.terms.index("crime")
    assert math.isclose(space.idf[i], math.log(4 / 2) + 1.0)
    assert "tax rate" in space.terms  # bigrams


def test_naive_bayes_scale_favours_class_specific_terms() -> None:
    docs = ["good good", "good fine", "bad awful", "bad fine"]
    space = TfidfSpace.fit(docs, min_df=1)
    nb = space.naive_bayes_scaled(space.matrix(docs), np.array([1, 1, 0, 0]))
    scale = dict(zip(nb.terms, nb.scale, strict=True))
    assert scale["good"] > scale["fine"] and scale["bad"] > scale["fine"]


def test_logistic_regression_separates_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] - x[:, 1] > 0).astype(int)
    w = fit_logistic(x, y, 2, l2=1e-3)
    assert np.array_equal(w, fit_logistic(x, y, 2, l2=1e-3))
    assert ((predict_logistic(x, w)[:, 1] > 0.5) == y).mean() > 0.95


def test_speaker_history_of_a_training_row_leaves_the_row_out() -> None:
    items = [_statement("1", "false", "ann"), _statement("2", "false", "ann"), _statement("3", "true", "bob")]
    prior = [1 / len(LABELS)] * len(LABELS)
    counts = label_counts(items)
    loo = history_features(items, counts, prior, alpha=1.0, exclude_self=True)
    assert math.isclose(loo[2, -1], 0.0)  # bob's only statement is his own: no history
    assert math.isclose(loo[0, -1], math.log(2))  # ann's other statement
    seen = history_features(items, counts, prior, alpha=1.0)
    assert math.isclose(seen[0, -1], math.log(3))


def test_folds_are_stable_and_differ_between_repeats() -> None:
    ids = [f"{i}.json" for i in range(200)]
    first = [fold_of(i) for i in ids]
    assert first == [fold_of(i) for i in ids] and set(first) == set(range(5))
    assert first != [fold_of(i, repeat=1) for i in ids]

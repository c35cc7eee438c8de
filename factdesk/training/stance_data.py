"""Stance training and dev data: the pool of (claim, passage, label) pairs from ``factdesk.datasets.stance_pairs``,
the held-out dev sets, and the seeded, label-balanced mixture stage 1 trains on. Dev sets never enter the pool.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from factdesk.datasets.stance_pairs import (
    COMMERCIAL_SOURCES,
    StancePair,
    anli,
    breaking_nli,
    climate_fever,
    conjnli,
    counterfactual_snli,
    covidfact,
    felipe,
    fever_dev_pairs,
    fm2,
    fnc1_arc,
    healthver,
    imppres,
    multinli,
    scifact,
    sick,
    snli,
    sufficient_facts,
    wice,
    xnli_en,
)
from factdesk.records import STANCE_LABELS

TRAIN_SOURCES: dict[str, Callable[[Path, Path], Iterable[StancePair]]] = {
    "anli": lambda nli, _: anli(nli),
    "multinli": lambda nli, _: multinli(nli),
    "snli": lambda nli, _: snli(nli),
    "xnli_en": lambda nli, _: xnli_en(nli, "test"),
    "sick": lambda nli, _: sick(nli),
    "mpe": lambda nli, _: felipe(nli, "mpe"),
    "joci": lambda nli, _: felipe(nli, "joci"),
    "fracas": lambda nli, _: felipe(nli, "fracas"),
    "commitment_bank": lambda nli, _: felipe(nli, "commitment_bank"),
    "breaking_nli": lambda nli, _: breaking_nli(nli),
    "conjnli": lambda nli, _: conjnli(nli),
    "imppres": lambda nli, _: imppres(nli),
    "counterfactual_snli": lambda nli, _: counterfactual_snli(nli),
    "covidfact": lambda nli, _: covidfact(nli),
    "healthver": lambda nli, _: healthver(nli),
    "fm2": lambda nli, _: fm2(nli),
    "wice": lambda nli, _: wice(nli),
    "sufficient_facts": lambda nli, _: sufficient_facts(nli),
    "fnc1_arc": lambda nli, _: fnc1_arc(nli),
    "climate_fever": lambda _, data: climate_fever(data, held_out=False),
    "scifact": lambda _, data: scifact(data, "train"),
}

# Per-source caps before label balancing: fact-verification sets are kept whole where small, large or
# synthetic NLI sets are capped so that none dominates.
SOURCE_CAPS = {
    "anli": 6400,
    "multinli": 9000,
    "snli": 7000,
    "xnli_en": 5000,
    "sick": 3000,
    "mpe": 2000,
    "joci": 2000,
    "fracas": 400,
    "commitment_bank": 400,
    "breaking_nli": 1000,
    "conjnli": 2500,
    "imppres": 1500,
    "counterfactual_snli": 4000,
    "covidfact": 4100,
    "healthver": 3800,
    "fm2": 5100,
    "wice": 800,
    "sufficient_facts": 3500,
    "fnc1_arc": 6000,
    "climate_fever": 5500,
    "scifact": 1300,
}


SOURCE_SETS = {"all": tuple(TRAIN_SOURCES), "commercial": COMMERCIAL_SOURCES}


def load_training_pool(data_dir: Path, sources: Iterable[str] = tuple(TRAIN_SOURCES)) -> dict[str, list[StancePair]]:
    """The training-eligible pairs of ``sources`` by source (dev splits excluded), deduplicated."""
    nli = data_dir / "nli"
    return {name: list(dict.fromkeys(TRAIN_SOURCES[name](nli, data_dir))) for name in sources}


def load_dev_sets(data_dir: Path, seed: int, fever_n: int = 2000, nli_n: int = 1000) -> dict[str, list[StancePair]]:
    """Held-out dev sets: CLIMATE-FEVER held-out claims, SciFact validation, a FEVER dev sample and an
    XNLI validation sample (XNLI test is the training part)."""
    nli = data_dir / "nli"
    rng = random.Random(seed)
    fever = list(fever_dev_pairs(nli))
    xnli = list(xnli_en(nli, "validation"))
    return {
        "climate_fever_heldout": list(climate_fever(data_dir, held_out=True)),
        "scifact_validation": list(scifact(data_dir, "validation")),
        "fever_dev_sample": rng.sample(fever, min(fever_n, len(fever))),
        "xnli_validation_sample": rng.sample(xnli, min(nli_n, len(xnli))),
    }


def drop_dev_claims(
    pool: dict[str, list[StancePair]], dev_sets: dict[str, list[StancePair]]
) -> dict[str, list[StancePair]]:
    """Remove training pairs whose claim (case-insensitive) occurs in any dev set."""
    dev_claims = {p.claim.lower() for pairs in dev_sets.values() for p in pairs}
    return {name: [p for p in pairs if p.claim.lower() not in dev_claims] for name, pairs in pool.items()}


def _take_balanced(pairs: list[StancePair], cap: int, rng: random.Random) -> list[StancePair]:
    """Up to `cap` pairs, as label-balanced as the source allows."""
    by_label: dict[str, list[StancePair]] = defaultdict(list)
    for p in pairs:
        by_label[p.label].append(p)
    for group in by_label.values():
        rng.shuffle(group)
    taken: list[StancePair] = []
    quota = cap
    # Smallest label first, so unused quota flows to the larger ones.
    for i, label in enumerate(sorted(by_label, key=lambda k: len(by_label[k]))):
        share = quota // (len(by_label) - i)
        taken += by_label[label][:share]
        quota -= min(share, len(by_label[label]))
    return taken


def sample_mixture(
    pool: dict[str, list[StancePair]], max_pairs: int, seed: int, caps: dict[str, int] = SOURCE_CAPS
) -> list[StancePair]:
    """Cap each source (label-balanced within it), then balance the three labels to max_pairs / 3 each.

    Deterministic for a given pool and seed; the result is shuffled.
    """
    rng = random.Random(seed)
    capped: dict[str, list[StancePair]] = defaultdict(list)
    for name in sorted(pool):
        for p in _take_balanced(pool[name], caps.get(name, 2000), rng):
            capped[p.label].append(p)
    mixture: list[StancePair] = []
    for label in STANCE_LABELS:
        group = capped[label]
        rng.shuffle(group)
        mixture += group[: max_pairs // len(STANCE_LABELS)]
    rng.shuffle(mixture)
    return mixture


def training_mixture(
    data_dir: Path, max_pairs: int, seed: int, sources: str = "all"
) -> tuple[dict[str, list[StancePair]], dict[str, list[StancePair]], list[StancePair]]:
    """The dev sets, the training pool of the source set ``sources`` (``SOURCE_SETS``) without their claims, and
    the seeded mixture stage 1 trains on (stages 2 and 3 replay the same one)."""
    dev_sets = load_dev_sets(data_dir, seed)
    pool = drop_dev_claims(load_training_pool(data_dir, SOURCE_SETS[sources]), dev_sets)
    return dev_sets, pool, sample_mixture(pool, max_pairs, seed)

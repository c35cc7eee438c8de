"""Does hybrid retrieval keep its quality with tantivy instead of FTS5 for its BM25 lists? AVeriTeC dev, closed
corpus, everything else equal.

    python benchmarks/lexical_quality.py --claims 500

Runs the ``averitec-retrieval`` evaluator (hybrid retriever) once per lexical setting, in one process, on the
first N dev claims, and compares each tantivy setting with FTS5 claim by claim: the mean difference of each
retrieval metric with a bootstrap 95% interval, and for labels the claims FTS5 got right and the other wrong
(and the reverse) with McNemar's exact p. Dev was used to choose the default analyzer, so these are selection
figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from factdesk.evaluate.averitec_retrieval import AveritecRetrievalEvaluator

SETTINGS = [("fts5", ""), ("tantivy", "plain"), ("tantivy", "en_stem")]
PAIRED = ("recall", "candidate_recall", "candidate_recall_all", "evidence_score")
BOOTSTRAP = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--claims", type=int, default=500, help="the first N dev claims")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/lexical_quality.json"))
    args = parser.parse_args()
    folder = args.data_dir / "averitec"
    if not (folder / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    gold = [c["label"] for c in json.loads((folder / "dev.json").read_text(encoding="utf-8"))[: args.claims]]
    runs = {}
    for lexical, analyzer in SETTINGS:
        evaluator = AveritecRetrievalEvaluator(
            limit=args.claims, retrievers=("hybrid",), lexical=lexical, lexical_analyzer=analyzer
        )
        report = evaluator.run(args.data_dir, "dev")
        runs[report.systems[0].system] = (report.systems[0].metrics, report.details["hybrid"]["claims"])
    base = runs[next(iter(runs))][1]
    rows = []
    for system, (metrics, claims) in runs.items():
        rows.append({"system": system, **metrics, **_paired(claims, base, gold)})
    args.out.write_text(json.dumps({"claims": args.claims, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    print(
        "| system | recall@10 | candidate recall@10 | candidate recall (40) | evidence score | label acc. "
        "| AVeriTeC score | labels right→wrong / wrong→right vs FTS5 (McNemar p) |\n|---|---|---|---|---|---|---|---|"
    )
    for r in rows:
        cells = [f"{r[m]:.3f}" for m in ("recall@10", "candidate_recall@10", "candidate_recall@all")]
        cells += [f"{r[m]:.3f}" for m in ("evidence_score", "label_accuracy", "averitec_score")]
        flips = (
            f"{r['right_to_wrong']} / {r['wrong_to_right']} ({r['mcnemar_p']:.3f})"
            if r["system"] != rows[0]["system"]
            else ""
        )
        print(f"| {r['system']} | " + " | ".join(cells) + f" | {flips} |")


def _paired(claims: list[dict], base: list[dict], gold: list[str]) -> dict[str, float | int | list[float]]:
    """Per-claim differences from FTS5: mean and bootstrap 95% interval of each metric; label changes."""
    rng = np.random.default_rng(0)
    out: dict[str, float | int | list[float]] = {}
    for metric in PAIRED:
        diff = np.array([c[metric] - b[metric] for c, b in zip(claims, base, strict=True)])
        means = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(BOOTSTRAP)]
        out[f"{metric}_diff"] = float(diff.mean())
        out[f"{metric}_diff_ci95"] = [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]
    pairs = list(zip(claims, base, gold, strict=True))
    worse = sum(b["label"] == g != c["label"] for c, b, g in pairs)
    better = sum(c["label"] == g != b["label"] for c, b, g in pairs)
    out.update(
        right_to_wrong=worse, wrong_to_right=better, label_changes=sum(c["label"] != b["label"] for c, b, _ in pairs)
    )
    out["mcnemar_p"] = float(binomtest(min(worse, better), worse + better).pvalue) if worse + better else 1.0
    return out


if __name__ == "__main__":
    main()

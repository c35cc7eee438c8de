"""How many retrieved passages should the verdict weigh? AVeriTeC dev, closed corpus, hybrid retrieval.

    python benchmarks/verdict_evidence.py --claims 150

Runs `factdesk eval averitec-retrieval`'s evaluator for each aggregator and `verdict_evidence` setting in turn
and prints label accuracy and the AVeriTeC score. Dev only (the choice of `[verify] verdict_evidence` was made
with this script), so these figures are selection figures, not test results.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from factdesk.evaluate.averitec_retrieval import AveritecRetrievalEvaluator

SETTINGS = [("trained-verdict", 0), ("trained-verdict", 5), ("trained-verdict", 3), ("stance-vote", 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--claims", type=int, default=150, help="the first N dev claims")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/verdict_evidence.json"))
    args = parser.parse_args()
    if not (args.data_dir / "averitec" / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    rows = []
    print("| aggregator | passages weighed | label acc. | AVeriTeC score |\n|---|---|---|---|")
    for aggregator, count in SETTINGS:
        evaluator = AveritecRetrievalEvaluator(
            limit=args.claims, retrievers=("hybrid",), aggregator=aggregator, verdict_evidence=count
        )
        metrics = evaluator.run(args.data_dir, "dev").systems[0].metrics
        rows.append({"aggregator": aggregator, "verdict_evidence": count, **metrics})
        shown = count or "all"
        print(f"| {aggregator} | {shown} | {metrics['label_accuracy']:.3f} | {metrics['averitec_score']:.3f} |")
    args.out.write_text(json.dumps({"claims": args.claims, "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

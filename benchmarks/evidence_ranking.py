"""How should evidence be ranked after retrieval? AVeriTeC dev, closed corpus, hybrid retrieval.

    python benchmarks/evidence_ranking.py --claims 150

The pipeline ranks candidates by ``w · relevance + (1 − w) · retrieval score / best retrieval score``, where
relevance is the stance model's 1 − P(neutral) (``[verify] relevance_weight`` = w). This runs
`factdesk eval averitec-retrieval`'s evaluator for each w in turn and prints recall@10, the evidence score,
label accuracy and the AVeriTeC score. Dev only (the default w was chosen with this script), so these figures
are selection figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from factdesk.evaluate.averitec_retrieval import AveritecRetrievalEvaluator

WEIGHTS = (1.0, 0.8, 0.5, 0.3, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--claims", type=int, default=150, help="the first N dev claims")
    parser.add_argument("--weights", type=float, nargs="+", default=WEIGHTS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/evidence_ranking.json"))
    args = parser.parse_args()
    if not (args.data_dir / "averitec" / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    rows = []
    print("| relevance weight | recall@10 | candidate recall@10 | evidence score | label acc. | AVeriTeC score |")
    print("|---|---|---|---|---|---|")
    for weight in args.weights:
        evaluator = AveritecRetrievalEvaluator(limit=args.claims, retrievers=("hybrid",), relevance_weight=weight)
        m = evaluator.run(args.data_dir, "dev").systems[0].metrics
        rows.append({"relevance_weight": weight, **m})
        print(
            f"| {weight} | {m['recall@10']:.3f} | {m['candidate_recall@10']:.3f} | {m['evidence_score']:.3f} "
            f"| {m['label_accuracy']:.3f} | {m['averitec_score']:.3f} |"
        )
    args.out.write_text(json.dumps({"claims": args.claims, "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

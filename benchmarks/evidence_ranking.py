"""How should evidence be ranked after retrieval? AVeriTeC dev, closed corpus, hybrid retrieval.

    python benchmarks/evidence_ranking.py --claims 150 [--settings 0:0.5 0.5:0.25 ...]

The pipeline ranks candidates by ``a · reranker + b · relevance + (1 − a − b) · retrieval score / best retrieval
score``, where the reranker is the trained evidence reranker's score (``[verify] rerank_weight`` = a) and
relevance is the stance model's 1 − P(neutral) (``[verify] relevance_weight`` = b). Each setting ``a:b`` runs
`factdesk eval averitec-retrieval`'s evaluator in turn and prints recall@10, the evidence score, label accuracy
and the AVeriTeC score. Dev only (the defaults were chosen with this script on the first 150 dev claims), so
these figures are selection figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from factdesk.evaluate.averitec_retrieval import AveritecRetrievalEvaluator

SETTINGS = ("0:0.5", "0.25:0.25", "0.5:0.25", "0.5:0", "0.75:0", "0.75:0.25", "1:0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--claims", type=int, default=150, help="the first N dev claims")
    parser.add_argument("--settings", nargs="+", default=SETTINGS, help="rerank_weight:relevance_weight pairs")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/evidence_ranking.json"))
    args = parser.parse_args()
    if not (args.data_dir / "averitec" / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    rows = []
    print("| rerank weight | relevance weight | recall@10 | evidence score | label acc. | AVeriTeC score |")
    print("|---|---|---|---|---|---|")
    for setting in args.settings:
        rerank, relevance = (float(x) for x in setting.split(":"))
        evaluator = AveritecRetrievalEvaluator(
            limit=args.claims, retrievers=("hybrid",), rerank_weight=rerank, relevance_weight=relevance
        )
        m = evaluator.run(args.data_dir, "dev").systems[0].metrics
        rows.append({"rerank_weight": rerank, "relevance_weight": relevance, **m})
        print(
            f"| {rerank} | {relevance} | {m['recall@10']:.3f} | {m['evidence_score']:.3f} "
            f"| {m['label_accuracy']:.3f} | {m['averitec_score']:.3f} |",
            flush=True,
        )
    args.out.write_text(json.dumps({"claims": args.claims, "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

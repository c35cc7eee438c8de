"""Where should the relevance gate sit? AVeriTeC dev, gold QA evidence.

    python benchmarks/relevance_gate.py [--thresholds 0.2 0.3 0.35 0.4 0.5]

For each threshold: the share of dev claims left with at least one passage about them (their own gold evidence:
should stay high) and the share of dev claims given another claim's evidence (a random claim's, and the most
similar claim's) that still have one (should be low: those are ruled Not Enough Evidence before any model runs).
Relevance is the shipped reranker's (the stance model's relevance output). Dev only: the default threshold
(``[verify] relevance_threshold``) was chosen with this script, so these are selection figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from factdesk.datasets.averitec import load_split, others_evidence
from factdesk.evaluate.averitec import with_evidence
from factdesk.retrieve.rerank import CrossEncoderReranker
from factdesk.verify.cross_encoder import CrossEncoderStance
from factdesk.verify.relevance import RelevanceGate, relevant

THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--thresholds", nargs="+", type=float, default=THRESHOLDS)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/relevance_gate.json"))
    args = parser.parse_args()
    if not (args.data_dir / "averitec" / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    dev = load_split(args.data_dir, "dev")
    sets = {
        "own evidence": dev,
        "a random claim's evidence": others_evidence(dev, args.seed),
        "the most similar claim's evidence": others_evidence(dev, args.seed, similar=True),
    }
    stance, reranker = CrossEncoderStance(), CrossEncoderReranker()
    # Relevance 1.0 and no content rule: every passage passes, so each threshold can be applied afterwards.
    scored = {name: with_evidence(items, stance, True, reranker, RelevanceGate(0.0, 0)) for name, items in sets.items()}
    rows = []
    print("| threshold | " + " | ".join(f"claims with a passage about them: {n}" for n in sets) + " |")
    print("|---|" + "---|" * len(sets))
    for threshold in args.thresholds:
        gate = RelevanceGate(threshold)
        row = {"threshold": threshold}
        for name, evidence in scored.items():
            kept = [relevant(gate.apply(ev, [e.scores["about"] for e in ev])) for ev in evidence]
            row[name] = round(sum(bool(k) for k in kept) / len(kept), 4)
        rows.append(row)
        print(f"| {threshold} | " + " | ".join(f"{row[n]:.3f}" for n in sets) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"claims": len(dev), "rows": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

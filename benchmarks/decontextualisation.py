"""Decontextualisation on the project's own pairs (tests/data/decontext_pairs.jsonl): the rate of rewrites that
change meaning (target 0), the exact-match rate with the expected rewrites, and how often the words left
unresolved (needs_context) are the expected ones. See factdesk/claims/decontext_eval.py for the definitions.

    python benchmarks/decontextualisation.py [--pairs FILE] [--out benchmarks/results/decontextualisation.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from factdesk.claims.decontext_eval import PAIRS, read_pairs, run_pairs, summary

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "decontextualisation.json")
    parser.add_argument("-v", "--verbose", action="store_true", help="Print each pair that is not an exact match.")
    args = parser.parse_args()
    outcomes = run_pairs(read_pairs(args.pairs))
    result = summary(outcomes)
    print("| set or kind | pairs | exact | meaning-changing |")
    print("|---|---|---|---|")
    for name, row in [*result["by_set"].items(), *result["by_kind"].items()]:
        print(f"| {name} | {row['pairs']} | {row['exact']} | {row['meaning_changing']} |")
    print(
        f"{result['pairs']} pairs: meaning-changing rewrites {result['meaning_changing_rewrites']} "
        f"({result['meaning_changing_rate']:.3f}), exact match {result['exact_match_rate']:.3f}, "
        f"left unresolved where a rewrite was expected {result['unresolved']}, "
        f"needs_context as expected {result['needs_context_match_rate']:.3f}"
    )
    if args.verbose:
        for o in outcomes:
            if not o.exact or o.meaning_changed:
                print(
                    f"{o.id}: got {o.got!r} {list(o.needs_context)}; expected {o.expected!r} {list(o.expected_needs)}"
                )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check-worthiness ranking on the project's own annotated transcripts (benchmarks/data/checkworthy/).

Every sentence of each transcript is scored by ``ClaimExtractor``; sentences are ranked by score within their
transcript. Reported per transcript and per split: precision@5 and @10, R-precision (precision at k = the
number of check-worthy sentences), average precision, and precision / recall / F1 of the default threshold.
The weights in factdesk/claims/extract.py were set before these transcripts were written and have not been
tuned on them; retune on the dev transcript only, never on the test ones.

    python benchmarks/checkworthiness.py [--out benchmarks/results/checkworthiness.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from factdesk.claims.extract import ClaimExtractor

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "checkworthy"


def precision_at(ranked: list[int], k: int) -> float:
    return sum(ranked[:k]) / k


def average_precision(ranked: list[int]) -> float:
    hits, total = 0, 0.0
    for n, label in enumerate(ranked, start=1):
        if label:
            hits += 1
            total += hits / n
    return total / max(hits, 1)


def scores(ranked: list[int], chosen: list[int]) -> dict[str, float]:
    positives = sum(ranked)
    true = sum(chosen)
    precision = true / len(chosen) if chosen else 0.0
    recall = true / positives if positives else 0.0
    return {
        "sentences": len(ranked),
        "checkworthy": positives,
        "p@5": round(precision_at(ranked, 5), 3),
        "p@10": round(precision_at(ranked, 10), 3),
        "r-precision": round(precision_at(ranked, positives), 3),
        "average_precision": round(average_precision(ranked), 3),
        "threshold_precision": round(precision, 3),
        "threshold_recall": round(recall, 3),
        "threshold_f1": round(2 * precision * recall / (precision + recall) if precision + recall else 0.0, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "checkworthiness.json")
    args = parser.parse_args()
    labels: dict[str, dict[str, int]] = defaultdict(dict)
    splits: dict[str, str] = {}
    for line in (DATA / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        labels[record["file"]][record["sentence"]] = record["checkworthy"]
        splits[record["file"]] = record["split"]
    extractor = ClaimExtractor(threshold=0.0)
    default = ClaimExtractor().threshold
    results: dict[str, dict[str, float]] = {}
    for name, wanted in labels.items():
        claims = extractor.run((DATA / name).read_text(encoding="utf-8"))
        found = {c.sentence: c.score for c in claims}
        if set(found) != set(wanted):
            print(f"{name}: the sentence split differs from the annotations: {set(found) ^ set(wanted)}")
            return 1
        ranked = sorted(found, key=lambda s: -found[s])
        results[name] = scores([wanted[s] for s in ranked], [wanted[s] for s in ranked if found[s] >= default])
    for split in sorted(set(splits.values())):
        files = [results[n] for n in splits if splits[n] == split]
        results[f"{split} (mean of {len(files)})"] = {
            key: round(sum(f[key] for f in files) / len(files), 3) for key in files[0]
        }
    columns = list(next(iter(results.values())))
    print("| transcript | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in results.items():
        print(f"| {name} | " + " | ".join(str(row[c]) for c in columns) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"threshold": default, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

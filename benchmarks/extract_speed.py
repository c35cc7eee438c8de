"""Speed of `factdesk extract` on a 10,000-word transcript (target: under 5 s on 2 cores), with the trained
check-worthiness model (the default) and the rule-based scorer in the same run, and the ratio of the two.

The transcript is made, with a fixed seed, from the sentences of the project's own transcripts in
benchmarks/data/checkworthy/, in speaker turns. Reported: the whole command as a user runs it (a new process:
Python start, imports, model load, extraction, output), and in-process model load and extraction apart.

    python benchmarks/extract_speed.py [--words 10000] [--repeats 5] [--out benchmarks/results/extract_speed.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from factdesk.claims.extract import SCORERS, ClaimExtractor

HERE = Path(__file__).resolve().parent
SPEAKERS = ("OKAFOR", "LINDQVIST", "MODERATOR")


def transcript(words: int, seed: int = 7) -> tuple[str, int]:
    """The transcript, and its word count without the speaker labels."""
    sentences = [
        json.loads(line)["sentence"]
        for line in (HERE / "data" / "checkworthy" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rng = random.Random(seed)
    turns, count = [], 0
    while count < words:
        turn = rng.sample(sentences, rng.randint(3, 8))
        while turn and count + sum(len(s.split()) for s in turn) > words:
            turn.pop()
        if not turn:
            turn = [" ".join(rng.choice(sentences).split()[: words - count]) + "."]
        count += sum(len(s.split()) for s in turn)
        turns.append(f"{rng.choice(SPEAKERS)}: " + " ".join(turn))
    return "\n\n".join(turns) + "\n", count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "extract_speed.json")
    args = parser.parse_args()
    text, words = transcript(args.words)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "transcript.txt"
        path.write_text(text, encoding="utf-8")
        cli_seconds: dict[str, list[float]] = {scorer: [] for scorer in SCORERS}
        claims = {}
        for _ in range(args.repeats):  # the scorers alternate, so a busy spell on shared cores hits both
            for scorer in SCORERS:
                command = [sys.executable, "-m", "factdesk", "extract", str(path), "--speaker", "Okafor"]
                command += ["--date", "2024-05-02", "--scorer", scorer]
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, env=os.environ, check=True)
                cli_seconds[scorer].append(time.perf_counter() - started)
                claims[scorer] = len(done.stdout.splitlines())
    for scorer in SCORERS:
        extractor = ClaimExtractor(scorer=scorer)
        started = time.perf_counter()
        extractor.warm_up()
        load_seconds = time.perf_counter() - started
        run_seconds = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            extractor.run(text, "Okafor", date(2024, 5, 2))
            run_seconds.append(time.perf_counter() - started)
        results[scorer] = {
            "claims": claims[scorer],
            "cli_seconds_median": round(statistics.median(cli_seconds[scorer]), 2),
            "cli_seconds_all": [round(s, 2) for s in cli_seconds[scorer]],
            "model_load_seconds": round(load_seconds, 2),
            "extract_seconds_median": round(statistics.median(run_seconds), 2),
            "words_per_second": round(words / statistics.median(run_seconds)),
        }
    ratio = results["model"]["cli_seconds_median"] / results["rules"]["cli_seconds_median"]
    result = {"words": words, "cpus": os.cpu_count(), "cli_ratio_model_to_rules": round(ratio, 3), **results}
    print("| scorer | claims | CLI total, median (s) | CLI runs (s) | load (s) | extraction, median (s) | words/s |")
    print("|---|---|---|---|---|---|---|")
    for scorer, r in results.items():
        print(
            f"| {scorer} | {r['claims']} | {r['cli_seconds_median']} | {r['cli_seconds_all']} "
            f"| {r['model_load_seconds']} | {r['extract_seconds_median']} | {r['words_per_second']} |"
        )
    print(f"whole command, model / rules: {result['cli_ratio_model_to_rules']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How should the hybrid retriever fuse its lists? Retriever-only recall@10 on the AVeriTeC closed corpus.

    python benchmarks/fusion_settings.py [--tune 150]

The corpus is `factdesk eval averitec-retrieval`'s (every answerable gold answer of train and dev, one document
each), ingested once into ``runs/fusion-settings/store``. For each setting of the ``HybridRetriever`` (BM25 list
weight, ``rrf_k``, MMR trade-off, ...), every dev claim is planned and embedded once, then searched; recall@10 is
the share of the claim's gold answers among the first 10 candidates. No stance model or verdict is involved, so a
setting takes seconds. Settings are compared on the first ``--tune`` dev claims and confirmed on the rest, which
were not used to choose them.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from factdesk.config import Config, VerifyConfig
from factdesk.datasets.averitec import answer_text, claim_date, misinfo_list, write_corpus
from factdesk.pipeline import FactDesk
from factdesk.records import Claim
from factdesk.retrieve.hybrid import HybridRetriever

WORK = Path("runs/fusion-settings")
OUT = Path("benchmarks/results/fusion_settings.json")
BEFORE = {"rrf_k": 60, "lexical_weight": 1.0, "mmr_trade_off": 0.6}  # the settings before this comparison
SETTINGS: list[dict[str, Any]] = [
    BEFORE,
    {**BEFORE, "lexical_weight": 0.0},
    {**BEFORE, "rrf_k": 10},
    {**BEFORE, "mmr_trade_off": 1.0},
    {"rrf_k": 60, "lexical_weight": 0.5, "mmr_trade_off": 0.6},
    {"rrf_k": 10, "lexical_weight": 0.5, "mmr_trade_off": 1.0},
    {"rrf_k": 10, "lexical_weight": 0.3, "mmr_trade_off": 0.8},
    {"rrf_k": 10, "lexical_weight": 0.7, "mmr_trade_off": 0.8},
    {"rrf_k": 5, "lexical_weight": 0.5, "mmr_trade_off": 0.8},
    {"rrf_k": 10, "lexical_weight": 0.5, "mmr_trade_off": 0.8},  # the default now
    {"rrf_k": 10, "lexical_weight": 0.5, "mmr_trade_off": 0.8, "max_per_document": 1},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--tune", type=int, default=150, help="dev claims the settings are compared on")
    args = parser.parse_args()
    folder = args.data_dir / "averitec"
    if not (folder / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    train = json.loads((folder / "train.json").read_text(encoding="utf-8"))
    dev = json.loads((folder / "dev.json").read_text(encoding="utf-8"))
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / "corpus.jsonl"
    if not corpus.exists():
        write_corpus(corpus, {"train": train, "dev": dev})
    config = Config(verify=VerifyConfig(stance_model="lexical-baseline"))
    rows = []
    with misinfo_list(args.data_dir), FactDesk(WORK / "store", config) as desk:
        if not desk.store.stats()["documents"]:
            desk.ingest([corpus], progress=True)
        base = HybridRetriever(deny_list_file="")
        base.warm_up()
        base.index(desk.store, progress=True)
        assert base._planner is not None and base._embedder is not None
        queries = []
        for item in dev:
            claim = Claim(item["claim"], claimant=item.get("speaker") or "", date=claim_date(item.get("claim_date")))
            plan = base._planner.run(claim)
            gold = {t for q in item["questions"] for a in q["answers"] if (t := answer_text(a))}
            queries.append((claim, plan, base._embedder.queries([q.text for q in plan]), gold))
        print(f"| setting | recall@10, dev 1–{args.tune} (tuning) | dev {args.tune + 1}–{len(dev)} (held out) | s |")
        print("|---|---|---|---|")
        for setting in SETTINGS:
            retriever = replace(base, **setting)
            retriever._planner, retriever._embedder, retriever._policy = base._planner, base._embedder, base._policy
            retriever._indexes, retriever._lexical = base._indexes, base._lexical
            started = time.perf_counter()
            recalls = []
            for claim, plan, vectors, gold in queries:
                found = {h.document.text for h in retriever.search(desk.store, plan, vectors, claim.date)[:10]}
                recalls.append(len(gold & found) / max(min(len(gold), 10), 1) if gold else 0.0)
            tuned = sum(recalls[: args.tune]) / args.tune
            held = sum(recalls[args.tune :]) / max(len(recalls) - args.tune, 1)
            rows.append({"setting": setting, "recall@10_tuning": tuned, "recall@10_held_out": held})
            shown = ", ".join(f"{k} {v}" for k, v in setting.items())
            print(f"| {shown} | {tuned:.3f} | {held:.3f} | {time.perf_counter() - started:.1f} |", flush=True)
    OUT.write_text(json.dumps({"tune": args.tune, "claims": len(dev), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()

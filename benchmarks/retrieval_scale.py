"""Hybrid retrieval at 10k, 100k and 1M passages: ingest-and-index time, size, peak memory, query latency, with
each lexical engine (tantivy, FTS5) in the same run.

Passages are the distinct AVeriTeC gold answers of train and dev, chunked as ingest chunks them (420 characters;
about 12k passages). Embedder: the default (``RetrieveConfig.embedder``); index: the shipped usearch HNSW (i8).
Documents get a publication date (fixed by their number: one in ten undated, the rest spread evenly over
2016-2023) so that the claims' cut-offs (their dates, all in 2020) remove part of the corpus, as in use.

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
  the real embedder, each timed. Search (``HybridRetriever.search``: BM25 and ANN for the claim and every
  sub-query, RRF, source policy, MMR; cut-off: the claim's date) runs in a fresh process per lexical engine that
  opens the store and loads the saved indexes, so its peak RSS is a serving process's; the first 10 claims run
  once untimed to warm the caches. Latency per claim is reported for search alone (and the time in its BM25 and
  ANN calls) and in total (planning + query embedding + search); tantivy also without a cut-off. Every hit is
  checked against the cut-off, and the overlap of the two engines' first 10 candidates is reported.
- Lexical index: ``LexicalIndex.sync`` builds the tantivy index from the finished store in its own process
  (time, folder size, peak RSS); FTS5 is built inside the store's transactions (part of "store s").

Each step runs in its own process (its peak RSS is the step's). Sizes not rerun keep their rows in the JSON.
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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.config import IngestConfig, RetrieveConfig
from factdesk.datasets.averitec import answer_text, misinfo_list
from factdesk.ingest.chunking import chunk
from factdesk.ingest.pipeline import Ingester
from factdesk.records import Claim, Document, Passage
from factdesk.retrieve.dense import DenseIndex, IndexSettings, passage_embedder
from factdesk.retrieve.hybrid import HybridRetriever
from factdesk.retrieve.lexical_index import LexicalIndex
from factdesk.retrieve.planner import QueryPlanner, SubQuery
from factdesk.store import Store, StoredDocument

DATA = Path("../shared/data/averitec")
OUT = Path("benchmarks/results/retrieval_scale.json")
PLOT = Path("benchmarks/results/retrieval_scale.png")
WORK = Path("runs/retrieval_scale")
EMBEDDER = RetrieveConfig().embedder
SIGMA = 0.02
BATCH = 20_000
ENGINES = ("tantivy", "fts5")
FIRST_DAY, DAYS = date(2016, 1, 1), (date(2024, 1, 1) - date(2016, 1, 1)).days
WARM_CLAIMS = 10


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
        steps = {"real": _build_real, "synthetic": _build_synthetic, "lexical": _build_lexical}
        steps.update({f"search-{engine}": lambda n, engine=engine: _search(n, engine) for engine in ENGINES})
        print(json.dumps(steps[step](n)))
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
        "sizes": [r for r in previous.get("sizes", []) if r.get("requested") not in args.sizes and "tantivy" in r],
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
        row.update(_child("lexical", n), requested=n)  # a real row holds fewer passages than requested
        if not row["synthetic"]:
            row["ingest_index_s"] += row["lexical_s"]
            row["ingest_index_per_s"] = row["passages"] / row["ingest_index_s"]
        for engine in ENGINES:
            row[engine] = _child(f"search-{engine}", n)
        row["top10_overlap"] = _overlap(n)
        row["load_average_1min"] = os.getloadavg()[0]
        if not args.keep_stores:
            shutil.rmtree(WORK / f"store-{n}", ignore_errors=True)
        report["sizes"].append(row)
        print(row, flush=True)
    report["real"] = real
    for row in report["sizes"]:  # embedding beyond the real passages, at the real run's throughput
        if row["synthetic"]:
            row["embed_s_extrapolated"] = row["passages"] / real["embed_per_s"]
            row["ingest_index_s"] = row["store_s"] + row["index_s"] + row["embed_s_extrapolated"] + row["lexical_s"]
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
            published = _published(i)
            record = {"id": f"p{i}", "text": text, "url": url, "published": published and published.isoformat()}
            out.write(json.dumps(record) + "\n")
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
        "ingest_index_s": ingest_s + index_s,  # the lexical index's time is added when it is built
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
    doc = Document(id=f"p{i}", text=text, url=url, published=_published(i))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return StoredDocument(doc, [Passage(doc.id, 0, len(text), text)], digest, "bench")


def _published(i: int) -> date | None:
    """Document ``i``'s date, fixed by its number: one in ten undated, the others spread over 2016-2023."""
    mixed = (i * 2654435761) % 2**32
    return None if mixed % 10 == 0 else FIRST_DAY + timedelta(days=(mixed // 10) % DAYS)


def _build_lexical(n: int) -> dict[str, Any]:
    """Builds the tantivy index of the finished store of size ``n``, as ``factdesk index`` would."""
    before = _rss_now_mb()
    with Store(WORK / f"store-{n}") as store:
        index = LexicalIndex(store)
        start = time.perf_counter()
        added = index.sync()
        seconds = time.perf_counter() - start
    return {
        "lexical_s": seconds,
        "lexical_per_s": added / seconds,
        "lexical_build_peak_rss_mb": _rss_mb(),
        "lexical_rss_before_mb": before,  # the process with its modules loaded, before the build
        "lexical_mb": sum(p.stat().st_size for p in index.path.rglob("*") if p.is_file()) / 1e6,
    }


def _queries(count: int) -> None:
    """Plans and embeds the first ``count`` dev claims; planning and embedding are timed per claim."""
    dev = json.loads((DATA / "dev.json").read_text())[:count]
    planner = QueryPlanner()
    planner.warm_up()
    embedder = passage_embedder(EMBEDDER)
    embedder.warm_up()
    embedder.queries(["warm up"])
    plans, vectors, plan_s, embed_s, cutoffs = [], [], [], [], []
    for item in dev:
        start = time.perf_counter()
        plan = planner.run(Claim(item["claim"], claimant=item.get("speaker") or ""))
        plan_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        vectors.append(embedder.queries([q.text for q in plan]))
        embed_s.append(time.perf_counter() - start)
        plans.append([[q.text, q.question, q.kind, q.weight] for q in plan])
        day = item.get("claim_date")
        cutoffs.append(datetime.strptime(day, "%d-%m-%Y").date().isoformat() if day else None)
    queries = {"plans": plans, "plan_s": plan_s, "embed_s": embed_s, "cutoffs": cutoffs}
    (WORK / "queries.json").write_text(json.dumps(queries))
    np.save(WORK / "query_vectors.npy", np.concatenate(vectors))


def _search(n: int, engine: str) -> dict[str, Any]:
    """Opens the store of size ``n`` and its saved indexes, as a new process would, and times every claim with
    the ``engine`` lexical lists (and, for tantivy, once more without a cut-off)."""
    queries = json.loads((WORK / "queries.json").read_text())
    query_vectors = np.load(WORK / "query_vectors.npy")
    offsets = np.cumsum([0] + [len(p) for p in queries["plans"]])
    claims = [
        ([SubQuery(*q) for q in plan], query_vectors[offsets[i] : offsets[i + 1]], c and date.fromisoformat(c))
        for i, (plan, c) in enumerate(zip(queries["plans"], queries["cutoffs"], strict=True))
    ]
    with misinfo_list(DATA.parent):
        retriever = HybridRetriever(embedder=EMBEDDER, lexical=engine)
    retriever.warm_up()
    with Store(WORK / f"store-{n}") as store:
        start = time.perf_counter()
        retriever.index(store)
        load_s = time.perf_counter() - start
        parts = {"lexical": 0.0, "ann": 0.0}  # time inside BM25 and ANN searches, summed over the claim's queries
        if engine == "tantivy":
            lexical = retriever.lexical_index(store)
            lexical.search = _timed(lexical.search, parts, "lexical")  # type: ignore[method-assign]
        else:
            store.search_passages = _timed(store.search_passages, parts, "lexical")  # type: ignore[method-assign]
        dense = retriever.dense_index(store)
        dense.search = _timed(dense.search, parts, "ann")  # type: ignore[method-assign]
        for plan, rows, cutoff in claims[:WARM_CLAIMS]:
            retriever.search(store, plan, rows, cutoff)

        def timed(with_cutoff: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[str]], int]:
            latencies, lexical_ms, ann_ms, top, late = [], [], [], [], 0
            for plan, rows, cutoff in claims:
                day = cutoff if with_cutoff else None
                parts.update(lexical=0.0, ann=0.0)
                start = time.perf_counter()
                hits = retriever.search(store, plan, rows, day)
                latencies.append(time.perf_counter() - start)
                lexical_ms.append(parts["lexical"])
                ann_ms.append(parts["ann"])
                late += sum(bool(day and h.document.published and h.document.published > day) for h in hits)
                top.append([f"{h.passage.doc_id}:{h.passage.start}" for h in hits[:10]])
            return np.array(latencies) * 1000, np.array(lexical_ms) * 1000, np.array(ann_ms) * 1000, top, late

        search, lexical_ms, ann_ms, top, late = timed(True)
        (WORK / f"top-{n}-{engine}.json").write_text(json.dumps(top))
        without = timed(False)[0] if engine == "tantivy" else None
    embed = np.array(queries["embed_s"]) * 1000
    total = search + embed + np.array(queries["plan_s"]) * 1000
    result = {
        "index_load_s": load_s,
        "search_peak_rss_mb": _rss_mb(),
        "claims": len(claims),
        "subqueries_per_claim": float(np.mean([len(p) for p, _, _ in claims])),
        "hits_after_cutoff": late,
        **_percentiles("search", search),
        **_percentiles("lexical", lexical_ms),
        **_percentiles("ann", ann_ms),
        **_percentiles("rest", search - lexical_ms - ann_ms),  # RRF, source policy, MMR, bookkeeping
        "plan_ms_p50": float(np.percentile(queries["plan_s"], 50) * 1000),
        **_percentiles("embed_queries", embed),
        **_percentiles("total", total),
    }
    if without is not None:
        result.update(_percentiles("search_no_cutoff", without))
    return result


def _percentiles(name: str, ms: np.ndarray) -> dict[str, float]:
    return {f"{name}_ms_p50": float(np.percentile(ms, 50)), f"{name}_ms_p95": float(np.percentile(ms, 95))}


def _overlap(n: int) -> float:
    """Mean share of the first 10 candidates that the two engines' searches have in common."""
    tops = [json.loads((WORK / f"top-{n}-{engine}.json").read_text()) for engine in ENGINES]
    shares = [len(set(a) & set(b)) / max(len(a), len(b), 1) for a, b in zip(*tops, strict=True)]
    return float(np.mean(shares))


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
    files = [p for p in root.rglob("*") if p.is_file()]
    return {
        "disk_mb": sum(p.stat().st_size for p in files) / 1e6,  # before the lexical index is built
        "index_mb": sum(p.stat().st_size for p in files if p.suffix == ".usearch") / 1e6,
    }


def _rss_mb(field: str = "VmHWM") -> float:
    """Peak resident memory of this process so far (``VmRSS``: now). Linux's VmHWM, since ``ru_maxrss`` carries
    the parent's size over a fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mb() -> float:
    return _rss_mb("VmRSS")


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
    for engine, style in (("tantivy", "-"), ("fts5", "--")):
        left.plot(n, [r[engine]["total_ms_p95"] for r in rows], "o" + style, label=f"{engine}: total p95")
        left.plot(n, [r[engine]["lexical_ms_p95"] for r in rows], "s" + style, label=f"{engine}: of which BM25, p95")
    left.plot(n, [r["tantivy"]["ann_ms_p95"] for r in rows], "^:", label="ANN p95 (tantivy run)")
    left.axhline(50, color="grey", linestyle=":", label="target p95 50 ms")
    left.set(xscale="log", yscale="log", xlabel="passages", ylabel="ms per claim", title="Query latency (cut-off)")
    left.legend(fontsize=7)
    right.plot(n, [r["ingest_index_s"] for r in rows], "o-", label="ingest + index (beyond 10k: embedding extrap.)")
    right.plot(n, [r["store_s"] + r["index_s"] for r in rows], "o-", label="store (FTS5) + ANN (measured)")
    right.plot(n, [r["lexical_s"] for r in rows], "o-", label="tantivy index (measured)")
    right.set(xscale="log", yscale="log", xlabel="passages", ylabel="seconds", title="Ingest and index")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=120)


def _print(report: dict[str, Any]) -> None:
    real = report["real"]
    print(
        f"\nreal ingest+index incl. embeddings ({real['passages']:,} passages): {real['ingest_index_per_s']:.0f} "
        f"passages/s; embedding alone {real['embed_per_s']:.0f} passages/s; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "\n| passages | store s | ANN s | tantivy s | embed s | ingest+index s | disk MB | ANN MB | tantivy MB "
        "| build RSS MB store+ANN / tantivy |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in report["sizes"]:
        embed = r.get("embed_s", r.get("embed_s_extrapolated", 0.0))
        print(
            f"| {r['passages']:,}{' (real)' if not r['synthetic'] else ''} | {r['store_s']:.1f} | {r['index_s']:.1f} "
            f"| {r['lexical_s']:.1f} | {embed:.0f}{' (extrap.)' if r['synthetic'] else ''} "
            f"| {r['ingest_index_s']:.0f} | {r['disk_mb'] + r['lexical_mb']:.0f} | {r['index_mb']:.0f} "
            f"| {r['lexical_mb']:.0f} | {r['build_peak_rss_mb']:.0f} / {r['lexical_build_peak_rss_mb']:.0f} |"
        )
    print(
        "\n| passages | engine | search RSS MB | BM25 p50 / p95 ms | ANN p50 / p95 | rest p50 / p95 | search p50 / p95 "
        "| total p50 / p95 | total p95 × FTS5 | late hits | top-10 overlap |\n" + "|---" * 11 + "|"
    )
    for r in report["sizes"]:
        for engine in ENGINES:
            e = r[engine]
            ratio = e["total_ms_p95"] / r["fts5"]["total_ms_p95"]
            print(
                f"| {r['passages']:,} | {engine} | {e['search_peak_rss_mb']:.0f} | "
                + " | ".join(
                    f"{e[f'{k}_ms_p50']:.1f} / {e[f'{k}_ms_p95']:.1f}"
                    for k in ("lexical", "ann", "rest", "search", "total")
                )
                + f" | {ratio:.3f} | {e['hits_after_cutoff']} | {r['top10_overlap']:.2f} |"
            )
        t = r["tantivy"]
        without = f"{t['search_no_cutoff_ms_p50']:.1f} / {t['search_no_cutoff_ms_p95']:.1f}"
        print(f"| {r['passages']:,} | tantivy, no cut-off | | | | | {without} | | | | |")
    for r in report.get("ann", []):
        print(r)


if __name__ == "__main__":
    sys.exit(main())

"""The PostgreSQL store against the SQLite store on the same corpus, in one run: ingest (passages/s) and lexical
retrieval latency (p50/p95), and how far the two rankings agree.

Corpus: the distinct AVeriTeC gold answers of train and dev (``../shared/data/averitec``), chunked as ingest
chunks them (about 12k passages); beyond those, passage i is a real one with its words shuffled and its number
appended (same vocabulary and lengths). Documents hold 4 passages each and get a date (one in ten undated, the
rest spread over 2016-2023). Without the AVeriTeC data, the demo corpus (``examples/kharkiv``) is the seed.

- Ingest: ``add_documents`` in batches of 200 documents (as ingest's batches), timed; reading, chunking and
  embedding are not included (they are the same for both backends). SQLite writes FTS5 in the same transaction;
  PostgreSQL fills the generated ``tsvector`` column and its GIN index.
- Retrieval: ``search_passages`` (what the ``fts5`` retriever and, on PostgreSQL, the hybrid's BM25 lists call)
  with 100 results, as the hybrid reads per list, for the first ``--queries`` AVeriTeC dev claims (or the demo
  claims, repeated), cut-off 2020-06-01; 10 warm-up queries first. SQLite ranks by FTS5 BM25, PostgreSQL by a
  BM25 approximation (each word's IDF from the planner's lexeme statistics times its ``ts_rank``, summed), after
  an ``ANALYZE`` (timed apart: autovacuum runs it in use); "overlap@10" is the share of each query's first 10
  that both return.

The server is ``pgserver``'s (started in a temporary folder), or ``$FACTDESK_BENCH_PG`` (a database URL; its
tables are dropped first).

    python benchmarks/postgres_store.py [--passages 20000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from factdesk.config import IngestConfig
from factdesk.ingest.chunking import chunk
from factdesk.records import Document, Passage
from factdesk.store import StoreBackend, StoredDocument, is_url, open_store

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "averitec"
DEMO = Path(__file__).resolve().parent.parent / "examples" / "kharkiv"
OUT = Path("benchmarks/results/postgres_store.json")
PER_DOCUMENT = 4
BATCH = 200
CUTOFF = date(2020, 6, 1)


def seed_corpus() -> tuple[list[str], list[str], str]:
    """(distinct real passages, query texts, where they came from)."""
    if (DATA / "dev.json").is_file():
        from factdesk.datasets.averitec import answer_text

        records = json.loads((DATA / "train.json").read_text()) + json.loads((DATA / "dev.json").read_text())
        texts = [a for r in records for qa in r["questions"] for a in map(answer_text, qa["answers"]) if a]
        queries = [r["claim"] for r in json.loads((DATA / "dev.json").read_text())]
        source = "AVeriTeC train+dev gold answers; dev claims"
    else:
        rows = [json.loads(line) for line in (DEMO / "corpus" / "corpus.jsonl").read_text().splitlines() if line]
        texts = [row["text"] for row in rows]
        queries = [json.loads(line)["claim"] for line in (DEMO / "claims.jsonl").read_text().splitlines() if line]
        source = "the demo corpus (examples/kharkiv) and its claims"
    passages: dict[str, None] = {}
    for text in texts:
        for passage in chunk(Document(id="x", text=text), IngestConfig().passage_chars):
            passages.setdefault(passage.text, None)
    return list(passages), queries, source


def corpus(real: list[str], n: int) -> list[StoredDocument]:
    """``n`` passages in documents of ``PER_DOCUMENT``: the real ones, then shuffled copies."""
    rng = random.Random(0)
    texts = real[:n]
    for i in range(len(texts), n):
        words = real[i % len(real)].split()
        rng.shuffle(words)
        texts.append(" ".join(words) + f" {i}")
    span = (date(2023, 12, 31) - date(2016, 1, 1)).days
    documents = []
    for d in range(0, n, PER_DOCUMENT):
        parts = texts[d : d + PER_DOCUMENT]
        body = "\n\n".join(parts)
        doc_id = f"doc-{d // PER_DOCUMENT}"
        published = None if (d // PER_DOCUMENT) % 10 == 0 else date(2016, 1, 1) + timedelta(days=(d * 7919) % span)
        document = Document(doc_id, body, f"https://bench.example/{doc_id}", "Bench", doc_id, published)
        passages, start = [], 0
        for part in parts:
            passages.append(Passage(doc_id, start, start + len(part), part))
            start += len(part) + 2
        documents.append(StoredDocument(document, passages, doc_id, "bench"))
    return documents


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(location: str, documents: list[StoredDocument], queries: list[str]) -> dict[str, Any]:
    passages = sum(len(d.passages) for d in documents)
    with open_store(location) as store:
        start = time.perf_counter()
        for i in range(0, len(documents), BATCH):
            store.add_documents(documents[i : i + BATCH])
        ingest = time.perf_counter() - start
        assert store.stats()["passages"] == passages
    start = time.perf_counter()
    if is_url(location):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute("ANALYZE")
    analyze = time.perf_counter() - start
    with open_store(location) as store:
        return {
            "ingest_s": round(ingest, 2),
            "analyze_s": round(analyze, 2),
            **search(store, queries, passages, ingest),
        }


def search(store: StoreBackend, queries: list[str], passages: int, ingest: float) -> dict[str, Any]:
    for query in queries[:10]:
        store.search_passages(query, CUTOFF, 100)
    latencies, top10 = [], []
    for query in queries:
        start = time.perf_counter()
        hits = store.search_passages(query, CUTOFF, 100)
        latencies.append((time.perf_counter() - start) * 1000)
        assert all(h.document.published is None or h.document.published <= CUTOFF for h in hits)
        top10.append([(h.passage.doc_id, h.passage.start) for h in hits[:10]])
    return {
        "ingest_passages_per_s": round(passages / ingest),
        "search_ms_p50": round(percentile(latencies, 0.5), 2),
        "search_ms_p95": round(percentile(latencies, 0.95), 2),
        "search_ms_mean": round(statistics.fmean(latencies), 2),
        "_top10": top10,
    }


def postgres_url(folder: Path) -> tuple[str, Callable[[], None]]:
    """A database URL, with a function that stops the server started for it (if any)."""
    if url := os.environ.get("FACTDESK_BENCH_PG"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return url, lambda: None
    import pgserver

    server = pgserver.get_server(folder / "pg", cleanup_mode="stop")
    return server.get_uri(), server.cleanup


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[20000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    real, claims, source = seed_corpus()
    queries = [claims[i % len(claims)] for i in range(args.queries)]
    rows = []
    for n in args.passages:
        documents = corpus(real, n)
        with tempfile.TemporaryDirectory() as folder:
            url, stop = postgres_url(Path(folder))
            try:
                results = {}
                for backend, location in (("sqlite", str(Path(folder) / "store")), ("postgresql", url)):
                    results[backend] = measure(location, documents, queries)
            finally:
                stop()
        a, b = results["sqlite"].pop("_top10"), results["postgresql"].pop("_top10")
        overlap = statistics.fmean(
            len(set(x) & set(y)) / max(1, min(len(x), len(y))) for x, y in zip(a, b, strict=True)
        )
        sqlite, pg = results["sqlite"], results["postgresql"]
        rows.append(
            {
                "passages": n,
                "sqlite": sqlite,
                "postgresql": pg,
                "ingest_ratio_pg_over_sqlite": round(pg["ingest_passages_per_s"] / sqlite["ingest_passages_per_s"], 2),
                "p95_ratio_pg_over_sqlite": round(pg["search_ms_p95"] / sqlite["search_ms_p95"], 2),
                "overlap_at_10": round(overlap, 3),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print(f"\nCorpus: {source}; {len(queries)} queries, cut-off {CUTOFF}, 100 results each.\n")
    print("| passages | backend | ingest passages/s | search p50 ms | search p95 ms | PG/SQLite ingest | PG/SQLite p95 "
          "| overlap@10 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        for backend in ("sqlite", "postgresql"):
            r = row[backend]
            ratios = (
                f"{row['ingest_ratio_pg_over_sqlite']} | {row['p95_ratio_pg_over_sqlite']} | {row['overlap_at_10']}"
                if backend == "postgresql"
                else " | | "
            )
            print(
                f"| {row['passages']} | {backend} | {r['ingest_passages_per_s']} | {r['search_ms_p50']} "
                f"| {r['search_ms_p95']} | {ratios} |"
            )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"corpus": source, "queries": len(queries), "cutoff": str(CUTOFF), "rows": rows}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

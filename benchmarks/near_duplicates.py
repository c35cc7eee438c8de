"""Near-duplicate detection at ingest on a synthetic news corpus with planted syndicated copies: recall of the
planted pairs, false merges, and throughput, through the real ingest path (``factdesk.ingest.Ingester``: a
gzipped JSONL dump read as a stream, language, chunking, MinHash/LSH against the store, SQLite store writes).

The corpus (seeded, written by this script): wire stories of 5 to 9 paragraphs (about 330 words) in a made-up
language with an English-like word frequency (Zipf over 30,000 words, English function words the most common),
each outlet's boilerplate line at the end of its documents. A quarter of the stories are carried by 1 to 3 other
outlets, each copy with 1 to 3 of: another headline, a byline and dateline added, a paragraph cut, two paragraphs
swapped, 3 to 8 words changed; a copy appears 1 to 2,000 documents after its story. One story in ten has a
follow-up: a new story that repeats two paragraphs of it as background, which is not a copy (merging it is a
false merge). ``--sizes`` counts documents, copies and follow-ups included.

- Recall: planted (story, copy) pairs whose two documents end in one cluster.
- False merges: documents whose cluster's first copy belongs to another story (and how many of them are
  follow-ups).
- Throughput: documents per second through ``Ingester.run``, and through the near-duplicate step alone (the
  signatures, the store's band-key look-up and the comparisons; the store writes are in the ingest figure). The
  baseline: the same ingest of the first ``--baseline`` documents with near-duplicate detection off and on, in
  this run; their ratio is the cost of the detection.
- Memory: peak RSS of the process, and the store's bytes for the near-duplicate tables per document.

    python benchmarks/near_duplicates.py [--sizes 100000] [--baseline 10000]
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import itertools
import json
import os
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factdesk.config import IngestConfig
from factdesk.ingest import Ingester
from factdesk.store import Store

OUT = Path("benchmarks/results/near_duplicates.json")
FUNCTION_WORDS = (
    "the of and to in a is that for on was with as at by from has said were had after it its this be are have "
    "which they their but not an will would been who also more than about over into up new when last could first "
    "other some there all out may people what government police officials told year two one"
).split()
SYLLABLES = "ba ko ri ten mar vel dos lin ar es qua tor sen del fi gra mo ul zan pe ch st ron ix ev an or".split()
OUTLETS = 40
COPY_SHARE = 0.25
FOLLOW_UP_SHARE = 0.1
MAX_DELAY = 2000
OPERATIONS = ("headline", "byline", "cut", "swap", "words")
NEAR_DUPLICATE_TABLES = ("document_signatures", "signature_bands", "document_signatures_by_cluster",
                         "signature_bands_by_key", "sqlite_autoindex_document_signatures_1")  # fmt: skip


class Corpus:
    """The seeded generator: words, stories, copies and follow-ups."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        words, seen = list(FUNCTION_WORDS), set(FUNCTION_WORDS)
        while len(words) < 30_000:
            word = "".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        self.weights = list(itertools.accumulate(1 / (rank + 1) ** 1.05 for rank in range(len(words))))
        self.boilerplate = [self.sentence() + " " + self.sentence() for _ in range(OUTLETS)]

    def sentence(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.weights, k=self.rng.randint(12, 26))
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))

    def story(self) -> list[str]:
        """A headline and 5 to 9 paragraphs."""
        headline = " ".join(self.rng.choices(self.words[100:], k=self.rng.randint(5, 10))).capitalize()
        return [headline, *(self.paragraph() for _ in range(self.rng.randint(5, 9)))]

    def copy(self, story: list[str]) -> tuple[list[str], list[str]]:
        """The story as another outlet runs it, and the changes made."""
        rng = self.rng
        headline, body = story[0], list(story[1:])
        changes = rng.sample(OPERATIONS, rng.randint(1, 3))
        if "headline" in changes:
            headline = " ".join(rng.choices(self.words[100:], k=rng.randint(5, 10))).capitalize()
        if "byline" in changes:
            byline = f"By {rng.choice(self.words[100:]).title()} {rng.choice(self.words[100:]).title()}"
            body[0] = f"{byline}\n\n{rng.choice(self.words[100:]).upper()}, 3 March (Wire) - {body[0]}"
        if "cut" in changes:
            del body[rng.randrange(1, len(body))]
        if "swap" in changes:
            at = rng.randrange(0, len(body) - 1)
            body[at], body[at + 1] = body[at + 1], body[at]
        if "words" in changes:
            words = "\n\n".join(body).split(" ")
            for at in rng.sample(range(len(words)), rng.randint(3, 8)):
                words[at] = rng.choice(self.words[100:])
            body = " ".join(words).split("\n\n")
        return [headline, *body], changes

    def follow_up(self, story: list[str]) -> list[str]:
        """A new story that repeats two of the story's paragraphs as background."""
        new = self.story()
        return [*new[:3], *self.rng.sample(story[1:], 2), *new[3:]]

    def documents(self, size: int) -> Iterator[dict[str, Any]]:
        """``size`` documents in the order a feed would bring them: stories, their copies some documents later,
        and follow-ups. Ids: ``s{n}`` a story, ``s{n}-c{k}`` its copies, ``f{n}`` a follow-up of story n."""
        rng, pending, made, n = self.rng, [], 0, 0
        while made < size:
            if pending and pending[0][0] <= made:
                _, _, record = heapq.heappop(pending)
                yield record
                made += 1
                continue
            story = self.story()
            outlet = rng.randrange(OUTLETS)
            yield self._record(f"s{n}", story, outlet)
            made += 1
            if rng.random() < COPY_SHARE:
                for k in range(rng.randint(1, 3)):
                    copy, changes = self.copy(story)
                    record = self._record(f"s{n}-c{k}", copy, (outlet + 1 + k) % OUTLETS, changes)
                    heapq.heappush(pending, (made + rng.randint(1, MAX_DELAY), f"s{n}-c{k}", record))
            if rng.random() < FOLLOW_UP_SHARE:
                record = self._record(f"f{n}", self.follow_up(story), rng.randrange(OUTLETS))
                heapq.heappush(pending, (made + rng.randint(1, MAX_DELAY), f"f{n}", record))
            n += 1

    def _record(self, doc_id: str, story: list[str], outlet: int, changes: list[str] | None = None) -> dict:
        text = "\n\n".join([*story[1:], self.boilerplate[outlet]])
        record = {"id": doc_id, "title": story[0], "text": text, "outlet": f"Outlet {outlet}"}
        return record | ({"changes": changes} if changes else {})


def story_of(doc_id: str) -> str:
    """The story a document tells: a copy's is its story's; a follow-up is a story of its own."""
    return doc_id.split("-")[0]


def write_dump(path: Path, size: int, seed: int) -> dict[str, int]:
    counts = {"stories": 0, "copies": 0, "follow_ups": 0}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        for record in Corpus(seed).documents(size):
            kind = "copies" if "-c" in record["id"] else "follow_ups" if record["id"][0] == "f" else "stories"
            counts[kind] += 1
            record.pop("changes", None)
            out.write(json.dumps(record) + "\n")
    return counts


def ingest(dump: Path, store_path: Path, near_duplicates: bool) -> dict[str, float]:
    """Ingests the dump into a new SQLite store; seconds in all and in the near-duplicate step."""
    config = IngestConfig(near_duplicates=near_duplicates)
    with Store(store_path) as store:
        ingester = Ingester(store, config)
        spent = [0.0]
        finder = ingester.preparer.finder
        if finder is not None:
            run = finder.run

            def timed(*args: Any) -> Any:
                start = time.perf_counter()
                try:
                    return run(*args)
                finally:
                    spent[0] += time.perf_counter() - start

            finder.run = timed  # type: ignore[method-assign]
        start = time.perf_counter()
        report = ingester.run([dump])
        seconds = time.perf_counter() - start
    assert not report.problems, report.problems[:3]
    return {"documents": report.added, "seconds": seconds, "near_duplicate_seconds": spent[0]}


def evaluate(store_path: Path) -> dict[str, Any]:
    """Recall of the planted pairs and false merges, from the store's clusters."""
    with sqlite3.connect(store_path / "factdesk.sqlite3") as conn:
        clusters = dict(conn.execute("SELECT doc_id, cluster FROM document_signatures"))
        documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
    copies = [doc_id for doc_id in clusters if "-c" in doc_id]
    found = sum(clusters[doc_id] == clusters.get(story_of(doc_id)) for doc_id in copies)
    merged = [doc_id for doc_id, cluster in clusters.items() if story_of(cluster) != story_of(doc_id)]
    near_bytes = sum(sizes.get(name, 0) for name in NEAR_DUPLICATE_TABLES)
    return {
        "documents": documents,
        "signed_documents": len(clusters),
        "planted_pairs": len(copies),
        "pairs_found": found,
        "recall": round(found / len(copies), 4) if copies else None,
        "false_merges": len(merged),
        "false_merges_of_follow_ups": sum(1 for doc_id in merged if doc_id.startswith("f")),
        "false_merge_rate": round(len(merged) / len(clusters), 6) if clusters else None,
        "store_mb": round(sum(sizes.values()) / 1e6, 1),
        "near_duplicate_tables_bytes_per_document": round(near_bytes / max(documents, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--baseline", type=int, default=10_000, help="documents ingested with detection off and on")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    results: dict[str, Any] = {"seed": args.seed, "load_average_at_start": os.getloadavg()[0], "runs": {}}
    with tempfile.TemporaryDirectory(prefix="near-duplicates-") as tmp:
        folder = Path(tmp)
        if args.baseline:
            dump = folder / "baseline.jsonl.gz"
            write_dump(dump, args.baseline, args.seed)
            off = ingest(dump, folder / "baseline-off", near_duplicates=False)
            on = ingest(dump, folder / "baseline-on", near_duplicates=True)
            results["baseline"] = {
                "documents": args.baseline,
                "detection_off_docs_per_s": round(off["documents"] / off["seconds"], 1),
                "detection_on_docs_per_s": round(on["documents"] / on["seconds"], 1),
                "speed_ratio_on_to_off": round(off["seconds"] / on["seconds"], 3),
            }
            print(json.dumps(results["baseline"]))
        for size in args.sizes:
            dump = folder / f"corpus-{size}.jsonl.gz"
            start = time.perf_counter()
            counts = write_dump(dump, size, args.seed)
            generated = time.perf_counter() - start
            timing = ingest(dump, folder / f"store-{size}", near_duplicates=True)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            run = {
                **counts,
                "dump_mb": round(dump.stat().st_size / 1e6, 1),
                "generate_seconds": round(generated, 1),
                "ingest_seconds": round(timing["seconds"], 1),
                "ingest_docs_per_s": round(timing["documents"] / timing["seconds"], 1),
                "near_duplicate_seconds": round(timing["near_duplicate_seconds"], 1),
                "near_duplicate_docs_per_s": round(timing["documents"] / timing["near_duplicate_seconds"], 1),
                "peak_rss_mb": round(peak, 1),
                **evaluate(folder / f"store-{size}"),
            }
            results["runs"][str(size)] = run
            print(json.dumps({"size": size, **run}))
            (folder / f"store-{size}" / "factdesk.sqlite3").unlink()
            dump.unlink()
    results["load_average_at_end"] = os.getloadavg()[0]  # 2 shared cores: above 2, others were running too
    print_table(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")


def print_table(results: dict[str, Any]) -> None:
    print("\n| documents | planted pairs | recall | false merges (follow-ups) | ingest docs/s | near-dup docs/s |"
          " peak RSS MB | near-dup bytes/doc |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for size, run in results["runs"].items():
        print(
            f"| {size} | {run['planted_pairs']} | {run['recall']} | {run['false_merges']} "
            f"({run['false_merges_of_follow_ups']}) | {run['ingest_docs_per_s']} | {run['near_duplicate_docs_per_s']} |"
            f" {run['peak_rss_mb']} | {run['near_duplicate_tables_bytes_per_document']} |"
        )
    if "baseline" in results:
        base = results["baseline"]
        print(
            f"\nBaseline, first {base['documents']} documents: {base['detection_off_docs_per_s']} docs/s without "
            f"near-duplicate detection, {base['detection_on_docs_per_s']} with (speed ratio "
            f"{base['speed_ratio_on_to_off']})."
        )


if __name__ == "__main__":
    main()

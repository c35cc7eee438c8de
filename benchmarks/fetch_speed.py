"""Fetch-and-extract speed from a loopback web (issue target: at least 20 pages/s with bounded concurrency on 2
cores, memory flat over 5,000 pages), against sequential fetching measured in the same run.

The server (tests/loopback_web.py, distinct news pages at /page/N) runs in its own process and answers each page
after --latency seconds, standing for a network; the numbers are the fetcher's: HTTP, robots.txt, charset
detection and trafilatura extraction, with per-host pacing off (every page is on one host; pacing would measure
the delay, not the fetcher). The sequential baseline fetches --baseline-pages pages; a last run goes through the
whole `ingest URL` path (WARC archive and store). RSS is sampled every 100 pages.

    python benchmarks/fetch_speed.py [--pages 5000] [--baseline-pages 1000] [--latency 0.05] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from factdesk.config import IngestConfig
from factdesk.fetch import HttpFetcher
from factdesk.fetch.ingest import WebIngester
from factdesk.ingest import IngestReport
from factdesk.store import Store

HERE = Path(__file__).resolve().parent
SERVER = (
    "import sys, time; sys.path.insert(0, 'tests'); from loopback_web import LoopbackWeb; "
    "web = LoopbackWeb(); print(web.base, flush=True); time.sleep(86400)"
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sampled(items: Iterator[object], samples: list[float]) -> Iterator[object]:
    for number, item in enumerate(items, start=1):
        if number % 100 == 0:
            samples.append(rss_mb())
        yield item


def fetch_run(base: str, pages: range, concurrency: int, latency: float) -> dict[str, float]:
    fetcher = HttpFetcher(allow_private=True, host_delay=0.0, concurrency=concurrency)
    samples: list[float] = [rss_mb()]
    started = time.perf_counter()
    urls = (f"{base}/page/{n}?delay={latency}" for n in pages)
    failed = sum(1 for item in sampled(fetcher.fetch(urls), samples) if item.error)
    seconds = time.perf_counter() - started
    return _row(len(pages), failed, seconds, samples)


def ingest_run(base: str, pages: range, concurrency: int, latency: float) -> dict[str, float]:
    fetcher = HttpFetcher(allow_private=True, host_delay=0.0, concurrency=concurrency)
    samples = [rss_mb()]
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder)) as store:
        report = IngestReport()
        ingester = WebIngester(store, fetcher, IngestConfig())
        original = fetcher.fetch
        fetcher.fetch = lambda urls: sampled(original(urls), samples)  # type: ignore[method-assign,assignment]
        started = time.perf_counter()
        ingester.run([f"{base}/page/{n}?delay={latency}" for n in pages], report)
        seconds = time.perf_counter() - started
    return _row(len(pages), len(report.problems), seconds, samples)


def _row(pages: int, failed: int, seconds: float, samples: list[float]) -> dict[str, float]:
    tenth = samples[min(len(samples) - 1, max(1, len(samples) // 10))]
    return {
        "pages": pages,
        "failed": failed,
        "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 1),
        "peak_rss_mb": round(max(samples), 1),
        "rss_growth_after_first_tenth_mb": round(max(samples) - tenth, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--baseline-pages", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the server waits before each page")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "fetch_speed.json")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        fetch_run(base, range(-50, 0), 1, 0.0)  # warm-up: imports, trafilatura's first parse
        n, c = args.pages, args.concurrency
        runs = {
            "sequential (baseline)": fetch_run(base, range(args.baseline_pages), 1, args.latency),
            f"concurrency {c}": fetch_run(base, range(n, 2 * n), c, args.latency),
            f"concurrency {c}, with WARC and store": ingest_run(base, range(2 * n, 3 * n), c, args.latency),
        }
    finally:
        server.terminate()
        server.wait()
    baseline = runs["sequential (baseline)"]
    print("| run | pages | failed | s | pages/s | × baseline | peak RSS MB | RSS growth after first 10% MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in runs.items():
        row["speed_ratio"] = round(row["pages_per_s"] / baseline["pages_per_s"], 2)
        row["peak_rss_ratio"] = round(row["peak_rss_mb"] / baseline["peak_rss_mb"], 2)
        print(
            f"| {name} | {row['pages']} | {row['failed']} | {row['seconds']} | {row['pages_per_s']} | "
            f"{row['speed_ratio']} | {row['peak_rss_mb']} | {row['rss_growth_after_first_tenth_mb']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = {"pages": args.pages, "baseline_pages": args.baseline_pages, "latency_s": args.latency}
    args.out.write_text(json.dumps({**settings, "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

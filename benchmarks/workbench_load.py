"""The workbench under load (issue 15 target: 20 editors on loopback, each browsing and starting checks for 2
minutes; page p95 <= 300 ms while checks run in the background; no failed request; nothing lost).

A new store with the demo corpus (examples/kharkiv) and its claims checked, and 20 editors added through the library
(factdesk.accounts); then `factdesk serve` in its own process on a free loopback port, and the editors, each an HTTP
client with its own cookie jar in this process, as browsers would: sign in through the form, then view a page
(home, the queue with or without a filter, a fact-check, corpus search, a claimant's checks) and the stylesheet it
links, think for a while, and so on. First a baseline phase with no check running, then the measured phase: an
editor with no check of their own running starts one (the form on the home page, a demo claim tagged with who and
when) about every --check-every page views, and, like the job page's script, polls its job every 0.5 s until it is
done, then opens the fact-check. At the end no new check starts; the jobs still queued are waited for, the server
stopped, and every started check looked for in the store: stored once, with its words, and an audit entry.

    python benchmarks/workbench_load.py [--editors 20] [--duration 120] [--baseline 30] [--think 1.0]
        [--check-every 5] [--workers 1]

Latencies are measured by the clients, from sending a request to reading the whole answer, on the same 2 cores as
the server and its check workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from factdesk import FactDesk
from factdesk.accounts import Accounts
from factdesk.claims import read_claims
from factdesk.demo import demo_corpus, demo_folder
from factdesk.store import open_store

HERE = Path(__file__).resolve().parent
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEARCHES = ("regrouped troops Izium", "Balakliia", "Kharkiv counteroffensive", "settlements retaken", "rout")


@dataclass
class Tally:
    """What the clients saw: each request's latency by kind, and the requests that failed."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failed: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # GETs sent again after the server closed an idle connection
    started: dict[int, str] = field(default_factory=dict)  # job id → the claim's words
    finished: dict[int, dict[str, object]] = field(default_factory=dict)  # job id → its last status


@dataclass
class Run:
    base: str
    tally: Tally
    check_ids: list[int]
    claims: list[dict[str, str]]
    claimants: list[str]
    think: float
    check_every: float
    checking: bool = False  # the measured phase: editors start checks
    stop: float = 0.0  # when browsing ends (monotonic)


async def timed(client: httpx.AsyncClient, tally: Tally, kind: str, method: str, path: str, ok: int = 200, **kw):
    started = time.perf_counter()
    for attempt in (1, 2):
        try:
            answer = await client.request(method, path, **kw)
            break
        except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
            # A kept-alive connection the server closed (idle 5 s) as the request went out: a browser sends a GET
            # again on a new one, once; the time to the answer counts both tries.
            if method != "GET" or attempt == 2:
                tally.failed.append(f"{method} {path}: {type(exc).__name__}: {exc}")
                return None
            tally.retried.append(f"{method} {path}: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            tally.failed.append(f"{method} {path}: {type(exc).__name__}: {exc}")
            return None
    tally.latencies[kind].append(time.perf_counter() - started)
    if answer.status_code != ok:
        tally.failed.append(f"{method} {path}: HTTP {answer.status_code} (expected {ok})")
        return None
    return answer


async def view(client: httpx.AsyncClient, run: Run, kind: str, path: str) -> httpx.Response | None:
    """A page and the stylesheet it links (pages and static files are sent with Cache-Control: no-store)."""
    answer = await timed(client, run.tally, kind, "GET", path)
    await timed(client, run.tally, "static", "GET", "/static/style.css")
    return answer


async def sign_in(client: httpx.AsyncClient, run: Run, name: str) -> str:
    form = await timed(client, run.tally, "login", "GET", "/login")
    token = CSRF.search(form.text).group(1) if form is not None else ""
    fields = {"name": name, "password": PASSWORD, "csrf_token": token, "next": "/"}
    await timed(client, run.tally, "login", "POST", "/login", 303, data=fields)
    home = await view(client, run, "home", "/")
    return CSRF.search(home.text).group(1) if home is not None else ""


async def follow(client: httpx.AsyncClient, run: Run, job_id: int) -> None:
    """The job page: its script polls the job every 0.5 s, then opens the fact-check."""
    await view(client, run, "job", f"/jobs/{job_id}")
    await timed(client, run.tally, "static", "GET", "/static/job.js")
    while True:
        answer = await timed(client, run.tally, "job-poll", "GET", f"/api/jobs/{job_id}")
        status = answer.json() if answer is not None else {"state": "lost"}
        if status["state"] in ("done", "failed", "lost"):
            run.tally.finished[job_id] = status
            break
        await asyncio.sleep(0.5)
    if status["state"] == "done":
        run.check_ids.append(int(status["check_id"]))
        await view(client, run, "check", f"/checks/{status['check_id']}")


async def editor(run: Run, name: str, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=run.base, timeout=60, follow_redirects=False) as client:
        csrf = await sign_in(client, run, name)
        following: asyncio.Task | None = None
        views = 0
        while time.monotonic() < run.stop:
            views += 1
            if run.checking and following is None and rng.random() < 1 / run.check_every:
                claim = rng.choice(run.claims)
                words = f"{claim['claim']} [{name} {views}]"
                fields = {**claim, "claim": words, "csrf_token": csrf}
                answer = await timed(client, run.tally, "start-check", "POST", "/check", 303, data=fields)
                if answer is not None:
                    job_id = int(answer.headers["location"].rsplit("/", 1)[1])
                    run.tally.started[job_id] = words
                    following = asyncio.create_task(follow(client, run, job_id))
            else:
                choice = rng.choices(("home", "queue", "check", "search", "claimant"), (1, 3, 3, 2, 1))[0]
                if choice == "home":
                    await view(client, run, "home", "/")
                elif choice == "queue":
                    query = rng.choice(({}, {"state": "new"}, {"q": "Izium"}, {"claimant": rng.choice(run.claimants)}))
                    await view(client, run, "queue", "/queue?" + "&".join(f"{k}={v}" for k, v in query.items()))
                elif choice == "check":
                    await view(client, run, "check", f"/checks/{rng.choice(run.check_ids)}")
                elif choice == "search":
                    await view(client, run, "search", f"/search?q={rng.choice(SEARCHES)}")
                else:
                    await view(client, run, "claimant", f"/claimants/{rng.choice(run.claimants)}")
            await asyncio.sleep(rng.uniform(0.5, 1.5) * run.think)
            if following is not None and following.done():
                following = None
        if following is not None:
            await following  # the job page stays open until its check is done


async def phase(run: Run, editors: int, seconds: float, checking: bool, seed: int) -> float:
    run.checking, run.stop = checking, time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(editor(run, f"editor{n:02}", seed + n) for n in range(1, editors + 1)))
    return time.monotonic() - started


def summary(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    rows = {}
    pages = [
        x for kind, xs in latencies.items() if kind not in ("static", "job-poll", "login", "start-check") for x in xs
    ]
    for kind, xs in {"pages (all)": pages, **dict(sorted(latencies.items()))}.items():
        if xs:
            ordered = sorted(xs)
            rows[kind] = {
                "requests": len(xs),
                "median_ms": round(statistics.median(xs) * 1000, 1),
                "p95_ms": round(ordered[math.ceil(len(xs) * 0.95) - 1] * 1000, 1),  # nearest rank
                "max_ms": round(ordered[-1] * 1000, 1),
            }
    return rows


def table(title: str, rows: dict[str, dict[str, float]]) -> str:
    lines = [f"{title}\n", "| requests | n | median ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {r['requests']} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']} |" for k, r in rows.items()]
    return "\n".join(lines)


def prepare(root: Path, editors: int) -> tuple[list[dict[str, str]], list[int]]:
    """The demo corpus, its claims checked (so there are checks to browse) and the editors' accounts."""
    claims = []
    for item in read_claims(demo_folder() / "claims.jsonl"):
        c = item.claim
        assert c is not None
        claims.append({"claim": c.text, "claimant": c.claimant, "role": c.claimant_role,
                       "date": c.date.isoformat() if c.date else "", "url": c.appearance_url})  # fmt: skip
    with FactDesk(root / "store") as desk:
        assert desk.ingest([demo_corpus()]).ok
        ids = [desk.save(desk.check(item.claim, save=False)) for item in read_claims(demo_folder() / "claims.jsonl")]
        accounts = Accounts(desk.store)
        for n in range(1, editors + 1):
            accounts.add(f"editor{n:02}", "editor", PASSWORD)
    return claims, ids


def warm_up(base: str, check_ids: list[int], claimants: list[str]) -> None:
    """Each kind of page once, unmeasured: the first search loads the retriever's models."""
    run = Run(base, Tally(), check_ids, [], claimants, 0.0, 1.0)

    async def pages() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            await sign_in(client, run, "editor01")
            for path in ("/queue", f"/checks/{check_ids[0]}", f"/search?q={SEARCHES[0]}", f"/claimants/{claimants[0]}"):
                await view(client, run, "warm-up", path)

    asyncio.run(pages())
    assert not run.tally.failed, run.tally.failed


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(HERE.parent)) if resolved.is_relative_to(HERE.parent) else str(resolved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of browsing and checking")
    parser.add_argument("--baseline", type=float, default=30.0, help="seconds of browsing alone, before")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between an editor's page views")
    parser.add_argument("--check-every", type=float, default=5.0, help="mean page views between an editor's checks")
    parser.add_argument("--workers", type=int, default=1, help="the server's check workers")
    parser.add_argument("--drain", type=float, default=900.0, help="seconds to wait for the last checks")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "workbench_load.json")
    args = parser.parse_args()
    load_at_start = [round(x, 2) for x in os.getloadavg()]  # the machine is shared: how busy it was

    with tempfile.TemporaryDirectory(prefix="factdesk-load-") as tmp:
        root = Path(tmp)
        claims, seeded = prepare(root, args.editors)
        server = subprocess.Popen(
            [sys.executable, "-m", "factdesk", "--store", str(root / "store"), "serve", "--host", "127.0.0.1",
             "--port", "0", "--out", str(root / "site"), "--workers", str(args.workers)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        try:
            assert server.stdout is not None
            base = re.search(r"http://[\d.]+:\d+", server.stdout.readline()).group(0)  # type: ignore[union-attr]
            claimants = sorted({c["claimant"] for c in claims})
            warm_up(base, seeded, claimants)
            baseline = Run(base, Tally(), list(seeded), claims, claimants, args.think, args.check_every)
            idle_s = asyncio.run(phase(baseline, args.editors, args.baseline, False, args.seed))
            run = Run(base, Tally(), list(seeded), claims, claimants, args.think, args.check_every)
            started = time.monotonic()
            loaded_s = asyncio.run(phase(run, args.editors, args.duration, True, args.seed + 100))
            drained_s = loaded_s - args.duration
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=max(60, args.drain))
        assert time.monotonic() - started < args.duration + args.drain + 60

        with open_store(root / "store") as store:
            stored = store.stats()["factchecks"]
            claims_stored = [str(r["claim"]) for r in store.recent_factchecks(limit=100_000)]
            audit = [e for e in store.audit_log() if e["action"] == "check-start"]
    started_words = list(run.tally.started.values())
    done = [j for j, s in run.tally.finished.items() if s["state"] == "done"]
    lost = [j for j, words in run.tally.started.items() if claims_stored.count(words) != 1]
    result = {
        "settings": {k: (_shown(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "cpu_count": os.cpu_count(),
        "load_average": {"start": load_at_start, "end": [round(x, 2) for x in os.getloadavg()]},  # 1, 5, 15 min
        "baseline": {
            "seconds": round(idle_s, 1),
            "latency": summary(baseline.tally.latencies),
            "failed": baseline.tally.failed,
            "retried": baseline.tally.retried,
        },
        "loaded": {
            "seconds": round(loaded_s, 1),
            "drain_seconds": round(drained_s, 1),
            "latency": summary(run.tally.latencies),
            "failed": run.tally.failed,
            "retried": run.tally.retried,
        },
        "checks": {
            "started": len(started_words),
            "done": len(done),
            "failed": len(run.tally.finished) - len(done),
            "stored_before": len(seeded),
            "stored_after": stored,
            "audited_starts": len(audit),
            "lost": len(lost),
        },
    }
    pages = result["loaded"]["latency"]["pages (all)"]
    idle = result["baseline"]["latency"]["pages (all)"]
    result["page_p95_ms"] = pages["p95_ms"]
    result["page_median_ms"] = pages["median_ms"]
    result["page_p95_vs_baseline"] = round(pages["p95_ms"] / idle["p95_ms"], 2)
    result["target_met"] = (
        pages["p95_ms"] <= 300
        and not run.tally.failed
        and not baseline.tally.failed
        and not lost
        and stored == len(seeded) + len(started_words)
        and len(audit) == len(started_words)
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        table(
            f"Baseline: {args.editors} editors browsing, no check running ({idle_s:.0f} s)",
            result["baseline"]["latency"],
        )
    )
    print()
    loaded_title = f"Loaded: {args.editors} editors browsing and starting checks ({args.duration:.0f} s"
    print(table(f"{loaded_title}, then {drained_s:.0f} s for the last checks)", result["loaded"]["latency"]))
    print()
    c = result["checks"]
    print(f"Checks: {c['started']} started, {c['done']} done, {c['failed']} failed; fact-checks in the store"
          f" {c['stored_before']} before, {c['stored_after']} after; {c['audited_starts']} audited starts;"
          f" {c['lost']} lost.")  # fmt: skip
    retried = f"{len(baseline.tally.retried)} and {len(run.tally.retried)}"
    print(f"Failed requests: {len(baseline.tally.failed)} baseline, {len(run.tally.failed)} loaded; GETs sent again"
          f" after the server closed an idle connection: {retried}.")  # fmt: skip
    for line in (baseline.tally.failed + run.tally.failed)[:20]:
        print(f"  {line}")
    verdict = "met" if result["target_met"] else "MISSED"
    print(f"Page p95 {pages['p95_ms']} ms (median {pages['median_ms']} ms), {result['page_p95_vs_baseline']}x the"
          f" baseline's; target (p95 <= 300 ms, no failure, nothing lost) {verdict}.")  # fmt: skip
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()

"""The Ray batch engine against the single-process batch, in one run on the same claims and store.

1. **Overhead.** ``factdesk check --claims IN --out OUT`` (one process) and the same with ``--engine ray`` (a local
   Ray started by the command, one worker per core, each with one model thread), each timed end to end as a user
   runs it (start-up, model loading and, for Ray, starting and stopping Ray included); the two outputs must be
   identical. The target: the Ray run no more than 15% slower on 500 claims.
2. **A node lost mid-run** (``--cluster``). A 2-node Ray cluster on this machine, both nodes started here with
   ``ray start --block``: a head with 2 CPUs and a worker node with 1, so that the pool's 2 workers (1 CPU each)
   spread over both, and the head has room for the worker whose node dies. ``factdesk check --engine ray
   --address HEAD --workers 2`` runs on it; once a quarter of the lines are written, the worker node's process
   group (its raylet and the actors on it) is SIGKILLed. The batch must still complete, and its output must be
   identical to the single-process run's. Both nodes are the benchmark's own processes and are ended by it.

Claims: the demo's five claims (``examples/kharkiv``), cycled, the i-th dated i // 5 days earlier (modulo 10), so
their evidence differs; the store is the demo corpus. Both runs see the same store, output file names and
environment; the checks they save go to the same store (and do not change any later check).

    python benchmarks/ray_batch.py --claims 500 --cluster     # the issue's run
    python benchmarks/ray_batch.py                            # a smoke run: 20 claims, overhead only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from factdesk.demo import demo_corpus, demo_folder
from factdesk.onnx_model import cpu_cores

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results" / "ray_batch.json"
RAY = Path(sys.executable).with_name("ray")
TOKEN = secrets.token_hex(32)


def claims(n: int) -> list[dict]:
    base = [json.loads(line) for line in (demo_folder() / "claims.jsonl").read_text().splitlines()]
    rows = []
    for i in range(n):
        claim = base[i % len(base)]
        day = date.fromisoformat(claim["date"]) - timedelta(days=(i // len(base)) % 10)
        rows.append({**claim, "id": f"{claim['id']}-{i:04d}", "date": day.isoformat()})
    return rows


def env() -> dict[str, str]:
    """This checkout first on the path, for the command and every Ray worker it starts; and the token that the
    benchmark's cluster nodes and the commands that connect to them share (Ray's token authentication)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": TOKEN}


def factdesk(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "factdesk", "--store", str(store), *args]


def timed(command: list[str], out: Path | None = None) -> dict[str, float]:
    """Runs ``command``: its wall time and, with ``out``, when the first line reached it and the seconds per line
    after that (the steady rate, start-up excluded), from polling the file every 20 ms."""
    start = time.perf_counter()
    process, stdout, stderr = launch(command)
    seen: list[float] = []  # when each line was first seen
    while process.poll() is None:
        if out is not None:
            seen += [time.perf_counter() - start] * (lines(out) - len(seen))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    finished(command, process, stdout, stderr)
    if out is None:
        return {"seconds": round(wall, 1)}
    seen += [wall] * (lines(out) - len(seen))
    rate = (seen[-1] - seen[0]) / (len(seen) - 1) if len(seen) > 1 else float("nan")
    return {"seconds": round(wall, 1), "first_line_s": round(seen[0], 1), "s_per_claim_after_first": round(rate, 3)}


def launch(command: list[str]) -> tuple[subprocess.Popen, IO[bytes], IO[bytes]]:
    """``command`` started, its output going to temporary files (a pipe left unread could fill and stall it)."""
    stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115  (closed by finished())
    return subprocess.Popen(command, env=env(), cwd=REPO, stdout=stdout, stderr=stderr), stdout, stderr


def finished(command: list[str], process: subprocess.Popen, stdout: IO[bytes], stderr: IO[bytes]) -> str:
    """Waits for ``process``; its standard output, or the end of its errors and a non-zero exit."""
    process.wait()
    with stdout, stderr:
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode != 0:
            errors = stderr.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors}")
        return stdout.read().decode(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ray_node(*args: str) -> subprocess.Popen:
    """``ray start ... --block`` in a process group of its own, ended with it; every port its own."""
    ports = {
        "--node-manager-port": free_port(),
        "--object-manager-port": free_port(),
        "--dashboard-agent-listen-port": free_port(),
        "--dashboard-agent-grpc-port": free_port(),
        "--runtime-env-agent-port": free_port(),
        "--metrics-export-port": free_port(),
    }
    command = [str(RAY), "start", "--block", "--disable-usage-stats", "--object-store-memory", str(300 << 20), *args]
    command += [str(part) for option, port in ports.items() for part in (option, port)]
    return subprocess.Popen(
        command, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Ray's workers run in process groups of their own, below their raylet)."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit():
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(proc.name))
        except OSError:
            continue
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def map_workers_below(pid: int) -> int:
    """Ray Data workers (``ray::MapWorker`` processes) below ``pid``."""
    count = 0
    for child in descendants(pid):
        with contextlib.suppress(OSError):
            count += b"MapWorker" in Path(f"/proc/{child}/cmdline").read_bytes()
    return count


def end(node: subprocess.Popen) -> None:
    """SIGKILLs a node started by ``ray_node``: its process group and every process below it."""
    below = descendants(node.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.pid, signal.SIGKILL)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    node.wait()


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def cluster_run(store: Path, claims_path: Path, out: Path, total: int) -> dict:
    port = free_port()
    address = f"127.0.0.1:{port}"
    head = ray_node("--head", "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
                    "--node-ip-address", "127.0.0.1")  # fmt: skip
    worker = None
    try:
        time.sleep(8)  # the head's GCS up
        worker = ray_node("--address", address, "--num-cpus", "1", "--node-ip-address", "127.0.0.1")
        time.sleep(8)  # the worker node registered
        command = factdesk(store, "check", "--claims", str(claims_path), "--out", str(out), "--engine", "ray",
                           "--address", address, "--workers", "2")  # fmt: skip
        start = time.perf_counter()
        run, stdout, stderr = launch(command)
        while run.poll() is None and lines(out) < max(1, total // 4):
            time.sleep(0.05)
        killed_at, on_worker = lines(out), map_workers_below(worker.pid)
        end(worker)
        print(f"killed the worker node ({on_worker} Ray Data workers on it) after {killed_at} lines", flush=True)
        summary = finished(command, run, stdout, stderr).strip().splitlines()[-1]
        return {
            "seconds": round(time.perf_counter() - start, 1),
            "lines_when_killed": killed_at,
            "map_workers_on_killed_node": on_worker,
            "summary": summary,
        }
    finally:
        if worker is not None:
            end(worker)
        end(head)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--cluster", action="store_true", help="also the 2-node run with the worker node killed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ray-batch-") as folder:
        root = Path(folder)
        store = root / "store"
        timed(factdesk(store, "ingest", str(demo_corpus())))
        claims_path = root / "claims.jsonl"
        claims_path.write_text("".join(json.dumps(c) + "\n" for c in claims(args.claims)))
        outputs = {name: root / f"{name}.jsonl" for name in ("local", "ray", "cluster")}
        check = ["check", "--claims", str(claims_path), "--out"]
        local = timed(factdesk(store, *check, str(outputs["local"])), outputs["local"])
        print(f"single process: {local}", flush=True)
        ray = timed(factdesk(store, *check, str(outputs["ray"]), "--engine", "ray"), outputs["ray"])
        print(f"ray (local): {ray}", flush=True)
        reference = outputs["local"].read_text()
        result: dict = {
            "claims": args.claims,
            "cores": cpu_cores(),
            "single_process": local,
            "ray_local": ray,
            "ray_over_single": round(ray["seconds"] / local["seconds"], 3),
            "ray_output_identical": outputs["ray"].read_text() == reference,
        }
        if args.cluster:
            result["cluster"] = cluster_run(store, claims_path, outputs["cluster"], args.claims)
            result["cluster"]["output_identical"] = outputs["cluster"].read_text() == reference
    print(json.dumps(result, indent=2))
    print("\n| claims | cores | run | seconds | first line s | s/claim after | Ray / single | identical |")
    print("|---|---|---|---|---|---|---|---|")
    for name, key in (("single process", "single_process"), ("Ray, local", "ray_local")):
        r = result[key]
        ratio, same = (result["ray_over_single"], result["ray_output_identical"]) if key == "ray_local" else ("", "")
        print(f"| {args.claims} | {result['cores']} | {name} | {r['seconds']} | {r['first_line_s']} "
              f"| {r['s_per_claim_after_first']} | {ratio} | {same} |")  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    identical = result["ray_output_identical"] and result.get("cluster", {}).get("output_identical", True)
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""`factdesk check --engine ray`: the batch on Ray Data workers writes the same lines as one process, saves the
checks in the store, and a run killed mid-way resumes with no line lost or written twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_subprocess, write_jsonl
from test_store_backends import new_pg_database, postgres_admin  # noqa: F401  (fixtures)

from factdesk.batch.ray_engine import pool_size
from factdesk.demo import demo_corpus, demo_folder
from factdesk.store import open_store
from factdesk.store.base import DB_NAME


def _ray_installed() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


without_ray = pytest.mark.skipif(not _ray_installed(), reason="ray is not installed (the `ray` extra)")
needs_ray = pytest.mark.slow(without_ray)  # starts Ray: slow


def _claims() -> list[dict]:
    """The demo's claims, and the first three again with an earlier date (so less evidence)."""
    claims = [json.loads(line) for line in (demo_folder() / "claims.jsonl").read_text().splitlines()]
    earlier = [{**c, "id": f"{c['id']}-early", "date": "2022-09-05"} for c in claims[:3]]
    return claims + earlier


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo store, a claims file, and the single-process batch's output on it (the reference)."""
    root = tmp_path_factory.mktemp("ray")
    store = root / "store"
    ingest = run_subprocess("--store", str(store), "ingest", str(demo_corpus()), cwd=REPO)
    assert ingest.returncode == 0, ingest.stderr
    claims = write_jsonl(root / "claims.jsonl", _claims())
    local = root / "local.jsonl"
    result = run_subprocess("--store", str(store), "check", "--claims", str(claims), "--out", str(local), cwd=REPO)
    assert result.returncode == 0, result.stderr
    return {"store": store, "claims": claims, "local": local}


def _factchecks(store: Path) -> int:
    with sqlite3.connect(store / DB_NAME) as conn:
        return conn.execute("SELECT COUNT(*) FROM factchecks").fetchone()[0]


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


@needs_ray
def test_ray_batch_writes_the_lines_one_process_writes_and_saves_the_checks(demo_store, tmp_path):
    store, claims, local = demo_store["store"], demo_store["claims"], demo_store["local"]
    before = _factchecks(store)
    out = tmp_path / "ray.jsonl"

    result = run_subprocess(
        "--store", str(store), "check", "--claims", str(claims), "--out", str(out), "--engine", "ray",
        "--workers", "2", cwd=REPO,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert f"8 checked, 0 already in {out}, 0 skipped as repeated ids, 0 failed, 0 bad lines." in result.stdout
    # the same lines, in the same order: verdict, label, confidence, evidence and cited spans alike
    assert out.read_text(encoding="utf-8") == local.read_text(encoding="utf-8")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["label"] for r in records} >= {"Refuted"} and all(r["evidence"] for r in records)
    assert _factchecks(store) == before + 8  # saved by the driver; the workers only read the store

    again = run_subprocess(
        "--store", str(store), "check", "--claims", str(claims), "--out", str(out), "--engine", "ray", cwd=REPO
    )
    assert again.returncode == 0, again.stderr
    assert f"0 checked, 8 already in {out}" in again.stdout
    assert _factchecks(store) == before + 8


@needs_ray
def test_ray_batch_killed_mid_run_resumes_without_a_duplicate_or_a_missing_line(demo_store, tmp_path):
    store, claims, local = demo_store["store"], demo_store["claims"], demo_store["local"]
    out = tmp_path / "ray.jsonl"
    args = ["--store", str(store), "check", "--claims", str(claims), "--out", str(out), "--engine", "ray"]
    process = subprocess.Popen(
        [sys.executable, "-m", "factdesk", *args, "--workers", "2"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the Ray processes it started are ended with it below
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 1:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)  # the driver dies with claims in flight on the workers
        process.wait()
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # what is left of its Ray (Ray's agents outlive a killed driver)
    written = _ids(out)
    assert 0 < len(written) < 8, f"the kill must land mid-run, after {len(written)} lines"

    rerun = run_subprocess(*args, cwd=REPO)

    assert rerun.returncode == 0, rerun.stderr
    assert f"{8 - len(written)} checked, {len(written)} already in {out}" in rerun.stdout
    assert _ids(out) == [c["id"] for c in _claims()]  # each claim once, none missing, in input order
    assert out.read_text(encoding="utf-8") == local.read_text(encoding="utf-8")


def test_without_ray_the_ray_engine_says_which_extra_to_install(tmp_path):
    claims = write_jsonl(tmp_path / "claims.jsonl", [{"id": "k0", "claim": "The bridge reopened"}])
    script = f"""
import sys
sys.modules["ray"] = None  # as if the ray extra were not installed
from factdesk.cli.main import cli
args = ["check", "--claims", {str(claims)!r}, "--out", {str(tmp_path / "out.jsonl")!r}, "--engine", "ray"]
sys.exit(cli.main(["--store", {str(tmp_path / "store")!r}, *args], standalone_mode=True))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--engine ray needs ray (the `ray` extra): pip install -e '.[ray]'" in result.stderr
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "store").exists()


@without_ray
def test_an_unreachable_cluster_address_fails_at_once_naming_it(factdesk, tmp_path):
    text = tmp_path / "bridge.txt"
    text.write_text("The Harwick bridge reopened to traffic on 3 May 2022.\n", encoding="utf-8")
    assert factdesk("ingest", str(text)).exit_code == 0
    claims = write_jsonl(tmp_path / "claims.jsonl", [{"id": "k0", "claim": "The Harwick bridge reopened"}])
    out = tmp_path / "out.jsonl"

    args = ["--claims", str(claims), "--out", str(out), "--engine", "ray", "--address", "127.0.0.1:1"]
    result = factdesk("check", *args)

    assert result.exit_code == 2
    assert "error: cannot connect to the Ray cluster at 127.0.0.1:1: Connection refused" in result.stderr
    assert out.read_text() == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claims", "in.jsonl", "--out", "out.jsonl", "--workers", "2"], "--address and --workers go with"),
        (["--claims", "in.jsonl", "--out", "out.jsonl", "--engine", "ray", "--web"], "--web runs with the local"),
        (["The bridge reopened", "--engine", "ray"], "batch mode takes --claims IN.jsonl and --out OUT.jsonl"),
    ],
)
def test_ray_options_outside_a_ray_batch_are_usage_errors(factdesk, args, message):
    result = factdesk("check", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_the_pool_shares_the_cluster_cpus_out_within_the_largest_node():
    assert pool_size([2], None) == (2, 1)  # by default one worker per CPU
    assert pool_size([8], 2) == (2, 4)
    assert pool_size([4, 4], 1) == (1, 4)  # no more CPUs than one node has
    assert pool_size([2], 4) == (4, 1)  # at least one each


@needs_ray
def test_ray_batch_on_a_postgresql_store_matches_one_process(request, tmp_path):
    """The workers read the PostgreSQL store over connections of their own; the driver saves the checks."""
    location = request.getfixturevalue("new_pg_database")
    assert run_subprocess("--store", location, "ingest", str(demo_corpus()), cwd=REPO).returncode == 0
    import psycopg  # the fixture above has skipped the test when PostgreSQL is not there

    with psycopg.connect(location, autocommit=True) as conn:
        # Lexical ranking weighs words by the planner's statistics: gather them now, so that an autovacuum ANALYZE
        # landing between the two runs (it did on a loaded machine) cannot rank them differently.
        conn.execute("ANALYZE passages")
    claims = write_jsonl(tmp_path / "claims.jsonl", _claims()[:3])
    outputs = {}
    for engine in ("local", "ray"):
        outputs[engine] = tmp_path / f"{engine}.jsonl"
        args = ["check", "--claims", str(claims), "--out", str(outputs[engine]), "--engine", engine]
        result = run_subprocess("--store", location, *args, cwd=REPO)
        assert result.returncode == 0, result.stderr
        assert "3 checked, 0 already in" in result.stdout
    assert outputs["ray"].read_text(encoding="utf-8") == outputs["local"].read_text(encoding="utf-8")
    with open_store(location) as store:
        assert store.stats()["factchecks"] == 6


@needs_ray
def test_a_model_that_cannot_load_on_the_workers_stops_the_batch_as_in_one_process(demo_store, tmp_path):
    config = tmp_path / "factdesk.toml"
    config.write_text(f'[verify.stance_model]\nname = "cross-encoder"\nmodel_dir = "{tmp_path / "no-model"}"\n')
    errors = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"{engine}.jsonl"
        args = ["check", "--claims", str(demo_store["claims"]), "--out", str(out), "--engine", engine]
        result = run_subprocess("--store", str(demo_store["store"]), "--config", str(config), *args, cwd=REPO)
        assert result.returncode == 2, result.stderr
        assert out.read_text() == ""
        errors[engine] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors["ray"] == errors["local"] and len(errors["local"]) == 1
    assert str(tmp_path / "no-model") in errors["local"][0]

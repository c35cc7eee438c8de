"""Killing `factdesk ingest` mid-run loses nothing committed, and a rerun completes the job."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import synthetic
from conftest import REPO, run_subprocess, write_jsonl

BATCH = 50


def count(db) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0


@pytest.mark.slow
def test_kill_during_ingest_then_rerun(tmp_path):
    corpus = write_jsonl(tmp_path / "big.jsonl", synthetic.corpus(20000, seed=3))
    config = tmp_path / "factdesk.toml"
    config.write_text(f"[ingest]\nbatch_size = {BATCH}\n")
    store = tmp_path / "store"
    db = store / "factdesk.sqlite3"
    args = [sys.executable, "-m", "factdesk", "--store", str(store), "--config", str(config), "ingest", str(corpus)]

    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists() and count(db) >= 5 * BATCH:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = count(db)
    assert 0 < killed_at < 20000, "the kill must land mid-run"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        assert killed_at % BATCH == 0, "only whole batches are ever committed"
        orphans = conn.execute(
            "SELECT COUNT(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.doc_id = d.id)"
        ).fetchone()[0]
        assert orphans == 0

    rerun = run_subprocess("--store", str(store), "--config", str(config), "ingest", str(corpus), cwd=REPO)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 files (0 read before, 1 resumed)" in rerun.stdout  # from the marker of the last batch committed
    assert f"{20000 - killed_at} added, 0 already stored" in rerun.stdout
    assert count(db) == 20000

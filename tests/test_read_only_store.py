"""A write-protected store through the CLI: read commands answer from it without writing a byte (no schema set-up,
no index rebuild, no -wal file), and commands that must write stop with one line naming the read-only folder."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_jsonl
from test_match import review

from factdesk.store import Store

BRIDGE = (
    "The Harwick bridge reopened to traffic on 3 May 2022\n"
    "after repairs lasting 14 months, the council said.\n\n"
    "Officials called the repair a success."
)


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``root``: its bytes, mtime and mode."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


@pytest.fixture
def read_only(factdesk, store, tmp_path) -> Iterator[Path]:
    """A store with one ingested text file and one imported review, then write-protected (chmod a-w)."""
    text = tmp_path / "bridge.txt"
    text.write_text(BRIDGE, encoding="utf-8")
    reviews = write_jsonl(tmp_path / "reviews.jsonl", [review(1, "The Harwick bridge reopened in May 2022.", "True")])
    assert factdesk("ingest", str(text)).exit_code == 0
    assert factdesk("import-reviews", str(reviews)).exit_code == 0
    _set_writable(store, False)
    yield store
    _set_writable(store, True)


def test_read_commands_answer_from_a_read_only_store_without_writing(factdesk, read_only, tmp_path):
    before = _snapshot(read_only)
    assert Store.is_read_only(read_only)  # write-protected, even for root, whom chmod does not stop

    info = factdesk("info")
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["documents"] == 1

    match = factdesk("match", "The Harwick bridge reopened", "--format", "json")
    assert match.exit_code == 0, match.output
    assert json.loads(match.stdout)[0]["url"] == "https://checkers.example/review-1"

    assert factdesk("claims", "--by", "Mayor Jones").exit_code == 0
    assert factdesk("published").exit_code == 0

    check = factdesk("check", "The Harwick bridge reopened to traffic", "--date", "2022-06-01", "--format", "json")
    assert check.exit_code == 0, check.output
    record = json.loads(check.stdout)
    assert record["evidence"], "the lexical and dense indexes were searched"
    assert f"Not saved: the store {read_only} is read-only." in check.stderr
    again = factdesk("check", "The Harwick bridge reopened to traffic", "--date", "2022-06-01", "--format", "json")
    assert record["id"].startswith("sha256:") and json.loads(again.stdout)["id"] == record["id"]  # not stored: a hash

    claims = write_jsonl(tmp_path / "claims.jsonl", [{"id": "k1", "claim": "The Harwick bridge reopened"}])
    out = tmp_path / "out.jsonl"
    batch = factdesk("check", "--claims", str(claims), "--out", str(out))
    assert batch.exit_code == 0, batch.output
    assert f"1 checked, 0 already in {out}" in batch.stdout and "Not saved in the read-only store" in batch.stdout
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["k1"]

    assert _snapshot(read_only) == before  # no schema set-up, no cache, no index rebuild, no -wal or -shm file


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "{tmp}/more.txt"],
        ["import-reviews", "{tmp}/reviews.jsonl"],
        ["index"],
        ["index", "--rebuild"],
        ["publish", "1", "--out", "{tmp}/site"],
        ["correct", "some-slug", "--note", "x", "--out", "{tmp}/site"],
    ],
)
def test_commands_that_write_say_the_store_is_read_only(factdesk, read_only, tmp_path, command):
    (tmp_path / "more.txt").write_text("The bridge closed again in June 2022.", encoding="utf-8")
    before = _snapshot(read_only)

    result = factdesk(*(arg.format(tmp=tmp_path) for arg in command))

    assert result.exit_code == 2
    assert result.stderr == f"error: the store {read_only} is read-only; this command writes to it\n"
    assert _snapshot(read_only) == before
    assert not (tmp_path / "site").exists()


def test_a_read_only_store_whose_index_needs_rebuilding_is_a_clear_error(factdesk, store, tmp_path):
    text = tmp_path / "bridge.txt"
    text.write_text(BRIDGE, encoding="utf-8")
    assert factdesk("ingest", str(text)).exit_code == 0
    shutil.rmtree(store / "passages.tantivy-plain")
    _set_writable(store, False)
    try:
        result = factdesk("check", "The Harwick bridge reopened")
    finally:
        _set_writable(store, True)
    assert result.exit_code == 2
    assert (
        f"error: the store {store} is read-only; its lexical index passages.tantivy-plain needs rebuilding "
        "(`factdesk index`)" in result.stderr
    )
    assert not (store / "passages.tantivy-plain").exists()

"""Copying a store to another, across backends (``factdesk migrate``): every table's rows, in one transaction on
the destination, then each table's row count and content hash compared on both sides."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from factdesk.errors import FactdeskError
from factdesk.store.backend import StoreBackend
from factdesk.store.schema import TABLES


@dataclass(frozen=True, slots=True)
class TableDigest:
    rows: int
    sha256: str


def _row_digest(row: tuple[object, ...]) -> bytes:
    """One row's hash, the same whichever backend read it (bytes as hex, floats by ``repr``)."""
    values = [
        value.hex() if isinstance(value, bytes) else repr(value) if isinstance(value, float) else value for value in row
    ]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode("utf-8")).digest()


def digests(store: StoreBackend) -> dict[str, TableDigest]:
    """Each table's row count and a hash of its rows that does not depend on the order they are read in."""
    found = {}
    for table in TABLES:
        rows = sorted(_row_digest(row) for row in store.table_rows(table))
        found[table] = TableDigest(len(rows), hashlib.sha256(b"".join(rows)).hexdigest())
    return found


def is_empty(found: dict[str, TableDigest]) -> bool:
    """Whether a store holds nothing but what a new one has (its ``meta`` rows)."""
    return all(digest.rows == 0 for table, digest in found.items() if table != "meta")


def copy_store(source: StoreBackend, target: StoreBackend) -> dict[str, TableDigest]:
    """Copies ``source`` into ``target``, which must be new (empty) or already hold the same content (then nothing
    is written). Verifies that every table's count and hash match and returns them."""
    want = digests(source)
    have = digests(target)
    if have != want:
        if not is_empty(have):
            differ = ", ".join(table for table in TABLES if have[table] != want[table])
            raise FactdeskError(
                f"{target.location} already holds a store that differs from {source.location} ({differ});"
                " migrate copies only into a new store"
            )
        target.copy_rows({table: source.table_rows(table) for table in TABLES})
        have = digests(target)
    if have != want:
        differ = ", ".join(f"{t} ({have[t].rows} rows, {want[t].rows} expected)" for t in TABLES if have[t] != want[t])
        raise FactdeskError(f"the copy in {target.location} does not match {source.location}: {differ}")
    return have

"""Opening a store: its folder and database, the schema check (and migration), transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from factdesk.errors import FactdeskError
from factdesk.store.schema import SCHEMA_VERSION, check_version, migrate, schema_version

DB_NAME = "factdesk.sqlite3"


class StoreBase:
    """One SQLite database in a folder. Every write is one transaction; reads run no DDL."""

    @staticmethod
    def exists(root: Path) -> bool:
        """Whether ``root`` holds a store (its database file)."""
        return (Path(root) / DB_NAME).is_file()

    @staticmethod
    def is_read_only(root: Path) -> bool:
        """Whether the store in ``root`` cannot be written: its folder or database is not writable by us, or is
        write-protected (no write permission for anyone, which root would otherwise ignore)."""
        paths = [p for p in (Path(root), Path(root) / DB_NAME) if p.exists()]
        return any(not os.access(p, os.W_OK) or not p.stat().st_mode & 0o222 for p in paths)

    def __init__(self, root: Path, read_only: bool = False) -> None:
        """``read_only`` opens a writable store as a reader that never writes (a batch worker, while the driver
        writes); a write-protected store is always opened so."""
        self.root = Path(root)
        protected = StoreBase.exists(self.root) and StoreBase.is_read_only(self.root)
        self.read_only = read_only or protected
        path = self.root / DB_NAME
        if read_only and not StoreBase.exists(self.root):
            raise FactdeskError(f"{self.root}: no store to open read-only")
        try:
            if self.read_only:
                self._conn = sqlite3.connect(
                    self._read_only_uri(protected), uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                self.root.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise FactdeskError(f"{self.root}: cannot open store: {exc}") from exc
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys=ON")
        try:
            self._open_schema(path)
        except BaseException:
            self._conn.close()
            raise

    def _open_schema(self, path: Path) -> None:
        """Checks the recorded schema version; a writable store that is older is migrated."""
        version = schema_version(self._conn)
        check_version(version, path)
        if version < SCHEMA_VERSION and self.read_only:
            raise FactdeskError(
                f"{path}: the store's schema is version {version} and this factdesk reads version"
                f" {SCHEMA_VERSION}; open it once with write permission to migrate it"
            )
        if not self.read_only:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        if version < SCHEMA_VERSION:
            migrate(self._conn, path)

    @property
    def location(self) -> str:
        return str(self.root)

    @property
    def folder(self) -> Path:
        return self.root

    def _read_only_uri(self, protected: bool) -> str:
        """An SQLite URI that never writes to the database. A write-protected store is read ``immutable`` (no -shm
        or -wal file is made) unless a -wal file is there, whose transactions must then be read through the
        shared-memory file; a writable one may be written by another process meanwhile, so it never is."""
        path = (self.root / DB_NAME).resolve()
        wal = path.with_name(f"{DB_NAME}-wal")
        return f"{path.as_uri()}?mode=ro" + ("&immutable=1" if protected and not wal.exists() else "")

    def require_writable(self, why: str = "this command writes to it") -> None:
        """Raises the error a write to a read-only store gets: one line naming the folder, and why it must write."""
        if self.read_only:
            raise FactdeskError(f"the store {self.root} is read-only; {why}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.require_writable()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

"""The embedded store: SQLite (WAL) is the source of truth, with FTS5 over passages and an append-only audit log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from factdesk.store.checks import Checks
from factdesk.store.desk import Desk
from factdesk.store.fetches import Fetches
from factdesk.store.intake import Intake
from factdesk.store.schema import TABLES
from factdesk.store.search import Search
from factdesk.store.serving import Serving
from factdesk.store.users import Users


class Store(Checks, Desk, Search, Intake, Fetches, Users, Serving):
    """One SQLite database in a folder: the corpus (``documents``), passage search (``search``), claims and
    fact-checks (``checks``), claim intake (``intake``), the fetch log (``fetches``), accounts and sign-offs
    (``users``), the desk's work on checks (``desk``), the workbench's sessions and jobs (``serving``), on a schema
    kept by ordered migrations (``schema``). Every write is one transaction; reads run no DDL."""

    def table_rows(self, table: str) -> Iterator[tuple[object, ...]]:
        """Every row of ``table`` (one of ``TABLES``), its columns in that order."""
        columns = ", ".join(f'"{column}"' for column in TABLES[table])
        cursor = self._conn.cursor()
        cursor.row_factory = None
        yield from cursor.execute(f"SELECT {columns} FROM {table}")

    def copy_rows(self, rows: dict[str, Iterable[tuple[object, ...]]]) -> dict[str, int]:
        """Adds rows to tables (``meta``'s replace), all in one transaction; passages are indexed as they are
        added. Returns the rows added to each table."""
        added: dict[str, int] = {}
        with self.transaction() as conn:
            for table, values in rows.items():
                columns = TABLES[table]
                verb = "INSERT OR REPLACE" if table == "meta" else "INSERT"
                sql = f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})"
                added[table] = 0
                for row in values:
                    conn.execute(sql, row)
                    if table == "passages":
                        conn.execute("INSERT INTO passages_fts (rowid, text) VALUES (?, ?)", (row[0], row[4]))
                    added[table] += 1
        return added

"""The embedded store: SQLite (WAL) is the source of truth, with FTS5 over passages and an append-only audit log."""

from __future__ import annotations

from factdesk.store.checks import Checks
from factdesk.store.intake import Intake
from factdesk.store.search import Search


class Store(Checks, Search, Intake):
    """One SQLite database in a folder: the corpus (``documents``), passage search (``search``), claims and
    fact-checks (``checks``), claim intake (``intake``), on a schema kept by ordered migrations (``schema``).
    Every write is one transaction; reads run no DDL."""

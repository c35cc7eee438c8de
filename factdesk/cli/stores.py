"""``factdesk migrate SRC DST``: copies a store between backends (SQLite folders, PostgreSQL URLs)."""

from __future__ import annotations

import click

from factdesk.errors import FactdeskError
from factdesk.store import open_store, redact, store_exists
from factdesk.store.transfer import copy_store


@click.command()
@click.argument("source")
@click.argument("target")
def migrate(source: str, target: str) -> None:
    """Copy the store at SOURCE to TARGET, each a folder (SQLite) or a postgresql:// URL, losing nothing.

    TARGET must be new (it is made) or empty, or already hold the same content, so a re-run changes nothing.
    Every table is copied in one transaction, then its row count and content hash are compared on both sides.
    The indexes kept beside a SQLite store are not copied (`factdesk index` rebuilds them), nor are the fetched
    pages' WARC files, which stay in SOURCE's archive folder.
    """
    if not store_exists(source):
        raise FactdeskError(f"no factdesk store at {redact(source)}")
    with open_store(source) as src, open_store(target) as dst:
        copied = copy_store(src, dst)
        if copied["fetches"].rows and src.folder is not None and dst.folder != src.folder:
            click.echo(f"note: the WARC archive of fetched pages stays in {src.folder / 'archive'}", err=True)
        where = f"{src.location} → {dst.location}"
    rows = ", ".join(f"{table} {digest.rows}" for table, digest in copied.items() if table != "meta")
    click.echo(f"Copied {where}; counts and content hashes match: {rows}.")

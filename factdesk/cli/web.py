"""``factdesk source DOC_ID``: where a stored document came from, checked against its archived WARC record."""

from __future__ import annotations

import json
import sys

import click

from factdesk.cli.context import EXIT_BAD_INPUT, Context
from factdesk.errors import FactdeskError
from factdesk.fetch import FetchLog, WarcArchive, archive_folder


@click.command()
@click.argument("doc_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def source(obj: Context, doc_id: str, fmt: str) -> None:
    """Show where document DOC_ID came from: URL, fetch time, hash and WARC record (file and offset).

    The archived payload is read back and its SHA-256 compared with the one logged at fetch time; the exit code
    is 1 if a record is missing or does not match.
    """
    with obj.desk() as desk:
        document = desk.store.document(doc_id)
        if document is None:
            raise FactdeskError(f"no document {doc_id!r} in the store {desk.store.location}")
        folder = archive_folder(desk.store)
        archive = WarcArchive(folder)
        fetches = []
        for record in FetchLog(desk.store).sources(doc_id):
            try:
                archived = "matches" if archive.verify(record.warc, record.sha256) else "DOES NOT MATCH"
            except (OSError, ValueError) as exc:
                archived = f"UNREADABLE ({exc})"
            fetches.append(
                {
                    "url": record.url,
                    "final_url": record.final_url,
                    "status": record.status,
                    "content_type": record.content_type,
                    "fetched_at": record.fetched_at.isoformat(),
                    "sha256": record.sha256,
                    "warc_file": str(folder / record.warc.file),
                    "warc_offset": record.warc.offset,
                    "warc_length": record.warc.length,
                    "archived": archived,
                }
            )
        ingested_from = desk.store.document_source(doc_id)
    if fmt == "json":
        click.echo(json.dumps({"doc_id": doc_id, "source": ingested_from, "fetches": fetches}, indent=2))
    else:
        click.echo(
            f"DOCUMENT  {doc_id}: “{document.title}” — {document.outlet or 'no outlet'}, "
            f"{document.published or 'undated'}"
        )
        if not fetches:
            click.echo(f"SOURCE    {ingested_from} (a local file: nothing was fetched or archived)")
        for fetch in fetches:
            redirected = f" (asked for {fetch['url']})" if fetch["final_url"] != fetch["url"] else ""
            click.echo(f"URL       {fetch['final_url']}{redirected}")
            click.echo(f"FETCHED   {fetch['fetched_at']}, HTTP {fetch['status']}, {fetch['content_type'] or '?'}")
            click.echo(f"SHA-256   {fetch['sha256']}")
            click.echo(
                f"WARC      {fetch['warc_file']} offset {fetch['warc_offset']} length {fetch['warc_length']}: "
                f"archived payload {fetch['archived']}"
            )
    if any(fetch["archived"] != "matches" for fetch in fetches):
        sys.exit(EXIT_BAD_INPUT)

"""Web commands: ``factdesk source DOC_ID`` (where a stored document came from, checked against its archived WARC
record) and ``factdesk watch`` (feeds polled for new items, their claims matched against known fact-checks)."""

from __future__ import annotations

import json
import sys
import time

import click

from factdesk.claims.extract import SCORERS
from factdesk.claims.matching import KNOWN_MATCH_SCORE
from factdesk.cli.context import EXIT_BAD_INPUT, Context
from factdesk.errors import FactdeskError
from factdesk.fetch import FetchLog, WarcArchive, archive_folder
from factdesk.watch import WatchReport, feed_sources


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


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--once", is_flag=True, help="One pass over the feeds, then exit (the default without --interval).")
@click.option("--interval", type=click.FloatRange(min=1), help="Poll the feeds every SECONDS until interrupted.")
@click.option("--passes", type=click.IntRange(min=1), help="With --interval: stop after this many passes.")
@click.option("--limit", type=click.IntRange(min=1), help="Items per feed in a pass; the rest wait for the next.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Claim score.")
@click.option(
    "--scorer",
    type=click.Choice(SCORERS),
    default="model",
    show_default=True,
    help="Check-worthiness: the trained model or the rule-based scorer.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=KNOWN_MATCH_SCORE,
    show_default=True,
    help="List a claim's best known fact-check from this match score.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def watch(
    obj: Context,
    sources: tuple[str, ...],
    once: bool,
    interval: float | None,
    passes: int | None,
    limit: int | None,
    threshold: float,
    scorer: str,
    min_score: float,
    fmt: str,
) -> None:
    """Watch RSS/Atom feeds (URLs, or OPML files listing them): fetch and ingest each new item's page, extract
    its check-worthy claims, and list those that match known fact-checks (`factdesk import-reviews`).

    Resumes where it stopped: what each feed held, every page fetched and every item read are kept in the store,
    so a rerun (or the next pass) fetches no item twice, and an unchanged feed answers 304. A feed or page that
    fails is reported and the rest go on; a failed page is tried again on a later pass, after its backoff. The
    exit code is 1 if the last pass had a failure.
    """
    if once and interval:
        raise click.UsageError("--once and --interval exclude each other")
    if passes and not interval:
        raise click.UsageError("--passes goes with --interval")
    feeds = feed_sources(list(sources))
    report = WatchReport()
    done = 0
    with obj.desk(create=True) as desk:
        try:
            while True:
                report = desk.watch(feeds, limit, True, threshold, scorer, min_score)
                done += 1
                if fmt == "json":
                    click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=None if interval else 2))
                else:
                    click.echo("\n".join(report.lines()))
                if not interval or (passes and done >= passes):
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            click.echo(f"stopped after {done} passes", err=True)
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)

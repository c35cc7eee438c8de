"""The desk's commands: ingest, check, demo, index, info, publish, correct, published, serve."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from factdesk.batch import CheckpointFile, Engine, LocalEngine, run_batch
from factdesk.claims import parse_claim_date
from factdesk.cli.context import EXIT_BAD_INPUT, Context, report_problems
from factdesk.explain import FORMATS, render
from factdesk.pipeline import FactDesk
from factdesk.publish.averitec import averitec_record
from factdesk.publish.claimreview import claim_review
from factdesk.publish.publisher import Publisher, slugify
from factdesk.records import Claim, FactCheck


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--url", help="For files: the URL they were published at.")
@click.option("--outlet", help="For files: the outlet that published them.")
@click.option("--published", help="For files: when they were published (YYYY-MM-DD).")
@click.option("--title", help="For files: their title.")
@click.option("--refetch", is_flag=True, help="Fetch URLs again even if fetched before, or failed and backing off.")
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="Keep only documents in this language (ISO 639-1, e.g. en; repeatable). Default: [ingest] languages.",
)
@click.pass_obj
def ingest(
    obj: Context,
    paths: tuple[str, ...],
    url: str | None,
    outlet: str | None,
    published: str | None,
    title: str | None,
    refetch: bool,
    languages: tuple[str, ...],
) -> None:
    """Add JSONL (.jsonl, .jsonl.gz), WARC (.warc, .warc.gz), .txt, .md, .html, .pdf and .docx files (or folders of
    them), and http(s) URLs, to the store.

    JSONL and WARC files are read as streams, in batches (one transaction each) that record how far each file was
    read: a killed ingest resumes after its last batch, and a file read to the end is not read again. Each
    document's language is recorded (identified when it states none); near-duplicates (syndicated copies) are
    linked to the first copy, so a check counts them as one source. URLs are fetched (HTML, PDF, RSS/Atom, text),
    archived to WARC beside the store, and not fetched again unless --refetch. --url/--outlet/--published/--title
    replace what the files say about themselves. Bad files, lines, records or URLs are reported as FILE:LINE:
    REASON or URL: REASON and skipped; everything else is stored, and the exit code is 1 at the end. Re-ingesting
    the same files changes nothing.
    """
    metadata = {"url": url, "outlet": outlet, "title": title, "published": parse_claim_date(published, "--published")}
    if languages:
        obj.config = replace(obj.config, ingest=replace(obj.config.ingest, languages=list(languages)))
    with obj.desk(create=True) as desk:
        report = desk.ingest(
            paths, progress=True, metadata={k: v for k, v in metadata.items() if v is not None}, refetch=refetch
        )
        stats = desk.store.stats()
    report_problems(report.problems)
    fetched = f"{report.urls} URLs: {report.fetched} fetched, {report.already_fetched} fetched before; "
    earlier = f" ({report.finished} read before, {report.resumed} resumed)" if report.finished or report.resumed else ""
    notes = [
        f"{report.near_duplicates} near-duplicates linked to an earlier copy" if report.near_duplicates else "",
        f"{report.other_language} in other languages left out" if report.other_language else "",
        f"{report.skipped} records with no document" if report.skipped else "",
    ]
    click.echo(
        f"{fetched if report.urls else ''}{report.files} files{earlier}, {report.read} documents read: "
        f"{report.added} added, {report.duplicates} already stored, {len(report.problems)} problems"
        + "".join(f"; {note}" for note in notes if note)
        + f". Store now holds {stats['documents']} documents, {stats['passages']} passages."
    )
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)


@click.command()
@click.argument("claim", required=False)
@click.option("--claimant", default="", help="Who made the claim.")
@click.option("--role", "claimant_role", default="", help="The claimant's role, e.g. 'Spokesman, Ministry of Defence'.")
@click.option("--date", "claim_date", help="When the claim was made (YYYY-MM-DD); later evidence is never used.")
@click.option("--as-of", "as_of", help="Evidence cut-off (YYYY-MM-DD) overriding the claim date.")
@click.option("--url", "appearance_url", default="", help="Where the claim appeared.")
@click.option(
    "--format", "fmt", type=click.Choice([*FORMATS, "claimreview", "averitec"]), default="text", show_default=True
)
@click.option("--llm", "llm_url", help="Write the justification with this OpenAI-compatible endpoint (base URL).")
@click.option("--llm-model", default=None, help="Model name for --llm. Key: $FACTDESK_LLM_API_KEY.")
@click.option("--claims", "claims_path", type=click.Path(path_type=Path, dir_okay=False), help="Batch input JSONL.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Batch output JSONL.")
@click.option("--web", "from_web", is_flag=True, help="First search the web ([search]) and ingest the pages found.")
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Batch engine: this process, or Ray Data workers (the `ray` extra).",
)
@click.option("--address", help="--engine ray: the Ray cluster to connect to (default: start a local one).")
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="--engine ray: worker actors, each with its own models (default: one per CPU).",
)
@click.pass_obj
def check(
    obj: Context,
    claim: str | None,
    claimant: str,
    claimant_role: str,
    claim_date: str | None,
    as_of: str | None,
    appearance_url: str,
    fmt: str,
    llm_url: str | None,
    llm_model: str | None,
    claims_path: Path | None,
    out_path: Path | None,
    from_web: bool,
    engine: str,
    address: str | None,
    workers: int | None,
) -> None:
    """Check one CLAIM, or a batch with --claims IN.jsonl --out OUT.jsonl (resumable).

    With --web the claim's queries are first sent to the [search] backend and the pages found are fetched,
    archived and ingested (never twice); without it nothing leaves the machine. A batch runs in this process, or
    with --engine ray on Ray workers; either way each claim's line is written once, and a rerun resumes.
    """
    if llm_url:
        explain = replace(obj.config.explain, writer="llm", llm_url=llm_url)
        obj.config = replace(obj.config, explain=replace(explain, llm_model=llm_model or explain.llm_model))
    cutoff = parse_claim_date(as_of, "--as-of")
    if engine != "ray" and (address or workers):
        raise click.UsageError("--address and --workers go with --engine ray")
    if engine == "ray" and from_web:
        raise click.UsageError("--web runs with the local engine: each claim's pages are ingested before it is checked")
    if claims_path or out_path or engine == "ray":
        if claim or not (claims_path and out_path):
            raise click.UsageError("batch mode takes --claims IN.jsonl and --out OUT.jsonl, and no CLAIM argument")
        _check_batch(obj, claims_path, out_path, cutoff, from_web, engine, address, workers)
        return
    if not claim or not claim.strip():
        raise click.UsageError('give a CLAIM to check, e.g. factdesk check "The bridge reopened in May"')
    one = Claim(
        text=claim.strip(),
        claimant=claimant,
        claimant_role=claimant_role,
        date=parse_claim_date(claim_date),
        appearance_url=appearance_url,
    )
    with obj.desk(create=from_web) as desk:
        if from_web:
            click.echo("\n".join(desk.gather_web(one, as_of=cutoff, progress=True).lines()), err=True)
        known = desk.known_match(one)
        if known is not None:
            line = (
                f"KNOWN CHECK  “{known.check.claim}” was rated {known.check.rating} by "
                f"{known.check.publisher or 'an earlier check'} ({known.check.url}); similarity {known.score:.2f}\n"
            )
            click.echo(line, err=fmt not in ("text", "markdown"))
        result = desk.check(one, as_of=cutoff, save=False)
        check_id = None if desk.store.read_only else desk.save(result)
        if check_id is not None:
            desk.keep_known_match(check_id, known)  # shown first on the check's page in the workbench
        click.echo(_render(desk, result, fmt, check_id))
    saved = (
        f"Saved as fact-check {check_id}; publish it with `factdesk publish {check_id} --out DIR`."
        if check_id is not None
        else f"Not saved: the store {desk.store.location} is read-only."
    )
    click.echo(saved, err=True)


def _render(desk: FactDesk, check: FactCheck, fmt: str, check_id: int | None) -> str:
    if fmt == "averitec":
        return json.dumps(averitec_record(check), ensure_ascii=False, indent=2)
    if fmt == "claimreview":
        config = desk.config.publish
        rating = desk.rating_scale.rate(check.verdict.label, check.verdict.confidence)
        url = f"{config.base_url}{slugify(check.claim.text)}/draft/"
        review = claim_review(check, rating, url, config.organization, config.organization_url, date.today())
        return json.dumps(review, ensure_ascii=False, indent=2)
    return render(check, fmt, check_id=check_id)


def _check_batch(
    obj: Context,
    claims_path: Path,
    out_path: Path,
    cutoff: date | None,
    from_web: bool,
    engine: str,
    address: str | None,
    workers: int | None,
) -> None:
    """Checks each claim whose id is not in ``out_path`` yet and appends its line; the summary counts every valid
    input line once: written, already in the output, skipped as a repeated id, or failed (reported, not written)."""
    if engine == "ray":
        from factdesk.batch.ray_engine import RayEngine, import_ray

        import_ray()  # a missing extra stops the batch before anything is read
    output = CheckpointFile(out_path)
    with obj.desk(create=from_web) as desk:
        if engine == "ray":
            runner: Engine = RayEngine(desk, obj.location(), cutoff, address=address, workers=workers)
        else:
            runner = LocalEngine(desk, cutoff, from_web)
        summary = run_batch(desk, claims_path, output, runner)
        unsaved = (
            f" Not saved in the read-only store {desk.store.location}."
            if desk.store.read_only and summary.written
            else ""
        )
    report_problems(summary.problems)
    if isinstance(runner, LocalEngine) and from_web:
        click.echo("\n".join(runner.gathered.lines()), err=True)
    click.echo(
        f"{summary.written} checked, {summary.already} already in {out_path}, {summary.repeated} skipped as repeated"
        f" ids, {summary.failed} failed, {summary.bad_lines} bad lines.{unsaved}"
    )
    if summary.problems:
        sys.exit(EXIT_BAD_INPUT)


@click.command()
@click.pass_obj
def demo(obj: Context) -> None:
    """Build a store from the bundled Kharkiv corpus and check the 'regrouping' claim of 10 September 2022."""
    from factdesk.demo import DEMO_STORE, demo_claim, demo_corpus

    store = Path(obj.explicit_store) if obj.explicit_store else Path(os.environ.get("FACTDESK_HOME") or DEMO_STORE)
    with obj.desk(store, create=True) as desk:
        report = desk.ingest([demo_corpus()], progress=True)
        report_problems(report.problems)
        click.echo(f"Demo store {store}: {desk.store.stats()['documents']} documents ({report.added} new).\n")
        click.echo(render(desk.check(demo_claim()), "text"))
    click.echo(f'\nExplore it: factdesk --store {store} check "..." --date 2022-09-10')


@click.command()
@click.argument("check_id", type=int)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@click.pass_obj
def publish(obj: Context, check_id: int, out: Path) -> None:
    """Publish stored fact-check CHECK_ID: HTML report, Markdown, ClaimReview JSON-LD, AVeriTeC record.

    A published version is immutable; change it with `factdesk correct`.
    """
    with obj.desk(write=True) as desk:
        publication = Publisher(desk.store, desk.config.publish).publish(check_id, out)
    click.echo(f"Published {publication.slug} v{publication.version} in {publication.folder}")


@click.command()
@click.argument("slug")
@click.option("--note", required=True, help="What changed and why; printed, dated, on the new version.")
@click.option("--check", "check_id", type=int, help="Publish this newer stored fact-check in place of the last one.")
@click.option(
    "--label",
    help="The editor's verdict, overruling the model's: a verdict label (Supported, Refuted, ...) or any rating of "
    "the publication's scale, e.g. 'Pants on Fire' on politifact's; any case.",
)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@click.pass_obj
def correct(obj: Context, slug: str, note: str, check_id: int | None, label: str | None, out: Path) -> None:
    """Publish a corrected version of SLUG; every earlier version stays retrievable."""
    with obj.desk(write=True) as desk:
        publication = Publisher(desk.store, desk.config.publish).correct(slug, note, out, check_id, label)
    click.echo(f"Published {publication.slug} v{publication.version} in {publication.folder}")


@click.command()
@click.argument("slug", required=False)
@click.option("--version", "version", type=int, help="One version (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["claimreview", "html", "markdown"]), default="claimreview")
@click.pass_obj
def published(obj: Context, slug: str | None, version: int | None, fmt: str) -> None:
    """List publications, or print one version of SLUG."""
    with obj.desk() as desk:
        if slug is None:
            for row in desk.store.publications():
                rating = row["payload"]["claim_review"]["reviewRating"]["alternateName"]
                click.echo(f"{row['slug']}  v{row['version']}  {row['published_at']}  {rating}")
            return
        publication = Publisher(desk.store, desk.config.publish).get(slug, version)
    files = publication.files()
    click.echo(
        {"claimreview": files["claimreview.json"], "html": files["index.html"], "markdown": files["report.md"]}[fmt]
    )


@click.command()
@click.pass_obj
def info(obj: Context) -> None:
    """Show the store's location, contents and settings."""
    with obj.desk() as desk:
        click.echo(json.dumps(desk.describe(), indent=2, default=str))


@click.command()
@click.option("--rebuild", is_flag=True, help="Re-embed every passage instead of only the new ones.")
@click.pass_obj
def index(obj: Context, rebuild: bool) -> None:
    """Bring the retrieval index up to date with the store (ingest does this too), or rebuild it from the store."""
    with obj.desk(write=True) as desk:
        rebuilt = desk.index(rebuild=rebuild, progress=True)
        retriever = desk.retriever.name
    click.echo(
        f"Rebuilt the {retriever} index: {rebuilt} passages." if rebuild else f"The {retriever} index is up to date."
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it local).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("published"),
    show_default=True,
    help="Where published versions are written.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Checks run at once in the background, each worker with its own models and store connection.",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, out: Path, workers: int) -> None:
    """Open the newsroom's workbench: check claims, read reports, sign them off, publish and correct, in a browser
    or over the JSON API (/api, described at /openapi.json; an API token from `factdesk user token NAME`).

    Everyone signs in; `factdesk user add NAME --role admin` makes the first account."""
    from factdesk.workbench import Workbench, bind, create_app, make_server

    with obj.desk() as desk:
        sock = bind(host, port)
        click.echo(
            f"factdesk workbench on http://{host}:{sock.getsockname()[1]}/ (store {desk.store.location}); Ctrl-C stops"
        )
        if not desk.store.users():
            click.echo(
                f"note: no one can sign in yet; add the first admin: factdesk --store {desk.store.location} user add"
                " NAME --role admin",
                err=True,
            )
        make_server(create_app(Workbench(desk, out, workers))).run(sockets=[sock])
        click.echo("stopped", err=True)

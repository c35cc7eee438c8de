"""The ``factdesk`` command line: a thin layer over the library API."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from tqdm import tqdm

from factdesk.claims import parse_claim_date, read_claims
from factdesk.config import Config, resolve_store
from factdesk.errors import FactdeskError, InputProblem
from factdesk.explain import FORMATS, check_record, render
from factdesk.pipeline import VERSION, FactDesk
from factdesk.records import Claim

EXIT_BAD_INPUT = 1
EXIT_ERROR = 2


class Context:
    def __init__(self, store: str | None, config: Config) -> None:
        self.explicit_store = store
        self.config = config

    @contextmanager
    def desk(self, store: Path | None = None) -> Iterator[FactDesk]:
        desk = FactDesk(store or resolve_store(self.explicit_store), self.config)
        try:
            yield desk
        finally:
            desk.close()


def _report_problems(problems: list[InputProblem]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)


class FactdeskGroup(click.Group):
    """Turns factdesk's own errors into one clear line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except FactdeskError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_ERROR)


@click.group(cls=FactdeskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="factdesk")
@click.option(
    "--store",
    type=click.Path(file_okay=False),
    help="Store folder. Default: $FACTDESK_HOME, else ./.factdesk",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True),
    help="TOML settings file (sections: ingest, retrieve, verify, publish).",
)
@click.pass_context
def cli(ctx: click.Context, store: str | None, config_path: str | None) -> None:
    """factdesk: an automated fact-checking desk (ingest → claims → retrieve → verify → explain → publish)."""
    config = Config.from_toml(Path(config_path)) if config_path else Config()
    ctx.obj = Context(store, config)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def ingest(obj: Context, paths: tuple[Path, ...]) -> None:
    """Add JSONL, .txt, .md and .html files (or folders of them) to the store.

    Bad files or lines are reported as FILE:LINE: REASON and skipped; everything else is stored,
    and the exit code is 1 at the end. Re-ingesting the same files changes nothing.
    """
    with obj.desk() as desk:
        report = desk.ingest(paths, progress=True)
        stats = desk.store.stats()
    _report_problems(report.problems)
    click.echo(
        f"{report.files} files, {report.read} documents read: {report.added} added, "
        f"{report.duplicates} already stored, {len(report.problems)} problems. "
        f"Store now holds {stats['documents']} documents, {stats['passages']} passages."
    )
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)


@cli.command()
@click.argument("claim", required=False)
@click.option("--claimant", default="", help="Who made the claim.")
@click.option("--role", "claimant_role", default="", help="The claimant's role, e.g. 'Spokesman, Ministry of Defence'.")
@click.option("--date", "claim_date", help="When the claim was made (YYYY-MM-DD); later evidence is never used.")
@click.option("--as-of", "as_of", help="Evidence cut-off (YYYY-MM-DD) overriding the claim date.")
@click.option("--url", "appearance_url", default="", help="Where the claim appeared.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--claims", "claims_path", type=click.Path(path_type=Path, dir_okay=False), help="Batch input JSONL.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Batch output JSONL.")
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
    claims_path: Path | None,
    out_path: Path | None,
) -> None:
    """Check one CLAIM, or a batch with --claims IN.jsonl --out OUT.jsonl (resumable)."""
    cutoff = parse_claim_date(as_of, "--as-of")
    if claims_path or out_path:
        if claim or not (claims_path and out_path):
            raise click.UsageError("batch mode takes --claims IN.jsonl and --out OUT.jsonl, and no CLAIM argument")
        _check_batch(obj, claims_path, out_path, cutoff)
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
    with obj.desk() as desk:
        click.echo(render(desk.check(one, as_of=cutoff), fmt))


def _done_ids(out_path: Path) -> set[str]:
    """Ids already written; a torn last line (from a killed run) is cut off so the rerun can redo it."""
    if not out_path.exists():
        return set()
    data = out_path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with out_path.open("r+b") as handle:
            handle.truncate(len(data))
    done = set()
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            done.add(json.loads(line)["id"])
        except (ValueError, KeyError, TypeError):
            raise FactdeskError(f"{out_path}:{number}: not a factdesk output line; refusing to append") from None
    return done


def _check_batch(obj: Context, claims_path: Path, out_path: Path, cutoff: date | None) -> None:
    items = list(read_claims(claims_path))
    problems = [item.problem for item in items if item.problem]
    claims = [item.claim for item in items if item.claim]
    done = _done_ids(out_path)
    todo = [c for c in claims if c.id not in done]
    seen: set[str] = set()
    for claim in todo:
        if claim.id in seen:
            problems.append(InputProblem(str(claims_path), None, f"duplicate claim id {claim.id!r}; checked once"))
        seen.add(claim.id)
    with obj.desk() as desk, out_path.open("a", encoding="utf-8") as out:
        for claim in tqdm(todo, desc="check", unit="claim", disable=None):
            if claim.id in done:
                continue
            check = desk.check(claim, as_of=cutoff)
            out.write(json.dumps(check_record(check), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            done.add(claim.id)
    _report_problems(problems)
    click.echo(f"{len(todo)} checked, {len(claims) - len(todo)} already in {out_path}, {len(problems)} problems.")
    if problems:
        sys.exit(EXIT_BAD_INPUT)


@cli.command()
@click.pass_obj
def demo(obj: Context) -> None:
    """Build a store from the bundled Kharkiv corpus and check the 'regrouping' claim of 10 September 2022."""
    from factdesk.demo import DEMO_STORE, demo_claim, demo_corpus

    store = Path(obj.explicit_store) if obj.explicit_store else Path(os.environ.get("FACTDESK_HOME") or DEMO_STORE)
    with obj.desk(store) as desk:
        report = desk.ingest([demo_corpus()], progress=True)
        _report_problems(report.problems)
        click.echo(f"Demo store {store}: {desk.store.stats()['documents']} documents ({report.added} new).\n")
        click.echo(render(desk.check(demo_claim()), "text"))
    click.echo(f'\nExplore it: factdesk --store {store} check "..." --date 2022-09-10')


@cli.command()
@click.pass_obj
def info(obj: Context) -> None:
    """Show the store's location, contents and settings."""
    with obj.desk() as desk:
        click.echo(json.dumps(desk.describe(), indent=2, default=str))


def main() -> None:
    cli(prog_name="factdesk")

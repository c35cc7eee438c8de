"""The ``factdesk`` command line, a thin layer over the library API: the group and its global options, with the
commands from the sibling modules (``desk``, ``intake``, ``stores``, ``train_eval``, ``users``, ``web``)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from factdesk.cli import desk, intake, stores, train_eval, users, web
from factdesk.cli.context import EXIT_ERROR, Context
from factdesk.config import Config, profiles
from factdesk.errors import FactdeskError
from factdesk.logs import log_to_stderr
from factdesk.pipeline import VERSION


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
    help="TOML settings file (sections: ingest, fetch, search, retrieve, verify, explain, publish).",
)
@click.option(
    "--profile",
    type=click.Choice(profiles()),
    help="Shipped settings to start from (commercial: only models whose training data allows commercial use); "
    "--config goes on top.",
)
@click.option("--create", is_flag=True, help="Create the store if it does not exist (ingest always does).")
@click.option("-v", "--verbose", count=True, help="Say more on stderr: -v what each step does, -vv debug detail.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr (no warnings).")
@click.pass_context
def cli(
    ctx: click.Context,
    store: str | None,
    config_path: str | None,
    profile: str | None,
    create: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """factdesk: an automated fact-checking desk (ingest → claims → retrieve → verify → explain → publish)."""
    log_to_stderr(logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)])
    config = Config.load(Path(config_path) if config_path else None, profile or "")
    ctx.obj = Context(store, config, create, profile or "")


for command in (
    desk.ingest,
    desk.check,
    desk.demo,
    desk.publish,
    desk.correct,
    desk.published,
    desk.info,
    desk.index,
    desk.serve,
    intake.extract,
    intake.import_reviews,
    intake.match,
    intake.claims,
    train_eval.train,
    train_eval.eval_benchmark,
    web.source,
    web.watch,
    stores.migrate,
    users.user,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="factdesk")

"""What every command shares: the desk on the chosen store, exit codes, and how input problems are reported."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from factdesk.config import Config, resolve_store
from factdesk.errors import FactdeskError, InputProblem
from factdesk.pipeline import FactDesk
from factdesk.store import redact, store_exists

EXIT_BAD_INPUT = 1
EXIT_ERROR = 2


class Context:
    def __init__(self, store: str | None, config: Config, create: bool = False, profile: str = "") -> None:
        self.explicit_store = store
        self.config = config
        self.create = create
        self.profile = profile  # the shipped profile the config starts from ("" for the defaults)

    def location(self) -> str | Path:
        """The chosen store: ``--store``, else ``$FACTDESK_HOME``, else the default folder."""
        return resolve_store(self.explicit_store)

    @contextmanager
    def desk(self, store: str | Path | None = None, create: bool = False, write: bool = False) -> Iterator[FactDesk]:
        """The desk on the store; a store that does not exist yet is an error unless the command adds to it
        (``create``) or ``--create`` was given, so a mistyped ``--store`` never answers from an empty store.
        A command that adds to the store or otherwise writes to it (``write``) fails at once if it is read-only."""
        root = store or self.location()
        if not (create or self.create or store_exists(root)):
            raise FactdeskError(
                f"no factdesk store at {redact(root)}: check --store (or $FACTDESK_HOME); `factdesk ingest FILES`"
                " creates one, as does --create"
            )
        desk = FactDesk(root, self.config)
        try:
            if create or write:
                desk.store.require_writable()
            yield desk
        finally:
            desk.close()


def report_problems(problems: list[InputProblem]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)

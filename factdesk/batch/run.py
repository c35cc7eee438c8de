"""A batch run: read the claims, skip those already in the output, check the rest with an engine, and append each
result as it arrives. The driver (this process) saves every check in the store, whichever engine checked it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from factdesk.batch.checkpoint import CheckpointFile
from factdesk.claims import read_claims
from factdesk.errors import FactdeskError, InputProblem
from factdesk.explain import check_record
from factdesk.pipeline import FactDesk
from factdesk.records import Claim, FactCheck
from factdesk.search import WebReport


@dataclass(frozen=True, slots=True)
class Outcome:
    """One claim's result from an engine: its check, or why it could not be checked (a rerun retries it)."""

    claim: Claim
    check: FactCheck | None = None
    error: str = ""


class Engine(Protocol):
    def run(self, claims: Sequence[Claim]) -> Iterator[list[Outcome]]:
        """Checks ``claims`` and yields their outcomes a chunk at a time, as they are ready, in input order."""
        ...


class LocalEngine:
    """Checks in this process, one claim after another, with the driver's desk. ``from_web`` first searches the web
    for each claim and ingests the pages found (``gathered`` adds up what was found)."""

    def __init__(self, desk: FactDesk, cutoff: date | None, from_web: bool = False) -> None:
        self.desk = desk
        self.cutoff = cutoff
        self.from_web = from_web
        self.gathered = WebReport()

    def run(self, claims: Sequence[Claim]) -> Iterator[list[Outcome]]:
        if claims:
            self.desk.warm_up()  # a model that cannot load stops the batch here, not once per claim
        for claim in claims:
            try:
                if self.from_web:
                    self.gathered.add(self.desk.gather_web(claim, as_of=self.cutoff))
                check = self.desk.check(claim, as_of=self.cutoff, save=False)
            except FactdeskError as exc:  # e.g. the --llm endpoint failed on this claim
                yield [Outcome(claim, error=str(exc))]
            else:
                yield [Outcome(claim, check)]


@dataclass
class BatchSummary:
    """What a run did with each valid input line: written, already in the output, skipped as a repeated id, or
    failed (reported, not written); and the input's bad lines."""

    claims: int = 0
    already: int = 0
    written: int = 0
    failed: int = 0
    repeated: int = 0
    bad_lines: int = 0
    problems: list[InputProblem] = field(default_factory=list)


def read_batch(claims_path: Path, summary: BatchSummary) -> list[Claim]:
    """The valid claims of ``claims_path``, each id once; bad lines and repeated ids go to ``summary``."""
    claims: dict[str, Claim] = {}
    repeated = []
    for item in read_claims(claims_path):
        if item.problem:
            summary.problems.append(item.problem)
            summary.bad_lines += 1
        elif item.claim is not None and item.claim.id in claims:
            repeated.append(InputProblem(str(claims_path), None, f"duplicate claim id {item.claim.id!r}; checked once"))
        elif item.claim is not None:
            claims[item.claim.id] = item.claim
    summary.problems += repeated
    summary.repeated = len(repeated)
    summary.claims = len(claims)
    return list(claims.values())


def run_batch(desk: FactDesk, claims_path: Path, output: CheckpointFile, engine: Engine) -> BatchSummary:
    """Checks each claim of ``claims_path`` whose id is not in ``output`` yet with ``engine``; as each chunk of
    results arrives, saves its checks in the store (unless it is read-only) and appends their lines durably."""
    summary = BatchSummary()
    claims = read_batch(claims_path, summary)
    todo = [claim for claim in claims if claim.id not in output.done]
    summary.already = len(claims) - len(todo)
    with output, tqdm(total=len(todo), desc="check", unit="claim", disable=None) as bar:
        for chunk in engine.run(todo):
            lines = []
            for outcome in chunk:
                if outcome.check is None:
                    reason = f"claim {outcome.claim.id!r} not checked: {outcome.error}"
                    summary.problems.append(InputProblem(str(claims_path), None, reason))
                    summary.failed += 1
                    continue
                if not desk.store.read_only:
                    desk.save(outcome.check)
                lines.append(json.dumps(check_record(outcome.check), ensure_ascii=False))
            output.append(lines)
            summary.written += len(lines)
            bar.update(len(chunk))
    return summary

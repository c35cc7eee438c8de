"""The retriever contract: a claim and a cut-off date in, ranked passages out."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from factdesk.records import Claim
from factdesk.store import PassageHit, Store


class Retriever(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def run(self, store: Store, claim: Claim, cutoff: date | None) -> list[PassageHit]:
        """Candidate passages, best first; none from a document published after ``cutoff``."""
        ...

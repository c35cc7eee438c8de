"""The retriever contract: a claim and a cut-off date in, ranked passages out."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from factdesk.records import Claim
from factdesk.store import PassageHit, StoreBackend


class Retriever(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def index(self, store: StoreBackend, progress: bool = False) -> object:
        """Brings any index kept outside the store up to date with it (after an ingest)."""
        ...

    def rebuild(self, store: StoreBackend, progress: bool = False) -> int:
        """Rebuilds any index kept outside the store from the store; returns the passages indexed."""
        ...

    def run(self, store: StoreBackend, claim: Claim, cutoff: date | None) -> list[PassageHit]:
        """Candidate passages, best first; none from a document published after ``cutoff``."""
        ...

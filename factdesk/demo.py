"""The bundled demo: a corpus on the September 2022 Kharkiv counteroffensive and the 'regrouping' claim."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from factdesk.claims import read_claims
from factdesk.errors import FactdeskError
from factdesk.records import Claim

DEMO_STORE = Path(".factdesk-demo")
DEMO_CLAIM_ID = "regrouping"


def demo_folder() -> Path:
    """``examples/kharkiv``: packaged in a wheel, or in a source checkout."""
    packaged = Path(str(resources.files("factdesk") / "examples" / "kharkiv"))
    checkout = Path(__file__).resolve().parent.parent / "examples" / "kharkiv"
    for folder in (packaged, checkout):
        if (folder / "corpus" / "corpus.jsonl").is_file():
            return folder
    raise FactdeskError(f"demo corpus not found in {packaged} or {checkout}")


def demo_corpus() -> Path:
    """The documents to ingest (the claims and the README sit beside them, outside the corpus)."""
    return demo_folder() / "corpus"


def demo_claim() -> Claim:
    path = demo_folder() / "claims.jsonl"
    for item in read_claims(path):
        if item.claim and item.claim.id == DEMO_CLAIM_ID:
            return item.claim
    raise FactdeskError(f"{path}: no claim with id {DEMO_CLAIM_ID!r}")

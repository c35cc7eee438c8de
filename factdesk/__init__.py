"""factdesk: an automated fact-checking desk that runs offline on a CPU, with a human editor in charge."""

from factdesk.config import Config
from factdesk.pipeline import VERSION as __version__
from factdesk.pipeline import FactDesk
from factdesk.records import (
    STANCE_LABELS,
    VERDICT_LABELS,
    Citation,
    Claim,
    Document,
    Evidence,
    FactCheck,
    Passage,
    Provenance,
    Statement,
    Verdict,
)

__all__ = [
    "STANCE_LABELS",
    "VERDICT_LABELS",
    "Citation",
    "Claim",
    "Config",
    "Document",
    "Evidence",
    "FactCheck",
    "FactDesk",
    "Passage",
    "Provenance",
    "Statement",
    "Verdict",
    "__version__",
]

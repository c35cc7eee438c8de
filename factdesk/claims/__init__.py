"""Stage 2, claims: pin down what was said, by whom, when and where."""

from factdesk.claims.decompose import ClauseDecomposer
from factdesk.claims.reader import ClaimItem, parse_claim_date, read_claims

__all__ = ["ClaimItem", "ClauseDecomposer", "parse_claim_date", "read_claims"]

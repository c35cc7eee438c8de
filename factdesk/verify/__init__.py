"""Stage 4, verify: weigh each passage against the claim, then rule on the claim."""

from factdesk.registry import register
from factdesk.verify.aggregate import StanceVoteAggregator
from factdesk.verify.base import STANCE_LABELS, Aggregator, StanceModel, VerdictScores
from factdesk.verify.baseline import LexicalStanceBaseline
from factdesk.verify.cross_encoder import CrossEncoderStance
from factdesk.verify.verdict import TrainedVerdictAggregator

register("stance", "cross-encoder")(CrossEncoderStance)

__all__ = [
    "STANCE_LABELS",
    "Aggregator",
    "CrossEncoderStance",
    "LexicalStanceBaseline",
    "StanceModel",
    "StanceVoteAggregator",
    "TrainedVerdictAggregator",
    "VerdictScores",
]

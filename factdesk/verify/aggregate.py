"""Evidence stances → probabilities over the four verdict labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from factdesk.records import Claim, Evidence
from factdesk.registry import register
from factdesk.verify.base import VerdictScores


@register("aggregator", "stance-vote")
@dataclass
class StanceVoteAggregator:
    """Noisy-OR of the strongest ``votes`` supporting and refuting passages, combined as independent events:
    support without refutation is Supported, both is Conflicting, neither is Not Enough Evidence.
    Each passage votes only for the stance it takes, with that stance's probability; a claimant repeating
    their own claim is not independent support, so such passages cast no support vote."""

    votes: int = 3
    name: str = "stance-vote"

    def warm_up(self) -> None:
        """Nothing to load."""

    def run(self, claim: Claim, evidence: Sequence[Evidence]) -> VerdictScores:
        support = self._noisy_or(
            [e.leaning["supports"] for e in evidence if e.stance == "supports" and not e.from_claimant]
        )
        refute = self._noisy_or([e.leaning["refutes"] for e in evidence if e.stance == "refutes"])
        return {
            "Supported": support * (1 - refute),
            "Refuted": refute * (1 - support),
            "Not Enough Evidence": (1 - support) * (1 - refute),
            "Conflicting Evidence/Cherrypicking": support * refute,
        }

    def _noisy_or(self, probabilities: list[float]) -> float:
        missing = 1.0
        for p in sorted(probabilities, reverse=True)[: self.votes]:
            missing *= 1.0 - p
        return 1.0 - missing

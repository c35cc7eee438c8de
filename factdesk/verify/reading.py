"""How each passage reads as evidence for the claim, and a ruling that never contradicts those readings.

The stance model reads a passage against the claim; on fact-checkers' question-answer evidence it often takes a
rebuttal for support ("Pizzagate was a widely discredited news story": supports 0.54). The verdict encoder,
trained on AVeriTeC's claims with their evidence, reads such passages better, but it learnt that most claims are
Refuted; divided by its mean reading of its training claims, that lean is taken out. A passage's reading is a
weighted mean of the two (``stance_weight``, the stance model's share) and its tag is the reading's likeliest
label.

The ruling then follows the readings: Refuted is not ruled when passages support the claim and none refutes it,
nor Supported when passages refute it and none supports it (a claimant's own words never count as support); what
the verdict model put on such a ruling goes to Not Enough Evidence.
``benchmarks/passage_reading.py`` (AVeriTeC dev, gold evidence; selection figures) chose the prior correction,
so that tags do not follow the training data's prior, and ``stance_weight`` 0.25: the bound ruling scores 0.598
accuracy / 0.473 macro-F1 (unbound 0.620 / 0.469). Without the correction it would score 0.602 / 0.483 with twice
as many refuting tags as supporting ones; with the encoder alone (0) 0.608 / 0.480; bound to the stance model's
tags alone, 0.488 / 0.401.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from factdesk.records import NOT_ENOUGH_EVIDENCE, STANCE_LABELS, Claim, Evidence
from factdesk.registry import register
from factdesk.verify.base import VerdictScores, softmax
from factdesk.verify.verdict_encoder import VerdictEncoder

# The verdict encoder's labels that read as each stance; the rest (Not Enough Evidence, Conflicting) as neutral.
_AS_STANCE = {"supports": "Supported", "refutes": "Refuted"}


@register("reader", "verdict-encoder")
class EncoderPassageReader:
    """Reads each passage about the claim with the stance model and the verdict encoder (the passage alone);
    passages not about the claim are left as they are. ``model_dir``: the verdict encoder's folder. With
    ``prior_correction`` the encoder's probabilities are divided by its mean reading of its training claims (out
    of fold), so that a passage is not read as refuting because most training claims were Refuted."""

    name = "verdict-encoder"

    def __init__(
        self, model_dir: str | None = None, stance_weight: float = 0.25, prior_correction: bool = True
    ) -> None:
        self.stance_weight = stance_weight
        self.prior_correction = prior_correction
        self.encoder = VerdictEncoder(model_dir)

    def warm_up(self) -> None:
        self.encoder.warm_up()

    def model_files(self) -> list[Path]:
        return self.encoder.model_files()

    def run(self, claim: Claim, evidence: Sequence[Evidence]) -> list[Evidence]:
        about = [k for k, e in enumerate(evidence) if e.about_claim]
        if not about:
            return list(evidence)
        logits = self.encoder.batch_logits([(claim.text, [evidence[k].passage.text]) for k in about])
        encoded = softmax(np.asarray(logits, dtype=float))
        if self.prior_correction and self.encoder.train_marginal is not None:
            encoded = encoded / self.encoder.train_marginal
            encoded /= encoded.sum(axis=1, keepdims=True)
        labels = self.encoder.labels
        out = list(evidence)
        for k, row in zip(about, encoded, strict=True):
            encoder = {s: float(row[labels.index(_AS_STANCE[s])]) for s in _AS_STANCE}
            encoder["neutral"] = 1.0 - sum(encoder.values())
            model = evidence[k].stance_probabilities
            w = self.stance_weight
            reading = {s: w * model[s] + (1 - w) * encoder[s] for s in STANCE_LABELS}
            out[k] = replace(evidence[k], reading=reading, stance=max(reading, key=reading.__getitem__))
        return out


def consistent_with_readings(
    scores: VerdictScores, evidence: Sequence[Evidence], strict: bool = False
) -> VerdictScores:
    """``scores`` with the probability of a ruling the passages' readings contradict (Refuted when they support
    the claim and none refutes it, Supported the other way round) moved to Not Enough Evidence: the evidence does
    not bear that ruling out, so what the model put on it is not a reason to rule anything else. ``strict``: a
    ruling also needs a passage that reads its way (Supported one that supports the claim and is not the
    claimant's, Refuted one that refutes it); without one it is moved too."""
    supports = any(e.stance == "supports" and not e.from_claimant for e in evidence)
    refutes = any(e.stance == "refutes" for e in evidence)
    if strict:
        ruled_out = {"Refuted": not refutes, "Supported": not supports}
    else:
        ruled_out = {"Refuted": supports and not refutes, "Supported": refutes and not supports}
    kept = {label: 0.0 if ruled_out.get(label) else p for label, p in scores.items()}
    kept[NOT_ENOUGH_EVIDENCE] += sum(scores.values()) - sum(kept.values())
    return kept

"""CLIMATE-FEVER (Diggelmann et al. 2020): claims with evidence sentences labelled for stance, under
``<data_dir>/climate_fever``. The stance model trains on 70% of the claims; the other 30%, the claims with
``int(sha1(claim_id), 16) % 100 < HELD_OUT_PERCENT``, are held out for evaluation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HELD_OUT_PERCENT = 30
STANCE_OF = {"SUPPORTS": "supports", "REFUTES": "refutes", "NOT_ENOUGH_INFO": "neutral"}
VERDICT_OF = {
    "SUPPORTS": "Supported",
    "REFUTES": "Refuted",
    "NOT_ENOUGH_INFO": "Not Enough Evidence",
    "DISPUTED": "Conflicting Evidence/Cherrypicking",
}


@dataclass(frozen=True, slots=True)
class ClimateEvidence:
    evidence_id: str
    article: str
    text: str
    stance: str  # gold, in STANCE_LABELS
    entropy: float  # of the annotators' votes: 0 when they all agree


@dataclass(frozen=True, slots=True)
class ClimateClaim:
    claim_id: str
    text: str
    verdict: str  # gold, in VERDICT_LABELS
    evidence: tuple[ClimateEvidence, ...]


def held_out(claim_id: str) -> bool:
    return int(hashlib.sha1(claim_id.encode()).hexdigest(), 16) % 100 < HELD_OUT_PERCENT


def load_claims(data_dir: Path, split: str = "heldout") -> list[ClimateClaim]:
    """``heldout``: the claims the stance model never saw; ``train``: the others."""
    if split not in ("heldout", "train"):
        raise ValueError(f"climate-fever split must be 'heldout' or 'train', not {split!r}")
    claims = []
    with (Path(data_dir) / "climate_fever" / "climate-fever.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if held_out(r["claim_id"]) != (split == "heldout"):
                continue
            evidence = tuple(
                ClimateEvidence(
                    e["evidence_id"], e["article"], e["evidence"], STANCE_OF[e["evidence_label"]], float(e["entropy"])
                )
                for e in r["evidences"]
            )
            claims.append(ClimateClaim(r["claim_id"], r["claim"], VERDICT_OF[r["claim_label"]], evidence))
    return claims

"""FEVER-Symmetric (Schuster et al. 2019) v0.2 (claim, evidence) pairs under ``<data_dir>/nli/fever_symmetric``, and
the FEVER shared-task dev claims under ``<data_dir>/fever``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from factdesk.errors import FactdeskError, InputError

SPLITS = ("dev", "test")
LABEL_OF = {"SUPPORTS": "supports", "REFUTES": "refutes"}
DATA_SUBDIR = Path("nli") / "fever_symmetric" / "symmetric_v0.2"
V01_SUBDIR = Path("nli") / "fever_symmetric" / "symmetric_v0.1"
FEVER_DEV = Path("fever") / "fever_labelled_dev.json"
FEVER_HELD_OUT_PERCENT = 20  # FEVER claims kept out of the FEVER-trained claim-only model, to measure its cue


@dataclass(frozen=True, slots=True)
class SymmetricPair:
    """One (claim, evidence sentence) pair with its gold label, ``supports`` or ``refutes``."""

    id: str
    claim: str
    evidence: str
    label: str


def data_file(data_dir: Path, split: str) -> Path:
    if split not in SPLITS:
        raise FactdeskError(f"fever-symmetric split must be one of {', '.join(SPLITS)}, not {split!r}")
    return Path(data_dir) / DATA_SUBDIR / f"fever_symmetric_{split}.jsonl"


def load_pairs(data_dir: Path, split: str) -> list[SymmetricPair]:
    """The v0.2 pairs of ``split`` (dev or test), in file order; a missing file or bad line is a FactdeskError."""
    path = data_file(data_dir, split)
    if not path.is_file():
        raise FactdeskError(f"FEVER-Symmetric file not found: {path} (expects the shared data folder as data_dir)")
    pairs = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                pairs.append(_parse(line, path, number))
    if not pairs:
        raise InputError.at(path, None, "no pairs in file")
    return pairs


def symmetric_claims(data_dir: Path) -> set[str]:
    """The claims of every FEVER-Symmetric file: v0.2 dev and test, and v0.1 where present."""
    claims = {p.claim for split in SPLITS for p in load_pairs(data_dir, split)}
    for path in sorted((Path(data_dir) / V01_SUBDIR).glob("*.jsonl")):
        claims |= {json.loads(line)["claim"] for line in path.read_text(encoding="utf-8").splitlines() if line}
    return claims


def _parse(line: str, path: Path, number: int) -> SymmetricPair:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError.at(path, number, f"not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise InputError.at(path, number, "expected a JSON object")
    for key in ("id", "claim", "evidence", "label"):
        if key not in record:
            raise InputError.at(path, number, f"missing field {key!r}")
    for key in ("claim", "evidence"):
        if not isinstance(record[key], str) or not record[key].strip():
            raise InputError.at(path, number, f"field {key!r} must be a non-empty string")
    if record["label"] not in LABEL_OF:
        raise InputError.at(path, number, f"label must be SUPPORTS or REFUTES, not {record['label']!r}")
    return SymmetricPair(str(record["id"]), record["claim"], record["evidence"], LABEL_OF[record["label"]])


@dataclass(frozen=True, slots=True)
class FeverClaim:
    claim: str
    label: str


def load_fever_claims(data_dir: Path, exclude: set[str]) -> list[FeverClaim]:
    """FEVER shared-task dev claims labelled SUPPORTS/REFUTES, minus those in ``exclude``; [] if the file is absent."""
    path = Path(data_dir) / FEVER_DEV
    if not path.is_file():
        return []
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError.at(path, exc.lineno, f"not valid JSON ({exc.msg})") from exc
    seen: set[str] = set()
    claims = []
    for r in records:
        text = r.get("claim")
        if r.get("label") in LABEL_OF and isinstance(text, str) and text not in exclude and text not in seen:
            seen.add(text)
            claims.append(FeverClaim(text, LABEL_OF[r["label"]]))
    return claims


def fever_held_out(claim: str) -> bool:
    return int(hashlib.sha1(f"fever:{claim}".encode()).hexdigest(), 16) % 100 < FEVER_HELD_OUT_PERCENT

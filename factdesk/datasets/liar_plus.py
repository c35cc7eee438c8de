"""LIAR (Wang 2017) and LIAR-PLUS (Alhindi et al. 2018): PolitiFact statements with 6-way truth labels, under
``<data_dir>/liar`` (plain LIAR train) and ``<data_dir>/liar_plus`` (val2 and test2, with justifications)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LABELS: tuple[str, ...] = ("pants-fire", "false", "barely-true", "half-true", "mostly-true", "true")
TRUE_SIDE = frozenset({"true", "mostly-true", "half-true"})
BINARY_LABELS: tuple[str, ...] = ("false-side", "true-side")
SPLIT_FILES = {"val": "val2", "dev": "val2", "test": "test2"}  # "dev" is an alias of "val"


@dataclass(frozen=True, slots=True)
class LiarStatement:
    json_id: str
    label: str
    statement: str
    subjects: tuple[str, ...]
    speaker: str
    job: str
    state: str
    party: str
    context: str
    justification: str = ""

    @property
    def binary(self) -> str:
        return BINARY_LABELS[self.label in TRUE_SIDE]


def read_liar_train(data_dir: Path) -> list[LiarStatement]:
    """Plain LIAR train (disjoint from LIAR-PLUS val2 and test2)."""
    return read_liar_tsv(Path(data_dir) / "liar" / "train.tsv")


def read_liar_tsv(path: Path) -> list[LiarStatement]:
    """Plain LIAR (14 columns); the credit-history counts are dropped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) == 14:
            out.append(LiarStatement(f[0], f[1], f[2], tuple(_subjects(f[3])), f[4], f[5], f[6], f[7], f[13]))
    return out


def read_liar_plus(data_dir: Path, split: str) -> list[LiarStatement]:
    """LIAR-PLUS val2/test2: text and justification from the JSONL (whose TSV has line breaks inside some
    justifications), party and context from the TSV rows that parse whole, joined on the statement's json id."""
    name = SPLIT_FILES[split]
    folder = Path(data_dir) / "liar_plus"
    meta = {}
    for line in (folder / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if len(f) >= 15 and f[1].endswith(".json"):
            meta[f[1]] = (f[8], f[14])
    out = []
    for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        party, context = meta.get(r["json_file_id"], ("", ""))
        out.append(
            LiarStatement(
                r["json_file_id"],
                r["label"],
                r["claim"],
                tuple(r["topics"]),
                r["originator"],
                r["title"],
                r["party"],  # the JSONL's "party" field holds the state
                party,
                context,
                (r["justification"] or "").strip(),  # null in some test2 records
            )
        )
    return out


def _subjects(field: str) -> list[str]:
    return [s for s in field.split(",") if s]

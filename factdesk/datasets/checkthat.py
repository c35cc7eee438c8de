"""CLEF CheckThat! 2024 task 1 (English): sentences labelled check-worthy or not, under
``<data_dir>/checkthat2024``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from factdesk.errors import FactdeskError

SPLITS = ("dev", "dev-test")


@dataclass(frozen=True, slots=True)
class Sentence:
    id: str
    text: str
    checkworthy: bool


def ct24_path(data_dir: Path, split: str) -> Path:
    if split not in SPLITS:
        raise FactdeskError(f"checkworthiness splits are {', '.join(SPLITS)}, not {split!r}")
    return Path(data_dir) / "checkthat2024" / f"CT24_checkworthy_english_{split}.tsv"


def load_sentences(data_dir: Path, split: str) -> list[Sentence]:
    """The split's sentences (TSV with CSV-style quoting in some rows, as pandas reads it)."""
    path = ct24_path(data_dir, split)
    if not path.is_file():
        raise FactdeskError(f"{path} not found: the CT24 data lives in the shared data folder (see its PROVENANCE.md)")
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Sentence(row["Sentence_id"], row["Text"], row["class_label"] == "Yes")
            for row in csv.DictReader(f, delimiter="\t")
        ]

"""SciFact (Wadden et al. 2020): claims with cited abstracts and rationale sentences, from
``<data_dir>/scifact/scifact.zip``."""

from __future__ import annotations

import ast
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

LABELS: tuple[str, ...] = ("SUPPORT", "CONTRADICT", "NEI")  # in STANCE_LABELS order
SPLITS = {"dev": "validation", "train": "train"}
NEI_SENTENCES = 2
_QUOTED_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
INT_RE = re.compile(r"\d+")  # numpy-repr int lists such as "[ 5152028 11705328]"


@dataclass(frozen=True, slots=True)
class SciFactPair:
    claim_id: str
    claim: str
    doc_id: str
    label: str  # one of LABELS
    evidence: str  # rationale sentences, or the abstract's first NEI_SENTENCES for NEI
    abstract: tuple[str, ...]


def scifact_zip(data_dir: Path) -> Path:
    return Path(data_dir) / "scifact" / "scifact.zip"


def load_corpus(zip_path: Path) -> dict[str, tuple[str, ...]]:
    """Abstract sentences by doc id (``abstract`` is a numpy-array repr of quoted strings, not JSON)."""
    return {
        r["doc_id"]: tuple(ast.literal_eval(s) for s in _QUOTED_RE.findall(r["abstract"]))
        for r in rows(zip_path, "corpus_train.csv")
    }


def load_pairs(data_dir: Path, split: str = "dev") -> list[SciFactPair]:
    """One pair per (claim, evidence abstract); one per NEI claim (its first cited abstract in the corpus)."""
    zip_path = scifact_zip(data_dir)
    corpus = load_corpus(zip_path)
    labels = {"SUPPORT": "SUPPORT", "CONTRADICT": "CONTRADICT"}
    pairs = []
    for r in rows(zip_path, f"claims_{SPLITS[split]}.csv"):
        if r["evidence_doc_id"]:
            doc_id = r["evidence_doc_id"]
            abstract = corpus[doc_id]
            evidence = " ".join(abstract[int(i)] for i in INT_RE.findall(r["evidence_sentences"]))
            label = labels[r["evidence_label"]]
        else:
            cited = [d for d in INT_RE.findall(r["cited_doc_ids"]) if d in corpus]
            if not cited:
                continue
            doc_id, label = cited[0], "NEI"
            abstract = corpus[doc_id]
            evidence = " ".join(abstract[:NEI_SENTENCES])
        pairs.append(SciFactPair(r["id"], r["claim"], doc_id, label, evidence, abstract))
    return pairs


def rows(zip_path: Path, member: str) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 24)
    with zipfile.ZipFile(zip_path) as z:
        name = next(n for n in z.namelist() if n.endswith(member))
        return list(csv.DictReader(io.TextIOWrapper(z.open(name), encoding="utf-8")))

"""AVeriTeC (Schlichtkrull et al., NeurIPS 2023): labelled claims with question-answer evidence, under
``<data_dir>/averitec``; the closed corpus of their gold answers; claims paired with other claims' evidence."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.config import MISINFO_ENV
from factdesk.errors import FactdeskError
from factdesk.records import Claim
from factdesk.urls import domain
from factdesk.verify.verdict import STOP_WORDS, tokens

# split → file under <data_dir>/averitec; "test" is the unofficial labeled subset of Deng et al. (2024).
SPLIT_FILES = {"train": "train.json", "dev": "dev.json", "test": "deng2024_dce/test.json"}


@dataclass(frozen=True, slots=True)
class AveritecItem:
    """One labeled claim with its gold QA evidence as (text, source URL) pairs."""

    claim: Claim
    label: str
    qa: tuple[tuple[str, str], ...]


def misinfo_list_path(data_dir: Path) -> Path:
    """AVeriTeC's list of misinformation domains (CC BY-NC 4.0), one per line."""
    return Path(data_dir) / "averitec" / "misinfo_list.txt"


@contextmanager
def misinfo_list(data_dir: Path) -> Iterator[Path]:
    """While open, ``$FACTDESK_MISINFO_LIST`` names AVeriTeC's list in ``data_dir`` unless it is set already, so
    the components built meanwhile (retrieval's deny list, the verdict model's credibility features) read the list
    the benchmark comes with. Yields the list in effect."""
    previous = os.environ.get(MISINFO_ENV)
    if previous is None:
        os.environ[MISINFO_ENV] = str(misinfo_list_path(data_dir))
    try:
        yield Path(os.environ[MISINFO_ENV])
    finally:
        if previous is None:
            os.environ.pop(MISINFO_ENV, None)


def averitec_dir(data_dir: Path) -> Path:
    folder = Path(data_dir) / "averitec"
    if not folder.is_dir():
        raise FactdeskError(f"AVeriTeC data not found: {folder} does not exist (pass --data-dir, e.g. ../shared/data)")
    return folder


def load_split(data_dir: Path, split: str) -> list[AveritecItem]:
    """The labeled claims of ``split`` (train, dev, or the unofficial labeled test subset where present)."""
    return [item_from_record(record, f"averitec-{split}-{i}") for i, record in enumerate(load_records(data_dir, split))]


def load_records(data_dir: Path, split: str) -> list[dict[str, Any]]:
    """The JSON records of ``split`` as they are in the file, for readers that need more than ``AveritecItem``."""
    folder = averitec_dir(data_dir)
    path = folder / SPLIT_FILES.get(split, f"{split}.json")
    if not path.is_file():
        known = [s for s, f in SPLIT_FILES.items() if (folder / f).is_file()]
        raise FactdeskError(
            f"AVeriTeC has no labeled {split!r} split in {folder} (the official test labels are not public); "
            f"available: {', '.join(known)}"
        )
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FactdeskError(f"{path}: cannot read AVeriTeC data: {exc}") from exc
    return records


def item_from_record(record: dict[str, Any], claim_id: str) -> AveritecItem:
    claim = Claim(
        text=record["claim"].strip(),
        claimant=record.get("speaker") or "",
        date=claim_date(record.get("claim_date")),
        appearance_url=record.get("original_claim_url") or "",
        id=claim_id,
    )
    qa = []
    for question in record.get("questions") or []:
        for answer in question.get("answers") or []:
            parts = [question["question"].strip(), str(answer.get("answer", "")).strip()]
            if answer.get("boolean_explanation"):
                parts.append(answer["boolean_explanation"].strip())
            qa.append((" ".join(p for p in parts if p), answer.get("source_url") or ""))
    return AveritecItem(claim, record["label"], tuple(qa))


def claim_date(value: str | None) -> date | None:
    """AVeriTeC dates are D-M-YYYY."""
    try:
        day, month, year = (int(part) for part in (value or "").split("-"))
        return date(year, month, day)
    except ValueError:
        return None


MAX_SIMILARITY = 0.5  # claims closer than this (TF-IDF cosine) are taken as the same claim reworded


def others_evidence(items: Sequence[AveritecItem], seed: int, similar: bool = False) -> list[AveritecItem]:
    """Each claim with another claim's gold evidence, labelled Not Enough Evidence (the honest answer): a random
    other claim's, or with ``similar`` the most similar other claim's by TF-IDF cosine of the claims, among those
    below ``MAX_SIMILARITY`` (same topic, another event; closer claims are often the same claim reworded, whose
    evidence would answer it)."""
    if similar:
        vectors = tfidf([i.claim.text for i in items])
        similarity = vectors @ vectors.T
        similarity[similarity > MAX_SIMILARITY] = -1.0
        partner = similarity.argmax(axis=1)
    else:
        rng = np.random.default_rng(seed)
        partner = (np.arange(len(items)) + rng.integers(1, len(items), size=len(items))) % len(items)
    tag = "similar" if similar else "random"
    return [
        AveritecItem(replace(item.claim, id=f"{item.claim.id}-{tag}-evidence"), "Not Enough Evidence", items[j].qa)
        for item, j in zip(items, partner.tolist(), strict=True)
    ]


def tfidf(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows over content words (dense: a few thousand short claims)."""
    bags = [Counter(w for w in tokens(t) if w not in STOP_WORDS and len(w) > 1) for t in texts]
    vocabulary = {w: k for k, w in enumerate(sorted({w for bag in bags for w in bag}))}
    df = np.zeros(len(vocabulary))
    for bag in bags:
        df[[vocabulary[w] for w in bag]] += 1
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    matrix = np.zeros((len(texts), len(vocabulary)))
    for row, bag in enumerate(bags):
        for w, n in bag.items():
            matrix[row, vocabulary[w]] = n * idf[vocabulary[w]]
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def answer_text(answer: dict[str, Any]) -> str:
    """An answer as a document: its text, with the explanation of a yes/no answer; empty if unanswerable."""
    if answer.get("answer_type") == "Unanswerable":
        return ""
    text = answer.get("answer", "").strip()
    if answer.get("answer_type") == "Boolean" and answer.get("boolean_explanation"):
        text += ". " + answer["boolean_explanation"].strip()
    return text


def write_corpus(path: Path, splits: dict[str, list[dict[str, Any]]]) -> int:
    """The closed corpus: one JSONL document per answerable gold answer of the records of each split; returns how
    many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for split, claims in splits.items():
            for c, claim in enumerate(claims):
                for q, qa in enumerate(claim["questions"]):
                    for a, answer in enumerate(qa["answers"]):
                        if text := answer_text(answer):
                            url = answer.get("source_url") or ""
                            record = {"id": f"{split}-{c}-{q}-{a}", "text": text, "url": url, "outlet": domain(url)}
                            out.write(json.dumps(record, ensure_ascii=False) + "\n")
                            count += 1
    return count

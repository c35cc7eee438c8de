"""(claim, passage, label) stance pairs from the offline NLI and fact-checking sets, labels in STANCE_LABELS.

Every loader reads the files as they are in the shared data folder (see each folder's PROVENANCE.md) and yields
``StancePair``s. CLIMATE-FEVER's and SciFact's pairs come from ``factdesk.datasets.climate_fever`` and
``factdesk.datasets.scifact``, with their splits.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from factdesk.datasets import climate_fever as climate_fever_data
from factdesk.datasets import scifact as scifact_data
from factdesk.datasets.text import detokenize
from factdesk.records import STANCE_LABELS

csv.field_size_limit(1 << 24)

SUPPORTS, REFUTES, NEUTRAL = STANCE_LABELS
NLI_LABELS = {
    "entailment": SUPPORTS,
    "contradiction": REFUTES,
    "neutral": NEUTRAL,
    "e": SUPPORTS,
    "c": REFUTES,
    "n": NEUTRAL,
}
XNLI_LABELS = {"0": SUPPORTS, "1": NEUTRAL, "2": REFUTES}
FV_LABELS = {
    "SUPPORTS": SUPPORTS,
    "SUPPORTED": SUPPORTS,
    "SUPPORT": SUPPORTS,
    "REFUTES": REFUTES,
    "REFUTED": REFUTES,
    "CONTRADICT": REFUTES,
    "NOT_ENOUGH_INFO": NEUTRAL,
}
FNC_LABELS = {"agree": SUPPORTS, "disagree": REFUTES, "discuss": NEUTRAL, "unrelated": NEUTRAL}

FNC_UNRELATED_KEEP_PERCENT = 10  # FNC-1/ARC "unrelated" pairs kept, by hash of (headline, body id)
MAX_PASSAGE_CHARS = 2000  # passages are truncated to 128 tokens anyway; this only saves tokenising time

# License of each training source, as stated in its PROVENANCE.md (NC = non-commercial).
SOURCE_LICENSES = {
    "anli": "CC BY-NC 4.0 (NC)",
    "multinli": "OANC / CC BY-SA 3.0",
    "snli": "CC BY-SA 4.0",
    "xnli_en": "CC BY-NC 4.0 (NC)",
    "sick": "CC BY-NC-SA 3.0 (NC)",
    "imppres": "CC BY-NC 4.0 (NC)",
    "mpe": "none stated (MIT conversion repo)",
    "joci": "none stated (MIT conversion repo)",
    "fracas": "none stated (MIT conversion repo)",
    "commitment_bank": "per SuperGLUE (MIT conversion repo)",
    "breaking_nli": "CC BY-SA 4.0",
    "conjnli": "MIT (Wikipedia text CC BY-SA)",
    "counterfactual_snli": "Apache-2.0 (SNLI-derived, CC BY-SA 4.0)",
    "covidfact": "none stated",
    "healthver": "none stated",
    "fm2": "Apache-2.0 (Wikipedia text CC BY-SA)",
    "wice": "ODC-BY 1.0 annotations (Wikipedia CC BY-SA, Common Crawl terms)",
    "sufficient_facts": "Apache-2.0 (earlier repo commit); FEVER/VitaminC CC BY-SA 3.0, HoVer CC BY-SA 4.0",
    "fnc1_arc": "none stated (UKPLab repo Apache-2.0)",
    "climate_fever": "none stated",
    "scifact": "CC BY 4.0 (claims), ODC-By 1.0 (abstracts)",
}
NON_COMMERCIAL_SOURCES = ("anli", "xnli_en", "sick", "imppres")
# Sources whose stated license allows commercial use (attribution, and share-alike for the CC BY-SA ones). Sources
# that state no license, or whose text's terms are unclear (WiCE's Common Crawl pages), are left out.
COMMERCIAL_SOURCES = (
    "multinli",
    "snli",
    "breaking_nli",
    "conjnli",
    "counterfactual_snli",
    "fm2",
    "sufficient_facts",
    "scifact",
)


@dataclass(frozen=True)
class StancePair:
    claim: str
    passage: str
    label: str
    source: str


def clean(text: str) -> str:
    """Undo FEVER/PTB bracket tokens, collapse whitespace and cap the length."""
    return detokenize(text)[:MAX_PASSAGE_CHARS]


def pair(claim: str, passage: str, label: str, source: str) -> StancePair | None:
    claim, passage = clean(claim), clean(passage)
    return StancePair(claim, passage, label, source) if claim and passage else None


def _hash_percent(key: str) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 100


def _rng(*key: object) -> random.Random:
    """A deterministic per-item RNG (independent of iteration order)."""
    return random.Random(hashlib.sha1(repr(key).encode()).hexdigest())


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _table(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)


def _tsv(path: Path) -> Iterator[list[str]]:
    """Plain tab-split rows (these NLI TSVs contain unbalanced quotes), header skipped."""
    with path.open(encoding="utf-8-sig") as f:
        next(f)
        for line in f:
            yield line.rstrip("\n").split("\t")


def _nli(
    rows: Iterable[tuple[str, str, str]], source: str, labels: dict[str, str] = NLI_LABELS
) -> Iterator[StancePair]:
    """(premise, hypothesis, label) rows -> pairs with claim = hypothesis, passage = premise."""
    for premise, hypothesis, label in rows:
        mapped = labels.get(label.strip())
        p = pair(hypothesis, premise, mapped, source) if mapped else None
        if p:
            yield p


# ---------------------------------------------------------------- general NLI (3-way only)


def anli(nli: Path) -> Iterator[StancePair]:
    for path in sorted((nli / "anli/anli_v1.0").glob("R*/*.jsonl")):
        yield from _nli(((r["context"], r["hypothesis"], r["label"]) for r in _jsonl(path)), "anli")


def multinli(nli: Path) -> Iterator[StancePair]:
    path = nli / "multinli/mnli_development_set_number_of_correct_responses.txt"
    yield from _nli(((r[1], r[2], r[3]) for r in _tsv(path)), "multinli")


def snli(nli: Path) -> Iterator[StancePair]:
    base = nli / "snli/esnli_preprocessed"
    for split in ("dev", "test"):
        lines = [(base / f"{name}.{split}").read_text(encoding="utf-8").splitlines() for name in ("s1", "s2", "labels")]
        yield from _nli(zip(*lines, strict=True), "snli")


def xnli_en(nli: Path, split: str = "test") -> Iterator[StancePair]:
    rows = _tsv(nli / f"xnli_en/xnli_{split}_en.tsv")
    yield from _nli(((r[1], r[2], r[3]) for r in rows), "xnli_en", XNLI_LABELS)


def sick(nli: Path) -> Iterator[StancePair]:
    yield from _nli(((r[1], r[2], r[4].lower()) for r in _tsv(nli / "sick/SICK.txt")), "sick")


def felipe(nli: Path, name: str) -> Iterator[StancePair]:
    for split in ("train", "dev"):
        rows = _table(nli / f"felipessalvatore_nli_datasets/{name}/{split}.csv")
        yield from _nli(((re.sub(r"\d+jpg\d", " ", r["premise"]), r["hypothesis"], r["label"]) for r in rows), name)


def breaking_nli(nli: Path) -> Iterator[StancePair]:
    rows = _jsonl(nli / "breaking_nli/data/dataset.jsonl")
    yield from _nli(((r["sentence1"], r["sentence2"], r["gold_label"]) for r in rows), "breaking_nli")


def conjnli(nli: Path) -> Iterator[StancePair]:
    for name in ("adversarial_train_15k.tsv", "conj_dev.tsv"):
        yield from _nli(((r[0], r[1], r[2]) for r in _tsv(nli / "conjnli" / name) if len(r) >= 3), "conjnli")


def imppres(nli: Path) -> Iterator[StancePair]:
    for path in sorted((nli / "imppres/dataset").glob("*/*.jsonl")):
        rows = _jsonl(path)
        yield from _nli(
            ((r["sentence1"], r["sentence2"], r.get("gold_label") or r["gold_label_log"]) for r in rows), "imppres"
        )


def counterfactual_snli(nli: Path) -> Iterator[StancePair]:
    # Train split only: the dev/test seeds are SNLI dev/test pairs.
    for kind in ("original", "revised_premise", "revised_hypothesis"):
        rows = _tsv(nli / f"counterfactual_snli/NLI/{kind}/train.tsv")
        yield from _nli(((r[0], r[1], r[2]) for r in rows), "counterfactual_snli")


# ---------------------------------------------------------------- fact verification


def covidfact(nli: Path) -> Iterator[StancePair]:
    for r in _jsonl(nli / "covidfact/COVIDFACT_dataset.jsonl"):
        if p := pair(r["claim"], " ".join(r["evidence"]), FV_LABELS[r["label"]], "covidfact"):
            yield p


def healthver(nli: Path) -> Iterator[StancePair]:
    for split in ("dev", "test"):
        for r in _table(nli / f"healthver/healthver_{split}.csv"):
            if p := pair(r["claim"], r["evidence"], r["label"].strip().lower(), "healthver"):
                yield p


def fm2(nli: Path) -> Iterator[StancePair]:
    """Gold evidence -> the claim's label; one retrieved non-gold sentence per claim -> neutral."""
    for split in ("dev", "test"):
        for r in _jsonl(nli / f"fm2/{split}.jsonl"):
            gold = [e["text"] for e in r["gold_evidence"]]
            if p := pair(r["text"], " ".join(gold), FV_LABELS[r["label"]], "fm2"):
                yield p
            distractors = sorted({e["text"] for e in r["retrieved_evidence"]} - set(gold))
            if distractors and (p := pair(r["text"], _rng("fm2", r["id"]).choice(distractors), NEUTRAL, "fm2")):
                yield p


def wice(nli: Path) -> Iterator[StancePair]:
    """supported -> supports; partially_supported (its partial evidence) and not_supported -> neutral."""
    for split in ("dev", "test"):
        for r in _jsonl(nli / f"wice/entailment_retrieval/claim/{split}.jsonl"):
            sentences = r["evidence"]
            if r["supporting_sentences"]:
                passage = " ".join(sentences[i] for i in r["supporting_sentences"][0])
            else:
                body = [i for i, s in enumerate(sentences) if not s.startswith("(meta data)")] or [0]
                start = _rng("wice", r["meta"]["id"]).choice(body)
                passage = " ".join(sentences[start : start + 3])
            label = SUPPORTS if r["label"] == "supported" else NEUTRAL
            if p := pair(r["claim"], passage, label, "wice"):
                yield p


def sufficient_facts(nli: Path) -> Iterator[StancePair]:
    """HoVer and VitaminC parts (the FEVER part is FEVER dev and stays out).

    The reduced evidence gets NEUTRAL when annotators found it insufficient, else the original label; for
    the insufficient ones the full original evidence (rebuilt from `text_orig`) is added with the original
    label, giving contrast pairs.
    """
    for name in ("hover", "vitaminc"):
        for r in _jsonl(nli / f"sufficient_facts/{name}_sufficient_facts.jsonl"):
            original = FV_LABELS[r["label_before"]]
            reduced = " ".join(sentence for _, sentence in r["evidence"])
            not_enough = r["label_after"] == "NOT ENOUGH"
            if p := pair(r["claim"], reduced, NEUTRAL if not_enough else original, "sufficient_facts"):
                yield p
            if not_enough:
                full = re.sub(r"\[\[[^\]]*\]\]|<[^>]+>", " ", r["text_orig"])
                if p := pair(r["claim"], full, original, "sufficient_facts"):
                    yield p


def fnc1_arc(nli: Path) -> Iterator[StancePair]:
    """Headline = claim, article body = passage; only FNC_UNRELATED_KEEP_PERCENT of `unrelated` is kept."""
    base = nli / "fnc1_arc_stance"
    splits = [
        ("FNC/train_stances_split_9_1/train_train_stances.csv", "FNC/train_bodies.csv"),
        ("FNC/train_stances_split_9_1/train_test_stances.csv", "FNC/train_bodies.csv"),
        ("FNC/competition_test_stances.csv", "FNC/competition_test_bodies.csv"),
        ("ARC/arc_stances_train.csv", "ARC/arc_bodies.csv"),
        ("ARC/arc_stances_test.csv", "ARC/arc_bodies.csv"),
    ]
    for stances, bodies_file in splits:
        bodies = {r["Body ID"]: r["articleBody"] for r in _table(base / bodies_file)}
        for r in _table(base / stances):
            key = f"{r['Headline']}|{r['Body ID']}"
            if r["Stance"] == "unrelated" and _hash_percent(key) >= FNC_UNRELATED_KEEP_PERCENT:
                continue
            if p := pair(r["Headline"], bodies[r["Body ID"]], FNC_LABELS[r["Stance"]], "fnc1_arc"):
                yield p


def climate_fever(data_dir: Path, held_out: bool = False) -> Iterator[StancePair]:
    """Per-sentence evidence labels of the training claims, or with ``held_out`` of the held-out ones."""
    for claim in climate_fever_data.load_claims(data_dir, "heldout" if held_out else "train"):
        for e in claim.evidence:
            if p := pair(claim.text, e.text, e.stance, "climate_fever"):
                yield p


def scifact(data_dir: Path, split: str = "train") -> Iterator[StancePair]:
    """Rationale sentences -> supports/refutes; claims without evidence -> neutral with a random sentence
    of a cited abstract. `split` is "train" or "validation" (the official dev split)."""
    zip_path = scifact_data.scifact_zip(data_dir)
    corpus = scifact_data.load_corpus(zip_path)
    for r in scifact_data.rows(zip_path, f"claims_{split}.csv"):
        if r["evidence_doc_id"]:
            abstract = corpus[r["evidence_doc_id"]]
            passage = " ".join(abstract[int(i)] for i in scifact_data.INT_RE.findall(r["evidence_sentences"]))
            label = FV_LABELS[r["evidence_label"]]
        else:
            cited = [d for d in scifact_data.INT_RE.findall(r["cited_doc_ids"]) if d in corpus]
            if not cited:
                continue
            rng = _rng("scifact", r["id"])
            passage, label = rng.choice(corpus[rng.choice(cited)]), NEUTRAL
        if p := pair(r["claim"], passage, label, "scifact"):
            yield p


def fever_dev_pairs(nli: Path) -> Iterator[StancePair]:
    """FEVER shared-task dev claims with gold evidence (2-way); validation only, never training."""
    base = nli / "fever_dev_pairs/RTE-Fever"
    premises, claims, labels = (
        (base / f"dev.{name}").read_text(encoding="utf-8").splitlines()
        for name in ("raw.input0", "raw.input1", "label")
    )
    mapping = {"entailment": SUPPORTS, "not_entailment": REFUTES}
    for premise, claim, label in zip(premises, claims, labels, strict=True):
        if p := pair(claim, premise, mapping[label], "fever_dev"):
            yield p

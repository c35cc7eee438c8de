"""Contrast data without torch. For the stance model's stage 3 (``stance_debias``): FEVER pairs that keep every
FEVER-Symmetric claim out, claim- and evidence-side contrast pairs, reported rulings written both ways, and the
carrying over of the word-embedding table into an exported model. For the verdict model: AVeriTeC claims
minimally edited so that their own evidence refutes them."""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import onnx
from tqdm import tqdm

from factdesk.datasets import stance_pairs
from factdesk.datasets.averitec import AveritecItem
from factdesk.datasets.fever_symmetric import symmetric_claims
from factdesk.datasets.stance_pairs import REFUTES, SUPPORTS, StancePair
from factdesk.datasets.text import detokenize
from factdesk.evaluate.contrast import ContrastEdit, ContrastEditor
from factdesk.verify.verdict_encoder import WORD_EMBEDDINGS

CONTRAST = "contrast_"  # source prefix of edited pairs
# Fact-verification sources whose supported claims are edited into contrast pairs.
CONTRAST_SOURCES = frozenset(
    {"fever_dev", "covidfact", "healthver", "fm2", "climate_fever", "scifact", "sufficient_facts"}
)


def folded(text: str) -> str:
    """A claim as compared across FEVER files: brackets undone, lower case, single spaces."""
    return " ".join(detokenize(text).lower().split())


def fever_training_pairs(data_dir: Path, dev_sets: dict[str, list[StancePair]]) -> list[StancePair]:
    """FEVER dev pairs whose claim is in no FEVER-Symmetric split and no stance dev set."""
    held = {folded(claim) for claim in symmetric_claims(data_dir)}
    held |= {folded(p.claim) for pairs in dev_sets.values() for p in pairs}
    pairs = [p for p in stance_pairs.fever_dev_pairs(data_dir / "nli") if folded(p.claim) not in held]
    return list(dict.fromkeys(pairs))


_WORD = re.compile(r"[\w.,%$£€-]+")


def changed_words(original: str, edited: str) -> tuple[str, str]:
    """The words of ``original`` an edit replaced, and what replaced them (whole words on both sides)."""
    start = 0
    while start < min(len(original), len(edited)) and original[start] == edited[start]:
        start += 1
    end = 0
    while end < min(len(original), len(edited)) - start and original[-1 - end] == edited[-1 - end]:
        end += 1
    while start > 0 and _WORD.fullmatch(original[start - 1]):
        start -= 1
    while end > 0 and _WORD.fullmatch(original[len(original) - end]):
        end -= 1
    return original[start : len(original) - end].strip(" .,"), edited[start : len(edited) - end].strip(" .,")


def refuting_edits(claim: str, evidence: str, editor: ContrastEditor) -> list[ContrastEdit]:
    """The minimal edits of a claim that ``evidence``, which supports the claim, refutes: a negation always; a
    changed number, date or entity only when the evidence states the original value and not the new one
    (otherwise it may be silent on it)."""
    text = evidence.lower()
    valid = []
    for edit in editor.edits(claim):
        old, new = changed_words(edit.original, edit.edited)
        if edit.kind == "negation" or (old and old.lower() in text and new.lower() not in text):
            valid.append(edit)
    return valid


def edited_claims(items: Sequence[AveritecItem], editor: ContrastEditor) -> list[AveritecItem]:
    """Supported claims minimally edited so that their own gold evidence refutes them (``refuting_edits``: a
    negation, or a number, date or entity the evidence states otherwise), labelled Refuted: what tells them
    apart from the originals is only what the evidence says."""
    out = []
    for item in tqdm(items, desc="contrast edits", unit="claim", mininterval=10):
        if item.label != "Supported" or not item.qa:
            continue
        evidence = " ".join(text for text, _ in item.qa)
        for edit in refuting_edits(item.claim.text, evidence, editor):
            claim = replace(item.claim, id=f"{item.claim.id}-{edit.kind}-edit", text=edit.edited)
            out.append(AveritecItem(claim, "Refuted", item.qa))
    return out


def contrast_pairs(
    supported: Sequence[StancePair], editor: ContrastEditor, limit: int
) -> list[tuple[StancePair, StancePair]]:
    """Up to ``limit`` (original, edited) pairs: the edited claim is refuted by the passage that supports the
    original (``refuting_edits``). One edit per pair, a number, date or entity edit preferred to a negation,
    negations at most half."""
    out: list[tuple[StancePair, StancePair]] = []
    negations = 0
    for p in tqdm(supported, desc="contrast edits", mininterval=30, file=sys.stderr):
        valid = sorted(refuting_edits(p.claim, p.passage, editor), key=lambda e: e.kind == "negation")
        if not valid or (valid[0].kind == "negation" and negations >= limit // 2):
            continue
        negations += valid[0].kind == "negation"
        out.append((p, StancePair(valid[0].edited, p.passage, REFUTES, f"{CONTRAST}{valid[0].kind}")))
        if len(out) >= limit:
            break
    return out


def passage_negations(
    supported: Sequence[StancePair], editor: ContrastEditor, limit: int, max_words: int = 60
) -> list[tuple[StancePair, StancePair]]:
    """(original, edited) pairs with the edit on the evidence side: in a short supporting passage, the sentence
    sharing most words with the claim is negated, and the passage then refutes the claim."""
    out: list[tuple[StancePair, StancePair]] = []
    for p in tqdm(supported, desc="passage negations", mininterval=30, file=sys.stderr):
        if len(p.passage.split()) > max_words:
            continue
        claim_words = set(_WORD.findall(p.claim.lower()))
        sentences = editor.sentences(p.passage)
        best = max(sentences, key=lambda s: len(claim_words & set(_WORD.findall(s.lower()))))
        negation = next((e for e in editor.edits(best) if e.kind == "negation"), None)
        if negation is None:
            continue
        passage = p.passage.replace(best, negation.edited, 1)
        out.append((p, StancePair(p.claim, passage, REFUTES, f"{CONTRAST}passage_negation")))
        if len(out) >= limit:
            break
    return out


# A published ruling on a reported claim, in either direction: the claim's words are in the passage both times,
# so only the ruling tells them apart (the project's own wording).
RULINGS = {
    REFUTES: (
        "The claim that {} is false.",
        "Reports that {} do not hold up.",
        "There is no truth to the claim that {}.",
        "Fact-checkers found it is not true that {}.",
    ),
    SUPPORTS: (
        "The claim that {} is accurate.",
        "Reports that {} have been confirmed.",
        "There is truth to the claim that {}.",
        "Fact-checkers found it is true that {}.",
    ),
}


def reported_rulings(claims: Sequence[str], seed: int) -> list[tuple[StancePair, StancePair]]:
    """For each claim, a passage ruling it false and one ruling it true (the same template family)."""
    rng = random.Random(seed)
    out = []
    for claim in claims:
        body = claim.strip().rstrip(".")  # its first letter kept: it may start a name
        k = rng.randrange(len(RULINGS[REFUTES]))
        out.append(
            tuple(StancePair(claim, RULINGS[label][k].format(body), label, f"{CONTRAST}ruling") for label in RULINGS)
        )
    return out


def carry_word_embeddings(source: Path, target: Path) -> None:
    """Overwrite ``target``'s word-embedding initializers with ``source``'s (same names, same quantisation)."""
    old = {i.name: i for i in onnx.load(str(source)).graph.initializer if i.name.startswith(WORD_EMBEDDINGS)}
    model = onnx.load(str(target))
    replaced = 0
    for i, init in enumerate(model.graph.initializer):
        if init.name in old:
            if tuple(init.dims) != tuple(old[init.name].dims):
                raise SystemExit(f"{target}: {init.name} has dims {init.dims}, {source} has {old[init.name].dims}")
            model.graph.initializer[i].CopyFrom(old[init.name])
            replaced += 1
    if replaced != len(old):
        raise SystemExit(f"{target}: {replaced} of {len(old)} word-embedding initializers of {source} found")
    onnx.save(model, str(target))

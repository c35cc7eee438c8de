"""The library API: a FactDesk wires the stages together over one store."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from factdesk import registry
from factdesk.config import Config
from factdesk.errors import FactdeskError
from factdesk.explain import TemplateWriter
from factdesk.explain.citations import CitationChecker
from factdesk.ingest import Ingester, IngestReport
from factdesk.publish import load_scale
from factdesk.records import STANCE_LABELS, Claim, Evidence, FactCheck, Provenance, Statement, Verdict
from factdesk.store import PassageHit, Store
from factdesk.verify.base import Aggregator, StanceModel

VERSION = "0.1.0"
log = logging.getLogger("factdesk")


class FactDesk:
    """``FactDesk(path)`` opens (or creates) a store; ``check`` runs retrieve → verify → explain on a claim."""

    def __init__(self, store: str | Path, config: Config | None = None) -> None:
        self.config = config or Config()
        self.store = Store(Path(store))
        self.retriever = registry.create(
            "retriever",
            self.config.retrieve.retriever,
            candidates=self.config.retrieve.candidates,
            max_per_document=self.config.retrieve.max_per_document,
        )
        self.stance: StanceModel = registry.create("stance", self.config.verify.stance_model)
        self.aggregator: Aggregator = registry.create("aggregator", self.config.verify.aggregator)
        explain = self.config.explain
        writer_params = (
            {"url": explain.llm_url, "model": explain.llm_model, "api_key_env": explain.llm_api_key_env}
            if explain.writer == "llm"
            else {}
        )
        self.writer = registry.create("writer", explain.writer, **writer_params)
        self.fallback_writer = TemplateWriter()
        self.citations = CitationChecker(self.store.document, self.stance)
        self.rating_scale = load_scale(self.config.publish.rating_scale)
        self._warm = False

    def warm_up(self) -> None:
        if not self._warm:
            try:
                self.retriever.warm_up()
                self.stance.warm_up()
            except OSError as exc:
                raise FactdeskError(f"cannot load a model: {exc}") from exc
            self._warm = True

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> FactDesk:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ingest(self, paths: Sequence[str | Path], progress: bool = False) -> IngestReport:
        return Ingester(self.store, self.config.ingest, progress=progress).run([Path(p) for p in paths])

    def check(self, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        """Checks ``claim`` against passages published no later than ``as_of`` (default: the claim's date)."""
        self.warm_up()
        cutoff = as_of or claim.date
        hits = self.retriever.run(self.store, claim, cutoff)
        evidence = self._weigh(claim, hits)
        scores = self.aggregator.run(claim, evidence)
        label = max(scores, key=scores.__getitem__)
        verdict = Verdict(label, self.rating_scale.rate(label, scores[label]).name, scores[label], scores)
        notes = [
            f"Note: {e.document.id} has no publication date; it was kept and may postdate the claim."
            for e in evidence
            if e.undated
        ]
        justification = self._write(claim, verdict, evidence, notes)
        check = FactCheck(
            claim=claim,
            verdict=verdict,
            evidence=tuple(evidence),
            justification=justification,
            provenance=Provenance(
                stance_model=self.stance.name,
                aggregator=self.aggregator.name,
                retriever=self.retriever.name,
                corpus_version=self.store.corpus_version(),
                evidence_cutoff=cutoff,
                created=datetime.now(UTC),
                factdesk_version=VERSION,
            ),
            notes=tuple(notes),
        )
        if save:
            self.save(check)
        return check

    def _write(
        self, claim: Claim, verdict: Verdict, evidence: list[Evidence], notes: list[str]
    ) -> tuple[Statement, ...]:
        """Runs the writer and keeps only sentences whose citations check out; drops are logged and noted."""
        kept = []
        for result in self.citations.check(claim, verdict.label, self.writer.run(claim, verdict, evidence)):
            if result.supported:
                kept.append(result.statement)
            else:
                log.warning("dropped an unsupported sentence (%s): %s", result.reason, result.statement.text)
                notes.append(f"Dropped a sentence its evidence does not support ({result.reason}).")
        if not any(s.kind != "verdict" for s in kept) and self.writer.name != self.fallback_writer.name and evidence:
            notes.append("The writer produced no supported sentence; the local template writer was used.")
            return self.fallback_writer.run(claim, verdict, evidence)
        return tuple(kept)

    def save(self, check: FactCheck) -> int:
        """Stores a fact-check (and its claim) and returns its id, for ``publish``."""
        return self.store.add_factcheck(check)

    def _weigh(self, claim: Claim, hits: list[PassageHit]) -> list[Evidence]:
        """Scores every candidate's stance, then keeps the most relevant ``top_k``."""
        if not hits:
            return []
        probabilities = self.stance.predict(claim.text, [hit.passage.text for hit in hits])
        best_bm25 = max(hit.score for hit in hits) or 1.0
        surname = _surname(claim.claimant)
        weighed = []
        for hit, row in zip(hits, probabilities, strict=True):
            relevance = float(1.0 - row[STANCE_LABELS.index("neutral")])
            stance = STANCE_LABELS[int(np.argmax(row))]
            ranking = 0.8 * relevance + 0.2 * hit.score / best_bm25
            weighed.append(
                (
                    ranking,
                    Evidence(
                        passage=hit.passage,
                        document=hit.document,
                        stance=stance,
                        stance_probabilities={label: float(p) for label, p in zip(STANCE_LABELS, row, strict=True)},
                        scores={"retrieval": float(hit.score), "relevance": relevance},
                        from_claimant=bool(surname and re.search(rf"\b{re.escape(surname)}\b", hit.passage.text)),
                    ),
                )
            )
        weighed.sort(key=lambda item: item[0], reverse=True)
        kept = [e for _, e in weighed if e.relevance >= self.config.verify.min_relevance]
        return kept[: self.config.retrieve.top_k]

    def describe(self) -> dict[str, object]:
        return {"store": str(self.store.root), "config": asdict(self.config), **self.store.stats()}


def _surname(claimant: str) -> str:
    words = claimant.split()
    return words[-1].strip(".,") if words and len(words[-1]) >= 3 else ""

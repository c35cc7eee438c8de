"""The library API: a FactDesk wires the stages together over one store."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from factdesk import registry
from factdesk.claims.extract import ClaimExtractor
from factdesk.claims.language import check_models, detect_language, english_only_warning, preload
from factdesk.claims.matching import KNOWN_MATCH_SCORE, ClaimMatcher, Match
from factdesk.claims.reviews import known_checks
from factdesk.config import Config
from factdesk.errors import FactdeskError
from factdesk.explain import TemplateWriter
from factdesk.explain.citations import CitationChecker
from factdesk.fetch import fetch_log, fetcher_params, is_url
from factdesk.fetch.ingest import WebIngester
from factdesk.ingest import Ingester, IngestReport
from factdesk.publish import load_scale
from factdesk.publish.desk import DeskWork, outside_evidence
from factdesk.records import (
    NOT_ENOUGH_EVIDENCE,
    Claim,
    Document,
    Evidence,
    FactCheck,
    Provenance,
    Statement,
    Verdict,
    to_jsonable,
)
from factdesk.retrieve import Retriever, retriever_params
from factdesk.retrieve.rerank import Reranker
from factdesk.search import WebGatherer, WebReport
from factdesk.store import PassageHit, open_store
from factdesk.verify.base import Aggregator, StanceModel
from factdesk.verify.curation import Mark, curate
from factdesk.verify.relevance import voting_evidence
from factdesk.verify.weigh import EvidenceWeigher
from factdesk.watch import FeedSource, FeedWatcher, WatchReport

VERSION = "0.1.0"
PACKAGE = Path(__file__).resolve().parent
log = logging.getLogger("factdesk")


def match_record(found: Match | None) -> dict[str, object] | None:
    """A known-check match as a plain record (claim, url, rating, claimant, claim date, publisher, source, score)."""
    return None if found is None else {**to_jsonable(found.check), "score": round(found.score, 4)}


def model_hashes(*components: object) -> dict[str, str]:
    """Each model file the components read (``model_files()``, where they have one) with its SHA-256, by path
    relative to the package for shipped models."""
    files = [path for c in components if c is not None for path in getattr(c, "model_files", list)()]
    return {_shown(path): _sha256(path) for path in files if path.is_file()}


def _sha256(path: Path) -> str:
    stat = path.stat()
    return _digest(path.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _digest(path: Path, _mtime_ns: int, _size: int) -> str:
    """SHA-256 of ``path``, computed once per version of the file (its modification time and size)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(PACKAGE.parent)) if resolved.is_relative_to(PACKAGE.parent) else str(resolved)


class FactDesk:
    """``FactDesk(path)`` opens (or creates) a store; ``check`` runs retrieve → verify → explain on a claim.
    ``read_only`` opens an existing store as a reader that never writes to it (a batch worker's desk)."""

    def __init__(self, store: str | Path, config: Config | None = None, read_only: bool = False) -> None:
        self.config = config or Config()
        self.store = open_store(store, read_only)
        retrieve, verify, explain = self.config.retrieve, self.config.verify, self.config.explain
        self.weigher = EvidenceWeigher(
            retriever=registry.build("retriever", retrieve.retriever, **retriever_params(retrieve)),
            stance=registry.build("stance", verify.stance_model),
            reranker=registry.build("reranker", verify.reranker) if verify.reranker else None,
            decomposer=registry.build("decomposer", verify.decomposer) if verify.decomposer else None,
            retrieve=retrieve,
            verify=verify,
            reader=registry.build("reader", verify.reader) if verify.reader else None,
        )
        self.aggregator: Aggregator = registry.build("aggregator", verify.aggregator)
        writer_params = (
            {"url": explain.llm_url, "model": explain.llm_model, "api_key_env": explain.llm_api_key_env}
            if explain.writer.name == "llm"
            else {}
        )
        self.writer = registry.build("writer", explain.writer, **writer_params)
        self.fallback_writer = TemplateWriter()
        self.citations = CitationChecker(self.store.document, self.stance, self.weigher.claim_stance)
        self.rating_scale = load_scale(self.config.publish.rating_scale)
        self._warm = False
        self._models: dict[str, str] = {}
        self._web: WebGatherer | None = None  # made on first use of gather_web: nothing is sent before
        self._watchers: dict[tuple[float, str, float], FeedWatcher] = {}  # kept warm between passes of ``watch``

    @property
    def retriever(self) -> Retriever:
        return self.weigher.retriever

    @property
    def stance(self) -> StanceModel:
        return self.weigher.stance

    @property
    def reranker(self) -> Reranker | None:
        return self.weigher.reranker

    def warm_up(self) -> None:
        if not self._warm:
            preload()
            try:
                self.weigher.warm_up()
                self.aggregator.warm_up()
                weigher = self.weigher
                self._models = model_hashes(
                    weigher.retriever, weigher.stance, weigher.reranker, weigher.reader, self.aggregator
                )
            except OSError as exc:
                raise FactdeskError(f"cannot load a model: {exc}") from exc
            self._warm = True

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> FactDesk:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ingest(
        self,
        paths: Sequence[str | Path],
        progress: bool = False,
        metadata: dict[str, Any] | None = None,
        refetch: bool = False,
    ) -> IngestReport:
        """Adds documents from files, folders and URLs (fetched, archived, and not fetched again unless
        ``refetch``), then brings the retriever's index up to date. ``metadata`` (url, outlet, title, published)
        replaces what the files say; it is not applied to fetched pages."""
        urls = [str(p) for p in paths if is_url(str(p))]
        files = [Path(p) for p in paths if not is_url(str(p))]
        report = Ingester(self.store, self.config.ingest, progress=progress, metadata=metadata).run(files)
        if urls:
            fetcher = registry.build("fetcher", self.config.fetch.fetcher, **fetcher_params(self.config.fetch))
            log = fetch_log(self.store, self.config.fetch)
            WebIngester(self.store, fetcher, self.config.ingest, progress, log).run(urls, report, refetch)
        self.index(progress=progress)
        return report

    def gather_web(self, claim: Claim, as_of: date | None = None, progress: bool = False) -> WebReport:
        """Searches the web for ``claim`` with ``[search]``'s backend and ingests the pages found (archived, and
        not fetched again), so that ``check`` weighs them. The cut-off (``as_of``, else the claim's date) is sent
        to engines that take one; later pages are excluded by ``check`` all the same. Nothing leaves the machine
        unless this is called."""
        if self._web is None:
            self._web = WebGatherer(self.store, self.config)
        report = self._web.run(claim, as_of or claim.date, progress=progress)
        self.index(progress=progress)
        return report

    def watch(
        self,
        feeds: Sequence[FeedSource],
        limit: int | None = None,
        progress: bool = False,
        threshold: float = 0.5,
        scorer: str = "model",
        min_score: float = KNOWN_MATCH_SCORE,
    ) -> WatchReport:
        """One pass over ``feeds``: each new item's page is fetched and ingested (archived, never fetched twice),
        its check-worthy claims (``threshold``, ``scorer``) extracted and matched against known fact-checks
        (listed from ``min_score``); at most ``limit`` items per feed, the rest left for the next pass. Resumes
        where an earlier pass stopped (see ``factdesk.watch``)."""
        settings = (threshold, scorer, min_score)
        if settings not in self._watchers:
            extractor = ClaimExtractor(threshold, scorer=scorer)
            self._watchers[settings] = FeedWatcher(self.store, self.config, extractor, min_score)
        report = self._watchers[settings].run(feeds, limit, progress)
        self.index(progress=progress)
        return report

    def index(self, rebuild: bool = False, progress: bool = False) -> int:
        """Syncs the retriever's index with the store, or rebuilds it; returns the passages rebuilt."""
        try:
            if rebuild:
                return self.retriever.rebuild(self.store, progress=progress)
            self.retriever.index(self.store, progress=progress)
        except OSError as exc:
            raise FactdeskError(f"cannot build the retrieval index: {exc}") from exc
        return 0

    def check(self, claim: Claim, as_of: date | None = None, save: bool = True) -> FactCheck:
        """Checks ``claim`` against passages published no later than ``as_of`` (default: the claim's date)."""
        cutoff = as_of or claim.date
        check = self.rule(claim, self.gather(claim, cutoff), cutoff)
        if save:
            self.save(check)
        return check

    def rule(
        self, claim: Claim, evidence: Sequence[Evidence], cutoff: date | None, notes: Sequence[str] = ()
    ) -> FactCheck:
        """The fact-check of ``claim`` on the given evidence, as ``check`` rules on what it gathers: the verdict
        model weighs the most relevant passages about the claim, and the writer's sentences that their citations
        bear out make the justification. ``notes`` (an editor's curation, say) go first among the check's notes."""
        self.warm_up()
        evidence = list(evidence)
        scores = self.aggregator.run(claim, voting_evidence(evidence, self.config.verify.verdict_evidence))
        verdict = self._rule(scores)
        notes = [*notes] + [
            f"Note: {e.document.id} has no publication date; it was kept and may postdate the claim."
            for e in evidence
            if e.undated
        ]
        language = detect_language(claim.text)
        if not language.english:
            note = "Note: " + english_only_warning(language, check_models(self.config), "the claim")
            log.warning(note)
            notes.insert(0, note)
        justification = self._write(claim, verdict, evidence, notes)
        return FactCheck(
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
                config=to_jsonable(self.config),
                models=self._models,
            ),
            notes=tuple(notes),
        )

    def recheck(self, check: FactCheck, marks: Sequence[Mark], added: Sequence[str] = ()) -> FactCheck:
        """``check`` ruled again (``rule``) on its evidence as an editor curated it: the passages of the stored
        documents ``added`` weighed and joined (none dropped), then the editor's ``marks`` applied (``curate``: a
        passage marked irrelevant is left out, one given a stance is read that way), each noted."""
        self.warm_up()
        present = {(e.passage.doc_id, e.passage.start, e.passage.end) for e in check.evidence}
        hits = []
        for doc_id in dict.fromkeys(added):
            document = self.store.document(doc_id)
            if document is None:
                raise FactdeskError(f"no document {doc_id!r} in the store {self.store.location}")
            passages = [p for p in self.store.passages(doc_id) if (p.doc_id, p.start, p.end) not in present]
            hits += [PassageHit(passage, document, 1.0) for passage in passages]
        joined = [*check.evidence, *self.weigher.weigh_all(check.claim, hits)]
        evidence, notes = curate(joined, marks)
        notes += [f"The editor added {doc_id} to the evidence." for doc_id in dict.fromkeys(added)]
        return self.rule(check.claim, evidence, check.provenance.evidence_cutoff, notes)

    def check_justification(
        self, check: FactCheck, statements: Sequence[Statement]
    ) -> tuple[FactCheck, list[dict[str, object]]]:
        """``check`` with an editor's justification, and each sentence that the citation checker does not bear out
        or that cites no span of the check's evidence passages: its number (from 1), text and the reason."""
        self.warm_up()
        results = self.citations.check(check.claim, check.verdict.label, statements, check.evidence)
        flags: list[dict[str, object]] = []
        for number, (statement, result) in enumerate(zip(statements, results, strict=True), start=1):
            reason = outside_evidence(check, statement) or ("" if result.supported else result.reason)
            if reason:
                flags.append({"sentence": number, "text": statement.text, "reason": reason})
        return replace(check, justification=tuple(statements)), flags

    def search_corpus(self, text: str, limit: int = 20, cutoff: date | None = None) -> list[PassageHit]:
        """Passages of the store for ``text``, best first, found by the configured retriever (none published after
        ``cutoff``)."""
        if not text.strip():
            return []
        try:
            self.retriever.warm_up()
        except OSError as exc:
            raise FactdeskError(f"cannot load a model: {exc}") from exc
        return self.retriever.run(self.store, Claim(text.strip()), cutoff)[:limit]

    def keep_known_match(self, check_id: int, found: Match | None) -> None:
        """Keeps with stored fact-check ``check_id`` the known-check match looked for when it was made (None: none
        found), which the workbench shows first on the check's page."""
        DeskWork(self.store).record_match(check_id, match_record(found))

    def add_document(self, document: Document) -> str:
        """Stores one document an editor gave (pasted text with its outlet, URL and date), chunked like ingested
        ones, and brings the retriever's index up to date; returns its id. Text already stored is refused."""
        if not document.text.strip():
            raise FactdeskError("field 'text': paste the document's or passage's text")
        report = Ingester(self.store, self.config.ingest).add([document], f"pasted:{document.id}")
        if report.problems:
            raise FactdeskError(report.problems[0].reason)
        if not report.added:
            raise FactdeskError("this text is already in the store; find it on the corpus search page")
        self.index()
        return document.id

    def gather(self, claim: Claim, cutoff: date | None) -> list[Evidence]:
        """The evidence for ``claim`` published no later than ``cutoff`` (see ``EvidenceWeigher.gather``)."""
        self.warm_up()
        return self.weigher.gather(self.store, claim, cutoff)

    def _rule(self, scores: dict[str, float]) -> Verdict:
        """The ruling: the likeliest label, unless its probability is below ``abstain_below`` (then Not Enough
        Evidence, leaning towards that label)."""
        label = max(scores, key=scores.__getitem__)
        confidence = scores[label]
        leaning = ""
        if label != NOT_ENOUGH_EVIDENCE and confidence < self.config.verify.abstain_below:
            label, leaning = NOT_ENOUGH_EVIDENCE, label
        return Verdict(label, self.rating_scale.rate(label, confidence).name, confidence, scores, leaning)

    def _write(
        self, claim: Claim, verdict: Verdict, evidence: list[Evidence], notes: list[str]
    ) -> tuple[Statement, ...]:
        """Runs the writer and keeps only sentences whose citations check out; drops are logged and noted."""
        kept = []
        statements = self.writer.run(claim, verdict, evidence)
        for result in self.citations.check(claim, verdict.label, statements, evidence):
            if result.supported:
                kept.append(result.statement)
            else:
                log.warning("dropped an unsupported sentence (%s): %s", result.reason, result.statement.text)
                notes.append(f"Dropped a sentence its evidence does not support ({result.reason}).")
        only_verdict = not any(s.kind not in ("verdict", "assessment") for s in kept)
        if only_verdict and self.writer.name != self.fallback_writer.name and evidence:
            notes.append("The writer produced no supported sentence; the local template writer was used.")
            return self.fallback_writer.run(claim, verdict, evidence)
        return tuple(kept)

    def known_match(self, claim: Claim) -> Match | None:
        """The best earlier fact-check (imported or published here) that likely makes the same point, if any."""
        checks = known_checks(self.store)
        if not checks:
            return None  # nothing to match against: do not load the embedder
        matcher = ClaimMatcher()
        matcher.index(checks, cache=self.store)
        matches = matcher.run(claim.text, 1)
        return matches[0] if matches and matches[0].likely_same else None

    def save(self, check: FactCheck) -> int:
        """Stores a fact-check (and its claim) and returns its id, for ``publish``."""
        return self.store.add_factcheck(check)

    def describe(self) -> dict[str, object]:
        return {"store": self.store.location, "config": asdict(self.config), **self.store.stats()}

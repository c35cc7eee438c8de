"""Lexical retrieval with tantivy: BM25 over passages with block-max WAND, kept in step with the SQLite store.

FTS5 scores every passage that holds any query term, so its cost grows with the corpus; tantivy's top-k search
skips blocks of postings that cannot beat the current k-th score. The store stays the source of truth. The
index is a folder next to the database (``passages.tantivy-<analyzer>``) with one document per passage: its
rowid (fast field), its text (indexed with term frequencies, not stored) and its document's published day
(fast field, days since 1970-01-01; ``UNDATED`` lies below every real day). As for ``DenseIndex``: ``sync``
adds the passages whose rowid is above the largest indexed, ``rebuild`` redoes the folder from the store, a row
in ``passage_index`` records what the folder holds, and a folder that disagrees with it or cannot be opened is
rebuilt. The cut-off (published day <= the cut-off's, which takes in ``UNDATED``) is checked on the fast field
of the unfiltered best hits, or, when too few of those pass, is a clause of the query (see ``search``); hits are
then read from the store by rowid, which applies it again. No later passage can come back.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.store import PassageHit, StoreBackend, folder_of
from factdesk.text.terms import STOPWORDS, query_terms

log = logging.getLogger("factdesk")
SCHEMA_VERSION = 1  # bump when the fields or their analysis change; the record then disagrees and it rebuilds
UNDATED = -(2**63)  # the published day of undated documents: every cut-off keeps them
EPOCH = date(1970, 1, 1)
WRITER_HEAP = 256_000_000  # bytes, split between the writer's threads
INDEX_THREADS = 2
TOKENIZER = "factdesk"  # the name the analyzer is registered under in each opened index
ANALYZERS = ("plain", "en_stem")


@dataclass(frozen=True, slots=True)
class LexicalSettings:
    """``analyzer``: ``plain`` (words, lower-cased) or ``en_stem`` (and English Snowball stems, like FTS5's porter).
    On 500 AVeriTeC dev claims both matched FTS5's retrieval; ``plain`` had the better verdicts (benchmarks/README)."""

    analyzer: str = "plain"


def _analyzer(name: str) -> Any:
    import tantivy

    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    builder = builder.filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
    if name not in ANALYZERS:
        raise FactdeskError(f"unknown lexical analyzer {name!r}; expected one of {', '.join(ANALYZERS)}")
    if name == "en_stem":
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


class LexicalIndex:
    """The tantivy index over one store's passages."""

    def __init__(self, store: StoreBackend, settings: LexicalSettings | None = None) -> None:
        self.store = store
        self.settings = settings or LexicalSettings()
        self.model = f"tantivy/{self.settings.analyzer}/{SCHEMA_VERSION}"
        self.path = folder_of(store, "a tantivy index") / f"passages.tantivy-{self.settings.analyzer}"
        self._index: Any = None
        self._searcher: Any = None
        self._analyzer: Any = None
        self._size = 0
        self._last_id = 0
        self._newest = UNDATED  # the latest published day indexed
        self._recorded = False  # whether the store's record describes the open index
        self._links: tempfile.TemporaryDirectory[str] | None = None  # see _folder

    @property
    def size(self) -> int:
        return self._size

    def last_id(self) -> int:
        return self._last_id

    def load(self) -> None:
        """Opens the folder if it matches the store's record of it, else starts an empty index."""
        self._analyzer = _analyzer(self.settings.analyzer)
        record = self.store.passage_index_record(self.model)
        if self.path.exists():
            try:
                self._open()
                if record is not None and (self._size, self._last_id) == record:
                    self._recorded = True
                    return
            except (OSError, ValueError) as exc:  # tantivy reports a damaged folder as either
                log.warning("%s cannot be opened (%s); rebuilding it", self.path.name, exc)
            else:
                log.warning("%s does not match the store's record of it; rebuilding it", self.path.name)
        self.store.require_writable(f"its lexical index {self.path.name} needs rebuilding (`factdesk index`)")
        self._create()

    def _schema(self) -> Any:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("rowid", fast=True)
        builder.add_text_field("text", tokenizer_name=TOKENIZER, index_option="freq")
        builder.add_integer_field("published", fast=True)
        return builder.build()

    def _open(self) -> None:
        """Opens the folder's index and reads how many passages it holds and its largest rowid."""
        import tantivy

        self._index = tantivy.Index(self._schema(), str(self._folder()), reuse=True)
        self._index.register_tokenizer(TOKENIZER, self._analyzer)
        self._refresh()

    def _folder(self) -> Path:
        """The folder tantivy opens. Tantivy takes a lock file even to read, so a read-only store's index is opened
        through a temporary folder of links to its files, in which it can take one."""
        if not self.store.read_only:
            return self.path
        if self._links is None:
            self._links = tempfile.TemporaryDirectory(prefix="factdesk-tantivy-")
            for entry in self.path.iterdir():
                if not entry.name.endswith(".lock"):
                    (Path(self._links.name) / entry.name).symlink_to(entry.resolve())
        return Path(self._links.name)

    def _create(self) -> None:
        self._index = None
        self._searcher = None
        self._recorded = False
        # Moved aside before deleting: another open view of the index may still write a file into the folder,
        # which would make a plain delete leave it behind.
        if self.path.exists():
            doomed = self.path.with_name(f"{self.path.name}.old-{os.getpid()}-{time.monotonic_ns()}")
            self.path.rename(doomed)
            if doomed.is_dir():
                shutil.rmtree(doomed, ignore_errors=True)
            else:
                doomed.unlink(missing_ok=True)
        self.path.mkdir(parents=True)
        self._open()

    def _refresh(self) -> None:
        self._index.reload()
        self._searcher = self._index.searcher()
        self._size = self._searcher.num_docs
        self._last_id = self._largest("rowid", 0)
        self._newest = self._largest("published", UNDATED)

    def _largest(self, field: str, empty: int) -> int:
        """The largest value of a fast field in the index (``empty`` if it holds nothing)."""
        import tantivy

        if not self._size:
            return empty
        top = self._searcher.search(
            tantivy.Query.all_query(), 1, count=False, order_by_field=field, order=tantivy.Order.Desc
        )
        return int(self._searcher.fast_field_values(field, [top.hits[0][1]])[0])

    def sync(self, batch: int = 20_000, progress: bool = False) -> int:
        """Indexes the passages added to the store since the last sync, in one commit; returns how many."""
        import tantivy

        if self._index is None:
            self.load()
        added = 0
        if self.store.dated_passages_after(self._last_id, 1):
            self.store.require_writable(f"its lexical index {self.path.name} is behind it (`factdesk index`)")
            try:
                writer = self._index.writer(WRITER_HEAP, INDEX_THREADS)
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise FactdeskError(f"{self.path}: cannot update the lexical index: {exc}") from exc
                log.info("%s is being updated by another process; searching it as it is", self.path.name)
                return 0
            try:
                self._refresh()  # under the writer lock: what another process indexed meanwhile is not added again
                last = self._last_id
                while rows := self.store.dated_passages_after(last, batch):
                    for rowid, text, published in rows:
                        doc = tantivy.Document()
                        doc.add_unsigned("rowid", rowid)
                        doc.add_text("text", text)
                        doc.add_integer("published", _day(published))
                        writer.add_document(doc)
                    added += len(rows)
                    last = rows[-1][0]
                    if progress:
                        log.info("indexed %d passages (%s)", added, self.model)
                writer.commit()
                writer.wait_merging_threads()  # and releases the lock
            except ValueError as exc:  # tantivy's errors, e.g. another process holding the writer lock
                raise FactdeskError(f"{self.path}: cannot update the lexical index: {exc}") from exc
            self._refresh()
        if added or not self._recorded:
            self.store.record_passage_index(self.model, self._last_id, self._size)
            self._recorded = True
        return added

    def rebuild(self, progress: bool = False) -> int:
        """Re-indexes every passage of the store into a fresh folder."""
        self._analyzer = _analyzer(self.settings.analyzer)
        self._create()
        return self.sync(progress=progress)

    def terms(self, text: str) -> list[str]:
        """The indexed terms of ``text``'s content words (``query_terms``, then the index's analyzer)."""
        if self._analyzer is None:
            self._analyzer = _analyzer(self.settings.analyzer)
        seen: dict[str, None] = {}
        for word in query_terms(text):
            for token in self._analyzer.analyze(word):
                if token not in STOPWORDS and (len(token) > 1 or token.isdigit()):
                    seen.setdefault(token, None)
        return list(seen)

    def query(self, text: str, cutoff: date | None = None) -> Any:
        """BM25 over ``text``'s terms (built term by term: user text is never parsed as query syntax), limited
        to passages published no later than ``cutoff``; None if ``text`` has no content word."""
        import tantivy

        terms = self.terms(text)
        if not terms:
            return None
        schema = self._index.schema
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "text", t, index_option="freq")) for t in terms]
        )
        if cutoff is None or _day(cutoff) >= self._newest:
            return query  # the filter would keep every passage; without it the search keeps block-max WAND
        published = tantivy.Query.range_query(schema, "published", tantivy.FieldType.Integer, None, _day(cutoff))
        # The filter scores 0: as a plain clause it adds 1.0 to some hits and not others when tantivy prunes.
        keep = tantivy.Query.const_score_query(published, 0.0)
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, keep)])

    def search(self, text: str, cutoff: date | None, limit: int, exclude: Any = None) -> list[PassageHit]:
        """The ``limit`` best BM25 passages for ``text`` published no later than ``cutoff`` (undated ones kept);
        ``score`` is tantivy's BM25. ``exclude(hit)`` drops hits (e.g. deny-listed sources) before counting.

        A filter in the query costs tantivy its block-max pruning (4 to 7 times slower at 1M passages), and most
        cut-offs keep most passages. So the unfiltered best ``2 · limit`` come first, and those published after
        the cut-off (by the ``published`` fast field) are dropped: what is left is the filtered query's best, in
        its order. Only if too few are left does the query carry the filter."""
        if self._index is None:
            self.load()
        query = self.query(text) if self._size else None
        if query is None:
            return []
        day = _day(cutoff)
        checked = cutoff is not None and day < self._newest  # late passages dropped after the search
        want = 2 * limit if checked else limit
        while True:
            found = self._searcher.search(query, want, count=False).hits
            addresses = [address for _, address in found]
            rowids = self._searcher.fast_field_values("rowid", addresses)
            ranked = [(rowid, score) for rowid, (score, _) in zip(rowids, found, strict=True)]
            if checked:
                days = self._searcher.fast_field_values("published", addresses)
                ranked = [pair for pair, published in zip(ranked, days, strict=True) if published <= day]
            hits = self.store.passage_hits([rowid for rowid, _ in ranked], cutoff)
            kept = [
                PassageHit(hit.passage, hit.document, float(score))
                for rowid, score in ranked
                if (hit := hits.get(rowid)) is not None and not (exclude and exclude(hit))
            ]
            if len(kept) >= limit or len(found) < want:
                return kept[:limit]
            if checked:  # too many were late: filter in the query
                query, checked = self.query(text, cutoff), False
            else:
                want *= 4


def _day(day: date | None) -> int:
    return UNDATED if day is None else (day - EPOCH).days

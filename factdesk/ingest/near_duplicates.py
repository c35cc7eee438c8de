"""Near-duplicate documents (syndicated wire copies: another headline, a byline added, a paragraph cut or moved, a
few words changed), found as each batch is ingested, so that verification counts a story carried by several
outlets as one source.

A document's text is read as its set of word triples (lower-cased shingles). Its MinHash signature (datasketch,
``affine32`` scheme, 128 permutations, seeded; a triple hashed from its words' CRC-32s first) estimates the Jaccard
similarity of two documents' triple sets as the share of equal values. LSH finds the candidates: the signature's
32 bands of 4 values (datasketch's ``MinHashLSH`` parameters for a threshold of 0.4 at 128 permutations, below the
default ``threshold`` of 0.5 so that pairs just above it are found: 87% of pairs at 0.5, 99% at 0.6) are each
hashed to a 64-bit band key, and two documents that share a band key are compared. The band keys and signatures
live in the store (``signature_bands``, ``document_signatures``): the index persists with the corpus, needs no
memory, and on PostgreSQL several ingests write it at once. A new document is compared with the stored documents
and the batch's earlier ones that share a band key; when the most similar reaches ``threshold``, the document joins
that one's cluster, whose id is the id of its first copy.

Texts of fewer than ``MIN_WORDS`` words get no signature and are never compared: two different short reports
written from one template share most of their word triples. Two ingests running at once into one PostgreSQL store
do not see each other's batch in flight, so two copies ingested at the same moment may start two clusters."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from factdesk.errors import FactdeskError
from factdesk.store import StoreBackend, StoredDocument

NUM_PERM = 128
SEED = 1
MIN_WORDS = 50
LSH_THRESHOLD = 0.4
BANDS, ROWS = 32, 4  # datasketch MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM): its optimum (the tests check)
_WORD = re.compile(r"\w+")
_TRIPLE = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77))  # odd multipliers: a triple's words in their order
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)
_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0x27D4EB2F165667C5)


def shingles(text: str) -> np.ndarray:
    """The hashes of the text's word triples (lower-cased), each distinct once; empty for a text of fewer than
    ``MIN_WORDS`` words. A triple's hash combines its words' CRC-32s (datasketch mixes it again)."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return np.empty(0, dtype=np.uint32)
    hashes = np.fromiter((zlib.crc32(word.encode("utf-8")) for word in words), dtype=np.uint32, count=len(words))
    return np.unique(hashes[:-2] * _TRIPLE[0] + hashes[1:-1] * _TRIPLE[1] + hashes[2:])  # wraps at 2**32


def band_keys(signature: np.ndarray) -> list[int]:
    """The signature's LSH band keys: each band's values, and its number, mixed into a signed 64-bit integer. Two
    bands of other values rarely share a key, and when they do the two documents are only compared."""
    bands = signature.reshape(BANDS, ROWS).astype(np.uint64)
    keys = (bands * _BAND_MIX).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT
    return keys.view(np.int64).tolist()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity that two signatures estimate: the share of their values that are equal."""
    return float(np.count_nonzero(a == b)) / len(a)


class NearDuplicateFinder:
    """``run(store, items)``: the items, each with its signature, band keys and cluster (the first copy's id, ""
    for an original), from the store's documents and the items before it."""

    def __init__(self, threshold: float = 0.5) -> None:
        if not 0.0 < threshold <= 1.0:
            raise FactdeskError(f"[ingest] near_duplicate_threshold must be above 0 and at most 1, not {threshold}")
        self.threshold = threshold
        self._minhash: Any = None

    def warm_up(self) -> None:
        if self._minhash is None:
            from datasketch import MinHash

            self._minhash = MinHash

    def signatures(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """Each text's signature (``NUM_PERM`` little-endian uint32 values), None for a text too short to compare."""
        sets = [shingles(text) for text in texts]
        if not any(len(s) for s in sets):
            return [None] * len(sets)  # nothing to sign: datasketch (and the scipy it imports) is not loaded
        self.warm_up()
        found = iter(
            self._minhash.bulk(
                [s for s in sets if len(s)], num_perm=NUM_PERM, seed=SEED, hashfunc=int, scheme="affine32"
            )
        )
        return [next(found).hashvalues.astype("<u4") if len(s) else None for s in sets]

    def run(self, store: StoreBackend, items: Sequence[StoredDocument]) -> list[StoredDocument]:
        signatures = self.signatures([item.document.text for item in items])
        keys = [band_keys(signature) if signature is not None else [] for signature in signatures]
        pool: list[tuple[np.ndarray, str]] = []  # (signature, cluster) of each document compared against
        by_key: dict[int, list[int]] = {}  # band key -> positions in pool
        stored = store.near_duplicate_candidates([key for found in keys for key in found])
        for _, cluster, signature in sorted(stored):  # by id: equally similar candidates are taken in one order
            _add(pool, by_key, np.frombuffer(signature, dtype="<u4"), cluster)
        done = []
        for item, signature, found in zip(items, signatures, keys, strict=True):
            if signature is None:
                done.append(item)
                continue
            scores = {p: similarity(signature, pool[p][0]) for key in found for p in by_key.get(key, ())}
            best = max(scores, key=lambda p: (scores[p], -p), default=None)  # the most similar, the earliest first
            cluster = pool[best][1] if best is not None and scores[best] >= self.threshold else ""
            _add(pool, by_key, signature, cluster or item.document.id, found)
            done.append(replace(item, signature=signature.tobytes(), bands=tuple(found), cluster=cluster))
        return done


def _add(
    pool: list[tuple[np.ndarray, str]],
    by_key: dict[int, list[int]],
    signature: np.ndarray,
    cluster: str,
    keys: list[int] | None = None,
) -> None:
    position = len(pool)
    pool.append((signature, cluster))
    for key in keys if keys is not None else band_keys(signature):
        by_key.setdefault(key, []).append(position)

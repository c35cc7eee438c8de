"""Record files read as streams, in constant memory, from any record on: JSONL (``.jsonl``, ``.ndjson``, plain or
gzipped) with the fields of the JSONL reader, and WARC (``.warc``, ``.warc.gz``), whose HTML responses are read
as pages are when fetched (``factdesk.ingest.html``).

Each record read comes with the ``Position`` after it: records read so far (lines, for JSONL) and the byte offset
where the next one starts (in the decompressed stream for JSONL, in the file for WARC, whose gzip members are
records), so an ingest can resume after the last record it committed. A file is named by ``file_key``: its size
and the SHA-256 of its first and last MiB, so a dump that was copied or moved resumes too.

A bad record (invalid JSON, a missing field, a damaged WARC record) is a problem naming the file and line or
record; the rest of the file is read. A damaged gzip member of a WARC file is skipped up to the next member.
WARC records that are not an HTML page (requests, metadata, images, redirects, errors) and pages with no main
text are passed over, counted as ``skipped``."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any

from factdesk.errors import InputProblem
from factdesk.ingest.html import decode
from factdesk.ingest.readers import ReadItem, document_from_record, page_document

WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = {"text/html", "application/xhtml+xml"}
KEY_BYTES = 1 << 20
_GZIP_MEMBER = b"\x1f\x8b\x08"


@dataclass(frozen=True, slots=True)
class Position:
    """Records read, and the byte offset where the next one starts."""

    records: int = 0
    offset: int = 0


@dataclass(frozen=True, slots=True)
class StreamItem:
    """A record read (``item``: a document or a problem), or one passed over (``item`` None), the position after
    it, and the bytes of the file read so far (for progress)."""

    item: ReadItem | None
    position: Position
    consumed: int


def file_key(path: Path) -> str:
    """The file's size and the SHA-256 of its first and last ``KEY_BYTES`` bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        digest.update(str(size).encode())
        handle.seek(0)
        digest.update(handle.read(KEY_BYTES))
        if size > KEY_BYTES:
            handle.seek(max(KEY_BYTES, size - KEY_BYTES))
            digest.update(handle.read(KEY_BYTES))
    return f"{size}:{digest.hexdigest()}"


def read_stream(path: Path, start: Position = Position()) -> Iterator[StreamItem]:
    """The records of ``path`` from ``start`` on, each with the position after it."""
    if path.name.lower().endswith(WARC_SUFFIXES):
        yield from _read_warc(path, start)
    else:
        yield from _read_jsonl(path, start)


def _problem(path: Path, line: int | None, reason: str) -> ReadItem:
    return ReadItem(None, InputProblem(str(path), line, reason), str(path), 0)


def _read_jsonl(path: Path, start: Position) -> Iterator[StreamItem]:
    """The lines of a JSONL file, plain or gzipped; blank lines are passed over without a word."""
    with path.open("rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if path.name.lower().endswith(".gz") else raw
        number, offset = start.records, start.offset
        try:
            if offset == 0 and (reason := _not_text(stream)):
                yield StreamItem(_problem(path, None, reason), start, raw.tell())
                return
            stream.seek(offset)
            for line in stream:
                number += 1
                offset += len(line)
                if line.strip():
                    yield StreamItem(_jsonl_line(path, number, line), Position(number, offset), raw.tell())
        except (OSError, EOFError, zlib.error) as exc:  # a damaged or cut gzip stream: what came before is kept
            reason = f"damaged gzip stream after line {number}: {exc}"
            yield StreamItem(_problem(path, number + 1, reason), Position(number, offset), raw.tell())


def _not_text(stream: IO[bytes]) -> str:
    """Why the stream is not JSONL ("" if it may be): empty, or binary."""
    head = stream.read(8192)
    if not head.strip() and len(head) < 8192:
        return "empty file"
    return "binary file (contains NUL bytes); expected UTF-8 text" if b"\x00" in head else ""


def _jsonl_line(path: Path, number: int, line: bytes) -> ReadItem:
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _problem(path, number, f"not valid UTF-8 (byte 0x{line[exc.start]:02x})")
    except json.JSONDecodeError as exc:
        return _problem(path, number, f"invalid JSON ({exc.msg} at column {exc.colno})")
    try:
        document = document_from_record(record)
    except ValueError as exc:
        return _problem(path, number, str(exc))
    return ReadItem(document, None, f"{path}:{number}", 0)


def _read_warc(path: Path, start: Position) -> Iterator[StreamItem]:
    """The records of a WARC file, plain or gzipped (a gzip member a record)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    number, offset = start.records, start.offset
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        while offset < size:
            handle.seek(offset)
            records = ArchiveIterator(handle)
            try:
                for record in records:
                    item = _warc_item(path, number + 1, record)
                    records.read_to_end()
                    number, offset = number + 1, records.offset  # where the next record starts
                    yield StreamItem(item, Position(number, offset), offset)
                return
            except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as exc:
                number += 1
                reason = f"record {number} at byte {offset}: damaged WARC record ({exc})"
                offset = _next_member(handle, offset + 1, size) if path.name.lower().endswith(".gz") else size
                yield StreamItem(_problem(path, None, reason), Position(number, offset), offset)


def _warc_item(path: Path, number: int, record: Any) -> ReadItem | None:
    """The page in a WARC ``response`` (or ``resource``) record, if it is one; None for any other record."""
    if record.rec_type not in ("response", "resource"):
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    headers = record.http_headers
    if headers is not None:
        status = headers.get_statuscode() or ""
        kind = headers.get_header("Content-Type") or ""
    else:
        status, kind = "200", record.rec_headers.get_header("Content-Type") or ""
    content_type = Message()
    content_type["Content-Type"] = kind
    if not status.startswith("2") or content_type.get_content_type() not in HTML_TYPES:
        return None
    where = f"{path}:record {number}"
    try:
        html = decode(record.content_stream().read(), str(content_type.get_param("charset") or ""), html=True)
        document = page_document(html, url)
    except Exception as exc:  # a hostile page may break a parser: it fails alone, not the file
        return _problem(path, None, f"record {number} ({url}): {type(exc).__name__}: {exc}")
    return ReadItem(document, None, where, 0) if document is not None else None


def _next_member(handle: IO[bytes], offset: int, size: int) -> int:
    """The offset of the next gzip member at or after ``offset``, or ``size`` if there is none."""
    while offset < size:
        handle.seek(offset)
        block = handle.read(1 << 16)
        found = block.find(_GZIP_MEMBER)
        if found >= 0:
            return offset + found
        offset += max(len(block) - len(_GZIP_MEMBER) + 1, 1)
    return size

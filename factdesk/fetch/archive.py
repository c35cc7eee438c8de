"""Every fetched response is appended to a WARC file beside the store; a record is found again by file and offset."""

from __future__ import annotations

import fcntl
import io
import os
import zlib
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from factdesk.fetch.client import Response
from factdesk.store import StoreBackend, folder_of

ARCHIVE_DIR = "archive"


@dataclass(frozen=True, slots=True)
class WarcRecord:
    """Where a response lies: ``file`` relative to the store folder, the gzip member at ``offset`` of ``length``."""

    file: str
    offset: int
    length: int


def archive_folder(store: StoreBackend) -> Path:
    """The folder of ``store``, which holds its archive; a store with none (PostgreSQL) cannot archive."""
    return folder_of(
        store, "the WARC archive of fetched pages; fetch URLs into a SQLite store (a folder), then `factdesk migrate`"
    )


class WarcArchive:
    """Gzipped WARC files in ``<store>/archive/``, one per UTC day; appends are locked, so processes may share it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def write(self, response: Response) -> WarcRecord:
        """Appends ``response`` (headers and the body as sent) as a WARC ``response`` record, synced to disk."""
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        name = f"{ARCHIVE_DIR}/factdesk-{response.fetched_at:%Y%m%d}.warc.gz"
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            offset = handle.seek(0, os.SEEK_END)
            writer = WARCWriter(handle, gzip=True)
            http_headers = StatusAndHeaders(
                f"{response.status} {response.reason}", response.headers, protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                response.final_url,
                "response",
                payload=io.BytesIO(response.raw),
                length=len(response.raw),
                http_headers=http_headers,
                warc_headers_dict={
                    "WARC-Date": response.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "WARC-Factdesk-Requested-URI": response.url,
                    "WARC-Factdesk-Content-SHA256": response.sha256,
                },
            )
            writer.write_record(record)
            handle.flush()
            os.fsync(handle.fileno())
            return WarcRecord(name, offset, handle.tell() - offset)

    def payload(self, record: WarcRecord) -> bytes:
        """The archived body, decoded (gzip/brotli) as it was read when fetched. Raises OSError or ValueError."""
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        with (self.root / record.file).open("rb") as handle:
            handle.seek(record.offset)
            try:
                for item in ArchiveIterator(handle):
                    return item.content_stream().read()
            except (ArchiveLoadFailed, zlib.error, EOFError) as exc:
                raise ValueError(f"damaged WARC record at {record.file} offset {record.offset}: {exc}") from None
        raise ValueError(f"no WARC record at {record.file} offset {record.offset}")

    def verify(self, record: WarcRecord, expected_sha256: str) -> bool:
        return sha256(self.payload(record)).hexdigest() == expected_sha256


def record_bytes(root: Path, record: WarcRecord) -> bytes:
    """The record's own bytes: one gzip member, itself a valid ``.warc.gz``. Raises OSError."""
    with (Path(root) / record.file).open("rb") as handle:
        handle.seek(record.offset)
        return handle.read(record.length)

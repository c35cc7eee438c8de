"""A batch's output file, the checkpoint a rerun resumes from: one JSON line per claim, keyed by the claim's id."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Self

from factdesk.errors import FactdeskError


class CheckpointFile:
    """Opening it reads the ids already written (a torn last line, from a killed run, is cut off so that the rerun
    checks that claim again); ``append`` writes a chunk of lines and returns once they are on disk (flush + fsync),
    so a line is either whole in the file, and its claim never checked again, or not there at all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = self._read()
        self._file: IO[str] | None = None

    def _read(self) -> set[str]:
        if not self.path.exists():
            return set()
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            with self.path.open("r+b") as handle:
                handle.truncate(len(data))
        done = set()
        for number, line in enumerate(data.splitlines(), start=1):
            try:
                done.add(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                raise FactdeskError(f"{self.path}:{number}: not a factdesk output line; refusing to append") from None
        return done

    def __enter__(self) -> Self:
        self._file = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(self, *_: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def append(self, lines: Sequence[str]) -> None:
        """Appends ``lines`` (JSON, without their newline) and makes them durable."""
        assert self._file is not None, "append inside `with CheckpointFile(...)`"
        if not lines:
            return
        self._file.write("".join(line + "\n" for line in lines))
        self._file.flush()
        os.fsync(self._file.fileno())

"""Errors that name the input at fault: file, line or field, and the reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class FactdeskError(Exception):
    """Base class for errors reported to the user without a traceback."""


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A bad file, line or field: reported, skipped, and turned into a non-zero exit."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


class InputError(FactdeskError):
    def __init__(self, problem: InputProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem

    @classmethod
    def at(cls, path: str | Path, line: int | None, reason: str) -> InputError:
        return cls(InputProblem(str(path), line, reason))

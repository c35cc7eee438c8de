"""Logging: the CLI's messages on stderr at the level -v/-q choose, and long jobs (training) to a file too."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def log_to_file(log: logging.Logger, path: Path) -> None:
    """``log`` writes INFO and above to ``path`` (its folder is created) and to stderr, and not to the root
    logger too, so libraries that configure the root logger do not print every line twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(path, encoding="utf-8"), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(fmt)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def start_run(log: logging.Logger, run_dir: Path, command: str) -> str:
    """Creates ``run_dir``, logs to its ``train.log`` and logs ``command``, the run's command line; returns it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log_to_file(log, run_dir / "train.log")
    log.info("command: %s", command)
    return command


class _Stderr(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is when a record is emitted (it may be replaced)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def log_to_stderr(level: int) -> None:
    """factdesk's messages at ``level`` and above go to stderr as ``LEVEL: message`` (set once, re-levelled after)."""
    logger = logging.getLogger("factdesk")
    handler = next((h for h in logger.handlers if isinstance(h, _Stderr)), None)
    if handler is None:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
    handler.setLevel(level)
    logger.setLevel(level)

"""Logging for long jobs (training): a logger writes to a file and to stderr."""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Sequence
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


def start_run(log: logging.Logger, module: str, run_dir: Path, argv: Sequence[str] | None) -> str:
    """Creates ``run_dir``, logs to its ``train.log`` and logs the command line; returns that command."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log_to_file(log, run_dir / "train.log")
    command = f"python -m {module} " + shlex.join(sys.argv[1:] if argv is None else argv)
    log.info("command: %s", command)
    return command

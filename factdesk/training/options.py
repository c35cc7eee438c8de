"""Typed trainer options: each trainer's options are one frozen dataclass, whose fields are its command-line options
(``--run-dir`` for ``run_dir``). ``python -m`` parses them with ``parse``; ``factdesk train`` builds them directly."""

from __future__ import annotations

import argparse
import shlex
import types
from collections.abc import Sequence
from dataclasses import MISSING, Field, field, fields
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


def option(default: Any = MISSING, *, help: str = "", choices: tuple[str, ...] = ()) -> Any:
    """A dataclass field that is a command-line option; without ``default`` the option is required."""
    return field(default=default, metadata={"help": help, "choices": choices})


def _flag(f: Field[Any]) -> str:
    return "--" + f.name.replace("_", "-")


def _value_type(hint: Any) -> Any:
    """``Path`` of ``Path | None``; the hint itself otherwise."""
    if get_origin(hint) in (Union, types.UnionType):
        (kind,) = (a for a in get_args(hint) if a is not type(None))
        return kind
    return hint


def parser(kind: type, description: str | None) -> argparse.ArgumentParser:
    """The command-line parser of the options dataclass ``kind``."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    hints = get_type_hints(kind)
    for f in fields(kind):
        settings: dict[str, Any] = {"help": f.metadata.get("help") or None}
        if hints[f.name] is bool:
            settings["action"] = argparse.BooleanOptionalAction if f.default else "store_true"
            settings["default"] = f.default
        else:
            settings["type"] = _value_type(hints[f.name])
            if f.default is MISSING:
                settings["required"] = True
            else:
                settings["default"] = f.default
            if f.metadata.get("choices"):
                settings["choices"] = f.metadata["choices"]
        ap.add_argument(_flag(f), **settings)
    return ap


def parse(kind: type[T], argv: Sequence[str] | None, description: str | None) -> T:
    """``kind`` from the command line ``argv`` (default: ``sys.argv[1:]``)."""
    return kind(**vars(parser(kind, description).parse_args(argv)))


def command_line(module: str, options: Any) -> str:
    """``python -m module`` with the options that run ``options``: the required ones and those not at their default."""
    words = ["python", "-m", module]
    for f in fields(options):
        value = getattr(options, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        if isinstance(value, bool):
            words.append(_flag(f) if value else "--no-" + _flag(f)[2:])
        else:
            words += [_flag(f), str(value) if not isinstance(value, Path) else value.as_posix()]
    return shlex.join(words)

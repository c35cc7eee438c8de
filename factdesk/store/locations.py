"""Where a store is: a folder, or a PostgreSQL URL (whose password never shows in messages)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from factdesk.config import POSTGRES_SCHEMES


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def redact(location: str | Path) -> str:
    """``location`` for messages: a URL loses its password."""
    if not is_url(location):
        return str(location)
    parts = urlsplit(str(location))
    if parts.password is None:
        return str(location)
    netloc = f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}"
    return urlunsplit(parts._replace(netloc=netloc))

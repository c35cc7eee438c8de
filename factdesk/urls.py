"""URL helpers shared by every layer."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

_ARCHIVED = re.compile(r"^(?:https?://)?(?:web\.)?archive\.org/web/[^/]+/(.+)$", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@lru_cache(maxsize=65_536)  # every hit of every search asks for it; URLs repeat across lists and claims
def domain(url: str) -> str:
    """The site of ``url``, lower-cased without ``www.`` or a port; an archive.org snapshot counts as the archived
    site (the page it preserves, not archive.org). A bare host (``example.com/page``) works too."""
    url = url.strip()
    while match := _ARCHIVED.match(url):
        url = match.group(1)
    if not _SCHEME.match(url):
        url = "http://" + url
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def read_domain_list(path: Path) -> frozenset[str]:
    """The sites of a list file, one URL or domain per line; ``#`` starts a comment. Raises ``OSError``."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(d for line in lines if (d := domain(line.split("#", 1)[0])))

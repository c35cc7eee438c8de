"""The one error a fetch raises: its message is the reason shown next to the URL."""

from __future__ import annotations


class FetchError(Exception):
    """A URL that could not be fetched or read; ``retry`` when trying again may help (timeouts, 5xx, 429)."""

    def __init__(self, reason: str, retry: bool = False, wait: float = 0.0, status: int = 0) -> None:
        super().__init__(reason)
        self.retry = retry
        self.wait = wait  # a server's Retry-After, in seconds
        self.status = status  # the HTTP status that raised it (429, 5xx), if any


def is_refusal(reason: str) -> bool:
    """Whether a URL's error says it was refused before any request for it was sent (a private address, robots.txt),
    as opposed to a fetch that failed."""
    return reason.startswith(("refused", "disallowed by"))

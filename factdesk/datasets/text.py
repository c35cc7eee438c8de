"""Benchmark text as the models read it."""

from __future__ import annotations

import re

_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}
_PTB_RE = re.compile("|".join(re.escape(k) for k in _PTB))
_WS_RE = re.compile(r"\s+")


def detokenize(text: str) -> str:
    """Benchmark text as written: FEVER/PTB bracket tokens (``-LRB-``) undone, whitespace collapsed."""
    return _WS_RE.sub(" ", _PTB_RE.sub(lambda m: _PTB[m.group(0)], text)).strip()

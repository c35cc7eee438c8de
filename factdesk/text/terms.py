"""Content words: a text's words less English stop words, as retrieval queries and term overlaps use them."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves said says say also
    being been it's""".split()
)


def query_terms(text: str) -> list[str]:
    """Distinct content words in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        word = word.replace("’", "'")
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


def fts_query(text: str) -> str:
    """An SQLite FTS5 OR-query of quoted terms, so user text can never be parsed as FTS syntax."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in query_terms(text))

"""Splits a document into passages of whole sentences, keeping exact char offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from factdesk.records import Document, Passage

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)
_SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|$)", re.DOTALL)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence in ``text[start:end]``, never crossing a blank line."""
    stop = len(text) if end is None else end
    for paragraph in _PARAGRAPH.finditer(text, start, stop):
        for sentence in _SENTENCE.finditer(text, paragraph.start(), paragraph.end()):
            yield sentence.start(), sentence.end()


def chunk(document: Document, max_chars: int) -> list[Passage]:
    """Packs consecutive sentences of one paragraph into passages of at most ``max_chars`` (longer ones split)."""
    passages: list[Passage] = []
    text = document.text
    for paragraph in _PARAGRAPH.finditer(text):
        begin = end = paragraph.start()
        for s_start, s_end in sentence_spans(text, paragraph.start(), paragraph.end()):
            if s_end - begin > max_chars and end > begin:
                passages.append(_passage(document, begin, end))
                begin = s_start
            end = s_end
            while end - begin > max_chars:
                cut = text.rfind(" ", begin, begin + max_chars)
                cut = cut if cut > begin else begin + max_chars
                passages.append(_passage(document, begin, cut))
                begin = cut + 1 if text[cut : cut + 1] == " " else cut
        if end > begin:
            passages.append(_passage(document, begin, end))
    return passages


def _passage(document: Document, start: int, end: int) -> Passage:
    return Passage(document.id, start, end, document.text[start:end])

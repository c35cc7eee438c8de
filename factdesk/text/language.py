"""The language of a text, found offline: for claims, so that English-only models say so instead of running
silently (``factdesk.claims.language``), and for each ingested document, which records it (``factdesk.ingest``).

The detector is py3langid (BSD-3): a naive Bayes model over byte n-grams for 97 languages, shipped inside the
package (4.5 MB installed), no download. Loading it takes about 0.8 s (decompression, done in a background thread
that ``preload()`` starts, so it overlaps spaCy's load); classifying a sentence takes well under 1 ms.

A text of at least 50 words of which a tenth or more are common English function words (the, and, of, to ...)
is English without the model: a transcript's check then costs no model load.

Short English claims with names and figures ("Taiwan shot down a Chinese SU-35 jet") are often given to another
language as the top guess, so a text counts as English unless the model gives English a probability below
``ENGLISH_FLOOR``. On 500 AVeriTeC dev claims (all English) the lowest English probability was 0.056; on short
French, German, Spanish and Ukrainian claims the highest was 0.003 (``tests/test_language.py``).
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

ENGLISH_FLOOR = 0.01
SAMPLE_CHARS = 5000  # a transcript's language is read from its start
_FUNCTION_WORDS = frozenset("the and of to is are was were that this with for have has which from they their".split())
_WORD = re.compile(r"[^\W\d_]+")
_NAMES = {"fr": "French", "de": "German", "es": "Spanish", "uk": "Ukrainian", "ru": "Russian", "it": "Italian"}
_NAMES |= {"pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "ar": "Arabic", "zh": "Chinese", "hi": "Hindi"}
_NAMES |= {"tr": "Turkish", "ja": "Japanese", "ko": "Korean", "sv": "Swedish", "ro": "Romanian", "el": "Greek"}


@dataclass(frozen=True, slots=True)
class Language:
    """``code`` is the likeliest language (ISO 639-1); ``english`` whether the text counts as English;
    ``english_probability`` the model's, or None when function words decided."""

    code: str
    english: bool
    english_probability: float | None

    @property
    def name(self) -> str:
        return f"{_NAMES.get(self.code, self.code)} ({self.code})"


def preload() -> None:
    """Starts loading the detector in the background."""
    _identifier()


def detect_language(text: str) -> Language:
    """The language of ``text`` (its first ``SAMPLE_CHARS`` characters)."""
    if plainly_english(text):
        return Language("en", True, None)
    identifier = _identifier().result()
    ranked = identifier.rank(text[:SAMPLE_CHARS])
    english = dict(ranked).get("en", 0.0)
    if english >= ENGLISH_FLOOR:
        return Language("en", True, english)
    return Language(ranked[0][0], False, english)


def plainly_english(text: str) -> bool:
    """At least 50 words, a tenth of them common English function words."""
    words = _WORD.findall(text[:SAMPLE_CHARS].lower())
    return len(words) >= 50 and sum(word in _FUNCTION_WORDS for word in words) >= 0.1 * len(words)


@cache
def _identifier() -> Future[Any]:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="factdesk-langid")
    future = executor.submit(_load)
    executor.shutdown(wait=False)
    return future


def _load() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

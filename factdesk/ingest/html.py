"""A news page's main text and metadata: trafilatura, with the corrections ``benchmarks/extraction_quality.py``
showed were needed. Used for fetched pages (``factdesk.fetch``) and ``.html`` files alike.

- Date: an article node's ``datePublished`` in the page's JSON-LD wins (in a ``@graph``, the WebPage or WebSite
  node may carry an older date that trafilatura, keeping the earliest, would take). A date the page never states
  (htmldate turns a bare year into 1 January) is dropped for a date in the visible text, whose month names may be
  English, German, French, Spanish, Italian, Portuguese or Dutch, or for none.
- Title: a title that is only the outlet's name (trafilatura splitting ``Outlet - Headline`` the wrong way) gives
  way to the longest other part of the page's ``<title>``.
- Text: each paragraph on its own, separated by a blank line, so passages and sentences never run across two."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from datetime import date
from html import unescape

from factdesk.urls import domain

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "scholarlyarticle",
}
MONTHS = {
    name: number
    for names in (
        "january february march april may june july august september october november december",
        "januar februar märz april mai juni juli august september oktober november dezember",
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        "januari februari maart april mei juni juli augustus september oktober november december",
    )
    for number, name in enumerate(names.split(), start=1)
} | {"sept": 9, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
      "nov": 11, "dec": 12}  # fmt: skip
_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
# "21 de agosto de 2023", "14. März 2023", "8 novembre 2022", "14 March 2023", and "March 14, 2023"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:\.|er|º)?\s+(?:de\s+)?({_MONTH})\.?\s+(?:de\s+)?(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I)
_ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_JSON_LD = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script>", re.I | re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TITLE_PARTS = re.compile(r"\s+[|\-–—:·»]\s+")
_INVISIBLE = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Declared charsets that decode any bytes, or only ASCII: a page that is valid UTF-8 is read as UTF-8 instead.
_LENIENT = {"ascii", "iso8859-1", "cp1252", "utf-8"}


@dataclass(frozen=True, slots=True)
class Article:
    text: str
    title: str
    published: date | None
    author: str
    sitename: str
    language: str
    url: str  # the page's own (canonical) URL, if it gives one


def read_article(html: str, url: str = "") -> Article | None:
    """The page's article, or None when it has no main text."""
    import trafilatura

    found = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, favor_precision=True
    )
    raw = (getattr(found, "text", None) or "") if found is not None else ""
    text = "\n\n".join(line.strip() for line in raw.splitlines() if line.strip())
    if not text:
        return None
    sitename = getattr(found, "sitename", None) or ""
    return Article(
        text=text,
        title=_headline(getattr(found, "title", None) or "", html, sitename, url),
        published=_published(html, getattr(found, "date", None)),
        author=getattr(found, "author", None) or "",
        sitename=sitename,
        language=getattr(found, "language", None) or "",
        url=getattr(found, "url", None) or "",
    )


def decode(body: bytes, declared: str, html: bool = False) -> str:
    """Text of ``body``: a BOM, then a declared charset that is not lenient (header, else ``<meta>``), then UTF-8,
    then the declared one, then charset detection (a page served with the wrong charset still reads)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    if not declared and html and (meta := _META_CHARSET.search(body[:4096])):
        declared = meta.group(1).decode("ascii")
    try:
        declared = codecs.lookup(declared).name if declared else ""
    except LookupError:
        declared = ""
    order = [declared] if declared and declared not in _LENIENT else []
    order += ["utf-8", declared] if declared else ["utf-8"]
    for encoding in order:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    matches = list(from_bytes(body))
    if not matches:
        return body.decode("cp1252", errors="replace")
    # Among near-equal guesses, windows-1252 (browsers' default for undeclared pages) wins over rarer codepages.
    near = [match for match in matches if match.chaos <= matches[0].chaos + 0.05]
    return str(next((match for match in near if match.encoding == "cp1252"), matches[0]))


def _published(html: str, found: str | None) -> date | None:
    declared = _json_ld_date(html)
    if declared is not None:
        return declared
    day = _iso(found)
    if day is not None and (day.month, day.day) == (1, 1) and not _states(html, day):
        day = None  # a bare year, made into 1 January
    return day or _visible_date(html)


def _json_ld_date(html: str) -> date | None:
    """The ``datePublished`` of the first article node in the page's JSON-LD (``@graph`` lists included)."""
    for block in _JSON_LD.findall(html):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for node in _nodes(data):
            kinds = node.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds):
                day = _iso(node.get("datePublished"))
                if day is not None:
                    return day
    return None


def _nodes(data: object) -> list[dict[str, object]]:
    if isinstance(data, list):
        return [node for item in data for node in _nodes(item)]
    if isinstance(data, dict):
        return [data, *_nodes(data.get("@graph", []))]
    return []


def _iso(value: object) -> date | None:
    if not isinstance(value, str) or not (match := _ISO_DAY.match(value.strip())):
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _visible(html: str) -> str:
    return " ".join(unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", html))).split())


def _states(html: str, day: date) -> bool:
    """Whether the page states ``day`` in full, as a reader or a machine would write it."""
    if day.isoformat() in html or f"{day:%d.%m.%Y}" in html or f"{day:%d/%m/%Y}" in html:
        return True
    return day in _dates(_visible(html))


def _visible_date(html: str) -> date | None:
    """The first full date in the page's visible text that is not in the future."""
    found = _dates(_visible(html))
    return next((day for day in found if day <= date.today()), None)


def _dates(text: str) -> list[date]:
    """Full dates written with a month name, in the order they appear."""
    found: list[tuple[int, date]] = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        found += _day(match.start(), match[3], MONTHS[match[2].lower()], match[1])
    for match in _MONTH_DAY_YEAR.finditer(text):
        found += _day(match.start(), match[3], MONTHS[match[1].lower()], match[2])
    return [day for _, day in sorted(found, key=lambda item: item[0])]


def _day(at: int, year: str, month: int, day: str) -> list[tuple[int, date]]:
    try:
        return [(at, date(int(year), month, int(day)))]
    except ValueError:
        return []


def _headline(title: str, html: str, sitename: str, url: str) -> str:
    """``title``, unless it is only the outlet's name: then the longest other part of the page's ``<title>``."""
    if not _is_outlet(title, sitename, url):
        return title
    match = _TITLE.search(html)
    parts = _TITLE_PARTS.split(" ".join(unescape(match[1]).split())) if match else []
    others = [part for part in parts if part and not _is_outlet(part, sitename, url)]
    return max(others, key=len) if others else title


def _is_outlet(text: str, sitename: str, url: str) -> bool:
    letters = re.sub(r"\W+", "", text.casefold())
    site = domain(url).split(".")[0] if url else ""
    return bool(letters) and letters in {re.sub(r"\W+", "", sitename.casefold()), re.sub(r"\W+", "", site)}

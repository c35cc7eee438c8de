"""A fetched response becomes documents: HTML (trafilatura), PDF (pypdf), Word .docx, RSS/Atom (feedparser), plain
text.

A feed gives one document per item, from the item's own title and content; the pages it links to are not
fetched (pass their URLs to fetch them too)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from datetime import date
from html import unescape

from factdesk.fetch.client import Response
from factdesk.fetch.errors import FetchError
from factdesk.ingest.html import read_article
from factdesk.ingest.office import DOCX_TYPE, OfficeText, docx_text, pdf_text
from factdesk.ingest.readers import content_hash
from factdesk.records import Document
from factdesk.urls import domain

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
XML_TYPES = {"application/xml", "text/xml"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
TEXT_TYPES = {"text/plain", "text/markdown"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_FEED_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.DOTALL)
# Declared charsets that decode any bytes, or only ASCII: a page that is valid UTF-8 is read as UTF-8 instead.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_TAG = re.compile(r"<[^>]*>")
_LENIENT = {"ascii", "iso8859-1", "cp1252", "utf-8"}


def kind_of(response: Response) -> str:
    """``html``, ``pdf``, ``docx``, ``feed`` or ``text`` from the Content-Type, or from the bytes when it is vague."""
    declared, head = response.content_type, response.body[:2048]
    if declared == "application/pdf" or head.startswith(b"%PDF-"):
        return "pdf"
    if declared == DOCX_TYPE:
        return "docx"
    if declared in FEED_TYPES or ((declared in XML_TYPES or not declared) and _FEED_START.match(head)):
        return "feed"
    if declared in HTML_TYPES or re.match(rb"\s*(<!doctype html|<html)", head, re.IGNORECASE):
        return "html"
    if declared in TEXT_TYPES or not declared:
        return "text"
    raise FetchError(f"unsupported content type {declared!r}")


def documents(response: Response) -> list[Document]:
    """The documents in ``response``; raises FetchError when none can be read."""
    kind = kind_of(response)
    try:
        if kind == "pdf":
            return [_office(response, pdf_text)]
        if kind == "docx":
            return [_office(response, docx_text)]
        if kind == "feed":
            return _feed(response)
        text = decode(response.body, response.charset, html=kind == "html")
        return [_html(response, text) if kind == "html" else _text(response, text)]
    except FetchError:
        raise
    except Exception as exc:  # a hostile page may break a parser: it fails alone, not the batch
        raise FetchError(f"cannot read the {kind}: {type(exc).__name__}: {exc}") from exc


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


def _doc_id(url: str, text: str) -> str:
    site = re.sub(r"[^a-z0-9]+", "-", domain(url)).strip("-") or "web"
    return f"web-{site}-{content_hash(text)[:12]}"


def _html(response: Response, html: str) -> Document:
    article = read_article(html, response.final_url)
    if article is None:
        raise FetchError("no main text found in the HTML page")
    site = article.sitename
    return Document(
        id=_doc_id(response.final_url, article.text),
        text=article.text,
        url=response.final_url,
        # trafilatura falls back to the host name (with its port): the outlet is then the site's domain
        outlet=site if site and domain(site) != domain(response.final_url) else domain(response.final_url),
        title=article.title[:300],
        published=article.published,
        author=article.author,
        language=article.language or "en",
    )


def _text(response: Response, text: str) -> Document:
    body = text.strip()
    if not body:
        raise FetchError("empty text")
    return Document(
        id=_doc_id(response.final_url, body),
        text=body,
        url=response.final_url,
        outlet=domain(response.final_url),
        title=body.splitlines()[0].strip()[:300],
    )


def _office(response: Response, read: Callable[[bytes], OfficeText]) -> Document:
    try:
        found = read(response.body)
    except ValueError as exc:
        raise FetchError(str(exc)) from None
    return Document(
        id=_doc_id(response.final_url, found.text),
        text=found.text,
        url=response.final_url,
        outlet=domain(response.final_url),
        title=found.title,
        published=found.published,
        author=found.author,
    )


def _feed(response: Response) -> list[Document]:
    import feedparser

    feed = feedparser.parse(response.body, response_headers={"content-type": response.header("Content-Type")})
    if not feed.entries:
        reason = f": {feed.bozo_exception}" if feed.bozo else ""
        raise FetchError(f"a feed with no items{reason}")
    outlet = feed.feed.get("title") or domain(response.final_url)
    found: list[Document] = []
    for entry in feed.entries:
        title = plain(entry.get("title", ""))
        content = entry.get("content") or []
        summary = plain(content[0].get("value", "") if content else entry.get("summary", ""))
        text = "\n\n".join(part for part in (title, summary) if part)
        if not text:
            continue
        url = entry.get("link") or response.final_url
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        found.append(
            Document(
                id=_doc_id(url, text),
                text=text,
                url=url,
                outlet=outlet,
                title=title[:300],
                published=date(*stamp[:3]) if stamp else None,
                author=entry.get("author", ""),
                language=(feed.feed.get("language") or "en")[:2],
            )
        )
    if not found:
        raise FetchError("a feed whose items have no text")
    return found


def plain(html: str) -> str:
    """Text of an HTML fragment (a feed item's summary), whitespace collapsed."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())

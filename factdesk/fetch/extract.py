"""A fetched response becomes documents: HTML (trafilatura), PDF (pypdf), Word .docx, RSS/Atom (feedparser), plain
text.

A feed gives one document per item, from the item's own title and content; the pages it links to are not
fetched (pass their URLs to fetch them too)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html import unescape

from factdesk.fetch.client import Response
from factdesk.fetch.errors import FetchError
from factdesk.ingest.html import decode
from factdesk.ingest.office import DOCX_TYPE, OfficeText, docx_text, pdf_text
from factdesk.ingest.readers import page_document, page_id
from factdesk.records import Document
from factdesk.urls import domain

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
XML_TYPES = {"application/xml", "text/xml"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
TEXT_TYPES = {"text/plain", "text/markdown"}
_FEED_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


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


def _html(response: Response, html: str) -> Document:
    document = page_document(html, response.final_url)
    if document is None:
        raise FetchError("no main text found in the HTML page")
    return document


def _text(response: Response, text: str) -> Document:
    body = text.strip()
    if not body:
        raise FetchError("empty text")
    return Document(
        id=page_id(response.final_url, body),
        text=body,
        url=response.final_url,
        outlet=domain(response.final_url),
        title=body.splitlines()[0].strip()[:300],
        language="",
    )


def _office(response: Response, read: Callable[[bytes], OfficeText]) -> Document:
    try:
        found = read(response.body)
    except ValueError as exc:
        raise FetchError(str(exc)) from None
    return Document(
        id=page_id(response.final_url, found.text),
        text=found.text,
        url=response.final_url,
        outlet=domain(response.final_url),
        title=found.title,
        published=found.published,
        author=found.author,
        language="",
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
                id=page_id(url, text),
                text=text,
                url=url,
                outlet=outlet,
                title=title[:300],
                published=date(*stamp[:3]) if stamp else None,
                author=entry.get("author", ""),
                language=(feed.feed.get("language") or "")[:2],
            )
        )
    if not found:
        raise FetchError("a feed whose items have no text")
    return found


def plain(html: str) -> str:
    """Text of an HTML fragment (a feed item's summary), whitespace collapsed."""
    return " ".join(unescape(_TAG.sub(" ", html)).split())

"""Text and metadata of PDF (pypdf) and Word ``.docx`` files, for local files and fetched responses alike."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class OfficeText:
    """A file's text (paragraphs separated by blank lines) and what its metadata says."""

    text: str
    title: str
    author: str
    published: date | None


def pdf_text(raw: bytes) -> OfficeText:
    """The PDF's text layer, page by page; ValueError when it is encrypted, unreadable or has no text."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise ValueError("the PDF is encrypted")
        text = "\n\n".join(page.strip() for p in reader.pages if (page := p.extract_text() or "").strip())
        info = reader.metadata
    except (PyPdfError, KeyError, OSError) as exc:
        raise ValueError(f"not a readable PDF: {exc}") from None
    if not text:
        raise ValueError("the PDF has no text layer (scanned?)")
    created = info.creation_date if info is not None else None
    return OfficeText(
        text=text,
        title=((info.title if info is not None else None) or text.splitlines()[0]).strip()[:300],
        author=((info.author if info is not None else None) or "").strip(),
        published=created.date() if isinstance(created, datetime) else None,
    )


def docx_text(raw: bytes) -> OfficeText:
    """The paragraphs of a Word document's body (tables included, cell by cell) and its core properties; ValueError
    when it is not a readable ``.docx``."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            body = ElementTree.fromstring(archive.read("word/document.xml"))
            core = archive.read("docProps/core.xml") if "docProps/core.xml" in archive.namelist() else b""
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ValueError(f"not a readable .docx: {exc}") from None
    paragraphs = []
    for paragraph in body.iter(f"{_W}p"):
        words = "".join(
            node.text or "" if node.tag == f"{_W}t" else "\t" if node.tag == f"{_W}tab" else "\n"
            for node in paragraph.iter()
            if node.tag in (f"{_W}t", f"{_W}tab", f"{_W}br")
        ).strip()
        if words:
            paragraphs.append(words)
    if not paragraphs:
        raise ValueError("the .docx has no text")
    properties = ElementTree.fromstring(core) if core else None

    def field(tag: str) -> str:
        node = properties.find(tag) if properties is not None else None
        return (node.text or "").strip() if node is not None else ""

    created = field(f"{_DCTERMS}created")
    try:
        published = date.fromisoformat(created[:10]) if created else None
    except ValueError:
        published = None
    return OfficeText(
        text="\n\n".join(paragraphs),
        title=(field(f"{_DC}title") or paragraphs[0])[:300],
        author=field(f"{_DC}creator"),
        published=published,
    )

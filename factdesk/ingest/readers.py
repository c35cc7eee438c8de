"""Readers turn files into Documents, or into problems that name the file and line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from factdesk.errors import InputProblem
from factdesk.ingest.html import read_article
from factdesk.ingest.office import docx_text, pdf_text
from factdesk.records import Document
from factdesk.urls import domain

# Record files, read as streams (``factdesk.ingest.streams``); the others are read whole, one document each.
STREAM_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".warc", ".warc.gz")
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
OFFICE_READERS = {".pdf": pdf_text, ".docx": docx_text}
SUPPORTED_SUFFIXES = STREAM_SUFFIXES + TEXT_SUFFIXES + HTML_SUFFIXES + tuple(OFFICE_READERS)
_OPTIONAL_STRING_FIELDS = ("url", "outlet", "title", "author", "language")
_HEADER_LINE = re.compile(r"^(published|date|author|url|outlet|title|language)\s*:\s*(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReadItem:
    """One document or one problem, with where it came from and how many input bytes it consumed."""

    document: Document | None
    problem: InputProblem | None
    source: str
    nbytes: int


class LineError(ValueError):
    """A problem at a known line of a whole-file document."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def page_id(url: str, text: str) -> str:
    """The id of a document read from a web page: its site and a hash of its text."""
    site = re.sub(r"[^a-z0-9]+", "-", domain(url)).strip("-") or "web"
    return f"web-{site}-{content_hash(text)[:12]}"


def page_document(html: str, url: str) -> Document | None:
    """The article of the page served at ``url`` (fetched, or archived in a WARC file) as a document, or None
    when the page has no main text. Its language is the page's own, "" when it states none."""
    article = read_article(html, url)
    if article is None:
        return None
    site = article.sitename
    return Document(
        id=page_id(url, article.text),
        text=article.text,
        url=url,
        # trafilatura falls back to the host name (with its port): the outlet is then the site's domain
        outlet=site if site and domain(site) != domain(url) else domain(url),
        title=article.title[:300],
        published=article.published,
        author=article.author,
        language=article.language,
    )


def parse_iso_date(value: object) -> date | None:
    """``None`` for null; raises ValueError for anything but a real YYYY-MM-DD date."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"expected YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date ({exc})") from None


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a record file (JSONL or WARC, plain or gzipped)."""
    return path.name.lower().endswith(STREAM_SUFFIXES)


def supported(path: Path) -> bool:
    return path.name.lower().endswith(SUPPORTED_SUFFIXES)


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[InputProblem]]:
    """Files named directly, and supported files found under folders, in a stable order."""
    files: list[Path] = []
    problems: list[InputProblem] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and supported(p)
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            if supported(path):
                files.append(path)
            else:
                expected = ", ".join(sorted(SUPPORTED_SUFFIXES))
                problems.append(InputProblem(str(path), None, f"unsupported file type; expected one of {expected}"))
        else:
            problems.append(InputProblem(str(path), None, "no such file or directory"))
    return files, problems


def read_file(path: Path) -> Iterator[ReadItem]:
    """The document in a file that is not a record file (text, Markdown, HTML, PDF, .docx), or its problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield _problem(path, None, f"cannot read: {exc.strerror or exc}", 0)
        return
    if not raw.strip():
        yield _problem(path, None, "empty file", len(raw))
        return
    suffix = path.suffix.lower()
    if suffix in OFFICE_READERS:
        try:
            found = OFFICE_READERS[suffix](raw)
        except ValueError as exc:
            yield _problem(path, None, str(exc), len(raw))
            return
        document = Document(
            id=_file_id(path, found.text),
            text=found.text,
            title=found.title,
            published=found.published,
            author=found.author,
            language="",
        )
        yield ReadItem(document, None, str(path), len(raw))
        return
    if b"\x00" in raw[:8192]:
        yield _problem(path, None, "binary file (contains NUL bytes); expected UTF-8 text", len(raw))
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield _problem(path, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", len(raw))
        return
    reader = _read_html if suffix in HTML_SUFFIXES else _read_text
    try:
        document = reader(path, text)
    except ValueError as exc:
        yield _problem(path, getattr(exc, "line", None), str(exc), len(raw))
        return
    yield ReadItem(document, None, str(path), len(raw))


def _problem(path: Path, line: int | None, reason: str, nbytes: int) -> ReadItem:
    return ReadItem(None, InputProblem(str(path), line, reason), str(path), nbytes)


def document_from_record(record: object) -> Document:
    """A document from one JSONL record; ValueError naming the field that is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    doc_id = record.get("id")
    if isinstance(doc_id, int) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise ValueError("field 'id': missing or empty")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"field 'text': missing or empty (document {doc_id!r})")
    strings: dict[str, str] = {}
    for name in _OPTIONAL_STRING_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"field {name!r}: expected a string, got {type(value).__name__}")
        strings[name] = (value or "").strip()
    try:
        published = parse_iso_date(record.get("published"))
    except ValueError as exc:
        raise ValueError(f"field 'published': {exc}") from None
    return Document(
        id=doc_id.strip(),
        text=text,
        url=strings["url"],
        outlet=strings["outlet"],
        title=strings["title"],
        published=published,
        author=strings["author"],
        language=strings["language"],
    )


def _file_id(path: Path, text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
    return f"{slug}-{content_hash(text)[:10]}"


def _read_text(path: Path, text: str) -> Document:
    """Plain text or Markdown: the first line is the title; ``Key: value`` lines near the top give metadata."""
    title = ""
    fields: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(text.splitlines()[:12], start=1):
        stripped = line.strip()
        if not stripped or stripped == "---":
            continue
        header = _HEADER_LINE.match(stripped)
        if header:
            fields[header.group(1).lower()] = (number, header.group(2))
        elif title:
            break
        else:
            title = stripped.lstrip("#").strip()
    date_field = fields.get("published") or fields.get("date")
    try:
        published = parse_iso_date(date_field[1] if date_field else None)
    except ValueError as exc:
        raise LineError(date_field[0] if date_field else 1, f"date: {exc}") from None
    value = {name: item[1] for name, item in fields.items()}
    return Document(
        id=_file_id(path, text),
        text=text,
        url=value.get("url", ""),
        outlet=value.get("outlet", ""),
        title=value.get("title", title)[:300],
        published=published,
        author=value.get("author", ""),
        language=value.get("language", ""),
    )


def _read_html(path: Path, html: str) -> Document:
    article = read_article(html)
    if article is None:
        raise ValueError("no main text found in HTML")
    return Document(
        id=_file_id(path, article.text),
        text=article.text,
        url=article.url,
        outlet=article.sitename,
        title=article.title,
        published=article.published,
        author=article.author,
        language=article.language,
    )

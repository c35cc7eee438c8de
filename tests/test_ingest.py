"""`factdesk ingest` through the CLI: formats, deduplication, bad input, and offsets."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from conftest import doc, write_jsonl

from factdesk.store import Store

HTML = """<!doctype html><html><head><title>Rail hub under pressure</title>
<meta name="author" content="Ana Petrenko"><meta property="article:published_time" content="2022-09-07">
</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<article><h1>Rail hub under pressure</h1>
<p>The railway junction in the eastern town carries most supplies bound for the southern front.</p>
<p>Engineers said on Wednesday that two bridges on the line had been repaired after shelling in August.</p>
<p>Freight traffic resumed at about half of its pre-war volume, according to the regional rail operator.</p>
</article><footer><p>Cookie notice: we use cookies.</p><p>Copyright 2022 Example Media.</p></footer>
</body></html>"""


def stored(store: Path) -> dict[str, int | str]:
    with Store(store) as s:
        return s.stats()


def test_ingests_jsonl_txt_md_and_html_folders(factdesk, store, tmp_path):
    folder = tmp_path / "corpus"
    (folder / "nested").mkdir(parents=True)
    write_jsonl(folder / "docs.jsonl", [doc("a", "First report. It has two sentences."), doc("b", "Second report.")])
    (folder / "note.txt").write_text("Plain note title\nPublished: 2022-09-03\n\nThe note body says something.\n")
    (folder / "nested" / "story.md").write_text("# Markdown story\n\nAuthor: R. Lee\nDate: 2022-09-04\n\nBody text.\n")
    (folder / "nested" / "page.html").write_text(HTML)
    (folder / ".hidden.txt").write_text("never read")

    result = factdesk("ingest", str(folder))

    assert result.exit_code == 0, result.output
    assert "5 documents read: 5 added" in result.stdout
    with Store(store) as s:
        md = next(d for d in map(s.document, _ids(store)) if d.title == "Markdown story")
        assert (md.author, str(md.published)) == ("R. Lee", "2022-09-04")
        page = next(d for d in map(s.document, _ids(store)) if d.title == "Rail hub under pressure")
        assert str(page.published) == "2022-09-07"
        assert page.author == "Ana Petrenko"
        assert "two bridges" in page.text
        assert "Cookie" not in page.text and "Home" not in page.text


def _ids(store: Path) -> list[str]:
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT id FROM documents ORDER BY id")]


def test_passages_keep_exact_char_offsets(factdesk, store, tmp_path):
    text = "Opening line.\n\n" + " ".join(f"Sentence number {i} says a thing about item {i}." for i in range(60))
    factdesk("ingest", str(write_jsonl(tmp_path / "d.jsonl", [doc("long", text)])))
    with Store(store) as s:
        passages = s.passages("long")
        document = s.document("long")
    assert len(passages) > 3
    assert all(document.text[p.start : p.end] == p.text for p in passages)
    assert all(len(p.text) <= 420 for p in passages)
    assert [p.start for p in passages] == sorted(p.start for p in passages)


def test_reingest_changes_nothing(factdesk, store, tmp_path):
    records = [doc(f"d{i}", f"Report number {i} about the river.") for i in range(30)]
    path = write_jsonl(tmp_path / "d.jsonl", records)
    first = factdesk("ingest", str(path))
    before = stored(store)
    second = factdesk("ingest", str(path))  # a file read to the end is not read again
    after = stored(store)
    assert first.exit_code == second.exit_code == 0
    assert "1 files (1 read before, 0 resumed), 0 documents read: 0 added" in second.stdout
    assert before == after
    other = write_jsonl(tmp_path / "more.jsonl", [*records, doc("d30", "Report number 30 about the river.")])
    third = factdesk("ingest", str(other))  # another file holding the same documents: they are stored already
    assert "31 documents read: 1 added, 30 already stored" in third.stdout


def test_same_text_under_another_id_is_a_duplicate(factdesk, store, tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [doc("one", "Identical   text."), doc("two", "Identical text.")])
    result = factdesk("ingest", str(path))
    assert result.exit_code == 0
    assert stored(store)["documents"] == 1


def test_same_id_with_other_text_is_reported_not_overwritten(factdesk, store, tmp_path):
    factdesk("ingest", str(write_jsonl(tmp_path / "a.jsonl", [doc("x", "Original text.")])))
    result = factdesk("ingest", str(write_jsonl(tmp_path / "b.jsonl", [doc("x", "Changed text.")])))
    assert result.exit_code == 1
    assert f"{tmp_path / 'b.jsonl'}:1: document id 'x' is already stored with other text" in result.stderr
    with Store(store) as s:
        assert s.document("x").text == "Original text."


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("truncated.jsonl", None, ":2: invalid JSON"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ": binary file (contains NUL bytes)"),
        ("latin1.txt", "Title\n\nCaf\xe9 prices rose.".encode("latin-1"), ":3: not valid UTF-8"),
        ("empty.md", b"", ": empty file"),
        ("no-text.jsonl", None, ":1: field 'text': missing or empty"),
        ("bad-date.jsonl", None, ":1: field 'published': expected YYYY-MM-DD"),
    ],
)
def test_bad_input_is_named_and_good_documents_are_kept(factdesk, store, tmp_path, name, content, expected):
    good = write_jsonl(tmp_path / "good.jsonl", [doc("g1", "A good document."), doc("g2", "Another good one.")])
    bad = tmp_path / name
    if name == "truncated.jsonl":
        bad.write_text(json.dumps(doc("t1", "Fine line.")) + "\n" + json.dumps(doc("t2", "Cut off"))[:25] + "\n")
    elif name == "no-text.jsonl":
        write_jsonl(bad, [{"id": "empty", "url": "u", "outlet": "o", "published": "2022-01-01", "title": "t"}])
    elif name == "bad-date.jsonl":
        write_jsonl(bad, [doc("late", "Text.", published="10/09/2022")])
    else:
        bad.write_bytes(content)

    result = factdesk("ingest", str(good), str(bad))

    assert result.exit_code == 1
    assert f"error: {bad}{expected}" in result.stderr, result.stderr
    with Store(store) as s:
        assert s.document("g1") and s.document("g2")
    if name == "truncated.jsonl":
        assert stored(store)["documents"] == 3


def test_missing_path_is_reported_and_the_rest_ingested(factdesk, store, tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [doc("g1", "A good document.")])
    missing = tmp_path / "nowhere.jsonl"
    result = factdesk("ingest", str(missing), str(good))
    assert result.exit_code == 1
    assert f"error: {missing}: no such file or directory" in result.stderr
    assert stored(store)["documents"] == 1


def test_unsupported_file_named_directly_is_an_error(factdesk, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b\n")
    result = factdesk("ingest", str(path))
    assert result.exit_code == 1
    assert "unsupported file type" in result.stderr


def test_store_location_precedence(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from factdesk.cli.main import cli

    corpus = write_jsonl(tmp_path / "d.jsonl", [doc("a", "Text.")])
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(cli, ["ingest", str(corpus)], catch_exceptions=False)
    assert (tmp_path / ".factdesk" / "factdesk.sqlite3").exists()
    runner.invoke(cli, ["ingest", str(corpus)], env={"FACTDESK_HOME": str(tmp_path / "env")}, catch_exceptions=False)
    assert (tmp_path / "env" / "factdesk.sqlite3").exists()
    runner.invoke(
        cli, ["--store", str(tmp_path / "flag"), "ingest", str(corpus)], env={"FACTDESK_HOME": str(tmp_path / "env")}
    )
    assert (tmp_path / "flag" / "factdesk.sqlite3").exists()


def test_store_is_wal_with_append_only_audit_log(factdesk, store, tmp_path):
    factdesk("ingest", str(write_jsonl(tmp_path / "d.jsonl", [doc("a", "Text.")])))
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT action FROM audit_log").fetchall() == [("ingest",)]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")


def _docx(paragraphs: list[str], title: str, creator: str, created: str, line_break: bool = True) -> bytes:
    """A minimal Word document: ``paragraphs`` in its body (with ``line_break``, a second line after a break in the
    second), and core properties."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    runs = [f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs]
    if line_break:
        runs[1] = runs[1].replace("</w:t></w:r>", "</w:t><w:br/><w:t>Second line.</w:t></w:r>")
    body = f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>{"".join(runs)}<w:p/></w:body></w:document>'
    core = (
        '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
        f'terms/"><dc:title>{title}</dc:title><dc:creator>{creator}</dc:creator>'
        f"<dcterms:created>{created}</dcterms:created></cp:coreProperties>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", body)
        archive.writestr("docProps/core.xml", core)
    return out.getvalue()


def test_pdf_and_docx_files_are_read_with_their_metadata(factdesk, store, tmp_path):
    from loopback_web import make_pdf

    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "briefing.pdf").write_bytes(
        make_pdf(["Briefing on the rail hub.", "Two bridges were repaired in August."], "Rail briefing", "A. Lee",
                 "D:20220907120000Z")
    )  # fmt: skip
    (folder / "memo.docx").write_bytes(
        _docx(["Memo on freight", "Freight resumed at half its pre-war volume."], "Freight memo", "B. Kim",
              "2022-09-08T10:00:00Z")
    )  # fmt: skip
    result = factdesk("ingest", str(folder))
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM documents")]
    with Store(store) as s:
        documents = {d.title: d for d in s.documents(ids).values()}
    pdf, memo = documents["Rail briefing"], documents["Freight memo"]
    assert "Two bridges were repaired in August." in pdf.text and pdf.author == "A. Lee"
    assert str(pdf.published) == "2022-09-07"
    assert memo.text == "Memo on freight\n\nFreight resumed at half its pre-war volume.\nSecond line."
    assert (memo.author, str(memo.published)) == ("B. Kim", "2022-09-08")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.docx", b"PK\x03\x04 not really a zip", ": not a readable .docx"),
        ("broken.pdf", b"%PDF-1.4\n garbage", ": "),
        ("empty.docx", None, ": the .docx has no text"),
    ],
)
def test_unreadable_office_files_are_named_and_the_rest_kept(factdesk, store, tmp_path, name, content, expected):
    good = write_jsonl(tmp_path / "good.jsonl", [doc("g1", "A good document.")])
    bad = tmp_path / name
    bad.write_bytes(content if content is not None else _docx(["", ""], "t", "c", "2022-01-01", line_break=False))
    result = factdesk("ingest", str(good), str(bad))
    assert result.exit_code == 1
    assert f"error: {bad}{expected}" in result.stderr, result.stderr
    assert stored(store)["documents"] == 1

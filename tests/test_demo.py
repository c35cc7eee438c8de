"""`factdesk demo`: the regrouping claim of 10 September 2022 against the bundled Kharkiv corpus."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from conftest import REPO, run_subprocess

from factdesk import FactDesk
from factdesk.demo import demo_claim, demo_corpus

CLAIM_DATE = date(2022, 9, 10)


@pytest.fixture(scope="module")
def demo_check(tmp_path_factory):
    store = tmp_path_factory.mktemp("demo") / "store"
    with FactDesk(store) as desk:
        report = desk.ingest([demo_corpus()])
        assert report.ok, report.problems
        check = desk.check(demo_claim())
        verdicts = desk.citations.check(check.claim, check.verdict.label, check.justification, check.evidence)
        documents = {e.document.id: e.document for e in check.evidence}
    return check, verdicts, documents


def test_demo_command_rules_the_claim_false_with_cited_evidence(tmp_path):
    result = run_subprocess("--store", str(tmp_path / "store"), "demo")
    assert result.returncode == 0, result.stderr
    assert "VERDICT   False (Refuted)" in result.stdout
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.stdout.split("EVIDENCE")[0])}
    assert len(cited) >= 3


def test_refuted_with_three_cited_passages_from_two_outlets_none_after_the_claim(demo_check):
    check, _, _ = demo_check
    assert check.claim.date == CLAIM_DATE
    assert check.verdict.label == "Refuted"
    cited = {(c.doc_id, c.start, c.end) for s in check.justification for c in s.citations}
    cited_evidence = [
        e
        for e in check.evidence
        if any(
            doc_id == e.passage.doc_id and e.passage.start <= start and end <= e.passage.end
            for doc_id, start, end in cited
        )
    ]
    assert len(cited_evidence) >= 3
    assert len({e.document.outlet for e in cited_evidence}) >= 2
    assert all(e.document.published and e.document.published <= CLAIM_DATE for e in check.evidence)


def test_no_document_after_the_claim_date_is_ever_evidence(demo_check):
    check, _, _ = demo_check
    later = [
        json.loads(line)["id"]
        for line in (demo_corpus() / "corpus.jsonl").read_text().splitlines()
        if json.loads(line)["published"] > CLAIM_DATE.isoformat()
    ]
    assert later, "the demo corpus must hold documents dated after the claim"
    assert not {e.document.id for e in check.evidence} & set(later)


def test_every_sentence_cites_an_existing_span_that_backs_it(demo_check):
    check, verdicts, documents = demo_check
    assert not [note for note in check.notes if note.startswith("Dropped")]
    assert len(check.justification) >= 4
    for statement, result in zip(check.justification, verdicts, strict=True):
        assert statement.citations, statement.text
        for citation in statement.citations:
            text = documents[citation.doc_id].text
            assert 0 <= citation.start < citation.end <= len(text)
        assert result.supported, (statement.text, result.reason)


def test_the_corpus_is_written_in_its_own_words():
    reference = REPO.parent / "shared" / "reference"
    if not reference.is_dir():
        pytest.skip(f"the reference fact-check is not at {reference}")

    def grams(text: str, n: int = 8) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}

    copied = set().union(*(grams(p.read_text(encoding="utf-8")) for p in reference.iterdir() if p.is_file()))
    for path in [*demo_corpus().iterdir(), demo_corpus().parent / "claims.jsonl"]:
        shared = grams(path.read_text(encoding="utf-8")) & copied
        assert not shared, f"{path.name} repeats the reference: {' '.join(next(iter(shared)))}"

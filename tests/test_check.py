"""`factdesk check` through the CLI: single claims, formats, the date cut-off, and resumable batches."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import synthetic
from conftest import doc, write_jsonl

from factdesk.records import STANCE_LABELS, UNRELATED, VERDICT_LABELS

OUTPUT_KEYS = {
    "id",
    "claim",
    "label",
    "rating",
    "confidence",
    "ruled_by",
    "leaning",
    "probabilities",
    "evidence",
    "justification",
    "statements",
    "notes",
}
EVIDENCE_KEYS = {"doc_id", "url", "outlet", "published", "passage", "start", "end", "stance", "about_claim", "score",
                 "also_carried_by"}  # fmt: skip


@pytest.fixture
def small_corpus(factdesk, tmp_path) -> Path:
    path = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc("early", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03"),
            doc("late", "The Harwick bridge reopened to traffic again after the Harwick bridge repairs.", "2022-08-01"),
            doc("other", "Grain prices rose in autumn.", "2022-04-01", outlet="Farm Wire"),
        ],
    )
    assert factdesk("ingest", str(path)).exit_code == 0
    return path


def test_json_report_follows_the_schema_and_respects_the_claim_date(factdesk, small_corpus):
    result = factdesk("check", "The Harwick bridge reopened to traffic", "--date", "2022-06-01", "--format", "json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == OUTPUT_KEYS
    assert record["label"] in VERDICT_LABELS
    assert set(record["probabilities"]) == set(VERDICT_LABELS)
    assert sum(record["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    used = [e["doc_id"] for e in record["evidence"]]
    assert used[0] == "early" and "late" not in used
    assert all(set(e) == EVIDENCE_KEYS and e["stance"] in (*STANCE_LABELS, UNRELATED) for e in record["evidence"])


def test_json_report_has_the_stored_id_and_each_sentence_with_its_citations(factdesk, store, small_corpus):
    result = factdesk("check", "The Harwick bridge reopened to traffic", "--date", "2022-06-01", "--format", "json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)

    assert "Saved as fact-check 1;" in result.stderr and record["id"] == "1"
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        texts = dict(conn.execute("SELECT id, text FROM documents"))
    assert record["statements"] and record["statements"][0]["kind"] == "verdict"
    cited = [c for statement in record["statements"] for c in statement["citations"]]
    assert cited, record["statements"]
    for citation in cited:
        assert set(citation) == {"doc_id", "evidence", "start", "end", "quote"}
        assert citation["quote"] == texts[citation["doc_id"]][citation["start"] : citation["end"]]
        passage = record["evidence"][citation["evidence"] - 1]
        assert passage["doc_id"] == citation["doc_id"]
        assert passage["start"] <= citation["start"] < citation["end"] <= passage["end"]
    for statement in record["statements"]:  # the flat text, kept as it was, is the statements with their [n] marks
        marks = "".join(f" [{n}]" for n in sorted({c["evidence"] for c in statement["citations"]}))
        assert statement["text"] + marks in record["justification"]


def test_as_of_overrides_the_cut_off(factdesk, small_corpus):
    result = factdesk(
        "check", "Harwick bridge reopened", "--date", "2022-06-01", "--as-of", "2022-12-31", "--format", "json"
    )
    assert {"early", "late"} <= {e["doc_id"] for e in json.loads(result.stdout)["evidence"]}


def test_text_and_markdown_reports_name_claim_claimant_verdict_and_sources(factdesk, small_corpus):
    args = ["check", "The Harwick bridge reopened", "--claimant", "Mayor Jones", "--date", "2022-06-01"]
    text = factdesk(*args).stdout
    for expected in ("The Harwick bridge reopened", "Mayor Jones", "VERDICT", "Test Wire", "3 May 2022", "[1]"):
        assert expected in text
    markdown = factdesk(*args, "--format", "markdown").stdout
    assert markdown.startswith("# ") and "## Evidence" in markdown and "https://test-wire.example/early" in markdown


def test_markdown_keeps_multi_line_passages_inside_their_list_items(factdesk, tmp_path):
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc(
                "lines",
                "The Harwick bridge reopened to traffic on 3 May 2022\nafter repairs.\n\n- Officials",
                "2022-05-03",
            ),
            doc("more", "Harwick bridge traffic resumed\n# in May 2022, the council said.", "2022-05-04"),
        ],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    result = factdesk(
        "check", "The Harwick bridge\nreopened to traffic", "--date", "2022-06-01", "--format", "markdown"
    )
    assert result.exit_code == 0, result.output

    lines = result.stdout.splitlines()
    assert lines[0] == "# True: “The Harwick bridge reopened to traffic”"
    sections: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line.startswith("## "):
            sections[line] = []
        elif line and sections:
            sections[list(sections)[-1]].append(line)
    assert "## Justification" in sections
    assert all(line.startswith("- ") for line in sections["## Justification"]), sections["## Justification"]
    assert any("“The Harwick bridge reopened to traffic on 3 May 2022 after repairs.” [1]" in line for line in lines)
    [(heading, evidence)] = [(h, items) for h, items in sections.items() if h.startswith("## Evidence")]
    assert heading.startswith(f"## Evidence ({len(evidence)} passages")
    assert [line.split(". ", 1)[0] for line in evidence] == [str(n) for n in range(1, len(evidence) + 1)]
    assert any(line.endswith("“Harwick bridge traffic resumed # in May 2022, the council said.”") for line in evidence)


def test_empty_store_gives_not_enough_evidence(factdesk):
    record = json.loads(factdesk("--create", "check", "Anything at all", "--format", "json").stdout)
    assert record["label"] == "Not Enough Evidence"
    assert record["evidence"] == []


@pytest.mark.parametrize("command", [["check", "Anything at all"], ["info"], ["match", "Anything"], ["published"]])
def test_a_store_that_does_not_exist_is_an_error_not_an_empty_answer(factdesk, store, command):
    result = factdesk(*command)
    assert result.exit_code == 2
    assert f"no factdesk store at {store}" in result.stderr and "ingest" in result.stderr
    assert not store.exists()  # a mistyped --store leaves nothing behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "give a CLAIM"),
        (["check", "x", "--date", "10/09/2022"], "--date: expected YYYY-MM-DD"),
        (["check", "x", "--date", "2022-02-30"], "not a real date"),
        (["check", "--claims", "in.jsonl"], "batch mode takes --claims IN.jsonl and --out OUT.jsonl"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_reason(factdesk, args, message):
    result = factdesk(*args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.slow
def test_batch_of_50_claims_over_1000_documents(factdesk, tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", synthetic.corpus(1000))
    ingest = factdesk("ingest", str(corpus))
    assert ingest.exit_code == 0 and "1000 added" in ingest.stdout
    claims = write_jsonl(tmp_path / "claims.jsonl", synthetic.claims(50))
    out = tmp_path / "out.jsonl"

    result = factdesk("check", "--claims", str(claims), "--out", str(out))

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [f"c{i:03d}" for i in range(50)]
    published = {d["id"]: d["published"] for d in synthetic.corpus(1000)}
    dates = {c["id"]: c["date"] for c in synthetic.claims(50)}
    for line in lines:
        assert set(line) == OUTPUT_KEYS
        assert line["label"] in VERDICT_LABELS
        for evidence in line["evidence"]:
            assert set(evidence) == EVIDENCE_KEYS
            assert evidence["published"] == published[evidence["doc_id"]] <= dates[line["id"]]
    assert sum(bool(line["evidence"]) for line in lines) >= 40


def test_batch_resumes_after_a_torn_write_without_duplicates(factdesk, small_corpus, tmp_path):
    claims = write_jsonl(
        tmp_path / "claims.jsonl",
        [{"id": f"k{i}", "claim": f"The Harwick bridge reopened in year {2020 + i}"} for i in range(4)],
    )
    out = tmp_path / "out.jsonl"
    assert factdesk("check", "--claims", str(claims), "--out", str(out)).exit_code == 0
    full = out.read_text().splitlines()
    out.write_text(full[0] + "\n" + full[1][:30])  # a run killed while writing the second line

    result = factdesk("check", "--claims", str(claims), "--out", str(out))

    assert result.exit_code == 0
    assert "3 checked, 1 already in" in result.stdout
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["k0", "k1", "k2", "k3"]
    assert "0 checked, 4 already in" in factdesk("check", "--claims", str(claims), "--out", str(out)).stdout


def test_batch_summary_counts_the_lines_written_and_repeated_ids_apart(factdesk, small_corpus, tmp_path):
    claims = write_jsonl(
        tmp_path / "claims.jsonl",
        [
            {"id": "k0", "claim": "The Harwick bridge reopened"},
            {"id": "k1", "claim": "Grain prices rose in autumn"},
            {"id": "k0", "claim": "The Harwick bridge reopened in May"},
        ],
    )
    out = tmp_path / "out.jsonl"

    result = factdesk("check", "--claims", str(claims), "--out", str(out))

    assert result.exit_code == 1  # a repeated id is a problem of the input
    assert f"{claims}: duplicate claim id 'k0'; checked once" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["k0", "k1"]
    assert f"2 checked, 0 already in {out}, 1 skipped as repeated ids, 0 failed, 0 bad lines." in result.stdout


def test_batch_claims_that_fail_are_counted_apart_and_a_rerun_checks_them(factdesk, small_corpus, tmp_path):
    claims = write_jsonl(
        tmp_path / "claims.jsonl",
        [
            {"id": "bridge", "claim": "The Harwick bridge reopened to traffic", "date": "2022-06-01"},
            {"id": "penguins", "claim": "Penguins nest on Antarctic ice"},  # nothing about it: no LLM call
        ],
    )
    out = tmp_path / "out.jsonl"
    closed_port = "http://127.0.0.1:1/v1"

    result = factdesk("check", "--claims", str(claims), "--out", str(out), "--llm", closed_port)

    assert result.exit_code == 1
    assert f"{claims}: claim 'bridge' not checked: LLM endpoint {closed_port}/chat/completions" in result.stderr
    assert f"1 checked, 0 already in {out}, 0 skipped as repeated ids, 1 failed, 0 bad lines." in result.stdout
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["penguins"]

    again = factdesk("check", "--claims", str(claims), "--out", str(out))
    assert again.exit_code == 0, again.output
    assert f"1 checked, 1 already in {out}, 0 skipped as repeated ids, 0 failed, 0 bad lines." in again.stdout
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["penguins", "bridge"]


def test_bad_claim_lines_are_reported_and_the_rest_checked(factdesk, small_corpus, tmp_path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        '{"id": "ok", "claim": "The Harwick bridge reopened"}\n'
        '{"id": "nodate", "claim": "x", "date": "yesterday"}\n'
        '{"id": "cut", "claim": "The bri\n'
        '{"claim": "no id"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = factdesk("check", "--claims", str(claims), "--out", str(out))
    assert result.exit_code == 1
    assert f"{claims}:2: field 'date': expected YYYY-MM-DD" in result.stderr
    assert f"{claims}:3: invalid JSON" in result.stderr
    assert f"{claims}:4: field 'id': missing or empty" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["ok"]


def test_checks_are_stored_with_provenance_and_audited(factdesk, store, small_corpus):
    factdesk("check", "The Harwick bridge reopened", "--date", "2022-06-01")
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        payload = json.loads(conn.execute("SELECT payload FROM factchecks").fetchone()[0])
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert payload["provenance"]["stance_model"]
    assert payload["provenance"]["corpus_version"] == "1"
    assert actions == ["ingest", "check", "known-match"]  # the known-check match looked for, kept with it


@pytest.mark.parametrize(("flags", "shown"), [([], True), (["-q"], False), (["-v"], True)])
def test_warnings_reach_the_user_unless_quiet(factdesk, small_corpus, monkeypatch, tmp_path, flags, shown):
    monkeypatch.setenv("FACTDESK_MISINFO_LIST", str(tmp_path / "missing.txt"))
    result = factdesk(*flags, "check", "The Harwick bridge reopened to traffic", "--date", "2022-06-01")
    assert result.exit_code == 0
    warned = f"WARNING: no misinformation domain list at {tmp_path / 'missing.txt'}" in result.stderr
    assert warned == shown, result.stderr

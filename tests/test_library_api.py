"""The library API underneath the CLI: FactDesk, records, config and the component registry."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import doc, write_jsonl

from factdesk import Claim, Config, FactDesk
from factdesk.config import VerifyConfig
from factdesk.errors import FactdeskError
from factdesk.verify import StanceVoteAggregator


def test_ingest_and_check_through_the_api(tmp_path):
    corpus = write_jsonl(
        tmp_path / "d.jsonl",
        [
            doc("a", "The Glenholm council approved a budget of 12 million euros on 4 March 2022.", "2022-03-04"),
            doc("b", "Glenholm council news from later on: the budget of 12 million euros was cut.", "2022-06-01"),
        ],
    )
    with FactDesk(tmp_path / "store") as desk:
        report = desk.ingest([corpus])
        assert (report.added, report.ok) == (2, True)
        check = desk.check(Claim("Glenholm council approved a budget of 12 million euros", date=date(2022, 4, 1)))
    assert [e.document.id for e in check.evidence] == ["a"]
    assert check.verdict.label in check.verdict.probabilities
    assert check.provenance.corpus_version == "1"
    for statement in check.justification:
        for citation in statement.citations:
            assert any(e.passage.doc_id == citation.doc_id for e in check.evidence)


def test_stance_backend_is_swapped_by_config(tmp_path):
    config = Config(verify=VerifyConfig(stance_model="lexical-baseline"))
    with FactDesk(tmp_path / "store", config) as desk:
        assert desk.stance.name == "lexical-baseline"
    with pytest.raises(FactdeskError, match="no stance backend named 'nope'"):
        FactDesk(tmp_path / "store", Config(verify=VerifyConfig(stance_model="nope")))


def test_config_file_is_validated(tmp_path, factdesk):
    bad = tmp_path / "bad.toml"
    bad.write_text("[retrieve]\ntop_k = 'eight'\n")
    result = factdesk("--config", str(bad), "info")
    assert result.exit_code == 2
    assert f"{bad} [retrieve]: top_k must be int, got 'eight'" in result.stderr
    bad.write_text("[retreive]\ntop_k = 3\n")
    assert "unknown setting 'retreive'" in factdesk("--config", str(bad), "info").stderr
    good = tmp_path / "good.toml"
    good.write_text("[retrieve]\ntop_k = 3\n")
    assert Config.from_toml(good).retrieve.top_k == 3


def _evidence(supports: float, refutes: float, from_claimant: bool = False):
    from factdesk.records import Document, Evidence, Passage

    probabilities = {"supports": supports, "refutes": refutes, "neutral": 1 - supports - refutes}
    stance = max(probabilities, key=probabilities.__getitem__)
    return Evidence(
        Passage("d", 0, 1, "x"), Document("d", "x"), stance, probabilities, {"relevance": 1.0}, from_claimant
    )


@pytest.mark.parametrize(
    ("stances", "label"),
    [
        ([(0.9, 0.0), (0.7, 0.1)], "Supported"),
        ([(0.05, 0.9), (0.0, 0.8)], "Refuted"),
        ([(0.9, 0.0), (0.0, 0.9)], "Conflicting Evidence/Cherrypicking"),
        ([(0.1, 0.1)], "Not Enough Evidence"),
        ([], "Not Enough Evidence"),
    ],
)
def test_stance_vote_aggregation(stances, label):
    scores = StanceVoteAggregator().run(Claim("c"), [_evidence(s, r) for s, r in stances])
    assert max(scores, key=scores.get) == label
    assert sum(scores.values()) == pytest.approx(1.0)


def test_a_claimant_repeating_the_claim_is_not_support():
    echo = [_evidence(0.95, 0.0, from_claimant=True), _evidence(0.0, 0.85)]
    scores = StanceVoteAggregator().run(Claim("c", claimant="A. Official"), echo)
    assert max(scores, key=scores.get) == "Refuted"


def test_a_conflicting_verdict_cites_the_strongest_passages_on_each_side_even_when_all_lean_neutral():
    from factdesk.explain import TemplateWriter
    from factdesk.records import Verdict

    evidence = [_evidence(0.30, 0.10), _evidence(0.10, 0.35), _evidence(0.05, 0.05)]
    assert all(e.stance == "neutral" for e in evidence)
    verdict = Verdict("Conflicting Evidence/Cherrypicking", "Misleading", 0.5, {})
    [first, *_] = TemplateWriter().run(Claim("c"), verdict, evidence)
    assert first.kind == "verdict" and first.citations


def test_a_verdict_no_passage_leans_towards_is_stated_as_an_overall_reading_and_kept():
    from factdesk.explain import TemplateWriter
    from factdesk.explain.citations import CitationChecker
    from factdesk.records import Verdict
    from factdesk.verify.baseline import LexicalStanceBaseline

    evidence = [_evidence(0.10, 0.30), _evidence(0.05, 0.20)]
    assert not any(e.stance_probabilities["supports"] > e.stance_probabilities["refutes"] for e in evidence)
    verdict = Verdict("Supported", "True", 0.55, {})
    [first, *_] = TemplateWriter().run(Claim("c"), verdict, evidence)
    assert first.kind == "assessment" and len(first.citations) == 2
    assert "no passage found supports the claim outright" in first.text
    documents = {e.document.id: e.document for e in evidence}
    [result] = CitationChecker(documents.get, LexicalStanceBaseline()).check(Claim("c"), "Supported", [first])
    assert result.supported
    leaning = [_evidence(0.80, 0.05), *evidence]
    [first, *_] = TemplateWriter().run(Claim("c"), verdict, leaning)
    assert first.kind == "verdict" and len(first.citations) == 1


def test_a_verdict_sentence_is_checked_against_the_stance_recorded_for_its_evidence():
    from factdesk.explain.citations import CitationChecker
    from factdesk.records import Citation, Statement
    from factdesk.verify.baseline import LexicalStanceBaseline

    refuting = _evidence(0.05, 0.90)
    checker = CitationChecker({"d": refuting.document}.get, LexicalStanceBaseline())
    sentence = Statement("False: the evidence refutes the claim.", (Citation("d", 0, 1),), "verdict")
    [kept] = checker.check(Claim("c"), "Refuted", [sentence], [refuting])
    assert kept.supported and kept.reason == "1 of 1 cited passages lean 'refutes'"
    [dropped] = checker.check(Claim("c"), "Supported", [sentence], [refuting])
    assert not dropped.supported

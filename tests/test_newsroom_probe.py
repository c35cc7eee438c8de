"""The newsroom probe set (benchmarks/data/newsroom) is well formed, and its benchmark scores and reports rulings
as it says. No model is loaded: the benchmark itself is run by hand (benchmarks/README.md)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, write_jsonl

from factdesk.errors import FactdeskError

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import newsroom_probe as probe
finally:
    sys.path.remove(str(REPO / "benchmarks"))

CLAIMS = probe.DATA / "claims.jsonl"
CORPUS = probe.DATA / "corpus"


@pytest.fixture(scope="module")
def probe_set() -> probe.ProbeSet:
    return probe.load_set(CLAIMS, CORPUS)


def test_every_claim_has_a_known_rating_and_property_and_every_document_parses(probe_set: probe.ProbeSet) -> None:
    assert 40 <= len(probe_set.claims) <= 80
    assert len(probe_set.documents) >= 30
    assert all(d.url.startswith("https://") and ".example/" in d.url for d in probe_set.documents.values())
    ratings = Counter(c.expected for c in probe_set.claims)
    assert set(ratings) == set(probe.RATINGS)
    assert max(ratings.values()) <= 0.4 * len(probe_set.claims), ratings  # no rating dominates
    properties = Counter(c.property for c in probe_set.claims)
    assert set(properties) == set(probe.PROPERTIES)
    assert min(properties.values()) >= 2, properties
    # the claims read as factdesk's own claims file (the probe's extra fields are ignored)
    assert [c.claim.id for c in probe_set.claims] == [
        json.loads(line)["id"] for line in CLAIMS.read_text().splitlines()
    ]


def test_the_corpus_holds_distractors_and_documents_published_after_the_claims(probe_set: probe.ProbeSet) -> None:
    later = {doc_id for c in probe_set.claims for doc_id in c.later}
    assert len(later) >= 6
    for item in probe_set.claims:
        cutoff = item.claim.date
        assert all(probe_set.documents[d].published <= cutoff for d in item.evidence), item.claim.id
        assert all(probe_set.documents[d].published > cutoff for d in item.later), item.claim.id


def test_a_broken_set_is_refused_naming_file_line_and_reason(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(
        corpus / "corpus.jsonl",
        [
            {"id": "a", "text": "The port handled 3 million containers.", "published": "2024-05-01"},
            {"id": "b", "text": "The port handled 4 million containers.", "published": "2024-07-01"},
            {"id": "c", "text": "Undated text about the port."},
        ],
    )
    good = {"claimant": "X", "date": "2024-06-01", "rationale": "why"}
    claims = write_jsonl(
        tmp_path / "claims.jsonl",
        [
            {
                "id": "1",
                "claim": "The port handled 3 million containers.",
                "expected": "True",
                "property": "verbatim",
                "evidence": ["a"],
                **good,
            },
            {"id": "2", "claim": "c", "expected": "Maybe", "property": "verbatim", "evidence": ["a"], **good},
            {"id": "3", "claim": "c", "expected": "True", "property": "guesswork", "evidence": ["a"], **good},
            {"id": "4", "claim": "c", "expected": "False", "property": "verbatim", "evidence": ["a"], **good},
            {"id": "5", "claim": "c", "expected": "True", "property": "rounded", "evidence": ["b"], **good},
            {"id": "6", "claim": "c", "expected": "Unproven", "property": "own-words", "evidence": ["a"], **good},
            {"id": "7", "claim": "c", "expected": "Unproven", "property": "later-evidence", "evidence": [], **good},
            {"id": "8", "claim": "c", "expected": "True", "property": "verbatim", "evidence": ["zzz"], **good},
            {"id": "1", "claim": "c", "expected": "True", "property": "verbatim", "evidence": ["a"], **good},
        ],
    )
    with claims.open("a") as f:
        f.write("{not json\n")

    with pytest.raises(FactdeskError) as raised:
        probe.load_set(claims, corpus)

    message = str(raised.value)
    assert "document 'c' has no publication date" in message
    assert f"{claims}:1:" not in message
    expected = {
        2: "'Maybe' is not one of",
        3: "'guesswork' is not one of",
        4: "a 'verbatim' claim is rated True, not 'False'",
        5: "'b' was published after the claim's date 2024-06-01",
        6: "names no documents for an Unproven claim",
        7: "a 'later-evidence' claim names the later documents",
        8: "no document 'zzz' in the corpus",
        9: "claim id '1' is used twice",
        10: "invalid JSON",
    }
    for line, reason in expected.items():
        assert any(row.startswith(f"{claims}:{line}") and reason in row for row in message.splitlines()), (
            line,
            message,
        )


def _ruling(claim_id: str, prop: str, expected: str, got: str, leaks: tuple[str, ...] = ()) -> probe.Ruling:
    passage = probe.Passage("d1", "Wire", "2024-01-01", "neutral", False, False, False, False, 0.1, "Yes.")
    return probe.Ruling(
        claim_id, f"claim {claim_id}", "2024-01-02", prop, expected, got, "", 0.5, "", list(leaks), 1.0, [passage]
    )


def test_scores_stand_beside_always_majority_and_wrong_rulings_show_their_passages() -> None:
    rulings = [
        _ruling("a", "verbatim", "True", "True"),
        _ruling("b", "negation", "False", "True"),
        _ruling("c", "changed-number", "False", "False"),
        _ruling("d", "absent-topic", "Unproven", "False", leaks=("late",)),
    ]

    metrics = probe.score(rulings)

    assert metrics["accuracy"] == 0.5
    assert metrics["always_majority"] == {"rating": "False", "accuracy": 0.5, "macro_f1": 0.167}
    assert metrics["f1"] == {"True": 0.667, "False": 0.5, "Unproven": 0.0, "Misleading": 0.0}
    assert metrics["macro_f1"] == 0.292
    assert metrics["confusion"]["rows_expected_columns_got"] == [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0] * 4]
    assert metrics["by_property"]["negation"] == {"claims": 1, "accuracy": 0.0}
    assert metrics["claims_with_leaks"] == 1 and metrics["leaked_documents"] == ["late"]
    text = probe.report(metrics, rulings)
    assert "| always False | 4 | 0.500 | 0.167 |" in text
    assert "## Wrong rulings (2)" in text and "**a**" not in text
    assert "expected Unproven, got False" in text
    assert "[not about the claim; relevance 0.10] d1 (Wire, 2024-01-01): Yes." in text

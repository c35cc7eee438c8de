"""`factdesk import-reviews` and `factdesk match` through the CLI: ClaimReview files, deduplication, bad records,
single and batch matching, cross-lingual matches, and factdesk's own publications."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import SHARED_DATA, doc, write_jsonl

from factdesk.publish.desk import DeskWork
from factdesk.store import open_store

MATCH_KEYS = {
    "claim",
    "url",
    "rating",
    "score",
    "similarity",
    "likely_same_claim",
    "claimant",
    "date",
    "publisher",
    "source",
}


def review(n: int, claim: str, rating: str = "False", claimant: str = "Mayor Jones", **extra: object) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://checkers.example/review-{n}",
        "claimReviewed": claim,
        "datePublished": "2023-02-01",
        "author": {"@type": "Organization", "name": "Checkers Desk"},
        "reviewRating": {"@type": "Rating", "alternateName": rating, "ratingValue": 1, "bestRating": 5},
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": claimant},
            "datePublished": "2023-01-20",
        },
        **extra,
    }


REVIEWS = [
    review(1, "The Harwick river bridge reopened to traffic in May 2022 after 14 months of repairs.", "True"),
    review(2, "Unemployment in Eastwick fell to 4.1 percent, the lowest since records began in 1992.", "Mostly True"),
    review(3, "Bread prices rose 8 percent this year because fertiliser costs doubled.", "Misleading"),
    review(4, "The council approved a budget of 40 million euros for new bus lanes.", "True"),
    review(5, "Vaccines contain microchips that track people.", "False", claimant="Viral post"),
]


@pytest.fixture
def review_files(tmp_path) -> list[Path]:
    """One object (pretty-printed JSON-LD), an array, and JSONL."""
    single = tmp_path / "one.json"
    single.write_text(json.dumps(REVIEWS[0], indent=2), encoding="utf-8")
    array = tmp_path / "many.jsonld"
    array.write_text(json.dumps(REVIEWS[1:3]), encoding="utf-8")
    lines = write_jsonl(tmp_path / "more.jsonl", REVIEWS[3:])
    return [single, array, lines]


@pytest.fixture
def imported(factdesk, review_files) -> list[Path]:
    result = factdesk("import-reviews", *map(str, review_files))
    assert result.exit_code == 0, result.output
    return review_files


def review_count(store: Path) -> int:
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]


def test_imports_one_object_an_array_and_jsonl_and_reimport_changes_nothing(factdesk, store, review_files):
    first = factdesk("import-reviews", *map(str, review_files))
    assert first.exit_code == 0, first.output
    assert "3 files, 5 reviews read: 5 added, 0 already stored, 0 problems" in first.stdout
    again = factdesk("import-reviews", str(review_files[0].parent))
    assert again.exit_code == 0
    assert "5 reviews read: 0 added, 5 already stored" in again.stdout
    assert review_count(store) == 5


def test_graph_numeric_ratings_and_datetimes_are_read(factdesk, tmp_path):
    numeric = review(7, "Harwick doubled its bus fleet in 2021.", claimant="Councillor Smith")
    numeric["reviewRating"] = {"@type": "Rating", "ratingValue": 2, "bestRating": 5, "worstRating": 1}
    numeric["itemReviewed"]["datePublished"] = "2021-11-05T09:30:00Z"
    path = tmp_path / "graph.jsonld"
    path.write_text(json.dumps({"@context": "https://schema.org", "@graph": [numeric, REVIEWS[4]]}), encoding="utf-8")
    assert factdesk("import-reviews", str(path)).exit_code == 0
    [found] = json.loads(factdesk("claims", "--by", "Councillor Smith", "--format", "json").stdout)
    assert (found["rating"], found["date"]) == ("2/5", "2021-11-05")


def test_bad_records_are_named_and_the_rest_imported(factdesk, store, tmp_path):
    array = tmp_path / "array.json"
    array.write_text(json.dumps([REVIEWS[0], {**REVIEWS[1], "claimReviewed": ""}, REVIEWS[2]]), encoding="utf-8")
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        json.dumps(REVIEWS[3]) + "\n" + json.dumps(REVIEWS[4])[:30] + "\n"
        f"{json.dumps({**REVIEWS[4], '@type': 'NewsArticle'})}\n"
        f"{json.dumps({k: v for k, v in REVIEWS[4].items() if k != 'reviewRating'})}\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "@type": "ClaimReview",\n  "url": \n}\n', encoding="utf-8")
    binary = tmp_path / "image.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    missing = tmp_path / "nowhere.json"

    result = factdesk("import-reviews", *map(str, (array, lines, broken, binary, missing)))

    assert result.exit_code == 1
    for expected in (
        f"{missing}: no such file or directory",
        f"{array}: record 2: field 'claimReviewed': missing or empty",
        f"{lines}:2: invalid JSON",
        f"{lines}:3: not a ClaimReview (@type 'NewsArticle')",
        f"{lines}:4: field 'reviewRating': missing",
        f"{broken}:4: invalid JSON (Expecting value at column 1)",
        f"{binary}: binary file (contains NUL bytes)",
    ):
        assert f"error: {expected}" in result.stderr, (expected, result.stderr)
    assert "3 added" in result.stdout
    assert review_count(store) == 3


def test_match_prints_the_earlier_rating_url_and_score(factdesk, imported):
    result = factdesk("match", "Eastwick's jobless rate dropped to 4.1%, a record low")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[:2]
    assert "Mostly True" in first[0] and "Unemployment in Eastwick fell to 4.1 percent" in first[0]
    assert "https://checkers.example/review-2" in first[1] and "Checkers Desk" in first[1]

    matches = json.loads(factdesk("match", "Eastwick's jobless rate dropped to 4.1%", "--format", "json").stdout)
    assert len(matches) == 5 and all(set(m) == MATCH_KEYS for m in matches)
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    assert matches[0]["url"] == "https://checkers.example/review-2"
    assert matches[0]["claimant"] == "Mayor Jones" and matches[0]["date"] == "2023-01-20"


@pytest.mark.parametrize(
    ("claim", "url"),
    [
        ("El puente de Harwick se reabrió en mayo de 2022 tras 14 meses de obras.", "review-1"),
        ("Le prix du pain a augmenté de 8 % à cause des engrais.", "review-3"),
        ("Die Impfstoffe enthalten Mikrochips zur Überwachung.", "review-5"),
    ],
)
def test_matches_across_languages(factdesk, imported, claim, url):
    result = factdesk("match", claim, "--format", "json", "-k", "1")
    matches = json.loads(result.stdout)
    assert matches[0]["url"].endswith(url)
    assert result.stderr == ""  # the default embedder is multilingual: nothing to warn about


def test_an_english_only_embedder_says_so_for_a_claim_in_another_language(factdesk, imported, tmp_path):
    french = factdesk("match", "Le prix du pain a augmenté de 8 %.", "--embedder", "minilm-onnx", "-k", "1")
    assert french.exit_code == 0, french.output
    assert "WARNING: the claim looks like French (fr), but the embedder minilm-onnx is English-only" in french.stderr
    english = factdesk("match", "Bread prices rose 8 percent.", "--embedder", "minilm-onnx", "-k", "1")
    assert english.exit_code == 0 and english.stderr == ""
    claims = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": "a", "claim": "Bread prices rose."}, {"id": "b", "claim": "Die Brücke wurde im Mai wieder eröffnet."}],
    )
    batch = factdesk(
        "match", "--claims", str(claims), "--out", str(tmp_path / "out.jsonl"), "--embedder", "minilm-onnx"
    )
    assert "1 of 2 claims are not in English; the first looks like German (de)" in batch.stderr


def test_batch_writes_top_matches_for_each_id(factdesk, imported, tmp_path):
    claims = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "claim": "Bread got 8% dearer as fertiliser doubled in price"},
            {"id": "b", "claim": "Microchips are hidden in vaccines"},
            {"id": "c"},
        ],
    )
    out = tmp_path / "out.jsonl"
    result = factdesk("match", "--claims", str(claims), "--out", str(out))
    assert result.exit_code == 1
    assert f"{claims}:3: field 'claim': missing or empty" in result.stderr
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"a", "b"}
    assert all(
        len(r["matches"]) == 5 and all(set(m) >= {"claim", "url", "rating", "score"} for m in r["matches"])
        for r in records.values()
    )
    assert records["a"]["matches"][0]["rating"] == "Misleading"
    assert records["b"]["matches"][0]["claim"] == "Vaccines contain microchips that track people."


def test_factdesks_own_publications_are_matched(factdesk, tmp_path):
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [doc("a", "The Harwick bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03")],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    assert factdesk("check", "The Harwick bridge reopened in May 2022", "--date", "2022-06-01").exit_code == 0
    assert factdesk("publish", "1", "--out", str(tmp_path / "site")).exit_code == 0

    matches = json.loads(factdesk("match", "Harwick's bridge was reopened in May", "--format", "json").stdout)

    assert matches[0]["source"] == "factdesk"
    assert matches[0]["claim"] == "The Harwick bridge reopened in May 2022"
    assert "/v1/" in matches[0]["url"] and matches[0]["publisher"] == "factdesk"


def test_empty_store_and_usage_errors(factdesk, tmp_path):
    empty = factdesk("--create", "match", "Anything at all")
    assert empty.exit_code == 0 and "No fact-checks to match against yet" in empty.stderr
    assert factdesk("match").exit_code == 2
    assert factdesk("match", "--claims", str(tmp_path / "in.jsonl")).exit_code == 2


def test_embeddings_are_cached_in_the_store(factdesk, store, imported):
    factdesk("match", "Bread prices rose")
    with sqlite3.connect(store / "factdesk.sqlite3") as conn:
        cached = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert cached == len(REVIEWS) + 1


DCE_DEV = SHARED_DATA / "averitec" / "deng2024_dce" / "dev.json"


@pytest.mark.slow
@pytest.mark.skipif(not DCE_DEV.exists(), reason=f"AVeriTeC-DCE dev not found at {DCE_DEV}")
def test_matches_fact_checkers_wording_on_averitec_dce_dev_sample(factdesk, tmp_path):
    """The first 80 dev records: import each normalised claim as a review, match the fact-checker's wording."""
    records = json.loads(DCE_DEV.read_text(encoding="utf-8"))[:80]
    claims = sorted({r["claim"] for r in records})
    url = {text: f"https://averitec.example/{i}" for i, text in enumerate(claims)}
    reviews = write_jsonl(
        tmp_path / "reviews.jsonl",
        [review(i, text) | {"url": url[text]} for text, i in zip(claims, range(len(claims)), strict=True)],
    )
    assert factdesk("import-reviews", str(reviews)).exit_code == 0
    queries = sorted({r["orig_claim"] for r in records})
    right = {q: {url[r["claim"]] for r in records if r["orig_claim"] == q} for q in queries}
    claims_in = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "claim": q} for i, q in enumerate(queries)])
    out = tmp_path / "out.jsonl"
    assert factdesk("match", "--claims", str(claims_in), "--out", str(out)).exit_code == 0
    reciprocal = []
    for record in map(json.loads, out.read_text().splitlines()):
        found = [m["url"] for m in record["matches"]]
        wanted = right[queries[int(record["id"])]]
        reciprocal.append(next((1 / n for n, u in enumerate(found, start=1) if u in wanted), 0.0))
    assert sum(reciprocal) / len(reciprocal) >= 0.85


def test_check_keeps_its_known_match_as_the_workbench_shows_it(factdesk, store, tmp_path, review_files):
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [doc("bridge", "The Harwick river bridge reopened to traffic on 3 May 2022 after repairs.", "2022-05-03")],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    unmatched = factdesk("check", "The Harwick bridge is painted blue", "--date", "2022-06-01")
    assert unmatched.exit_code == 0 and "KNOWN CHECK" not in unmatched.stdout  # nothing imported: nothing to match
    assert factdesk("import-reviews", *map(str, review_files)).exit_code == 0
    matched = factdesk("check", "The Harwick river bridge reopened in May 2022", "--date", "2022-06-01")
    assert matched.exit_code == 0 and "KNOWN CHECK" in matched.stdout
    none = factdesk("check", "Harwick's mayor owns three boats", "--date", "2022-06-01")
    assert none.exit_code == 0 and "KNOWN CHECK" not in none.stdout
    with open_store(store) as opened:
        kept = {check_id: DeskWork(opened).known_match(check_id) for check_id in (1, 2, 3)}
    assert kept[1] == (True, None) and kept[3] == (True, None)  # looked for, none found
    looked, match = kept[2]
    assert looked and (match["url"], match["rating"], match["publisher"]) == (
        "https://checkers.example/review-1",
        "True",
        "Checkers Desk",
    )
    assert match["score"] >= 0.9

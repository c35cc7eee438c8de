"""Hybrid retrieval with the real default embedder (minilm-onnx), spaCy planner, usearch index and SQLite store, on
small corpora: paraphrase recall, the date cut-off, undated documents, deny lists, diversity across outlets, index
sync."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA, doc, write_jsonl

from factdesk import Claim, Config, FactDesk
from factdesk.config import RetrieveConfig, VerifyConfig
from factdesk.errors import FactdeskError
from factdesk.evaluate.averitec_retrieval import AveritecRetrievalEvaluator, evidence_score
from factdesk.ingest.pipeline import Ingester
from factdesk.retrieve import Fts5Retriever, HybridRetriever
from factdesk.retrieve.credibility import SourcePolicy, domain, mmr_select
from factdesk.retrieve.dense import DenseIndex, passage_embedder
from factdesk.retrieve.lexical_index import LexicalIndex, LexicalSettings
from factdesk.retrieve.planner import QueryPlanner
from factdesk.store import Store

CUTOFF = date(2022, 9, 10)
EMBEDDER = RetrieveConfig().embedder
HYBRID = Config(retrieve=RetrieveConfig(retriever="hybrid"), verify=VerifyConfig(stance_model="lexical-baseline"))


def _docs() -> list[dict]:
    return [
        doc("para", "The physician handed out medicine to patients suffering from the flu.", "2022-09-01"),
        doc("cook", "Slice the onions thinly and fry them in butter until golden.", "2022-09-02", "Kitchen Daily"),
        doc("sport", "The striker scored twice in the second half of the cup final.", "2022-09-03", "Sport Desk"),
        doc("late", "Doctors gave drugs to people sick with influenza, a later report says.", "2022-09-20"),
        doc("nodate", "Clinics reported that doctors gave out drugs for influenza.", "", "Undated Post"),
    ]


def _hybrid(**params: object) -> HybridRetriever:
    return HybridRetriever(**{"candidates": 10, "deny_list_file": "", "embedder": EMBEDDER, **params})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("retrieval")
    records = [{k: v for k, v in d.items() if k != "published" or v} for d in _docs()]
    with FactDesk(root / "store", HYBRID) as desk:
        desk.ingest([write_jsonl(root / "docs.jsonl", records)])
    return root / "store"


def test_hybrid_finds_a_paraphrase_that_lexical_misses(corpus_store: Path) -> None:
    claim = Claim("Doctors gave drugs to people sick with influenza", date=CUTOFF)
    with Store(corpus_store) as store:
        lexical = [h.document.id for h in Fts5Retriever().run(store, claim, CUTOFF)]
        hybrid = _hybrid().run(store, claim, CUTOFF)
    assert "para" not in lexical
    assert "para" in [h.document.id for h in hybrid[:3]]
    assert all(h.question for h in hybrid)


def test_nothing_after_the_cutoff_and_undated_kept_and_marked(corpus_store: Path) -> None:
    claim = Claim("Doctors gave drugs to people sick with influenza, a later report says", date=CUTOFF)
    with Store(corpus_store) as store:
        retrievers = (Fts5Retriever(), _hybrid(), _hybrid(dense=False), _hybrid(lexical="fts5", dense=False))
        for retriever in retrievers:
            hits = retriever.run(store, claim, CUTOFF)
            assert "late" not in {h.document.id for h in hits}
            assert all(h.document.published is None or h.document.published <= CUTOFF for h in hits)
            assert [h.undated for h in hits if h.document.id == "nodate"] == [True]
        index = DenseIndex(store, passage_embedder(EMBEDDER))
        index.embedder.warm_up()
        vector = index.embedder.queries([claim.text])[0]
        index.sync()
        dense = {h.document.id for h in index.search(vector, CUTOFF, 10)}
        assert "late" not in dense and "nodate" in dense
        assert "late" in {h.document.id for h in index.search(vector, None, 10)}
        lexical = LexicalIndex(store)
        lexical.sync()
        assert "late" in {h.document.id for h in lexical.search(claim.text, None, 10)}
        ranking = lexical.search(claim.text, None, 10)
        for cutoff in (CUTOFF, date(2022, 9, 1), date(2022, 8, 31), date(1900, 1, 1)):
            kept = [h.document.id for h in ranking if h.document.published is None or h.document.published <= cutoff]
            assert "late" not in kept and "nodate" in kept
            for limit in (1, 2, 3, 10):  # the unfiltered best checked, or (too few kept) the filter in the query
                assert [h.document.id for h in lexical.search(claim.text, cutoff, limit)] == kept[:limit]


def test_tantivy_falls_back_to_the_filter_in_the_query_when_the_best_hits_are_late(tmp_path: Path) -> None:
    late = [
        doc(f"late{i}", f"Glenholm flood report {i}: the river broke its banks.", f"2023-0{i + 1}-01") for i in range(5)
    ]
    records = [*late, doc("early", "Flooding in Glenholm, 2020.", "2020-05-01"), doc("other", "A bakery opened.", "")]
    text = "Glenholm flood river banks"
    with Store(tmp_path / "store") as store:
        Ingester(store).run([write_jsonl(tmp_path / "d.jsonl", records)])
        lexical = LexicalIndex(store)
        lexical.sync()
        ranking = lexical.search(text, None, 10)
        assert [h.document.id for h in ranking][-1] == "early" and len(ranking) == 6
        for cutoff in (date(2022, 1, 1), date(2023, 2, 1), date(2023, 4, 1)):
            kept = [h.document.id for h in ranking if h.document.published <= cutoff]
            for limit in (1, 2, 3):  # the best 2 · limit unfiltered hits hold fewer than limit kept ones
                assert [h.document.id for h in lexical.search(text, cutoff, limit)] == kept[:limit]


def test_tantivy_takes_terms_never_query_syntax(corpus_store: Path) -> None:
    text = 'Doctors AND "influenza" OR NOT text:drugs* (it\'s) -'
    with Store(corpus_store) as store:
        lexical = LexicalIndex(store)
        assert lexical.terms(text) == ["doctors", "influenza", "text", "drugs"]
        assert LexicalIndex(store, LexicalSettings("en_stem")).terms(text) == ["doctor", "influenza", "text", "drug"]
        assert [h.document.id for h in lexical.search('text:onions* AND "fry" OR', None, 5)] == ["cook"]
        assert lexical.search("the of and", None, 5) == []
    with pytest.raises(FactdeskError, match="lexical analyzer"):
        _hybrid(lexical_analyzer="porter")


def test_factdesk_check_with_hybrid_never_uses_later_evidence(corpus_store: Path) -> None:
    with FactDesk(corpus_store, HYBRID) as desk:
        assert desk.retriever.name == "hybrid-rrf"
        check = desk.check(Claim("Doctors gave drugs to people sick with influenza", date=CUTOFF), save=False)
    ids = {e.document.id for e in check.evidence}
    assert "late" not in ids
    assert all(e.document.published is None or e.document.published <= CUTOFF for e in check.evidence)
    if "nodate" in ids:
        assert any("nodate" in note for note in check.notes)


def test_deny_listed_domains_are_excluded(corpus_store: Path, tmp_path: Path) -> None:
    claim = Claim("Doctors gave drugs to people sick with influenza", date=CUTOFF)
    listed = tmp_path / "misinfo.txt"
    listed.write_text("# misinformation sites\nTEST-WIRE.example\n", encoding="utf-8")
    with Store(corpus_store) as store:
        assert {h.document.url for h in _hybrid().run(store, claim, CUTOFF)} & {"https://test-wire.example/para"}
        for retriever in (_hybrid(deny_domains=["test-wire.example"]), _hybrid(deny_list_file=str(listed))):
            assert all(domain(h.document.url) != "test-wire.example" for h in retriever.run(store, claim, CUTOFF))
        allowed = _hybrid(allow_domains=["Kitchen Daily"]).run(store, claim, CUTOFF)
    assert {h.document.outlet for h in allowed} == {"Kitchen Daily"}
    assert domain("https://web.archive.org/web/2020/https://www.Scoopertino.com/a") == "scoopertino.com"
    policy = SourcePolicy.from_lists([], ["bad.com"], "/nonexistent/list.txt", {"news.bad.com": 0.5})
    assert policy.deny == frozenset({"bad.com"})


def test_mmr_spreads_evidence_over_outlets(tmp_path: Path) -> None:
    items = [("a", 1.0), ("a", 0.99), ("a", 0.98), ("a", 0.97), ("b", 0.8), ("c", 0.75)]
    picked = mmr_select(items, lambda i: i[1], lambda i: i[0], k=3)
    assert sorted(s for s, _ in picked) == ["a", "b", "c"]
    assert [s for s, _ in mmr_select(items, lambda i: i[1], lambda i: i[0], k=3, trade_off=1.0)] == ["a"] * 3

    text = "Flood waters rose in Glenholm on day {}, the river broke its banks."
    records = [doc(f"one{i}", text.format(i)) for i in range(6)]
    records += [
        doc(
            f"other{i}",
            f"Glenholm river flood: waters rose, report {i}.",
            outlet=f"Outlet {i}",
            url=f"https://o{i}.ex/",
        )
        for i in range(3)
    ]
    with FactDesk(tmp_path / "store", HYBRID) as desk:
        desk.ingest([write_jsonl(tmp_path / "d.jsonl", records)])
        claim = Claim("Flood waters rose in Glenholm when the river broke its banks", date=CUTOFF)
        hits = _hybrid(candidates=4, max_per_document=1).run(desk.store, claim, CUTOFF)
    sources = [domain(h.document.url) for h in hits]
    assert len(hits) == 4 and sources.count("test-wire.example") <= 2


def test_mmr_picks_as_the_item_by_item_definition_does() -> None:
    def reference(items: list, k: int, trade_off: float) -> list:  # the definition, one gain per item and pick
        top = max(score for _, score in items)
        scaled = [score / top for _, score in items]
        picked: list[int] = []
        per_source: dict[str, int] = {}
        remaining = list(range(len(items)))
        while remaining and len(picked) < k:
            total = max(len(picked), 1)
            gains = {
                i: trade_off * scaled[i] - (1 - trade_off) * per_source.get(items[i][0], 0) / total for i in remaining
            }
            best = max(remaining, key=gains.__getitem__)
            remaining.remove(best)
            picked.append(best)
            per_source[items[best][0]] = per_source.get(items[best][0], 0) + 1
        return [items[i] for i in picked]

    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(1, 60))
        scores = np.round(rng.random(n), 1 if trial % 2 else 6) + 0.01  # coarse scores tie often
        items = [(f"s{rng.integers(0, 8)}", float(score)) for score in scores]
        for trade_off in (0.0, 0.6, 1.0):
            k = int(rng.integers(1, 70))
            assert mmr_select(items, lambda i: i[1], lambda i: i[0], k, trade_off) == reference(items, k, trade_off)


def test_index_resyncs_after_a_second_ingest_and_rebuilds_from_the_store(tmp_path: Path) -> None:
    first = [doc("x", "Wind turbines were installed on the northern ridge last spring.")]
    second = [doc("y", "A new bakery opened downtown selling sourdough bread.", "2022-09-05")]
    claim = Claim("A bakery opened selling sourdough", date=CUTOFF)
    with FactDesk(tmp_path / "store", HYBRID) as desk:
        retriever = _hybrid()
        desk.ingest([write_jsonl(tmp_path / "1.jsonl", first)])
        assert retriever.dense_index(desk.store).size == desk.store.passage_count()
        assert retriever.lexical_index(desk.store).size == desk.store.passage_count()
        desk.ingest([write_jsonl(tmp_path / "2.jsonl", second)])
        hits = retriever.run(desk.store, claim, CUTOFF)
        index = retriever.dense_index(desk.store)
        assert index.size == desk.store.passage_count() == 2
        assert hits[0].document.id == "y"
        assert index.path.exists() and desk.store.passage_index_record(index.model) == (2, index.last_id())
        assert retriever.rebuild(desk.store) == 2
        reopened = DenseIndex(desk.store, retriever._embedder)
        assert reopened.sync() == 0 and reopened.size == 2  # loaded from the file, nothing re-embedded
        desk.store.record_passage_index(index.model, 1, 1)  # a record the file disagrees with
        stale = DenseIndex(desk.store, retriever._embedder)
        assert stale.sync() == 2 and stale.size == 2


def test_tantivy_index_follows_ingest_and_is_rebuilt_when_missing_stale_or_corrupt(tmp_path: Path) -> None:
    first = [doc("x", "Wind turbines were installed on the northern ridge last spring.")]
    second = [doc("y", "A new bakery opened downtown selling sourdough bread.", "2022-09-05")]
    with FactDesk(tmp_path / "store", HYBRID) as desk:
        desk.ingest([write_jsonl(tmp_path / "1.jsonl", first)])
        reader = LexicalIndex(desk.store)  # a second view of the folder, as another process's
        assert reader.sync() == 0 and reader.size == 1
        desk.ingest([write_jsonl(tmp_path / "2.jsonl", second)])  # the desk's index adds the new passage
        record = desk.store.passage_index_record(reader.model)
        assert record == (2, 2) and reader.sync() == 0 and (reader.size, reader.last_id()) == record
        assert [h.document.id for h in reader.search("bakery sourdough", CUTOFF, 5)] == ["y"]

        shutil.rmtree(reader.path)  # the folder deleted: rebuilt from the store
        assert desk.index(rebuild=True) == 2 and reader.path.is_dir()
        reopened = LexicalIndex(desk.store)
        assert reopened.sync() == 0 and reopened.size == 2  # opened from the folder, nothing re-indexed

        desk.store.record_passage_index(reader.model, 1, 1)  # a record the folder disagrees with
        stale = LexicalIndex(desk.store)
        assert stale.sync() == 2 and stale.size == 2
        assert desk.store.passage_index_record(reader.model) == (2, 2)

        desk.ingest([write_jsonl(tmp_path / "3.jsonl", [doc("z", "Tide tables for the harbour.")])])
        busy = LexicalIndex(desk.store)
        busy.load()
        writer = busy._index.writer(15_000_000, 1)  # another process is indexing: search what is indexed so far
        assert stale.sync() == 0 and stale.size == 2 and stale.search("bakery", None, 5)
        del writer
        assert stale.sync() == 0 and stale.size == 3  # and the passage that process indexed is found after it

        (reader.path / "meta.json").write_text("{not json", encoding="utf-8")  # a damaged folder
        damaged = LexicalIndex(desk.store)
        assert damaged.sync() == 3 and [h.document.id for h in damaged.search("wind turbines", None, 5)] == ["x"]


def test_minilm_onnx_rows_are_unit_length_and_independent_of_batching() -> None:
    embedder = passage_embedder("minilm-onnx")
    texts = ["Doctors gave drugs to people sick with influenza.", "Short.", "A bakery opened downtown. " * 40]
    together = embedder.passages(texts)
    assert together.shape == (3, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)
    alone = np.concatenate([embedder.passages([t]) for t in texts])
    assert np.all(np.sum(alone * together, axis=1) > 0.97)  # int8 activations are scaled per batch, padding included
    assert np.array_equal(embedder.queries(texts[:1]), embedder.passages(texts[:1]))
    assert embedder.passages([]).shape == (0, 384)
    assert "128" in embedder.name and passage_embedder("minilm-onnx").name == embedder.name


def test_planner_splits_a_compound_claim() -> None:
    text = "Unemployment fell to 3.5% in January 2020 and 500,000 jobs were created in Ohio"
    claim = Claim(text, claimant="Joe Biden")
    plan = QueryPlanner().run(claim)
    kinds = {q.kind for q in plan}
    assert plan[0].kind == "claim" and plan[0].text == claim.text
    assert {"clause", "claimant"} <= kinds and len(plan) <= 6
    assert any("Ohio" in q.text and q.text != claim.text for q in plan)


def test_planner_terminates_on_a_claim_without_a_verb() -> None:
    planner = QueryPlanner()
    planner.warm_up()
    plans: list[list] = []
    worker = threading.Thread(
        target=lambda: plans.append(planner.run(Claim("Donald Trump's federal income tax in 2016: $750."))), daemon=True
    )
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the planner looped on a verbless claim"
    assert plans[0][0].kind == "claim" and any(q.kind == "number" for q in plans[0])


def test_evidence_score_matches_identical_strings_and_rewards_partial_overlap() -> None:
    gold = ["Where was it published? On Scoopertino.", "What is Scoopertino? A satire site about Apple."]
    assert evidence_score(gold, gold) == pytest.approx(1.0, abs=0.01)
    assert 0 < evidence_score(["What is Scoopertino? A satire website."], gold) < 0.5
    assert evidence_score([], gold) == 0.0


@pytest.mark.slow
def test_averitec_retrieval_evaluator_runs_on_two_claims() -> None:
    if not (SHARED_DATA / "averitec" / "dev.json").exists():
        pytest.skip(f"AVeriTeC not found in {SHARED_DATA}")
    report = AveritecRetrievalEvaluator(limit=2, retrievers=("fts5",)).run(SHARED_DATA, "dev")
    assert 0.0 <= report.primary <= 1.0 and report.details["corpus"]["documents"] > 9000


def test_index_command_keeps_and_rebuilds_the_dense_index_through_the_cli(
    factdesk, store: Path, tmp_path: Path
) -> None:
    corpus = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc("bakery", "A new bakery opened downtown selling sourdough bread.", "2022-09-05"),
            doc("ridge", "Wind turbines were installed on the northern ridge last spring.", "2022-09-01"),
        ],
    )
    assert factdesk("ingest", str(corpus)).exit_code == 0
    assert list(store.glob("passages.*.usearch")), "ingest builds the dense index"
    assert list(store.glob("passages.tantivy-*/meta.json")), "and the tantivy index"
    synced = factdesk("index")
    assert synced.exit_code == 0 and "index is up to date" in synced.stdout
    for index_file in store.glob("passages.*.usearch"):
        index_file.unlink()
    for folder in store.glob("passages.tantivy-*"):
        shutil.rmtree(folder)
    rebuilt = factdesk("index", "--rebuild")
    assert rebuilt.exit_code == 0 and "Rebuilt the hybrid-rrf index: 2 passages." in rebuilt.stdout
    assert list(store.glob("passages.*.usearch")) and list(store.glob("passages.tantivy-*/meta.json"))
    check = factdesk("check", "A bakery sells sourdough", "--date", "2022-09-30", "--format", "json")
    assert check.exit_code == 0 and json.loads(check.stdout)["evidence"][0]["doc_id"] == "bakery"

"""Config drives components: each ``[stage.component]`` table reaches the component's constructor through the
registry, and a check's provenance records the resolved config and each model file's SHA-256."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from conftest import doc, write_jsonl

import factdesk
from factdesk import Claim, Config, FactDesk
from factdesk.config import Component
from factdesk.errors import FactdeskError


def _config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "factdesk.toml"
    path.write_text(text, encoding="utf-8")
    return Config.from_toml(path)


def test_a_component_table_passes_its_arguments_to_the_constructor(tmp_path):
    config = _config(
        tmp_path,
        '[verify.aggregator]\nname = "trained-verdict"\nmodel_path = "elsewhere/verdict.json"\n'
        'outlets_list = "outlets.txt"\n\n[verify.stance_model]\nname = "cross-encoder"\nbatch_size = 8\n'
        "negation_scope = false\n",
    )
    assert config.verify.aggregator == Component(
        "trained-verdict", {"model_path": "elsewhere/verdict.json", "outlets_list": "outlets.txt"}
    )
    with FactDesk(tmp_path / "store", config) as desk:
        assert desk.aggregator.model_path == Path("elsewhere/verdict.json")
        assert desk.aggregator.outlets_list == "outlets.txt"
        assert (desk.stance.batch_size, desk.stance.negation_scope) == (8, False)


def test_a_table_without_a_name_keeps_the_default_component(tmp_path):
    config = _config(tmp_path, "[verify.reranker]\nmax_length = 48\n")
    assert config.verify.reranker == Component("cross-encoder-relevance", {"max_length": 48})
    with FactDesk(tmp_path / "store", config) as desk:
        assert desk.reranker is not None and desk.reranker.max_length == 48


def test_a_plain_name_and_an_empty_name_still_work(tmp_path):
    config = _config(tmp_path, '[verify]\nstance_model = "lexical-baseline"\nreranker = ""\n')
    with FactDesk(tmp_path / "store", config) as desk:
        assert desk.stance.name == "lexical-baseline"
        assert desk.reranker is None


def test_the_retriever_table_overrides_the_stage_settings(tmp_path):
    config = _config(tmp_path, '[retrieve]\ncandidates = 20\n\n[retrieve.retriever]\nname = "fts5"\ncandidates = 7\n')
    with FactDesk(tmp_path / "store", config) as desk:
        assert (desk.retriever.name, desk.retriever.candidates) == ("fts5-bm25", 7)


def test_an_argument_the_component_does_not_take_is_refused_by_name(tmp_path):
    config = _config(tmp_path, '[verify.aggregator]\nname = "stance-vote"\nthreshold = 0.2\n')
    with pytest.raises(FactdeskError, match=r"aggregator 'stance-vote' takes no setting 'threshold'; it takes: "):
        FactDesk(tmp_path / "store", config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[verify]\nstance_model = 3\n", "stance_model must be a component name or a table, got 3"),
        ("[verify.stance_model]\nname = 3\n", "stance_model: name must be str, got 3"),
    ],
)
def test_a_malformed_component_setting_names_the_file_and_setting(tmp_path, text, message):
    with pytest.raises(FactdeskError, match=message) as caught:
        _config(tmp_path, text)
    assert str(tmp_path / "factdesk.toml") in str(caught.value)


def test_provenance_records_the_resolved_config_and_each_model_files_sha256(tmp_path):
    corpus = write_jsonl(
        tmp_path / "d.jsonl",
        [doc("a", "The Glenholm council approved a budget of 12 million euros on 4 March 2022.", "2022-03-04")],
    )
    config = _config(tmp_path, "[retrieve]\ntop_k = 5\n\n[verify.stance_model]\nbatch_size = 16\n")
    with FactDesk(tmp_path / "store", config) as desk:
        desk.ingest([corpus])
        check = desk.check(
            Claim("Glenholm council approved a budget of 12 million euros", date=date(2022, 4, 1)), save=False
        )
        stored = desk.store.factcheck(desk.save(check))
    provenance = check.provenance
    assert provenance.config["retrieve"]["top_k"] == 5
    assert provenance.config["verify"]["stance_model"] == {"name": "cross-encoder", "params": {"batch_size": 16}}
    package = Path(factdesk.__file__).resolve().parent
    for shipped in ("models/stance/model.onnx", "models/verdict/verdict.json", "models/embedder/model.onnx"):
        digest = hashlib.sha256((package / shipped).read_bytes()).hexdigest()
        assert provenance.models[f"factdesk/{shipped}"] == digest
    assert stored.provenance.models == provenance.models
    assert stored.provenance.config == provenance.config

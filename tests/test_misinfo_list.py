"""The misinformation domain list is a setting or $FACTDESK_MISINFO_LIST, never a default path; benchmarks name
the list that comes with AVeriTeC."""

import logging
from pathlib import Path

import pytest

from factdesk.config import MISINFO_ENV, Config
from factdesk.datasets.averitec import misinfo_list, misinfo_list_path
from factdesk.retrieve import HybridRetriever
from factdesk.verify.verdict import TrainedVerdictAggregator


def test_without_the_variable_no_list_is_read_and_the_user_is_warned(monkeypatch, caplog) -> None:
    monkeypatch.delenv(MISINFO_ENV, raising=False)
    assert Config().retrieve.deny_list_file == ""
    assert HybridRetriever().deny_list_file == ""
    aggregator = TrainedVerdictAggregator()
    with caplog.at_level(logging.WARNING, logger="factdesk"):
        aggregator.warm_up()
    assert aggregator.featurizer.misinfo == frozenset()
    assert "no misinformation domain list at $FACTDESK_MISINFO_LIST (not set)" in caplog.text


def test_the_variable_names_the_list_for_retrieval_and_the_verdict_model(monkeypatch, tmp_path: Path) -> None:
    listed = tmp_path / "misinfo.txt"
    listed.write_text("# misinformation\nhttps://www.fake-news.example/\n", encoding="utf-8")
    monkeypatch.setenv(MISINFO_ENV, str(listed))
    assert Config().retrieve.deny_list_file == HybridRetriever().deny_list_file == str(listed)
    aggregator = TrainedVerdictAggregator()
    aggregator.warm_up()
    assert aggregator.featurizer.misinfo == frozenset({"fake-news.example"})


@pytest.mark.parametrize("already_set", [False, True])
def test_benchmarks_use_averitecs_list_unless_another_is_named(monkeypatch, tmp_path: Path, already_set: bool) -> None:
    if already_set:
        monkeypatch.setenv(MISINFO_ENV, "mine.txt")
    else:
        monkeypatch.delenv(MISINFO_ENV, raising=False)
    with misinfo_list(tmp_path) as path:
        assert path == (Path("mine.txt") if already_set else misinfo_list_path(tmp_path))
        assert Config().retrieve.deny_list_file == str(path)
    assert Config().retrieve.deny_list_file == ("mine.txt" if already_set else "")

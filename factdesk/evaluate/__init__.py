"""Evaluation on public benchmarks: shared metrics, one evaluator per benchmark (registered by name)."""

from factdesk.evaluate import (
    averitec,
    averitec_retrieval,
    checkworthiness,
    climate_fever,
    fever_symmetric,
    grounding,
    liar_plus,
    scifact,
)
from factdesk.evaluate.metrics import accuracy, confusion, macro_f1

__all__ = [
    "accuracy",
    "averitec",
    "averitec_retrieval",
    "checkworthiness",
    "climate_fever",
    "confusion",
    "fever_symmetric",
    "grounding",
    "liar_plus",
    "macro_f1",
    "scifact",
]

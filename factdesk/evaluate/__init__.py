"""Evaluation on public benchmarks: shared metrics, one evaluator per benchmark."""

from factdesk.evaluate.metrics import accuracy, confusion, macro_f1

__all__ = ["accuracy", "confusion", "macro_f1"]

"""Named backends per stage, so a config can swap them (``[verify] stance_model = "lexical-baseline"``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from factdesk.errors import FactdeskError

_REGISTRY: dict[str, dict[str, type]] = {}


def register(stage: str, name: str) -> Callable[[type], type]:
    def add(component: type) -> type:
        _REGISTRY.setdefault(stage, {})[name] = component
        return component

    return add


def create(stage: str, name: str, **params: Any) -> Any:
    backends = _REGISTRY.get(stage, {})
    if name not in backends:
        raise FactdeskError(f"no {stage} backend named {name!r}; known: {', '.join(sorted(backends)) or 'none'}")
    return backends[name](**params)


def names(stage: str) -> list[str]:
    return sorted(_REGISTRY.get(stage, {}))

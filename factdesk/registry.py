"""Named backends per stage, so a config can swap them (``[verify] stance_model = "lexical-baseline"``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from factdesk.config import Component
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
    accepted = inspect.signature(backends[name]).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise FactdeskError(
                f"{stage} {name!r} takes no setting {', '.join(map(repr, unknown))}; it takes: "
                f"{', '.join(sorted(accepted)) or 'none'}"
            )
    return backends[name](**params)


def build(stage: str, component: Component, **defaults: Any) -> Any:
    """The ``component`` of ``stage``, constructed with ``defaults`` overridden by the component's own table."""
    return create(stage, component.name, **{**defaults, **component.params})


def names(stage: str) -> list[str]:
    return sorted(_REGISTRY.get(stage, {}))

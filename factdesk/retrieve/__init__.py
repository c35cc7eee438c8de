"""Stage 3, retrieve: find candidate evidence published no later than the claim."""

from dataclasses import asdict, fields
from typing import Any

from factdesk.config import RetrieveConfig
from factdesk.retrieve.base import Retriever
from factdesk.retrieve.hybrid import HybridRetriever
from factdesk.retrieve.lexical import Fts5Retriever

__all__ = ["Fts5Retriever", "HybridRetriever", "Retriever", "retriever_params"]


def retriever_params(config: RetrieveConfig) -> dict[str, Any]:
    """The settings of ``config`` that its retriever takes, for ``registry.create("retriever", ...)``."""
    kind = HybridRetriever if config.retriever.name == "hybrid" else Fts5Retriever
    taken = {f.name for f in fields(kind) if f.init} - {"name"}
    return {key: value for key, value in asdict(config).items() if key in taken}

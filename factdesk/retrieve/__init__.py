"""Stage 3, retrieve: find candidate evidence published no later than the claim."""

from factdesk.retrieve.base import Retriever
from factdesk.retrieve.lexical import Fts5Retriever

__all__ = ["Fts5Retriever", "Retriever"]

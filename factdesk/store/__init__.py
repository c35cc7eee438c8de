"""Storage: the embedded SQLite store."""

from factdesk.store.documents import BatchResult, StoredDocument
from factdesk.store.intake import Review
from factdesk.store.search import PassageHit
from factdesk.store.store import Store

__all__ = ["BatchResult", "PassageHit", "Review", "Store", "StoredDocument"]

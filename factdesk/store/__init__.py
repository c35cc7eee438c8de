"""Storage: the embedded SQLite store."""

from factdesk.store.sqlite import BatchResult, PassageHit, Store, StoredDocument

__all__ = ["BatchResult", "PassageHit", "Store", "StoredDocument"]

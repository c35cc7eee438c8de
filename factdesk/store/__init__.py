"""Storage: the store backend interface, the embedded SQLite store (the default) and a PostgreSQL store."""

from factdesk.store.audit import acting_as
from factdesk.store.backend import StoreBackend, VectorStore, folder_of, open_store, store_exists
from factdesk.store.documents import BatchResult, IngestMarker, StoredDocument
from factdesk.store.intake import Review
from factdesk.store.locations import is_url, redact
from factdesk.store.search import PassageHit
from factdesk.store.store import Store
from factdesk.store.users import StoredUser

__all__ = [
    "BatchResult",
    "IngestMarker",
    "PassageHit",
    "Review",
    "Store",
    "StoreBackend",
    "StoredDocument",
    "StoredUser",
    "VectorStore",
    "acting_as",
    "folder_of",
    "is_url",
    "open_store",
    "redact",
    "store_exists",
]

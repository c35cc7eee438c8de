"""Stage 1, ingest: files → Documents → Passages in the store."""

from factdesk.ingest.pipeline import Ingester, IngestReport

__all__ = ["IngestReport", "Ingester"]

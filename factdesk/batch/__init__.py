"""Batch checking: the claims of a JSONL file checked by an engine (this process, or Ray workers with
``factdesk.batch.ray_engine``), each claim's line appended to the output file exactly once."""

from factdesk.batch.checkpoint import CheckpointFile
from factdesk.batch.run import BatchSummary, Engine, LocalEngine, Outcome, run_batch

__all__ = ["BatchSummary", "CheckpointFile", "Engine", "LocalEngine", "Outcome", "run_batch"]

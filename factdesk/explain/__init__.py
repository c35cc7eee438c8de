"""Stage 5, explain: a justification in which every sentence cites its evidence, and its renderings."""

from factdesk.explain.llm import LLMWriter
from factdesk.explain.render import FORMATS, check_record, render
from factdesk.explain.writer import TemplateWriter

__all__ = ["FORMATS", "LLMWriter", "TemplateWriter", "check_record", "render"]

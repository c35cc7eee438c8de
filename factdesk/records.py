"""Typed records that flow through the pipeline: ingest → claims → retrieve → verify → explain → publish."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

VERDICT_LABELS: tuple[str, ...] = (
    "Supported",
    "Refuted",
    "Not Enough Evidence",
    "Conflicting Evidence/Cherrypicking",
)
NOT_ENOUGH_EVIDENCE = "Not Enough Evidence"
STANCE_LABELS: tuple[str, ...] = ("supports", "refutes", "neutral")
# The stance recorded for a passage the relevance gate judged not about the claim: it is shown, and casts no vote.
UNRELATED = "unrelated"


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str
    url: str = ""
    outlet: str = ""
    title: str = ""
    published: date | None = None
    author: str = ""
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Passage:
    """A span of a document's text: ``document.text[start:end] == text``."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Claim:
    text: str
    claimant: str = ""
    claimant_role: str = ""
    date: date | None = None
    appearance_url: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class Carrier:
    """Another outlet's copy of an evidence document: a near-duplicate (a syndicated story) that counts with it
    as one source."""

    doc_id: str
    outlet: str
    url: str = ""
    published: date | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A passage weighed against a claim. ``scores`` holds ``retrieval`` and ``relevance`` (0–1); ``question``
    is the (sub-)question of the claim the passage was retrieved for, in AVeriTeC's question–answer form.
    ``stance_probabilities`` are the stance model's; ``reading``, where a passage reader made one, is how the
    passage reads as evidence for the claim (``STANCE_LABELS`` probabilities), and ``stance`` is its likeliest.
    ``also_carried_by``: the near-duplicates of its document (the same story in other outlets), which are not
    weighed again."""

    passage: Passage
    document: Document
    stance: str
    stance_probabilities: dict[str, float]
    scores: dict[str, float]
    from_claimant: bool = False
    question: str = ""
    reading: dict[str, float] = field(default_factory=dict)
    also_carried_by: tuple[Carrier, ...] = ()

    @property
    def leaning(self) -> dict[str, float]:
        """How the passage reads for the claim: its reading where one was made, else the stance model's."""
        return self.reading or self.stance_probabilities

    @property
    def relevance(self) -> float:
        return self.scores["relevance"]

    @property
    def about_claim(self) -> bool:
        """False when the relevance gate found the passage not about the claim: it then casts no vote."""
        return self.stance != UNRELATED

    @property
    def undated(self) -> bool:
        return self.document.published is None


@dataclass(frozen=True, slots=True)
class Verdict:
    """``label`` is the ruling. When the verdict model's confidence was below the desk's threshold for a ruling
    (``[verify] abstain_below``), the ruling is Not Enough Evidence and ``leaning`` keeps the model's label;
    ``confidence`` is then the model's confidence in that label. An editor's ruling has no confidence (None): it is
    no model's, and ``probabilities`` stay the model's."""

    label: str
    rating: str
    confidence: float | None
    probabilities: dict[str, float]
    leaning: str = ""

    @property
    def by_editor(self) -> bool:
        return self.confidence is None


@dataclass(frozen=True, slots=True)
class Citation:
    doc_id: str
    start: int
    end: int


# "assessment": the verdict when no single passage leans its way; it cites the passages the verdict weighed.
STATEMENT_KINDS: tuple[str, ...] = ("verdict", "assessment", "quote", "timeline", "comparison", "free")


@dataclass(frozen=True, slots=True)
class Statement:
    """One sentence of a justification, with the spans it rests on. ``kind`` says how a citation is checked:
    ``verdict`` by the cited passages' stance, ``quote``/``timeline`` by the quoted words being the cited span,
    ``comparison`` by the reported figure being in the span, ``free`` (written by an LLM) by the verifier."""

    text: str
    citations: tuple[Citation, ...]
    kind: str = "free"


@dataclass(frozen=True, slots=True)
class Provenance:
    """How a check was made. ``config``: the resolved settings; ``models``: each model file the components read,
    by path (relative to the package when shipped), with its SHA-256. Checks stored before these were recorded
    have them empty."""

    stance_model: str
    aggregator: str
    retriever: str
    corpus_version: str
    evidence_cutoff: date | None
    created: datetime
    factdesk_version: str
    config: dict[str, Any] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FactCheck:
    claim: Claim
    verdict: Verdict
    evidence: tuple[Evidence, ...]
    justification: tuple[Statement, ...]
    provenance: Provenance
    notes: tuple[str, ...] = field(default_factory=tuple)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, dates and tuples as plain JSON values."""
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def claim_from_jsonable(data: dict[str, Any]) -> Claim:
    return Claim(**{**data, "date": _day(data["date"])})


def evidence_from_jsonable(item: dict[str, Any]) -> Evidence:
    """The inverse of ``to_jsonable`` for an Evidence."""
    return Evidence(
        passage=Passage(**item["passage"]),
        document=Document(**{**item["document"], "published": _day(item["document"]["published"])}),
        stance=item["stance"],
        stance_probabilities=item["stance_probabilities"],
        scores=item["scores"],
        from_claimant=item["from_claimant"],
        question=item.get("question", ""),
        reading=item.get("reading", {}),
        also_carried_by=tuple(
            Carrier(**{**copy, "published": _day(copy["published"])}) for copy in item.get("also_carried_by", [])
        ),
    )


def factcheck_from_jsonable(data: dict[str, Any]) -> FactCheck:
    """The inverse of ``to_jsonable`` for a FactCheck."""
    evidence = tuple(map(evidence_from_jsonable, data["evidence"]))
    statements = tuple(
        Statement(s["text"], tuple(Citation(**c) for c in s["citations"]), s["kind"]) for s in data["justification"]
    )
    provenance = data["provenance"]
    return FactCheck(
        claim=claim_from_jsonable(data["claim"]),
        verdict=Verdict(**data["verdict"]),
        evidence=evidence,
        justification=statements,
        provenance=Provenance(
            **{
                **provenance,
                "evidence_cutoff": _day(provenance["evidence_cutoff"]),
                "created": datetime.fromisoformat(provenance["created"]),
            }
        ),
        notes=tuple(data["notes"]),
    )

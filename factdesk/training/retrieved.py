"""Evidence as the pipeline retrieves it, for training the verdict model on what it meets in use.

Each AVeriTeC claim is checked against the closed corpus of gold answers (train and dev, one document each, as
``factdesk eval averitec-retrieval`` builds it) through ``FactDesk.gather``: retrieval, reranking, stance and the
relevance gate. Two variants per claim: ``own`` (its own answers in the pool, labelled with its gold label) and
``removed`` (its own answers taken out, so nothing relevant is left to find: labelled Not Enough Evidence). Rows are
appended to ``<run-dir>/retrieved_<split>.jsonl`` as each claim finishes, so an interrupted run resumes.

    python -m factdesk.training.retrieved --split train --limit 1200
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from factdesk.datasets.averitec import claim_date, load_records, misinfo_list, write_corpus
from factdesk.logs import start_run
from factdesk.records import Claim, to_jsonable
from factdesk.training.options import command_line, option, parse

log = logging.getLogger("factdesk.train.retrieved")
VARIANTS = ("own", "removed")


@dataclass(frozen=True, kw_only=True)
class RetrievedOptions:
    """The options of ``python -m factdesk.training.retrieved``."""

    data_dir: Path = option(Path("../shared/data"))
    run_dir: Path = option(Path("runs/verdict"))
    split: str = option("train", choices=("train", "dev"))
    limit: int = option(0, help="a seeded sample of this many claims (0: all)")
    seed: int = option(13)


def parse_args(argv: Sequence[str] | None = None) -> RetrievedOptions:
    return parse(RetrievedOptions, argv, __doc__)


def rows_path(run_dir: Path, split: str) -> Path:
    return run_dir / f"retrieved_{split}.jsonl"


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The collected rows; a line torn by an interrupted run is skipped."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def run(args: RetrievedOptions) -> None:
    from factdesk.pipeline import FactDesk

    start_run(log, args.run_dir, command_line("factdesk.training.retrieved", args))
    splits = {name: load_records(args.data_dir, name) for name in ("train", "dev")}
    order = list(range(len(splits[args.split])))
    if args.limit:
        order = sorted(random.Random(args.seed).sample(order, min(args.limit, len(order))))
    out = rows_path(args.run_dir, args.split)
    done = {(r["index"], r["variant"]) for r in read_rows(out)}
    corpus = args.run_dir / "closed_corpus.jsonl"
    if not corpus.is_file():
        write_corpus(corpus, splits)
    with misinfo_list(args.data_dir), FactDesk(args.run_dir / "closed_corpus_store") as desk:
        desk.retriever.vector_cache = str(args.run_dir.parent / "averitec-retrieval" / "vectors")
        if not desk.store.stats()["documents"]:
            desk.ingest([corpus], progress=True)
        desk.warm_up()
        search = desk.retriever.run
        with out.open("a", encoding="utf-8") as sink:
            for index in tqdm(order, desc=f"{args.split} claims"):
                item = splits[args.split][index]
                claim = Claim(
                    item["claim"], claimant=item.get("speaker") or "", date=claim_date(item.get("claim_date"))
                )
                for variant in VARIANTS:
                    if (index, variant) in done:
                        continue
                    own = f"{args.split}-{index}-"
                    desk.retriever.run = (
                        search
                        if variant == "own"
                        else lambda store, c, cutoff, own=own: [
                            h for h in search(store, c, cutoff) if not h.document.id.startswith(own)
                        ]
                    )
                    evidence = desk.gather(claim, claim.date)
                    label = item["label"] if variant == "own" else "Not Enough Evidence"
                    row = {"index": index, "variant": variant, "label": label, "claim": to_jsonable(claim)}
                    row["evidence"] = to_jsonable(evidence)
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                    sink.flush()
        desk.retriever.run = search
    log.info("wrote %s", out)


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()

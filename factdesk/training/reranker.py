"""Teach the stance cross-encoder a fourth output: how well a passage answers what a claim needs (evidence
relevance), so that one model both reranks the retrieved candidates and weighs their stance.

Stage 2 of the stance model. It starts from the shipped stance model (``factdesk/models/stance``, stage 1, from
``factdesk train stance``), whose weights are read back from its int8 ONNX export (``from_onnx``). Its classifier
gets a fourth row, started as "supports or refutes rather than neutral" (the old relevance signal). Each step
trains both tasks:

- relevance, on AVeriTeC **train** only: a group holds a claim, one of its gold answers and ``--hard`` other
  claims' answers that the shipped embedder and TF-IDF rank highest for the claim (answers of claims with the same
  text are never negatives); loss: softmax cross-entropy over the group (listwise) plus a pointwise logistic
  term, so that ``sigmoid`` of the fourth logit reads as a relevance in 0–1;
- stance, replayed: ``--replay`` pairs a step from stage 1's own seeded training mixture, so that the three stance
  outputs keep what they learnt.

Monitor: recall@10 of the first 150 AVeriTeC dev claims' gold answers when their 40 nearest answers (train and
dev, by the shipped embedder) are reranked; stance: stage 1's held-out dev sets. The verdict encoder shares this
model's word embeddings and the verdict model reads its stance outputs, so retrain both after this
(``factdesk train verdict-encoder``, then ``factdesk train verdict``).

    python -m factdesk.training.reranker --data-dir ../shared/data --out factdesk/models/stance
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tokenizers import Tokenizer
from tqdm import tqdm

from factdesk import registry
from factdesk.datasets.averitec import answer_text, load_records
from factdesk.logs import start_run
from factdesk.onnx_model import MODEL_FILE, TOKENIZER_FILE, load_tokenizer, pad_batch
from factdesk.retrieve.rerank import RELEVANCE_FILE, CrossEncoderReranker
from factdesk.training.options import command_line, option, parse
from factdesk.verify.base import STANCE_LABELS
from factdesk.verify.cross_encoder import CrossEncoderStance

if TYPE_CHECKING:
    from transformers import PreTrainedModel

    from factdesk.datasets.stance_pairs import StancePair

LICENSE = "CC BY-NC 4.0 (AVeriTeC, CC BY-NC 4.0; and stage 1's non-commercial sources)"
MONITOR_CLAIMS = 150
MONITOR_CANDIDATES = 40
RELEVANCE = len(STANCE_LABELS)  # the column of the relevance logit
TRAINING_FILE = "training.json"  # beside the trained checkpoint: how it was trained, for --export-only
log = logging.getLogger("factdesk.reranker")


@dataclass(frozen=True, kw_only=True)
class RerankerOptions:
    """The options of ``python -m factdesk.training.reranker``; ``factdesk train`` builds them directly."""

    data_dir: Path = option(help="shared/data (with averitec/ and the stance data)")
    init: Path = option(Path("factdesk/models/stance"), help="the stage-1 stance model")
    out: Path = option(help="artifact folder, e.g. factdesk/models/stance")
    run_dir: Path = option(Path("runs/reranker"), help="ONNX files, logs")
    seed: int = option(13)
    hard: int = option(3, help="hard negatives per positive")
    pool: int = option(20, help="hard negatives are drawn from this many top answers")
    groups_per_batch: int = option(4)
    replay: int = option(4, help="stage-1 stance pairs replayed per step")
    stage1_pairs: int = option(60000, help="stage 1's --max-pairs (its mixture)")
    max_length: int = option(128)
    lr: float = option(3e-5)
    pointwise_weight: float = option(0.5)
    warmup: float = option(0.06)
    threads: int = option(2)
    opset: int = option(17)
    export_only: bool = option(False, help="export and evaluate <run-dir>/final again")


def parse_args(argv: Sequence[str] | None = None) -> RerankerOptions:
    return parse(RerankerOptions, argv, __doc__)


@dataclass(frozen=True)
class Group:
    """One positive answer for a claim and the negatives it is ranked against."""

    claim: str
    positive: str
    negatives: tuple[str, ...]


def gold_answers(claim: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(t for q in claim["questions"] for a in q["answers"] if (t := answer_text(a))))


def dense_nearest(queries: Sequence[str], documents: Sequence[str], depth: int) -> np.ndarray:
    """Indices of each query's ``depth`` nearest documents by the shipped embedder (cosine)."""
    embedder = registry.create("passage-embedder", "minilm-onnx")
    embedder.warm_up()
    batch = 256
    doc_vectors = np.concatenate(
        [embedder.passages(documents[i : i + batch]) for i in tqdm(range(0, len(documents), batch), desc="embed")]
    )
    query_vectors = embedder.queries(list(queries))
    return np.concatenate(
        [
            np.argsort(-(query_vectors[i : i + 512] @ doc_vectors.T), axis=1)[:, :depth]
            for i in range(0, len(queries), 512)
        ]
    )


def lexical_nearest(queries: Sequence[str], documents: Sequence[str], depth: int) -> np.ndarray:
    """Indices of each query's ``depth`` nearest documents by TF-IDF cosine."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(documents)
    doc_terms, query_terms = tfidf.transform(documents), tfidf.transform(queries)
    return np.concatenate(
        [
            np.argsort(-(query_terms[i : i + 512] @ doc_terms.T).toarray(), axis=1)[:, :depth]
            for i in range(0, len(queries), 512)
        ]
    )


def mine_groups(train: list[dict[str, Any]], seed: int, depth: int, hard: int) -> list[Group]:
    """Groups for every (train claim, gold answer), with ``hard`` seeded hard negatives among the ``depth`` nearest
    answers by dense and by lexical search."""
    rng = random.Random(seed)
    answers = [gold_answers(c) for c in train]
    documents = list(dict.fromkeys(a for group in answers for a in group))
    by_text: dict[str, set[str]] = defaultdict(set)  # answers of every claim with the same (folded) text
    for claim, own in zip(train, answers, strict=True):
        by_text[claim["claim"].strip().lower()].update(own)
    queries = [c["claim"] for c in train]
    dense, lexical = dense_nearest(queries, documents, depth), lexical_nearest(queries, documents, depth)
    groups = []
    for c, (claim, own) in enumerate(zip(train, answers, strict=True)):
        excluded = by_text[claim["claim"].strip().lower()]
        ranked = [documents[i] for pair in zip(dense[c], lexical[c], strict=True) for i in pair]
        pool = [d for d in dict.fromkeys(ranked) if d not in excluded]
        for positive in own:
            if len(pool) >= hard:
                groups.append(Group(claim["claim"], positive, tuple(rng.sample(pool, hard))))
    return groups


def encode_group(tokenizer: Tokenizer, group: Group) -> list[Any]:
    return tokenizer.encode_batch([(group.claim, text) for text in (group.positive, *group.negatives)])


def stage1_model(init: Path) -> PreTrainedModel:
    """The stage-1 stance model with a fourth classifier row, started as "supports or refutes, not neutral"."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from factdesk.training.from_onnx import bert_state_dict
    from factdesk.training.stance import base_model_path

    state = bert_state_dict(init / MODEL_FILE)
    weight, bias = state.pop("classifier.weight"), state.pop("classifier.bias")
    if weight.shape[0] != len(STANCE_LABELS):
        raise SystemExit(
            f"{init / MODEL_FILE} has {weight.shape[0]} outputs, not the {len(STANCE_LABELS)} of a stage-1 stance "
            "model: retrain it with `factdesk train stance`, or pass --init"
        )
    s, r, n = (STANCE_LABELS.index(k) for k in ("supports", "refutes", "neutral"))
    state["classifier.weight"] = torch.cat([weight, ((weight[s] + weight[r]) / 2 - weight[n])[None]])
    state["classifier.bias"] = torch.cat([bias, ((bias[s] + bias[r]) / 2 - bias[n])[None]])
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model_path(), num_labels=RELEVANCE + 1, attn_implementation="eager"
    )
    model.load_state_dict(state)
    return model


def train(
    args: RerankerOptions,
    model: PreTrainedModel,
    tokenizer: Tokenizer,
    groups: list[Group],
    replay: list[StancePair],
    monitor: Any,
) -> float:
    """One pass over the groups with stance replay, AdamW with linear warm-up and decay; returns seconds."""
    import torch
    import torch.nn.functional as F

    from factdesk.training.stance import linear_warmup_decay

    rng = random.Random(args.seed)
    size = 1 + args.hard
    order = rng.sample(range(len(groups)), len(groups))
    batches = [order[i : i + args.groups_per_batch] for i in range(0, len(order), args.groups_per_batch)]
    total, warmup = len(batches), max(1, int(args.warmup * len(batches)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = linear_warmup_decay(optimizer, total, warmup)
    model.train()
    start = window_start = time.time()
    window = np.zeros(3)
    for step, batch in enumerate(tqdm(batches, desc="relevance", unit="batch", mininterval=30, file=sys.stderr), 1):
        stance_pairs = replay[(step - 1) * args.replay : step * args.replay]
        encodings = [e for g in batch for e in encode_group(tokenizer, groups[g])]
        encodings += tokenizer.encode_batch([(p.claim, p.passage) for p in stance_pairs])
        inputs = {k: torch.from_numpy(v) for k, v in pad_batch(encodings).items()}
        logits = model(**inputs).logits
        relevance = logits[: len(batch) * size, RELEVANCE].view(len(batch), size)
        listwise, pointwise = group_losses(relevance)
        stance = F.cross_entropy(
            logits[len(batch) * size :, :RELEVANCE], torch.tensor([STANCE_LABELS.index(p.label) for p in stance_pairs])
        )
        loss = listwise + args.pointwise_weight * pointwise + stance
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        window += (listwise.item(), pointwise.item(), stance.item())
        if step % 100 == 0 or step == total:
            now = time.time()
            seen = 100 if step % 100 == 0 else step % 100
            log.info(
                "step %d/%d listwise %.4f pointwise %.4f stance %.4f lr %.2e %.1f steps/min trained %.0f s",
                step,
                total,
                *(window / seen),
                scheduler.get_last_lr()[0],
                60 * seen / (now - window_start),
                now - start,
            )
            window, window_start = np.zeros(3), now
        if step % 500 == 0 and step < total:
            log.info("step %d: monitor recall@10 %.4f", step, monitor(torch_scorer(model, tokenizer)))
            model.train()
    return time.time() - start


def group_losses(relevance: Any) -> tuple[Any, Any]:
    """The listwise (softmax cross-entropy) and pointwise (logistic) relevance losses of groups' logits, shape
    (groups, 1 + negatives), each group's positive first."""
    import torch
    import torch.nn.functional as F

    target = torch.zeros_like(relevance)
    target[:, 0] = 1.0
    listwise = F.cross_entropy(relevance, torch.zeros(len(relevance), dtype=torch.long))
    return listwise, F.binary_cross_entropy_with_logits(relevance, target)


def torch_scorer(model: PreTrainedModel, tokenizer: Tokenizer, batch_size: int = 64) -> Any:
    """The relevance logit of (claim, passage) pairs, by the torch model (eval mode, no grad)."""
    import torch

    def score(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        encodings = tokenizer.encode_batch(list(pairs))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.zeros(len(pairs), dtype=np.float32)
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                inputs = {k: torch.from_numpy(v) for k, v in pad_batch([encodings[i] for i in idx]).items()}
                out[idx] = model(**inputs).logits[:, RELEVANCE].numpy()
        model.train(was_training)
        return out

    return score


def monitor_task(dev: list[dict[str, Any]], train: list[dict[str, Any]]) -> tuple[Any, dict[str, float]]:
    """A recall@10 function for scorers, on the first dev claims' 40 nearest answers, and the embedder's own."""
    claims = dev[:MONITOR_CLAIMS]
    documents = list(dict.fromkeys(a for c in train + dev for a in gold_answers(c)))
    dense = dense_nearest([c["claim"] for c in claims], documents, MONITOR_CANDIDATES)
    candidates = [[documents[i] for i in row] for row in dense]
    golds = [set(gold_answers(c)) for c in claims]

    def recall(order: list[list[str]], k: int = 10) -> float:
        return float(np.mean([len(g & set(o[:k])) / max(min(len(g), k), 1) for g, o in zip(golds, order, strict=True)]))

    def run(scorer: Any) -> float:
        pairs = [(c["claim"], d) for c, docs in zip(claims, candidates, strict=True) for d in docs]
        scores = np.asarray(scorer(pairs)).reshape(len(claims), MONITOR_CANDIDATES)
        orders = [np.argsort(-row, kind="stable") for row in scores]
        return recall([[docs[i] for i in order] for docs, order in zip(candidates, orders, strict=True)])

    reference = {"embedder_order": recall(candidates), "candidate_recall@40": recall(candidates, MONITOR_CANDIDATES)}
    return run, reference


def run(args: RerankerOptions) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    from factdesk.training import stance_data
    from factdesk.training.stance import (
        dir_size_mb,
        evaluate,
        export_onnx,
        pairs_per_second,
        quantize_int8,
        seed_everything,
        training_versions,
    )

    wall_start = time.time()
    command = start_run(log, args.run_dir, command_line("factdesk.training.reranker", args))
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)

    stage1_meta = json.loads((args.init / "stance.json").read_text(encoding="utf-8"))
    train_claims, dev_claims = load_records(args.data_dir, "train"), load_records(args.data_dir, "dev")
    groups = mine_groups(train_claims, args.seed, args.pool, args.hard)
    log.info("%d groups of 1 + %d negatives from %d train claims", len(groups), args.hard, len(train_claims))
    dev_sets, _, mixture = stance_data.training_mixture(args.data_dir, args.stage1_pairs, args.seed)  # stage 1's
    replay = random.Random(args.seed).sample(mixture, min(len(mixture), args.replay * len(groups)))
    monitor, reference = monitor_task(dev_claims, train_claims)
    log.info("monitor (first %d dev claims): %s", MONITOR_CLAIMS, reference)

    tokenizer = load_tokenizer(args.init / TOKENIZER_FILE, args.max_length)
    final = args.run_dir / "final"
    if args.export_only:
        model = AutoModelForSequenceClassification.from_pretrained(final, attn_implementation="eager")
        training = json.loads((final / TRAINING_FILE).read_text(encoding="utf-8"))
    else:
        model = stage1_model(args.init)
        start_recall = monitor(torch_scorer(model, tokenizer))
        log.info("monitor recall@10 before training (the stance relevance signal): %.4f", start_recall)
        train_seconds = train(args, model, tokenizer, groups, replay, monitor)
        log.info("trained in %.0f s", train_seconds)
        model.save_pretrained(final)
        training = {"command": command, "train_seconds": train_seconds, "before_training": start_recall}
        (final / TRAINING_FILE).write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")

    sample = {k: torch.from_numpy(v) for k, v in pad_batch(tokenizer.encode_batch([("a claim", "an answer")])).items()}
    candidates = {"fp32": args.run_dir / "onnx_fp32", "int8": args.run_dir / "onnx_int8"}
    export_onnx(final, candidates["fp32"] / MODEL_FILE, sample, args.opset)
    # Per-channel scales: per-tensor ones cost the relevance output 0.08 monitor recall@10 (0.59 -> 0.51).
    quantize_int8(candidates["fp32"] / MODEL_FILE, candidates["int8"] / MODEL_FILE, per_channel=True)
    for path in candidates.values():
        shutil.copyfile(args.init / TOKENIZER_FILE, path / TOKENIZER_FILE)
    rerankers = {k: CrossEncoderReranker(str(v), args.max_length) for k, v in candidates.items()}
    recall = {"torch_fp32": monitor(torch_scorer(model, tokenizer))}
    recall |= {k: monitor(r.score_pairs) for k, r in rerankers.items()}
    drop = recall["fp32"] - recall["int8"]
    chosen = "int8"  # fp32 is four times the size, over the models' 60 MB budget; its figures are reported
    log.info("monitor recall@10 %s; int8 drop %.4f", recall, drop)
    stance_max_length = stage1_meta["max_length"]
    stance_dev = {
        k: evaluate(CrossEncoderStance(str(v), stance_max_length).predict_pairs, dev_sets)
        for k, v in candidates.items()
    }
    stance_dev["stage1_int8"] = evaluate(CrossEncoderStance(str(args.init), stance_max_length).predict_pairs, dev_sets)
    log.info(
        "stance dev macro-F1: %s",
        {k: {n: v if isinstance(v, float) else v["macro_f1"] for n, v in m.items()} for k, m in stance_dev.items()},
    )
    probe = [(g.claim, t) for g in groups[:128] for t in (g.positive, *g.negatives)][:512]
    speed = {f"onnx_{k}": pairs_per_second(r.score_pairs, probe) for k, r in rerankers.items()}
    log.info("relevance pairs/s on 512 training pairs (%d tokens): %s", args.max_length, speed)

    args.out.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, TOKENIZER_FILE):
        shutil.copyfile(candidates[chosen] / name, args.out / name)
    if args.out.resolve() != args.init.resolve():
        shutil.copyfile(args.init / "stance.json", args.out / "stance.json")
    meta = {
        "license": LICENSE,
        "relevance_column": RELEVANCE,
        "max_length": args.max_length,
        "precision": chosen,
        "seed": args.seed,
        "command": training["command"],
        "export_command": command,
        "init": str(args.init),
        "hyperparameters": {
            k: getattr(args, k)
            for k in ("hard", "pool", "groups_per_batch", "replay", "lr", "pointwise_weight", "warmup")
        }
        | {"epochs": 1, "optimizer": "AdamW", "schedule": "linear warm-up/decay"},
        "training_groups": len(groups),
        "train_claims": len(train_claims),
        "replayed_stance_pairs": len(replay),
        "monitor": {"claims": MONITOR_CLAIMS, "candidates": MONITOR_CANDIDATES, **reference}
        | {"before_training": training["before_training"]}
        | {f"reranked_{k}": v for k, v in recall.items()},
        "int8_recall_drop": round(drop, 4),
        "stance_dev_metrics": stance_dev,
        "pairs_per_second": speed | {"threads": args.threads},
        "train_seconds": round(training["train_seconds"]),
        "total_wall_seconds": round(time.time() - wall_start),
        "versions": training_versions(),
    }
    (args.out / RELEVANCE_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    card = args.out / "MODEL_CARD.md"
    stage1_card = (args.init / "MODEL_CARD.md").read_text(encoding="utf-8").split(STAGE2_HEADING)[0].rstrip()
    card.write_text(stage1_card + "\n\n" + model_card(meta))
    log.info("wrote %s (%.2f MB), total %.0f s", args.out, dir_size_mb(args.out), time.time() - wall_start)


STAGE2_HEADING = "## Stage 2: the relevance output"


def model_card(meta: dict[str, Any]) -> str:
    m, dev = meta["monitor"], meta["stance_dev_metrics"]
    rows = "\n".join(
        f"| {name} | {dev['stage1_int8'][name]['macro_f1']:.2f} | {dev['fp32'][name]['macro_f1']:.2f} | "
        f"{dev['int8'][name]['macro_f1']:.2f} |"
        for name, r in dev["int8"].items()
        if isinstance(r, dict)
    )
    return f"""{STAGE2_HEADING}

The shipped weights are stage 2: the stage-1 model above, trained on with a fourth output, evidence relevance
(`factdesk.training.reranker`; `sigmoid` of logit {meta["relevance_column"]} reads as the chance that the
passage answers something a fact-checker needs for the claim). `CrossEncoderStance` reads the first three
outputs, `factdesk.retrieve.rerank.CrossEncoderReranker` the fourth. Shipped as ONNX ({meta["precision"]}).
The stage-1 figures above describe the weights before this stage; the stance dev scores of the shipped weights are
in the table below.

**License: {meta["license"]}.** Use for research / non-commercial purposes only.

- Relevance data: AVeriTeC train only, {meta["train_claims"]:,} claims and {meta["training_groups"]:,} groups
  (a claim, one gold answer and {meta["hyperparameters"]["hard"]} hard negatives: other claims' answers that the
  shipped embedder and TF-IDF rank highest; answers of claims with the same text are never negatives). Loss:
  listwise softmax cross-entropy plus a pointwise logistic term.
- Stance replay: {meta["replayed_stance_pairs"]:,} pairs of stage 1's own training mixture, a few per step.
- Hyperparameters: {meta["hyperparameters"]}; seed {meta["seed"]}. Training took
  {meta["train_seconds"] / 60:.1f} min on {meta["pairs_per_second"]["threads"]} CPU cores; export (ONNX, int8 with
  per-channel scales) and evaluation {meta["total_wall_seconds"] / 60:.1f} min.

```
{meta["command"]}
{meta["export_command"] if meta["export_command"] != meta["command"] else ""}
```

Relevance monitor (AVeriTeC dev, the first {m["claims"]} claims; each claim's {m["candidates"]} nearest answers of
train and dev by the shipped embedder, reranked; recall@10 of its gold answers): embedder order
{m["embedder_order"]:.3f}; the stance relevance signal before this stage {m["before_training"]:.3f}; the relevance
output: torch fp32 {m["reranked_torch_fp32"]:.3f}, ONNX fp32 {m["reranked_fp32"]:.3f}, ONNX int8
{m["reranked_int8"]:.3f}. The ceiling, recall@40, is {m["candidate_recall@40"]:.3f}.

Stance macro-F1 on stage 1's held-out dev sets:

| dev set | stage 1 (int8) | stage 2 fp32 | stage 2 int8 |
|---|---|---|---|
{rows}

Relevance pairs/s at {meta["max_length"]} tokens: {meta["pairs_per_second"]}. Versions: {meta["versions"]}.
"""


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()

"""Train the verdict encoder: a 4-way cross-encoder over a claim and all of its gold QA evidence (AVeriTeC train).

It starts from the shipped stance model (weights read back from its int8 ONNX export): the Supported, Refuted and
Not Enough Evidence rows of the classifier start as the stance model's supports, refutes and neutral rows, and
Conflicting Evidence/Cherrypicking starts at zero. The word embeddings are the stance model's and stay frozen, so
the exported ``encoder.onnx`` (int8, per-channel scales) reads ``inputs_embeds`` and ships without them.

The trained verdict model (``factdesk train verdict``) reads the encoder's logits as features. So that it learns
how far to trust them, it needs logits the encoder did not train on: ``--folds`` encoders, each trained on the
other folds of train, score their held-out fold, and these out-of-fold logits are written to ``encoder.json``.
The shipped encoder is then trained on all of train. Dev is only scored, for the log and the model card.

    python -m factdesk.training.verdict_encoder --data-dir ../shared/data --out factdesk/models/verdict

**Grounding** (``--grounding``; the shipped encoder was trained without it): the encoder also learns that the
claim's wording is not evidence. Beside each train claim with its own evidence it reads (a) the claim with another
claim's evidence, a random claim's and the most similar claim's (``others_evidence``), labelled Not Enough Evidence,
and (b) each Supported claim minimally edited so that its own evidence refutes it (``edited_claims``), labelled
Refuted. Only such items that keep a passage about the claim after the relevance gate are used, each with its voting
passages, as the encoder reads them at inference. An item derived from a claim falls in that claim's fold, and its
out-of-fold logits are stored under its id. Measured with ``--grounding --folds 2 --epochs 1`` (67 min on the 2
shared cores): the encoder alone rules NEE for 98.8% of dev claims given a random claim's evidence (0.126 without),
but its dev accuracy with the claims' own evidence fell from 0.702 to 0.564, so it is not shipped.

Each fold's logits are saved in --run-dir as it finishes; rerun with --resume after a crash to skip them.
``--export-only`` re-exports a finished run (its fold logits and final model) without training.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from tokenizers import Tokenizer
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, PreTrainedModel

from factdesk.config import VerifyConfig
from factdesk.datasets.averitec import AveritecItem, load_split, others_evidence
from factdesk.evaluate.averitec import classification_metrics
from factdesk.evaluate.contrast import ContrastEditor, entity_pool
from factdesk.logs import start_run
from factdesk.onnx_model import MODEL_FILE, PairInput, pad_inputs
from factdesk.records import VERDICT_LABELS
from factdesk.training.debias_data import edited_claims
from factdesk.training.from_onnx import bert_state_dict
from factdesk.training.options import command_line, option, parse
from factdesk.training.stance import (
    base_model_path,
    export_logits,
    linear_warmup_decay,
    quantize_int8,
    seed_everything,
    training_versions,
)
from factdesk.training.verdict import gated_evidence
from factdesk.verify.base import STANCE_LABELS, softmax
from factdesk.verify.cross_encoder import DEFAULT_MODEL_DIR as STANCE_DIR
from factdesk.verify.relevance import RelevanceGate, voting_evidence
from factdesk.verify.verdict_encoder import (
    ENCODER_FILE,
    EVIDENCE_SEPARATOR,
    META_FILE,
    VerdictEncoder,
    encode,
    load_tokenizer,
    table_sha256,
    word_embeddings,
)

log = logging.getLogger("factdesk.train.verdict_encoder")
LICENSE = "CC BY-NC 4.0 (trained on AVeriTeC, from the non-commercial factdesk stance model): non-commercial only"
TRAINING_FILE = "factdesk_training.json"
STANCE_ROWS = {"Supported": "supports", "Refuted": "refutes", "Not Enough Evidence": "neutral"}


@dataclass(frozen=True, kw_only=True)
class VerdictEncoderOptions:
    """The options of ``python -m factdesk.training.verdict_encoder``; ``factdesk train`` builds them directly."""

    data_dir: Path = option(Path("../shared/data"), help="shared data folder (averitec/)")
    out: Path = option(Path("factdesk/models/verdict"), help="artifact folder")
    stance_dir: Path = option(STANCE_DIR, help="the stance model it starts from")
    run_dir: Path = option(Path("runs/verdict-encoder"), help="fold logits, ONNX, log")
    seed: int = option(13)
    folds: int = option(4)
    epochs: int = option(2)
    fold_epochs: int | None = option(None, help="epochs of each fold encoder (default: --epochs)")
    max_length: int = option(256)
    batch_size: int = option(16)
    lr: float = option(4e-5)
    warmup: float = option(0.1)
    threads: int = option(2)
    grounding: bool = option(
        False, help="also train on claims with other claims' evidence (NEE) and minimally edited claims (Refuted)"
    )
    limit: int | None = option(None, help="first N train and dev claims only (a smoke run)")
    opset: int = option(17)
    resume: bool = option(False, help="reuse the fold logits already in --run-dir")
    export_only: bool = option(False, help="re-export the trained run in --run-dir (fold logits and final)")


def parse_args(argv: Sequence[str] | None = None) -> VerdictEncoderOptions:
    return parse(VerdictEncoderOptions, argv, __doc__)


def initial_model(stance_dir: Path) -> PreTrainedModel:
    """A 4-label BERT classifier with the stance model's weights; word embeddings frozen."""
    state = bert_state_dict(stance_dir / MODEL_FILE)
    weight, bias = state.pop("classifier.weight"), state.pop("classifier.bias")
    rows = torch.zeros(len(VERDICT_LABELS), weight.shape[1])
    biases = torch.zeros(len(VERDICT_LABELS))
    for i, label in enumerate(VERDICT_LABELS):
        if label in STANCE_ROWS:
            j = STANCE_LABELS.index(STANCE_ROWS[label])
            rows[i], biases[i] = weight[j], bias[j]
    state["classifier.weight"], state["classifier.bias"] = rows, biases
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model_path(), num_labels=len(VERDICT_LABELS), attn_implementation="eager"
    )
    model.load_state_dict(state)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def encoded(items: Sequence[AveritecItem], tokenizer: Tokenizer, max_length: int) -> list[PairInput]:
    return [encode(tokenizer, i.claim.text, [text for text, _ in i.qa], max_length) for i in items]


@dataclass(frozen=True)
class Derived:
    """A training item made from train claim ``origin``: the claim (or its edit), a label and the evidence read."""

    item: AveritecItem
    evidence: list[str]
    origin: int


def grounding_items(train: Sequence[AveritecItem], args: VerdictEncoderOptions) -> list[Derived]:
    """Not Enough Evidence items (others' evidence) and Refuted edits of Supported claims, those with a passage about
    the claim after the relevance gate, with their voting passages (pair scores cached in ``--run-dir``)."""
    index = {item.claim.id: k for k, item in enumerate(train)}
    editor = ContrastEditor(entity_pool([i.claim.text for i in train]))
    candidates = [
        *((item, k) for k, item in enumerate(others_evidence(train, args.seed))),
        *((item, k) for k, item in enumerate(others_evidence(train, args.seed, similar=True))),
        *((item, index[item.claim.id.rsplit("-", 2)[0]]) for item in edited_claims(train, editor)),
    ]
    verify = VerifyConfig()
    gate = RelevanceGate(verify.relevance_threshold, verify.min_content_words)
    evidence, _ = gated_evidence([item for item, _ in candidates], args.run_dir, gate)
    out = []
    for (item, origin), found in zip(candidates, evidence, strict=True):
        voting = voting_evidence(found, 0)
        if voting:
            out.append(Derived(item, [e.passage.text for e in voting], origin))
    return out


def pad_tensors(rows: Sequence[PairInput]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in pad_inputs(rows).items()}


def length_batches(lengths: Sequence[int], indices: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths (sorted within windows of 20 batches)."""
    order = list(indices)
    rng.shuffle(order)
    window = 20 * size
    batches = []
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [part[k : k + size] for k in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def train(
    args: VerdictEncoderOptions,
    rows: Sequence[PairInput],
    y: np.ndarray,
    indices: Sequence[int],
    desc: str,
    epochs: int,
) -> PreTrainedModel:
    """Fine-tunes a fresh model on ``indices``: class-weighted cross-entropy (square-root balanced), AdamW."""
    model = initial_model(args.stance_dir)
    model.train()
    rng = random.Random(args.seed)
    lengths = [len(r.ids) for r in rows]
    plan = [length_batches(lengths, indices, args.batch_size, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plan)
    warmup = max(1, int(args.warmup * total))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    scheduler = linear_warmup_decay(optimizer, total, warmup)
    counts = np.bincount(y[list(indices)], minlength=len(VERDICT_LABELS)).clip(min=1)
    weights = torch.tensor(np.sqrt(len(indices) / (len(VERDICT_LABELS) * counts)), dtype=torch.float32)
    targets = torch.from_numpy(y)
    losses: list[float] = []
    with tqdm(total=total, desc=desc, unit="batch", mininterval=10) as bar:
        for epoch_batches in plan:
            for batch in epoch_batches:
                logits = model(**pad_tensors([rows[i] for i in batch])).logits
                loss = F.cross_entropy(logits, targets[batch], weight=weights)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(loss.item())
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
                bar.update()
    log.info("%s: %d steps, mean loss of the last 50 %.4f", desc, total, float(np.mean(losses[-50:])))
    return model


def predict(model: PreTrainedModel, rows: Sequence[PairInput], batch_size: int = 32) -> np.ndarray:
    model.eval()
    out = np.zeros((len(rows), len(VERDICT_LABELS)), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].ids))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            out[part] = model(**pad_tensors([rows[i] for i in part])).logits.numpy()
    return out


def scores(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    predicted = logits.argmax(axis=1)
    metrics = classification_metrics([VERDICT_LABELS[i] for i in y], [VERDICT_LABELS[i] for i in predicted])
    return {k: round(v, 4) for k, v in metrics.items()}


def run(args: VerdictEncoderOptions) -> None:
    wall_start = time.time()
    command = start_run(log, args.run_dir, command_line("factdesk.training.verdict_encoder", args))
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)

    train_items = load_split(args.data_dir, "train")[: args.limit]
    dev_items = load_split(args.data_dir, "dev")[: args.limit]
    y = np.array([VERDICT_LABELS.index(i.label) for i in train_items])
    y_dev = np.array([VERDICT_LABELS.index(i.label) for i in dev_items])
    tokenizer = load_tokenizer(args.stance_dir)
    rows, dev_rows = encoded(train_items, tokenizer, args.max_length), encoded(dev_items, tokenizer, args.max_length)
    derived: list[Derived] = []
    if args.grounding:
        derived = grounding_items(train_items, args)
        rows += [encode(tokenizer, d.item.claim.text, d.evidence, args.max_length) for d in derived]
        log.info("grounding: %d derived items %s", len(derived), dict(Counter(d.item.label for d in derived)))
    own = len(train_items)
    y_all = np.concatenate([y, [VERDICT_LABELS.index(d.item.label) for d in derived]]).astype(int)
    origin = np.concatenate([np.arange(own), [d.origin for d in derived]]).astype(int)
    log.info(
        "train %d items (%d claims), dev %d; input tokens median %d, 90th percentile %d (cap %d)",
        len(rows),
        own,
        len(dev_rows),
        np.median([len(r.ids) for r in rows]),
        np.percentile([len(r.ids) for r in rows], 90),
        args.max_length,
    )

    started = time.time()
    oof = np.zeros((len(rows), len(VERDICT_LABELS)), dtype=np.float32)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    for k, (_, held_claims) in enumerate(folds.split(np.zeros(len(y)), y), start=1):
        held = np.isin(origin, held_claims)
        held_idx, fit_idx = np.flatnonzero(held), np.flatnonzero(~held)
        saved = args.run_dir / f"fold{k}_logits.npy"
        if (args.resume or args.export_only) and saved.is_file():
            oof[held_idx] = np.load(saved)
            log.info("fold %d/%d: logits read from %s", k, args.folds, saved)
            continue
        model = train(args, rows, y_all, fit_idx.tolist(), f"fold {k}/{args.folds}", args.fold_epochs or args.epochs)
        oof[held_idx] = predict(model, [rows[i] for i in held_idx])
        np.save(saved, oof[held_idx])
        log.info("fold %d/%d held out: %s", k, args.folds, scores(oof[held_idx], y_all[held_idx]))
    fold_seconds = time.time() - started
    log.info("out-of-fold train claims, own evidence: %s", scores(oof[:own], y))
    if derived:
        log.info("out-of-fold derived items: %s", scores(oof[own:], y_all[own:]))

    final = args.run_dir / "final"
    if args.export_only:
        model = AutoModelForSequenceClassification.from_pretrained(final, attn_implementation="eager")
        training = json.loads((final / TRAINING_FILE).read_text(encoding="utf-8"))
    else:
        started = time.time()
        model = train(args, rows, y_all, list(range(len(rows))), "all of train", args.epochs)
        model.save_pretrained(final)
        training = {"command": command, "folds_seconds": fold_seconds, "final_seconds": time.time() - started}
        (final / TRAINING_FILE).write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
    dev_torch = predict(model, dev_rows)

    fp32, int8 = args.run_dir / "onnx_fp32" / ENCODER_FILE, args.run_dir / "onnx_int8" / ENCODER_FILE
    # Logits from inputs_embeds: the word embeddings are the stance model's, looked up outside the graph.
    sample = {
        "inputs_embeds": torch.zeros(1, 8, model.config.hidden_size),
        "attention_mask": torch.ones(1, 8, dtype=torch.long),
        "token_type_ids": torch.zeros(1, 8, dtype=torch.long),
    }
    export_logits(model, fp32, sample, args.opset)
    # Per-channel, 7-bit weights: with full 8-bit ones the int8 encoder agreed with fp32 on 90% of dev claims
    # (accuracy 0.700 -> 0.664); with reduce_range on 98% (0.702).
    quantize_int8(fp32, int8, per_channel=True, reduce_range=True)
    meta: dict[str, Any] = {
        "labels": list(VERDICT_LABELS),
        "max_length": args.max_length,
        "evidence_separator": EVIDENCE_SEPARATOR,
        "word_embeddings_sha256": table_sha256(word_embeddings(args.stance_dir / MODEL_FILE)),
    }
    (int8.parent / META_FILE).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    encoder = VerdictEncoder(str(int8.parent), str(args.stance_dir))
    dev_int8 = encoder.batch_logits([(i.claim.text, [t for t, _ in i.qa]) for i in dev_items])
    agreement = float(np.mean(dev_int8.argmax(1) == dev_torch.argmax(1)))
    meta |= {
        "license": LICENSE,
        "seed": args.seed,
        "command": training["command"],
        "export_command": command,
        "init": f"stance model {args.stance_dir / MODEL_FILE}",
        "hyperparameters": {
            k: getattr(args, k) for k in ("folds", "epochs", "fold_epochs", "max_length", "batch_size", "lr", "warmup")
        }
        | {
            "optimizer": "AdamW",
            "loss": "cross-entropy, square-root balanced class weights",
            "frozen": "word embeddings",
        },
        "train_claims": own,
        "train_marginal": [round(float(v), 4) for v in softmax(oof[:own].astype(float)).mean(axis=0)],
        "derived_items": dict(Counter(d.item.label for d in derived)),
        "dev_claims": len(dev_rows),
        "metrics": {
            "out_of_fold_train": scores(oof[:own], y),
            **({"out_of_fold_derived": scores(oof[own:], y_all[own:])} if derived else {}),
            "dev_torch_fp32": scores(dev_torch, y_dev),
            "dev_onnx_int8": scores(dev_int8, y_dev),
            "dev_int8_agrees_with_fp32": round(agreement, 4),
        },
        "seconds": {"folds": round(training["folds_seconds"]), "final": round(training["final_seconds"])},
        "versions": training_versions(),
        "out_of_fold_train_logits": {
            item.claim.id: [round(float(v), 4) for v in row]
            for item, row in zip([*train_items, *(d.item for d in derived)], oof, strict=True)
        },
    }
    log.info(
        "dev: torch %s | int8 %s | agreement %.4f",
        meta["metrics"]["dev_torch_fp32"],
        meta["metrics"]["dev_onnx_int8"],
        agreement,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(int8, args.out / ENCODER_FILE)
    (args.out / META_FILE).write_text(json.dumps(meta, separators=(",", ":")) + "\n", encoding="utf-8")
    log.info(
        "wrote %s (%.1f MB) in %.0f s",
        args.out / ENCODER_FILE,
        (args.out / ENCODER_FILE).stat().st_size / 1e6,
        time.time() - wall_start,
    )


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()

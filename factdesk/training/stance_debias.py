"""Stage 3 of the stance model: teach its three stance outputs to read the evidence, not the claim's wording.

Starts from the shipped stance + relevance model (stage 2, ``factdesk train reranker``), read back from its int8
ONNX export. Each step trains on:

- **debiasing pairs**, with a product-of-experts loss against a claim-only model: the supports/refutes
  log-probabilities are added to those of a logistic regression that reads only the claim (out-of-fold), so that
  what the claim's words alone predict earns the model nothing; a small plain 3-way term keeps ``neutral`` in
  place. The pairs are
  - FEVER shared-task dev pairs (``nli/fever_dev_pairs``) minus every claim of FEVER-Symmetric (v0.1 and v0.2,
    both splits) and of the stance dev sample, so neither diagnostic sees a trained claim;
  - contrast pairs, each beside its unedited original: a supported claim minimally edited
    (``evaluate.contrast``: negation; a number, date or named entity that the passage itself states, changed) is
    refuted by the same passage; a supporting passage whose sentence about the claim is negated refutes it; and
    a passage reporting the claim with a ruling is written both ways (false / accurate);
- stage 1's replayed stance mixture (plain cross-entropy), so the three outputs keep what they learnt;
- one AVeriTeC relevance group (stage 2's listwise and pointwise losses), so the relevance output keeps its scale.

The word embeddings stay frozen, and the exported model carries stage 2's embedding table byte for byte: the
verdict encoder reads that table, so it stays valid. The verdict model reads the stance outputs, so retrain it
after this (``factdesk train verdict``).

    python -m factdesk.training.stance_debias --data-dir ../shared/data --out factdesk/models/stance
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, PreTrainedModel

from factdesk.datasets.averitec import load_records
from factdesk.datasets.fever_symmetric import SPLITS
from factdesk.datasets.stance_pairs import REFUTES, SUPPORTS, StancePair
from factdesk.evaluate.contrast import ContrastEditor
from factdesk.evaluate.fever_symmetric import SYSTEM_2WAY, FeverSymmetricEvaluator
from factdesk.logs import start_run
from factdesk.onnx_model import MODEL_FILE, TOKENIZER_FILE, load_tokenizer, pad_batch
from factdesk.retrieve.rerank import RELEVANCE_FILE, CrossEncoderReranker
from factdesk.training import reranker as relevance_training
from factdesk.training import stance_data
from factdesk.training.debias_data import (
    CONTRAST,
    CONTRAST_SOURCES,
    carry_word_embeddings,
    contrast_pairs,
    fever_training_pairs,
    folded,
    passage_negations,
    reported_rulings,
)
from factdesk.training.from_onnx import bert_state_dict
from factdesk.training.options import command_line, option, parse
from factdesk.training.stance import (
    base_model_path,
    evaluate,
    export_onnx,
    linear_warmup_decay,
    quantize_int8,
    seed_everything,
    training_versions,
)
from factdesk.verify.base import STANCE_LABELS
from factdesk.verify.cross_encoder import CrossEncoderStance

DEBIAS_FILE = "debias.json"
MAX_STANCE_DROP = 1.0  # points of mean stance dev macro-F1 a shipped stage 3 may lose
MAX_RECALL_DROP = 0.02  # relevance recall@10 a shipped stage 3 may lose
RELEVANCE = relevance_training.RELEVANCE
TWO_WAY = [STANCE_LABELS.index(SUPPORTS), STANCE_LABELS.index(REFUTES)]
log = logging.getLogger("factdesk.stance_debias")


@dataclass(frozen=True, kw_only=True)
class StanceDebiasOptions:
    """The options of ``python -m factdesk.training.stance_debias``; ``factdesk train`` builds them directly."""

    data_dir: Path = option(help="shared/data (nli/, fever/, averitec/ ...)")
    init: Path = option(Path("factdesk/models/stance"), help="the stage-2 model")
    out: Path = option(help="artifact folder, e.g. factdesk/models/stance")
    run_dir: Path = option(Path("runs/stance_debias"))
    seed: int = option(13)
    sources: str = option(
        "all",
        help="stage 1's source set (its mixture is replayed): all or commercial",
        choices=tuple(stance_data.SOURCE_SETS),
    )
    relevance: bool = option(
        True, help="the init has stage 2's relevance output: replay AVeriTeC relevance groups and keep it in check"
    )
    keep_word_embeddings: bool = option(
        True, help="ship the init's word-embedding table byte for byte (the verdict encoder reads it)"
    )
    fever_pairs: int = option(4000, help="FEVER dev pairs trained on (the rest unused)")
    contrast_claims: int = option(12000, help="supported pairs tried for a contrast edit")
    contrast_pairs: int = option(2000, help="contrast pairs trained on (at most)")
    passage_negations: int = option(800, help="evidence-side negation pairs (at most)")
    rulings: int = option(400, help="claims given a reported ruling both ways")
    debias_batch: int = option(10, help="debiasing pairs per step")
    replay: int = option(4, help="stage-1 stance pairs replayed per step")
    hard: int = option(3, help="hard negatives in the relevance group of each step")
    pool: int = option(20)
    pointwise_weight: float = option(0.5, help="as stage 2's, for the relevance groups")
    plain_weight: float = option(0.3, help="weight of the plain 3-way term")
    stage1_pairs: int = option(60000)
    max_length: int = option(128)
    lr: float = option(2e-5)
    warmup: float = option(0.06)
    threads: int = option(2)
    opset: int = option(17)
    export_only: bool = option(False, help="export and evaluate <run-dir>/final again")


def parse_args(argv: Sequence[str] | None = None) -> StanceDebiasOptions:
    return parse(StanceDebiasOptions, argv, __doc__)


def claim_only_log_probs(pairs: Sequence[StancePair], seed: int, folds: int = 2) -> np.ndarray:
    """Out-of-fold log P(supports), log P(refutes) of a logistic regression on the claim's words, shape (n, 2)."""
    fold = np.array([int(hashlib.sha1(f"{seed}:{folded(p.claim)}".encode()).hexdigest(), 16) % folds for p in pairs])
    gold = np.array([p.label == REFUTES for p in pairs], dtype=int)
    out = np.zeros((len(pairs), 2))
    for k in range(folds):
        fit, held = fold != k, fold == k
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = vectorizer.fit_transform([pairs[i].claim for i in np.flatnonzero(fit)])
        model = LogisticRegression(C=1.0, max_iter=1000).fit(x, gold[fit])
        out[held] = model.predict_log_proba(vectorizer.transform([pairs[i].claim for i in np.flatnonzero(held)]))
    return out


def stage2_model(init: Path, relevance: bool = True) -> PreTrainedModel:
    """The model to continue in torch (stage 2's four outputs, or stage 1's three), its word embeddings frozen."""
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model_path(), num_labels=RELEVANCE + relevance, attn_implementation="eager"
    )
    model.load_state_dict(bert_state_dict(init / MODEL_FILE))
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def train(
    args: StanceDebiasOptions,
    model: PreTrainedModel,
    tokenizer: Any,
    units: list[tuple[StancePair, ...]],
    bias: np.ndarray,
    replay: list[StancePair],
    groups: list[relevance_training.Group],
) -> float:
    """One pass over the debiasing pairs (contrast pairs stay together), AdamW with warm-up and linear decay."""
    # A contrast pair (original, edited) stays together in a batch; ``bias`` rows follow the flattened units.
    debias = [p for unit in units for p in unit]
    starts = np.cumsum([0] + [len(u) for u in units])
    shuffled = random.Random(args.seed).sample(range(len(units)), len(units))
    order = [i for u in shuffled for i in range(starts[u], starts[u + 1])]
    batches = [order[i : i + args.debias_batch] for i in range(0, len(order), args.debias_batch)]
    total, warmup = len(batches), max(1, int(args.warmup * len(batches)))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    scheduler = linear_warmup_decay(optimizer, total, warmup)
    log_bias = torch.from_numpy(bias).float()
    model.train()
    start = time.time()
    window = np.zeros(4)
    for step, batch in enumerate(tqdm(batches, desc="debias", unit="batch", mininterval=30, file=sys.stderr), 1):
        stance_pairs = replay[(step - 1) * args.replay : step * args.replay]
        encodings = tokenizer.encode_batch([(debias[i].claim, debias[i].passage) for i in batch])
        encodings += tokenizer.encode_batch([(p.claim, p.passage) for p in stance_pairs])
        if groups:
            encodings += relevance_training.encode_group(tokenizer, groups[(step - 1) % len(groups)])
        logits = model(**{k: torch.from_numpy(v) for k, v in pad_batch(encodings).items()}).logits
        n, r = len(batch), len(stance_pairs)
        gold = torch.tensor([STANCE_LABELS.index(debias[i].label) for i in batch])
        two_way = F.log_softmax(logits[:n][:, TWO_WAY], dim=-1) + log_bias[batch]
        poe = F.cross_entropy(two_way, (gold == STANCE_LABELS.index(REFUTES)).long())
        plain = F.cross_entropy(logits[:n, :RELEVANCE], gold)
        stance = F.cross_entropy(
            logits[n : n + r, :RELEVANCE], torch.tensor([STANCE_LABELS.index(p.label) for p in stance_pairs])
        )
        loss = poe + args.plain_weight * plain + stance
        listwise = torch.zeros(())
        if groups:
            listwise, pointwise = relevance_training.group_losses(logits[n + r :, RELEVANCE][None])
            loss = loss + listwise + args.pointwise_weight * pointwise
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        window += (poe.item(), plain.item(), stance.item(), listwise.item())
        if step % 100 == 0 or step == total:
            seen = 100 if step % 100 == 0 else step % 100
            log.info(
                "step %d/%d poe %.4f plain %.4f replay %.4f listwise %.4f lr %.2e trained %.0f s",
                step, total, *(window / seen), scheduler.get_last_lr()[0], time.time() - start,
            )  # fmt: skip
            window = np.zeros(4)
    return time.time() - start


def fever_symmetric(model_dir: Path, data_dir: Path) -> dict[str, float]:
    """FEVER-Symmetric v0.2 dev and test 2-way accuracy (bias tuned on dev) and 3-way argmax accuracy."""
    out = {}
    for split in SPLITS:
        report = FeverSymmetricEvaluator(model_dir=str(model_dir)).run(data_dir, split)
        for system in report.systems[:2]:
            out[f"{split} {system.system}"] = round(system.metrics["accuracy"], 4)
    return out


def run(args: StanceDebiasOptions) -> None:
    wall_start = time.time()
    command = start_run(log, args.run_dir, command_line("factdesk.training.stance_debias", args))
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)

    dev_sets, _, mixture = stance_data.training_mixture(args.data_dir, args.stage1_pairs, args.seed, args.sources)
    fever = fever_training_pairs(args.data_dir, dev_sets)
    rng = random.Random(args.seed)
    fever = rng.sample(fever, min(args.fever_pairs, len(fever)))
    supported = [p for p in fever + mixture if p.label == SUPPORTS and p.source in CONTRAST_SOURCES]
    supported = rng.sample(supported, min(args.contrast_claims, len(supported)))
    editor = ContrastEditor()
    editor.pool = editor.entity_pool([p.claim for p in supported], min_count=2)
    contrast = contrast_pairs(supported, editor, args.contrast_pairs)
    contrast += passage_negations(supported, editor, args.passage_negations)
    ruled = [p.claim for p in rng.sample(fever + supported, min(args.rulings, len(fever) + len(supported)))]
    contrast += reported_rulings(ruled, args.seed)
    units: list[tuple[StancePair, ...]] = [(p,) for p in fever] + contrast
    debias = [p for unit in units for p in unit]
    log.info(
        "debiasing pairs: %d FEVER (%s), %d contrast pairs (%s)",
        len(fever), dict(Counter(p.label for p in fever)), len(contrast), dict(Counter(e.source for _, e in contrast)),
    )  # fmt: skip
    bias = claim_only_log_probs(debias, args.seed)
    bias_accuracy = float(np.mean((bias[:, 1] > bias[:, 0]) == np.array([p.label == REFUTES for p in debias])))
    log.info("claim-only model, out-of-fold accuracy on the debiasing pairs: %.4f", bias_accuracy)
    steps = -(-len(debias) // args.debias_batch)
    replay = random.Random(args.seed + 1).sample(mixture, min(len(mixture), args.replay * steps))
    groups: list[relevance_training.Group] = []
    if args.relevance:
        train_claims = load_records(args.data_dir, "train")
        groups = relevance_training.mine_groups(train_claims, args.seed, args.pool, args.hard)
        random.Random(args.seed).shuffle(groups)

    tokenizer = load_tokenizer(args.init / TOKENIZER_FILE, args.max_length)
    final = args.run_dir / "final"
    if args.export_only:
        model = AutoModelForSequenceClassification.from_pretrained(final, attn_implementation="eager")
        training = json.loads((final / DEBIAS_FILE).read_text(encoding="utf-8"))
    else:
        model = stage2_model(args.init, args.relevance)
        seconds = train(args, model, tokenizer, units, bias, replay, groups)
        model.save_pretrained(final)
        training = {"command": command, "train_seconds": round(seconds)}
        (final / DEBIAS_FILE).write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")

    sample = {k: torch.from_numpy(v) for k, v in pad_batch(tokenizer.encode_batch([("a claim", "a passage")])).items()}
    fp32, int8 = args.run_dir / "onnx_fp32", args.run_dir / "onnx_int8"
    export_onnx(final, fp32 / MODEL_FILE, sample, args.opset)
    quantize_int8(fp32 / MODEL_FILE, int8 / MODEL_FILE, per_channel=True)  # as stage 2
    if args.keep_word_embeddings:
        carry_word_embeddings(args.init / MODEL_FILE, int8 / MODEL_FILE)
    for name in (TOKENIZER_FILE, "stance.json") + ((RELEVANCE_FILE,) if args.relevance else ()):
        shutil.copyfile(args.init / name, int8 / name)

    stance_max_length = json.loads((args.init / "stance.json").read_text(encoding="utf-8"))["max_length"]
    compared = {"stage2_int8": args.init, "stage3_int8": int8}
    dev = {
        k: evaluate(CrossEncoderStance(str(v), stance_max_length).predict_pairs, dev_sets) for k, v in compared.items()
    }
    symmetric = {k: fever_symmetric(v, args.data_dir) for k, v in compared.items()}
    recall = {k: 0.0 for k in compared}
    if args.relevance:
        monitor, _ = relevance_training.monitor_task(load_records(args.data_dir, "dev"), train_claims)
        recall = {k: monitor(CrossEncoderReranker(str(v), args.max_length).score_pairs) for k, v in compared.items()}
    log.info(
        "stance dev macro-F1: %s",
        {k: {n: m[n] if n == "mean_macro_f1" else m[n]["macro_f1"] for n in m} for k, m in dev.items()},
    )
    log.info("FEVER-Symmetric: %s", symmetric)
    log.info("relevance monitor recall@10: %s", recall)

    results = {
        "command": training["command"],
        "export_command": command,
        "init": str(args.init),
        "seed": args.seed,
        "sources": args.sources,
        "relevance": args.relevance,
        "hyperparameters": {
            k: getattr(args, k)
            for k in ("fever_pairs", "debias_batch", "replay", "hard", "plain_weight", "lr", "warmup")
        }
        | {"epochs": 1, "optimizer": "AdamW", "frozen": "word embeddings", "sources": args.sources},
        "debiasing_pairs": {
            "fever": len(fever),
            "contrast": dict(Counter(e.source for _, e in contrast)),
            "claim_only_out_of_fold_accuracy": round(bias_accuracy, 4),
        },
        "stance_dev": dev,
        "fever_symmetric": symmetric,
        "relevance_recall@10": recall,
        "train_seconds": training["train_seconds"],
        "total_wall_seconds": round(time.time() - wall_start),
        "versions": training_versions(),
    }
    key = f"dev {SYSTEM_2WAY}"
    checks = {
        "fever_symmetric_dev_gain": symmetric["stage3_int8"][key] - symmetric["stage2_int8"][key],
        "stance_dev_mean_macro_f1_drop": dev["stage2_int8"]["mean_macro_f1"] - dev["stage3_int8"]["mean_macro_f1"],
        "relevance_recall_drop": recall["stage2_int8"] - recall["stage3_int8"],
    }
    shipped = (
        checks["fever_symmetric_dev_gain"] > 0
        and checks["stance_dev_mean_macro_f1_drop"] <= MAX_STANCE_DROP
        and checks["relevance_recall_drop"] <= MAX_RECALL_DROP
    )
    results |= {"selection": {k: round(v, 4) for k, v in checks.items()} | {"shipped": shipped}}
    (int8 / DEBIAS_FILE).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not shipped:
        log.info("not shipped (selection on dev sets only): %s; the candidate is in %s", checks, int8)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, DEBIAS_FILE):
        shutil.copyfile(int8 / name, args.out / name)
    card = args.out / "MODEL_CARD.md"
    previous = (args.init / "MODEL_CARD.md").read_text(encoding="utf-8").split(STAGE3_HEADING)[0].rstrip()
    card.write_text(previous + "\n\n" + model_card(results))
    log.info("shipped to %s: %s", args.out, checks)


STAGE3_HEADING = "## Stage 3: reading the evidence, not the claim"


def model_card(meta: dict[str, Any]) -> str:
    dev, sym, recall = meta["stance_dev"], meta["fever_symmetric"], meta["relevance_recall@10"]
    names = [n for n in dev["stage2_int8"] if n != "mean_macro_f1"]
    rows = "\n".join(
        f"| {n} | {dev['stage2_int8'][n]['macro_f1']:.2f} | {dev['stage3_int8'][n]['macro_f1']:.2f} |" for n in names
    )
    sym_rows = "\n".join(
        f"| FEVER-Symmetric v0.2 {k} | {sym['stage2_int8'][k]:.4f} | {sym['stage3_int8'][k]:.4f} |"
        for k in sym["stage2_int8"]
    )
    data = meta["debiasing_pairs"]
    relevance = meta.get("relevance", True)
    before = "stage 2" if relevance else "stage 1"
    embeddings = "The word embeddings are frozen" + (
        " and carried over byte for byte, so the verdict encoder that reads them stays valid." if relevance else "."
    )
    replayed = "Stage 1's mixture and AVeriTeC relevance groups are" if relevance else "Stage 1's mixture is"
    recall_row = (
        f"| relevance recall@10 (150 AVeriTeC dev claims) | {recall['stage2_int8']:.4f} | {recall['stage3_int8']:.4f} |"
        if relevance
        else ""
    )
    license_line = (
        "The license is unchanged: non-commercial, from stage 1's sources."
        if meta.get("sources", "all") == "all"
        else "Every source of this stage and of stage 1 states a license that allows commercial use (FEVER: "
        "CC BY-SA 3.0, as Wikipedia's text; its PROVENANCE.md notes the source repository states none)."
    )
    contrast = ", ".join(f"{n:,} {k.removeprefix(CONTRAST)}" for k, n in sorted(data["contrast"].items()))
    return f"""{STAGE3_HEADING}

`{meta["command"]}` continues {before} for one pass over:

- {data["fever"]:,} FEVER shared-task dev pairs (FEVER, CC BY-SA 3.0), none with a claim of FEVER-Symmetric
  v0.1/v0.2 or of the stance dev sample;
- contrast pairs ({contrast}), each trained beside its original:
  - a supported claim of a fact-verification source minimally edited (`evaluate.contrast`) so that its own
    passage refutes it; a number, date or entity edit only when the passage states the original value;
  - `passage_negation`: in a short supporting passage, the sentence sharing most words with the claim negated;
  - `ruling`: a passage reporting the claim with a ruling, written both ways ("The claim that … is false" /
    "… is accurate", the project's wording), so that only the ruling tells them apart.

The supports/refutes loss is a product of experts with a claim-only logistic regression (out-of-fold accuracy on
these pairs: {data["claim_only_out_of_fold_accuracy"]:.3f}), so what the claim's wording alone predicts earns
nothing. {replayed} replayed. {embeddings} Hyperparameters:
`{json.dumps(meta["hyperparameters"])}`. Trained in {meta["train_seconds"]} s on 2 CPU cores.

Selected on dev sets only (FEVER-Symmetric dev gain; stance dev mean macro-F1 drop at most {MAX_STANCE_DROP}
points; relevance recall@10 drop at most {MAX_RECALL_DROP}): `{json.dumps(meta["selection"])}`.

| measure | {before} (int8) | stage 3 (int8, shipped) |
|---|---|---|
{rows}
| mean stance dev macro-F1 | {dev["stage2_int8"]["mean_macro_f1"]:.2f} | {dev["stage3_int8"]["mean_macro_f1"]:.2f} |
{sym_rows}
{recall_row}

`fever_dev_sample` is FEVER dev like the stage-3 pairs (other claims of it): part of its gain is fitting FEVER's
domain. FEVER-Symmetric 2-way accuracy is the evaluator's (`factdesk eval fever-symmetric --split test`), with the
supports/refutes offset tuned on its dev split. {license_line}
"""


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()

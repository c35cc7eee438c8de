"""How should a passage be read, and what does binding the ruling to the readings cost? AVeriTeC dev, gold QA
evidence, the shipped models.

    python benchmarks/passage_reading.py [--weights 1.0 0.75 0.5 0.25 0.0]

Each passage about the claim is read as ``w`` × the stance model's probabilities + (1 − ``w``) × the verdict
encoder's reading of the passage alone (``[verify.reader] stance_weight``), with and without the encoder's prior
correction (``prior_correction``); its tag is the likeliest. For each setting: how often the tags of the
evidence of Supported and Refuted claims agree with the claim's label, the
verdicts the readings contradict before binding (Refuted with only supporting tags, or the reverse), and the
verdict's accuracy, macro-F1 and per-label F1 once bound (``reading.consistent_with_readings``), and once each
ruling must also be read by a voting passage (``require_reading``), beside the unbound verdict and the majority
class from the same run. Dev only: the default weight was chosen with this
script, so these are selection figures.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from factdesk.datasets.averitec import load_split, misinfo_list
from factdesk.evaluate.averitec import classification_metrics, with_evidence
from factdesk.records import VERDICT_LABELS, Evidence
from factdesk.retrieve.rerank import CrossEncoderReranker
from factdesk.verify.cross_encoder import CrossEncoderStance
from factdesk.verify.reading import EncoderPassageReader, consistent_with_readings
from factdesk.verify.relevance import RelevanceGate, relevant
from factdesk.verify.verdict import TrainedVerdictAggregator

WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)
AS_STANCE = {"Supported": "supports", "Refuted": "refutes"}


def contradicted(label: str, evidence: list[Evidence]) -> bool:
    tags = {e.stance for e in evidence}
    return (label == "Refuted" and tags & {"supports"} and "refutes" not in tags) or (
        label == "Supported" and "refutes" in tags and "supports" not in tags
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--weights", nargs="+", type=float, default=WEIGHTS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/passage_reading.json"))
    args = parser.parse_args()
    if not (args.data_dir / "averitec" / "dev.json").is_file():
        print(f"AVeriTeC is not in {args.data_dir}; nothing to measure")
        return
    dev, train = load_split(args.data_dir, "dev"), load_split(args.data_dir, "train")
    gold = [i.label for i in dev]
    gate = RelevanceGate()
    evidence = [relevant(e) for e in with_evidence(dev, CrossEncoderStance(), True, CrossEncoderReranker(), gate)]
    with misinfo_list(args.data_dir):  # AVeriTeC's list of misinformation domains, as the evaluators read it
        aggregator = TrainedVerdictAggregator(follow_readings=False)
        unbound = [aggregator.run(i.claim, e) for i, e in zip(dev, evidence, strict=True)]
    majority = Counter(i.label for i in train).most_common(1)[0][0]
    rows = [
        {"system": "verdict model, unbound", **classification_metrics(gold, [max(s, key=s.get) for s in unbound])},
        {"system": f"majority class ({majority})", **classification_metrics(gold, [majority] * len(dev))},
    ]
    for weight, corrected in [(w, c) for c in (True, False) for w in args.weights]:
        reader = EncoderPassageReader(stance_weight=weight, prior_correction=corrected)
        read = [reader.run(i.claim, e) for i, e in zip(dev, evidence, strict=True)]
        agree = [
            e.stance == AS_STANCE[i.label] for i, ev in zip(dev, read, strict=True) if i.label in AS_STANCE for e in ev
        ]
        for strict in (False, True):
            bound = [consistent_with_readings(s, ev, strict) for s, ev in zip(unbound, read, strict=True)]
            predicted = [max(s, key=s.get) for s in bound]
            binding = "each ruling read by a passage (require_reading)" if strict else "bound to readings"
            rows.append(
                {
                    "system": f"{binding}, stance_weight {weight}, prior correction {'on' if corrected else 'off'}",
                    "stance_weight": weight,
                    "prior_correction": corrected,
                    "require_reading": strict,
                    "tags_agreeing_with_claim_label": round(sum(agree) / len(agree), 4),
                    "tags": dict(Counter(e.stance for ev in read for e in ev)),
                    "contradicted_before_binding": sum(
                        contradicted(max(s, key=s.get), ev) for s, ev in zip(unbound, read, strict=True)
                    ),
                    "predicted": dict(Counter(predicted)),
                    **classification_metrics(gold, predicted),
                }
            )
    keys = ("accuracy", "macro_f1", *(f"f1_{k}" for k in ("supported", "refuted", "nee", "conflicting")))
    print("| system | tags agreeing | tags supports/refutes/neutral | contradicted | " + " | ".join(keys) + " |")
    print("|---|---|---|---|" + "---|" * len(keys))
    for row in rows:
        agree = row.get("tags_agreeing_with_claim_label", "")
        tags = "/".join(str(row["tags"][t]) for t in ("supports", "refutes", "neutral")) if "tags" in row else ""
        print(
            f"| {row['system']} | {agree} | {tags} | {row.get('contradicted_before_binding', '')} | "
            + " | ".join(f"{row[k]:.3f}" for k in keys)
            + " |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"claims": len(dev), "labels": list(VERDICT_LABELS), "rows": rows}
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

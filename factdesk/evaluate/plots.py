"""PNG plots for evaluation reports: confusion matrices and reliability diagrams."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE with equal-width bins: the weighted mean |accuracy - confidence| over bins."""
    conf = np.asarray(confidences, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return 0.0
    index = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() / conf.size * abs(hit[mask].mean() - conf[mask].mean())
    return float(total)


def confusion_png(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str) -> Path:
    """Rows gold, columns predicted; each cell shows its count, shaded by its share of the gold row."""
    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(labels), 1.2 + 1.1 * len(labels)))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    short = [label.split("/")[0] for label in labels]
    ax.set_xticks(range(len(labels)), short, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), short)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, int(counts[i, j]), ha="center", va="center", color="white" if shares[i, j] > 0.5 else "black")
    ax.set_title(title)
    return _save(fig, path)


def reliability_png(
    confidences: Sequence[float], correct: Sequence[bool], path: Path, title: str, bins: int = 10
) -> Path:
    """Accuracy per equal-width confidence bin, with the diagonal of perfect calibration and the ECE."""
    conf = np.asarray(confidences, dtype=float)
    hit = np.asarray(correct, dtype=float)
    index = np.minimum((conf * bins).astype(int), bins - 1)
    centres, accuracies, sizes = [], [], []
    for b in range(bins):
        mask = index == b
        if mask.any():
            centres.append((b + 0.5) / bins)
            accuracies.append(hit[mask].mean())
            sizes.append(int(mask.sum()))
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.bar(centres, accuracies, width=1 / bins, alpha=0.7, edgecolor="black", label="accuracy per bin")
    for x, y, n in zip(centres, accuracies, sizes, strict=True):
        ax.text(x, min(y + 0.02, 0.97), str(n), ha="center", fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title}\nECE {expected_calibration_error(conf, hit.astype(bool), bins):.3f}")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def precision_recall_png(
    curves: dict[str, tuple[Sequence[float], Sequence[float]]], base_rate: float, path: Path, title: str
) -> Path:
    """Precision against recall, one line per system ``name: (recalls, precisions)``, and the base rate."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for name, (recalls, precisions) in curves.items():
        ax.step(recalls, precisions, where="post", label=name)
    ax.axhline(base_rate, linestyle="--", color="grey", label=f"base rate ({base_rate:.2f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

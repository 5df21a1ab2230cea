"""What a run leaves in --out: samples.png, history.csv, losses.png, confusion.png, predictions.csv."""

from __future__ import annotations

import csv
import os
from typing import Any

import numpy as np

from .training import History


def write_history(path: str, history: History) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(history.rows[0]))
        w.writeheader()
        w.writerows(history.rows)


def plot_losses(path: str, history: History) -> None:
    """Training and validation loss per epoch (are they in sync?), and validation accuracy."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in history.rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [r["train_loss"] for r in history.rows], marker="o", label="train")
    ax1.plot(epochs, [r["val_loss"] for r in history.rows], marker="o", label="validation")
    ax1.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax1.legend()
    ax1.grid(alpha=0.3)
    ax2.plot(epochs, [r["train_acc"] for r in history.rows], marker="o", label="train")
    ax2.plot(epochs, [r["val_acc"] for r in history.rows], marker="o", label="validation")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    ax2.legend()
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(path: str, m: np.ndarray, classes: list[str]) -> None:
    fig = confusion_figure(m, classes)
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)


def confusion_figure(m: np.ndarray, classes: list[str]) -> Any:
    """The confusion matrix with its counts, as a matplotlib figure (confusion.png, and TensorBoard's copy)."""
    plt = _pyplot()
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n, 0.8 + 0.5 * n))
    ax.imshow(m, cmap="Blues")
    ax.set(xticks=range(n), yticks=range(n), xticklabels=classes, yticklabels=classes)
    ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix (test)")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    top = m.max() if m.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="white" if m[i, j] > top / 2 else "black", fontsize=8)
    fig.tight_layout()
    return fig


def sample_indices(n: int, count: int, seed: int) -> np.ndarray:
    """`count` distinct random indices of `n` images, from NumPy's generator (ember's random stream stays untouched,
    so a run with samples drawn trains exactly as one without)."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(count, n), replace=False))


def samples_figure(
    images: np.ndarray, labels: np.ndarray, classes: list[str], mean: float, std: float, predictions: np.ndarray | None = None
) -> Any:
    """A grid of (normalised) images titled with their labels, and with the predictions when given (green when
    right, red when wrong): samples.png before training, and TensorBoard's per-epoch view of the validation set."""
    plt = _pyplot()
    n = len(images)
    cols = min(8, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.45 * rows + 0.2), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        img = np.clip(images[k] * std + mean, 0.0, 1.0)
        ax.imshow(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0), cmap="gray" if img.shape[0] == 1 else None)
        title, color = classes[int(labels[k])], "black"
        if predictions is not None:
            right = int(predictions[k]) == int(labels[k])
            title, color = f"{title} / {classes[int(predictions[k])]}", "green" if right else "red"
        ax.set_title(title, fontsize=8, color=color)
    fig.suptitle("label / prediction" if predictions is not None else "random training images (label)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_samples(path: str, images: np.ndarray, labels: np.ndarray, classes: list[str], mean: float, std: float) -> None:
    fig = samples_figure(images, labels, classes, mean, std)
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)


def write_predictions(path: str, ids: list[str], predictions: np.ndarray, confidence: np.ndarray, classes: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "predicted_label", "confidence"])
        for i, p, c in zip(ids, predictions, confidence):
            w.writerow([i, classes[int(p)], f"{float(c):.4f}"])


def outputs(out: str) -> dict[str, str]:
    return {name: os.path.join(out, name) for name in (
        "samples.png", "best.safetensors", "last.safetensors", "history.csv", "losses.png", "confusion.png",
        "predictions.csv",
    )}  # fmt: skip

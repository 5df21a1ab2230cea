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
    right, red when wrong): samples.png before training, and TensorBoard's per-epoch view of the validation set.
    One mosaic in one axes (a few hundredths of a second, where a subplot per image takes a second)."""
    plt = _pyplot()
    n, c, h, w = images.shape
    cols = min(8, n)
    rows = -(-n // cols)
    pad_h, pad_w = max(h // 2, 3), max(w // 8, 1)  # room for each title above its image
    mosaic = np.ones((rows * (h + pad_h), cols * (w + pad_w), c), np.float32)
    for k in range(n):
        r, q = divmod(k, cols)
        y, x = r * (h + pad_h) + pad_h, q * (w + pad_w)
        mosaic[y : y + h, x : x + w] = np.clip(images[k] * std + mean, 0.0, 1.0).transpose(1, 2, 0)
    fig = plt.figure(figsize=(1.2 * cols, 1.35 * rows + 0.3))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - 0.3 / (1.35 * rows + 0.3)))
    ax.imshow(mosaic[..., 0] if c == 1 else mosaic, cmap="gray" if c == 1 else None, vmin=0.0, vmax=1.0)
    ax.axis("off")
    for k in range(n):
        r, q = divmod(k, cols)
        title, color = classes[int(labels[k])], "black"
        if predictions is not None:
            right = int(predictions[k]) == int(labels[k])
            title, color = f"{title} / {classes[int(predictions[k])]}", "green" if right else "red"
        ax.text(q * (w + pad_w) + w / 2 - 0.5, r * (h + pad_h) + pad_h / 2 - 0.5, title, ha="center", va="center",
                fontsize=8, color=color)  # fmt: skip
    fig.suptitle("label / prediction" if predictions is not None else "random training images (label)", fontsize=9)
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

"""What a run leaves in --out: history.csv, losses.png, confusion.png, predictions.csv."""

from __future__ import annotations

import csv
import os

import numpy as np

from .training import History


def write_history(path: str, history: History) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(history.rows[0]))
        w.writeheader()
        w.writerows(history.rows)


def plot_losses(path: str, history: History) -> None:
    """Training and validation loss per epoch (are they in sync?), and validation accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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


def plot_confusion(path: str, m: np.ndarray, classes: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_predictions(path: str, ids: list[str], predictions: np.ndarray, confidence: np.ndarray, classes: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "predicted_label", "confidence"])
        for i, p, c in zip(ids, predictions, confidence):
            w.writerow([i, classes[int(p)], f"{float(c):.4f}"])


def outputs(out: str) -> dict[str, str]:
    return {name: os.path.join(out, name) for name in (
        "best.safetensors", "history.csv", "losses.png", "confusion.png", "predictions.csv",
    )}  # fmt: skip

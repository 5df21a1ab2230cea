"""Classification metrics from predictions: accuracy, confusion matrix, per-class precision/recall/F1."""

from __future__ import annotations

import numpy as np


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int) -> np.ndarray:
    """m[i, j]: how many images of class i were predicted as j."""
    m = np.zeros((classes, classes), np.int64)
    np.add.at(m, (labels, predictions), 1)
    return m


def per_class(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support of each class (0 where undefined)."""
    tp = np.diag(m).astype(np.float64)
    predicted, actual = m.sum(0).astype(np.float64), m.sum(1).astype(np.float64)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1, actual.astype(np.int64)


def report(m: np.ndarray, class_names: list[str]) -> str:
    """A table like scikit-learn's classification_report."""
    precision, recall, f1, support = per_class(m)
    width = max(8, *(len(c) for c in class_names))
    lines = [f"{'class':>{width}}  precision  recall  f1-score  support"]
    for name, p, r, f, s in zip(class_names, precision, recall, f1, support):
        lines.append(f"{name:>{width}}  {p:9.3f}  {r:6.3f}  {f:8.3f}  {s:7d}")
    acc = np.trace(m) / max(m.sum(), 1)
    lines.append(f"{'accuracy':>{width}}  {'':9}  {'':6}  {acc:8.3f}  {m.sum():7d}")
    lines.append(f"{'macro avg':>{width}}  {precision.mean():9.3f}  {recall.mean():6.3f}  {f1.mean():8.3f}  {m.sum():7d}")
    return "\n".join(lines)

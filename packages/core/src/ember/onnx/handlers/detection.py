"""ONNX object-detection operators: NonMaxSuppression.

Overlaps are computed with Ember ops on the device; the greedy selection, which is sequential and
yields indices (nothing to differentiate), reads the small score and overlap tables on the host.
"""

from __future__ import annotations

import ember
from ember import Tensor

from ..ops_table import Node, handler


def _corners(node: Node, boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(y_min, x_min, y_max, x_max) of boxes given as corners (either order) or, with center_point_box, as centers."""
    a, b, c, d = (boxes.select(-1, i) for i in range(4))
    if node.attr("center_point_box", 0):  # [x_center, y_center, width, height]
        return b - d / 2, a - c / 2, b + d / 2, a + c / 2
    return ember.minimum(a, c), ember.minimum(b, d), ember.maximum(a, c), ember.maximum(b, d)


def iou(node: Node, boxes: Tensor) -> Tensor:
    """Pairwise intersection over union of (N, 4) boxes: (N, N); 0 where a box has no area."""
    y0, x0, y1, x1 = _corners(node, boxes)
    area = (y1 - y0) * (x1 - x0)
    ih = ember.clamp(ember.minimum(y1[:, None], y1[None, :]) - ember.maximum(y0[:, None], y0[None, :]), min=0)
    iw = ember.clamp(ember.minimum(x1[:, None], x1[None, :]) - ember.maximum(x0[:, None], x0[None, :]), min=0)
    inter = ih * iw
    union = area[:, None] + area[None, :] - inter
    valid = (area[:, None] > 0) & (area[None, :] > 0) & (union > 0)
    return ember.where(valid, inter / ember.where(valid, union, ember.ones_like(union)), ember.zeros_like(union))


@handler("NonMaxSuppression", since=10)
def _nms(
    node: Node,
    boxes: Tensor,
    scores: Tensor,
    max_per_class: Tensor | None = None,
    iou_threshold: Tensor | None = None,
    score_threshold: Tensor | None = None,
) -> Tensor:
    limit = max(int(node.scalar(max_per_class)), 0) if max_per_class is not None and max_per_class.numel() else 0
    overlap = float(node.scalar(iou_threshold)) if iou_threshold is not None and iou_threshold.numel() else 0.0
    floor = float(node.scalar(score_threshold)) if score_threshold is not None and score_threshold.numel() else None
    selected: list[list[int]] = []
    for b in range(boxes.shape[0]):
        ious = iou(node, boxes[b]).tolist()
        for c in range(scores.shape[1]):
            s = scores[b, c].tolist()
            order = sorted((i for i in range(len(s)) if floor is None or s[i] > floor), key=lambda i: (-s[i], i))
            kept: list[int] = []
            for i in order:
                if len(kept) >= limit:
                    break
                if all(ious[i][j] <= overlap for j in kept):
                    kept.append(i)
            selected += [[b, c, i] for i in kept]
    out = ember.tensor(selected, dtype=ember.int64, device=node.device)
    return out.reshape(-1, 3)

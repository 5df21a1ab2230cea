"""ONNX object-detection operators: NonMaxSuppression and RoiAlign.

Overlaps are computed with Ember ops on the device; the greedy selection, which is sequential and
yields indices (nothing to differentiate), reads the small score and overlap tables on the host.
RoiAlign reads the regions (a few numbers each) on the host to place its bilinear samples, then gathers
and weighs the feature map on the device.
"""

from __future__ import annotations

import math

import numpy as np

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


def _samples(
    roi: list[float], height: int, width: int, oh: int, ow: int, ratio: int, half_pixel: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear sample positions (flat indices) and weights of one region: (oh*ow, grid samples * 4) each."""
    offset = 0.5 if half_pixel else 0.0
    x0, y0, x1, y1 = (v - offset for v in roi)
    rw, rh = x1 - x0, y1 - y0
    if not half_pixel:
        rw, rh = max(rw, 1.0), max(rh, 1.0)
    bh, bw = rh / oh, rw / ow
    gh = ratio if ratio > 0 else int(math.ceil(rh / oh))
    gw = ratio if ratio > 0 else int(math.ceil(rw / ow))
    pos = np.zeros((oh * ow, gh * gw * 4), np.int64)
    wts = np.zeros((oh * ow, gh * gw * 4))
    for ph in range(oh):
        for pw in range(ow):
            row = ph * ow + pw
            for iy in range(gh):
                for ix in range(gw):
                    col = (iy * gw + ix) * 4
                    y = y0 + ph * bh + (iy + 0.5) * bh / gh
                    x = x0 + pw * bw + (ix + 0.5) * bw / gw
                    if y < -1.0 or y > height or x < -1.0 or x > width:
                        continue
                    y, x = max(y, 0.0), max(x, 0.0)
                    yl, xl = int(y), int(x)
                    if yl >= height - 1:
                        yl = yh = height - 1
                        y = yl
                    else:
                        yh = yl + 1
                    if xl >= width - 1:
                        xl = xh = width - 1
                        x = xl
                    else:
                        xh = xl + 1
                    ly, lx = y - yl, x - xl
                    pos[row, col : col + 4] = [yl * width + xl, yl * width + xh, yh * width + xl, yh * width + xh]
                    wts[row, col : col + 4] = [(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx]
    return pos, wts


@handler("RoiAlign", since=16)
def _roi_align(node: Node, x: Tensor, rois: Tensor, batch_indices: Tensor) -> Tensor:
    oh, ow = node.attr("output_height", 1), node.attr("output_width", 1)
    ratio, scale = node.attr("sampling_ratio", 0), node.attr("spatial_scale", 1.0)
    half_pixel = node.attr("coordinate_transformation_mode", "half_pixel") == "half_pixel"
    use_max = node.attr("mode", "avg") == "max"
    _, channels, height, width = x.shape
    flat = x.reshape(x.shape[0], channels, height * width)
    outs = []
    for roi, b in zip(rois.tolist(), node.ints(batch_indices)):
        pos, wts = _samples([v * scale for v in roi], height, width, oh, ow, ratio, half_pixel)
        vals = ember.index_select(flat[b], 1, node.const(pos.reshape(-1).tolist(), ember.int64))
        vals = vals.reshape(channels, oh * ow, -1) * node.const(wts.tolist(), ember.float64).to(x.dtype)
        if use_max:  # ONNX's max mode: the largest weighted corner over all samples
            out = ember.amax(vals, dim=-1)
        else:
            out = ember.sum(vals, dim=-1) / max(pos.shape[1] // 4, 1)
        outs.append(out.reshape(channels, oh, ow))
    return ember.stack(outs, dim=0)

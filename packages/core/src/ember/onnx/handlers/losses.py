"""ONNX loss operators: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from ..ops_table import Node, handler


def nll(node: Node, logp: Tensor, target: Tensor, weight: Tensor | None) -> Tensor:
    """ONNX's NLL over class axis 1 with ``reduction`` (none/sum/mean) and ``ignore_index``."""
    target = target.to(ember.int64)
    ignore = node.attr("ignore_index")
    mask = None
    if ignore is not None:
        mask = target != ignore
        target = ember.where(mask, target, ember.zeros_like(target))
    picked = -ember.gather(logp, 1, target.unsqueeze(1)).squeeze(1)
    w = ember.index_select(weight, 0, target.reshape(-1)).reshape(target.shape) if weight is not None else None
    if mask is not None:
        m = mask.to(logp.dtype)
        w = m if w is None else w * m
    loss = picked if w is None else picked * w
    reduction = node.attr("reduction", "mean")
    if reduction == "none":
        return loss
    if reduction == "sum":
        return ember.sum(loss)
    if reduction != "mean":
        raise node.error(f"unknown reduction {reduction!r} (none, sum, mean)")
    if w is None:
        return ember.mean(loss)
    return ember.sum(loss) / ember.sum(w)


@handler("NegativeLogLikelihoodLoss", since=13)
def _nll_loss(node: Node, x: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    return nll(node, x, target, weight)


@handler("SoftmaxCrossEntropyLoss", since=13)
def _softmax_cross_entropy(node: Node, scores: Tensor, labels: Tensor, weight: Tensor | None = None) -> Any:
    logp = ember.log_softmax(scores, 1)
    loss = nll(node, logp, labels, weight)
    return (loss, logp) if node.n_outputs > 1 else loss

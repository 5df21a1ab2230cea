"""ONNX reductions along axes: the Reduce* family, arg-reductions, softmax and its kin, TopK, cumulative sums."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor

from ..ops_table import Node, handler
from .movement import axis_of


def _sum(x: Tensor, dims: list[int], keep: bool) -> Tensor:
    return ember.sum(x, dim=dims, keepdim=keep)


def _logsumexp(x: Tensor, dims: list[int], keep: bool) -> Tensor:
    return ember.logsumexp(x, dim=dims, keepdim=keep)


#: op type -> (reduction over the axes, value of an empty reduction)
_REDUCTIONS: dict[str, tuple[Any, float]] = {
    "ReduceSum": (_sum, 0.0),
    "ReduceMean": (lambda x, d, k: ember.mean(x, dim=d, keepdim=k), math.nan),
    "ReduceMax": (lambda x, d, k: ember.amax(x, dim=d, keepdim=k), -math.inf),
    "ReduceMin": (lambda x, d, k: ember.amin(x, dim=d, keepdim=k), math.inf),
    "ReduceProd": (lambda x, d, k: ember.prod(x, dim=d, keepdim=k) if len(d) == 1 else _prod(x, d, k), 1.0),
    "ReduceL1": (lambda x, d, k: ember.sum(ember.abs(x), dim=d, keepdim=k), 0.0),
    "ReduceL2": (lambda x, d, k: ember.sqrt(ember.sum(x * x, dim=d, keepdim=k)), 0.0),
    "ReduceSumSquare": (lambda x, d, k: ember.sum(x * x, dim=d, keepdim=k), 0.0),
    "ReduceLogSum": (lambda x, d, k: ember.log(ember.sum(x, dim=d, keepdim=k)), -math.inf),
    "ReduceLogSumExp": (_logsumexp, -math.inf),
}


def _prod(x: Tensor, dims: list[int], keep: bool) -> Tensor:
    for d in sorted(dims, reverse=True):
        x = ember.prod(x, dim=d, keepdim=True)
    return x if keep else x.reshape([n for i, n in enumerate(x.shape) if i not in dims])


def reduce(node: Node, x: Tensor, axes: list[int] | None) -> Tensor:
    """Reduce `x` over `axes` (all when empty, unless noop_with_empty_axes) with the node's reduction."""
    fn, empty = _REDUCTIONS[node.op_type]
    keep = bool(node.attr("keepdims", 1))
    if not axes:
        if node.attr("noop_with_empty_axes", 0):
            return x
        axes = list(range(x.ndim))
    dims = sorted({axis_of(node, a, x.ndim) for a in axes})
    if x.ndim == 0:
        return fn(x, None, False) if node.op_type not in ("ReduceMax", "ReduceMin") else x
    if any(x.shape[d] == 0 for d in dims):
        shape = [1 if i in dims else n for i, n in enumerate(x.shape) if keep or i not in dims]
        if x.dtype == ember.bool_:
            empty = empty > 0 if math.isinf(empty) else bool(empty)
        elif not x.dtype.is_floating_point and math.isinf(empty):
            info = ember.iinfo(x.dtype)
            empty = info.min if empty < 0 else info.max
        return ember.full(shape, empty, dtype=x.dtype, device=x.device)
    y = fn(x, dims, keep)
    return y if y.dtype == x.dtype else y.to(x.dtype)


def _reduce_attr(node: Node, x: Tensor) -> Tensor:
    return reduce(node, x, node.attr("axes"))


def _reduce_input(node: Node, x: Tensor, axes: Tensor | None = None) -> Tensor:
    return reduce(node, x, node.ints(axes) if axes is not None else None)


for _op in _REDUCTIONS:
    _switch = 13 if _op == "ReduceSum" else 18  # the version whose axes became an input
    handler(_op, since=1, until=_switch - 1)(_reduce_attr)
    handler(_op, since=_switch)(_reduce_input)


def _arg(node: Node, x: Tensor, fn: Any) -> Tensor:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    keep = bool(node.attr("keepdims", 1))
    if node.attr("select_last_index", 0):
        n = x.shape[axis]
        return (n - 1) - fn(ember.flip(x, [axis]), dim=axis, keepdim=keep)
    return fn(x, dim=axis, keepdim=keep)


@handler("ArgMax", since=11)
def _argmax(node: Node, x: Tensor) -> Tensor:
    return _arg(node, x, ember.argmax)


@handler("ArgMin", since=11)
def _argmin(node: Node, x: Tensor) -> Tensor:
    return _arg(node, x, ember.argmin)


def _softmax_family(fn: Any) -> tuple[Any, Any]:
    def v13(node: Node, x: Tensor) -> Tensor:
        return fn(x, axis_of(node, node.attr("axis", -1), x.ndim))

    def v1(node: Node, x: Tensor) -> Tensor:  # before opset 13: over the input flattened to 2-D at `axis`
        axis = axis_of(node, node.attr("axis", 1), x.ndim)
        lead = 1
        for n in x.shape[:axis]:
            lead *= n
        return fn(x.reshape(lead, -1), 1).reshape(x.shape)

    return v13, v1


def _hardmax(x: Tensor, axis: int) -> Tensor:
    idx = ember.argmax(x, dim=axis, keepdim=True)
    positions = ember.arange(x.shape[axis], device=x.device).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
    return (positions == idx).to(x.dtype)


for _op, _fn in {
    "Softmax": lambda x, d: ember.softmax(x, d),
    "LogSoftmax": lambda x, d: ember.log_softmax(x, d),
    "Hardmax": _hardmax,
}.items():
    _new, _old = _softmax_family(_fn)
    handler(_op, since=13)(_new)
    handler(_op, since=1, until=12)(_old)


@handler("TopK", since=10)
def _topk(node: Node, x: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
    kk = node.scalar(k)
    axis = axis_of(node, node.attr("axis", -1), x.ndim)
    largest = bool(node.attr("largest", 1))
    # stable sort: among equal values the lower index comes first, as ONNX requires
    values, indices = ember.sort(x, dim=axis, descending=largest, stable=True)
    return values.narrow(axis, 0, kk), indices.narrow(axis, 0, kk)


@handler("CumSum", since=11)
def _cumsum(node: Node, x: Tensor, axis: Tensor) -> Tensor:
    return _cumulative(node, x, axis, ember.cumsum, 0)


@handler("CumProd", since=26)
def _cumprod(node: Node, x: Tensor, axis: Tensor) -> Tensor:
    return _cumulative(node, x, axis, ember.cumprod, 1)


def _cumulative(node: Node, x: Tensor, axis_t: Tensor, fn: Any, identity: int) -> Tensor:
    axis = axis_of(node, node.scalar(axis_t), x.ndim)
    reverse = bool(node.attr("reverse", 0))
    if reverse:
        x = ember.flip(x, [axis])
    y = fn(x, axis)
    if node.attr("exclusive", 0):
        n = x.shape[axis]
        pad_shape = list(x.shape)
        pad_shape[axis] = 1
        first = ember.full(pad_shape, identity, dtype=y.dtype, device=y.device)
        y = ember.cat([first, y.narrow(axis, 0, n - 1)], dim=axis)
    if reverse:
        y = ember.flip(y, [axis])
    return y if y.dtype == x.dtype else y.to(x.dtype)

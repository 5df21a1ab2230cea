"""ONNX operators that index: Gather*, Scatter*, OneHot, NonZero, Compress, ReverseSequence."""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor

from ..ops_table import Node, handler
from .movement import axis_of


def wrap(index: Tensor, n: int) -> Tensor:
    """Negative indices counted from the end, as ONNX allows."""
    index = index.to(ember.int64)
    return ember.where(index < 0, index + n, index)


@handler("Gather", since=1)
def _gather(node: Node, x: Tensor, index: Tensor) -> Tensor:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    idx = wrap(index, x.shape[axis])
    out = ember.index_select(x, axis, idx.reshape(-1))
    return out.reshape(list(x.shape[:axis]) + list(index.shape) + list(x.shape[axis + 1 :]))


@handler("GatherElements", since=11)
def _gather_elements(node: Node, x: Tensor, index: Tensor) -> Tensor:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    return ember.gather(x, axis, wrap(index, x.shape[axis]))


def _linear_nd(x: Tensor, index: Tensor, batch_dims: int) -> tuple[Tensor, list[int], int]:
    """GatherND/ScatterND indices as rows of `x` flattened to (batch * indexed, rest): (rows, rest shape, k)."""
    k = index.shape[-1]
    indexed = list(x.shape[batch_dims : batch_dims + k])
    strides = [math.prod(indexed[i + 1 :]) for i in range(k)]
    n_indexed = math.prod(indexed)
    idx = index.to(ember.int64)
    dims = ember.tensor(indexed, dtype=ember.int64, device=x.device)
    idx = ember.where(idx < 0, idx + dims, idx)
    lin = ember.sum(idx * ember.tensor(strides, dtype=ember.int64, device=x.device), dim=-1)
    batch = math.prod(x.shape[:batch_dims])
    if batch_dims:
        offsets = ember.arange(batch, dtype=ember.int64, device=x.device) * n_indexed
        lin = lin.reshape(batch, -1) + offsets.reshape(-1, 1)
    return lin.reshape(-1), list(x.shape[batch_dims + k :]), k


@handler("GatherND", since=12)
def _gather_nd(node: Node, x: Tensor, index: Tensor) -> Tensor:
    b = node.attr("batch_dims", 0)
    rows, rest, _ = _linear_nd(x, index, b)
    flat = x.reshape(-1, math.prod(rest)) if rest else x.reshape(-1, 1)
    out = ember.index_select(flat, 0, rows)
    return out.reshape(list(index.shape[:-1]) + rest)


_REDUCE = {"add": "sum", "mul": "prod", "max": "amax", "min": "amin"}


def _scatter_rows(node: Node, flat: Tensor, index: Tensor, updates: Tensor, dim: int) -> Tensor:
    reduction = node.attr("reduction", "none")
    if reduction == "none":
        return ember.scatter(flat, dim, index, updates)
    if reduction not in _REDUCE:
        raise node.error(f"unknown reduction {reduction!r} (none, add, mul, max, min)")
    return ember.scatter_reduce(flat, dim, index, updates, _REDUCE[reduction], include_self=True)


@handler("ScatterND", since=11)
def _scatter_nd(node: Node, x: Tensor, index: Tensor, updates: Tensor) -> Tensor:
    rows, rest, _ = _linear_nd(x, index, 0)
    width = math.prod(rest)
    flat = x.reshape(-1, width)
    upd = updates.reshape(-1, width)
    idx = rows.reshape(-1, 1).expand(rows.shape[0], width)
    return _scatter_rows(node, flat, idx, upd, 0).reshape(x.shape)


@handler("ScatterElements", since=11)
def _scatter_elements(node: Node, x: Tensor, index: Tensor, updates: Tensor) -> Tensor:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    return _scatter_rows(node, x, wrap(index, x.shape[axis]), updates, axis)


@handler("OneHot", since=11)
def _one_hot(node: Node, index: Tensor, depth: Tensor, values: Tensor) -> Tensor:
    n = int(node.scalar(depth))
    rank = index.ndim + 1
    axis = axis_of(node, node.attr("axis", -1), rank)
    idx = index.to(ember.int64)
    idx = ember.where(idx < 0, idx + n, idx).unsqueeze(axis)
    positions = ember.arange(n, device=index.device).reshape([-1 if i == axis else 1 for i in range(rank)])
    off, on = values[0], values[1]
    return ember.where(idx == positions, on, off)


@handler("NonZero", since=9)
def _nonzero(node: Node, x: Tensor) -> Tensor:
    return ember.nonzero(x).t().contiguous()


@handler("Compress", since=11)
def _compress(node: Node, x: Tensor, condition: Tensor) -> Tensor:
    axis = node.attr("axis")
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    axis = axis_of(node, axis, x.ndim)
    cond = condition.reshape(-1)[: x.shape[axis]]
    idx = ember.nonzero(cond).reshape(-1)
    return ember.index_select(x, axis, idx)


@handler("ReverseSequence", since=10)
def _reverse_sequence(node: Node, x: Tensor, lengths: Tensor) -> Tensor:
    batch_axis, time_axis = node.attr("batch_axis", 1), node.attr("time_axis", 0)
    lens = node.ints(lengths)
    t = x.shape[time_axis]
    # the index along the time axis for each (batch, time): reversed within each sequence's length
    table = np.array([[(n - 1 - i) if i < n else i for i in range(t)] for n in lens], np.int64)
    shape = [1] * x.ndim
    shape[batch_axis], shape[time_axis] = len(lens), t
    if batch_axis > time_axis:
        table = table.T
    index = node.const(table.tolist(), ember.int64).reshape(shape).expand(*x.shape)
    return ember.gather(x, time_axis, index)


@handler("Scatter", since=9, until=10)
def _scatter9(node: Node, x: Tensor, index: Tensor, updates: Tensor) -> Tensor:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    return ember.scatter(x, axis, wrap(index, x.shape[axis]), updates)


@handler("TensorScatter", since=24)
def _tensor_scatter(node: Node, cache: Tensor, update: Tensor, write_indices: Tensor | None = None) -> Tensor:
    axis = axis_of(node, node.attr("axis", -2), cache.ndim)
    batch, length, steps = cache.shape[0], cache.shape[axis], update.shape[axis]
    starts = node.ints(write_indices) if write_indices is not None else [0] * batch
    table = np.array([[s + i for i in range(steps)] for s in starts], np.int64)
    if node.attr("mode", "linear") == "circular":
        table %= length
    shape = [1] * cache.ndim
    shape[0], shape[axis] = batch, steps
    index = node.const(table.tolist(), ember.int64).reshape(shape).expand(*update.shape)
    return ember.scatter(cache, axis, index, update)


@handler("MaxUnpool", since=9)
def _max_unpool(node: Node, x: Tensor, index: Tensor, output_shape: Tensor | None = None) -> Tensor:
    kernel = node.attr("kernel_shape")
    n = len(kernel)
    strides = node.attr("strides") or [1] * n
    pads = node.attr("pads") or [0] * (2 * n)
    spatial = [(i - 1) * s - pads[k] - pads[k + n] + kk for k, (i, s, kk) in enumerate(zip(x.shape[2:], strides, kernel))]
    inferred = list(x.shape[:2]) + spatial
    shape = node.ints(output_shape) if output_shape is not None else inferred
    idx = index.reshape(-1).to(ember.int64)
    if shape != inferred:  # indices address the inferred shape: re-ravel them into the requested one
        flat = None
        rem = idx
        coords = []
        for size in reversed(inferred):
            coords.append(rem % size)
            rem = ember.floor_divide(rem, size)
        for c, size in zip(reversed(coords), shape):
            flat = c if flat is None else flat * size + c
        assert flat is not None
        idx = flat
    out = ember.zeros(math.prod(shape), dtype=x.dtype, device=x.device)
    return ember.scatter(out, 0, idx, x.reshape(-1)).reshape(shape)


@handler("Unique", since=11)
def _unique(node: Node, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    axis = node.attr("axis")
    source = x.reshape(-1) if axis is None else x
    dim = 0 if axis is None else axis_of(node, axis, x.ndim)
    values, inverse, counts = ember.unique(source, sorted=True, return_inverse=True, return_counts=True, dim=None if axis is None else dim)
    n = values.shape[dim]
    positions = ember.arange(source.shape[dim], dtype=ember.int64, device=x.device)
    big = ember.full((n,), source.shape[dim], dtype=ember.int64, device=x.device)
    first = ember.scatter_reduce(big, 0, inverse.reshape(-1), positions, "amin", include_self=True)
    if not node.attr("sorted", 1):  # in order of first occurrence
        order = ember.argsort(first)
        rank = ember.argsort(order)
        values = ember.index_select(values, dim, order)
        counts, first = counts[order], first[order]
        inverse = rank[inverse.reshape(-1)]
    return values, first, inverse.reshape(-1), counts.to(ember.int64)

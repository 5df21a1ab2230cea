"""The op table's entries for the indexing ops (reading and writing through indices)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    FLOATS,
    MOVE_DTYPES,
    NUMERIC,
    Maker,
    OpInfo,
    S,
    SampleInput,
)

INFOS: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _ref_gather(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    dim = dim % max(x.ndim, 1)
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _ref_scatter(add: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: int, index: np.ndarray, src: Any = None, *, value: Any = None) -> np.ndarray:
        dim = dim % max(x.ndim, 1)
        out = x.copy()
        src = src if src is not None else value
        for pos in np.ndindex(*index.shape):
            dst = list(pos)
            dst[dim] = index[pos]
            v = src[pos] if isinstance(src, np.ndarray) else src
            if add:
                out[tuple(dst)] += v
            else:
                out[tuple(dst)] = v
        return out

    return ref


def _ref_setitem(x: np.ndarray, key: Any, value: Any) -> np.ndarray:
    out = x.copy()
    out[key] = value
    return out


def _ember_setitem(x: Any, key: Any, value: Any) -> Any:
    out = x.clone()
    out[key] = value
    return out


def _ref_masked_fill(x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    return np.asarray(np.where(mask, np.asarray(value).astype(x.dtype), x)).astype(x.dtype)


def _ref_index_select(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    return np.take(x, index.reshape(-1), axis=dim)


def _getitem_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    x = make
    idx = make.index
    return [
        S(x(4, 3), 1, name="int"),
        S(x(4, 3), -1, name="negative-int"),
        S(x(4, 3), (2, 1), name="ints"),
        S(x(4, 3), slice(1, None), name="slice"),
        S(x(4, 3), (slice(None), slice(0, 3, 2)), name="step"),
        S(x(4, 3), (slice(3, 1),), name="empty-slice"),
        S(x(4, 3), (None, 1), name="none"),
        S(x(2, 3, 2), (Ellipsis, 0), name="ellipsis"),
        S(x(2, 3, 2), (1, Ellipsis, None), name="int-ellipsis-none"),
        S(x(4, 3), idx([2, 0, -1]), name="int-tensor"),
        S(x(4, 3), idx([[0, 1], [3, 3]]), name="int-tensor-2d"),
        S(x(4, 3), (slice(None), idx([0, 2])), name="slice-int-tensor"),
        S(x(4, 3), (idx([0, 1]), idx([1, 2])), name="paired-int-tensors"),
        S(x(4, 3), [0, 2], name="list"),
        S(x(4, 3), make.mask(4, 3), name="bool-mask"),
        S(x(4, 3), make.mask(4), name="bool-mask-dim-0"),
        S(x(), (None,), name="0-d-none"),
        S(x(), Ellipsis, name="0-d-ellipsis"),
        S(x(4, 3, layout="transposed"), (slice(1, 3), 0), name="transposed"),
        S(x(2, 6, layout="strided"), (1, slice(None, None, 2)), name="strided"),
    ]


def _setitem_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    x = make
    return [
        S(x(4, 3), 1, make.scalar(5), name="int-scalar"),
        S(x(4, 3), slice(1, 3), x(3), name="slice-broadcast"),
        S(x(4, 3), (slice(None), 0), x(4), name="column"),
        S(x(4, 3), Ellipsis, x(3), name="ellipsis"),
        S(x(4, 3), make.mask(4, 3), make.scalar(0), name="bool-mask"),
        S(x(4, 3), make.index([0, 2]), x(2, 3), name="int-tensor"),
        S(x(4, 3, layout="transposed"), (0, slice(None)), x(3), name="transposed"),
        S(x(), Ellipsis, make.scalar(2), name="0-d"),
        S(x(0, 3), slice(None), x(3), name="empty"),
    ]


def _gather_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    return [
        S(make(3, 4), 1, make.index(rng.integers(0, 4, (3, 2))), name="dim-1"),
        S(make(3, 4), 0, make.index(rng.integers(0, 3, (2, 4))), name="dim-0"),
        S(make(3, 4), -1, make.index(rng.integers(0, 4, (2, 5))), name="smaller-and-repeats"),
        S(make(3, 4), 1, make.index(np.zeros((3, 0))), name="empty"),
        S(make(4, 3, layout="transposed"), 0, make.index(rng.integers(0, 4, (2, 3))), name="transposed"),
    ]


def _take_along_dim_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    return [
        S(make(3, 4), make.index(rng.integers(0, 4, (3, 2))), 1, name="dim-1"),
        S(make(3, 4), make.index(rng.integers(0, 3, (2, 4))), -2, name="dim-0"),
        S(make(3, 4), make.index(rng.integers(0, 4, (1, 5))), 1, name="broadcast-indices"),
        S(make(1, 4), make.index(rng.integers(0, 4, (3, 2))), 1, name="broadcast-input"),
        S(make(3, 4), make.index(rng.integers(0, 12, (5,))), name="flattened"),
        S(make(4, 3, layout="transposed"), make.index(rng.integers(0, 4, (2, 3))), 0, name="transposed"),
        S(make(3, 4), make.index(np.zeros((3, 0))), 1, name="empty"),
    ]


def _ref_take_along_dim(x: np.ndarray, idx: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return np.take_along_axis(x.reshape(-1), idx.reshape(-1), 0)
    shape = np.broadcast_shapes(
        *[tuple(1 if d == dim % x.ndim else s for d, s in enumerate(a.shape)) for a in (x, idx)]
    )
    ax = dim % x.ndim
    xb = np.broadcast_to(x, tuple(x.shape[d] if d == ax else s for d, s in enumerate(shape)))
    ib = np.broadcast_to(idx, tuple(idx.shape[d] if d == ax else s for d, s in enumerate(shape)))
    return np.take_along_axis(xb, ib, ax)


def _unique_index(rng: np.random.Generator, n: int, shape: tuple[int, int], dim: int) -> np.ndarray:
    """An index without repeats along `dim` (scatter's result is otherwise unspecified)."""
    lines = shape[1 - dim]
    cols = [rng.permutation(n)[: shape[dim]] for _ in range(lines)]
    a = np.stack(cols, axis=1 - dim)
    return a.astype(np.int64)


def _scatter_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    idx = make.index
    if op.name == "scatter_add":
        return [
            S(make(3, 4), 1, idx(rng.integers(0, 4, (3, 3))), make(3, 3), name="dim-1-repeats"),
            S(make(3, 4), 0, idx(rng.integers(0, 3, (2, 4))), make(2, 4), name="dim-0"),
            S(make(3, 4), -1, idx(rng.integers(0, 4, (2, 2))), make(2, 3), name="src-larger"),
            S(make(3, 4), 1, idx(np.zeros((3, 0))), make(3, 0), name="empty"),
            S(make(4, 3, layout="transposed"), 0, idx(rng.integers(0, 4, (2, 3))), make(2, 3), name="transposed"),
        ]
    return [
        S(make(3, 4), 1, idx(_unique_index(rng, 4, (3, 2), 1)), make(3, 2), name="dim-1"),
        S(make(3, 4), 0, idx(_unique_index(rng, 3, (2, 4), 0)), make(2, 4), name="dim-0"),
        S(make(3, 4), 1, idx(_unique_index(rng, 4, (2, 2), 1)), make(2, 3), name="src-larger"),
        S(make(3, 4), 1, idx(_unique_index(rng, 4, (3, 2), 1)), value=make.scalar(1), name="value"),
        S(make(3, 4), 1, idx(np.zeros((3, 0))), make(3, 0), name="empty"),
        S(make(4, 3, layout="transposed"), 0, idx(_unique_index(rng, 4, (2, 3), 0)), make(2, 3), name="transposed"),
    ]


def _index_select_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    idx = make.index
    return [
        S(make(4, 3), 0, idx([2, 0, 2]), name="dim-0"),
        S(make(4, 3), 1, idx([1]), name="dim-1"),
        S(make(4, 3), -1, idx(1), name="0-d-index"),
        S(make(4, 3), 0, idx(np.zeros(0)), name="empty-index"),
        S(make(4, 3, layout="transposed"), 1, idx([2, 0]), name="transposed"),
    ]


def _masked_fill_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), make.mask(2, 3), make.scalar(0.5 if make.dtype.kind == "f" else 7), name="scalar"),
        S(make(2, 3), make.mask(3), make.scalar(-1), name="broadcast-mask"),
        S(make(2, 3), make.mask(2, 3), make.array(2), name="0-d-value"),
        S(make(), make.mask(), make.scalar(1), name="0-d"),
        S(make(0, 3), make.mask(0, 3), make.scalar(1), name="empty"),
        S(make(3, 2, layout="transposed"), make.mask(3, 2), make.scalar(1), name="transposed"),
    ]


def _nonzero_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(2, 3, values=(0, 1, 2)), name="2-d"),
        S(d(5, values=(0, 1)), name="1-d"),
        S(d(2, 2, 2, values=(0, 3)), name="3-d"),
        S(d(values=(1,)), name="0-d"),
        S(d(values=(0,)), name="0-d-zero"),
        S(d(0, 3, values=(1,)), name="empty"),
        S(d(3, 2, values=(0, 1), layout="transposed"), name="transposed"),
    ]


# indexing
_add_op(
    OpInfo("getitem", lambda x, key: x[key], lambda x, key: np.asarray(x[key]), _getitem_samples, dtypes=MOVE_DTYPES),
    OpInfo("setitem", _ember_setitem, _ref_setitem, _setitem_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("gather", ember.gather, _ref_gather, _gather_samples, dtypes=MOVE_DTYPES),
    OpInfo("take_along_dim", ember.take_along_dim, _ref_take_along_dim, _take_along_dim_samples, dtypes=MOVE_DTYPES),
    OpInfo("scatter", ember.scatter, _ref_scatter(False), _scatter_samples, dtypes=FLOATS + ("int64",)),
    OpInfo("scatter_add", ember.scatter_add, _ref_scatter(True), _scatter_samples, dtypes=FLOATS + ("int64",)),
    OpInfo("index_select", ember.index_select, _ref_index_select, _index_select_samples, dtypes=MOVE_DTYPES),
    OpInfo("masked_fill", ember.masked_fill, _ref_masked_fill, _masked_fill_samples, dtypes=FLOATS + ("int64",)),
    OpInfo(
        "nonzero",
        ember.nonzero,
        lambda x: np.argwhere(x).astype(np.int64),
        _nonzero_samples,
        dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
)

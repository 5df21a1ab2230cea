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
    Arg,
    E,
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


def _ref_setitem(x: np.ndarray, key: Any, value: Any, ref: Any = None) -> np.ndarray:
    """NumPy's assignment; `ref(out, value)` spells it where PyTorch's rules differ from NumPy's."""
    out = x.copy()
    if ref is not None:
        ref(out, value)
    else:
        out[key] = value
    return out


def _ember_setitem(x: Any, key: Any, value: Any, ref: Any = None) -> Any:
    out = x.clone()
    out[key] = value
    return out


def _ref_getitem(x: np.ndarray, key: Any, ref: Any = None) -> np.ndarray:
    """NumPy's indexing; `ref(x)` spells it where PyTorch's rules differ from NumPy's."""
    return np.asarray(ref(x) if ref is not None else x[key]).copy()


def _setter(fn: Any) -> Any:
    """`ref` for a setitem sample: fn(out) gives the NumPy view (or key) that PyTorch's key writes."""

    def ref(out: np.ndarray, value: Any) -> None:
        view, key = fn(out)
        view[key] = value

    return ref


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
        # PyTorch's forms (python_variable_indexing.cpp), some of which NumPy reads differently
        S(x(4, 3), range(1, 3), name="range"),
        S(x(4, 3), ([0, 1], [1, 2]), name="tuple-of-lists"),
        S(x(4, 3), [[0, 1], [1, 0]], ref=lambda a: a[[0, 1], [1, 0]], name="nested-list-is-a-tuple"),
        S(x(4, 3), ([[0, 1], [3, 2]], slice(None)), name="nested-list-in-tuple"),
        S(x(4, 3), [0, slice(None)], ref=lambda a: a[0, :], name="list-with-slice-is-a-tuple"),
        S(x(4, 3), [True, False, True, False], name="bool-list"),
        S(x(4, 3), [-1, -4], name="negative-list"),
        S(x(2, 3, 4), (0, slice(None), [0, 2]), ref=lambda a: a[0][:, [0, 2]], name="int-selects-first"),
        S(x(2, 3, 4), ([1, 0], slice(None), [3, 1]), name="separated-advanced-go-first"),
        S(x(2, 3, 4), (slice(None), [[0], [2]], [1, 3]), name="adjacent-advanced-broadcast"),
        S(
            x(2, 3, 4),
            (None, [0, 1], Ellipsis, None, 2),
            ref=lambda a: a[:, :, 2][None, [0, 1], ..., None],
            name="none-ellipsis-anywhere",
        ),
        S(x(2, 3, 4), ([0, 1], None, [1, 2]), name="none-separates"),
        S(x(4, 3), Arg(np.array([3, 0, -1], np.int32)), name="int32-tensor"),
        S(
            x(4, 3),
            Arg(np.array([1, 0, 1, 1], np.uint8)),
            ref=lambda a: a[np.array([True, False, True, True])],
            name="uint8-tensor-is-a-mask",
        ),
        S(x(4, 3), Arg(np.array(2)), name="0-d-int-tensor"),
        S(x(4, 3), (slice(None), Arg(np.array(1)), None), ref=lambda a: a[:, 1, None], name="0-d-int-tensor-selects"),
        S(x(4, 3), True, ref=lambda a: a[None], name="true"),
        S(x(4, 3), (slice(None), False), ref=lambda a: a[:, None][:, :0], name="false"),
        S(x(4, 3), (True, [0, 2]), ref=lambda a: a[[0, 2]], name="true-and-list"),
        S(x(4, 3), (make.mask(4), 1), name="mask-and-int"),
        S(x(4, 3), (slice(None), []), ref=lambda a: a[:, np.zeros(0, np.int64)], name="empty-list"),
        S(x(4, 3, layout="transposed"), ([2, 0], [[1], [2]]), name="transposed-advanced"),
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
        # PyTorch's forms, and values with leading 1s (which PyTorch ignores)
        S(x(4, 3), slice(1, 3), x(1, 1, 3), name="leading-ones"),
        S(x(4, 3), range(1, 3), x(1, 3), name="range"),
        S(x(4, 3), ([0, 3], [1, 2]), x(2), name="tuple-of-lists"),
        S(x(4, 3), [[0, 1], [1, 0]], x(2), ref=_setter(lambda a: (a, ([0, 1], [1, 0]))), name="nested-list-is-a-tuple"),
        S(x(4, 3), [True, False, True, False], make.scalar(1), name="bool-list"),
        S(
            x(2, 3, 4),
            (0, slice(None), [0, 2]),
            x(1, 3, 2),
            ref=_setter(lambda a: (a[0], (slice(None), [0, 2]))),
            name="int-selects-first",
        ),
        S(x(2, 3, 4), ([1, 0], slice(None), [3, 1]), x(3), name="separated-advanced-broadcast-value"),
        S(
            x(2, 3, 4),
            (None, [0, 1], Ellipsis, 2),
            x(2, 3),
            ref=_setter(lambda a: (a[:, :, 2], (None, [0, 1], Ellipsis))),
            name="none-ellipsis",
        ),
        S(
            x(4, 3),
            Arg(np.array([1, 0, 1, 1], np.uint8)),
            x(3),
            ref=_setter(lambda a: (a, np.array([True, False, True, True]))),
            name="uint8-tensor-is-a-mask",
        ),
        S(x(4, 3), (slice(None), Arg(np.array([2, 0], np.int32))), x(4, 1), name="int32-tensor"),
        S(x(4, 3), True, x(4, 3), ref=_setter(lambda a: (a, Ellipsis)), name="true"),
        S(x(4, 3, layout="strided"), ([3, 1], slice(1, None)), x(2), name="strided-advanced"),
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
    OpInfo("getitem", lambda x, key, ref=None: x[key], _ref_getitem, _getitem_samples, dtypes=MOVE_DTYPES),
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


# -- take, put, index_*, masked_*, scatter_reduce, argwhere ----------------------------------------


def _take_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    idx = make.index
    return [
        S(make(3, 4), idx([0, 5, 11]), name="1-d"),
        S(make(3, 4), idx([[-1, 0], [3, 3]]), name="2-d-negative"),
        S(make(), idx(0), name="0-d"),
        S(make(3, 4), idx(np.zeros((0,))), name="empty"),
        S(make(4, 3, layout="transposed"), idx([1, 2, 7]), name="transposed"),
    ]


def _ref_put(x: np.ndarray, index: np.ndarray, source: np.ndarray, accumulate: bool = False) -> np.ndarray:
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, index.reshape(-1), source.reshape(-1))
    else:
        out[index.reshape(-1)] = source.reshape(-1)
    return out.reshape(x.shape)


def _put_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    idx = make.index
    return [
        S(make(3, 4), idx([0, 5, -1]), make(3), name="1-d"),
        S(make(3, 4), idx([[1, 1], [2, 1]]), make(2, 2), True, name="accumulate-repeats"),
        S(make(), idx([0]), make(1), name="0-d"),
        S(make(3, 4), idx(np.zeros((0,))), make(0), name="empty"),
        S(make(4, 3, layout="transposed"), idx([1, 2, 7]), make(3, layout="strided"), name="transposed"),
    ]


def _ref_index_add(x: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray, *, alpha: Any = 1) -> np.ndarray:
    out = x.copy()
    if x.ndim == 0:
        return out + np.asarray(source * alpha).sum().astype(x.dtype)
    moved = np.moveaxis(out, dim, 0)
    np.add.at(moved, index.reshape(-1), np.moveaxis(source * alpha, dim, 0).astype(x.dtype))
    return out


def _ref_index_copy(x: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray) -> np.ndarray:
    out = x.copy()
    if x.ndim == 0:
        return source.reshape(()).copy()
    np.moveaxis(out, dim, 0)[index.reshape(-1)] = np.moveaxis(source, dim, 0)
    return out


def _ref_index_fill(x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
    out = x.copy()
    if x.ndim == 0:
        return np.asarray(value).astype(x.dtype) if index.size else out
    np.moveaxis(out, dim, 0)[index.reshape(-1)] = np.asarray(value).astype(x.dtype)
    return out


def _index_add_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    idx = make.index
    kw: dict[str, Any] = {}
    if op.name == "index_add":
        return [
            S(make(4, 3), 0, idx([0, 2, 0]), make(3, 3), name="dim-0-repeats"),
            S(make(4, 3), -1, idx([2, 0]), make(4, 2), alpha=make.scalar(2), name="dim-1-alpha"),
            S(make(), 0, idx([0]), make(), name="0-d"),
            S(make(4, 3), 0, idx(np.zeros((0,))), make(0, 3), name="empty"),
            S(make(3, 4, layout="transposed"), 1, idx([3, 1]), make(3, 2, layout="transposed"), name="transposed"),
        ]
    if op.name == "index_copy":
        return [
            S(make(4, 3), 0, idx([3, 1]), make(2, 3), name="dim-0"),
            S(make(4, 3), -1, idx([2, 0]), make(4, 2), name="dim-1"),
            S(make(), 0, idx([0]), make(), name="0-d"),
            S(make(4, 3), 0, idx(np.zeros((0,))), make(0, 3), name="empty"),
            S(make(3, 4, layout="transposed"), 1, idx([3, 1]), make(3, 2, layout="transposed"), name="transposed"),
        ]
    return [
        S(make(4, 3), 0, idx([3, 1, 3]), make.scalar(2), name="dim-0", **kw),
        S(make(4, 3), -1, idx([2]), make.array(5, grad=False), name="0-d-value"),
        S(make(), 0, idx([0]), make.scalar(1), name="0-d"),
        S(make(4, 3), 0, idx(np.zeros((0,))), make.scalar(1), name="empty"),
        S(make(3, 4, layout="transposed"), 1, idx([3, 1]), make.scalar(-1), name="transposed"),
    ]


def _index_errors(op: OpInfo, make: Maker) -> list[Any]:
    idx = make.index
    src = (make(2, 2),) if op.name != "index_fill" else (1.0,)
    out = [
        E(RuntimeError, f"{op.name}\\(\\): Expected a long tensor for index", make(4, 2), 0, make(2), *src),
        E(IndexError, f"{op.name}: dim 2 is out of range", make(4, 2), 2, idx([0]), *src),
    ]
    if op.name != "index_fill":
        out += [
            E(
                RuntimeError,
                f"{op.name}\\(\\): source shape \\(3, 2\\) must match input shape \\(4, 2\\)",
                make(4, 2),
                0,
                idx([0, 1]),
                make(3, 2),
            ),
            E(
                RuntimeError,
                f"{op.name}\\(\\): self \\(float32\\) and source \\(int64\\) must have the same scalar type",
                make(4, 2),
                0,
                idx([0, 1]),
                idx([[1, 1], [1, 1]]),
            ),
        ]
    return out


def _masked_select_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), make.mask(3, 4), name="same-shape"),
        S(make(3, 4), make.mask(4), name="broadcast-mask"),
        S(make(4), make.mask(3, 1), name="broadcast-both"),
        S(make(), Arg(np.array(True), grad=False), name="0-d"),
        S(make(0, 2), make.mask(0, 2), name="empty"),
        S(make(4, 3, layout="transposed"), make.mask(4, 3), name="transposed"),
    ]


def _ref_masked_select(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    xb, mb = np.broadcast_arrays(x, mask)
    return xb[mb].copy()


def _masked_scatter_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), make.mask(3, 4), make(12), name="same-shape"),
        S(make(3, 4), make.mask(4), make(3, 5), name="broadcast-mask"),
        S(make(), Arg(np.array(True), grad=False), make(2), name="0-d"),
        S(make(0, 2), make.mask(0, 2), make(1), name="empty"),
        S(make(4, 3, layout="transposed"), make.mask(4, 3), make(4, 4, layout="strided"), name="transposed"),
    ]


def _ref_masked_scatter(x: np.ndarray, mask: np.ndarray, source: np.ndarray) -> np.ndarray:
    xb, mb = np.broadcast_arrays(x, mask)
    out = xb.copy()
    out[mb] = source.reshape(-1)[: int(mb.sum())]
    return out


def _scatter_reduce_index(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> Any:
    return Arg(rng.integers(0, n, shape).astype(np.int64), grad=False)


def _scatter_reduce_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    out = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        out += [
            S(make(3, 4), 1, _scatter_reduce_index(rng, 4, (3, 5)), make(3, 5), reduce, name=f"{reduce}-dim-1"),
            S(
                make(3, 4),
                0,
                _scatter_reduce_index(rng, 3, (4, 4)),
                make(4, 4),
                reduce,
                include_self=False,
                name=f"{reduce}-exclude-self",
            ),
        ]
    out += [
        S(make(5), 0, make.index([1, 1, 3]), make(4), "amax", name="src-larger"),
        S(make(), 0, make.index([0, 0]), make(2), "prod", name="0-d"),
        S(make(3, 4), 1, make.index(np.zeros((3, 0))), make(3, 0), "amin", name="empty"),
        S(
            make(4, 3, layout="transposed"),
            0,
            _scatter_reduce_index(rng, 4, (6, 3)),
            make(6, 3),
            "mean",
            name="transposed",
        ),
    ]
    if make.dtype.kind == "f":
        ties = make.array([1.0, 2.0, 2.0, 0.5])
        out.append(S(ties, 0, make.index([1, 1, 2]), make.array([2.0, 2.0, 1.0]), "amax", name="ties", grad=False))
    return out


def _ref_scatter_reduce(
    x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, reduce: str, *, include_self: bool = True
) -> np.ndarray:
    out = x.copy().astype(np.float64) if x.dtype.kind != "b" else x.copy()
    xs = x.reshape(1) if x.ndim == 0 else x
    out = out.reshape(xs.shape)
    dim = dim % xs.ndim
    groups: dict[tuple[int, ...], list[Any]] = {}
    for pos in np.ndindex(*index.shape):
        at = list(pos)
        at[dim] = index[pos]
        groups.setdefault(tuple(at), []).append(src[pos])
    for dst, vals in groups.items():
        v = np.asarray(([xs[dst]] if include_self else []) + vals, dtype=np.float64)
        if reduce == "sum":
            r = v.sum()
        elif reduce == "prod":
            r = v.prod()
        elif reduce == "mean":
            r = v.sum() / len(v) if x.dtype.kind == "f" else np.floor_divide(v.sum(), len(v))
        elif reduce == "amax":
            r = v.max()
        else:
            r = v.min()
        out[dst] = r
    return out.reshape(x.shape).astype(x.dtype)


def _scatter_reduce_errors(op: OpInfo, make: Maker) -> list[Any]:
    idx = make.index
    return [
        E(RuntimeError, "scatter_reduce: reduce argument must be one of", make(3), 0, idx([0]), make(1), "max"),
        E(
            RuntimeError,
            r"scatter_reduce\(\): Expected self.dtype to be equal to src.dtype",
            make(3),
            0,
            idx([0]),
            idx([1]),
            "sum",
        ),
        E(RuntimeError, "scatter_reduce: index must be an int64 tensor", make(3), 0, make(1), make(1), "sum"),
        E(IndexError, "scatter_reduce: dim 1 is out of range", make(3), 1, idx([0]), make(1), "sum"),
    ]


_add_op(
    OpInfo("argwhere", ember.argwhere, lambda x: np.argwhere(x).astype(np.int64), _nonzero_samples,
           dtypes=("bool", "float32", "int64"), differentiable=False),
    OpInfo("take", ember.take, lambda x, i: np.take(x, i), _take_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, r"take\(\): Expected a long tensor for index", make(3), make(2)),
               E(IndexError, "out of (bounds|range)", make(3), make.index([3])),
           ]),
    OpInfo("put", ember.put, _ref_put, _put_samples, dtypes=FLOATS + ("int64",),
           error_inputs=lambda op, make: [
               E(RuntimeError, "put: expected source .* as many elements as index", make(3), make.index([0, 1]), make(3)),
               E(IndexError, "out of (bounds|range)", make(3), make.index([3]), make(1)),
           ]),
    OpInfo("index_add", ember.index_add, _ref_index_add, _index_add_samples, dtypes=FLOATS + ("int64",),
           error_inputs=_index_errors),
    OpInfo("index_copy", ember.index_copy, _ref_index_copy, _index_add_samples, dtypes=MOVE_DTYPES,
           error_inputs=_index_errors),
    OpInfo("index_fill", ember.index_fill, _ref_index_fill, _index_add_samples, dtypes=FLOATS + ("int64",),
           error_inputs=_index_errors),
    OpInfo("masked_select", ember.masked_select, _ref_masked_select, _masked_select_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, "masked_select: expected a bool mask", make(3), make(3))]),
    OpInfo("masked_scatter", ember.masked_scatter, _ref_masked_scatter, _masked_scatter_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, "masked_scatter: expected source to have at least 2 elements", make(2),
                 Arg(np.array([True, True]), grad=False), make(1)),
               E(RuntimeError, "masked_scatter: expected a bool mask", make(2), make(2), make(2)),
           ]),
    OpInfo("scatter_reduce", ember.scatter_reduce, _ref_scatter_reduce, _scatter_reduce_samples,
           dtypes=FLOATS + ("int64",), domain=(0.5, 2.0), tol={"float32": (1e-4, 1e-5), "float16": (1e-2, 1e-2)},
           error_inputs=_scatter_reduce_errors),
)  # fmt: skip

"""Indexing: `x[key]`, `x[key] = v`, `gather`, `scatter`, `scatter_add`, `index_select`, `masked_fill`, `nonzero`.

Basic keys (ints, slices, None, ...) give views through the `slice` primitive;
integer and boolean tensors give copies through `index`, like NumPy and PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..autograd import grad_mode
from ..dispatch import Op, primitive, public
from ..tensor import Tensor
from ._run import (
    broadcast_shapes_for,
    cast,
    describe,
    kernel,
    needs_grad,
    record,
    run,
    same_device,
    to_tensor,
    wrap,
    wrap_dim,
)

SLICE = primitive(
    "slice",
    "slice(x: array, key: tuple[int | slice | None, ...]) -> array (view)",
    "Basic indexing x[key] as a view. Ints are in range and non-negative; slices have explicit "
    "start/stop and a positive step; None inserts a dim; key covers dims left to right.",
    family="indexing",
    view=True,
    vjp=lambda n, g: (_slice_put(_zeros(n.meta[0], g), g, n.args[0]),),
)
INDEX = primitive(
    "index",
    "index(x: array, key: tuple[int | slice | None | array, ...]) -> array",
    "Advanced indexing x[key] with NumPy's semantics; the arrays are int64 (negative wraps); "
    "raise IndexError for an index out of range.",
    family="indexing",
    vjp=lambda n, g: (_put_key(_zeros(n.meta[0], g), n.args[0], g, accumulate=True),),
)
INDEX_PUT = primitive(
    "index_put",
    "index_put(x: array, key: tuple, values: array | scalar, accumulate: bool) -> array",
    "A copy of x with x[key] = values (or += values, summing repeated indices, when accumulate); "
    "values have x's dtype and broadcast to x[key]'s shape.",
    family="indexing",
    vjp=lambda n, g: (
        (g if n.args[1] else _put_key(g, n.args[0], 0, False)) if n.needs(0) else None,
        _index(g, n.args[0]) if n.needs(1) else None,
    ),
)
GATHER = primitive(
    "gather",
    "gather(x: array, axis: int, index: array of int64) -> array",
    "out[i][j] = x[index[i][j]][j] for axis 0 (NumPy take_along_axis); index has x's shape except along axis; "
    "raise IndexError for an index outside [0, size).",
    family="indexing",
    vjp=lambda n, g: (scatter_add(_zeros(n.meta[0], g), n.args[0], n.args[1], g), None),
)
SCATTER = primitive(
    "scatter",
    "scatter(x: array, axis: int, index: array of int64, src: array) -> array",
    "A copy of x with out[index[i][j]][j] = src[i][j] for axis 0; src has index's shape; "
    "raise IndexError for an index outside [0, size).",
    family="indexing",
    vjp=lambda n, g: (
        scatter(g, n.args[0], n.args[1], 0) if n.needs(0) else None,
        None,
        gather(g, n.args[0], n.args[1]) if n.needs(2) else None,
    ),
)
SCATTER_ADD = primitive(
    "scatter_add",
    "scatter_add(x: array, axis: int, index: array of int64, src: array) -> array",
    "A copy of x with out[index[i][j]][j] += src[i][j] for axis 0, summing repeats; src has index's shape; "
    "raise IndexError for an index outside [0, size).",
    family="indexing",
    vjp=lambda n, g: (
        g if n.needs(0) else None,
        None,
        gather(g, n.args[0], n.args[1]) if n.needs(2) else None,
    ),
)
NONZERO = primitive(
    "nonzero",
    "nonzero(x: array) -> array of int64",
    "The (n, ndim) indices of x's nonzero elements in C order.",
    family="indexing",
    differentiable=False,
)
SLICE_PUT = Op(
    "slice_put",
    "internal",
    "",
    "A copy of x with x[key] = value (basic key); the derivative of slicing.",
    "indexing",
    vjp=lambda n, g: (
        _slice_put(g, 0, n.args[0]) if n.needs(0) else None,
        _slice(g, n.args[0]) if n.needs(1) else None,
    ),
)


def _zeros(meta: tuple[tuple[int, ...], Any], like: Tensor) -> Tensor:
    from .creation import zeros

    return zeros(meta[0], dtype=like._dtype, device=like._device)


# -- key normalisation --------------------------------------------------------
#
# PyTorch's rules (torch/csrc/autograd/python_variable_indexing.cpp): a list that holds a
# sequence, tensor, slice, None or Ellipsis is read as a tuple (NumPy's old heuristic); ints
# (and 0-d integer tensors) select first, as basic indices; the remaining tensors and sequences
# are advanced indices, placed like NumPy's among what is left (together where adjacent, else
# in front); a bool (or 0-d bool/uint8 tensor) adds a dimension of size 1 (True) or 0 (False).


class _BoolScalar:
    """A Python bool (or 0-d bool tensor) in a key: a new dimension, kept (True) or emptied (False)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value


def _as_tuple(key: Any) -> tuple[Any, ...]:
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32:
        for k in key:
            if isinstance(k, (Tensor, list, tuple, range, slice, np.ndarray)) or k is None or k is Ellipsis:
                return tuple(key)
    return (key,)


def _index_tensor(k: Any, x: Tensor) -> Tensor:
    """A sequence or NumPy array in a key as an index tensor (int64, or bool for a mask), on x's device."""
    a = np.asarray(list(k) if isinstance(k, range) else k)
    if a.dtype.kind == "O" or a.dtype.kind in "USV":
        raise IndexError(
            f"index: cannot index with {type(k).__name__} {k!r}; use ints, slices, None, ..., sequences or tensors"
        )
    if a.dtype.kind != "b":
        if isinstance(k, np.ndarray) and a.dtype.kind not in "iu":
            raise IndexError(f"index: tensors used as indices must be long, int, byte or bool tensors, got {a.dtype}")
        a = a.astype(np.int64)
    return to_tensor(a, "index", like=x)


def _expand_key(x: Tensor, key: Any) -> tuple[list[Any], bool]:
    """The key as a list covering every dim (Ellipsis expanded) and whether it has advanced indices.

    Items are ints, slices, None, `_BoolScalar`s and tensors (int64 indices or bool masks).
    """
    advanced = False
    items = []
    for k in _as_tuple(key):
        if isinstance(k, (list, tuple, range, np.ndarray)):
            k = _index_tensor(k, x)
        elif isinstance(k, (bool, np.bool_)):
            k = _BoolScalar(bool(k))
        elif isinstance(k, np.integer):
            k = int(k)
        if isinstance(k, Tensor):
            same_device("index", (x, k))
            dt = k._dtype
            if dt not in _INDEX_DTYPES:
                raise IndexError(
                    f"index: tensors used as indices must be long, int, byte or bool tensors, got {describe(k)}"
                )
            if k.ndim == 0:  # a 0-d tensor acts as the Python scalar it holds
                k = _BoolScalar(bool(k.item())) if dt in (_dt.bool_, _dt.uint8) else int(k.item())
            elif dt is _dt.uint8:
                k = k.to(_dt.bool_)  # PyTorch reads byte tensors as masks
        if isinstance(k, (Tensor, _BoolScalar)):
            advanced = True
        elif not (k is None or k is Ellipsis or isinstance(k, (int, slice))):
            raise IndexError(
                f"index: only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors are valid "
                f"indices (got {type(k).__name__})"
            )
        items.append(k)
    consumed = sum(
        (k.ndim if k._dtype is _dt.bool_ else 1)
        if isinstance(k, Tensor)
        else (0 if k is None or k is Ellipsis or isinstance(k, _BoolScalar) else 1)
        for k in items
    )
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    if consumed > x.ndim:
        raise IndexError(f"index: too many indices for tensor of dimension {x.ndim} (shape {x._shape}): {key!r}")
    if any(k is Ellipsis for k in items):
        i = next(j for j, k in enumerate(items) if k is Ellipsis)
        items[i : i + 1] = [slice(None)] * (x.ndim - consumed)
    else:
        items += [slice(None)] * (x.ndim - consumed)
    return items, advanced


def _split_key(x: Tensor, items: list[Any]) -> tuple[list[Any], list[Any]]:
    """PyTorch's two steps: the basic key (ints select, None and bools add dims) and the advanced key on its result."""
    basic: list[Any] = []
    adv: list[Any] = []
    for k in items:
        if isinstance(k, Tensor):
            n = k.ndim if k._dtype is _dt.bool_ else 1
            basic += [slice(None)] * n
            adv.append(k)
        elif isinstance(k, _BoolScalar):
            from .creation import zeros

            basic.append(None)
            adv.append(zeros((1 if k.value else 0,), dtype=_dt.int64, device=x._device))
        else:
            basic.append(k)
            if not isinstance(k, int):
                adv.append(slice(None))
    return basic, adv


def _basic_view(x: Tensor, basic: list[Any]) -> Tensor:
    k, shape = _basic(x, basic)
    if len(k) == x.ndim and all(isinstance(s, slice) and s == slice(0, n, 1) for s, n in zip(k, x._shape)):
        return x
    return _slice(x, k, shape)


def _basic(x: Tensor, items: list[Any]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """Normalise a basic key and compute the result's shape."""
    dim = 0
    key: list[Any] = []
    shape: list[int] = []
    for k in items:
        if k is None:
            key.append(None)
            shape.append(1)
            continue
        size = x._shape[dim]
        if isinstance(k, slice):
            if k.step is not None and int(k.step) <= 0:
                raise ValueError(f"index: step must be greater than zero, got {k.step} (use .flip() to reverse)")
            start, stop, step = k.indices(size)
            stop = max(stop, start)
            key.append(slice(start, stop, step))
            shape.append(len(range(start, stop, step)))
        else:
            try:
                i = int(k.__index__())
            except AttributeError:
                raise TypeError(
                    f"index: unsupported index type {type(k).__name__}; use ints, slices, None, ... or tensors"
                ) from None
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size} (shape {x._shape})")
            key.append(i + size if i < 0 else i)
        dim += 1
    return tuple(key), tuple(shape)


def _slice(x: Tensor, key: tuple[Any, ...], shape: tuple[int, ...] | None = None) -> Tensor:
    if shape is None:
        shape = _basic(x, list(key))[1]
    out = run(SLICE, x._device, (x._data, key), shape, x._dtype, (x,), (key,))
    from .movement import _as_view

    return _as_view(out, x, _slice, key)


def _slice_put(x: Tensor, value: Any, key: tuple[Any, ...]) -> Tensor:
    """A copy of `x` with `x[key] = value`, differentiable in both."""
    from .conversion import COPY, COPY_

    dev = x._device
    data = kernel(COPY, dev)(x._data)
    view = kernel(SLICE, dev)(data, key)
    v = cast(value, x._dtype) if isinstance(value, Tensor) else value
    kernel(COPY_, dev)(view, v)
    out = wrap(data, x._shape, x._dtype, dev)
    if needs_grad((x, value)):
        record(SLICE_PUT, (x, value), out, (key,))
    return out


def _advanced_key(x: Tensor, items: list[Any]) -> tuple[Any, ...]:
    """A key for the `index` primitive: bool masks become int64 index arrays."""
    key: list[Any] = []
    dim = 0
    for k in items:
        if isinstance(k, Tensor):
            if k._dtype is _dt.bool_:
                if k._shape != x._shape[dim : dim + k.ndim] and k.ndim:
                    raise IndexError(
                        f"index: the boolean mask of shape {k._shape} does not match the indexed tensor's "
                        f"shape {x._shape[dim : dim + k.ndim]} at dimension {dim}"
                    )
                if k.ndim == 0:
                    raise IndexError("index: 0-d boolean indices are not supported; use where()")
                for col in nonzero(k, as_tuple=True):
                    key.append(col._data)
                dim += k.ndim
            else:
                key.append(cast(k, _dt.int64))
                dim += 1
        elif k is None:
            key.append(None)
        elif isinstance(k, slice):
            key.append(k)
            dim += 1
        else:
            key.append(int(k))
            dim += 1
    return tuple(key)


def _index(x: Tensor, key: tuple[Any, ...]) -> Tensor:
    return run(INDEX, x._device, (x._data, key), None, x._dtype, (x,), (key,))


def getitem(x: Tensor, key: Any) -> Tensor:
    """x[key] as PyTorch computes it: a view for basic keys, a copy when tensors or sequences index."""
    items, advanced = _expand_key(x, key)
    if not advanced:
        k, shape = _basic(x, items)
        if all(isinstance(s, slice) and s == slice(0, n, 1) for s, n in zip(k, x._shape)) and len(k) == x.ndim:
            return _slice(x, k, shape) if k else x
        return _slice(x, k, shape)
    basic, adv = _split_key(x, items)
    y = _basic_view(x, basic)
    return _index(y, _advanced_key(y, adv))


def _value_for(op: str, value: Any, x: Tensor) -> Tensor:
    """A value to write into x: a tensor on x's device, without the leading 1s PyTorch ignores."""
    if isinstance(value, complex) and not _dt.value_fits(value, x._dtype):  # x[0] = 1j on a real tensor
        raise _dt.overflow_error(value, x._dtype, op)
    value = value if isinstance(value, Tensor) else to_tensor(value, op, like=x, dtype=x._dtype)
    same_device(op, (x, value))
    shape = value._shape
    while shape and shape[0] == 1:
        shape = shape[1:]
    return value.reshape(shape) if shape != value._shape else value


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """x[key] = value, in place (value broadcast and cast to x's dtype), as PyTorch's indexed assignment."""
    from .conversion import assign_, copy_

    value = _value_for("setitem", value, x)
    items, advanced = _expand_key(x, key)
    is_tracked = needs_grad((x, value))
    if not advanced:
        k, shape = _basic(x, items)
        if value._shape != shape and broadcast_shapes_for("setitem", shape, value._shape) != shape:
            raise RuntimeError(f"setitem: cannot write a value of shape {value._shape} into x[key] of shape {shape}")
        if not is_tracked:
            with grad_mode.no_grad():
                copy_(_slice(x, k, shape), value)
            x._bump_version() if x._base is not None else None
            return
        assign_(x, _slice_put(x, value.to(x._dtype), k), "setitem")
        return
    basic, adv = _split_key(x, items)
    y = _basic_view(x, basic)
    akey = _advanced_key(y, adv)
    assign_(y, _put_key(y, akey, value.to(x._dtype)), "setitem")


def put_at(x: Tensor, key: Any, values: Any, accumulate: bool = False) -> Tensor:
    """A copy of `x` with `x[key] = values` (or `+=`, summing repeats), differentiable in both.

    For keys of slices, Ellipsis and index tensors (what the composites use).
    """
    items, _ = _expand_key(x, key)
    if not isinstance(values, Tensor):
        values = to_tensor(values, "put_at", like=x, dtype=x._dtype)
    return _put_key(x, _advanced_key(x, items), values.to(x._dtype), accumulate)


def _put_key(x: Tensor, key: tuple[Any, ...], values: Any, accumulate: bool = False) -> Tensor:
    """A copy of `x` with `x[key] = values` (or `+=`, summing repeats, when `accumulate`)."""
    v = cast(values, x._dtype) if isinstance(values, Tensor) else values
    try:
        return run(
            INDEX_PUT, x._device, (x._data, key, v, accumulate), x._shape, x._dtype, (x, values), (key, accumulate)
        )
    except ValueError as exc:  # the kernels' shape mismatch, as PyTorch's RuntimeError
        msg = str(exc)
        raise RuntimeError(msg if msg.startswith("index_put:") else f"index_put: {msg}") from None


@public(method=True, inplace=True)
def index_put(
    input: Tensor,  # noqa: A002
    indices: tuple[Tensor | None, ...] | list[Tensor | None],
    values: Tensor,
    accumulate: bool = False,
) -> Tensor:
    """A copy of `input` with `input[indices] = values` (or `+=`, summing repeated indices, with `accumulate`).

    `indices` is a tuple of index tensors (integer or bool), one per leading dim, as `input[tuple(indices)]` reads.
    """
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple or list of tensors, got {type(indices).__name__}")
    if not all(k is None or isinstance(k, Tensor) for k in indices):
        raise TypeError(f"index_put: indices must be tensors (or None), got {[type(k).__name__ for k in indices]}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put: values must be a tensor, got {type(values).__name__}")
    if values._dtype is not input._dtype:
        raise RuntimeError(
            f"index_put: values ({values._dtype.name}) must have the dtype of input ({input._dtype.name}); cast it"
        )
    key = tuple(slice(None) if k is None else k for k in indices)
    return put_at(input, key, values, accumulate)


#: what PyTorch takes as an index tensor in `x[t]` (uint8 as a mask) and in index_select/index_add & co.
_INDEX_DTYPES = frozenset({_dt.int64, _dt.int32, _dt.uint8, _dt.bool_})
_LONG_OR_INT = frozenset({_dt.int64, _dt.int32})
_LONG = frozenset({_dt.int64})


def _long_index(index: Any) -> Any:
    """An int32 index tensor as int64 (gather and the scatters take both, as PyTorch does); others as given."""
    return index.to(_dt.int64) if isinstance(index, Tensor) and index._dtype is _dt.int32 else index


def _check_index_tensor(op: str, x: Tensor, dim: int, index: Tensor) -> int:
    if not isinstance(index, Tensor) or index._dtype is not _dt.int64:
        raise RuntimeError(f"{op}: index must be an int64 tensor (or int32), got {describe(index)}")
    same_device(op, (x, index))
    axis = wrap_dim(dim, x.ndim, op)
    if index.ndim != x.ndim:
        raise RuntimeError(f"{op}: index {index._shape} and input {x._shape} must have the same number of dimensions")
    for d, (a, b) in enumerate(zip(index._shape, x._shape)):
        if d != axis and a > b:
            raise RuntimeError(f"{op}: index {index._shape} is larger than the input {x._shape} in dimension {d}")
    return axis


def _shrink(x: Tensor, axis: int, shape: tuple[int, ...]) -> Tensor:
    """x cut down to `shape` in every dim but `axis` (what gather/scatter address)."""
    key = tuple(slice(None) if d == axis else slice(0, s) for d, s in enumerate(shape))
    if all(d == axis or s == x._shape[d] for d, s in enumerate(shape)):
        return x
    return getitem(x, key)


@public(method=True)
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """out[i][j] = input[index[i][j]][j] (dim 0): values picked along `dim` by `index`."""
    index = _long_index(index)
    if _scalar_pair(input, index):  # PyTorch reads a 0-d input or index as 1-D of one element
        wrap_dim(dim, input.ndim, "gather")
        return gather(input.reshape(-1), 0, index.reshape(-1)).reshape(index._shape)
    axis = _check_index_tensor("gather", input, dim, index)
    x = _shrink(input, axis, index._shape)
    return run(GATHER, x._device, (x._data, axis, index._data), index._shape, x._dtype, (x, index), (axis, index))


@public(method=True)
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The values of `input` at `indices` along `dim` (NumPy's take_along_axis).

    With `dim` None both are flattened first; otherwise they have the same number of
    dimensions and broadcast in every dimension but `dim`.
    """
    from .elementwise import where

    if not isinstance(indices, Tensor) or indices._dtype is not _dt.int64:
        raise RuntimeError(f"take_along_dim: indices must be an int64 tensor, got {describe(indices)}")
    if dim is None:
        flat = indices.reshape(-1)
        return gather(input.reshape(-1), 0, where(flat < 0, flat + input.numel(), flat))
    axis = wrap_dim(dim, input.ndim, "take_along_dim")
    indices = where(indices < 0, indices + input._shape[axis], indices)  # negative counts from the end
    if not isinstance(indices, Tensor) or indices.ndim != input.ndim:
        raise RuntimeError(
            f"take_along_dim: input {describe(input)} and indices {describe(indices)} must have the same number "
            f"of dimensions"
        )
    rest = broadcast_shapes_for(
        "take_along_dim",
        tuple(1 if d == axis else s for d, s in enumerate(input._shape)),
        tuple(1 if d == axis else s for d, s in enumerate(indices._shape)),
    )
    x = input.expand(tuple(input._shape[d] if d == axis else s for d, s in enumerate(rest)))
    idx = indices.expand(tuple(indices._shape[d] if d == axis else s for d, s in enumerate(rest)))
    return gather(x, axis, idx)


def _scalar_pair(input: Tensor, index: Any) -> bool:  # noqa: A002
    """Whether gather/scatter see a 0-d input or index next to one of at most 1 dim (read as 1-D, as PyTorch does)."""
    return isinstance(index, Tensor) and min(input.ndim, index.ndim) == 0 and max(input.ndim, index.ndim) <= 1


def _scatter(op: Op, input: Tensor, dim: int, index: Tensor, src: Any) -> Tensor:  # noqa: A002
    index = _long_index(index)
    if _scalar_pair(input, index):
        wrap_dim(dim, input.ndim, op.name)
        flat_src = src.reshape(-1) if isinstance(src, Tensor) else src
        return _scatter(op, input.reshape(-1), 0, index.reshape(-1), flat_src).reshape(input._shape)
    axis = _check_index_tensor(op.name, input, dim, index)
    if isinstance(src, Tensor) and src._dtype is not input._dtype:
        raise RuntimeError(
            f"{op.name}(): Expected self.dtype to be equal to src.dtype, got {input._dtype.name} and "
            f"{src._dtype.name}; cast src with .to({input._dtype.name})"
        )
    if not isinstance(src, Tensor):
        src = to_tensor(src, op.name, like=input, dtype=input._dtype).expand(index._shape)
    else:
        same_device(op.name, (input, index, src))
    if src._shape != index._shape:
        if src.ndim != index.ndim or any(a < b for a, b in zip(src._shape, index._shape)):
            raise RuntimeError(f"{op.name}: src {src._shape} must be at least as large as index {index._shape}")
        src = getitem(src, tuple(slice(0, s) for s in index._shape))
    natives = (input._data, axis, index._data, cast(src, input._dtype))
    out = run(op, input._device, natives, input._shape, input._dtype, (input, index, src), (axis, index))
    return out


@public(method=True, inplace=True)
def scatter(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of `input` with values from `src` written at `index` along `dim`.

    `reduce="add"` or `"multiply"` combines them with what is there instead (PyTorch's older form of
    `scatter_reduce(..., "sum" or "prod")`)."""
    src = src if src is not None else value
    if reduce is None:
        return _scatter(SCATTER, input, dim, index, src)
    how = {"add": "sum", "multiply": "prod"}.get(reduce)
    if how is None:
        raise RuntimeError(f"scatter: reduce argument must be either add or multiply, got {reduce!r}")
    if not isinstance(src, Tensor):
        index = _long_index(index)
        _check_index_tensor("scatter", input, dim, index)
        src = to_tensor(src, "scatter", like=input, dtype=input._dtype).expand(index._shape)
    return scatter_reduce(input, dim, index, src, how)


@public(method=True, inplace=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of `input` with `src` added at `index` along `dim` (repeats sum)."""
    return _scatter(SCATTER_ADD, input, dim, index, src)


@public(method=True)
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The entries of `input` at `index` (a 1-D int64 tensor) along `dim`, in new memory."""
    axis = wrap_dim(dim, input.ndim, "index_select")
    if index.ndim > 1 or index._dtype not in _LONG_OR_INT:
        raise RuntimeError(f"index_select: index must be a 0-d or 1-D int64 or int32 tensor, got {describe(index)}")
    return select_rows("index_select", input, axis, index)


def select_rows(op: str, x: Tensor, axis: int, index: Tensor) -> Tensor:
    """x's entries at the integer `index` along `axis` (index_select, embedding): a gather with the index
    broadcast over the other dims, so every backend checks [0, size) in its kernel (negative indices are an
    error, as in PyTorch; OpenCL reads back one flag, NumPy scans the index) and the message names `op`."""
    idx = index.reshape(-1)
    if idx._dtype is not _dt.int64:
        idx = idx.to(_dt.int64)
    if x.ndim == 0:  # a 0-d input takes one index, 0, and gives itself (PyTorch's "index to scalar")
        if idx._shape[0] != 1:
            raise IndexError(f"{op}: index to a 0-d tensor can have only 1 value, got {idx._shape[0]}")
        return gather(x.reshape(1), 0, idx).reshape(())
    view = [1] * x.ndim
    view[axis] = -1
    shape = list(x._shape)
    shape[axis] = idx._shape[0]
    try:
        return gather(x, axis, idx.reshape(view).expand(tuple(shape)))
    except IndexError as exc:
        raise type(exc)(f"{op}: {str(exc).partition(': ')[2]}") from None


@public(method=True, inplace=True)
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    """`input` with `value` where `mask` is True (mask broadcasts)."""
    from .elementwise import where

    if not isinstance(mask, Tensor) or mask._dtype is not _dt.bool_:
        raise RuntimeError(f"masked_fill: mask must be a bool tensor, got {describe(mask)}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill: value must be a 0-d tensor or a number, got shape {value._shape}")
        value = value.to(input._dtype)
    else:
        value = _dt._combine(input._dtype, _dt.scalar_dtype(value)) and value
        if (input._dtype.kind == "i" or isinstance(value, complex)) and not _dt.value_fits(value, input._dtype):
            raise _dt.overflow_error(value, input._dtype, "masked_fill")
    out = where(mask, value, input)
    return out if out._dtype is input._dtype else out.to(input._dtype)


@public(method=True)
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    out = run(NONZERO, input._device, (input._data,), None, _dt.int64)
    if as_tuple:
        if input.ndim == 0:  # a 0-d input reads as 1-D of one element: (tensor([0]),) or (tensor([]),)
            from .creation import zeros

            return (zeros((out._shape[0],), dtype=_dt.int64, device=input._device),)
        return tuple(getitem(out, (slice(None), i)) for i in range(input.ndim))
    return out


# -- composites: take, put, index_*, masked_*, scatter_reduce, argwhere ------------------------


@public(method=True)
def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """The (n, ndim) int64 indices of the nonzero elements of `input`, in C order (`nonzero`)."""
    return nonzero(input)


def _integer_index(op: str, x: Tensor, index: Any, *, flat: bool = False) -> Tensor:
    if not isinstance(index, Tensor) or index._dtype not in (_LONG_OR_INT if op == "index_add" else _LONG):
        want = "int64 or int32" if op == "index_add" else "a long (int64)"
        raise RuntimeError(f"{op}(): Expected a long tensor for index ({want}), got {describe(index)}")
    same_device(op, (x, index))
    if not flat and index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector (0-d or 1-d), got shape {index._shape}")
    return index.reshape(-1) if index._dtype is _dt.int64 else index.reshape(-1).to(_dt.int64)


@public(method=True)
def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """The elements of `input`, read as 1-D, at `index` (negative counts from the end); shaped like `index`."""
    idx = _integer_index("take", input, index, flat=True)
    return getitem(input.reshape(-1), idx).reshape(index._shape)


@public(method=True, inplace=True)
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """A copy of `input`, read as 1-D, with `source`'s elements written (or added) at `index`."""
    idx = _integer_index("put", input, index, flat=True)
    if not isinstance(source, Tensor) or source.numel() != idx.numel():
        raise RuntimeError(
            f"put: expected source {describe(source)} to have as many elements as index {describe(index)}"
        )
    if source._dtype is not input._dtype:
        raise RuntimeError(f"put: expected source dtype {source._dtype.name} to equal input dtype {input._dtype.name}")
    out = put_at(input.reshape(-1), (idx,), source.reshape(-1), accumulate)
    return out.reshape(input._shape)


def _index_along(op: str, input: Tensor, dim: int, index: Tensor, source: Tensor | None) -> tuple[int, Tensor]:  # noqa: A002
    """Checks shared by index_add/index_copy/index_fill: the axis and the 1-D int64 index."""
    axis = wrap_dim(dim, input.ndim, op)
    idx = _integer_index(op, input, index)
    if source is not None and idx.numel():  # index_add/index_copy refuse negative indices (index_fill wraps them)
        low = int(idx.min().item())
        if low < 0:
            from ..xp_kernels import index_error

            raise index_error(f"{op}()", low, axis, input._shape[axis] if input.ndim else 1, negative=False)
    if source is not None:
        if not isinstance(source, Tensor):
            raise TypeError(f"{op}(): source must be a Tensor, got {type(source).__name__}")
        same_device(op, (input, source))
        if source._dtype is not input._dtype:
            raise RuntimeError(
                f"{op}(): self ({input._dtype.name}) and source ({source._dtype.name}) must have the same scalar type"
            )
        want = (
            tuple(idx.numel() if d == axis else s for d, s in enumerate(input._shape)) if input.ndim else (idx.numel(),)
        )
        have = source._shape if source.ndim else (1,)
        if have != want and not (input.ndim == 0 and source.numel() == idx.numel()):
            raise RuntimeError(
                f"{op}(): source shape {source._shape} must match input shape {input._shape} except in dimension "
                f"{axis}, where it must be the number of indices ({idx.numel()})"
            )
    return axis, idx


def _index_write(input: Tensor, axis: int, idx: Tensor, values: Any, accumulate: bool) -> Tensor:  # noqa: A002
    if input.ndim == 0:
        v = values.reshape(-1) if isinstance(values, Tensor) else values
        return put_at(input.reshape(1), (idx,), v, accumulate).reshape(())
    return put_at(input, (slice(None),) * axis + (idx,), values, accumulate)


@public(method=True, inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """A copy of `input` with `alpha * source` added at `index` along `dim` (repeated indices add up)."""
    axis, idx = _index_along("index_add", input, dim, index, source)
    return _index_write(input, axis, idx, source if alpha == 1 else source * alpha, True)


@public(method=True, inplace=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of `input` with the slices of `source` written at `index` along `dim`."""
    axis, idx = _index_along("index_copy", input, dim, index, source)
    return _index_write(input, axis, idx, source, False)


@public(method=True, inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A copy of `input` with `value` (a number or 0-d tensor) at `index` along `dim`."""
    axis, idx = _index_along("index_fill", input, dim, index, None)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, got shape {value._shape}")
        value = value.to(input._dtype)
    elif isinstance(value, complex) and not input._dtype.is_complex:
        raise RuntimeError(
            f"index_fill(): converting the complex value {value} to {input._dtype.name} is not supported"
        )
    return _index_write(input, axis, idx, value, False)


@public(method=True)
def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
    """The elements of `input` where `mask` (bool, broadcast with input) holds, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask._dtype is not _dt.bool_:
        raise RuntimeError(f"masked_select: expected a bool mask, got {describe(mask)}")
    from .movement import broadcast_tensors

    x, m = broadcast_tensors(input, mask)
    return getitem(x, m) if x.ndim else getitem(x.reshape(1), m.reshape(1))


@public(method=True, inplace=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of `input` with the elements of `source`, in order, written where `mask` (bool, broadcast) holds."""
    if not isinstance(mask, Tensor) or mask._dtype is not _dt.bool_:
        raise RuntimeError(f"masked_scatter: expected a bool mask, got {describe(mask)}")
    if not isinstance(source, Tensor) or source._dtype is not input._dtype:
        raise RuntimeError(
            f"masked_scatter: expected source to be a tensor of input's dtype {input._dtype.name}, got {describe(source)}"
        )
    from .movement import broadcast_tensors

    x, m = broadcast_tensors(input, mask)
    n = int(m.sum().item())
    if source.numel() < n:
        raise RuntimeError(
            f"masked_scatter: expected source to have at least {n} elements (the number of True in mask), "
            f"got {source.numel()} (shape {source._shape})"
        )
    if x.ndim == 0:
        x, m = x.reshape(1), m.reshape(1)
    out = put_at(x, (m,), source.reshape(-1)[:n])
    return out.reshape(input._shape) if input.ndim == 0 and mask.ndim == 0 else out


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _flat_destinations(shape: tuple[int, ...], axis: int, index: Tensor) -> Tensor:
    """For each element of `index`, the C-order position in a tensor of `shape` it writes to (int64)."""
    from .creation import arange

    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    dest = index * strides[axis]
    for d, s in enumerate(index._shape):
        if d != axis:
            view = [1] * index.ndim
            view[d] = s
            dest = dest + (arange(s, device=index._device) * strides[d]).reshape(view)
    return dest


def _segmented(values: Tensor, dest: Tensor, reduce: str) -> tuple[Tensor, Tensor]:
    """Reduce `values` (1-D) by destination: (destinations, one value each), by a doubling segmented scan."""
    from .elementwise import maximum, minimum, where
    from .movement import cat
    from .sorting import argsort

    fn = {"prod": lambda a, b: a * b, "amax": maximum, "amin": minimum}[reduce]
    order = argsort(dest, 0)
    ds, vs = getitem(dest, order), getitem(values, order)
    n, s = ds._shape[0], 1
    while s < n:
        same = getitem(ds, slice(s, None)) == getitem(ds, slice(None, n - s))
        head, tail, prev = getitem(vs, slice(None, s)), getitem(vs, slice(s, None)), getitem(vs, slice(None, n - s))
        vs = cat([head, where(same, fn(tail, prev), tail)], 0)
        s *= 2
    from .creation import ones

    last = ones((n,), dtype=_dt.bool_, device=ds._device)
    if n > 1:
        last = cat([getitem(ds, slice(None, n - 1)) != getitem(ds, slice(1, None)), last[:1]], 0)
    return getitem(ds, last), getitem(vs, last)


@public(method=True, inplace=True)
def scatter_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """A copy of `input` with `src` reduced into it at `index` along `dim`: "sum", "prod", "mean", "amax" or "amin".

    With `include_self` the values already in `input` take part; otherwise the written positions hold only
    the reduction of what `src` brings (positions that nothing is written to keep `input`'s values). Gradients
    as PyTorch's: for amax/amin they are shared evenly among the elements equal to the result.
    """
    from .elementwise import where

    index = _long_index(index)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of {', '.join(_REDUCTIONS)}, got {reduce!r}")
    if input.ndim == 0 and isinstance(index, Tensor) and isinstance(src, Tensor) and index.ndim <= 1:
        wrap_dim(dim, 0, "scatter_reduce")
        flat = scatter_reduce(
            input.reshape(1), 0, index.reshape(-1), src.reshape(-1), reduce, include_self=include_self
        )
        return flat.reshape(())
    axis = _check_index_tensor("scatter_reduce", input, dim, index)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a Tensor, got {type(src).__name__}")
    if src._dtype is not input._dtype:
        raise RuntimeError(
            f"scatter_reduce(): Expected self.dtype to be equal to src.dtype, got {input._dtype.name} and {src._dtype.name}"
        )
    if src.ndim != index.ndim or any(a < b for a, b in zip(src._shape, index._shape)):
        raise RuntimeError(f"scatter_reduce: src {src._shape} must be at least as large as index {index._shape}")
    if src._shape != index._shape:
        src = getitem(src, tuple(slice(0, s) for s in index._shape))
    base = input if include_self else scatter(input, axis, index, 0)
    if reduce == "sum":
        return scatter_add(base, axis, index, src)
    if reduce == "mean":
        from .creation import ones_like, zeros_like

        total = scatter_add(base, axis, index, src)
        start = ones_like(input) if include_self else zeros_like(input)
        count = scatter_add(start, axis, index, ones_like(src))
        count = where(count == 0, 1, count).to(input._dtype)
        return total / count if input._dtype.is_floating_point else total // count
    flat_in = input.reshape(-1)
    dest = _flat_destinations(input._shape, axis, index).reshape(-1)
    track = reduce == "prod" and needs_grad((input, src))
    with grad_mode.set_grad_enabled(track):
        where_to, vals = _segmented(src.reshape(-1), dest, reduce)
        if include_self:
            from .elementwise import maximum, minimum

            old = getitem(flat_in, where_to)
            vals = old * vals if reduce == "prod" else (maximum if reduce == "amax" else minimum)(old, vals)
        out = put_at(flat_in, (where_to,), vals).reshape(input._shape)
    if reduce == "prod" or not needs_grad((input, src)):
        return out
    # amax/amin: the gradient is shared evenly among the elements equal to the result, as PyTorch's
    res = out.detach()
    picked = gather(res, axis, index)
    m_src = src == picked
    touched = scatter(input.new_zeros(input._shape, dtype=_dt.bool_), axis, index, True)
    at_result = input == res
    m_in = at_result & touched if include_self else input.new_zeros(input._shape, dtype=_dt.bool_)
    # PyTorch counts the input's element among the ties even without include_self (its backward formula)
    count = scatter_add(at_result.to(input._dtype), axis, index, m_src.to(input._dtype))
    summed = scatter_add(where(m_in, input, 0), axis, index, where(m_src, src, 0))
    spread = res + (summed - summed.detach()) / where(count == 0, 1, count)
    return where(touched, spread, input)


def fill_diagonal_(input: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:  # noqa: A002
    """`Tensor.fill_diagonal_`: write `fill_value` on the main diagonal, in place (NumPy's fill_diagonal).

    A tensor of 2 dimensions may be rectangular (with `wrap`, a tall one restarts the diagonal every
    cols + 1 rows); more dimensions must all have the same length.
    """
    from .conversion import assign_
    from .creation import arange

    if input.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got shape {input._shape}")
    shape = input._shape
    if input.ndim > 2 and len(set(shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got shape {shape}")
    numel = input.numel()
    if input.ndim == 2:
        step = shape[1] + 1
        end = numel if wrap else min(numel, shape[1] * shape[1])
    else:
        step = sum(shape[0] ** k for k in range(input.ndim))
        end = numel
    idx = arange(0, end, step, device=input._device) if numel else arange(0, device=input._device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    out = put_at(input.reshape(-1), (idx,), fill_value).reshape(shape)
    return assign_(input, out, "fill_diagonal_")

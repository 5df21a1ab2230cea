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
    vjp=lambda n, g: (index_put(_zeros(n.meta[0], g), n.args[0], g, accumulate=True),),
)
INDEX_PUT = primitive(
    "index_put",
    "index_put(x: array, key: tuple, values: array | scalar, accumulate: bool) -> array",
    "A copy of x with x[key] = values (or += values, summing repeated indices, when accumulate); "
    "values have x's dtype and broadcast to x[key]'s shape.",
    family="indexing",
    vjp=lambda n, g: (
        (g if n.args[1] else index_put(g, n.args[0], 0, False)) if n.needs(0) else None,
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


def _is_advanced(k: Any) -> bool:
    return isinstance(k, (Tensor, list, np.ndarray)) and not isinstance(k, bool)


def _expand_key(x: Tensor, key: Any) -> tuple[list[Any], bool]:
    """The key as a list covering every dim (Ellipsis expanded) and whether it is advanced."""
    if not isinstance(key, tuple):
        key = (key,)
    advanced = False
    items = []
    for k in key:
        if isinstance(k, (list, np.ndarray)):
            k = to_tensor(np.asarray(k), "index", like=x)
        elif isinstance(k, bool) or (isinstance(k, (np.bool_,))):
            k = to_tensor(bool(k), "index", like=x).reshape(())
        elif isinstance(k, np.integer):
            k = int(k)
        if isinstance(k, Tensor):
            if k._dtype.is_floating_point:
                raise IndexError(f"index: tensors used as indices must be integer or bool, got {describe(k)}")
            same_device("index", (x, k))
            advanced = True
        items.append(k)
    consumed = sum(
        (k.ndim if k._dtype is _dt.bool_ else 1) if isinstance(k, Tensor) else (0 if k is None or k is Ellipsis else 1)
        for k in items
    )
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise IndexError("index: an index can only have a single ellipsis ('...')")
    if consumed > x.ndim:
        raise IndexError(f"index: too many indices for a tensor of {x.ndim} dimensions (shape {x._shape}): {key!r}")
    if any(k is Ellipsis for k in items):
        i = items.index(Ellipsis)
        items[i : i + 1] = [slice(None)] * (x.ndim - consumed)
    else:
        items += [slice(None)] * (x.ndim - consumed)
    return items, advanced


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
                raise TypeError(f"index: unsupported index type {type(k).__name__}; use ints, slices, None, ... or tensors") from None
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
    """x[key]: a view for basic keys, a copy for integer/boolean tensor keys."""
    items, advanced = _expand_key(x, key)
    if not advanced:
        k, shape = _basic(x, items)
        if all(isinstance(s, slice) and s == slice(0, n, 1) for s, n in zip(k, x._shape)) and len(k) == x.ndim:
            return _slice(x, k, shape) if k else x
        return _slice(x, k, shape)
    return _index(x, _advanced_key(x, items))


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """x[key] = value, in place (value broadcast and cast to x's dtype)."""
    from .conversion import assign_, copy_

    value = value if isinstance(value, Tensor) else to_tensor(value, "setitem", like=x, dtype=x._dtype)
    same_device("setitem", (x, value))
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
    akey = _advanced_key(x, items)
    assign_(x, index_put(x, akey, value.to(x._dtype)), "setitem")


def index_put(x: Tensor, key: tuple[Any, ...], values: Any, accumulate: bool = False) -> Tensor:
    """A copy of `x` with `x[key] = values` (or `+=`, summing repeats, when `accumulate`)."""
    v = cast(values, x._dtype) if isinstance(values, Tensor) else values
    return run(INDEX_PUT, x._device, (x._data, key, v, accumulate), x._shape, x._dtype, (x, values), (key, accumulate))


def _check_index_tensor(op: str, x: Tensor, dim: int, index: Tensor) -> int:
    if not isinstance(index, Tensor) or index._dtype is not _dt.int64:
        raise RuntimeError(f"{op}: index must be an int64 tensor, got {describe(index)}")
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
    axis = _check_index_tensor("gather", input, dim, index)
    x = _shrink(input, axis, index._shape)
    return run(GATHER, x._device, (x._data, axis, index._data), index._shape, x._dtype, (x, index), (axis, index))


@public(method=True)
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The values of `input` at `indices` along `dim` (NumPy's take_along_axis).

    With `dim` None both are flattened first; otherwise they have the same number of
    dimensions and broadcast in every dimension but `dim`.
    """
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    axis = wrap_dim(dim, input.ndim, "take_along_dim")
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


def _scatter(op: Op, input: Tensor, dim: int, index: Tensor, src: Any) -> Tensor:  # noqa: A002
    axis = _check_index_tensor(op.name, input, dim, index)
    if not isinstance(src, Tensor):
        src = to_tensor(src, op.name, like=input, dtype=input._dtype).expand(index._shape)
    elif src._shape != index._shape:
        if src.ndim != index.ndim or any(a < b for a, b in zip(src._shape, index._shape)):
            raise RuntimeError(f"{op.name}: src {src._shape} must be at least as large as index {index._shape}")
        src = getitem(src, tuple(slice(0, s) for s in index._shape))
    natives = (input._data, axis, index._data, cast(src, input._dtype))
    out = run(op, input._device, natives, input._shape, input._dtype, (input, index, src), (axis, index))
    return out


@public(method=True, inplace=True)
def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None) -> Tensor:  # noqa: A002
    """A copy of `input` with values from `src` written at `index` along `dim`."""
    return _scatter(SCATTER, input, dim, index, src if src is not None else value)


@public(method=True, inplace=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of `input` with `src` added at `index` along `dim` (repeats sum)."""
    return _scatter(SCATTER_ADD, input, dim, index, src)


@public(method=True)
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The entries of `input` at `index` (a 1-D int64 tensor) along `dim`, in new memory."""
    axis = wrap_dim(dim, input.ndim, "index_select")
    if index.ndim > 1 or index._dtype.is_floating_point or index._dtype is _dt.bool_:
        raise RuntimeError(f"index_select: index must be a 0-d or 1-D integer tensor, got {describe(index)}")
    return getitem(input, (slice(None),) * axis + (index.reshape(-1),))


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
    out = where(mask, value, input)
    return out if out._dtype is input._dtype else out.to(input._dtype)


@public(method=True)
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    out = run(NONZERO, input._device, (input._data,), None, _dt.int64)
    if as_tuple:
        if input.ndim == 0:
            return (out.reshape(-1),)
        return tuple(getitem(out, (slice(None), i)) for i in range(input.ndim))
    return out

"""Kernels on array-api-strict, one per Ember primitive (see docs/primitives.md for each contract).

Ember's core has already checked devices, shapes and dtypes: operands arrive in
the compute dtype, Python scalars are to be read in that dtype. Kernels return
new arrays (views only where the contract says so) and never write their inputs.

Primitives left out of KERNELS run on the host reference backend (ember-backend-numpy)
with a one-time FallbackWarning; xfails.txt lists them for the conformance kit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import array_api_strict as xp

from ember.dtypes import DType
from ember.random import philox4x32

Kernel = Callable[..., Any]

#: Ember dtype name -> array-api-strict dtype
DTYPES = {
    "bool": xp.bool, "uint8": xp.uint8, "int8": xp.int8, "int16": xp.int16, "int32": xp.int32,
    "int64": xp.int64, "float32": xp.float32, "float64": xp.float64,
}  # fmt: skip


def _dt(dtype: DType) -> Any:
    return DTYPES[dtype.name]


def _like(value: Any, ref: Any) -> Any:
    """A Python scalar as a 0-d array of `ref`'s dtype (array functions want arrays)."""
    return value if hasattr(value, "dtype") else xp.asarray(value, dtype=ref.dtype)


# -- creation --------------------------------------------------------------------
def full(shape: tuple[int, ...], value: Any, dtype: DType, index: int) -> Any:
    return xp.full(shape, value, dtype=_dt(dtype))


def arange(start: Any, end: Any, step: Any, dtype: DType, index: int) -> Any:
    if dtype.name == "bool":  # the standard has no boolean ranges: make int64, then cast
        return xp.astype(xp.arange(start, end, step, dtype=xp.int64), xp.bool)
    return xp.arange(start, end, step, dtype=_dt(dtype))


def astype(x: Any, dtype: DType) -> Any:
    return xp.astype(x, _dt(dtype))


def copy(x: Any) -> Any:
    # the contract wants C order: flatten with a copy (C order), then view it in x's shape
    return xp.reshape(xp.reshape(x, (-1,), copy=True), x.shape)


def copy_(dst: Any, src: Any) -> None:
    dst[...] = src


# -- elementwise ---------------------------------------------------------------------
def relu(x: Any) -> Any:
    return xp.where(x > 0, x, xp.zeros_like(x))


def sigmoid(x: Any) -> Any:
    return xp.tanh(x * 0.5) * 0.5 + 0.5  # never overflows, unlike 1 / (1 + exp(-x))


def _binary(fn: Callable[[Any, Any], Any]) -> Kernel:
    """A binary kernel: at most one operand is a Python scalar, which operators accept."""

    def kernel(a: Any, b: Any) -> Any:
        return fn(a, b)

    return kernel


def _is_bool(a: Any, b: Any) -> bool:
    ref = a if hasattr(a, "dtype") else b
    return bool(ref.dtype == xp.bool)


def add(a: Any, b: Any) -> Any:
    return _logical(xp.logical_or)(a, b) if _is_bool(a, b) else a + b  # bool + bool is "or", as in PyTorch


def mul(a: Any, b: Any) -> Any:
    return _logical(xp.logical_and)(a, b) if _is_bool(a, b) else a * b


def _ordered(fn: Callable[[Any, Any], Any]) -> Kernel:
    """Comparisons: the standard does not order bools, PyTorch does (False < True)."""

    def kernel(a: Any, b: Any) -> Any:
        if _is_bool(a, b):
            a = xp.astype(a, xp.int8) if hasattr(a, "dtype") else int(a)
            b = xp.astype(b, xp.int8) if hasattr(b, "dtype") else int(b)
        return fn(a, b)

    return kernel


def maximum(a: Any, b: Any) -> Any:
    return xp.maximum(_like(a, b), _like(b, a))


def minimum(a: Any, b: Any) -> Any:
    return xp.minimum(_like(a, b), _like(b, a))


def _logical(fn: Callable[[Any, Any], Any]) -> Kernel:
    def kernel(a: Any, b: Any) -> Any:
        return fn(_like(a, b), _like(b, a))

    return kernel


def where(cond: Any, a: Any, b: Any) -> Any:
    return xp.where(cond, _like(a, b), _like(b, a))


# -- reductions ------------------------------------------------------------------------
def _reduction(fn: Callable[..., Any], pass_dtype: bool = False) -> Kernel:
    def kernel(x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
        if not axes:  # the contract: no axes means no reduction
            return xp.asarray(x, copy=True)
        if x.dtype == xp.bool and fn in (xp.max, xp.min):  # max/min of bools: through int8
            return xp.astype(fn(xp.astype(x, xp.int8), axis=axes, keepdims=keepdim), xp.bool)
        if pass_dtype:
            return fn(x, axis=axes, keepdims=keepdim, dtype=x.dtype)
        return fn(x, axis=axes, keepdims=keepdim)

    return kernel


def _argreduction(fn: Callable[..., Any]) -> Kernel:
    def kernel(x: Any, axis: int | None, keepdim: bool) -> Any:
        if axis is None and keepdim:
            out = fn(xp.reshape(x, (-1,)), axis=0)
            return xp.astype(xp.reshape(out, (1,) * x.ndim), xp.int64)
        return xp.astype(fn(x, axis=axis, keepdims=keepdim), xp.int64)

    return kernel


def cumsum(x: Any, axis: int) -> Any:
    return xp.cumulative_sum(x, axis=axis, dtype=x.dtype)


# -- movement ----------------------------------------------------------------------------
def view(x: Any, shape: tuple[int, ...]) -> Any:
    if x.size == 0:  # nothing to share: any reshape of an empty array is a view
        return xp.reshape(x, shape)
    try:
        return xp.reshape(x, shape, copy=False)
    except (AttributeError, ValueError) as exc:  # the contract: ValueError when only a copy would do
        raise ValueError(str(exc)) from None


def permute(x: Any, dims: tuple[int, ...]) -> Any:
    return xp.permute_dims(x, dims)


def expand(x: Any, shape: tuple[int, ...]) -> Any:
    return xp.broadcast_to(x, shape)


def cat(xs: list[Any], axis: int) -> Any:
    return xp.concat(xs, axis=axis)


def flip(x: Any, axes: tuple[int, ...]) -> Any:
    return xp.asarray(xp.flip(x, axis=axes), copy=True)


# -- indexing ------------------------------------------------------------------------------
def slice_(x: Any, key: tuple[Any, ...]) -> Any:
    return x[key + (...,)]  # the trailing ellipsis keeps a 0-d result a view, not a copy


def gather(x: Any, axis: int, index: Any) -> Any:
    n = x.shape[axis]
    if index.size and (int(xp.min(index)) < 0 or int(xp.max(index)) >= n):
        raise IndexError(f"gather: index out of range for dimension {axis} with size {n}")
    return xp.take_along_axis(x, index, axis=axis)


def nonzero(x: Any) -> Any:
    if x.ndim == 0:
        return xp.zeros((1 if bool(x) else 0, 0), dtype=xp.int64)
    return xp.astype(xp.stack(xp.nonzero(x), axis=1), xp.int64)


# -- linalg, sorting, random ---------------------------------------------------------------------
def argsort(x: Any, axis: int, descending: bool) -> Any:
    return xp.astype(xp.argsort(x, axis=axis, descending=descending, stable=True), xp.int64)


def random_bits(seed: int, offset: int, n: int, index: int) -> Any:
    # Ember specifies the bits (Philox4x32-10); a device backend would compute them on the device
    return xp.asarray(philox4x32(seed, offset, n))


KERNELS: dict[str, Kernel] = {
    # creation
    "full": full, "arange": arange, "astype": astype, "copy": copy, "copy_": copy_,
    # elementwise
    "neg": xp.negative, "abs": xp.abs, "exp": xp.exp, "log": xp.log, "log1p": xp.log1p, "expm1": xp.expm1,
    "sqrt": xp.sqrt, "rsqrt": lambda x: 1 / xp.sqrt(x), "sin": xp.sin, "cos": xp.cos, "tanh": xp.tanh,
    "sigmoid": sigmoid, "relu": relu, "floor": xp.floor, "ceil": xp.ceil, "round": xp.round, "sign": xp.sign,
    "reciprocal": lambda x: 1 / x, "logical_not": xp.logical_not, "isnan": xp.isnan, "isfinite": xp.isfinite,
    "add": add, "sub": _binary(lambda a, b: a - b), "mul": mul,
    "div": _binary(lambda a, b: a / b), "floor_divide": _binary(lambda a, b: a // b),
    "remainder": _binary(lambda a, b: a % b), "pow": _binary(lambda a, b: a**b),
    "maximum": _ordered(maximum), "minimum": _ordered(minimum),
    "eq": _binary(lambda a, b: a == b), "ne": _binary(lambda a, b: a != b), "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b), "gt": _ordered(lambda a, b: a > b), "ge": _ordered(lambda a, b: a >= b),
    "logical_and": _logical(xp.logical_and), "logical_or": _logical(xp.logical_or),
    "logical_xor": _logical(xp.logical_xor), "where": where,
    # reductions
    "sum": _reduction(xp.sum, pass_dtype=True), "prod": _reduction(xp.prod, pass_dtype=True),
    "amax": _reduction(xp.max), "amin": _reduction(xp.min), "all": _reduction(xp.all), "any": _reduction(xp.any),
    "argmax": _argreduction(xp.argmax), "argmin": _argreduction(xp.argmin), "cumsum": cumsum,
    # movement
    "view": view, "permute": permute, "expand": expand, "cat": cat, "flip": flip,
    # indexing (advanced `index`, `index_put`, `scatter`, `scatter_add` fall back to the host for now)
    "slice": slice_, "gather": gather, "nonzero": nonzero,
    # linalg, sorting, random
    "matmul": xp.matmul, "argsort": argsort, "random_bits": random_bits,
}  # fmt: skip

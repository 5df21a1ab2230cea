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

from ember.dispatch import OPS
from ember.dtypes import DType
from ember.random import philox4x32
from ember.xp_kernels import elementwise_kernels, index_error

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
# Ops that name their array-API function (`Op.xp` in ember.dispatch.OPS: neg -> "negative",
# sub -> "subtract", lt -> "less", ...) get it from core's `elementwise_kernels`, through
# `_elementwise` below: a new such op in core needs no line here. What follows is the rest.


def _elementwise(op: Any, fn: Callable[..., Any]) -> Kernel:
    """The kernel of `op` out of its array-API function `fn`, with what the standard leaves out.

    - Python scalars: the standard's functions want arrays; core means a scalar in the other
      operand's dtype, so it becomes a 0-d array of that dtype (`_like`).
    - Bools: the standard has no arithmetic or ordering on bools; PyTorch has (False < True,
      + is or, * is and, max is or). Under the rules that let bool operands through ("same",
      "bool") they compute as int8, and a "same" result goes back to bool.
    - New memory: array-api-strict returns an integer input itself from floor, ceil, trunc and
      round; a kernel's result never aliases its input, so that one is copied.
    """
    on_bools = op.rule in ("same", "bool")
    back = op.rule == "same"

    def kernel(*args: Any) -> Any:
        ref = next(a for a in args if hasattr(a, "dtype"))
        arrays = [_like(a, ref) for a in args]
        if on_bools and ref.dtype == xp.bool:
            out = fn(*(xp.astype(a, xp.int8) for a in arrays))
            return xp.astype(out, xp.bool) if back else out
        out = fn(*arrays)
        return xp.asarray(out, copy=True) if any(out is a for a in arrays) else out

    kernel.__name__ = op.name
    return kernel


def relu(x: Any) -> Any:
    keep = x > 0
    if xp.isdtype(x.dtype, "real floating"):
        keep = keep | xp.isnan(x)  # nan stays nan (the contract; found by the kit's edge values)
    return xp.where(keep, x, xp.zeros_like(x))


def sigmoid(x: Any) -> Any:
    return xp.tanh(x * 0.5) * 0.5 + 0.5  # never overflows, unlike 1 / (1 + exp(-x))


def sign(x: Any) -> Any:
    """PyTorch's sign: 0 at nan (the standard's sign gives nan), bool in, bool out (the standard refuses bools)."""
    if x.dtype == xp.bool:
        return xp.asarray(x, copy=True)
    s = xp.sign(x)
    return xp.where(xp.isnan(x), xp.zeros_like(s), s) if xp.isdtype(x.dtype, "real floating") else s


def remainder(a: Any, b: Any) -> Any:
    """The standard's remainder, whose zero takes b's sign; PyTorch's zero keeps a's (fmod's): 2 % -1 is 0.0."""
    out = xp.remainder(a, b)
    if xp.isdtype(out.dtype, "real floating"):
        out = xp.where(out == 0, xp.copysign(out, xp.astype(a, out.dtype)), out)
    return out


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
    if index.size:
        lo, hi = int(xp.min(index)), int(xp.max(index))
        if lo < 0 or hi >= n:  # the message every backend gives
            raise index_error("gather", lo if lo < 0 else hi, axis, n, negative=False)
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


def _new(fn: Kernel) -> Kernel:
    """`fn`, copying its result where it is the input itself (array-api-strict's floor of an integer array)."""

    def kernel(x: Any) -> Any:
        out = fn(x)
        return xp.asarray(out, copy=True) if out is x else out

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


KERNELS: dict[str, Kernel] = {
    # creation
    "full": full, "arange": arange, "astype": astype, "copy": copy, "copy_": copy_,
    # elementwise: those with an array-API function in their declaration (Op.xp) come from core
    **elementwise_kernels(xp, wrap=_elementwise),
    "abs": xp.abs, "rsqrt": lambda x: 1 / xp.sqrt(x), "sigmoid": sigmoid, "relu": relu,
    # array-api-strict returns integer inputs themselves: a kernel's result is new memory
    "floor": _new(xp.floor), "ceil": _new(xp.ceil), "round": _new(xp.round), "sign": sign, "where": where,
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
KERNELS["remainder"] = _elementwise(OPS["remainder"], remainder)  # the standard's function, PyTorch's zero sign
if "reciprocal" not in KERNELS:  # array-api-strict before the 2024.12 standard has no reciprocal
    KERNELS["reciprocal"] = lambda x: 1 / x

"""Creation ops: `full`, `arange` (primitives) and the constructors built on them."""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..device import Device
from ..dispatch import primitive, public
from ..dtypes import DType
from ..tensor import Tensor, resolve_device
from ._run import check_supported, run

FULL = primitive(
    "full",
    "full(shape: tuple[int, ...], value: bool | int | float, dtype: DType, index: int) -> array",
    "A new array of `shape` and `dtype` on device `index`, every element `value`.",
    family="creation",
    differentiable=False,
    index_arg=3,
)
ARANGE = primitive(
    "arange",
    "arange(start: int | float, end: int | float, step: int | float, dtype: DType, index: int) -> array",
    "The 1-D array start, start+step, ... (excluding end) in `dtype`, as numpy.arange computes it.",
    family="creation",
    differentiable=False,
    index_arg=4,
)
ASTYPE = primitive(
    "astype",
    "astype(x: array, dtype: DType) -> array",
    "A new array with `x`'s values converted to `dtype` (C casting: floats truncate toward zero "
    "into ints, nonzero is True). Never called with x already of `dtype`.",
    family="creation",
    vjp=lambda node, g: (g,),  # the engine casts the gradient back to the input's dtype
)


def size_arg(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    """`f(2, 3)`, `f((2, 3))` and `f([2, 3])` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        try:
            s = int(s.__index__())
        except AttributeError:
            raise TypeError(f"{op}: sizes must be ints, got {type(s).__name__} in {size}") from None
        if s < 0:
            raise RuntimeError(f"{op}: negative dimension {s} in size {tuple(size)}")
        out.append(s)
    return tuple(out)


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def _full(shape: tuple[int, ...], value: Any, dtype: DType, device: Device) -> Tensor:
    check_supported(dtype, device, "full")
    return run(FULL, device, (shape, value, dtype, device.index), shape, dtype)


@public
def full(
    size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of `size` filled with `fill_value` (dtype inferred from it, like PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.scalar_dtype(fill_value)
    return _finish(_full(size_arg((size,), "full"), fill_value, d, resolve_device(device)), requires_grad)


def _filled(size: tuple[Any, ...], value: Any, dtype: Any, device: Any, requires_grad: bool, op: str) -> Tensor:
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    return _finish(_full(size_arg(size, op), value, d, resolve_device(device)), requires_grad)


@public
def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (default dtype unless `dtype` is given)."""
    return _filled(size, 0, dtype, device, requires_grad, "zeros")


@public
def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (default dtype unless `dtype` is given)."""
    return _filled(size, 1, dtype, device, requires_grad, "ones")


@public
def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Like `zeros` (Ember does not hand out uninitialised memory)."""
    return _filled(size, 0, dtype, device, requires_grad, "empty")


def _like(x: Tensor, value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    d = _dt.as_dtype(dtype) if dtype is not None else x._dtype
    dev = resolve_device(device) if device is not None else x._device
    return _finish(_full(x._shape, value, d, dev), requires_grad)


@public
def full_like(x: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `input`'s shape filled with `fill_value`, in its dtype and device unless given."""
    return _like(x, fill_value, dtype, device, requires_grad)


@public
def zeros_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of `input`'s shape, in its dtype and device unless given."""
    return _like(x, 0, dtype, device, requires_grad)


@public
def ones_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of `input`'s shape, in its dtype and device unless given."""
    return _like(x, 1, dtype, device, requires_grad)


@public
def empty_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of `input`'s shape, in its dtype and device unless given."""
    return _like(x, 0, dtype, device, requires_grad)


@public
def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from `start` to `end` (excluded) by `step`; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and step are inconsistent (start={start}, end={end}, step={step})")
    if dtype is not None:
        d = _dt.as_dtype(dtype)
    elif any(isinstance(v, float) for v in vals):
        d = _dt.get_default_dtype()
    else:
        d = _dt.int64
    dev = resolve_device(device)
    check_supported(d, dev, "arange")
    n = max(math.ceil((end - start) / step), 0)
    return _finish(run(ARANGE, dev, (start, end, step, d, dev.index), (n,), d), requires_grad)


@public
def linspace(
    start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    idx = arange(steps, dtype=_dt.float64 if d is _dt.float64 else _dt.float32, device=device)
    if steps == 1:
        out = idx * 0 + start
    else:
        step = (end - start) / (steps - 1)
        half = steps // 2
        # like PyTorch: fill the first half from `start`, the second from `end`, so both ends are exact
        lo = idx * step + start
        hi = end - (steps - 1 - idx) * step
        from .elementwise import where

        out = where(idx < half, lo, hi)
    return _finish(out.to(d), requires_grad)


@public
def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The `n` x `m` identity matrix."""
    m = n if m is None else m
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    rows = arange(n, device=device).unsqueeze(1)
    cols = arange(m, device=device).unsqueeze(0)
    return _finish((rows == cols).to(d), requires_grad)

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


def size_arg(size: tuple[Any, ...], op: str, keyword: Any = None) -> tuple[int, ...]:
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(size=(2, 3))` (the `keyword`) all mean shape (2, 3)."""
    if keyword is not None:
        if size:
            raise TypeError(f"{op}: give the size either positionally or as size=, not both")
        size = (keyword,)
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


def _full(shape: tuple[int, ...], value: Any, dtype: DType, device: Device, op: str = "full") -> Tensor:
    check_supported(dtype, device, op)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > _MAX_BYTES:
        raise RuntimeError(f"{op}: storage size calculation overflowed with sizes={list(shape)} ({dtype.name})")
    try:
        return run(FULL, device, (shape, value, dtype, device.index), shape, dtype)
    except Exception as exc:
        if nbytes < _BIG:
            raise
        # the allocator's own words (NumPy's MemoryError, pyopencl's INVALID_BUFFER_SIZE, ...), with the op
        raise RuntimeError(
            f"{op}: cannot allocate {nbytes} bytes ({nbytes / 2**30:.1f} GiB) for a tensor of size {list(shape)} "
            f"and dtype {dtype.name} on {device}: {type(exc).__name__}: {exc}"
        ) from exc


#: Sizes past int64 bytes are refused up front (PyTorch's "storage size calculation overflowed"); a failed
#: allocation of at least _BIG bytes is reported with the op, the size and the device.
_MAX_BYTES, _BIG = 2**63 - 1, 2**30


@public
def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (dtype inferred from it, like PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.scalar_dtype(fill_value)
    fill_value = fill_value_for(fill_value, d, "full")
    return _finish(_full(size_arg((size,), "full"), fill_value, d, resolve_device(device)), requires_grad)


def fill_value_for(value: Any, d: DType, op: str) -> Any:
    """`value` checked against the integer dtype `d` (PyTorch's overflow rule: nan, inf and values out of
    range raise), truncated to an int, and a negative int wrapped into an unsigned dtype as a C cast does
    (-1 in uint8 is 255). Every value comes back as the Python type of `d`'s kind (2.5 for bool is True),
    which every backend's fill kernel takes."""
    if isinstance(value, complex) and d.kind != "c":  # 1j for float32 raises; 1+0j is 1.0 (c10's rule)
        if not _dt.value_fits(value, d):
            raise _dt.overflow_error(value, d, op)
        value = value.real
    if d.kind == "b":
        return bool(value)
    if d.kind == "f" and not isinstance(value, complex):
        return float(value)
    if d.kind == "i":
        if not _dt.value_fits(value, d):
            raise _dt.overflow_error(value, d, op)
        value = int(value)  # 3.7 -> 3, toward zero as a C cast (and an int for every backend's kernel argument)
        if not d.is_signed and value < 0:
            value = int(value) + (1 << (8 * d.itemsize))
    return value


def _filled(
    sizes: tuple[Any, ...], size: Any, value: Any, dtype: Any, device: Any, requires_grad: bool, op: str
) -> Tensor:
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    return _finish(_full(size_arg(sizes, op, size), value, d, resolve_device(device), op), requires_grad)


@public
def zeros(
    *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros of the given size (default dtype unless `dtype` is given)."""
    return _filled(sizes, size, 0, dtype, device, requires_grad, "zeros")


@public
def ones(
    *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones of the given size (default dtype unless `dtype` is given)."""
    return _filled(sizes, size, 1, dtype, device, requires_grad, "ones")


@public
def empty(
    *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Like `zeros` (Ember does not hand out uninitialised memory)."""
    return _filled(sizes, size, 0, dtype, device, requires_grad, "empty")


def _like(x: Tensor, value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    d = _dt.as_dtype(dtype) if dtype is not None else x._dtype
    dev = resolve_device(device) if device is not None else x._device
    return _finish(_full(x._shape, fill_value_for(value, d, "full_like"), d, dev), requires_grad)


@public
def full_like(
    x: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
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
    start: Any = None,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from `start` to `end` (excluded) by `step`; int64 unless a bound is a float."""
    if start is None and end is None:
        raise TypeError("arange: missing the end (arange(end), arange(start, end[, step]) or arange(end=...))")
    if end is None:
        start, end = 0, start
    elif start is None:  # arange(end=3)
        start = 0
    vals = [v.item() if isinstance(v, Tensor) or hasattr(v, "dtype") and hasattr(v, "item") else v for v in (start, end, step)]
    start, end, step = vals
    for v in vals:
        if type(v) is int:
            _dt.check_scalar_int(v, "arange")
    if not all(math.isfinite(v) for v in vals if not isinstance(v, int)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} by {step} (bounds and step must be finite)")
    if dtype is not None:
        d = _dt.as_dtype(dtype)
    elif any(isinstance(v, float) for v in vals):
        d = _dt.get_default_dtype()
    else:
        d = _dt.int64
    if d is _dt.bool_:
        raise RuntimeError("arange: not implemented for bool (as in PyTorch); make an integer range and compare it")
    if d.kind == "i":  # PyTorch casts the bounds and the step to the integer dtype first: arange(-2.5, 2.5) is -2..1
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and step are inconsistent (start={start}, end={end}, step={step})")
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
    if dtype is None and any(isinstance(v, complex) or (isinstance(v, Tensor) and v._dtype.is_complex) for v in (start, end)):
        # complex ends give the default complex dtype, as in PyTorch
        dtype = _dt.get_default_dtype().to_complex()
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if d.is_complex:  # the real and imaginary parts each evenly spaced
        from .complex_numbers import complex as _complex

        lo, hi = (complex(v.item() if isinstance(v, Tensor) else v) for v in (start, end))
        re = linspace(lo.real, hi.real, steps, dtype=d.to_real(), device=device)
        im = linspace(lo.imag, hi.imag, steps, dtype=d.to_real(), device=device)
        return _finish(_complex(re, im), requires_grad)
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
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {v}")
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    rows = arange(n, device=device).unsqueeze(1)
    cols = arange(m, device=device).unsqueeze(0)
    return _finish((rows == cols).to(d), requires_grad)


@public
def asarray(
    obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None, requires_grad: bool = False
) -> Tensor:
    """`obj` (a tensor, NumPy array, buffer, sequence or number) as a tensor, sharing memory where it can.

    `copy=True` always copies; `copy=False` raises ValueError when a copy would be needed.
    """
    from ..tensor import as_tensor, tensor

    d = _dt.as_dtype(dtype) if dtype is not None else None
    if isinstance(obj, Tensor):
        dev = resolve_device(device) if device is not None else obj._device
        same = (d is None or d is obj._dtype) and dev == obj._device
        if copy is False and not same:
            raise ValueError(
                f"asarray: copy=False but converting {obj._dtype.name} on {obj._device} to "
                f"{(d or obj._dtype).name} on {dev} needs a copy"
            )
        out = obj.to(device=dev, dtype=d) if not same else obj
        if copy and out is obj:
            out = obj.clone().detach() if not obj._requires_grad else obj.clone()
    elif copy:
        out = tensor(obj, dtype=d, device=device)
    else:
        if copy is False and not hasattr(obj, "__array_interface__") and not hasattr(obj, "__array__"):
            raise ValueError(f"asarray: copy=False but a {type(obj).__name__} cannot be shared without a copy")
        out = as_tensor(obj, dtype=d, device=device)
    return _finish(out, requires_grad) if requires_grad else out


@public
def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-D "cpu" tensor of `count` elements (-1: all) of `dtype` read from an object with the buffer protocol."""
    import numpy as np

    from ..tensor import as_tensor

    d = _dt.as_dtype(dtype)
    nbytes = memoryview(buffer).nbytes
    if offset < 0 or offset > nbytes or (nbytes and offset == nbytes):
        raise ValueError(
            f"frombuffer: both buffer length ({nbytes}) and offset ({offset}) must be positive, offset < length"
        )
    if count == 0 or (count < 0 and (nbytes - offset) % d.itemsize):
        raise ValueError(
            f"frombuffer: buffer length ({nbytes - offset} bytes after offset {offset}) must be a multiple of the "
            f"element size ({d.itemsize}) and count ({count}) must not be 0"
        )
    if count > 0 and count * d.itemsize > nbytes - offset:
        raise ValueError(
            f"frombuffer: requested {count} elements of {d.itemsize} bytes, but only {nbytes - offset} bytes"
        )
    arr = np.frombuffer(buffer, dtype=d.numpy, count=count, offset=offset)
    return _finish(as_tensor(arr, device="cpu"), requires_grad)


@public
def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`steps` values from base**start to base**end, evenly spaced in the exponent."""
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if not d.is_floating_point and not d.is_complex:
        # PyTorch computes base ** exponent in double and casts it, truncating: logspace(0, 2, 5) is 31, not 32
        import numpy as np

        from ..tensor import tensor

        host = linspace(start, end, steps, dtype=_dt.float64, device="cpu").numpy()
        vals = np.trunc(float(base) ** host)
        return _finish(tensor(vals, device=device).to(d), requires_grad)
    work = _dt.float64 if d is _dt.float64 else _dt.float32
    exps = linspace(start, end, steps, dtype=work, device=device)
    out = float(base) ** exps
    return _finish(out.to(d), requires_grad)


def _tri_indices(op: str, row: int, col: int, offset: int, dtype: Any, device: Any, upper: bool) -> Tensor:
    import numpy as np

    from ..tensor import tensor

    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row ({row}) and col ({col}) must be non-negative")
    d = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    if d not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"{op}: dtype must be int64 or int32, got {d.name}")
    r, c = np.triu_indices(row, offset, col) if upper else np.tril_indices(row, offset, col)
    return tensor(np.stack([r, c]).astype(d.numpy).reshape(2, -1), device=device)


@public
def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None) -> Tensor:
    """The (2, N) coordinates of the lower triangle (col - row <= offset) of a row x col matrix, row by row."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, upper=False)


@public
def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None) -> Tensor:
    """The (2, N) coordinates of the upper triangle (col - row >= offset) of a row x col matrix, row by row."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, upper=True)

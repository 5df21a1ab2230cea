"""`ember.fft`'s real-valued helpers: sample frequencies and the shifts that center them.

The transforms themselves (`fft`, `rfft`, ...) produce complex tensors, and Ember has no complex
dtypes yet; docs/pytorch-coverage.md lists them with that reason.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..autograd.grad_mode import no_grad
from ..dispatch import public
from ..tensor import Tensor
from .creation import arange
from .elementwise import where
from .movement import roll


def _frequencies(op: str, n: Any, real: bool, d: float, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """The frequency indices (n//2 + 1 of them for a real FFT, else n with the upper half wrapped to
    negative frequencies) in `dtype` (the default float dtype if None), divided by d*n."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise RuntimeError(f"{op}: n must be a non-negative integer, got {n!r}")
    count = n // 2 + 1 if real else n
    dt = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"{op}: requires a floating point dtype, got {dt}")
    k = arange(count, device=device)
    k = k if real else where(k < (n + 1) // 2, k, k - n)
    with no_grad():
        out = k.to(dtype=dt) / (d * n)
    return out.requires_grad_() if requires_grad else out


@public(namespace="fft")
def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an n-point FFT with spacing `d`: [0, 1, ..., -(n//2), ..., -1] / (d*n)."""
    return _frequencies("fft.fftfreq", n, False, d, dtype, device, requires_grad)


@public(namespace="fft")
def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an n-point real FFT with spacing `d`: [0, 1, ..., n//2] / (d*n)."""
    return _frequencies("fft.rfftfreq", n, True, d, dtype, device, requires_grad)


def _dims(input: Tensor, dim: Any) -> tuple[int, ...]:  # noqa: A002
    if dim is None:
        return tuple(range(input.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


@public(namespace="fft")
def fftshift(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """Move the zero-frequency term to the center: roll each of `dim` (all by default) by size // 2."""
    dims = _dims(input, dim)
    if not dims:
        return input.clone()
    return roll(input, tuple(input.shape[d] // 2 for d in dims), dims)


@public(namespace="fft")
def ifftshift(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """The inverse of `fftshift`: roll each of `dim` (all by default) by -(size // 2)."""
    dims = _dims(input, dim)
    if not dims:
        return input.clone()
    return roll(input, tuple(-(input.shape[d] // 2) for d in dims), dims)

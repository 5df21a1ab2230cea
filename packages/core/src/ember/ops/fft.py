"""`ember.fft`, as torch.fft: the discrete Fourier transforms, sample frequencies and the shifts that center them.

Every transform runs on one of three primitives, as in PyTorch (`_fft_c2c`, `_fft_r2c`, `_fft_c2r`): complex to
complex, real to the one-sided half of its spectrum, and that half back to real, each over a tuple of dims with a
scaling mode (`NORMALIZATION`). Core validates the arguments, promotes the dtype (integers to the default float
dtype; float32 <-> complex64, float64 <-> complex128) and pads or trims the input to the transform's sizes with
ember ops, so the kernels see exact sizes and autograd sees the padding. The kernels (`ember.xp_kernels`) are
`xp.fft`'s, for NumPy and CuPy alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..autograd.grad_mode import no_grad
from ..dispatch import primitive, public
from ..tensor import Tensor, tensor
from ._run import check_supported, describe, run, to_tensor, wrap_dim
from .complex_numbers import conj, real
from .creation import arange, zeros
from .elementwise import where, with_out
from .movement import cat, narrow, roll

#: the scaling modes of the primitives: none, 1/sqrt(n) or 1/n (n the product of the transformed sizes)
NORMALIZATION = {0: "none", 1: "1/sqrt(n)", 2: "1/n"}


def _c2c_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    dims, norm, forward = n.args  # the adjoint of a scaled DFT is the same scaling of the other direction
    return (_c2c(_complex_grad(g, n.meta[0][1]), dims, norm, not forward),)


def _r2c_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    dims, norm = n.args  # the dropped half of the spectrum has no gradient: pad it with zeros, then c2c's adjoint
    shape = n.meta[0][0]
    g = _complex_grad(g, n.meta[0][1].to_complex())
    last = dims[-1]
    missing = shape[last] - g._shape[last]
    if missing > 0:
        g = cat((g, zeros(*g._shape[:last], missing, *g._shape[last + 1 :], dtype=g._dtype, device=g._device)), last)
    return (real(_c2c(g, dims, norm, False)),)


def _c2r_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    dims, norm, size = n.args  # PyTorch's fft_c2r_backward: r2c of g, the bins that stand for two counted twice
    gi = _r2c(g, dims, norm)
    last = dims[-1]
    double = size - gi._shape[last]
    if double > 0:
        w = np.ones(gi._shape[last], dtype=gi._dtype.to_real().numpy)
        w[1 : 1 + double] = 2
        weight = tensor(w, device=gi._device)
        gi = gi * weight.reshape(w.shape + (1,) * (gi.ndim - 1 - last))
    return (gi,)


def _complex_grad(g: Tensor, dtype: _dt.DType) -> Tensor:
    return g if g._dtype is dtype else g.to(dtype)


def _fft_op(name: str, signature: str, doc: str, vjp: Any) -> Any:
    op = primitive(name, signature, doc, family="fft", vjp=vjp)
    op.complex = "only"
    return op


FFT_C2C = _fft_op(
    "fft_c2c", "fft_c2c(x: complex array, dims: tuple[int, ...], normalization: int, forward: bool) -> complex array",
    "The n-dimensional DFT over `dims` (exp(-2 pi i jk/n) when forward, exp(+2 pi i jk/n) when not), scaled by "
    "`normalization` (0: none, 1: 1/sqrt(n), 2: 1/n, n the product of the sizes of `dims`), in x's dtype.",
    _c2c_vjp,
)  # fmt: skip
FFT_R2C = _fft_op(
    "fft_r2c", "fft_r2c(x: real array, dims: tuple[int, ...], normalization: int) -> complex array",
    "The forward DFT of a real array over `dims` (scaled as fft_c2c), only its first n//2 + 1 bins along the last "
    "of `dims` (the rest are their conjugates); float32 gives complex64, float64 complex128.",
    _r2c_vjp,
)  # fmt: skip
FFT_C2R = _fft_op(
    "fft_c2r",
    "fft_c2r(x: complex array, dims: tuple[int, ...], normalization: int, last_dim_size: int) -> real array",
    "The inverse DFT over `dims` of the one-sided half of a Hermitian spectrum (x holds last_dim_size // 2 + 1 "
    "bins along the last of `dims`), scaled as fft_c2c: a real array with last_dim_size points along that dim, "
    "in the dtype of x's parts. The imaginary parts of the bins that must be real are ignored.",
    _c2r_vjp,
)  # fmt: skip


def _c2c(x: Tensor, dims: tuple[int, ...], norm: int, forward: bool) -> Tensor:
    return run(FFT_C2C, x._device, (x._data, dims, norm, forward), x._shape, x._dtype, (x,), (dims, norm, forward))


def _r2c(x: Tensor, dims: tuple[int, ...], norm: int) -> Tensor:
    shape = list(x._shape)
    shape[dims[-1]] = shape[dims[-1]] // 2 + 1
    return run(FFT_R2C, x._device, (x._data, dims, norm), tuple(shape), x._dtype.to_complex(), (x,), (dims, norm))


def _c2r(x: Tensor, dims: tuple[int, ...], norm: int, size: int) -> Tensor:
    shape = list(x._shape)
    shape[dims[-1]] = size
    dt = x._dtype.to_real()
    return run(FFT_C2R, x._device, (x._data, dims, norm, size), tuple(shape), dt, (x,), (dims, norm, size))


# --------------------------------------------------------------------------- arguments


def _norm_mode(op: str, norm: str | None, forward: bool) -> int:
    """PyTorch's `norm` for a transform of direction `forward` as a scaling mode (`NORMALIZATION`)."""
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "ortho":
        return 1
    if norm == "forward":
        return 2 if forward else 0
    raise RuntimeError(f'{op}: invalid normalization mode: "{norm}"; expected "backward" (the default), "ortho" or "forward"')


def _input(op: str, input: Any, kind: str) -> Tensor:  # noqa: A002
    """`input` in the dtype the transform takes: kind "c" complex (a real input becomes complex), "r" real
    (complex refused), "any" floating or complex; integers and bools first become the default float dtype."""
    x = to_tensor(input, op)
    dt = x._dtype
    if dt.kind in "bi":
        x, dt = x.to(_dt.get_default_dtype()), _dt.get_default_dtype()
    if dt.kind == "f" and dt not in (_dt.float32, _dt.float64):
        raise RuntimeError(
            f"{op}: unsupported dtype {dt.name} ({describe(x)}); the transforms take float32, float64, complex64 "
            f"and complex128: cast with .float() first"
        )
    if dt.is_complex and kind == "r":
        raise RuntimeError(f"{op} expects a real input tensor, but got {describe(x)}; take x.real or x.abs() first")
    check_supported(dt.to_complex(), x._device, op)
    if kind == "c" and not dt.is_complex:
        x = x.to(dt.to_complex())
    return x


def _dims_sizes(op: str, x: Tensor, s: Any, dim: Any, default_dims: tuple[int, ...] | None, none_ok: bool = False) -> tuple[tuple[int, ...], list[int | None]]:
    """The transform's dims (wrapped, unique) and the sizes `s` asks for along them (None: as the input is).
    No dims at all is an error unless `none_ok` (the complex-to-complex transforms, which then copy, as PyTorch)."""
    if isinstance(s, int):
        s = (s,)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if s is not None:
            dim = tuple(range(x.ndim - len(s), x.ndim))
        else:
            dim = default_dims if default_dims is not None else tuple(range(x.ndim))
    if x.ndim == 0 and dim:
        raise IndexError(f"{op}: the input must have at least one dimension, got {describe(x)}")
    dims = tuple(wrap_dim(d, x.ndim, op) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: FFT dims must be unique, got dim={tuple(dim)}")
    if not dims and not none_ok:
        raise RuntimeError(f"{op}: at least one dim must be transformed, got dim={tuple(dim)}")
    if s is not None and len(s) != len(dims):
        raise RuntimeError(
            f"{op}: when given, dim and shape arguments must have the same length, got s={tuple(s)} and dim={tuple(dim)}"
        )
    sizes: list[int | None] = [None] * len(dims)
    for i, n in enumerate(s if s is not None else ()):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"{op}: sizes must be ints, got {n!r}")
        if n == -1:
            continue
        if n < 1:
            raise RuntimeError(f"{op}: invalid number of data points ({n}) specified")
        sizes[i] = n
    for d, n in zip(dims, sizes):
        if n is None and x._shape[d] == 0:
            raise RuntimeError(
                f"{op}: invalid number of data points (0) specified: dim {d} of {describe(x)} is empty; give "
                f"n (or s) to zero-pad it"
            )
    return dims, sizes


def _resize(x: Tensor, dims: Sequence[int], sizes: Sequence[int | None]) -> Tensor:
    """`x` trimmed or zero-padded at the end of each of `dims` to its size (None: unchanged)."""
    for d, n in zip(dims, sizes):
        have = x._shape[d]
        if n is None or n == have:
            continue
        if n < have:
            x = narrow(x, d, 0, n)
        else:
            pad = zeros(*x._shape[:d], n - have, *x._shape[d + 1 :], dtype=x._dtype, device=x._device)
            x = cat((x, pad), d)
    return x


def _c2c_front(op: str, input: Any, s: Any, dim: Any, norm: str | None, forward: bool, default: Any) -> Tensor:  # noqa: A002
    x = _input(op, input, "c")
    dims, sizes = _dims_sizes(op, x, s, dim, default, none_ok=True)
    if not dims:  # nothing to transform: PyTorch returns the complex input, as a new tensor
        return x.clone()
    return _c2c(_resize(x, dims, sizes), dims, _norm_mode(op, norm, forward), forward)


def _r2c_front(op: str, input: Any, s: Any, dim: Any, norm: str | None, forward: bool, default: Any) -> Tensor:  # noqa: A002
    x = _input(op, input, "r")
    dims, sizes = _dims_sizes(op, x, s, dim, default)
    out = _r2c(_resize(x, dims, sizes), dims, _norm_mode(op, norm, forward))
    return out if forward else conj(out)  # ihfft: the conjugate of the scaled forward half-spectrum


def _c2r_front(op: str, input: Any, s: Any, dim: Any, norm: str | None, forward: bool, default: Any) -> Tensor:  # noqa: A002
    x = _input(op, input, "c")
    dims, sizes = _dims_sizes(op, x, s, dim, default)
    last = sizes[-1] if sizes[-1] is not None else 2 * (x._shape[dims[-1]] - 1)
    if last < 1:
        raise RuntimeError(
            f"{op}: invalid number of data points ({last}) specified: the output length along dim {dims[-1]} "
            f"defaults to 2 * (input size - 1); give n (or s) for an input of size {x._shape[dims[-1]]}"
        )
    x = _resize(x, dims, [*sizes[:-1], last // 2 + 1])
    if forward:  # hfft: the forward transform of a Hermitian signal is c2r of its conjugate
        x = conj(x)
    return _c2r(x, dims, _norm_mode(op, norm, forward), last)


# --------------------------------------------------------------------------- the transforms


@public(namespace="fft")
@with_out
def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    """The one-dimensional discrete Fourier transform along `dim`, the input trimmed or zero-padded to `n` points.
    `norm`: "backward" (no scaling, the default), "ortho" (1/sqrt(n)) or "forward" (1/n). Real inputs give complex64
    (float32) or complex128 (float64); integers compute in the default float dtype."""
    return _c2c_front("fft.fft", input, None if n is None else (n,), (dim,), norm, True, None)


@public(namespace="fft")
@with_out
def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    """The one-dimensional inverse discrete Fourier transform along `dim` (`norm` "backward" scales by 1/n)."""
    return _c2c_front("fft.ifft", input, None if n is None else (n,), (dim,), norm, False, None)


@public(namespace="fft")
@with_out
def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    """The Fourier transform of a real signal along `dim`: its n//2 + 1 non-negative frequency bins."""
    return _r2c_front("fft.rfft", input, None if n is None else (n,), (dim,), norm, True, None)


@public(namespace="fft")
@with_out
def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of `rfft`: a real signal of `n` points (default 2 * (input size - 1)) from its one-sided
    spectrum along `dim`."""
    return _c2r_front("fft.irfft", input, None if n is None else (n,), (dim,), norm, False, None)


@public(namespace="fft")
@with_out
def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    """The Fourier transform of a Hermitian-symmetric signal given by its one-sided half along `dim`: a real
    result of `n` points (default 2 * (input size - 1))."""
    return _c2r_front("fft.hfft", input, None if n is None else (n,), (dim,), norm, True, None)


@public(namespace="fft")
@with_out
def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of `hfft`: the one-sided half (n//2 + 1 bins) of the inverse transform of a real signal."""
    return _r2c_front("fft.ihfft", input, None if n is None else (n,), (dim,), norm, False, None)


_LAST2 = (-2, -1)


@public(namespace="fft")
@with_out
def fft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = _LAST2, norm: str | None = None) -> Tensor:  # noqa: A002
    """The two-dimensional discrete Fourier transform over `dim` (the last two by default); `s` the sizes."""
    return _c2c_front("fft.fft2", input, s, dim, norm, True, None)


@public(namespace="fft")
@with_out
def ifft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = _LAST2, norm: str | None = None) -> Tensor:  # noqa: A002
    """The two-dimensional inverse discrete Fourier transform over `dim`."""
    return _c2c_front("fft.ifft2", input, s, dim, norm, False, None)


@public(namespace="fft")
@with_out
def rfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = _LAST2, norm: str | None = None) -> Tensor:  # noqa: A002
    """The two-dimensional Fourier transform of a real signal, one-sided along the last of `dim`."""
    return _r2c_front("fft.rfft2", input, s, dim, norm, True, None)


@public(namespace="fft")
@with_out
def irfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = _LAST2, norm: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of `rfft2`: a real signal from its spectrum, one-sided along the last of `dim`."""
    return _c2r_front("fft.irfft2", input, s, dim, norm, False, None)


@public(namespace="fft")
@with_out
def fftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None, norm: str | None = None) -> Tensor:  # noqa: A002
    """The n-dimensional discrete Fourier transform over `dim` (all dims, or the last len(s), by default)."""
    return _c2c_front("fft.fftn", input, s, dim, norm, True, None)


@public(namespace="fft")
@with_out
def ifftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None, norm: str | None = None) -> Tensor:  # noqa: A002
    """The n-dimensional inverse discrete Fourier transform over `dim`."""
    return _c2c_front("fft.ifftn", input, s, dim, norm, False, None)


@public(namespace="fft")
@with_out
def rfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None, norm: str | None = None) -> Tensor:  # noqa: A002
    """The n-dimensional Fourier transform of a real signal, one-sided along the last of `dim`."""
    return _r2c_front("fft.rfftn", input, s, dim, norm, True, None)


@public(namespace="fft")
@with_out
def irfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None, norm: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of `rfftn`: a real signal from its spectrum, one-sided along the last of `dim`."""
    return _c2r_front("fft.irfftn", input, s, dim, norm, False, None)


@public(namespace="fft")
@with_out
def hfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = _LAST2, norm: str | None = None) -> Tensor:  # noqa: A002
    """The two-dimensional Fourier transform of a Hermitian-symmetric signal given by its one-sided half along
    the last of `dim`: a real result."""
    return _c2r_front("fft.hfft2", input, s, dim, norm, True, None)


@public(namespace="fft")
@with_out
def ihfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = _LAST2, norm: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of `hfft2`: the two-dimensional inverse transform of a real signal, one-sided along the last of
    `dim`."""
    return _r2c_front("fft.ihfft2", input, s, dim, norm, False, None)


@public(namespace="fft")
@with_out
def hfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None, norm: str | None = None) -> Tensor:  # noqa: A002
    """The n-dimensional Fourier transform of a Hermitian-symmetric signal given by its one-sided half along the
    last of `dim`: a real result."""
    return _c2r_front("fft.hfftn", input, s, dim, norm, True, None)


@public(namespace="fft")
@with_out
def ihfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None, norm: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of `hfftn`: the n-dimensional inverse transform of a real signal, one-sided along the last of
    `dim`."""
    return _r2c_front("fft.ihfftn", input, s, dim, norm, False, None)


# --------------------------------------------------------------------------- frequencies and shifts


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

"""`repr(tensor)` in PyTorch's style: `tensor([7., 9.])`, `tensor(3.5000, requires_grad=True)`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes as _dt

if TYPE_CHECKING:
    from .tensor import Tensor

_PREFIX = "tensor("

#: PyTorch's print profiles: (precision, threshold, edgeitems, linewidth)
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, sys.maxsize, 3, 80)}


class _Options:
    precision, threshold, edgeitems, linewidth = _PROFILES["default"]
    sci_mode: bool | None = None


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """How tensors print, as `torch.set_printoptions`: digits after the point, the element count past
    which only `edgeitems` per edge are shown, the line width, a profile ("default", "short", "full") applied
    first, and `sci_mode` (True/False forces scientific notation on or off; None decides per tensor)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of {sorted(_PROFILES)}")
        _Options.precision, _Options.threshold, _Options.edgeitems, _Options.linewidth = _PROFILES[profile]
    if precision is not None:
        _Options.precision = int(precision)
    if threshold is not None:
        _Options.threshold = sys.maxsize if threshold == float("inf") else int(threshold)
    if edgeitems is not None:
        _Options.edgeitems = int(edgeitems)
    if linewidth is not None:
        _Options.linewidth = int(linewidth)
    _Options.sci_mode = sci_mode


def _float_format(a: np.ndarray) -> Callable[[Any], str] | None:
    """How `a`'s floats print; None (no finite value) leaves it to NumPy with 4 digits."""
    finite = a[np.isfinite(a)].astype(np.float64)
    if finite.size == 0:
        return None
    nonzero = np.abs(finite[finite != 0])
    amax = nonzero.max() if nonzero.size else 0.0
    amin = nonzero.min() if nonzero.size else 0.0
    # PyTorch's rule: scientific when the largest is >= 1e8, the smallest < 1e-4, or their ratio > 1000
    sci = nonzero.size and (amax >= 1e8 or amin < 1e-4 or amax / amin > 1e3)
    if _Options.sci_mode is not None:
        sci = _Options.sci_mode
    p = _Options.precision
    if sci:
        return lambda v: f"{v:.{p}e}"
    if np.all(finite == np.round(finite)):
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    return lambda v: f"{v:.{p}f}" if np.isfinite(v) else str(v)


def _complex_format(a: np.ndarray) -> Callable[[Any], str]:
    """How `a`'s complex numbers print, as PyTorch: real and imaginary parts each formatted by the rule
    for floats over all the real (imaginary) parts, joined as `1.5000+2.j`."""
    re_fmt = _float_format(a.real) or (lambda v: str(v))
    im_fmt = _float_format(a.imag) or (lambda v: str(v))

    def fmt(v: Any) -> str:
        im = v.imag
        sign = "-" if im < 0 or (im == 0 and np.signbit(im)) else "+"
        return f"{re_fmt(v.real)}{sign}{im_fmt(abs(im))}j"

    return fmt


def format_tensor(t: Tensor) -> str:
    a = np.asarray(t.numpy(force=True))
    if t.dtype.is_floating_point and a.dtype != np.float64 and a.dtype != np.float32:
        a = a.astype(np.float32)  # float16 and bfloat16 print like float32
    if a.dtype.kind == "c":
        body = np.array2string(
            a, separator=", ", prefix=_PREFIX, threshold=_Options.threshold, edgeitems=_Options.edgeitems,
            max_line_width=_Options.linewidth, formatter={"complex_kind": _complex_format(a)},
        )  # fmt: skip
        return _finish(t, a, body)
    float_format = _float_format(a) if a.dtype.kind == "f" else None
    numpy_floats = a.dtype.kind == "f" and float_format is None  # no finite value: NumPy's style, 4 digits
    body = np.array2string(
        a,
        separator=", ",
        prefix=_PREFIX,
        threshold=_Options.threshold,
        edgeitems=_Options.edgeitems,
        max_line_width=_Options.linewidth,
        formatter=(
            {"bool": lambda v: "True" if v else "False"}
            if a.dtype == np.bool_
            else {"float_kind": float_format} if float_format is not None else None
        ),
        precision=_Options.precision if numpy_floats else None,
        floatmode="maxprec_equal" if numpy_floats else None,
    )
    return _finish(t, a, body)


def _finish(t: Tensor, a: np.ndarray, body: str) -> str:
    """`tensor(<body>, <device, dtype, size, grad>)`: what the body does not say."""
    if a.size == 0:
        body = "[]" if a.ndim == 1 else body
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    default = _dt.get_default_dtype()
    implied = {default, default.to_complex(), _dt.int64, _dt.bool_}
    if t.dtype not in implied or a.size == 0 and t.dtype is not default:
        extras.append(f"dtype=ember.{t.dtype.name}")
    if a.size == 0 and a.ndim != 1:
        extras.append(f"size={tuple(t.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return _PREFIX + body + "".join(", " + e for e in extras) + ")"

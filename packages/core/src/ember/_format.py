"""`repr(tensor)` in PyTorch's style: `tensor([7., 9.])`, `tensor(3.5000, requires_grad=True)`."""

from __future__ import annotations

import math
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


class _Formatter:
    """One element's text, padded to the widest: PyTorch's rule (`torch._tensor_str._Formatter`). Floats print
    as integers with a point (`7.`) when all are whole, in scientific notation when the nonzero finite magnitudes
    span more than 1000x, exceed 1e8 or (not whole) go below 1e-4, else with `precision` digits; the width is
    the widest of the nonzero finite values (or of all values, for integers and bools)."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = _Options.precision
        if not self.floating:
            self.width = max((len(str(v)) for v in a.ravel().tolist()), default=1)
            return
        flat = a.ravel().astype(np.float64)
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size:
            mags = np.abs(vals)
            lo, hi = mags.min(), mags.max()
            self.int_mode = bool(np.all(vals == np.ceil(vals)))
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4))
            if _Options.sci_mode is not None:
                self.sci_mode = _Options.sci_mode
            if self.sci_mode:
                texts = [f"{v:.{p}e}" for v in vals.tolist()]
            elif self.int_mode:
                texts = [f"{v:.0f}." for v in vals.tolist()]
            else:
                texts = [f"{v:.{p}f}" for v in vals.tolist()]
            self.width = max(len(t) for t in texts)
        if _Options.sci_mode is not None:
            self.sci_mode = _Options.sci_mode

    def __call__(self, v: Any) -> str:
        p = _Options.precision
        if not self.floating:
            text = str(v)
        elif self.sci_mode:
            text = f"{v:{self.width}.{p}e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            text = f"{v:.{p}f}"
        return text.rjust(self.width)


def _element(re: _Formatter, im: _Formatter | None) -> Callable[[Any], str]:
    """How one element prints: complex numbers as the real part (padded) then the imaginary one (not padded)."""
    if im is None:
        return re

    def fmt(v: Any) -> str:
        imag = (im(v.imag) + "j").lstrip()
        return re(v.real) + (imag if imag[0] in "+-" else "+" + imag)

    return fmt


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (`edgeitems` at each end of each dim), as one array."""
    e = _Options.edgeitems
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * e:
        a = np.concatenate((a[:e], a[a.shape[0] - e :]))
    if a.ndim == 1:
        return a
    return np.stack([_summarized(x) for x in a]) if len(a) else a


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: Callable[[Any], str], width: int) -> str:
    """PyTorch's `_tensor_str_with_formatter`: nested brackets, `...` for the hidden middle, a fixed number of
    elements per line (as many of `width` + 2 characters as fit the line width)."""
    e = _Options.edgeitems
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        per_line = max(1, (_Options.linewidth - indent) // (width + 2))
        if summarize and not e:
            data = ["..."]
        elif summarize and len(a) > 2 * e:
            data = [fmt(v) for v in a[:e].tolist()] + [" ..."] + [fmt(v) for v in a[len(a) - e :].tolist()]
        else:
            data = [fmt(v) for v in a.tolist()]
        lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * e:
        rows = [_body(a[i], indent + 1, summarize, fmt, width) for i in range(e)] + ["..."]
        rows += [_body(a[i], indent + 1, summarize, fmt, width) for i in range(a.shape[0] - e, a.shape[0])]
    else:
        rows = [_body(x, indent + 1, summarize, fmt, width) for x in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_tensor(t: Tensor) -> str:
    a = np.asarray(t.numpy(force=True))
    if t.dtype.is_floating_point and a.dtype != np.float64 and a.dtype != np.float32:
        a = a.astype(np.float32)  # float16 and bfloat16 print like float32
    if a.size == 0:
        return _finish(t, a, "[]")
    summarize = a.size > _Options.threshold
    shown = _summarized(a) if summarize else a
    if a.dtype.kind == "c":
        re, im = _Formatter(shown.real), _Formatter(shown.imag)
        fmt, width = _element(re, im), re.width + im.width + 1  # and the "j"
    else:
        fmt = re = _Formatter(shown)
        width = re.width
    return _finish(t, a, _body(a, len(_PREFIX), summarize, fmt, width))


def _finish(t: Tensor, a: np.ndarray, body: str) -> str:
    """`tensor(<body>, <device, dtype, size, grad>)`: what the body does not say; a suffix that would pass the
    line width starts a new line, as PyTorch's."""
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    default = _dt.get_default_dtype()
    implied = {default, default.to_complex(), _dt.int64, _dt.bool_}
    if a.size == 0 and a.ndim != 1:
        extras.append(f"size={tuple(t.shape)}")
    if t.dtype not in implied or a.size == 0 and t.dtype is not default:
        extras.append(f"dtype=ember.{t.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    out = [_PREFIX + body]
    line = len(out[0]) - out[0].rfind("\n") + 1
    for extra in extras:
        if line + len(extra) + 2 > _Options.linewidth:
            out.append(",\n" + " " * len(_PREFIX) + extra)
            line = len(_PREFIX) + len(extra)
        else:
            out.append(", " + extra)
            line += len(extra) + 2
    return "".join(out) + ")"

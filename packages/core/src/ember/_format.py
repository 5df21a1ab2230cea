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
    """PyTorch's element formatter: one width, and one style (integral floats as `3.`, fixed point, or
    scientific), chosen over all the values that will print, so the columns line up right-justified."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        p = _Options.precision
        if not self.floating:
            for v in values.reshape(-1).tolist():
                self.max_width = max(self.max_width, len(str(v)))
        else:
            flat = values.reshape(-1).astype(np.float64)
            vals = flat[np.isfinite(flat) & (flat != 0)]
            if vals.size:
                absv = np.abs(vals)
                lo, hi = absv.min(), absv.max()
                self.int_mode = bool(np.all(vals == np.ceil(vals)))
                # PyTorch's rule: scientific past a ratio of 1000, above 1e8 or below 1e-4, unless set
                rule = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
                self.sci_mode = rule if _Options.sci_mode is None else bool(_Options.sci_mode)
                if self.sci_mode:
                    widths = [len(f"{v:.{p}e}") for v in vals.tolist()]
                elif self.int_mode:
                    widths = [len(f"{v:.0f}") + 1 for v in vals.tolist()]
                else:
                    widths = [len(f"{v:.{p}f}") for v in vals.tolist()]
                self.max_width = max(self.max_width, *widths)

    def format(self, value: Any) -> str:
        p = _Options.precision
        if not self.floating:
            ret = str(value)
        elif self.sci_mode:
            ret = f"{value:{self.max_width}.{p}e}"
        elif self.int_mode:
            ret = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            ret = f"{value:.{p}f}"
        return " " * (self.max_width - len(ret)) + ret


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values that print when the tensor is summarized: `edgeitems` at each end of every axis."""
    e = _Options.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim > 1 and not e:
        return a[tuple(slice(0, 0) for _ in a.shape)]
    if a.shape[0] > 2 * e:
        a = np.concatenate([a[:e], a[-e:]])
    return a if a.ndim == 1 else np.stack([_summarized(x) for x in a])


def _elements(a: np.ndarray, summarize: bool, fmt: Callable[[Any], str]) -> list[str]:
    e = _Options.edgeitems
    if summarize and not e:
        return ["..."]
    if summarize and a.shape[0] > 2 * e:
        return [fmt(v) for v in a[:e].tolist()] + [" ..."] + [fmt(v) for v in a[-e:].tolist()]
    return [fmt(v) for v in a.tolist()]


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: Callable[[Any], str], width: int) -> str:
    """PyTorch's `_tensor_str_with_formatter`: nested brackets, rows wrapped at the line width."""
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        per_line = max(1, (_Options.linewidth - indent) // width)
        data = _elements(a, summarize, fmt)
        lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    e = _Options.edgeitems
    rows = range(a.shape[0])
    if summarize and a.shape[0] > 2 * e:
        slices = [_body(a[i], indent + 1, summarize, fmt, width) for i in rows[:e]] + ["..."]
        slices += [_body(a[i], indent + 1, summarize, fmt, width) for i in rows[len(rows) - e :]]
    else:
        slices = [_body(a[i], indent + 1, summarize, fmt, width) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def format_tensor(t: Tensor) -> str:
    a = np.asarray(t.numpy(force=True))
    if t.dtype.is_floating_point and a.dtype != np.float64 and a.dtype != np.float32:
        a = a.astype(np.float32)  # float16 and bfloat16 print like float32
    if a.size == 0:
        return _finish(t, a, "[]")
    summarize = a.size > _Options.threshold
    shown = _summarized(a) if summarize else a
    if a.dtype.kind == "c":
        re_f, im_f = _Formatter(shown.real), _Formatter(shown.imag)

        def fmt(v: Any) -> str:
            imag = (im_f.format(v.imag) + "j").lstrip()
            return re_f.format(v.real) + ("" if imag[0] in "+-" else "+") + imag

        return _finish(t, a, _body(a, len(_PREFIX), summarize, fmt, re_f.max_width + im_f.max_width + 3))
    f = _Formatter(shown)
    return _finish(t, a, _body(a, len(_PREFIX), summarize, f.format, f.max_width + 2))


def _finish(t: Tensor, a: np.ndarray, body: str) -> str:
    """`tensor(<body>, <device, size, dtype, grad>)`: what the body does not say, wrapped onto a new line
    where a suffix would pass the line width (PyTorch's `_add_suffixes`)."""
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    default = _dt.get_default_dtype()
    implied = {default, default.to_complex(), _dt.int64, _dt.bool_}
    if a.size == 0 and a.ndim != 1 or a.size and not _Options.edgeitems:  # edgeitems=0 hides every value
        extras.append(f"size={tuple(t.shape)}")
    if t.dtype not in implied or a.size == 0 and t.dtype is not default:
        extras.append(f"dtype=ember.{t.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    out = _PREFIX + body
    last = len(out) - out.rfind("\n") + 1
    for e in extras:
        if last + len(e) + 2 > _Options.linewidth:
            out += ",\n" + " " * len(_PREFIX) + e
            last = len(_PREFIX) + len(e)
        else:
            out += ", " + e
            last += len(e) + 2
    return out + ")"

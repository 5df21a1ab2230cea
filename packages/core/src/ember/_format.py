"""`repr(tensor)` in PyTorch's style: `tensor([7., 9.])`, `tensor(3.5000, requires_grad=True)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes as _dt

if TYPE_CHECKING:
    from .tensor import Tensor

_PREFIX = "tensor("


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
    if sci:
        return lambda v: f"{v:.4e}"
    if np.all(finite == np.round(finite)):
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)


def format_tensor(t: Tensor) -> str:
    a = np.asarray(t.numpy(force=True))
    if t.dtype.is_floating_point and a.dtype != np.float64 and a.dtype != np.float32:
        a = a.astype(np.float32)  # float16 and bfloat16 print like float32
    float_format = _float_format(a) if a.dtype.kind == "f" else None
    numpy_floats = a.dtype.kind == "f" and float_format is None  # no finite value: NumPy's style, 4 digits
    body = np.array2string(
        a,
        separator=", ",
        prefix=_PREFIX,
        threshold=1000,
        edgeitems=3,
        max_line_width=80,
        formatter=(
            {"bool": lambda v: "True" if v else "False"}
            if a.dtype == np.bool_
            else {"float_kind": float_format} if float_format is not None else None
        ),
        precision=4 if numpy_floats else None,
        floatmode="maxprec_equal" if numpy_floats else None,
    )
    if a.size == 0:
        body = "[]" if a.ndim == 1 else body
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    default = _dt.get_default_dtype()
    implied = {default, _dt.int64, _dt.bool_}
    if t.dtype not in implied or a.size == 0 and t.dtype is not default:
        extras.append(f"dtype=ember.{t.dtype.name}")
    if a.size == 0 and a.ndim != 1:
        extras.append(f"size={tuple(t.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return _PREFIX + body + "".join(", " + e for e in extras) + ")"

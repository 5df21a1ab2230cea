"""`repr(tensor)` in PyTorch's style: `tensor([7., 9.])`, `tensor(3.5000, requires_grad=True)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import dtypes as _dt

if TYPE_CHECKING:
    from .tensor import Tensor

_PREFIX = "tensor("


def _float_kwargs(a: np.ndarray) -> dict[str, object]:
    finite = a[np.isfinite(a)].astype(np.float64)
    if finite.size == 0:
        return {"precision": 4, "floatmode": "maxprec_equal"}
    nonzero = np.abs(finite[finite != 0])
    amax = nonzero.max() if nonzero.size else 0.0
    amin = nonzero.min() if nonzero.size else 0.0
    # PyTorch's rule: scientific when the largest is >= 1e8, the smallest < 1e-4, or their ratio > 1000
    sci = nonzero.size and (amax >= 1e8 or amin < 1e-4 or amax / amin > 1e3)
    if sci:
        return {"formatter": {"float_kind": lambda v: f"{v:.4e}"}}
    if np.all(finite == np.round(finite)):
        return {"formatter": {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}}
    return {"formatter": {"float_kind": lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)}}


def format_tensor(t: Tensor) -> str:
    a = np.asarray(t.numpy(force=True))
    if t.dtype.is_floating_point and a.dtype != np.float64 and a.dtype != np.float32:
        a = a.astype(np.float32)  # float16 and bfloat16 print like float32
    kwargs: dict[str, object] = _float_kwargs(a) if a.dtype.kind == "f" else {}
    if a.dtype == np.bool_:
        kwargs = {"formatter": {"bool": lambda v: "True" if v else "False"}}
    body = np.array2string(
        a, separator=", ", prefix=_PREFIX, threshold=1000, edgeitems=3, max_line_width=80, **kwargs  # type: ignore[arg-type]
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

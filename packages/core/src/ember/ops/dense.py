"""`linear`: ``x @ w.T + b``, a composite with its own derivative, so a backend may fuse it.

The derivative gives the weight's gradient directly in w's (out, in) layout (``g^T x``), with
no transposed view in between; the decomposition is matmul with ``w.mT`` and an add.
"""

from __future__ import annotations

from typing import Any

from ..dispatch import composite
from ..tensor import Tensor
from .apply import call

__all__ = ["linear"]


def _linear_impl(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    out = x @ w.mT  # type: ignore[attr-defined, operator]
    return out + b if b is not None else out  # type: ignore[no-any-return]


def _linear_vjp(n: Any, g: Tensor) -> tuple[Any, ...]:
    x, w = n[0], n[1]
    gx = g @ w if n.needs(0) else None  # type: ignore[operator]
    gw = gb = None
    if n.needs(1) or (len(n.next) > 2 and n.needs(2)):
        g2 = g.reshape(-1, g.shape[-1])  # type: ignore[attr-defined]
        if n.needs(1):
            gw = g2.mT @ x.reshape(-1, x.shape[-1])  # type: ignore[attr-defined]
        if len(n.next) > 2 and n.needs(2):
            gb = g2.sum(0)  # type: ignore[attr-defined]
    return (gx, gw) if len(n.next) == 2 else (gx, gw, gb)


LINEAR = composite(
    "linear",
    "linear(x: array (*, in), w: array (out, in), b: array (out,) = None) -> array (*, out)",
    "x @ w.T + b; without a bias core calls linear(x, w), so give b a default of None. x, w and b share a floating dtype.",
    family="linalg",
    impl=_linear_impl,
    vjp=_linear_vjp,
    save_inputs=True,
)


def linear(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    """``x @ w.T + b`` on checked operands (x (*, in), w (out, in), b (out,) or None)."""
    inputs = (x, w) if b is None else (x, w, b)
    for t in inputs[1:]:
        if t.dtype is not x.dtype:
            raise RuntimeError(
                "linear: expected input, weight and bias of one dtype, got "
                + ", ".join(f"{tuple(t.shape)} {t.dtype.name}" for t in inputs)
                + "; cast with .to(dtype)"
            )
    return call(LINEAR, inputs, (), (*x.shape[:-1], w.shape[0]), x.dtype)

"""Matrix products: `matmul` (batched, with NumPy's 1-D rules), the helpers built on it, and `linear`."""

from __future__ import annotations

from typing import Any

from ..dispatch import composite, primitive, public
from ..tensor import Tensor
from ._run import broadcast_shapes_for, call, describe, run, same_device


def _matmul_vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
    a, b = n[0], n[1]
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if n.needs(0) else None, g * a if n.needs(1) else None)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    g2 = g.unsqueeze(-2) if a.ndim == 1 else g
    g2 = g2.unsqueeze(-1) if b.ndim == 1 else g2
    da = db = None
    if n.needs(0):
        da = matmul(g2, b2.mT)
        da = da.squeeze(-2) if a.ndim == 1 else da
    if n.needs(1):
        db = matmul(a2.mT, g2)
        db = db.squeeze(-1) if b.ndim == 1 else db
    return da, db  # the engine sums broadcast batch dims back


MATMUL = primitive(
    "matmul",
    "matmul(a: array, b: array) -> array",
    "NumPy's matmul: batched over leading dims (broadcast), 1-D operands promoted and the added dim removed. "
    "a and b have the same dtype.",
    family="linalg",
    vjp=_matmul_vjp,
    save_inputs=True,
)


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if not a or not b:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes {a} and {b}")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise RuntimeError(
            f"matmul: shapes {a} and {b} cannot be multiplied ({a2[-2]}x{a2[-1]} and {b2[-2]}x{b2[-1]}: "
            f"{a2[-1]} != {b2[-2]})"
        )
    batch = broadcast_shapes_for("matmul", a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


@public(method=True)
def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Matrix product with broadcasting batch dims (``a @ b``)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul: expected two tensors, got {describe(input)} and {describe(other)}")
    dev = same_device("matmul", (input, other))
    if input._dtype is not other._dtype:
        raise RuntimeError(
            f"matmul: expected both operands to have the same dtype, got {input._dtype.name} and "
            f"{other._dtype.name}; cast one with .to(dtype)"
        )
    shape = _matmul_shape(input._shape, other._shape)
    out = run(MATMUL, dev, (input._data, other._data), shape, input._dtype, (input, other))
    return out


@public(method=True)
def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """The matrix product of two 2-D tensors (no broadcasting)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {input._shape} and {mat2._shape}")
    return matmul(input, mat2)


@public(method=True)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """The batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p) (no broadcasting)."""
    if input.ndim != 3 or mat2.ndim != 3 or input._shape[0] != mat2._shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with equal batch size, got {input._shape} and {mat2._shape}")
    return matmul(input, mat2)


@public(method=True)
def dot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two 1-D tensors of the same length."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got shapes {input._shape} and {other._shape}")
    return matmul(input, other)


@public(method=True)
def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """The outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    return input.unsqueeze(1) * vec2.unsqueeze(0)


# --------------------------------------------------------------------------- linear
# `linear`: ``x @ w.T + b``, a composite with its own derivative, so a backend may fuse it.
#
# The derivative gives the weight's gradient directly in w's (out, in) layout (``g^T x``), with
# no transposed view in between; the decomposition is matmul with ``w.mT`` and an add.

def _linear_impl(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    out = x @ w.mT
    return out + b if b is not None else out


def _linear_vjp(n: Any, g: Tensor) -> tuple[Any, ...]:
    x, w = n[0], n[1]
    gx = g @ w if n.needs(0) else None
    gw = gb = None
    if n.needs(1) or (len(n.next) > 2 and n.needs(2)):
        g2 = g.reshape(-1, g.shape[-1])
        if n.needs(1):
            gw = g2.mT @ x.reshape(-1, x.shape[-1])
        if len(n.next) > 2 and n.needs(2):
            gb = g2.sum(0)
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

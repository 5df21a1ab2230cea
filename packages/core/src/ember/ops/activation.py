"""`softmax` and `log_softmax`: composites with their own derivatives, so backends may override them."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..dispatch import composite, public
from ..tensor import Tensor
from ._run import call, wrap_dim


def _softmax_impl(x: Tensor, axis: int) -> Tensor:
    e = (x - x.amax(axis, keepdim=True).detach()).exp()
    return e / e.sum(axis, keepdim=True)


def _log_softmax_impl(x: Tensor, axis: int) -> Tensor:
    # (x - max) - log(sum(exp(x - max))), not x - logsumexp(x): in float16 or bfloat16, logsumexp near
    # 1000 is rounded to a step of 0.5 (bfloat16: 8), which the difference would keep; the shifted values are exact
    s = x - x.amax(axis, keepdim=True).detach()  # a row with an inf or all -inf gives nan, as PyTorch
    return s - s.exp().sum(axis, keepdim=True).log()


def _softmax_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    y = n.out
    (axis,) = n.args
    return (y * (g - (g * y).sum(axis, keepdim=True)),)


def _log_softmax_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    y = n.out
    (axis,) = n.args
    return (g - y.exp() * g.sum(axis, keepdim=True),)


SOFTMAX = composite(
    "softmax",
    "softmax(x: array, axis: int) -> array",
    "exp(x) / sum(exp(x)) along `axis`, shifted by the max so it never overflows.",
    family="activation",
    impl=_softmax_impl,
    vjp=_softmax_vjp,
    save_out=True,
)
LOG_SOFTMAX = composite(
    "log_softmax",
    "log_softmax(x: array, axis: int) -> array",
    "x - logsumexp(x) along `axis`, without overflow.",
    family="activation",
    impl=_log_softmax_impl,
    vjp=_log_softmax_vjp,
    save_out=True,
)


def _softmax_family(op: Any, input: Tensor, dim: int, dtype: Any) -> Tensor:  # noqa: A002
    x = input
    if dtype is not None:
        x = x.to(_dt.as_dtype(dtype))
    elif not x._dtype.is_floating_point:
        x = x.to(_dt.get_default_dtype())
    if x.ndim == 0:
        x1 = x.reshape(1)
        return _softmax_family(op, x1, 0, None).reshape(())
    axis = wrap_dim(dim, x.ndim, op.name)
    return call(op, (x,), (axis,), x._shape, x._dtype)


@public(method=True)
def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """Softmax along `dim`."""
    return _softmax_family(SOFTMAX, input, dim, dtype)


@public(method=True)
def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """Log-softmax along `dim`."""
    return _softmax_family(LOG_SOFTMAX, input, dim, dtype)

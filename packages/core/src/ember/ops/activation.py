"""`softmax`, `log_softmax` and the cross-entropy of log-softmax: composites with their own derivatives,
so backends may override (fuse) them."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..autograd import grad_mode
from ..dispatch import composite, public
from ..tensor import Tensor
from ._run import call, kernel, maybe_record, wrap, wrap_dim


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


# --------------------------------------------------------------------------- cross-entropy of class indices
# The training loss of classifiers, fused: one kernel for the loss (and the log-probabilities its
# derivative reads), one for the derivative, where the decomposition runs ~10 ops each way. The
# decompositions are the ops cross_entropy ran before, in their order, so a backend's kernels can
# give the same numbers bit for bit.


def _sce_impl(x: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    logp = call(LOG_SOFTMAX, (x,), (1,), x._shape, x._dtype)
    picked = logp.gather(1, target.unsqueeze(1))
    return -(picked.sum() / x._shape[0]), logp


def _sce_vjp(n: Any, g: Tensor) -> tuple[Any, None]:
    logp, target = n.args
    if grad_mode.state.enabled:  # create_graph: through a log_softmax recomputed from x, so x's graph goes on
        x = n[0]
        return _sce_grad_impl(call(LOG_SOFTMAX, (x,), (1,), x._shape, x._dtype), target, g), None
    return softmax_cross_entropy_grad(logp, target, g), None


def _sce_grad_impl(logp: Tensor, target: Tensor, g: Tensor) -> Tensor:
    from .creation import zeros_like

    rows = logp._shape[0]
    s = -g / rows  # the derivatives of neg and of the mean's division
    picked = zeros_like(logp).scatter_add(1, target.unsqueeze(1), s.expand(rows, 1))  # gather's
    return picked - logp.exp() * picked.sum(1, keepdim=True)  # log_softmax's


SOFTMAX_CROSS_ENTROPY = composite(
    "softmax_cross_entropy",
    "softmax_cross_entropy(x: array (N, C), target: array of int64 (N,)) -> (array (), array (N, C))",
    "The mean over rows of -log_softmax(x)[i, target[i]] (every target in [0, C)), and log_softmax(x) "
    "(saved for the derivative).",
    family="activation",
    impl=_sce_impl,
    vjp=_sce_vjp,
    save_inputs=True,
)
SOFTMAX_CROSS_ENTROPY_GRAD = composite(
    "softmax_cross_entropy_grad",
    "softmax_cross_entropy_grad(logp: array (N, C), target: array of int64 (N,), g: array ()) -> array (N, C)",
    "The derivative of softmax_cross_entropy from its log-probabilities: with s = -g / N and P the one-hot "
    "rows of target times s, P - exp(logp) * P.sum(1) (so (softmax - onehot) * g / N).",
    family="activation",
    impl=_sce_grad_impl,
    vjp=None,
)


def softmax_cross_entropy(x: Tensor, target: Tensor) -> Tensor:
    """The mean cross-entropy of logits `x` (N, C) against int64 class indices `target` (N,), each in [0, C)
    (the caller checked): ``-log_softmax(x, 1).gather(1, target[:, None]).mean()``, fused where the backend can."""
    k = kernel(SOFTMAX_CROSS_ENTROPY, x._device)
    if k is None:
        loss, logp = _sce_impl(x, target)
        return loss
    loss_data, logp_data = k(x._data, target._data)
    loss = wrap(loss_data, (), x._dtype, x._device)
    maybe_record(SOFTMAX_CROSS_ENTROPY, (x, target), loss, (wrap(logp_data, x._shape, x._dtype, x._device), target))
    return loss


def softmax_cross_entropy_grad(logp: Tensor, target: Tensor, g: Tensor) -> Tensor:
    """softmax_cross_entropy's derivative (see the op); differentiable only through its decomposition."""
    if kernel(SOFTMAX_CROSS_ENTROPY_GRAD, logp._device) is None:
        return _sce_grad_impl(logp, target, g)
    return call(SOFTMAX_CROSS_ENTROPY_GRAD, (logp, target, g), (), logp._shape, logp._dtype)

"""`gradcheck` and `gradgradcheck`: analytical gradients against central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians disagree."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _numerical_jacobian(fn: Callable[..., Any], inputs: tuple[Any, ...], k: int, eps: float) -> list[np.ndarray]:
    """d(outputs)/d(inputs[k]) by central differences, one column per element of inputs[k]."""
    from ..tensor import tensor

    x = inputs[k]
    return _columns(fn, inputs, k, eps, x, tensor)


def _columns(fn: Callable[..., Any], inputs: tuple[Any, ...], k: int, eps: float, x: Any, tensor: Any) -> list[np.ndarray]:
    base = x.detach().numpy().astype(np.float64)
    flat = base.reshape(-1)
    cols: list[list[np.ndarray]] = []
    for i in range(flat.size):
        vals = []
        for sign in (1, -1):
            pert = flat.copy()
            pert[i] += sign * eps
            xi = tensor(pert.reshape(base.shape), dtype=x.dtype, device=x.device, requires_grad=x.requires_grad)
            args = list(inputs)
            args[k] = xi
            outs = _as_tuple(fn(*args))
            vals.append([o.detach().numpy().astype(np.float64).reshape(-1) for o in outs if o.dtype.is_floating_point])
        cols.append([(p - m) / (2 * eps) for p, m in zip(*vals)])
    n_out = len(cols[0]) if cols else 0
    return [np.stack([c[j] for c in cols], axis=1) if cols else np.zeros((0, 0)) for j in range(n_out)]


def _analytical_jacobian(outs: tuple[Any, ...], inputs: tuple[Any, ...], diff: list[int]) -> list[list[np.ndarray]]:
    """jac[j][k]: d(outs[j])/d(inputs[diff[k]]) row by row through autograd.grad."""
    from ..ops.creation import zeros_like
    from . import grad as autograd_grad

    jac: list[list[np.ndarray]] = []
    for o in outs:
        n = o.numel()
        per_input = [np.zeros((n, inputs[k].numel())) for k in diff]
        for r in range(n):
            g = zeros_like(o)
            g.view(-1)[r] = 1  # a view: the write must reach g
            grads = autograd_grad(o, [inputs[k] for k in diff], g, retain_graph=True, allow_unused=True)
            for m, gr in enumerate(grads):
                if gr is not None:
                    per_input[m][r] = gr.detach().numpy().astype(np.float64).reshape(-1)
        jac.append(per_input)
    return jac


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check autograd's gradients of `func` at `inputs` against finite differences (use float64)."""
    from ..tensor import Tensor

    ins = _as_tuple(inputs)
    diff = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad; set requires_grad=True on at least one tensor")
    outs = tuple(o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.dtype.is_floating_point)
    analytical = _analytical_jacobian(outs, ins, diff)
    for m, k in enumerate(diff):
        numerical = _numerical_jacobian(func, ins, k, eps)
        for j, num in enumerate(numerical):
            ana = analytical[j][m]
            if not np.allclose(ana, num, atol=atol, rtol=rtol, equal_nan=True):
                if not raise_exception:
                    return False
                worst = np.unravel_index(np.nanargmax(np.abs(ana - num)), ana.shape) if ana.size else ()
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for output {j} with respect to input {k} "
                    f"(shape {ins[k].shape}, dtype {ins[k].dtype.name}); largest difference at {worst}:\n"
                    f"numerical:\n{num}\nanalytical:\n{ana}"
                )
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Sequence[Any] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> d(func)/d(inputs)."""
    from ..ops.sampling import randn
    from ..tensor import Tensor
    from . import grad as autograd_grad

    ins = _as_tuple(inputs)
    outs = tuple(o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.dtype.is_floating_point)
    if grad_outputs is None:
        grad_outputs = [randn(o.shape, dtype=o.dtype, device=o.device).requires_grad_() for o in outs]
    gos = tuple(grad_outputs)
    diff = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    n = len(ins)

    def first_grads(*args: Any) -> tuple[Any, ...]:
        xs, gs = args[:n], args[n:]
        ys = tuple(o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.dtype.is_floating_point)
        grads = autograd_grad(ys, [xs[i] for i in diff], gs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, ins + gos, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)

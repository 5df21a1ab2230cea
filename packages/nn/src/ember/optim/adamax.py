"""`Adamax`: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_adam_group, group_lr

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, PyTorch's algorithm (Kingma & Ba, 2014, section 7.1).

    With ``g = grad + weight_decay * p`` (grad negated first when `maximize`) and ``t`` the step count::

        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Per-parameter state: ``step`` (an int), ``exp_avg`` and ``exp_inf``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        # foreach/differentiable/capturable are accepted for PyTorch compatibility; the update runs under no_grad.
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps, weight_decay = group_lr(group), group["betas"], group["eps"], group["weight_decay"]
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = ember.zeros_like(p)
                        state["exp_inf"] = ember.zeros_like(p)
                    state["step"] += 1
                    if weight_decay != 0:
                        g = g + p * weight_decay
                    exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                    exp_avg.mul_(beta1).add_(g * (1 - beta1))
                    exp_inf.copy_(ember.maximum(exp_inf.mul_(beta2), g.abs().add_(eps)))
                    clr = lr / (1 - beta1 ** state["step"])
                    p.sub_((exp_avg / exp_inf).mul_(clr))
        return loss

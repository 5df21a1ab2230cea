"""`NAdam`: Adam with Nesterov momentum and a momentum schedule (Dozat, 2016)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_adam_group, check_hyper, group_lr

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, PyTorch's algorithm.

    With ``g`` the gradient (negated when `maximize`), ``t`` the step count and
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``::

        p    = p * (1 - lr * weight_decay)    if decoupled_weight_decay
        g    = g + weight_decay * p           otherwise (L2 penalty)
        prod = prod * mu_t                    (state "mu_product", the product of mu_1..mu_t)
        m    = beta1 * m + (1 - beta1) * g
        v    = beta2 * v + (1 - beta2) * g * g
        den  = sqrt(v / (1 - beta2**t)) + eps
        p    = p - lr * (1 - mu_t) / (1 - prod) * g / den
               - lr * mu_{t+1} / (1 - prod * mu_{t+1}) * m / den

    Per-parameter state: ``step`` (an int), ``mu_product`` (a float), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        # foreach/capturable/differentiable are accepted for PyTorch compatibility; the update runs under no_grad.
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay, foreach=foreach, maximize=maximize,
            capturable=capturable, differentiable=differentiable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)
        check_hyper(group["momentum_decay"] >= 0.0, "momentum_decay value", group["momentum_decay"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group_lr(group), group["betas"], group["eps"]
                weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["mu_product"] = 1.0
                        state["exp_avg"] = ember.zeros_like(p)
                        state["exp_avg_sq"] = ember.zeros_like(p)
                    state["step"] += 1
                    step = state["step"]
                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            g = g + p * weight_decay
                    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                    mu_product = state["mu_product"] = state["mu_product"] * mu
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    exp_avg.mul_(beta1).add_(g * (1 - beta1))
                    exp_avg_sq.mul_(beta2).add_((g * g).mul_(1 - beta2))
                    denom = (exp_avg_sq / (1 - beta2**step)).sqrt_().add_(eps)
                    p.sub_((g / denom).mul_(lr * (1 - mu) / (1 - mu_product)))
                    p.sub_((exp_avg / denom).mul_(lr * mu_next / (1 - mu_product * mu_next)))
        return loss

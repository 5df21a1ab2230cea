"""`ASGD`: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_hyper, check_lr, group_lr

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """ASGD, PyTorch's algorithm.

    With ``g = grad + weight_decay * p`` (grad negated first when `maximize`) and ``t`` the step count::

        p   = p * (1 - lambd * eta) - eta * g
        ax  = ax + mu * (p - ax)           (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu  = 1 / max(1, t - t0)

    ``ax`` is the running average of the iterates, started after `t0` steps.
    Per-parameter state: ``step`` (an int), ``eta`` and ``mu`` (floats), ``ax``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        # foreach/differentiable/capturable are accepted for PyTorch compatibility; the update runs under no_grad.
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_hyper(group["weight_decay"] >= 0.0, "weight_decay value", group["weight_decay"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, lambd, alpha, t0 = group_lr(group), group["lambd"], group["alpha"], group["t0"]
                weight_decay = group["weight_decay"]
                for p, g in self._grads(group):
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["eta"] = float(lr)
                        state["mu"] = 1.0
                        state["ax"] = ember.zeros_like(p)
                    state["step"] += 1
                    step, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]
                    if weight_decay != 0:
                        g = g + p * weight_decay
                    p.mul_(1 - lambd * eta).sub_(g * eta)
                    if mu != 1:
                        ax.add_((p - ax).mul_(mu))
                    else:
                        ax.copy_(p)
                    state["eta"] = lr / (1 + lambd * lr * step) ** alpha
                    state["mu"] = 1 / max(1, step - t0)
        return loss

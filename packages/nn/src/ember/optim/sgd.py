"""`SGD`: stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .optimizer import Optimizer, ParamsT, check_hyper, check_lr

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's algorithm.

    With ``g = grad + weight_decay * p`` (negated first when `maximize`)::

        buf = g                                    (first step)
        buf = momentum * buf + (1 - dampening) * g (later steps)
        g   = g + momentum * buf  if nesterov  else  buf
        p   = p - lr * g

    Per-parameter state: ``momentum_buffer`` (when momentum != 0).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        # foreach/fused are accepted for PyTorch compatibility: Ember updates each parameter with its own ops.
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_hyper(group["momentum"] >= 0.0, "momentum value", group["momentum"])
        check_hyper(group["weight_decay"] >= 0.0, "weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = self._eval_closure(closure)
        with ember.no_grad():
            for group in self.param_groups:
                lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
                weight_decay, nesterov = group["weight_decay"], group["nesterov"]
                for p, g in self._grads(group):
                    if weight_decay != 0:
                        g = g + p * weight_decay
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = state["momentum_buffer"] = g.clone()
                        else:
                            buf.mul_(momentum).add_(g if dampening == 0 else g * (1 - dampening))
                        g = g + buf * momentum if nesterov else buf
                    p.sub_(g * lr)
        return loss

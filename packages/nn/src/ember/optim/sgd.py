"""`SGD`: stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember.tensor import Tensor

from ._foreach import Foreach
from .optimizer import Optimizer, ParamsT, check_fused, check_hyper, check_lr, group_lr

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
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        # differentiable/fused are accepted for PyTorch compatibility (the update runs under no_grad);
        # foreach=False updates each parameter with its own Tensor ops (the default updates a group's parameters
        # together through the kernels: `_foreach`)
        check_fused(fused, foreach)
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused,
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
                lr, momentum, dampening = group_lr(group), group["momentum"], group["dampening"]
                weight_decay, nesterov = group["weight_decay"], group["nesterov"]
                pairs = self._grads(group)
                if self._step_foreach(group, pairs):
                    continue
                for p, g in pairs:
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

    def _step_foreach(self, group: dict[str, Any], pairs: list[tuple[Tensor, Tensor]]) -> bool:
        """The step's updates of `pairs` straight through the kernels (`Foreach`): the ops of the
        per-parameter loop, in its order. False (nothing done) where that loop must run: foreach=False,
        a first momentum step (the buffers start as clones), tensor hyperparameters, mixed tensors."""
        lr, momentum, dampening = group_lr(group), group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        if group.get("foreach") is False or not pairs or not all(
            type(v) in (int, float) for v in (lr, momentum, dampening, weight_decay)
        ):
            return False
        bufs: list[Tensor] = []
        if momentum != 0:
            for p, _ in pairs:
                buf = self.state[p].get("momentum_buffer")
                if buf is None:
                    return False
                bufs.append(buf)
        k = Foreach.of([t for pair in pairs for t in pair] + bufs)
        if k is None:
            return False
        lr, momentum, dampening, weight_decay = float(lr), float(momentum), float(dampening), float(weight_decay)
        for i, (p, g) in enumerate(pairs):
            d = g._data
            if weight_decay != 0:
                d = k.add(d, k.mul(p._data, weight_decay))
            if momentum != 0:
                b = bufs[i]._data
                k.mul_(b, momentum)
                k.add_(b, d if dampening == 0 else k.mul(d, 1 - dampening))
                d = k.add(d, k.mul(b, momentum)) if nesterov else b
            k.sub_(p._data, k.mul(d, lr))
        Foreach.written([p for p, _ in pairs] + bufs)
        return True

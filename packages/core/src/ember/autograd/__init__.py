"""Reverse-mode autograd: `backward`, `grad`, grad modes, custom `Function`s and gradient checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import functional
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .function import Function, FunctionCtx
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "backward", "grad", "functional", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "Function", "FunctionCtx", "Node", "gradcheck", "gradgradcheck",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
]  # fmt: skip


def _seq(x: Any) -> list[Any]:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """Accumulate the gradients of `tensors` into the `.grad` of the leaves they depend on (of `inputs` only,
    if given)."""
    from ..tensor import _backward_entry, _backward_into_inputs

    ts = _seq(tensors)
    gs = _seq(grad_tensors if grad_tensors is not None else grad_variables) or [None] * len(ts)
    if len(gs) != len(ts):
        raise RuntimeError(f"backward: got {len(ts)} tensors but {len(gs)} gradients")
    if inputs is None:
        _backward_entry(ts, gs, retain_graph, create_graph, None)
    else:
        _backward_into_inputs(ts, gs, retain_graph, create_graph, inputs)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,  # PyTorch's deprecated, ignored argument, kept for its position
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, returned (nothing accumulates into .grad)."""
    from ..tensor import _backward_entry

    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported; call grad once per grad_outputs")
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    outs = _seq(outputs)
    ins = _seq(inputs)
    gs = _seq(grad_outputs) or [None] * len(outs)
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(
                f"One of the differentiated Tensors does not require grad (grad: input {i}, of shape {t.shape}); "
                f"set requires_grad=True on it"
            )
    results = _backward_entry(outs, gs, retain_graph, create_graph, ins)
    assert results is not None
    for i, r in enumerate(results):
        if r is None and materialize_grads:
            from .. import zeros_like

            results[i] = zeros_like(ins[i])
        elif r is None and not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used in the graph. Set "
                f"allow_unused=True if this is the desired behavior (grad: input {i}, of shape {ins[i].shape}, was "
                f"not used to compute the outputs)"
            )
    return tuple(results)

"""`Identity`, `Linear`, `LazyLinear`, `Bilinear`."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..parameter import Parameter
from . import _checks
from .module import Module

__all__ = ["Identity", "Linear", "LazyLinear", "Bilinear", "UninitializedParameter"]


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input


class Linear(Module):
    """``y = x W^T + b`` with W (out_features, in_features), initialised U(-1/sqrt(in), 1/sqrt(in)) like PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _checks.non_negative(type(self).__name__, "in_features", in_features)
        _checks.non_negative(type(self).__name__, "out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ember.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F._checked_linear("Linear", input, self.weight, self.bias)  # its checks name the module

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class NonDynamicallyQuantizableLinear(Linear):
    """`MultiheadAttention.out_proj`: a `Linear` under PyTorch's class name (which keeps it out of dynamic
    quantization there), so the module's repr reads as PyTorch's."""


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (an empty placeholder); a lazy module gives it its shape
    in place at its first call, so the object (and any optimizer holding it) stays the same."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> UninitializedParameter:
        p = super().__new__(cls, ember.empty(0, device=device, dtype=dtype), requires_grad)
        assert isinstance(p, UninitializedParameter)
        return p

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        pass

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    def materialize(self, shape: tuple[int, ...]) -> None:
        """Give the parameter `shape` (uninitialised values, its own device and dtype); it becomes a `Parameter`."""
        with ember.no_grad():
            self.data = ember.empty(*shape, device=self.device, dtype=self.dtype)
        self.__class__ = Parameter  # type: ignore[assignment]


class LazyLinear(Linear):
    """`Linear` whose `in_features` is taken from the last dim of the first input it sees.

    Until then `weight` and `bias` are `UninitializedParameter`s; the first call gives them their shapes,
    initialises them like `Linear`, and the module becomes a `Linear`. A `state_dict` loaded into it
    directly (before the first call) materialises it with the checkpoint's shapes.
    """

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.register_load_state_dict_pre_hook(_materialize_from_state_dict)

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialise the parameters for `input`'s last dim and initialise them."""
        if not self.has_uninitialized_params():
            return
        if input.ndim == 0:
            raise ValueError("LazyLinear: expected an input with at least 1 dim to infer in_features, got a 0-D input")
        self._materialize(int(input.shape[-1]))

    def _materialize(self, in_features: int) -> None:
        self.in_features = in_features
        assert isinstance(self.weight, UninitializedParameter)
        self.weight.materialize((self.out_features, in_features))
        if isinstance(self.bias, UninitializedParameter):
            self.bias.materialize((self.out_features,))
        self.reset_parameters()
        self.__class__ = Linear  # type: ignore[assignment]

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self.initialize_parameters(input)
        return Linear.forward(self, input)  # self is a Linear by now, so no super()



def _materialize_from_state_dict(module: Module, state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
    """A LazyLinear about to be loaded (alone or inside a container) takes in_features from the checkpoint."""
    w = state_dict.get(prefix + "weight")
    if isinstance(module, LazyLinear) and module.has_uninitialized_params() and isinstance(w, Tensor) and w.ndim == 2:
        module._materialize(int(w.shape[1]))


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with A (out_features, in1_features, in2_features)."""

    def __init__(
        self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(ember.empty(out_features, in1_features, in2_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )

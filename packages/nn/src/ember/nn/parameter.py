"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

__all__ = ["Buffer", "Parameter", "is_parameter"]


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` (by default) that modules register automatically.

    ``Parameter(data)`` shares `data`'s memory, as in PyTorch.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = ember.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        p = cls._make(data._data, data._shape, data._dtype, data._device)
        assert isinstance(p, Parameter)  # _make builds a cls; it is typed as returning a Tensor
        p._version = data._version_counter()  # one memory, one version counter
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:  # Tensor.__init__ refuses
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.detach().clone(), self.requires_grad)
        if self.grad is not None:
            out.grad = self.grad.detach().clone()
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """A tensor that a `Module` registers as a buffer when assigned to one of its attributes
    (``self.stats = Buffer(t, persistent=False)``), as ``register_buffer`` does; the module keeps a plain
    tensor sharing `data`'s memory."""

    __slots__ = ("persistent",)
    persistent: bool

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        if data is None:
            data = ember.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: data must be a Tensor, got {type(data).__name__}")
        b = cls._make(data._data, data._shape, data._dtype, data._device)
        assert isinstance(b, Buffer)
        b._version = data._version_counter()
        b.persistent = persistent
        if data.requires_grad:
            b.requires_grad_(True)
        return b

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:  # Tensor.__init__ refuses
        pass


def is_parameter(x: Any) -> bool:
    return isinstance(x, Parameter)

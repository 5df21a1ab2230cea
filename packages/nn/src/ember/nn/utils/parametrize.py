"""Parametrizations (PyTorch's `nn.utils.parametrize`): a tensor of a module computed from others on access.

``register_parametrization(m, "weight", P())`` moves the parameter to ``m.parametrizations.weight.original``
(``original0``, ``original1``, ... when ``P.right_inverse`` returns several tensors) and makes ``m.weight`` a
property that returns ``P(original)``; assigning ``m.weight = x`` stores ``P.right_inverse(x)``. The module's
class becomes a subclass named ``Parametrized<Class>``, as in PyTorch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import ember
from ember import Tensor

from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = [
    "register_parametrization", "remove_parametrizations", "is_parametrized", "cached", "type_before_parametrizations",
    "ParametrizationList",
]  # fmt: skip

_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Within this context each parametrized tensor is computed once (at its first access) and reused."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _keep(original: Tensor, value: Tensor) -> Tensor:
    """`value` stored as `original`'s kind: a Parameter (same requires_grad) for a Parameter, else a tensor."""
    if isinstance(original, Parameter):
        return Parameter(value.detach(), original.requires_grad)
    return value.detach()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the unconstrained `original` tensor(s)."""

    def __init__(self, modules: list[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        with ember.no_grad():
            new: Any = original
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    new = m.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        if self.is_tensor:
            if tuple(new.shape) == tuple(original.shape) and new.dtype == original.dtype:
                with ember.no_grad():
                    original.copy_(new)  # the same Parameter object stays the one optimizers hold
                self._store("original", original)
            else:
                self._store("original", _keep(original, new))
        else:
            self.ntensors = len(new)
            for i, t in enumerate(new):
                self._store(f"original{i}", _keep(original, t))

    def _store(self, name: str, t: Tensor) -> None:
        if isinstance(t, Parameter):
            self.register_parameter(name, t)
        else:
            self.register_buffer(name, t)

    def right_inverse(self, value: Tensor) -> None:
        """Store `value` (what the parametrized tensor should become) through each right_inverse, in reverse."""
        with ember.no_grad():
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    value = m.right_inverse(value)
            if self.is_tensor:
                original = self.original
                if tuple(value.shape) != tuple(original.shape):
                    raise ValueError(
                        f"right_inverse returned a tensor of shape {tuple(value.shape)}, expected {tuple(original.shape)}"
                    )
                original.copy_(value)
            else:
                for i, t in enumerate(value):
                    getattr(self, f"original{i}").copy_(t)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _property(name: str) -> property:
    def get(module: Any) -> Tensor:
        plist = module.parametrizations[name]
        if not _cache_enabled:
            return plist()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = plist()
        return _cache[key]

    def set_(module: Any, value: Tensor) -> None:
        module.parametrizations[name].right_inverse(value)

    return property(get, set_)


def _inject_class(module: Module) -> None:
    cls = module.__class__
    param_cls = type(f"Parametrized{cls.__name__}", (cls,), {"_ember_unparametrized_cls": cls})
    object.__setattr__(module, "__class__", param_cls)


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` the output of `parametrization` (appended after any earlier ones)."""
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        before = getattr(module, tensor_name)
        if not unsafe:
            out = parametrization(before)
            if not isinstance(out, Tensor) or tuple(out.shape) != tuple(before.shape) or out.dtype != before.dtype:
                raise ValueError(
                    "Registering a parametrization may not change the shape or dtype of the tensor, unless `unsafe` "
                    f"is True: {tuple(before.shape)}, {before.dtype} became {getattr(out, 'shape', None)}"
                )
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    original: Tensor | None = module._parameters.get(tensor_name)
    if original is None:
        original = module._buffers.get(tensor_name)
    if original is None:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name '{tensor_name}'")
    shape, dtype = tuple(original.shape), original.dtype
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    if not unsafe:
        with ember.no_grad():
            out = plist()
        if not isinstance(out, Tensor) or tuple(out.shape) != shape or out.dtype != dtype:
            raise ValueError(
                "Registering a parametrization may not change the shape or dtype of the tensor, unless `unsafe` is "
                f"True: {shape}, {dtype} became {getattr(out, 'shape', None)}"
            )
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether `module` has a parametrization (on `tensor_name`, when given)."""
    plists = module._modules.get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module: Module) -> type:
    """The module's class before `register_parametrization` replaced it."""
    return type(module).__dict__.get("_ember_unparametrized_cls", type(module))


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Undo the parametrizations of `tensor_name`: it becomes a plain parameter (or buffer) again, holding the
    parametrized value (`leave_parametrized`) or the original one."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with ember.no_grad():
                value = getattr(module, tensor_name)
            if tuple(value.shape) == tuple(original.shape) and value.dtype == original.dtype:
                with ember.no_grad():
                    original.copy_(value)
            else:
                original = _keep(original, value)
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor parametrized in terms of a sequence of tensors.")
        with ember.no_grad():
            value = getattr(module, tensor_name)
        original = _keep(plist.original0, value)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        object.__setattr__(module, "__class__", type_before_parametrizations(module))
    return module

"""`skip_init`: build a module whose parameters will be overwritten anyway (PyTorch's checks and signature).

PyTorch builds it on the "meta" device and allocates uninitialised memory; Ember has no meta device, so the
module is built as usual on the requested device (its values are then simply its default initialisation).
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from ..modules.module import Module

__all__ = ["skip_init"]

M = TypeVar("M", bound=Module)


def skip_init(module_cls: type[M], *args: Any, **kwargs: Any) -> M:
    """``module_cls(*args, **kwargs)``, for a Module class that takes a `device` argument."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)

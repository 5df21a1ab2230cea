"""Custom differentiable functions: subclass `Function`, write `forward` and `backward`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import grad_mode
from .graph import Node

if TYPE_CHECKING:
    from ..device import Device
    from ..dtypes import DType
    from ..tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What `forward` leaves for `backward`: saved tensors and flags."""

    def __init__(self) -> None:
        self._saved: tuple[Any, ...] = ()
        self._saved_versions: tuple[int, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True
        self._non_differentiable: set[int] = set()
        self._dirty: tuple[Any, ...] = ()
        self._freed = False

    def save_for_backward(self, *tensors: Any) -> None:
        from ..tensor import Tensor

        self._saved = tensors
        self._saved_versions = tuple(t._version_counter().value if isinstance(t, Tensor) else 0 for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        from ..tensor import Tensor

        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (through a custom Function): its saved "
                "tensors were freed; "
                "pass retain_graph=True to the first backward()"
            )
        out = []
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if isinstance(t, _SavedOutput):
                t = t.unpack()
            if isinstance(t, Tensor) and t._version_counter().value != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: saved tensor {i} of a custom Function (shape {t.shape}), after save_for_backward"
                )
            out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Any) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    if TYPE_CHECKING:
        # forward may leave anything else on ctx for backward (ctx.scale = ...), as in PyTorch

        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...


class _SavedOutput:
    """A saved output of the Function itself, kept as data so output -> node -> output is no cycle."""

    __slots__ = ("data", "shape", "dtype", "device", "counter", "node", "output_nr")

    def __init__(self, t: Tensor, node: Node) -> None:
        import weakref

        self.data, self.shape, self.dtype, self.device = t._data, t._shape, t._dtype, t._device
        self.counter, self.output_nr = t._version_counter(), t._output_nr
        self.node = weakref.ref(node)

    def unpack(self) -> Tensor:
        from ..tensor import Tensor

        t = Tensor._make(self.data, self.shape, self.dtype, self.device)
        t._version = self.counter
        node = self.node()
        if node is not None:
            t._requires_grad, t.grad_fn, t._output_nr = True, node, self.output_nr
        return t


class _FunctionNode(Node):
    """The node of one `Function.apply`: its ctx, its Function class and its outputs' (shape, dtype, device)."""

    __slots__ = ("ctx", "fn_cls", "_out_metas")

    ctx: FunctionCtx
    fn_cls: type[Function]
    _out_metas: list[tuple[tuple[int, ...], DType, Device] | None]  # None for an output that is no tensor

    def name_(self) -> str:
        return f"{self.fn_cls.__name__}Backward"

    def release(self) -> None:
        self.ctx._freed = True
        self.ctx._saved = ()


def _function_vjp(node: _FunctionNode, *grads: Any) -> tuple[Any, ...]:
    from ..ops.creation import zeros

    if node.ctx.materialize_grads:
        grads = tuple(  # a non-tensor output has no metadata, and its gradient stays None
            g if g is not None or meta is None else zeros(meta[0], dtype=meta[1], device=meta[2])
            for g, meta in zip(grads, node._out_metas)
        )
    out = node.fn_cls.backward(node.ctx, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    n_inputs = len(node.next)
    if len(out) != n_inputs:
        raise RuntimeError(
            f"function {node.fn_cls.__name__}Backward returned an incorrect number of gradients (expected "
            f"{n_inputs}, got {len(out)}): {node.fn_cls.__name__}.backward must return one gradient (or None) per "
            f"forward argument"
        )
    for i, (g, meta) in enumerate(zip(out, node.meta)):
        if meta is not None and g is not None and hasattr(g, "_shape") and g._shape != meta[0]:
            if not _expandable(meta[0], g._shape):
                raise RuntimeError(
                    f"Function {node.fn_cls.__name__}Backward returned an invalid gradient at index {i} - got "
                    f"{list(g._shape)} but expected shape compatible with {list(meta[0])}"
                )
    return out


def _expandable(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    """Whether `shape` broadcasts to `to` (a gradient of shape `to` then sums down to `shape`)."""
    if len(shape) > len(to):
        return False
    return all(a == b or a == 1 for a, b in zip(reversed(shape), reversed(to)))


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a Function's `backward` that is not itself differentiable: it runs without recording a graph."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with grad_mode.no_grad():
            return fn(ctx, *args)

    return wrapper


class Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`; call `.apply(*args)`."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[Any, ...], output: Any) -> None:
        """Override to use PyTorch's split style: `forward(*args)` takes no ctx, and this fills ctx from the
        inputs and output (called right after forward, without a graph)."""
        raise NotImplementedError("setup_context is not overridden")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from ..tensor import Tensor

        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with grad_mode.no_grad():
            if cls.setup_context is Function.setup_context:
                result = cls.forward(ctx, *args, **kwargs)
            else:  # PyTorch's newer style: forward(*args) without ctx, then setup_context(ctx, inputs, output)
                result = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, result)
        outs = result if isinstance(result, tuple) else (result,)
        if grad_mode.is_grad_enabled() and any(ctx.needs_input_grad):
            node = _FunctionNode(cls.__name__, _function_vjp, args, (), False, len(outs))
            node.ctx = ctx
            node.fn_cls = cls
            node._out_metas = [(o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outs]
            fresh = []
            for i, o in enumerate(outs):
                if isinstance(o, Tensor) and id(o) not in ctx._non_differentiable and o.dtype.is_floating_point:
                    if any(o is a for a in args) and not any(o is d for d in ctx._dirty):
                        o = o.detach()  # an input returned as is: a new tensor carries the new history
                    o._requires_grad = True
                    o.grad_fn = node
                    o._output_nr = i
                    if any(o is d for d in ctx._dirty):
                        o._bump_version()
                fresh.append(o)
            outs = tuple(fresh)
            ctx._saved = tuple(
                _SavedOutput(s, node) if any(s is o for o in outs if isinstance(o, Tensor)) else s
                for s in ctx._saved
            )
        return outs if isinstance(result, tuple) else outs[0]

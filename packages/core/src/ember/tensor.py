"""`Tensor`: a backend's native array with its shape, dtype, device and autograd state.

The class body holds what a tensor *is* (metadata, autograd state, conversions),
its Python operators and casts (``a + b``, ``x[i]``, ``x.float()``), and, between the
"generated" markers, one method per public function declared with
``@public(method=True)`` (``x.exp()``, ``x.sum(1)``), written by
``python -m ember._codegen`` from `ember.dispatch.API`. The methods call the op
functions through `_ops` (the `ember.ops` package), bound once it has been imported.

Inside the class, `_bool`, `_int` and `_float` stand for the builtins, which the
methods `bool()`, `int()` and `float()` shadow there.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from . import capture as _capture
from . import dtypes as _dt
from .autograd import grad_mode as _grad_mode
from .autograd.graph import Node, _bind_tensor_type, run_backward
from .backends import Backend, BackendUnavailableError, native_meta, registry
from .device import Device
from .dispatch import OPS
from .dtypes import DType

__all__ = ["Tensor", "tensor", "as_tensor", "from_numpy", "from_dlpack", "is_tensor"]

_CPU = Device("cpu")
_new_object = object.__new__
_bool: TypeAlias = bool
_int: TypeAlias = int
_float: TypeAlias = float

if TYPE_CHECKING:
    from . import ops as _ops
    from .ops.elementwise import binary as _binary
    from .random import Generator
else:
    _ops = _binary = None  # bound by `ember.ops` once imported (the ops import Tensor, so not the other way round)


#: what binds each `_arithmetic` method to its op once `ember.ops` is imported (`_bind_ops`)
_ARITHMETIC_BINDS: list[Callable[[], None]] = []


def _arithmetic(name: str, reflected: bool = False) -> Callable[[Tensor, Any], Tensor]:
    """The method of the binary operator of op `name` (``__add__`` for "add"; ``__radd__`` when `reflected`):
    `binary`, with its hot path (two floating tensors of one dtype, shape and device) written in, so that
    ``a + b`` makes one Python call less. The op and `run` are bound with the ops (they import Tensor)."""
    op: Any = None
    run: Any = None

    def bind() -> None:
        nonlocal op, run
        op, run = OPS[name], _ops._run.run
        assert op.rule in ("same", "numeric", "float")  # the hot path's result has its operands' dtype

    _ARITHMETIC_BINDS.append(bind)
    if reflected:

        def method(self: Tensor, other: Any) -> Tensor:
            return _binary(op, other, self)

    else:

        def method(self: Tensor, other: Any) -> Tensor:
            if type(other) is Tensor and type(self) is Tensor:
                dt = self._dtype
                if other._dtype is dt and other._shape == self._shape and other._device is self._device and dt.is_floating_point:
                    return run(op, self._device, (self._data, other._data), self._shape, dt, (self, other))
            return _binary(op, self, other)

    method.__name__ = f"__{'r' if reflected else ''}{'truediv' if name == 'div' else name}__"
    method.__qualname__ = f"Tensor.{method.__name__}"
    return method


class _ItemError(RuntimeError, ValueError):
    """item() of a tensor without exactly one element: a RuntimeError as in PyTorch (and a ValueError)."""


class _VersionCounter:
    """Shared by a tensor and its views; bumped by every in-place write."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


#: dtype name -> PyTorch's legacy type name (`x.type()` says "ember.FloatTensor")
_TYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
    "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}  # fmt: skip


#: what `==` and `!=` compare elementwise (anything else compares by identity, as PyTorch's operators)
_COMPARABLE = (numbers.Number, np.ndarray, np.generic)


class Tensor:
    """An n-dimensional array on a device, with reverse-mode autograd."""

    __slots__ = (
        "_data",
        "_shape",
        "_dtype",
        "_device",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_output_nr",
        "_version",
        "_base",
        "_view_fn",
        "_view_version",
        "_retains_grad",
        "_hooks",
        "_post_acc_hooks",
        "__weakref__",
    )

    _data: Any
    _shape: tuple[_int, ...]
    _dtype: DType
    _device: Device
    _requires_grad: _bool
    _grad: Tensor | None
    grad_fn: Node | None
    _output_nr: _int
    _version: _VersionCounter | None
    _base: Tensor | None
    _view_fn: tuple[tuple[Callable[..., Tensor], tuple[Any, ...]], ...]
    _view_version: _int  # the base's version when this view's grad_fn was last set
    _retains_grad: _bool
    _hooks: list[Callable[[Tensor], Tensor | None]] | None
    _post_acc_hooks: list[Callable[[Tensor], None]] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("use ember.tensor(data), ember.zeros(shape), ... to make tensors")

    @classmethod
    def _make(cls, data: Any, shape: tuple[_int, ...], dtype: DType, device: Device) -> Tensor:
        """A tensor of class `cls` around a backend's native array (no copy, no checks)."""
        t = _new_object(cls)
        t._data = data
        t._shape = shape
        t._dtype = dtype
        t._device = device
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version = None
        t._base = None
        t._retains_grad = False
        t._hooks = None
        t._post_acc_hooks = None
        return t

    # -- metadata -------------------------------------------------------------
    @property
    def shape(self) -> tuple[_int, ...]:
        return self._shape

    def size(self, dim: _int | None = None) -> Any:
        if dim is None:
            return self._shape
        return self._shape[_wrap_dim(dim, len(self._shape), "size")]

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self) -> Device:
        return self._device

    @property
    def ndim(self) -> _int:
        return len(self._shape)

    def dim(self) -> _int:
        return len(self._shape)

    def numel(self) -> _int:
        n = 1
        for s in self._shape:
            n *= s
        return n

    def element_size(self) -> _int:
        return self._dtype.itemsize

    def is_floating_point(self) -> _bool:
        return self._dtype.is_floating_point

    def is_complex(self) -> _bool:
        """Whether the dtype is complex (complex64, complex128)."""
        return self._dtype.is_complex

    def is_signed(self) -> _bool:
        """Whether the dtype holds negative values: floating, complex and signed integers (not uint8, bool)."""
        return self._dtype.is_signed

    @property
    def itemsize(self) -> _int:
        """Bytes per element."""
        return self._dtype.itemsize

    @property
    def nbytes(self) -> _int:
        """Bytes the elements take (numel * itemsize; a broadcast view counts each element)."""
        return self.numel() * self._dtype.itemsize

    def ndimension(self) -> _int:
        """The number of dimensions (as `dim()`)."""
        return len(self._shape)

    def nelement(self) -> _int:
        """The number of elements (as `numel()`)."""
        return self.numel()

    # -- memory layout, as the backend's native array has it -------------------
    def stride(self, dim: _int | None = None) -> Any:
        """Steps in elements between neighbours along each dimension (one dim's with `dim`)."""
        strides = self.backend.layout(self._data)[0]
        return strides if dim is None else strides[_wrap_dim(dim, len(self._shape), "stride")]

    def storage_offset(self) -> _int:
        """Where the first element sits in its memory block, in elements (nonzero for some views)."""
        return self.backend.layout(self._data)[1]

    def is_contiguous(self, memory_format: Any = None) -> _bool:
        """Whether the elements lie in row-major order without gaps (dims of size 1 may have any stride)."""
        if self.numel() == 0:
            return True
        step = 1
        for n, st in zip(reversed(self._shape), reversed(self.backend.layout(self._data)[0])):
            if n != 1 and st != step:
                return False
            step *= n
        return True

    def data_ptr(self) -> _int:
        """The address of the first element (on OpenCL, the buffer's handle plus the byte offset)."""
        return self.backend.data_ptr(self._data)

    def get_device(self) -> _int:
        """The device index, or -1 on the CPU (as PyTorch)."""
        return -1 if self._device.type == "cpu" else self._device.index

    @property
    def is_cpu(self) -> _bool:
        return self._device.type == "cpu"

    @property
    def is_cuda(self) -> _bool:
        return self._device.type == "cuda"

    def is_pinned(self) -> _bool:
        """False: Ember's host memory is never page-locked (transfers copy through the backend)."""
        return False

    def untyped_storage(self) -> Any:
        """The memory block this tensor views, as bytes (an `ember.UntypedStorage`: size, address, values)."""
        from .storage import UntypedStorage

        return UntypedStorage(self)

    def share_memory_(self) -> Tensor:
        """Move the elements (of a CPU tensor) into shared memory, so that processes forked afterwards, or sent
        this tensor through multiprocessing, share them; a no-op when they are there (see ember.shared_memory)."""
        from . import shared_memory

        return shared_memory.share_memory_(self)

    def is_shared(self) -> _bool:
        """Whether the elements live in shared memory (after `share_memory_`)."""
        from . import shared_memory

        return shared_memory.is_shared(self)

    def pin_memory(self) -> Tensor:
        """This tensor: Ember's backends copy host data themselves, so there is nothing to pin."""
        return self

    @property
    def backend(self) -> Backend:
        return registry.get(self._device.type)

    def __len__(self) -> _int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._shape[0]):
            yield self[i]

    def __reversed__(self) -> Tensor:
        """`reversed(t)`: the tensor flipped along dim 0 (a 0-d tensor is itself), as PyTorch."""
        return self if not self._shape else self.flip(0)

    def __contains__(self, element: Any) -> _bool:
        """`element in t`: whether any entry equals `element` (a number, or a tensor broadcast against t)."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."
            )
        return _bool((self == element).any().item())

    def __format__(self, format_spec: str) -> str:
        """`f"{t:.2f}"`: a 0-d tensor formats as its Python number (as PyTorch); others as object does."""
        if not self._shape:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    #: lets NumPy hand `np.float64(2) * t` and `ndarray + t` to the tensor's reflected operators, as PyTorch
    __array_priority__ = 1000

    #: by identity, as PyTorch (== is elementwise); object's own hash, so dict keys (an optimizer's
    #: per-parameter state) hash without a Python call
    __hash__ = object.__hash__

    # -- autograd state -------------------------------------------------------
    @property
    def requires_grad(self) -> _bool:
        return tracked(self) if self._base is not None else self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: _bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach() to get a tensor without "
                "grad"
            )
        if requires_grad and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError(
                f"Only Tensors of floating point and complex dtype can require gradients, got dtype "
                f"{self._dtype.name}; "
                f"cast first, e.g. x.float().requires_grad_()"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> _bool:
        return self.grad_fn is None

    def _version_counter(self) -> _VersionCounter:
        v = self._version
        if v is None:
            v = self._version = _VersionCounter() if self._base is None else self._base._version_counter()
        return v

    @property
    def _version_value(self) -> _int:
        return self._version_counter().value

    def _bump_version(self) -> None:
        self._version_counter().value += 1

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        t = Tensor._make(self._data, self._shape, self._dtype, self._device)
        t._version = self._version_counter()
        if self._base is not None:
            t._base, t._view_fn, t._view_version = self._base, self._view_fn, self._view_version
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place: it becomes a leaf that does not require grad."""
        if self._base is not None:
            raise RuntimeError(
                f"detach_: can't detach views in-place (a view of shape {tuple(self._shape)}); use detach() instead"
            )
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """This tensor's data outside autograd: shares memory, with a version counter of its own."""
        t = Tensor._make(self._data, self._shape, self._dtype, self._device)
        if self._base is not None:
            t._base, t._view_fn, t._view_version = self._base, self._view_fn, self._view_version
            t._version = _VersionCounter()
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._data, self._shape, self._dtype, self._device = value._data, value._shape, value._dtype, value._device

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (leaves, and non-leaves that called retain_grad).

        Reading it on another non-leaf warns, as PyTorch does: it is None there, whatever backward did."""
        if self.grad_fn is not None and not self._retains_grad:
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                "won't be populated during backward(). If you indeed want the gradient for a non-leaf Tensor, "
                "call .retain_grad() on it before backward(); if you access the leaf Tensor by mistake, "
                "make sure you access the leaf Tensor instead (e.g. x, not x.to(device) or x * 2).",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None and (not isinstance(value, Tensor) or value._shape != self._shape):
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            raise RuntimeError(
                f"attempting to assign a gradient of size '{list(value._shape)}' to a tensor of size "
                f"'{list(self._shape)}': assigned grad has data of a different size: the tensor has shape {self._shape}, "
                f"the grad {value._shape}"
            )
        if value is not None and value._dtype is not self._dtype:
            raise RuntimeError(
                f"attempting to assign a gradient with dtype {value._dtype.name} to a tensor of dtype "
                f"{self._dtype.name}: the gradient must match the tensor's dtype (cast it, e.g. g.to(t.dtype))"
            )
        if value is not None and value._device is not self._device:
            raise RuntimeError(
                f"assigned grad has data located on a different device: the tensor is on {self._device}, the grad "
                f"on {value._device}; move it first, e.g. g.to(t.device)"
            )
        self._grad = value

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def keep(g: Tensor) -> None:
            t = ref()
            if t is not None:  # a copy: the gradient flowing on may be a view or shared
                t.grad = g.detach().clone() if t.grad is None else t.grad + g.detach()

        self.grad_fn.register_prehook(self._output_nr, keep, last=True)

    @property
    def retains_grad(self) -> _bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            self.grad_fn.register_prehook(self._output_nr, hook)
            pre_hooks = self.grad_fn.pre_hooks
            assert pre_hooks is not None  # register_prehook made them
            hooks = pre_hooks[self._output_nr]
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            hooks.append(hook)

        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call `hook(tensor)` on this leaf after backward accumulated into its `.grad` (DDP starts its
        communication from such hooks while backward goes on)."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return RemovableHandle(self._post_acc_hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: _bool | None = None,
        create_graph: _bool = False,
        inputs: Tensor | Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (only into the `.grad` of `inputs` if given)."""
        if inputs is None:
            _backward_entry((self,), (gradient,), retain_graph, create_graph, None)
        else:
            _backward_into_inputs((self,), (gradient,), retain_graph, create_graph, inputs)

    # -- conversion -----------------------------------------------------------
    def numpy(self, *, force: _bool = False) -> np.ndarray:
        """The data as a NumPy array (shares memory on the host device)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy() instead"
            )
        return self._to_host()

    def _to_host(self) -> np.ndarray:
        """The data on the host; an earlier compiled replay's pending checks are read first
        (`ember.capture.settle_checks`): its results are not to be read before them."""
        if _capture._pending:
            _capture.settle_checks()
        return registry.get(self._device.type).to_host(self._data)

    def __array__(self, dtype: Any = None, copy: _bool | None = None) -> np.ndarray:
        a = self._to_host()
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def item(self) -> _bool | _int | _float:
        """The value of a one-element tensor as a Python number (a `complex` for a complex tensor, which the
        annotation leaves out so that `float(x.item())` type-checks, as in PyTorch's stubs)."""
        n = self.numel()
        if n != 1:
            raise _ItemError(
                f"item(): a tensor with {n} elements (shape {self._shape}) cannot be converted to a Python "
                f"number; only one-element tensors can"
            )
        return self._to_host().reshape(()).item()

    def tolist(self) -> Any:
        return self._to_host().tolist()

    def __bool__(self) -> _bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.numel()} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> _float:
        return float(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __int__(self) -> _int:
        return int(self.item())

    def __index__(self) -> _int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        if self._requires_grad:
            raise RuntimeError("can't export a tensor that requires grad through DLPack; use .detach() first")
        exporter = getattr(self._data, "__dlpack__", None)
        if exporter is None:
            raise BufferError(f"backend of device {self._device} cannot export DLPack capsules")
        return exporter(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[_int, _int]:
        dev = getattr(self._data, "__dlpack_device__", None)
        if dev is None:
            raise BufferError(f"backend of device {self._device} cannot export DLPack capsules")
        return dev()

    def __repr__(self) -> str:
        from ._format import format_tensor

        return format_tensor(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self.numpy(force=True).copy(), self._dtype.name, str(self._device), self._requires_grad))

    def __deepcopy__(self, memo: dict[_int, Any]) -> Tensor:
        """`copy.deepcopy`: a copy on the same device with requires_grad and a copy of `.grad`, as PyTorch;
        only leaves may be copied (a graph's intermediate results cannot)."""
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError(
                "deepcopy: only tensors created explicitly by the user (graph leaves) support the deepcopy "
                f"protocol; this one (shape {tuple(self._shape)}) was made by {self.grad_fn!r}: deepcopy "
                "t.detach() instead"
            )
        out = self.detach().clone()
        if self._requires_grad:
            out.requires_grad_(True)
        if self.grad is not None:
            out.grad = self.grad.detach().clone()
        memo[id(self)] = out
        return out

    # -- arithmetic -------------------------------------------------------------
    __add__ = _arithmetic("add")
    __radd__ = _arithmetic("add", reflected=True)
    __sub__ = _arithmetic("sub")
    __rsub__ = _arithmetic("sub", reflected=True)
    __mul__ = _arithmetic("mul")
    __rmul__ = _arithmetic("mul", reflected=True)
    __truediv__ = _arithmetic("div")
    __rtruediv__ = _arithmetic("div", reflected=True)

    def __floordiv__(self, other: Any) -> Tensor:
        return _binary(OPS["floor_divide"], self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _binary(OPS["floor_divide"], other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _binary(OPS["remainder"], self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _binary(OPS["remainder"], other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _binary(OPS["pow"], self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(OPS["pow"], other, self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return _ops.matmul(other, self)

    def __iadd__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("add", self, other)

    def __isub__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("sub", self, other)

    def __imul__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("mul", self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("div", self, other)

    def __ifloordiv__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("floor_divide", self, other)

    def __imod__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("remainder", self, other)

    def __ipow__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("pow", self, other)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    # -- comparisons (elementwise, as in PyTorch) -----------------------------------
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]  # elementwise, as in PyTorch
        if not isinstance(other, Tensor) and not isinstance(other, _COMPARABLE):
            return NotImplemented  # Python then compares by identity: t == None or t == [1, 2] is False, as PyTorch
        return _binary(OPS["eq"], self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]  # elementwise, as in PyTorch
        if not isinstance(other, Tensor) and not isinstance(other, _COMPARABLE):
            return NotImplemented  # t != None is True, as PyTorch
        return _binary(OPS["ne"], self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _binary(OPS["lt"], self, other)

    def __le__(self, other: Any) -> Tensor:
        return _binary(OPS["le"], self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _binary(OPS["gt"], self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _binary(OPS["ge"], self, other)

    # -- bitwise operators: bool and integer tensors (logical and/or/xor/not on bool) --
    def __and__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_and"], self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_or"], self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_xor"], self, other)

    __rxor__ = __xor__

    def __invert__(self) -> Tensor:
        return _ops.bitwise_not(self)

    def __lshift__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_left_shift"], self, other)

    def __rlshift__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_left_shift"], other, self)

    def __rshift__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_right_shift"], self, other)

    def __rrshift__(self, other: Any) -> Tensor:
        return _binary(OPS["bitwise_right_shift"], other, self)

    def __iand__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("bitwise_and", self, other)

    def __ior__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("bitwise_or", self, other)

    def __ixor__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("bitwise_xor", self, other)

    def __ilshift__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("bitwise_left_shift", self, other)

    def __irshift__(self, other: Any) -> Tensor:
        return _ops.conversion.inplace("bitwise_right_shift", self, other)

    def polygamma(self, n: int) -> Tensor:
        """The n-th derivative of digamma of this tensor (`ember.polygamma(n, self)`)."""
        return _ops.polygamma(n, self)

    def polygamma_(self, n: int) -> Tensor:
        """In-place polygamma(n): the result is written into this tensor, which is returned."""
        src = _ops.conversion.clone(self) if self._requires_grad or self.grad_fn is not None else self
        return _ops.conversion.assign_(self, _ops.polygamma(n, src), "polygamma_")

    def where(self, condition: Any, other: Any) -> Tensor:
        """This tensor where `condition` holds, else `other` (`ember.where(condition, self, other)`)."""
        return _ops.where(condition, self, other)

    # -- indexing ---------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Tensor:
        return _ops.indexing.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _ops.indexing.setitem(self, key, value)

    # -- transposes -------------------------------------------------------------------
    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed."""
        return _ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of transposed matrices)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
        n = len(self._shape)
        return _ops.movement._permuted(self, (*range(n - 2), n - 1, n - 2))

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix (its transpose for a real tensor)."""
        if self.ndim != 2:
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor. "
                "For batches of matrices, consider using tensor.mH"
            )
        t = _ops.transpose(self, 0, 1)
        return _ops.conj(t) if self._dtype.is_complex else t

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of a batch of matrices (`mT` for a real tensor)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
        t = _ops.transpose(self, -2, -1)
        return _ops.conj(t) if self._dtype.is_complex else t

    @property
    def real(self) -> Tensor:
        """The real part of a complex tensor, as a view (writes through it change this tensor); a real tensor itself."""
        return _ops.real(self)

    @real.setter
    def real(self, value: Any) -> None:
        """`x.real = v` writes v (broadcast) into the real parts, as PyTorch."""
        self.real.copy_(value)

    @property
    def imag(self) -> Tensor:
        """The imaginary part of a complex tensor, as a view; refused for real tensors, as PyTorch does."""
        return _ops.imag(self)

    @imag.setter
    def imag(self, value: Any) -> None:
        """`x.imag = v` writes v (broadcast) into the imaginary parts, as PyTorch."""
        self.imag.copy_(value)

    # -- dtype and device casts -------------------------------------------------------
    def float(self) -> Tensor:
        """This tensor as float32 (itself when it already is)."""
        return _ops.to(self, dtype=_dt.float32)

    def double(self) -> Tensor:
        """This tensor as float64."""
        return _ops.to(self, dtype=_dt.float64)

    def half(self) -> Tensor:
        """This tensor as float16."""
        return _ops.to(self, dtype=_dt.float16)

    def bfloat16(self) -> Tensor:
        """This tensor as bfloat16."""
        return _ops.to(self, dtype=_dt.bfloat16)

    def long(self) -> Tensor:
        """This tensor as int64."""
        return _ops.to(self, dtype=_dt.int64)

    def int(self) -> Tensor:
        """This tensor as int32."""
        return _ops.to(self, dtype=_dt.int32)

    def short(self) -> Tensor:
        """This tensor as int16."""
        return _ops.to(self, dtype=_dt.int16)

    def bool(self) -> Tensor:
        """This tensor as bool (nonzero is True)."""
        return _ops.to(self, dtype=_dt.bool_)

    def cfloat(self) -> Tensor:
        """This tensor as complex64."""
        return _ops.to(self, dtype=_dt.complex64)

    def cdouble(self) -> Tensor:
        """This tensor as complex128."""
        return _ops.to(self, dtype=_dt.complex128)

    def byte(self) -> Tensor:
        """This tensor as uint8."""
        return _ops.to(self, dtype=_dt.uint8)

    def char(self) -> Tensor:
        """This tensor as int8."""
        return _ops.to(self, dtype=_dt.int8)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in `other`'s dtype."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return _ops.to(self, dtype=other._dtype)

    def cpu(self) -> Tensor:
        """This tensor on the host device "cpu" (itself when it is there)."""
        return _ops.to(self, "cpu")

    def cuda(self, device: Any = None, non_blocking: _bool = False) -> Tensor:
        """This tensor on a CUDA device ("cuda", "cuda:N" or an index; itself when it is there)."""
        if device is None:
            dev: Any = "cuda"
        elif isinstance(device, _int):
            dev = f"cuda:{device}"
        else:
            dev = device
        return _ops.to(self, dev, non_blocking=non_blocking)

    def type(self, dtype: Any = None, non_blocking: _bool = False) -> Any:
        """With no argument, the type's name ("ember.FloatTensor"); else this tensor cast to `dtype`
        (a dtype or such a name: "ember.LongTensor", "torch.LongTensor")."""
        if dtype is None:
            where = "" if self._device.type == "cpu" else f"{self._device.type}."
            return f"ember.{where}{_TYPE_NAMES[self._dtype.name]}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.rsplit(".", 1)[-1][: -len("Tensor")]
            by_name = {v: k for k, v in _TYPE_NAMES.items()}
            if name not in by_name:
                raise ValueError(f"type: invalid type {dtype!r}; expected e.g. 'ember.FloatTensor' or a dtype")
            dtype = by_name[name]
        elif isinstance(dtype, str) and dtype.startswith(("ember.", "torch.")):  # PyTorch's ValueError
            raise ValueError(f"type: invalid type {dtype!r}; expected e.g. 'ember.FloatTensor' or a dtype")
        return _ops.to(self, dtype=dtype, non_blocking=non_blocking)

    # -- filling in place ---------------------------------------------------------------
    def zero_(self) -> Tensor:
        """Fill with zeros, in place."""
        return _ops.conversion.assign_(self, _ops.zeros_like(self), "zero_")

    def fill_(self, value: Any) -> Tensor:
        """Fill with `value` (a number or a 0-d tensor), in place."""
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions "
                f"(shape {tuple(value.shape)}); pass value.squeeze() or value.item()"
            )
        v = value.item() if isinstance(value, Tensor) else value
        return _ops.conversion.assign_(self, _ops.full_like(self, v), "fill_")

    def uniform_(self, a: Any = 0.0, b: Any = 1.0, generator: Generator | None = None) -> Tensor:
        """Fill with samples uniform in [a, b), in place."""
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
        return _ops.conversion.assign_(self, _ops.rand_like(self, generator=generator) * (b - a) + a, "uniform_")

    def normal_(self, mean: Any = 0.0, std: Any = 1.0, generator: Generator | None = None) -> Tensor:
        """Fill with normal samples of `mean` and `std`, in place."""
        if isinstance(std, (int, float)) and std < 0:
            raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
        return _ops.conversion.assign_(self, _ops.randn_like(self, generator=generator) * std + mean, "normal_")

    def bernoulli_(self, p: Any = 0.5, generator: Generator | None = None) -> Tensor:
        """Fill with 1 with probability `p`, else 0, in place."""
        return _ops.conversion.assign_(self, _ops.bernoulli(self, p, generator=generator), "bernoulli_")

    def random_(self, from_: Any = None, to: Any = None, *, generator: Generator | None = None) -> Tensor:
        """Fill with integers uniform in [from_, to), in place: random_(to) is [0, to); random_() is [0, 2**mantissa]
        for floats and [0, max] for integers."""
        return _ops.conversion.assign_(self, _ops.sampling.random_like(self, from_, to, generator), "random_")

    def exponential_(self, lambd: Any = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill with samples of the exponential distribution of rate `lambd`, in place."""
        return _ops.conversion.assign_(self, _ops.sampling.exponential_like(self, lambd, generator), "exponential_")

    def float_power_(self, exponent: Any) -> Tensor:
        """In-place float_power(): the float64 result is written into this tensor, which must be float64 (as
        PyTorch's, which will not round it into another dtype)."""
        if self._dtype is not _dt.float64:
            raise RuntimeError(
                f"float_power_: the base has dtype {self._dtype.name} but the result is float64; "
                "call it on a float64 tensor (x.double()) or use x.float_power(exponent)"
            )
        return _ops.conversion.inplace("float_power", self, exponent)

    def fill_diagonal_(self, fill_value: Any, wrap: _bool = False) -> Tensor:
        """Write `fill_value` on the main diagonal, in place (see `ember.ops.indexing.fill_diagonal_`)."""
        return _ops.indexing.fill_diagonal_(self, fill_value, wrap)

    # -- Python callables and resizing, on the host ------------------------------------
    def apply_(self, callable: Callable[[Any], Any]) -> Tensor:  # noqa: A002 - PyTorch's argument name
        """Replace each element x by `callable(x)` (a Python function of a number), in place."""
        host = self.numpy(force=True)
        out = np.array([callable(v) for v in host.reshape(-1).tolist()], dtype=host.dtype).reshape(host.shape)
        return self._write_host(out, "apply_")

    def map_(self, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:  # noqa: A002
        """Replace each element x by `callable(x, y)`, y the element of `tensor` (broadcast to self), in place."""
        if not isinstance(tensor, Tensor) or tensor._dtype is not self._dtype:
            got = tensor.type() if isinstance(tensor, Tensor) else type(tensor).__name__
            raise TypeError(f"map_: expected {self.type()} for 'other' (got {got}); cast it with .to({self._dtype})")
        host = self.numpy(force=True)
        other = np.broadcast_to(np.asarray(tensor.numpy(force=True)), host.shape)
        pairs = zip(host.reshape(-1).tolist(), other.reshape(-1).tolist())
        out = np.array([callable(a, b) for a, b in pairs], dtype=host.dtype).reshape(host.shape)
        return self._write_host(out, "map_")

    def _write_host(self, values: np.ndarray, op: str) -> Tensor:
        from .tensor import tensor

        if self._requires_grad or self.grad_fn is not None:
            raise RuntimeError(f"{op}: runs a Python function outside autograd; call it on a tensor without grad")
        return _ops.conversion.assign_(self, tensor(values, dtype=self._dtype, device=self._device), op)

    def resize_(self, *sizes: Any) -> Tensor:
        """Give this tensor shape `sizes`, in place: its elements in row-major order are kept as far as
        they go; new elements are uninitialized (zero here)."""
        shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
        if any(not isinstance(n, _int) or n < 0 for n in shape):
            raise RuntimeError(f"resize_: expected non-negative integer sizes, got {shape}")
        if self._requires_grad or self.grad_fn is not None:
            raise RuntimeError("resize_: cannot resize variables that require grad")
        if self._base is not None:
            raise RuntimeError("resize_: cannot resize a view; resize the tensor it views, or a clone")
        flat = self.numpy(force=True).reshape(-1)
        n = math.prod(shape)
        out = np.zeros(n, dtype=flat.dtype)
        out[: min(n, flat.size)] = flat[:n]
        self._data = self.backend.from_host(out.reshape(shape), self._device.index)
        self._shape = shape
        self._bump_version()
        return self

    # -- shapes: Tensor-only methods and in-place view changes ---------------------------
    def repeat(self, *sizes: Any, repeats: Any = None) -> Tensor:
        """This tensor tiled `sizes[i]` (or `repeats=`) times along each dimension (new leading dimensions allowed)."""
        return _ops.movement.repeat(self, *sizes, repeats=repeats)

    def unfold(self, dimension: _int, size: _int, step: _int) -> Tensor:
        """Every window of `size` elements along `dimension`, `step` apart, as a new last dimension."""
        return _ops.movement.unfold(self, dimension, size, step)

    def t_(self) -> Tensor:
        """`t()` in place: this tensor itself becomes its transpose."""
        return _ops.movement.become(self, _ops.t(self), "t_")

    def transpose_(self, dim0: _int, dim1: _int) -> Tensor:
        """`transpose()` in place: this tensor itself has `dim0` and `dim1` swapped."""
        return _ops.movement.become(self, _ops.transpose(self, dim0, dim1), "transpose_")

    swapdims_ = transpose_
    swapaxes_ = transpose_

    def squeeze_(self, dim: Any = None) -> Tensor:
        """`squeeze()` in place: this tensor itself loses its dimensions of size 1 (or those in `dim`)."""
        return _ops.movement.become(self, _ops.squeeze(self, dim), "squeeze_")

    def unsqueeze_(self, dim: _int) -> Tensor:
        """`unsqueeze()` in place: this tensor itself gains a dimension of size 1 at `dim`."""
        return _ops.movement.become(self, _ops.unsqueeze(self, dim), "unsqueeze_")

    # -- new tensors like this one ------------------------------------------------------
    def new_zeros(
        self,
        *sizes: Any,
        size: Any = None,
        dtype: Any = None,
        device: str | Device | None = None,
        requires_grad: _bool = False,
        pin_memory: _bool = False,
    ) -> Tensor:
        """Zeros of `size`, in this tensor's dtype and device unless given."""
        out = _ops.zeros(*sizes, size=size, dtype=dtype or self._dtype, device=device or self._device)
        return out.requires_grad_() if requires_grad else out

    def new_ones(
        self,
        *sizes: Any,
        size: Any = None,
        dtype: Any = None,
        device: str | Device | None = None,
        requires_grad: _bool = False,
        pin_memory: _bool = False,
    ) -> Tensor:
        """Ones of `size`, in this tensor's dtype and device unless given."""
        out = _ops.ones(*sizes, size=size, dtype=dtype or self._dtype, device=device or self._device)
        return out.requires_grad_() if requires_grad else out

    def new_empty(
        self,
        *sizes: Any,
        size: Any = None,
        dtype: Any = None,
        device: str | Device | None = None,
        requires_grad: _bool = False,
        pin_memory: _bool = False,
    ) -> Tensor:
        """An uninitialized tensor of `size`, in this tensor's dtype and device unless given."""
        out = _ops.empty(*sizes, size=size, dtype=dtype or self._dtype, device=device or self._device)
        return out.requires_grad_() if requires_grad else out

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        dtype: Any = None,
        device: str | Device | None = None,
        requires_grad: _bool = False,
        pin_memory: _bool = False,
    ) -> Tensor:
        """`fill_value` in a tensor of `size`, in this tensor's dtype and device unless given."""
        out = _ops.full(size, fill_value, dtype=dtype or self._dtype, device=device or self._device)
        return out.requires_grad_() if requires_grad else out

    def new_tensor(
        self,
        data: Any,
        dtype: Any = None,
        device: str | Device | None = None,
        requires_grad: _bool = False,
        pin_memory: _bool = False,
    ) -> Tensor:
        """A tensor of `data` (copied, detached), in this tensor's dtype and device unless given."""
        from .tensor import tensor

        out = tensor(data, dtype=dtype or self._dtype, device=device or self._device)
        return out.requires_grad_() if requires_grad else out

    # -- generated by `python -m ember._codegen` from ember.dispatch.API: do not edit by hand ------------
    def abs(self) -> Tensor:
        """|input|, elementwise; bool and unsigned inputs come back unchanged (in new memory).

        See `ember.abs`.
        """
        return _ops.abs(self)

    def abs_(self) -> Tensor:
        """In-place abs(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("abs", self)

    def absolute(self) -> Tensor:
        """|input|, elementwise; bool and unsigned inputs come back unchanged (in new memory).

        See `ember.absolute`.
        """
        return _ops.abs(self)

    def absolute_(self) -> Tensor:
        """In-place absolute(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("absolute", self)

    def acos(self) -> Tensor:
        """Arccosine of each element, in [0, pi]; nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.acos`.
        """
        return _ops.acos(self)

    def acos_(self) -> Tensor:
        """In-place acos(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("acos", self)

    def acosh(self) -> Tensor:
        """Inverse hyperbolic cosine of each element; nan below 1. Integer and bool inputs compute in the default float dtype.

        See `ember.acosh`.
        """
        return _ops.acosh(self)

    def acosh_(self) -> Tensor:
        """In-place acosh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("acosh", self)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """input + alpha * other, elementwise (broadcast; dtypes promoted).

        See `ember.add`.
        """
        return _ops.add(self, other, alpha=alpha)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place add(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("add", self, other, alpha=alpha)

    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """beta * input + alpha * sum_b batch1[b] @ batch2[b] (a reduced batched product).

        See `ember.addbmm`.
        """
        return _ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In-place addbmm(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("addbmm", self, batch1, batch2, beta=beta, alpha=alpha)

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        """input + value * tensor1 / tensor2, elementwise (true division; broadcast; dtypes promoted).

        See `ember.addcdiv`.
        """
        return _ops.addcdiv(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        """In-place addcdiv(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("addcdiv", self, tensor1, tensor2, value=value)

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        """input + value * tensor1 * tensor2, elementwise (broadcast; dtypes promoted).

        See `ember.addcmul`.
        """
        return _ops.addcmul(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        """In-place addcmul(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("addcmul", self, tensor1, tensor2, value=value)

    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """beta * input + alpha * (mat1 @ mat2) for 2-D mat1 (n, m) and mat2 (m, p); input broadcasts to (n, p).

        See `ember.addmm`.
        """
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In-place addmm(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("addmm", self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """beta * input + alpha * (mat @ vec) for a matrix (n, m) and a vector (m,).

        See `ember.addmv`.
        """
        return _ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In-place addmv(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("addmv", self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """beta * input + alpha * outer(vec1, vec2).

        See `ember.addr`.
        """
        return _ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In-place addr(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("addr", self, vec1, vec2, beta=beta, alpha=alpha)

    def adjoint(self) -> Tensor:
        """The conjugate transpose of the last two dims, as a view (`Tensor.mH`; `mT` for a real tensor).

        See `ember.adjoint`.
        """
        return _ops.adjoint(self)

    def all(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """Whether every element over `dim` (all dims when None) is nonzero, as bool (uint8 for uint8 input, as PyTorch).

        See `ember.all`.
        """
        return _ops.all(self, dim, keepdim)

    def allclose(self, other: Tensor, rtol: _float = 1e-05, atol: _float = 1e-08, equal_nan: _bool = False) -> _bool:
        """Whether every element of input is close to other's (`isclose`, broadcast): a Python bool.

        See `ember.allclose`.
        """
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def amax(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """The maximum over `dim` (all dims when None); nan propagates; the gradient is shared evenly by ties.

        See `ember.amax`.
        """
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """The minimum over `dim` (all dims when None); nan propagates; the gradient is shared evenly by ties.

        See `ember.amin`.
        """
        return _ops.amin(self, dim, keepdim)

    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """(min, max) over `dim` (all dims when None) as the named tuple `aminmax(min, max)`.

        See `ember.aminmax`.
        """
        return _ops.aminmax(self, dim=dim, keepdim=keepdim)

    def angle(self) -> Tensor:
        """The argument of each element, in [-pi, pi] (radians): atan2(imag, real) for a complex tensor, in the dtype of
        its parts; for a real tensor pi where negative, else 0 (nan stays nan), integers in the default float dtype.

        See `ember.angle`.
        """
        return _ops.angle(self)

    def any(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """Whether any element over `dim` (all dims when None) is nonzero, as bool (uint8 for uint8 input, as PyTorch).

        See `ember.any`.
        """
        return _ops.any(self, dim, keepdim)

    def arccos(self) -> Tensor:
        """Arccosine of each element, in [0, pi]; nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.arccos`.
        """
        return _ops.acos(self)

    def arccos_(self) -> Tensor:
        """In-place arccos(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arccos", self)

    def arccosh(self) -> Tensor:
        """Inverse hyperbolic cosine of each element; nan below 1. Integer and bool inputs compute in the default float dtype.

        See `ember.arccosh`.
        """
        return _ops.acosh(self)

    def arccosh_(self) -> Tensor:
        """In-place arccosh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arccosh", self)

    def arcsin(self) -> Tensor:
        """Arcsine of each element, in [-pi/2, pi/2]; nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.arcsin`.
        """
        return _ops.asin(self)

    def arcsin_(self) -> Tensor:
        """In-place arcsin(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arcsin", self)

    def arcsinh(self) -> Tensor:
        """Inverse hyperbolic sine of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.arcsinh`.
        """
        return _ops.asinh(self)

    def arcsinh_(self) -> Tensor:
        """In-place arcsinh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arcsinh", self)

    def arctan(self) -> Tensor:
        """Arctangent of each element, in (-pi/2, pi/2). Integer and bool inputs compute in the default float dtype.

        See `ember.arctan`.
        """
        return _ops.atan(self)

    def arctan_(self) -> Tensor:
        """In-place arctan(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arctan", self)

    def arctan2(self, other: Any) -> Tensor:
        """The angle of the point (other, input): arctan(input / other) in the right quadrant, in [-pi, pi]. Integer and bool inputs compute in the default float dtype.

        See `ember.arctan2`.
        """
        return _ops.atan2(self, other)

    def arctan2_(self, other: Any) -> Tensor:
        """In-place arctan2(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arctan2", self, other)

    def arctanh(self) -> Tensor:
        """Inverse hyperbolic tangent of each element; +-inf at +-1, nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.arctanh`.
        """
        return _ops.atanh(self)

    def arctanh_(self) -> Tensor:
        """In-place arctanh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("arctanh", self)

    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """The index of the first maximum along `dim` (of the flattened tensor when None), as int64.

        See `ember.argmax`.
        """
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """The index of the first minimum along `dim` (of the flattened tensor when None), as int64.

        See `ember.argmin`.
        """
        return _ops.argmin(self, dim, keepdim)

    def argsort(self, dim: _int = -1, descending: _bool = False, *, stable: _bool = False) -> Tensor:
        """Indices that sort `input` along `dim` (always stable, whatever `stable` says).

        See `ember.argsort`.
        """
        return _ops.argsort(self, dim, descending, stable=stable)

    def argwhere(self) -> Tensor:
        """The (n, ndim) int64 indices of the nonzero elements of `input`, in C order (`nonzero`).

        See `ember.argwhere`.
        """
        return _ops.argwhere(self)

    def asin(self) -> Tensor:
        """Arcsine of each element, in [-pi/2, pi/2]; nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.asin`.
        """
        return _ops.asin(self)

    def asin_(self) -> Tensor:
        """In-place asin(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("asin", self)

    def asinh(self) -> Tensor:
        """Inverse hyperbolic sine of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.asinh`.
        """
        return _ops.asinh(self)

    def asinh_(self) -> Tensor:
        """In-place asinh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("asinh", self)

    def atan(self) -> Tensor:
        """Arctangent of each element, in (-pi/2, pi/2). Integer and bool inputs compute in the default float dtype.

        See `ember.atan`.
        """
        return _ops.atan(self)

    def atan_(self) -> Tensor:
        """In-place atan(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("atan", self)

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, input): arctan(input / other) in the right quadrant, in [-pi, pi]. Integer and bool inputs compute in the default float dtype.

        See `ember.atan2`.
        """
        return _ops.atan2(self, other)

    def atan2_(self, other: Any) -> Tensor:
        """In-place atan2(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("atan2", self, other)

    def atanh(self) -> Tensor:
        """Inverse hyperbolic tangent of each element; +-inf at +-1, nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.atanh`.
        """
        return _ops.atanh(self)

    def atanh_(self) -> Tensor:
        """In-place atanh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("atanh", self)

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """beta * input + alpha * bmm(batch1, batch2), batch by batch.

        See `ember.baddbmm`.
        """
        return _ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In-place baddbmm(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("baddbmm", self, batch1, batch2, beta=beta, alpha=alpha)

    def bernoulli(self, p: _float | None = None, *, generator: Generator | None = None) -> Tensor:
        """1 with probability `input` (or `p`), else 0, in input's dtype.

        See `ember.bernoulli`.
        """
        return _ops.bernoulli(self, p, generator=generator)

    def bincount(self, weights: Tensor | None = None, minlength: _int = 0) -> Tensor:
        """Counts of each value 0..max(input) of a 1-d non-negative integer tensor (summed `weights` when given).

        Counts are int64; float32/float64 weights keep their dtype, other weights give float64.

        See `ember.bincount`.
        """
        return _ops.bincount(self, weights, minlength)

    def bitwise_and(self, other: Any) -> Tensor:
        """Bitwise and (logical and for bool). Defined for bool and integer tensors only.

        See `ember.bitwise_and`.
        """
        return _ops.bitwise_and(self, other)

    def bitwise_and_(self, other: Any) -> Tensor:
        """In-place bitwise_and(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("bitwise_and", self, other)

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """input shifted left by other bits; 0 when other is negative or not less than the bit width. Defined for integer tensors only.

        See `ember.bitwise_left_shift`.
        """
        return _ops.bitwise_left_shift(self, other)

    def bitwise_left_shift_(self, other: Any) -> Tensor:
        """In-place bitwise_left_shift(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("bitwise_left_shift", self, other)

    def bitwise_not(self) -> Tensor:
        """Bitwise not of each element (logical not for bool). Defined for bool and integer tensors only.

        See `ember.bitwise_not`.
        """
        return _ops.bitwise_not(self)

    def bitwise_not_(self) -> Tensor:
        """In-place bitwise_not(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("bitwise_not", self)

    def bitwise_or(self, other: Any) -> Tensor:
        """Bitwise or (logical or for bool). Defined for bool and integer tensors only.

        See `ember.bitwise_or`.
        """
        return _ops.bitwise_or(self, other)

    def bitwise_or_(self, other: Any) -> Tensor:
        """In-place bitwise_or(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("bitwise_or", self, other)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """input shifted right by other bits (arithmetic: the sign fills in); when other is negative or not less than the bit width, -1 for negative input and 0 otherwise. Defined for integer tensors only.

        See `ember.bitwise_right_shift`.
        """
        return _ops.bitwise_right_shift(self, other)

    def bitwise_right_shift_(self, other: Any) -> Tensor:
        """In-place bitwise_right_shift(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("bitwise_right_shift", self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        """Bitwise xor (logical xor for bool). Defined for bool and integer tensors only.

        See `ember.bitwise_xor`.
        """
        return _ops.bitwise_xor(self, other)

    def bitwise_xor_(self, other: Any) -> Tensor:
        """In-place bitwise_xor(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("bitwise_xor", self, other)

    def bmm(self, mat2: Tensor) -> Tensor:
        """The batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p) (no broadcasting).

        See `ember.bmm`.
        """
        return _ops.bmm(self, mat2)

    def broadcast_to(self, shape: Sequence[_int]) -> Tensor:
        """`input` broadcast to `shape` without copying (NumPy's broadcast_to).

        See `ember.broadcast_to`.
        """
        return _ops.broadcast_to(self, shape)

    def ceil(self) -> Tensor:
        """Each element rounded up (toward +inf); integers and bools unchanged (in new memory).

        See `ember.ceil`.
        """
        return _ops.ceil(self)

    def ceil_(self) -> Tensor:
        """In-place ceil(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("ceil", self)

    def cholesky(self, upper: _bool = False) -> Tensor:
        """The Cholesky factor of each symmetric positive-definite matrix (torch.cholesky: `upper` positional).

        See `ember.cholesky`.
        """
        return _ops.cholesky(self, upper)

    def cholesky_inverse(self, upper: _bool = False) -> Tensor:
        """The inverse of A = L L^T (U^T U with `upper`) from its Cholesky factor `input`.

        See `ember.cholesky_inverse`.
        """
        return _ops.cholesky_inverse(self, upper)

    def cholesky_solve(self, input2: Tensor, upper: _bool = False) -> Tensor:
        """X with A X = B (`input`) for A = L L^T (U^T U with `upper`) given its Cholesky factor `input2`: two
        triangular solves.

        See `ember.cholesky_solve`.
        """
        return _ops.cholesky_solve(self, input2, upper)

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """`input` split into `chunks` views of (nearly) equal size along `dim`; the last may be smaller.

        See `ember.chunk`.
        """
        return _ops.chunk(self, chunks, dim)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """`input` limited to [min, max]; the gradient passes where min <= input <= max.

        See `ember.clamp`.
        """
        return _ops.clamp(self, min, max)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """In-place clamp(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("clamp", self, min, max)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """`clamp(input, max=max)`.

        See `ember.clamp_max`.
        """
        return _ops.clamp_max(self, max)

    def clamp_max_(self, max: Any) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """In-place clamp_max(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("clamp_max", self, max)

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """`clamp(input, min=min)`.

        See `ember.clamp_min`.
        """
        return _ops.clamp_min(self, min)

    def clamp_min_(self, min: Any) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """In-place clamp_min(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("clamp_min", self, min)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """`input` limited to [min, max]; the gradient passes where min <= input <= max.

        See `ember.clip`.
        """
        return _ops.clamp(self, min, max)

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """In-place clip(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("clip", self, min, max)

    def clone(self) -> Tensor:
        """A copy of `x` with its own memory; gradients flow through it.

        See `ember.clone`.
        """
        return _ops.clone(self)

    def conj(self) -> Tensor:
        """The complex conjugate (computed at once: Ember has no lazy conjugate bit); a real tensor itself.

        See `ember.conj`.
        """
        return _ops.conj(self)

    def conj_physical(self) -> Tensor:
        """The complex conjugate (computed at once: Ember has no lazy conjugate bit); a real tensor itself.

        See `ember.conj_physical`.
        """
        return _ops.conj(self)

    def contiguous(self) -> Tensor:
        """`x` itself when it is not a view, else a compact copy.

        See `ember.contiguous`.
        """
        return _ops.contiguous(self)

    def copy_(self, src: Any) -> Tensor:
        """Write `src` into `x` (broadcast, cast to x's dtype); gradients flow to `src`.

        See `ember.copy_`.
        """
        return _ops.copy_(self, src)

    def copysign(self, other: Any) -> Tensor:
        """|input| with the sign bit of other (-0.0 and nan's sign count). Integer and bool inputs compute in the default float dtype.

        See `ember.copysign`.
        """
        return _ops.copysign(self, other)

    def copysign_(self, other: Any) -> Tensor:
        """In-place copysign(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("copysign", self, other)

    def cos(self) -> Tensor:
        """Cosine of each element (radians). Integer and bool inputs compute in the default float dtype.

        See `ember.cos`.
        """
        return _ops.cos(self)

    def cos_(self) -> Tensor:
        """In-place cos(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("cos", self)

    def cosh(self) -> Tensor:
        """Hyperbolic cosine of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.cosh`.
        """
        return _ops.cosh(self)

    def cosh_(self) -> Tensor:
        """In-place cosh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("cosh", self)

    def count_nonzero(self, dim: Any = None) -> Tensor:
        """The number of nonzero elements over `dim` (all dims when None), as int64.

        See `ember.count_nonzero`.
        """
        return _ops.count_nonzero(self, dim)

    def cross(self, other: Tensor, dim: _int | None = None) -> Tensor:
        """The cross product of 3-vectors along `dim` (None: the first dim of size 3, as torch.cross).

        See `ember.cross`.
        """
        return _ops.cross(self, other, dim)

    def cummax(self, dim: _int) -> Any:
        """(values, indices) of the running maximum along `dim`; ties take the last index, nan propagates.

        See `ember.cummax`.
        """
        return _ops.cummax(self, dim)

    def cummin(self, dim: _int) -> Any:
        """(values, indices) of the running minimum along `dim`; ties take the last index, nan propagates.

        See `ember.cummin`.
        """
        return _ops.cummin(self, dim)

    def cumprod(self, dim: _int, *, dtype: Any = None) -> Tensor:
        """The running product along `dim`; integers and bools multiply in int64 unless `dtype` is given.

        See `ember.cumprod`.
        """
        return _ops.cumprod(self, dim, dtype=dtype)

    def cumprod_(self, dim: _int, *, dtype: Any = None) -> Tensor:
        """In-place cumprod(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("cumprod", self, dim, dtype=dtype)

    def cumsum(self, dim: _int, *, dtype: Any = None) -> Tensor:
        """The running sum along `dim`; integers and bools sum in int64 unless `dtype` is given.

        See `ember.cumsum`.
        """
        return _ops.cumsum(self, dim, dtype=dtype)

    def deg2rad(self) -> Tensor:
        """Each element converted from degrees to radians.

        See `ember.deg2rad`.
        """
        return _ops.deg2rad(self)

    def deg2rad_(self) -> Tensor:
        """In-place deg2rad(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("deg2rad", self)

    def det(self) -> Tensor:
        """The determinant of each square matrix (batched over leading dims).

        See `ember.det`.
        """
        return _ops.det(self)

    def diag(self, diagonal: _int = 0) -> Tensor:
        """A 1-D tensor as the `diagonal`-th diagonal of a square matrix, or a 2-D matrix's diagonal (a copy).

        See `ember.diag`.
        """
        return _ops.diag(self, diagonal)

    def diag_embed(self, offset: _int = 0, dim1: _int = -2, dim2: _int = -1) -> Tensor:
        """Tensors whose `dim1` x `dim2` planes have the last dimension of `input` on their `offset` diagonal.

        See `ember.diag_embed`.
        """
        return _ops.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset: _int = 0) -> Tensor:
        """The flattened `input` as the `offset`-th diagonal of a square matrix.

        See `ember.diagflat`.
        """
        return _ops.diagflat(self, offset)

    def diagonal(self, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
        """The diagonal of the `dim1` x `dim2` planes (`offset` above or below the main one), as the last dimension.

        A view where the layout lets the two dimensions merge (contiguous, transposed and strided
        tensors); otherwise a copy (Ember's view kernels have no general as_strided).

        See `ember.diagonal`.
        """
        return _ops.diagonal(self, offset, dim1, dim2)

    def diff(self, n: _int = 1, dim: _int = -1, prepend: Tensor | None = None, append: Tensor | None = None) -> Tensor:
        """The n-th forward difference along `dim` (`prepend`/`append` joined first); for bools, "not equal".

        See `ember.diff`.
        """
        return _ops.diff(self, n, dim, prepend, append)

    def digamma(self) -> Tensor:
        """The logarithmic derivative of Gamma, Gamma'(x) / Gamma(x), of each element: -inf at 0 (+inf at -0), nan at the negative integers. Integer and bool inputs compute in the default float dtype.

        See `ember.digamma`.
        """
        return _ops.digamma(self)

    def digamma_(self) -> Tensor:
        """In-place digamma(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("digamma", self)

    def dist(self, other: Tensor, p: _float | Tensor = 2) -> Tensor:
        """The p-norm of `input - other` (broadcast), over all elements; p a number or a one-element tensor.

        See `ember.dist`.
        """
        return _ops.dist(self, other, p)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """input / other, elementwise (broadcast; dtypes promoted). rounding_mode None: true division (integer and
        bool inputs compute in the default float dtype); "trunc": rounded toward zero, "floor": rounded down (Python's
        //), both in the promoted dtype, integer division by zero raising ZeroDivisionError, as PyTorch.

        See `ember.div`.
        """
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """In-place div(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("div", self, other, rounding_mode=rounding_mode)

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """input / other, elementwise (broadcast; dtypes promoted). rounding_mode None: true division (integer and
        bool inputs compute in the default float dtype); "trunc": rounded toward zero, "floor": rounded down (Python's
        //), both in the promoted dtype, integer division by zero raising ZeroDivisionError, as PyTorch.

        See `ember.divide`.
        """
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """In-place divide(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("divide", self, other, rounding_mode=rounding_mode)

    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-D tensors of the same length.

        See `ember.dot`.
        """
        return _ops.dot(self, other)

    def dsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        """Split depth-wise: along dim 2 of a tensor of at least 3 dimensions, into equal sections or at indices.

        See `ember.dsplit`.
        """
        return _ops.dsplit(self, indices_or_sections)

    def eq(self, other: Any) -> Tensor:
        """input == other, elementwise. Returns a bool tensor.

        See `ember.eq`.
        """
        return _ops.eq(self, other)

    def eq_(self, other: Any) -> Tensor:
        """In-place eq(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("eq", self, other)

    def equal(self, other: Tensor) -> _bool:
        """Whether input and other have the same shape and the same values (nan is never equal): a Python bool.

        See `ember.equal`.
        """
        return _ops.equal(self, other)

    def erf(self) -> Tensor:
        """The Gauss error function of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.erf`.
        """
        return _ops.erf(self)

    def erf_(self) -> Tensor:
        """In-place erf(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("erf", self)

    def erfc(self) -> Tensor:
        """The complementary error function 1 - erf(input) of each element, accurate where erf is near 1. Integer and bool inputs compute in the default float dtype.

        See `ember.erfc`.
        """
        return _ops.erfc(self)

    def erfc_(self) -> Tensor:
        """In-place erfc(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("erfc", self)

    def erfinv(self) -> Tensor:
        """The inverse error function of each element: +-inf at +-1, nan outside [-1, 1]. Integer and bool inputs compute in the default float dtype.

        See `ember.erfinv`.
        """
        return _ops.erfinv(self)

    def erfinv_(self) -> Tensor:
        """In-place erfinv(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("erfinv", self)

    def exp(self) -> Tensor:
        """e to the power of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.exp`.
        """
        return _ops.exp(self)

    def exp_(self) -> Tensor:
        """In-place exp(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("exp", self)

    def exp2(self) -> Tensor:
        """2 to the power of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.exp2`.
        """
        return _ops.exp2(self)

    def exp2_(self) -> Tensor:
        """In-place exp2(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("exp2", self)

    def expand(self, *sizes: Any, size: Any = None) -> Tensor:
        """`input` broadcast to `sizes` (or `size=`) without copying (-1 keeps a size).

        See `ember.expand`.
        """
        return _ops.expand(self, *sizes, size=size)

    def expand_as(self, other: Tensor) -> Tensor:
        """`input` broadcast to `other`'s shape without copying (see `expand`).

        See `ember.expand_as`.
        """
        return _ops.expand_as(self, other)

    def expm1(self) -> Tensor:
        """e**input - 1, accurate for small inputs. Integer and bool inputs compute in the default float dtype.

        See `ember.expm1`.
        """
        return _ops.expm1(self)

    def expm1_(self) -> Tensor:
        """In-place expm1(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("expm1", self)

    def fix(self) -> Tensor:
        """Each element rounded toward zero (its integer part); integers unchanged. Not defined for bool tensors.

        See `ember.fix`.
        """
        return _ops.trunc(self)

    def fix_(self) -> Tensor:
        """In-place fix(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("fix", self)

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        """`input` with dimensions `start_dim`..`end_dim` merged into one (a view when the layout allows).

        See `ember.flatten`.
        """
        return _ops.flatten(self, start_dim, end_dim)

    def flip(self, dims: Any) -> Tensor:
        """`input` reversed along `dims`, in new memory.

        See `ember.flip`.
        """
        return _ops.flip(self, dims)

    def fliplr(self) -> Tensor:
        """`input` reversed left to right (along dim 1); needs at least 2 dimensions.

        See `ember.fliplr`.
        """
        return _ops.fliplr(self)

    def flipud(self) -> Tensor:
        """`input` reversed up to down (along dim 0); needs at least 1 dimension.

        See `ember.flipud`.
        """
        return _ops.flipud(self)

    def float_power(self, exponent: Any) -> Tensor:
        """input ** exponent computed in float64, whatever the operands' dtypes.

        See `ember.float_power`.
        """
        return _ops.float_power(self, exponent)

    def floor(self) -> Tensor:
        """Each element rounded down (toward -inf); integers and bools unchanged (in new memory).

        See `ember.floor`.
        """
        return _ops.floor(self)

    def floor_(self) -> Tensor:
        """In-place floor(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("floor", self)

    def floor_divide(self, other: Any) -> Tensor:
        """floor(input / other), Python's //. Integer division by zero never reaches the kernel: core raises ZeroDivisionError (as PyTorch on the CPU); float division by zero gives +-inf or nan. Not defined for bool tensors.

        See `ember.floor_divide`.
        """
        return _ops.floor_divide(self, other)

    def floor_divide_(self, other: Any) -> Tensor:
        """In-place floor_divide(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("floor_divide", self, other)

    def fmax(self, other: Any) -> Tensor:
        """The larger of input and other, elementwise, ignoring nan (nan only where both are nan).

        See `ember.fmax`.
        """
        return _ops.fmax(self, other)

    def fmin(self, other: Any) -> Tensor:
        """The smaller of input and other, elementwise, ignoring nan (nan only where both are nan).

        See `ember.fmin`.
        """
        return _ops.fmin(self, other)

    def fmod(self, other: Any) -> Tensor:
        """input - trunc(input / other) * other, C's fmod (the sign of input). Not defined for bool tensors.

        See `ember.fmod`.
        """
        return _ops.fmod(self, other)

    def fmod_(self, other: Any) -> Tensor:
        """In-place fmod(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("fmod", self, other)

    def frac(self) -> Tensor:
        """The fractional part of each element, input - trunc(input), with input's sign. Floating tensors only.

        See `ember.frac`.
        """
        return _ops.frac(self)

    def frac_(self) -> Tensor:
        """In-place frac(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("frac", self)

    def frexp(self) -> tuple[Tensor, Tensor]:
        """(mantissa, exponent) with input == mantissa * 2**exponent, |mantissa| in [0.5, 1) and an int32 exponent;
        0, inf and nan give themselves and exponent 0, as PyTorch (and C's frexp). Floating tensors only.

        See `ember.frexp`.
        """
        return _ops.frexp(self)

    def gather(self, dim: _int, index: Tensor) -> Tensor:
        """out[i][j] = input[index[i][j]][j] (dim 0): values picked along `dim` by `index`.

        See `ember.gather`.
        """
        return _ops.gather(self, dim, index)

    def gcd(self, other: Any) -> Tensor:
        """The greatest common divisor of |input| and |other| (0 when both are 0). Defined for integer tensors only.

        See `ember.gcd`.
        """
        return _ops.gcd(self, other)

    def gcd_(self, other: Any) -> Tensor:
        """In-place gcd(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("gcd", self, other)

    def ge(self, other: Any) -> Tensor:
        """input >= other, elementwise. Returns a bool tensor.

        See `ember.ge`.
        """
        return _ops.ge(self, other)

    def ge_(self, other: Any) -> Tensor:
        """In-place ge(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("ge", self, other)

    def ger(self, vec2: Tensor) -> Tensor:
        """The outer product of two vectors (an alias of outer).

        See `ember.ger`.
        """
        return _ops.ger(self, vec2)

    def greater(self, other: Any) -> Tensor:
        """input > other, elementwise. Returns a bool tensor.

        See `ember.greater`.
        """
        return _ops.gt(self, other)

    def greater_(self, other: Any) -> Tensor:
        """In-place greater(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("greater", self, other)

    def greater_equal(self, other: Any) -> Tensor:
        """input >= other, elementwise. Returns a bool tensor.

        See `ember.greater_equal`.
        """
        return _ops.ge(self, other)

    def greater_equal_(self, other: Any) -> Tensor:
        """In-place greater_equal(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("greater_equal", self, other)

    def gt(self, other: Any) -> Tensor:
        """input > other, elementwise. Returns a bool tensor.

        See `ember.gt`.
        """
        return _ops.gt(self, other)

    def gt_(self, other: Any) -> Tensor:
        """In-place gt(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("gt", self, other)

    def heaviside(self, values: Any) -> Tensor:
        """The step function: 0 where input < 0, values where input == 0, 1 where input > 0 (broadcast).

        See `ember.heaviside`.
        """
        return _ops.heaviside(self, values)

    def heaviside_(self, values: Any) -> Tensor:
        """In-place heaviside(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("heaviside", self, values)

    def histc(self, bins: _int = 100, min: _float = 0, max: _float = 0) -> Tensor:  # noqa: A002 - PyTorch's argument names
        """A histogram of `bins` equal bins over [min, max] (the data's range when min == max); elements outside
        (and nan) are ignored, max falls into the last bin. Floating dtypes only; the counts have input's dtype.

        See `ember.histc`.
        """
        return _ops.histc(self, bins, min, max)

    def histogram(self, bins: Any, *, range: Any = None, weight: Tensor | None = None, density: _bool = False) -> Any:  # noqa: A002 - PyTorch's argument names
        """(hist, bin_edges): `bins` equal bins over `range` (the data's range by default) or the given
        increasing edges; the last bin includes its right edge. `density` normalizes to a unit integral.

        See `ember.histogram`.
        """
        return _ops.histogram(self, bins, range=range, weight=weight, density=density)

    def hsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        """Split horizontally: along dim 1 (dim 0 for a 1-D tensor), into equal sections or at indices.

        See `ember.hsplit`.
        """
        return _ops.hsplit(self, indices_or_sections)

    def hypot(self, other: Any) -> Tensor:
        """sqrt(input**2 + other**2), without overflow or underflow in between. Defined for floating tensors only.

        See `ember.hypot`.
        """
        return _ops.hypot(self, other)

    def hypot_(self, other: Any) -> Tensor:
        """In-place hypot(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("hypot", self, other)

    def i0(self) -> Tensor:
        """The modified Bessel function of the first kind of order 0 of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.i0`.
        """
        return _ops.i0(self)

    def i0_(self) -> Tensor:
        """In-place i0(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("i0", self)

    def igamma(self, other: Any) -> Tensor:
        """The regularized lower incomplete gamma function P(input, other), elementwise (broadcast). Floating
        tensors only.

        See `ember.igamma`.
        """
        return _ops.igamma(self, other)

    def igamma_(self, other: Any) -> Tensor:
        """In-place igamma(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("igamma", self, other)

    def igammac(self, other: Any) -> Tensor:
        """The regularized upper incomplete gamma function Q(input, other) = 1 - P, elementwise (broadcast), accurate
        where P is near 1. Floating tensors only.

        See `ember.igammac`.
        """
        return _ops.igammac(self, other)

    def igammac_(self, other: Any) -> Tensor:
        """In-place igammac(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("igammac", self, other)

    def index_add(self, dim: _int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """A copy of `input` with `alpha * source` added at `index` along `dim` (repeated indices add up).

        See `ember.index_add`.
        """
        return _ops.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: _int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """In-place index_add(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("index_add", self, dim, index, source, alpha=alpha)

    def index_copy(self, dim: _int, index: Tensor, source: Tensor) -> Tensor:
        """A copy of `input` with the slices of `source` written at `index` along `dim`.

        See `ember.index_copy`.
        """
        return _ops.index_copy(self, dim, index, source)

    def index_copy_(self, dim: _int, index: Tensor, source: Tensor) -> Tensor:
        """In-place index_copy(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("index_copy", self, dim, index, source)

    def index_fill(self, dim: _int, index: Tensor, value: Any) -> Tensor:
        """A copy of `input` with `value` (a number or 0-d tensor) at `index` along `dim`.

        See `ember.index_fill`.
        """
        return _ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim: _int, index: Tensor, value: Any) -> Tensor:
        """In-place index_fill(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("index_fill", self, dim, index, value)

    def index_put(self, indices: tuple[Tensor | None, ...] | list[Tensor | None], values: Tensor, accumulate: _bool = False) -> Tensor:
        """A copy of `input` with `input[indices] = values` (or `+=`, summing repeated indices, with `accumulate`).

        `indices` is a tuple of index tensors (integer or bool), one per leading dim, as `input[tuple(indices)]` reads.

        See `ember.index_put`.
        """
        return _ops.index_put(self, indices, values, accumulate)

    def index_put_(self, indices: tuple[Tensor | None, ...] | list[Tensor | None], values: Tensor, accumulate: _bool = False) -> Tensor:
        """In-place index_put(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("index_put", self, indices, values, accumulate)

    def index_select(self, dim: _int, index: Tensor) -> Tensor:
        """The entries of `input` at `index` (a 1-D int64 tensor) along `dim`, in new memory.

        See `ember.index_select`.
        """
        return _ops.index_select(self, dim, index)

    def inner(self, other: Tensor) -> Tensor:
        """The inner product over the last dims: out[i..., j...] = sum_k input[i..., k] * other[j..., k].

        See `ember.inner`.
        """
        return _ops.inner(self, other)

    def inverse(self) -> Tensor:
        """The inverse of each square matrix (torch.inverse, as linalg.inv).

        See `ember.inverse`.
        """
        return _ops.inverse(self)

    def is_conj(self) -> _bool:
        """False: Ember has no lazy conjugate bit (conj computes at once).

        See `ember.is_conj`.
        """
        return _ops.is_conj(self)

    def isclose(self, other: Tensor, rtol: _float = 1e-05, atol: _float = 1e-08, equal_nan: _bool = False) -> Tensor:
        """Whether each element of input is close to other's: |input - other| <= atol + rtol * |other|
        (equal infinities are close; nans are close to each other only with equal_nan). Returns a bool tensor.

        See `ember.isclose`.
        """
        return _ops.isclose(self, other, rtol, atol, equal_nan)

    def isfinite(self) -> Tensor:
        """Whether each element is finite (neither inf nor nan). Returns a bool tensor.

        See `ember.isfinite`.
        """
        return _ops.isfinite(self)

    def isinf(self) -> Tensor:
        """Whether each element is +inf or -inf. Returns a bool tensor.

        See `ember.isinf`.
        """
        return _ops.isinf(self)

    def isnan(self) -> Tensor:
        """Whether each element is nan. Returns a bool tensor.

        See `ember.isnan`.
        """
        return _ops.isnan(self)

    def isneginf(self) -> Tensor:
        """Whether each element is -inf. Returns a bool tensor.

        See `ember.isneginf`.
        """
        return _ops.isneginf(self)

    def isposinf(self) -> Tensor:
        """Whether each element is +inf. Returns a bool tensor.

        See `ember.isposinf`.
        """
        return _ops.isposinf(self)

    def isreal(self) -> Tensor:
        """Whether each element is real: always True for a real tensor, imag == 0 for a complex one. Returns a
        bool tensor.

        See `ember.isreal`.
        """
        return _ops.isreal(self)

    def kron(self, other: Tensor) -> Tensor:
        """The Kronecker product: blocks input[i...] * other, dims paired from the right (dtypes promote, as mul).

        See `ember.kron`.
        """
        return _ops.kron(self, other)

    def kthvalue(self, k: _int, dim: _int = -1, keepdim: _bool = False) -> Any:
        """(values, indices) of the k-th smallest element (1-based) along `dim` (nan counts as the largest).

        See `ember.kthvalue`.
        """
        return _ops.kthvalue(self, k, dim, keepdim)

    def lcm(self, other: Any) -> Tensor:
        """The least common multiple of |input| and |other| (0 when either is 0). Defined for integer tensors only.

        See `ember.lcm`.
        """
        return _ops.lcm(self, other)

    def lcm_(self, other: Any) -> Tensor:
        """In-place lcm(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("lcm", self, other)

    def ldexp(self, other: Any) -> Tensor:
        """input * 2**other, elementwise, in a floating dtype. Exact where the result is representable, as PyTorch's
        (ldexp(1e-30, 200) is 1.6e30 in float32, not inf * 1e-30): narrower floats scale in float64, float64 in
        two halves of the exponent.

        See `ember.ldexp`.
        """
        return _ops.ldexp(self, other)

    def ldexp_(self, other: Any) -> Tensor:
        """In-place ldexp(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("ldexp", self, other)

    def le(self, other: Any) -> Tensor:
        """input <= other, elementwise. Returns a bool tensor.

        See `ember.le`.
        """
        return _ops.le(self, other)

    def le_(self, other: Any) -> Tensor:
        """In-place le(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("le", self, other)

    def lerp(self, end: Tensor, weight: Any) -> Tensor:
        """input + weight * (end - input), elementwise (broadcast). Floating tensors of one dtype (a 0-d weight
        may have another: it is read in input's dtype). As PyTorch, computed as end - (end - input) * (1 - weight)
        where weight >= 0.5, so that weight 1 gives end exactly.

        See `ember.lerp`.
        """
        return _ops.lerp(self, end, weight)

    def lerp_(self, end: Tensor, weight: Any) -> Tensor:
        """In-place lerp(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("lerp", self, end, weight)

    def less(self, other: Any) -> Tensor:
        """input < other, elementwise. Returns a bool tensor.

        See `ember.less`.
        """
        return _ops.lt(self, other)

    def less_(self, other: Any) -> Tensor:
        """In-place less(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("less", self, other)

    def less_equal(self, other: Any) -> Tensor:
        """input <= other, elementwise. Returns a bool tensor.

        See `ember.less_equal`.
        """
        return _ops.le(self, other)

    def less_equal_(self, other: Any) -> Tensor:
        """In-place less_equal(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("less_equal", self, other)

    def lgamma(self) -> Tensor:
        """log |Gamma(input)| of each element: inf at 0 and the negative integers. Integer and bool inputs compute in the default float dtype.

        See `ember.lgamma`.
        """
        return _ops.lgamma(self)

    def lgamma_(self) -> Tensor:
        """In-place lgamma(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("lgamma", self)

    def log(self) -> Tensor:
        """Natural logarithm of each element: -inf at 0, nan below 0. Integer and bool inputs compute in the default float dtype.

        See `ember.log`.
        """
        return _ops.log(self)

    def log_(self) -> Tensor:
        """In-place log(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("log", self)

    def log10(self) -> Tensor:
        """Base-10 logarithm of each element: -inf at 0, nan below 0. Integer and bool inputs compute in the default float dtype.

        See `ember.log10`.
        """
        return _ops.log10(self)

    def log10_(self) -> Tensor:
        """In-place log10(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("log10", self)

    def log1p(self) -> Tensor:
        """log(1 + input), accurate for small inputs. Integer and bool inputs compute in the default float dtype.

        See `ember.log1p`.
        """
        return _ops.log1p(self)

    def log1p_(self) -> Tensor:
        """In-place log1p(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("log1p", self)

    def log2(self) -> Tensor:
        """Base-2 logarithm of each element: -inf at 0, nan below 0. Integer and bool inputs compute in the default float dtype.

        See `ember.log2`.
        """
        return _ops.log2(self)

    def log2_(self) -> Tensor:
        """In-place log2(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("log2", self)

    def log_softmax(self, dim: _int, dtype: Any = None) -> Tensor:
        """Log-softmax along `dim`.

        See `ember.log_softmax`.
        """
        return _ops.log_softmax(self, dim, dtype)

    def logaddexp(self, other: Any) -> Tensor:
        """log(exp(input) + exp(other)), elementwise, without overflow. Floating tensors only.

        See `ember.logaddexp`.
        """
        return _ops.logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Tensor:
        """log2(2**input + 2**other), elementwise, without overflow. Floating tensors only.

        See `ember.logaddexp2`.
        """
        return _ops.logaddexp2(self, other)

    def logcumsumexp(self, dim: _int) -> Tensor:
        """log(cumsum(exp(input))) along `dim`, computed without overflow; floating dtypes only.

        See `ember.logcumsumexp`.
        """
        return _ops.logcumsumexp(self, dim)

    def logdet(self) -> Tensor:
        """log(det(A)): nan where the determinant is negative, -inf where it is zero.

        See `ember.logdet`.
        """
        return _ops.logdet(self)

    def logical_and(self, other: Any) -> Tensor:
        """input and other, elementwise. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_and`.
        """
        return _ops.logical_and(self, other)

    def logical_and_(self, other: Any) -> Tensor:
        """In-place logical_and(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("logical_and", self, other)

    def logical_not(self) -> Tensor:
        """Logical not of each element. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_not`.
        """
        return _ops.logical_not(self)

    def logical_not_(self) -> Tensor:
        """In-place logical_not(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("logical_not", self)

    def logical_or(self, other: Any) -> Tensor:
        """input or other, elementwise. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_or`.
        """
        return _ops.logical_or(self, other)

    def logical_or_(self, other: Any) -> Tensor:
        """In-place logical_or(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("logical_or", self, other)

    def logical_xor(self, other: Any) -> Tensor:
        """input xor other, elementwise. Nonzero counts as True; returns a bool tensor.

        See `ember.logical_xor`.
        """
        return _ops.logical_xor(self, other)

    def logical_xor_(self, other: Any) -> Tensor:
        """In-place logical_xor(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("logical_xor", self, other)

    def logit(self, eps: _float | None = None) -> Tensor:
        """log(p / (1 - p)) of each element p, with p first clamped to [eps, 1 - eps] when eps is given (as PyTorch:
        eps where p < eps, else 1 - eps where p > 1 - eps, so an eps above 0.5 gives eps below it).

        See `ember.logit`.
        """
        return _ops.logit(self, eps)

    def logit_(self, eps: _float | None = None) -> Tensor:
        """In-place logit(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("logit", self, eps)

    def logsumexp(self, dim: Any, keepdim: _bool = False) -> Tensor:
        """log(sum(exp(input), dim)), stable for large inputs.

        See `ember.logsumexp`.
        """
        return _ops.logsumexp(self, dim, keepdim)

    def lt(self, other: Any) -> Tensor:
        """input < other, elementwise. Returns a bool tensor.

        See `ember.lt`.
        """
        return _ops.lt(self, other)

    def lt_(self, other: Any) -> Tensor:
        """In-place lt(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("lt", self, other)

    def lu_solve(self, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
        """X with A X = input from lu_factor's (LU, pivots) (torch.lu_solve: b first; linalg.lu_solve's left form).

        See `ember.lu_solve`.
        """
        return _ops.lu_solve(self, LU_data, LU_pivots)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        """`input` with `value` where `mask` is True (mask broadcasts).

        See `ember.masked_fill`.
        """
        return _ops.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        """In-place masked_fill(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("masked_fill", self, mask, value)

    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        """A copy of `input` with the elements of `source`, in order, written where `mask` (bool, broadcast) holds.

        See `ember.masked_scatter`.
        """
        return _ops.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        """In-place masked_scatter(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("masked_scatter", self, mask, source)

    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements of `input` where `mask` (bool, broadcast with input) holds, as a 1-D tensor.

        See `ember.masked_select`.
        """
        return _ops.masked_select(self, mask)

    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with broadcasting batch dims (``a @ b``).

        See `ember.matmul`.
        """
        return _ops.matmul(self, other)

    def matrix_exp(self) -> Tensor:
        """The matrix exponential exp(A) = sum_k A^k / k! of each square matrix.

        See `ember.matrix_exp`.
        """
        return _ops.matrix_exp(self)

    def matrix_power(self, n: _int) -> Tensor:
        """The n-th power of each square matrix (n < 0: of its inverse; n == 0: the identity).

        See `ember.matrix_power`.
        """
        return _ops.matrix_power(self, n)

    def max(self, dim: Any = None, keepdim: _bool = False) -> Any:
        """The maximum (no dim), (values, indices) along `dim`, or the elementwise max with a tensor.

        See `ember.max`.
        """
        return _ops.max(self, dim, keepdim)

    def maximum(self, other: Any) -> Tensor:
        """The larger of input and other, elementwise (nan if either is nan).

        See `ember.maximum`.
        """
        return _ops.maximum(self, other)

    def mean(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """Arithmetic mean over `dim`; floating dtypes only, like PyTorch.

        See `ember.mean`.
        """
        return _ops.mean(self, dim, keepdim, dtype=dtype)

    def median(self, dim: Any = None, keepdim: _bool = False) -> Any:
        """The lower median (of an even count, the smaller middle value, not the average): a tensor over all
        elements, or (values, indices) along `dim`. nan propagates (a line with nan gives its first nan).

        See `ember.median`.
        """
        return _ops.median(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: _bool = False) -> Any:
        """The minimum (no dim), (values, indices) along `dim`, or the elementwise min with a tensor.

        See `ember.min`.
        """
        return _ops.min(self, dim, keepdim)

    def minimum(self, other: Any) -> Tensor:
        """The smaller of input and other, elementwise (nan if either is nan).

        See `ember.minimum`.
        """
        return _ops.minimum(self, other)

    def mm(self, mat2: Tensor) -> Tensor:
        """The matrix product of two 2-D tensors (no broadcasting).

        See `ember.mm`.
        """
        return _ops.mm(self, mat2)

    def mode(self, dim: _int = -1, keepdim: _bool = False) -> Any:
        """(values, indices) of the most frequent value along `dim`: the smallest one on a tie of counts,
        with the index of its last occurrence (as PyTorch on the CPU). nan gives no defined result.

        See `ember.mode`.
        """
        return _ops.mode(self, dim, keepdim)

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        """`input` with dimension(s) `source` moved to position(s) `destination`, as a view.

        See `ember.moveaxis`.
        """
        return _ops.movedim(self, source, destination)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """`input` with dimension(s) `source` moved to position(s) `destination`, as a view.

        See `ember.movedim`.
        """
        return _ops.movedim(self, source, destination)

    def msort(self) -> Tensor:
        """`input` sorted along its first dim (ascending; nan last).

        See `ember.msort`.
        """
        return _ops.msort(self)

    def mul(self, other: Any) -> Tensor:
        """input * other, elementwise.

        See `ember.mul`.
        """
        return _ops.mul(self, other)

    def mul_(self, other: Any) -> Tensor:
        """In-place mul(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("mul", self, other)

    def multinomial(self, num_samples: _int, replacement: _bool = False, *, generator: Generator | None = None) -> Tensor:
        """`num_samples` category indices per row of `input` (non-negative weights), with or without replacement.

        With replacement: inverse-CDF sampling; without: the k smallest of E_i / w_i (E_i exponential),
        which picks categories in the order of sequential draws without replacement.

        See `ember.multinomial`.
        """
        return _ops.multinomial(self, num_samples, replacement, generator=generator)

    def multiply(self, other: Any) -> Tensor:
        """input * other, elementwise.

        See `ember.multiply`.
        """
        return _ops.mul(self, other)

    def multiply_(self, other: Any) -> Tensor:
        """In-place multiply(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("multiply", self, other)

    def mv(self, vec: Tensor) -> Tensor:
        """The product of a matrix (n, m) and a vector (m,).

        See `ember.mv`.
        """
        return _ops.mv(self, vec)

    def mvlgamma(self, p: _int) -> Tensor:
        """The multivariate log-gamma function of dimension p, elementwise:
        p (p - 1) / 4 * log(pi) + sum over i < p of lgamma(input - i / 2).

        See `ember.mvlgamma`.
        """
        return _ops.mvlgamma(self, p)

    def mvlgamma_(self, p: _int) -> Tensor:
        """In-place mvlgamma(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("mvlgamma", self, p)

    def nan_to_num(self, nan: _float = 0.0, posinf: _float | None = None, neginf: _float | None = None) -> Tensor:
        """nan, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default 0 and the dtype's largest
        and lowest finite values). Integer and bool tensors come back unchanged.

        See `ember.nan_to_num`.
        """
        return _ops.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan: _float = 0.0, posinf: _float | None = None, neginf: _float | None = None) -> Tensor:
        """In-place nan_to_num(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("nan_to_num", self, nan, posinf, neginf)

    def nanmean(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """The mean over `dim` of the elements that are not nan (nan where all are); floating dtypes only.

        See `ember.nanmean`.
        """
        return _ops.nanmean(self, dim, keepdim, dtype=dtype)

    def nanmedian(self, dim: Any = None, keepdim: _bool = False) -> Any:
        """`median` ignoring nan: the lower median of the values that are not nan (nan where all are).

        See `ember.nanmedian`.
        """
        return _ops.nanmedian(self, dim, keepdim)

    def nanquantile(self, q: Any, dim: _int | None = None, keepdim: _bool = False, *, interpolation: str = 'linear') -> Tensor:
        """`quantile` ignoring nan (nan where a line is all nan).

        See `ember.nanquantile`.
        """
        return _ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nansum(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """The sum over `dim` treating nan as 0; ints and bools sum in int64, like `sum`.

        See `ember.nansum`.
        """
        return _ops.nansum(self, dim, keepdim, dtype=dtype)

    def narrow(self, dim: _int, start: Any, length: _int) -> Tensor:
        """The view input[..., start:start+length, ...] along `dim` (`start` may be negative or a 0-d tensor).

        See `ember.narrow`.
        """
        return _ops.narrow(self, dim, start, length)

    def narrow_copy(self, dim: _int, start: Any, length: _int) -> Tensor:
        """`narrow` in new memory (not a view).

        See `ember.narrow_copy`.
        """
        return _ops.narrow_copy(self, dim, start, length)

    def ne(self, other: Any) -> Tensor:
        """input != other, elementwise. Returns a bool tensor.

        See `ember.ne`.
        """
        return _ops.ne(self, other)

    def ne_(self, other: Any) -> Tensor:
        """In-place ne(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("ne", self, other)

    def neg(self) -> Tensor:
        """-input, elementwise. Not defined for bool tensors.

        See `ember.neg`.
        """
        return _ops.neg(self)

    def neg_(self) -> Tensor:
        """In-place neg(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("neg", self)

    def negative(self) -> Tensor:
        """-input, elementwise. Not defined for bool tensors.

        See `ember.negative`.
        """
        return _ops.neg(self)

    def negative_(self) -> Tensor:
        """In-place negative(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("negative", self)

    def nextafter(self, other: Any) -> Tensor:
        """The next floating-point value after input in the direction of other. Defined for floating tensors only.

        See `ember.nextafter`.
        """
        return _ops.nextafter(self, other)

    def nextafter_(self, other: Any) -> Tensor:
        """In-place nextafter(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("nextafter", self, other)

    def nonzero(self, *, as_tuple: _bool = False) -> Any:
        """Indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones.

        See `ember.nonzero`.
        """
        return _ops.nonzero(self, as_tuple=as_tuple)

    def norm(self, p: Any = 'fro', dim: Any = None, keepdim: _bool = False, dtype: Any = None) -> Tensor:
        """The vector p-norm over `dim` (all elements when None): p a number (inf, -inf, 0 too) or "fro";
        "nuc" is the nuclear norm of a matrix (needs `ember.linalg.svdvals`). Floating dtypes only.

        See `ember.norm`.
        """
        return _ops.norm(self, p, dim, keepdim, dtype)

    def not_equal(self, other: Any) -> Tensor:
        """input != other, elementwise. Returns a bool tensor.

        See `ember.not_equal`.
        """
        return _ops.ne(self, other)

    def not_equal_(self, other: Any) -> Tensor:
        """In-place not_equal(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("not_equal", self, other)

    def outer(self, vec2: Tensor) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j].

        See `ember.outer`.
        """
        return _ops.outer(self, vec2)

    def permute(self, *order: Any, dims: Any = None) -> Tensor:
        """`input` with its dims reordered (a view); `permute(2, 0, 1)`, `permute((2, 0, 1))` or `permute(dims=...)`.

        See `ember.permute`.
        """
        return _ops.permute(self, *order, dims=dims)

    def pinverse(self, rcond: _float = 1e-15) -> Tensor:
        """The pseudo-inverse (torch.pinverse: singular values below rcond * the largest are dropped).

        See `ember.pinverse`.
        """
        return _ops.pinverse(self, rcond)

    def positive(self) -> Tensor:
        """input itself (unary +). Not defined for bool tensors.

        See `ember.positive`.
        """
        return _ops.positive(self)

    def pow(self, other: Any) -> Tensor:
        """input ** exponent, elementwise. bool ** bool is bool (input or not exponent). An integer to a negative integer exponent array is 1 for 1, +-1 for -1 and 0 otherwise, as PyTorch (a negative Python exponent is refused by core).

        See `ember.pow`.
        """
        return _ops.pow(self, other)

    def pow_(self, other: Any) -> Tensor:
        """In-place pow(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("pow", self, other)

    def prod(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """The product over `dim` (all dims when None); integers and bools multiply in int64.

        See `ember.prod`.
        """
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    def put(self, index: Tensor, source: Tensor, accumulate: _bool = False) -> Tensor:
        """A copy of `input`, read as 1-D, with `source`'s elements written (or added) at `index`.

        See `ember.put`.
        """
        return _ops.put(self, index, source, accumulate)

    def put_(self, index: Tensor, source: Tensor, accumulate: _bool = False) -> Tensor:
        """In-place put(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("put", self, index, source, accumulate)

    def qr(self, some: _bool = True) -> Any:
        """(Q, R) with A = Q R (torch.qr: the reduced decomposition when `some`, else the complete one).

        See `ember.qr`.
        """
        return _ops.qr(self, some)

    def quantile(self, q: Any, dim: _int | None = None, keepdim: _bool = False, *, interpolation: str = 'linear') -> Tensor:
        """The q-th quantiles along `dim` (of all elements when None); q a number or a 1-d tensor (its values
        become the first dim). `interpolation` between the two nearest ranks: linear, lower, higher,
        midpoint or nearest. A line with nan gives nan.

        See `ember.quantile`.
        """
        return _ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def rad2deg(self) -> Tensor:
        """Each element converted from radians to degrees.

        See `ember.rad2deg`.
        """
        return _ops.rad2deg(self)

    def rad2deg_(self) -> Tensor:
        """In-place rad2deg(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("rad2deg", self)

    def ravel(self) -> Tensor:
        """`input` as a 1-D tensor in C order: a view when the layout allows, else a copy (`reshape(-1)`).

        See `ember.ravel`.
        """
        return _ops.ravel(self)

    def reciprocal(self) -> Tensor:
        """1 / input, elementwise. Integer and bool inputs compute in the default float dtype.

        See `ember.reciprocal`.
        """
        return _ops.reciprocal(self)

    def reciprocal_(self) -> Tensor:
        """In-place reciprocal(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("reciprocal", self)

    def relu(self) -> Tensor:
        """max(input, 0), elementwise (nan stays nan); bool inputs come back unchanged (in new memory).

        See `ember.relu`.
        """
        return _ops.relu(self)

    def relu_(self) -> Tensor:
        """In-place relu(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("relu", self)

    def remainder(self, other: Any) -> Tensor:
        """input - floor(input / other) * other, Python's % (the sign of other; a zero result has input's sign, as PyTorch). Integer remainder by zero never reaches the kernel (core raises ZeroDivisionError); float gives nan. Not defined for bool tensors.

        See `ember.remainder`.
        """
        return _ops.remainder(self, other)

    def remainder_(self, other: Any) -> Tensor:
        """In-place remainder(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("remainder", self, other)

    def renorm(self, p: _float, dim: _int, maxnorm: _float) -> Tensor:
        """Each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to norm `maxnorm` (others unchanged).

        See `ember.renorm`.
        """
        return _ops.renorm(self, p, dim, maxnorm)

    def renorm_(self, p: _float, dim: _int, maxnorm: _float) -> Tensor:
        """In-place renorm(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("renorm", self, p, dim, maxnorm)

    def repeat_interleave(self, repeats: Any = None, dim: _int | None = None, *, output_size: _int | None = None) -> Tensor:
        """Each element (or slice along `dim`) repeated `repeats` times (an int or one count per element).

        `repeat_interleave(counts)` alone gives arange(len(counts)) with element i repeated counts[i] times.

        See `ember.repeat_interleave`.
        """
        return _ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def reshape(self, *sizes: Any, shape: Any = None) -> Tensor:
        """`input` with a new shape (`sizes` or `shape=`): a view when the layout allows, else a view of a compact copy.

        See `ember.reshape`.
        """
        return _ops.reshape(self, *sizes, shape=shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """`input` reshaped to `other`'s shape (a view when the layout allows; see `reshape`).

        See `ember.reshape_as`.
        """
        return _ops.reshape_as(self, other)

    def resolve_conj(self) -> Tensor:
        """`input` itself: Ember computes conjugates at once, so there is no conjugate bit to resolve.

        See `ember.resolve_conj`.
        """
        return _ops.resolve_conj(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift elements along `dims` cyclically (flattened when `dims` is None).

        See `ember.roll`.
        """
        return _ops.roll(self, shifts, dims)

    def rot90(self, k: _int = 1, dims: Sequence[_int] = (0, 1)) -> Tensor:
        """`input` rotated by 90 degrees `k` times in the plane of `dims`, from the first towards the second.

        See `ember.rot90`.
        """
        return _ops.rot90(self, k, dims)

    def round(self, *, decimals: _int = 0) -> Tensor:
        """Each element rounded to the nearest integer, half to even; integers and bools unchanged (in new memory).
        With `decimals` (floating tensors only), rounded to that many decimal places (negative: to tens, hundreds,
        ...), as PyTorch: round(input * 10**decimals) / 10**decimals, in the input's dtype.

        See `ember.round`.
        """
        return _ops.round(self, decimals=decimals)

    def round_(self, *, decimals: _int = 0) -> Tensor:
        """In-place round(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("round", self, decimals=decimals)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(input), elementwise. Integer and bool inputs compute in the default float dtype.

        See `ember.rsqrt`.
        """
        return _ops.rsqrt(self)

    def rsqrt_(self) -> Tensor:
        """In-place rsqrt(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("rsqrt", self)

    def scatter(self, dim: _int, index: Tensor, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:
        """A copy of `input` with values from `src` written at `index` along `dim`.

        `reduce="add"` or `"multiply"` combines them with what is there instead (PyTorch's older form of
        `scatter_reduce(..., "sum" or "prod")`).

        See `ember.scatter`.
        """
        return _ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim: _int, index: Tensor, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:
        """In-place scatter(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("scatter", self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """A copy of `input` with `src` added at `index` along `dim` (repeats sum).

        See `ember.scatter_add`.
        """
        return _ops.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """In-place scatter_add(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("scatter_add", self, dim, index, src)

    def scatter_reduce(self, dim: _int, index: Tensor, src: Tensor, reduce: str, *, include_self: _bool = True) -> Tensor:
        """A copy of `input` with `src` reduced into it at `index` along `dim`: "sum", "prod", "mean", "amax" or "amin".

        With `include_self` the values already in `input` take part; otherwise the written positions hold only
        the reduction of what `src` brings (positions that nothing is written to keep `input`'s values). Gradients
        as PyTorch's: for amax/amin they are shared evenly among the elements equal to the result.

        See `ember.scatter_reduce`.
        """
        return _ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim: _int, index: Tensor, src: Tensor, reduce: str, *, include_self: _bool = True) -> Tensor:
        """In-place scatter_reduce(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("scatter_reduce", self, dim, index, src, reduce, include_self=include_self)

    def select(self, dim: _int, index: _int) -> Tensor:
        """The view input[..., index, ...] along `dim`, without that dimension.

        See `ember.select`.
        """
        return _ops.select(self, dim, index)

    def sgn(self) -> Tensor:
        """The sign of each element, x / |x| (0 at 0): -1, 0 or 1 for real tensors, and 0 at nan as in PyTorch.
        Bool tensors come back unchanged.

        See `ember.sgn`.
        """
        return _ops.sgn(self)

    def sgn_(self) -> Tensor:
        """In-place sgn(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sgn", self)

    def sigmoid(self) -> Tensor:
        """The logistic function 1 / (1 + e**-input), without overflow for large |input|. Integer and bool inputs compute in the default float dtype.

        See `ember.sigmoid`.
        """
        return _ops.sigmoid(self)

    def sigmoid_(self) -> Tensor:
        """In-place sigmoid(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sigmoid", self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element; 0 at nan (as PyTorch; NumPy gives nan), sign(-0.0) is 0.0; bools come back unchanged (in new memory).

        See `ember.sign`.
        """
        return _ops.sign(self)

    def sign_(self) -> Tensor:
        """In-place sign(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sign", self)

    def signbit(self) -> Tensor:
        """Whether the sign bit of each element is set: True for negative values, -0.0 and negative nan.

        See `ember.signbit`.
        """
        return _ops.signbit(self)

    def sin(self) -> Tensor:
        """Sine of each element (radians). Integer and bool inputs compute in the default float dtype.

        See `ember.sin`.
        """
        return _ops.sin(self)

    def sin_(self) -> Tensor:
        """In-place sin(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sin", self)

    def sinc(self) -> Tensor:
        """sin(pi x) / (pi x) of each element x, 1 at 0 (gradient 0 there).

        See `ember.sinc`.
        """
        return _ops.sinc(self)

    def sinc_(self) -> Tensor:
        """In-place sinc(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sinc", self)

    def sinh(self) -> Tensor:
        """Hyperbolic sine of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.sinh`.
        """
        return _ops.sinh(self)

    def sinh_(self) -> Tensor:
        """In-place sinh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sinh", self)

    def slogdet(self) -> Any:
        """(sign, logabsdet) of the determinant of each square matrix: stable where det under/overflows.

        See `ember.slogdet`.
        """
        return _ops.slogdet(self)

    def softmax(self, dim: _int, dtype: Any = None) -> Tensor:
        """Softmax along `dim`.

        See `ember.softmax`.
        """
        return _ops.softmax(self, dim, dtype)

    def sort(self, dim: _int = -1, descending: _bool = False, *, stable: _bool = False) -> Any:
        """(values, indices) of `input` sorted along `dim` (always stable); gradients flow to the values' positions.

        See `ember.sort`.
        """
        return _ops.sort(self, dim, descending, stable=stable)

    def split(self, split_size_or_sections: Any, dim: _int = 0) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along `dim`: equal `int` sizes, or a list of sizes.

        See `ember.split`.
        """
        return _ops.split(self, split_size_or_sections, dim)

    def sqrt(self) -> Tensor:
        """Square root of each element; nan below 0. Integer and bool inputs compute in the default float dtype.

        See `ember.sqrt`.
        """
        return _ops.sqrt(self)

    def sqrt_(self) -> Tensor:
        """In-place sqrt(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sqrt", self)

    def square(self) -> Tensor:
        """input * input, elementwise; a bool tensor gives int64 (as PyTorch's square, which is pow(input, 2)).

        See `ember.square`.
        """
        return _ops.square(self)

    def square_(self) -> Tensor:
        """In-place square(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("square", self)

    def squeeze(self, dim: Any = None) -> Tensor:
        """Remove dims of size 1 (all of them, or those in `dim` that are 1).

        See `ember.squeeze`.
        """
        return _ops.squeeze(self, dim)

    def std(self, dim: Any = None, unbiased: _bool | None = None, keepdim: _bool = False, *, correction: _float | None = None) -> Tensor:
        """The standard deviation over `dim` with Bessel's correction by default (`correction=1`); its gradient
        is 0 where it is 0 (constant data), as PyTorch's, not nan.

        See `ember.std`.
        """
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """input - alpha * other, elementwise (broadcast; dtypes promoted). Not defined for bool tensors (either
        operand, as PyTorch).

        See `ember.sub`.
        """
        return _ops.sub(self, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place sub(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("sub", self, other, alpha=alpha)

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """input - alpha * other, elementwise (broadcast; dtypes promoted). Not defined for bool tensors (either
        operand, as PyTorch).

        See `ember.subtract`.
        """
        return _ops.sub(self, other, alpha=alpha)

    def subtract_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place subtract(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("subtract", self, other, alpha=alpha)

    def sum(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """Sum over `dim` (all dims when None); ints and bools sum in int64.

        See `ember.sum`.
        """
        return _ops.sum(self, dim, keepdim, dtype=dtype)

    def sum_to_size(self, *size: Any) -> Tensor:
        """Sum `input` down to `size`, undoing a broadcast (leading dims and dims of size 1).

        See `ember.sum_to_size`.
        """
        return _ops.sum_to_size(self, *size)

    def svd(self, some: _bool = True, compute_uv: _bool = True) -> Any:
        """(U, S, V) with A = U diag(S) V^T (torch.svd: V, not Vh; reduced when `some`; zeros for U, V without compute_uv).

        See `ember.svd`.
        """
        return _ops.svd(self, some, compute_uv)

    def swapaxes(self, axis0: _int, axis1: _int) -> Tensor:
        """`transpose` with NumPy's argument names: `input` with axes `axis0` and `axis1` swapped, as a view.

        See `ember.swapaxes`.
        """
        return _ops.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0: _int, dim1: _int) -> Tensor:
        """`input` with dimensions `dim0` and `dim1` swapped, as a view.

        See `ember.swapdims`.
        """
        return _ops.transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        """The transpose of a tensor of at most 2 dimensions, as a view (0-d and 1-d are returned as they are).

        See `ember.t`.
        """
        return _ops.t(self)

    def take(self, index: Tensor) -> Tensor:
        """The elements of `input`, read as 1-D, at `index` (negative counts from the end); shaped like `index`.

        See `ember.take`.
        """
        return _ops.take(self, index)

    def take_along_dim(self, indices: Tensor, dim: _int | None = None) -> Tensor:
        """The values of `input` at `indices` along `dim` (NumPy's take_along_axis).

        With `dim` None both are flattened first; otherwise they have the same number of
        dimensions and broadcast in every dimension but `dim`.

        See `ember.take_along_dim`.
        """
        return _ops.take_along_dim(self, indices, dim)

    def tan(self) -> Tensor:
        """Tangent of each element (radians). Integer and bool inputs compute in the default float dtype.

        See `ember.tan`.
        """
        return _ops.tan(self)

    def tan_(self) -> Tensor:
        """In-place tan(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("tan", self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent of each element. Integer and bool inputs compute in the default float dtype.

        See `ember.tanh`.
        """
        return _ops.tanh(self)

    def tanh_(self) -> Tensor:
        """In-place tanh(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("tanh", self)

    def tensor_split(self, indices_or_sections: Any = None, dim: _int = 0, *, sections: _int | None = None, indices: Sequence[_int] | None = None) -> tuple[Tensor, ...]:
        """Views of `input` split along `dim` into `n` nearly equal parts (an int) or at the given indices (a list).

        Like NumPy's array_split: n parts of sizes size//n + 1 (the first size % n of them) and size//n;
        indices cut as Python slices do (negative counts from the end, past the end gives empty parts).
        `sections=` and `indices=` are PyTorch's keyword spellings of `indices_or_sections`.

        See `ember.tensor_split`.
        """
        return _ops.tensor_split(self, indices_or_sections, dim, sections=sections, indices=indices)

    def tile(self, dims: Sequence[_int]) -> Tensor:
        """`input` repeated `dims[i]` times along each dimension (`dims` padded with leading 1s, as NumPy's tile).

        See `ember.tile`.
        """
        return _ops.tile(self, dims)

    def to(self, *args: Any, device: Any = None, dtype: Any = None, copy: _bool = False, non_blocking: _bool = False) -> Tensor:
        """`x` on another device and/or in another dtype: `.to("cuda")`, `.to(ember.float64)`, `.to(other)`.

        See `ember.to`.
        """
        return _ops.to(self, *args, device=device, dtype=dtype, copy=copy, non_blocking=non_blocking)

    def topk(self, k: _int, dim: _int = -1, largest: _bool = True, sorted: _bool = True) -> Any:  # noqa: A002 - PyTorch's argument names
        """The `k` largest (or smallest) values along `dim` and their indices.

        See `ember.topk`.
        """
        return _ops.topk(self, k, dim, largest, sorted)

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix; integers and bools sum in int64.

        See `ember.trace`.
        """
        return _ops.trace(self)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        """`input` with dimensions `dim0` and `dim1` swapped, as a view.

        See `ember.transpose`.
        """
        return _ops.transpose(self, dim0, dim1)

    def triangular_solve(self, A: Tensor, upper: _bool = True, transpose: _bool = False, unitriangular: _bool = False) -> Any:
        """(solution, cloned_coefficient) of A X = input (A^T X = input with `transpose`) for triangular A
        (torch.triangular_solve: upper by default; linalg.solve_triangular is the newer form).

        See `ember.triangular_solve`.
        """
        return _ops.triangular_solve(self, A, upper, transpose, unitriangular)

    def tril(self, diagonal: _int = 0) -> Tensor:
        """The lower triangle (elements with col - row <= diagonal); the rest zero.

        See `ember.tril`.
        """
        return _ops.tril(self, diagonal)

    def triu(self, diagonal: _int = 0) -> Tensor:
        """The upper triangle (elements with col - row >= diagonal); the rest zero.

        See `ember.triu`.
        """
        return _ops.triu(self, diagonal)

    def true_divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """input / other, elementwise (broadcast; dtypes promoted). rounding_mode None: true division (integer and
        bool inputs compute in the default float dtype); "trunc": rounded toward zero, "floor": rounded down (Python's
        //), both in the promoted dtype, integer division by zero raising ZeroDivisionError, as PyTorch.

        See `ember.true_divide`.
        """
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def true_divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """In-place true_divide(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("true_divide", self, other, rounding_mode=rounding_mode)

    def trunc(self) -> Tensor:
        """Each element rounded toward zero (its integer part); integers unchanged. Not defined for bool tensors.

        See `ember.trunc`.
        """
        return _ops.trunc(self)

    def trunc_(self) -> Tensor:
        """In-place trunc(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("trunc", self)

    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        """The slices of `input` along `dim` as a tuple of views, each without that dimension.

        See `ember.unbind`.
        """
        return _ops.unbind(self, dim)

    def unflatten(self, dim: _int, sizes: Sequence[_int]) -> Tensor:
        """`input` with dimension `dim` split into `sizes` (one of them may be -1).

        See `ember.unflatten`.
        """
        return _ops.unflatten(self, dim, sizes)

    def unique(self, sorted: _bool = True, return_inverse: _bool = False, return_counts: _bool = False, dim: _int | None = None) -> Any:  # noqa: A002 - PyTorch's argument names
        """The distinct elements (or distinct slices along `dim`) in ascending order; with `return_inverse`
        each element's index into them, with `return_counts` how often each occurs (both int64).
        (The result is always sorted, as PyTorch's on the CPU; nan values are each distinct.)

        See `ember.unique`.
        """
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse: _bool = False, return_counts: _bool = False, dim: _int | None = None) -> Any:
        """`unique` of consecutive runs only: each run of equal elements (or slices along `dim`) kept once.

        See `ember.unique_consecutive`.
        """
        return _ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def unsqueeze(self, dim: _int) -> Tensor:
        """`input` with a dimension of size 1 inserted at `dim`, as a view.

        See `ember.unsqueeze`.
        """
        return _ops.unsqueeze(self, dim)

    def var(self, dim: Any = None, unbiased: _bool | None = None, keepdim: _bool = False, *, correction: _float | None = None) -> Tensor:
        """Variance over `dim` with Bessel's `correction` (1 by default, like PyTorch; `unbiased=False` is 0).

        See `ember.var`.
        """
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def vdot(self, other: Tensor) -> Tensor:
        """The dot product of two 1-D tensors (the first conjugated: the same as dot for real tensors).

        See `ember.vdot`.
        """
        return _ops.vdot(self, other)

    def view(self, *shape: Any, size: Any = None) -> Tensor:
        """`input` with a new shape, sharing its memory (fails if the layout does not allow it).

        `view(dtype)` reads the same bytes as another dtype (the last dim scales by the ratio of the element
        sizes), as PyTorch does; Ember has no bit-reinterpreting kernel, so that result is a copy, not a view.

        See `ember.view`.
        """
        return _ops.view(self, *shape, size=size)

    def view_as(self, other: Tensor) -> Tensor:
        """`input` viewed with `other`'s shape (shares memory; see `view`).

        See `ember.view_as`.
        """
        return _ops.view_as(self, other)

    def vsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        """Split vertically: along dim 0 of a tensor of at least 2 dimensions, into equal sections or at indices.

        See `ember.vsplit`.
        """
        return _ops.vsplit(self, indices_or_sections)

    def xlogy(self, other: Any) -> Tensor:
        """input * log(other), taken as 0 where input == 0 (unless other is nan). Computes in a floating dtype.

        See `ember.xlogy`.
        """
        return _ops.xlogy(self, other)

    def xlogy_(self, other: Any) -> Tensor:
        """In-place xlogy(): the result is written into this tensor, which is returned."""
        return _ops.conversion.inplace("xlogy", self, other)

    # -- end of generated methods -----------------------------------------------------------------


class RemovableHandle:
    """What `register_hook` returns: `.remove()` takes the hook out (calling it does too)."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    __call__ = remove


def _bind_ops(module: Any) -> None:
    """Give the Tensor methods the `ember.ops` package (called once, when it is imported)."""
    global _ops, _binary
    _ops = module
    _binary = module.elementwise.binary
    for bind in _ARITHMETIC_BINDS:
        bind()


def _rebuild(array: np.ndarray, dtype: str, device: str, requires_grad: bool) -> Tensor:
    return tensor(array, dtype=_dt.as_dtype(dtype), device=device, requires_grad=requires_grad)


_bind_tensor_type(Tensor)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor of {ndim} dimensions")
    return dim + n if dim < 0 else dim


def tracked(x: Tensor) -> bool:
    """Whether `x` requires grad; a view whose base gained history since is brought up to date first."""
    if x._requires_grad:
        return True
    base = x._base
    if base is None or not base._requires_grad:
        return False
    from .ops.conversion import refresh_view

    refresh_view(x)
    return x._requires_grad


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def resolve_device(device: str | Device | None) -> Device:
    """Parse `device`, check its backend is installed and usable, default "cpu"."""
    if device is None:
        return _CPU
    dev = Device(device)
    backend = registry.get(dev.type)
    try:
        count = backend.device_count()
    except Exception as exc:
        raise BackendUnavailableError(
            f"device {dev}: backend {backend.name!r} ({backend.distribution}) could not count its devices: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if dev.index >= count:
        raise RuntimeError(
            f"device {dev}: index {dev.index} is out of range; backend {backend.name!r} has {count} device(s)"
        )
    return dev


def check_dtype_supported(dtype: DType, device: Device, op: str) -> Backend:
    backend = registry.get(device.type)
    if dtype not in backend.dtypes:
        supported = ", ".join(d.name for d in _dt.all_dtypes if d in backend.dtypes)
        hint = (
            "; complex tensors and ember.fft run on backends that hold complex dtypes: compute on another "
            "device (e.g. x.to('cpu')) and move the real results back"
            if dtype.is_complex
            else ""
        )
        raise TypeError(
            f"{op}: dtype {dtype.name} is not supported on device {device} (backend {backend.name!r}); "
            f"supported: {supported}{hint}"
        )
    return backend


def _host_array(data: Any, dtype: DType | None) -> np.ndarray:
    """Data (nested lists, scalars, arrays, tensors) as a host array of Ember's inferred dtype."""
    if isinstance(data, Tensor):
        arr = data.numpy(force=True)
    elif isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
    else:
        typed = isinstance(data, (list, tuple)) and _has_typed_leaf(data)
        leaves: set[DType] = set()
        if typed:  # NumPy scalars, arrays or tensors among the data: their dtypes promote with the Python
            _leaf_dtypes(data, leaves)  # numbers' (torch.tensor's rule), which NumPy's inference does not follow
            data = _tensors_to_lists(data)
        arr = _python_data_array(data, dtype)
        if dtype is None and typed:
            dtype = functools.reduce(_dt.promote_types, leaves)
        if dtype is None and arr.dtype.kind == "f" and not _has_numpy_floats(data):
            arr = arr.astype(_dt.get_default_dtype().numpy)
        if dtype is None and arr.dtype.kind == "c" and not _has_numpy_floats(data):
            arr = arr.astype(_dt.get_default_complex_dtype().numpy)  # Python complex: the default complex dtype
        if dtype is None and arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and arr.size and int(arr.max()) > 2**63 - 1:
                raise _int_overflow(int(arr.max()))
            arr = arr.astype(np.int64)
        if dtype is not None:  # Python data that the dtype cannot hold raises, as in PyTorch (arrays cast as C does)
            _dt.check_array_fits(arr, dtype, "tensor")
    if arr.dtype == object:
        raise TypeError(f"tensor(): could not infer a dtype from data of type {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(dtype.numpy, copy=False)
    else:
        _dt.from_numpy_dtype(arr.dtype)  # raises a clear error for unsupported NumPy dtypes
    return arr


def _int_overflow(value: int) -> ValueError:
    return ValueError(
        f"tensor(): the Python int {value} overflows int64, the dtype Python ints take; "
        f"give dtype=ember.float64 (or a float) to store it approximately"
    )


def _python_data_array(data: Any, dtype: DType | None) -> np.ndarray:
    """np.asarray of nested lists and scalars, with PyTorch's errors for ragged lists and ints past 64 bits."""
    try:
        arr = np.asarray(data)
    except ValueError as exc:
        if "inhomogeneous" not in str(exc):
            raise
        raise ValueError(f"tensor(): {_ragged(data)}; every list at one depth must have the same length") from None
    if arr.dtype == object:
        flat = arr.reshape(-1)
        if dtype is not None and dtype.is_floating_point or any(isinstance(v, float) for v in flat):
            try:  # huge ints among floats (or for a floating dtype) are stored approximately, as in PyTorch
                return np.asarray(data, dtype=np.float64)
            except (TypeError, ValueError, OverflowError):
                pass
        big = next((v for v in flat if type(v) is int and not -(2**63) <= v < 2**64), None)
        if big is not None:
            if dtype is not None:
                raise _dt.overflow_error(big, dtype, "tensor")
            raise _int_overflow(big)
    return arr


def _ragged(data: Any) -> str:
    """Where nested lists stop being rectangular, in PyTorch's words."""
    level = [data]
    dim = 0
    while level:
        seqs = [x for x in level if isinstance(x, (list, tuple))]
        if not seqs:
            break
        if len(seqs) != len(level):
            return f"mixed numbers and sequences at dim {dim}"
        want = len(seqs[0])
        for x in seqs:
            if len(x) != want:
                return f"expected sequence of length {want} at dim {dim} (got {len(x)})"
        level = [y for x in seqs for y in x]
        dim += 1
    return "the nested lists are not rectangular"


_TYPED = (Tensor, np.ndarray, np.generic)  # the leaves that carry a dtype of their own


def _has_typed_leaf(data: Sequence[Any]) -> bool:
    """Whether nested `data` holds a tensor, NumPy array or NumPy scalar (else NumPy's inference of the
    Python numbers already agrees with PyTorch's); one cheap pass, as plain lists are the common case."""
    return any(isinstance(x, _TYPED) or (isinstance(x, (list, tuple)) and _has_typed_leaf(x)) for x in data)


def _leaf_dtypes(data: Sequence[Any], out: set[DType]) -> None:
    """Adds to `out` the dtype PyTorch gives each leaf of nested `data`: bool, int64, the default float or
    complex dtype for Python numbers; their own for NumPy scalars, arrays and tensors."""
    for x in data:
        if isinstance(x, (list, tuple)):
            _leaf_dtypes(x, out)
        elif isinstance(x, Tensor):
            out.add(x._dtype)
        elif isinstance(x, np.ndarray | np.generic):  # (before float: np.float64 is a float)
            out.add(_dt.from_numpy_dtype(x.dtype))
        elif isinstance(x, bool):
            out.add(_dt.bool_)
        elif isinstance(x, int):
            out.add(_dt.int64)
        elif isinstance(x, float):
            out.add(_dt.get_default_dtype())
        elif isinstance(x, complex):
            out.add(_dt.get_default_complex_dtype())


def _tensors_to_lists(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def _has_numpy_floats(data: Any) -> bool:
    if isinstance(data, (list, tuple)):
        return any(_has_numpy_floats(x) for x in data[:1])
    return isinstance(data, np.floating | np.complexfloating)


def _from_host(arr: np.ndarray, device: Device, requires_grad: bool, op: str) -> Tensor:
    dtype = _dt.from_numpy_dtype(arr.dtype)
    backend = check_dtype_supported(dtype, device, op)
    t = Tensor._make(backend.from_host(arr, device.index), tuple(arr.shape), dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, *, dtype: Any = None, device: str | Device | None = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays)."""
    d = _dt.as_dtype(dtype) if dtype is not None else None
    arr = np.array(_host_array(data, d), copy=True)
    return _from_host(arr, resolve_device(device), requires_grad, "tensor")


def as_tensor(data: Any, dtype: Any = None, device: str | Device | None = None) -> Tensor:
    """`data` as a tensor, sharing memory where it can (a tensor or a host array on "cpu")."""
    d = _dt.as_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        return data.to(device=device if device is not None else data.device, dtype=d)
    return _from_host(_host_array(data, d), resolve_device(device), False, "as_tensor")


_host_dtypes: dict[np.dtype, tuple[Backend, DType]] = {}  # checked once per NumPy dtype (data loaders call often)


def from_numpy(array: np.ndarray) -> Tensor:
    """A "cpu" tensor sharing memory with `array`."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    hit = _host_dtypes.get(array.dtype)
    if hit is None or hit[0] is not registry._by_device.get("cpu"):
        t = _from_host(array, resolve_device(_CPU), False, "from_numpy")
        _host_dtypes[array.dtype] = (registry.get("cpu"), t._dtype)
        return t
    backend, dtype = hit
    return Tensor._make(backend.from_host(array, 0), array.shape, dtype, _CPU)


def from_dlpack(obj: Any, *, device: str | Device | None = None) -> Tensor:
    """A tensor sharing memory with a DLPack-exporting object (an array of any library: NumPy, PyTorch, CuPy, ...).

    `obj` is the exporting object itself (with ``__dlpack__`` and ``__dlpack_device__``), not a capsule.
    The backend is the one whose DLPack device code matches the object's; where several backends report
    the same code (two CPU backends), ``cpu`` is taken for host memory and otherwise `device` must say which.
    """
    if isinstance(obj, Tensor):
        return obj if device is None else obj.to(device)
    if not hasattr(obj, "__dlpack_device__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ and __dlpack_device__ (an array of a DLPack-aware "
            f"library), got {type(obj).__name__}; for a NumPy array, from_numpy or as_tensor also work"
        )
    dl_type, dl_index = (int(v) for v in obj.__dlpack_device__())
    if device is not None:
        want = Device(device) if not isinstance(device, Device) else device
        backend = registry.get(want.type)
        if backend.dlpack_device_type != dl_type:
            raise RuntimeError(
                f"from_dlpack: the object lives on DLPack device type {dl_type}, but device {want.type!r} "
                f"(backend {backend.name!r}) imports DLPack device type {backend.dlpack_device_type}; "
                f"move it first, or leave out device= to let Ember pick the matching backend"
            )
        dev = resolve_device(Device(want.type, want.index if want.index is not None else dl_index))
    else:
        cpu = registry.peek(_CPU.type) if dl_type == 1 else None  # host memory: the reference backend, if it takes it
        if cpu is not None and cpu.dlpack_device_type == 1:
            candidates = [cpu]
        else:
            candidates = [b for b in registry.backends() if b.dlpack_device_type == dl_type]
        if not candidates:
            raise RuntimeError(f"from_dlpack: no installed backend handles DLPack device type {dl_type}")
        if len(candidates) > 1:
            names = ", ".join(repr(b.device_type) for b in candidates)
            raise RuntimeError(
                f"from_dlpack: backends for device types {names} all import DLPack device type {dl_type}; "
                f"say which with device=, e.g. from_dlpack(x, device={candidates[0].device_type!r})"
            )
        dev = resolve_device(Device(candidates[0].device_type, dl_index))
        backend = candidates[0]
    native = backend.from_dlpack(obj, dev.index)
    shape, host_dtype = native_meta(backend, native)
    if host_dtype is None:
        raise RuntimeError(f"from_dlpack: backend {backend.name!r} returned an array whose dtype it does not report")
    return Tensor._make(native, shape, _dt.from_numpy_dtype(host_dtype), dev)


def _is_scalar(x: Any) -> bool:
    return isinstance(x, numbers.Number)


def _ones(t: Tensor) -> Tensor:
    """A tensor of ones like `t`: the implicit gradient of a scalar output (`t` requires grad, so its
    floating dtype is one its device holds: `full`'s checks are skipped)."""
    return _ops._run.run(_ops.creation.FULL, t._device, (t._shape, 1, t._dtype, t._device.index), t._shape, t._dtype)


def _backward_into_inputs(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Tensor | None],
    retain_graph: bool | None,
    create_graph: bool,
    inputs: Tensor | Sequence[Tensor],
) -> None:
    """backward(inputs=...): accumulate into the `.grad` of `inputs` only (leaves or not), as PyTorch does."""
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not ins:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: inputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"backward: inputs[{i}] (shape {t._shape}) does not require grad")
    results = _backward_entry(tensors, grad_tensors, retain_graph, create_graph, ins)
    assert results is not None
    with _grad_mode.set_grad_enabled(create_graph):
        for t, g in zip(ins, results):
            if g is None:
                continue
            if not create_graph:
                g = g.detach()
            old = t._grad
            t._grad = (g.clone() if g._base is not None else g) if old is None else old + g
            if t.grad_fn is None and t._post_acc_hooks:
                for hook in list(t._post_acc_hooks):
                    hook(t)


def _backward_entry(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Tensor | None],
    retain_graph: bool | None,
    create_graph: bool,
    inputs: Sequence[Tensor] | None,
) -> list[Tensor | None] | None:
    roots, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if t._base is not None:
            from .ops.conversion import refresh_view

            refresh_view(t)
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: nothing in its "
                f"history requires grad (set requires_grad=True on the leaves you want gradients for)"
            )
        if g is None:
            if t._shape and t.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but the output has shape "
                    f"{t._shape}; pass gradient= (a tensor of that shape), or reduce it first, e.g. .sum()"
                )
            if t._dtype.is_complex:
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs, but the output is {t._dtype.name}; "
                    f"take a real loss first, e.g. .abs() or .real, or pass gradient="
                )
            g = _ones(t)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor, got {type(g).__name__}")
        elif g._shape != t._shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g._shape} and output[{i}] has a shape of "
                f"{t._shape} (backward: the gradient has shape {g._shape} but the output has shape {t._shape}; they "
                f"must match)"
            )
        elif g._device is not t._device:
            raise RuntimeError(f"backward: gradient is on {g._device} but the output is on {t._device}")
        roots.append(t)
        grads.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(roots, grads, retain_graph, create_graph, inputs)

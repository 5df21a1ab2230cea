"""`Tensor`: a backend's native array with its shape, dtype, device and autograd state.

This module holds what a tensor *is*; its math comes from two base classes:
`ember._tensor_methods.TensorMethods` (``x.exp()``, ``x.sum(1)``: the public functions
as methods, generated from the op table) and `ember._operators.TensorOperators`
(``a + b``, ``x[i]``, ``x.float()``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import dtypes as _dt
from ._operators import TensorOperators
from ._tensor_methods import TensorMethods
from .autograd.graph import Node, _bind_tensor_type, run_backward
from .backends import Backend, BackendUnavailableError, registry
from .device import Device
from .dtypes import DType

__all__ = ["Tensor", "tensor", "as_tensor", "from_numpy", "from_dlpack", "is_tensor"]

_CPU = Device("cpu")


class _ItemError(RuntimeError, ValueError):
    """item() of a tensor without exactly one element: a RuntimeError as in PyTorch (and a ValueError)."""


class _VersionCounter:
    """Shared by a tensor and its views; bumped by every in-place write."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Tensor(TensorMethods, TensorOperators):
    """An n-dimensional array on a device, with reverse-mode autograd."""

    __slots__ = (
        "_data",
        "_shape",
        "_dtype",
        "_device",
        "_requires_grad",
        "grad",
        "grad_fn",
        "_output_nr",
        "_version",
        "_base",
        "_view_fn",
        "_view_version",
        "_retains_grad",
        "_hooks",
        "__weakref__",
    )

    _data: Any
    _shape: tuple[int, ...]
    _dtype: DType
    _device: Device
    _requires_grad: bool
    grad: Tensor | None
    grad_fn: Node | None
    _output_nr: int
    _version: _VersionCounter | None
    _base: Tensor | None
    _view_fn: tuple[tuple[Callable[..., Tensor], tuple[Any, ...]], ...]
    _view_version: int  # the base's version when this view's grad_fn was last set
    _retains_grad: bool
    _hooks: list[Callable[[Tensor], Tensor | None]] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("use ember.tensor(data), ember.zeros(shape), ... to make tensors")

    @classmethod
    def _make(cls, data: Any, shape: tuple[int, ...], dtype: DType, device: Device) -> Tensor:
        t = object.__new__(cls)
        t._data = data
        t._shape = shape
        t._dtype = dtype
        t._device = device
        t._requires_grad = False
        t.grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version = None
        t._base = None
        t._retains_grad = False
        t._hooks = None
        return t

    # -- metadata -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    def size(self, dim: int | None = None) -> Any:
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
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        return len(self._shape)

    def numel(self) -> int:
        n = 1
        for s in self._shape:
            n *= s
        return n

    def element_size(self) -> int:
        return self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    @property
    def backend(self) -> Backend:
        return registry.get(self._device.type)

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._shape[0]):
            yield self[i]  # type: ignore[index]

    def __hash__(self) -> int:
        return id(self)

    # -- autograd state -------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return tracked(self) if self._base is not None else self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad of leaf tensors; use .detach() to get a tensor without grad"
            )
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got dtype {self._dtype.name}; "
                f"cast first, e.g. x.float().requires_grad_()"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _version_counter(self) -> _VersionCounter:
        v = self._version
        if v is None:
            v = self._version = _VersionCounter() if self._base is None else self._base._version_counter()
        return v

    @property
    def _version_value(self) -> int:
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

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def keep(g: Tensor) -> None:
            t = ref()
            if t is not None:  # a copy: the gradient flowing on may be a view or shared
                t.grad = g.detach().clone() if t.grad is None else t.grad + g.detach()  # type: ignore[attr-defined]

        self.grad_fn.register_prehook(self._output_nr, keep, last=True)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            self.grad_fn.register_prehook(self._output_nr, hook)
            hooks = self.grad_fn.pre_hooks[self._output_nr]  # type: ignore[index]
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            hooks.append(hook)

        return RemovableHandle(hooks, hook)

    def backward(
        self, gradient: Tensor | None = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`."""
        _backward_entry((self,), (gradient,), retain_graph, create_graph, None)

    # -- conversion -----------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (shares memory on the host device)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy() instead"
            )
        backend = registry.get(self._device.type)
        return backend.to_host(self._data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        a = registry.get(self._device.type).to_host(self._data)
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def item(self) -> bool | int | float:
        """The value of a one-element tensor as a Python number."""
        n = self.numel()
        if n != 1:
            raise _ItemError(
                f"item(): a tensor with {n} elements (shape {self._shape}) cannot be converted to a Python "
                f"number; only one-element tensors can"
            )
        return registry.get(self._device.type).to_host(self._data).reshape(()).item()  # type: ignore[no-any-return]

    def tolist(self) -> Any:
        return registry.get(self._device.type).to_host(self._data).tolist()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.numel()} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
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

    def __dlpack_device__(self) -> tuple[int, int]:
        dev = getattr(self._data, "__dlpack_device__", None)
        if dev is None:
            raise BufferError(f"backend of device {self._device} cannot export DLPack capsules")
        return dev()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        from ._format import format_tensor

        return format_tensor(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self.numpy(force=True).copy(), self._dtype.name, str(self._device), self._requires_grad))


class RemovableHandle:
    """What `register_hook` returns: `.remove()` takes the hook out (calling it does too)."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    __call__ = remove


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
        raise TypeError(
            f"{op}: dtype {dtype.name} is not supported on device {device} (backend {backend.name!r}); "
            f"supported: {supported}"
        )
    return backend


def _host_array(data: Any, dtype: DType | None) -> np.ndarray:
    """Data (nested lists, scalars, arrays, tensors) as a host array of Ember's inferred dtype."""
    if isinstance(data, Tensor):
        arr = data.numpy(force=True)
    elif isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and _contains_tensor(data):
            data = _tensors_to_lists(data)
        arr = np.asarray(data)
        if dtype is None and arr.dtype.kind == "f" and not _has_numpy_floats(data):
            arr = arr.astype(_dt.get_default_dtype().numpy)
        if dtype is None and arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            arr = arr.astype(np.int64)
    if arr.dtype == object:
        raise TypeError(f"tensor(): could not infer a dtype from data of type {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(dtype.numpy, copy=False)
    else:
        _dt.from_numpy_dtype(arr.dtype)  # raises a clear error for unsupported NumPy dtypes
    return arr


def _contains_tensor(data: Sequence[Any]) -> bool:
    return any(isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _contains_tensor(x)) for x in data)


def _tensors_to_lists(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def _has_numpy_floats(data: Any) -> bool:
    if isinstance(data, (list, tuple)):
        return any(_has_numpy_floats(x) for x in data[:1])
    return isinstance(data, np.floating)


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
        return data.to(device=device if device is not None else data.device, dtype=d)  # type: ignore[attr-defined, no-any-return]
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


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with a DLPack-exporting object (array of any library)."""
    if isinstance(obj, Tensor):
        return obj
    dl_type, dl_index = obj.__dlpack_device__()
    for backend in registry.backends():
        if backend.dlpack_device_type == int(dl_type):
            dev = resolve_device(Device(backend.device_type, int(dl_index)))
            native = backend.from_dlpack(obj, dev.index)
            host_dtype = np.dtype(getattr(native, "dtype", np.float32))
            return Tensor._make(native, tuple(native.shape), _dt.from_numpy_dtype(host_dtype), dev)
    raise RuntimeError(f"from_dlpack: no installed backend handles DLPack device type {dl_type}")


def _is_scalar(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, complex)


_FULL: Any = None


def _ones(t: Tensor) -> Tensor:
    """A tensor of ones like `t`: the implicit gradient of a scalar output."""
    global _FULL
    if _FULL is None:
        from .ops.creation import FULL

        _FULL = FULL
    dev = t._device
    k = _FULL._kernels.get(dev.type)
    if k is None:
        from .dispatch import kernel_for

        k = kernel_for(_FULL, dev.type)
    return Tensor._make(k(t._shape, 1, t._dtype, dev.index), t._shape, t._dtype, dev)


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
            g = _ones(t)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor, got {type(g).__name__}")
        elif g._shape != t._shape:
            raise RuntimeError(
                f"backward: gradient has shape {g._shape} but the output has shape {t._shape}; they must match"
            )
        elif g._device is not t._device:
            raise RuntimeError(f"backward: gradient is on {g._device} but the output is on {t._device}")
        roots.append(t)
        grads.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(roots, grads, retain_graph, create_graph, inputs)

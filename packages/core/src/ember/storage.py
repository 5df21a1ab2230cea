"""`UntypedStorage`: the memory block under a tensor, as bytes (what `Tensor.untyped_storage()` returns).

Ember keeps no storage objects of its own: a tensor is a view of its backend's native array. This is a
window onto that array's whole block, made on request, for what code asks of PyTorch's storages: its
size, its address (two tensors share memory when their storages' `data_ptr()` are equal), its device,
whether it is shared between processes, and its byte values. It is read-only: resize it or write into it
through tensors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .device import Device
    from .tensor import Tensor

__all__ = ["UntypedStorage"]


class UntypedStorage:
    """The bytes of the memory block that a tensor views (see the module docstring)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def _bytes(self) -> np.ndarray:
        t = self._tensor
        return np.asarray(t.backend.storage_bytes(t._data))

    @property
    def device(self) -> Device:
        return self._tensor.device

    def data_ptr(self) -> int:
        """The address of the block's first byte (on OpenCL, the buffer's handle)."""
        t = self._tensor
        return t.data_ptr() - t.storage_offset() * t.element_size()

    def nbytes(self) -> int:
        return int(self._bytes().size)

    def size(self) -> int:
        """The number of bytes (an untyped storage's elements are bytes)."""
        return self.nbytes()

    def __len__(self) -> int:
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    def is_shared(self) -> bool:
        return self._tensor.device.type == "cpu" and bool(self._tensor.is_shared())

    def share_memory_(self) -> UntypedStorage:
        """Move the block into shared memory (CPU only; see `Tensor.share_memory_`)."""
        self._tensor.share_memory_()
        return self

    def tolist(self) -> list[int]:
        return [int(b) for b in self._bytes()]

    def __getitem__(self, index: Any) -> Any:
        data = self._bytes()
        if isinstance(index, slice):
            return [int(b) for b in data[index]]
        n = data.size
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise IndexError(f"UntypedStorage: index {index!r} out of range for a storage of {n} bytes")
        return int(data[index])

    def __repr__(self) -> str:
        data = self._bytes()
        head = "".join(f" {int(b)}\n" for b in data)
        return f"{head}[ember.UntypedStorage(device={self.device}) of size {data.size}]"

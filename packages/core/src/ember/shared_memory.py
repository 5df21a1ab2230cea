"""Tensors in shared memory: what `Tensor.share_memory_()` does, and how such tensors cross processes.

A shared CPU tensor's elements live in a memory-mapped block under /dev/shm (the temporary
directory where there is none), mapped MAP_SHARED. Processes forked afterwards see the same
memory; sending the tensor through `multiprocessing` (a Queue, a Pool's or a spawned Process's
arguments) passes the block's name rather than its values, so every process reads and writes the
same elements: Hogwild-style training, as with torch.multiprocessing. Pickling for anything else
(`pickle.dumps`, a file) still writes the values. The block's name is removed when the process that
made it no longer maps it (or exits); processes that mapped it keep their mapping.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import tempfile
import uuid
import weakref
from typing import Any

import numpy as np

from . import dtypes as _dt
from .backends import root_array
from .tensor import Tensor, from_numpy

__all__ = ["is_shared", "share_memory_"]

_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()


class _Block(mmap.mmap):
    """A mapped shared block that knows the path other processes open it by."""

    path: str


def _unlink(path: str, owner: int) -> None:
    if os.getpid() == owner:  # not a forked child dropping its inherited copy of the mapping
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _create(nbytes: int) -> _Block:
    path = os.path.join(_DIR, f"ember-{os.getpid()}-{uuid.uuid4().hex}")
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, max(nbytes, 1))
        block = _Block(fd, max(nbytes, 1))
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
    block.path = path
    weakref.finalize(block, _unlink, path, os.getpid())
    return block


def _attach(path: str, nbytes: int) -> _Block:
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise RuntimeError(
            f"a shared tensor's memory ({path}) no longer exists: the process that called share_memory_() "
            "freed the tensor (or exited) before this process received it. Keep the tensor alive in the sending "
            "process until every receiver has it."
        ) from None
    try:
        block = _Block(fd, max(nbytes, 1))
    finally:
        os.close(fd)
    block.path = path
    return block


def _block_of(native: Any) -> _Block | None:
    """The shared block under a NumPy array (a view's too), or None."""
    root = root_array(native).base if isinstance(native, np.ndarray) else None
    if isinstance(root, memoryview):
        root = root.obj
    return root if isinstance(root, _Block) else None


def is_shared(t: Tensor) -> bool:
    """Whether `t`'s elements live in a shared block (see `share_memory_`)."""
    return _block_of(t._data) is not None


def _address(a: Any) -> int:
    return int(np.asarray(a).__array_interface__["data"][0])


def share_memory_(t: Tensor) -> Tensor:
    """Move `t`'s memory into a new shared block (a no-op if it is in one already); returns `t`.

    Only CPU tensors can be shared. As in PyTorch the whole memory block moves, and the tensor and its
    chain of bases (`t._base`) follow it. Ember has no storage objects, though: other tensors that
    aliased the memory (other views of the same base, `detach()` results made before) keep the old
    memory, so share the tensors you will go on using (a module's `share_memory()` does it for every
    parameter and buffer).
    """
    if t._device.type != "cpu":
        raise RuntimeError(
            f"share_memory_: only CPU tensors can live in shared memory, got a tensor on {t._device}; "
            "move it with .cpu() first"
        )
    native = t._data
    if not isinstance(native, np.ndarray):
        raise RuntimeError(
            f"share_memory_: the cpu backend keeps its arrays as {type(native).__name__}, not in NumPy arrays, "
            "so Ember cannot place them in shared memory"
        )
    if _block_of(native) is not None:
        return t
    _register_reductions()
    root = root_array(native)
    if not (root.flags.c_contiguous or root.flags.f_contiguous):  # its bytes are no single span: copy t alone
        root = native = t._data = np.ascontiguousarray(native)
    block = _create(root.nbytes)
    start = _address(root)
    np.frombuffer(block, np.uint8, count=root.nbytes)[...] = t.backend.storage_bytes(native)

    def rehome(a: np.ndarray) -> np.ndarray:
        return np.ndarray(a.shape, dtype=a.dtype, buffer=block, offset=_address(a) - start, strides=a.strides)

    owner: Tensor | None = t
    while owner is not None:  # the tensor and the bases it views follow the memory
        if isinstance(owner._data, np.ndarray) and root_array(owner._data) is root:
            owner._data = rehome(owner._data)
        owner = owner._base
    return t


def _rebuild(path: str, nbytes: int, shape: tuple[int, ...], strides: tuple[int, ...], offset: int, dtype: str,
             requires_grad: bool) -> Tensor:  # fmt: skip
    _register_reductions()  # so that this process can pass the tensor on in turn
    block = _attach(path, nbytes)
    array = np.ndarray(shape, dtype=_dt.as_dtype(dtype).numpy, buffer=block, offset=offset, strides=strides)
    out = from_numpy(array)
    return out.requires_grad_() if requires_grad else out


def _reduce(t: Tensor) -> Any:
    """multiprocessing's pickling of a tensor: a shared one by its block's name, any other by value."""
    block = _block_of(t._data)
    if block is None:
        return t.__reduce_ex__(2)
    native = t._data
    offset = native.__array_interface__["data"][0] - np.frombuffer(block, np.uint8, count=1).__array_interface__["data"][0]
    return _rebuild, (block.path, len(block), native.shape, native.strides, offset, t._dtype.name, t.requires_grad)


_registered = False


def _register_reductions() -> None:
    """Teach multiprocessing's pickler `_reduce` (once per process; only shared tensors need it)."""
    global _registered
    if not _registered:
        from multiprocessing.reduction import ForkingPickler

        ForkingPickler.register(Tensor, _reduce)
        _registered = True

"""`ember.distributed`: process groups and collectives with PyTorch's signatures, on MPI (and NCCL on CUDA).

Install the engine with ``pip install "ember-core[mpi]"`` (mpi4py and the MPICH wheel) and start N processes with
``python -m ember.distributed.run --nproc N script.py`` (or a cluster's own ``mpiexec``). In the script::

    import ember.distributed as dist
    dist.init_process_group("mpi")
    dist.all_reduce(t)              # in place, summed over every rank

Tensors of any backend work: CPU tensors go to MPI as their own NumPy buffers (no copy when contiguous), others
are staged through host memory. See docs/distributed.md.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
import zlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "ReduceOp",
    "Work",
    "ProcessGroup",
    "GroupMember",
    "is_available",
    "is_mpi_available",
    "is_nccl_available",
    "init_process_group",
    "is_initialized",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "get_backend",
    "barrier",
    "all_reduce",
    "reduce",
    "broadcast",
    "all_gather",
    "all_gather_into_tensor",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "send",
    "recv",
    "isend",
    "irecv",
    "all_gather_object",
    "broadcast_object_list",
    "gather",
    "scatter",
    "all_to_all",
    "all_to_all_single",
    "gather_object",
    "scatter_object_list",
    "new_group",
    "get_group_rank",
    "get_global_rank",
    "get_process_group_ranks",
]


class ReduceOp(Enum):
    """How `all_reduce` and friends combine the ranks' values (PyTorch's names)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    # members are singletons compared by identity: hash them so too (Enum's hash of the name costs ~0.2 us a call)
    __hash__ = object.__hash__


# -- availability -------------------------------------------------------------


def _mpi_missing() -> str | None:
    try:
        import mpi4py
    except ImportError:
        return 'mpi4py is not installed: pip install "ember-core[mpi]" (mpi4py and the MPICH wheel)'
    return None


def _nccl_missing() -> str | None:
    try:
        import cupy
        from cupy.cuda import nccl
    except Exception as e:  # ImportError, or CuPy's own errors about CUDA
        return f"NCCL needs CuPy with NCCL (pip install ember-backend-cupy[cuda12]): {type(e).__name__}: {e}"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return f"NCCL needs a CUDA GPU; CUDA reports: {e}"
    if n < 1:
        return "NCCL needs a CUDA GPU; none is visible"
    return None


def is_available() -> bool:
    """Whether some backend of ember.distributed can run here (MPI or NCCL)."""
    return is_mpi_available() or is_nccl_available()


def is_mpi_available() -> bool:
    return _mpi_missing() is None


def is_nccl_available() -> bool:
    return _nccl_missing() is None


# -- the process group -----------------------------------------------------------


class ProcessGroup:
    """The ranks that talk together: the world (`GroupMember.WORLD`) or a `new_group` of some of its ranks.

    `ranks` are the members' global ranks in group-rank order (sorted, as in PyTorch)."""

    def __init__(self, backend: str, comm: Any, nccl: Any = None, ranks: Sequence[int] | None = None) -> None:
        self.backend = backend
        self.comm = comm  # mpi4py.MPI.Comm
        self.nccl = nccl  # cupy.cuda.nccl.NcclCommunicator, for backend "nccl"
        self._rank: int = comm.Get_rank()
        self._size: int = comm.Get_size()
        self.ranks: list[int] = list(range(self._size)) if ranks is None else list(ranks)
        self.check_collectives = os.environ.get("EMBER_DISTRIBUTED_CHECKS", "1") != "0"
        from mpi4py import MPI

        self._in_place = MPI.IN_PLACE  # at hand for the collectives (an import statement costs ~1 us a call)
        # the cross-rank check's receive table, and per call shape the signature and the table expected back
        self._table = np.empty((self._size, _CHECK_LEN), dtype=np.int64)
        self._signatures: dict[tuple[Any, ...], tuple[np.ndarray, bytes]] = {}

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, rank={self._rank}, size={self._size})"


class GroupMember:
    """PyTorch's holder of the default group: `GroupMember.WORLD` (None before `init_process_group`)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


class _NotAMember(Exception):
    """Raised by `_group` for `GroupMember.NON_GROUP_MEMBER`; the collectives then return None, as in PyTorch."""


_F = TypeVar("_F", bound=Callable[..., Any])


def _members_only(outside: Any = None) -> Callable[[_F], _F]:
    """A collective called with `GroupMember.NON_GROUP_MEMBER` (what `new_group` gave a rank outside the group)
    does nothing there and returns `outside`, as in PyTorch."""

    def wrap(fn: _F) -> _F:
        @functools.wraps(fn)
        def collective(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except _NotAMember:
                return outside

        return cast(_F, collective)

    return wrap


def _group(group: ProcessGroup | int | None, what: str) -> ProcessGroup:
    if group is GroupMember.NON_GROUP_MEMBER or (type(group) is int and group == GroupMember.NON_GROUP_MEMBER):
        raise _NotAMember(what)
    g = group if group is not None else GroupMember.WORLD
    if not isinstance(g, ProcessGroup) and g is not None:
        raise TypeError(f"{what}: group must be a ProcessGroup from new_group() or None, got {type(g).__name__}")
    if g is None:
        raise RuntimeError(
            f"{what}: the default process group has not been initialized; call "
            "ember.distributed.init_process_group() first (start the ranks with python -m ember.distributed.run)"
        )
    return g


def _env_int(*names: str) -> int | None:
    for n in names:
        v = os.environ.get(n)
        if v not in (None, ""):
            return int(v)
    return None


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the world of ranks started by ``mpiexec`` (or ``python -m ember.distributed.run``).

    ``backend`` is ``"mpi"`` (any tensors) or ``"nccl"`` (CUDA tensors, NCCL through CuPy; MPI still starts the
    ranks and hands out NCCL's id). The rank and world size come from MPI; torchrun-style ``RANK`` /
    ``WORLD_SIZE`` variables, and ``rank`` / ``world_size`` arguments, must agree with them (they are checked).
    Afterwards ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` are set for code that reads them.
    An uncaught exception on any rank then ends every rank (MPI_Abort) after printing its traceback once.
    """
    if GroupMember.WORLD is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    if name not in ("mpi", "nccl"):
        raise ValueError(
            f"init_process_group: backend {backend!r} is not supported; ember.distributed has 'mpi' and 'nccl'"
        )
    missing = _mpi_missing()
    if missing:
        raise RuntimeError(f"init_process_group(backend={name!r}): {missing}")
    if name == "nccl":
        missing = _nccl_missing()
        if missing:
            raise RuntimeError(f"init_process_group(backend='nccl'): {missing}")
    from mpi4py import MPI

    comm = MPI.COMM_WORLD.Dup()
    r, n = comm.Get_rank(), comm.Get_size()
    for label, given in (("rank", rank), ("RANK", _env_int("RANK"))):
        if given is not None and given >= 0 and given != r:
            raise ValueError(
                f"init_process_group: {label}={given} but MPI says this process is rank {r} of {n}; "
                "start the ranks with mpiexec or python -m ember.distributed.run"
            )
    for label, given in (("world_size", world_size), ("WORLD_SIZE", _env_int("WORLD_SIZE"))):
        if given is not None and given > 0 and given != n:
            raise ValueError(
                f"init_process_group: {label}={given} but MPI started {n} process(es); start them with "
                f"mpiexec -n {given} ... or python -m ember.distributed.run --nproc {given} ..."
            )
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    os.environ.update(
        RANK=str(r),
        WORLD_SIZE=str(n),
        LOCAL_RANK=str(local.Get_rank()),
        LOCAL_WORLD_SIZE=str(local.Get_size()),
    )
    nccl_comm = None
    if name == "nccl":
        import cupy

        cupy.cuda.Device(local.Get_rank() % cupy.cuda.runtime.getDeviceCount()).use()
        nccl_comm = _nccl_communicator(comm)
    local.Free()
    GroupMember.WORLD = ProcessGroup(name, comm, nccl_comm)
    _install_abort_on_error()


def _nccl_communicator(comm: Any) -> Any:
    """An NCCL communicator over the ranks of the MPI communicator `comm` (its first rank makes NCCL's id)."""
    from cupy.cuda import nccl

    uid = comm.bcast(nccl.get_unique_id() if comm.Get_rank() == 0 else None, root=0)
    return nccl.NcclCommunicator(comm.Get_size(), uid, comm.Get_rank())


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group (MPI itself is finalized when the process ends)."""
    if group is not None and group is not GroupMember.WORLD:
        if isinstance(group, ProcessGroup):
            group.comm.Free()
        return
    g = _group(group, "destroy_process_group")
    g.comm.Free()
    GroupMember.WORLD = None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in `group` (-1 when it is not a member, as in PyTorch)."""
    try:
        return _group(group, "get_rank").rank()
    except _NotAMember:
        return -1


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of ranks in `group` (-1 when this process is not a member, as in PyTorch)."""
    try:
        return _group(group, "get_world_size").size()
    except _NotAMember:
        return -1


def new_group(
    ranks: Sequence[int] | None = None,
    timeout: timedelta | None = None,
    backend: str | None = None,
    pg_options: Any = None,
    use_local_synchronization: bool = False,
    group_desc: str | None = None,
    device_id: Any = None,
) -> ProcessGroup | int:
    """A group of some of the world's ranks (all when None), for collectives among them only.

    Every rank of the world must call it, with the same `ranks` (an MPI communicator is created over the world).
    Group ranks follow the sorted global ranks. A rank outside `ranks` gets `GroupMember.NON_GROUP_MEMBER`, and
    collectives on it return None there, as in PyTorch. `backend` defaults to the world's; an "nccl" group
    (in an "nccl" world only) gets its own NCCL communicator over its members, built by them alone."""
    world = _group(None, "new_group")
    members = list(range(world._size)) if ranks is None else list(ranks)
    for r in members:
        _check_rank(world, r, "new_group", "ranks[i]")
    if len(set(members)) != len(members):
        raise ValueError(f"new_group: ranks must be unique, got {list(ranks or [])}")
    members.sort()
    name = world.backend if backend is None else str(backend).lower()
    if name not in ("mpi", "nccl"):
        raise ValueError(f"new_group: backend {backend!r} is not supported; use 'mpi', 'nccl' or None (the world's)")
    if name == "nccl" and world.backend != "nccl":
        raise ValueError(
            "new_group: backend 'nccl' needs a world started with init_process_group('nccl'); this one uses "
            f"{world.backend!r}"
        )
    _check(world, "new_group", None, zlib.crc32(np.array(members, dtype=np.int64).tobytes()) ^ len(members) << 32)
    comm = world.comm.Create(world.comm.Get_group().Incl(members))
    if world._rank not in members:
        return GroupMember.NON_GROUP_MEMBER
    # NCCL subgroups: not yet run on a GPU (none was lent while this was written)
    return ProcessGroup(name, comm, _nccl_communicator(comm) if name == "nccl" else None, ranks=members)


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of `group`'s members, in group-rank order."""
    return list(_group(group, "get_process_group_ranks").ranks)


def get_group_rank(group: ProcessGroup | None, global_rank: int) -> int:
    """`global_rank`'s rank within `group` (an error when it is not a member)."""
    g = _group(group, "get_group_rank")
    if global_rank not in g.ranks:
        raise ValueError(f"get_group_rank: global rank {global_rank} is not part of the group {g.ranks}")
    return g.ranks.index(global_rank)


def get_global_rank(group: ProcessGroup | None, group_rank: int) -> int:
    """The global rank of `group`'s member number `group_rank`."""
    g = _group(group, "get_global_rank")
    _check_rank(g, group_rank, "get_global_rank", "group_rank")
    return g.ranks[group_rank]


def get_backend(group: ProcessGroup | None = None) -> str:
    return _group(group, "get_backend").backend


# -- faults -------------------------------------------------------------------------

_previous_excepthook: Callable[..., Any] | None = None


def abort_on_error(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
    """Print this rank's traceback once, then end every rank (MPI_Abort), so none waits forever in a collective."""
    try:
        r = os.environ.get("RANK") or os.environ.get("PMI_RANK") or "?"
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(f"[ember.distributed] rank {r} failed; ending all ranks:\n{text}")
        sys.stderr.flush()
        sys.stdout.flush()
    finally:
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)


def _install_abort_on_error() -> None:
    global _previous_excepthook
    if sys.excepthook is not abort_on_error:
        _previous_excepthook = sys.excepthook
        sys.excepthook = abort_on_error


# -- buffers --------------------------------------------------------------------------


def _np_view(t: Tensor) -> tuple[np.ndarray, bool]:
    """A contiguous host array of `t`'s data and whether it *is* `t`'s memory (so writes land in `t`)."""
    host = t._data
    if t._device.type != "cpu" or type(host) is not np.ndarray:  # CPU tensors hold their NumPy array itself
        from ..backends import registry

        host = registry.get(t._device.type).to_host(host)
        return np.ascontiguousarray(host), False
    if host.flags.c_contiguous:
        return host, True
    return np.ascontiguousarray(host), False


def _write_back(t: Tensor, host: np.ndarray) -> None:
    from ..autograd.grad_mode import no_grad
    from ..tensor import from_numpy

    with no_grad():
        t.copy_(from_numpy(np.ascontiguousarray(host).reshape(t._shape)))


def _reduced(op: ReduceOp, g: ProcessGroup, wire: np.ndarray, host: np.ndarray, shared: bool, t: Tensor) -> None:
    """After a reduction landed in `wire`: AVG's division (fused with the rounding back to float16/bfloat16, one
    pass either way), the copy out of the wire buffer, the write back into `t`."""
    if op is ReduceOp.AVG:
        n = g._size
        if n & (n - 1) == 0:  # a power of two: multiplying by 1/n is exact, the same numbers as dividing, faster
            np.multiply(wire, 1.0 / n, out=host, casting="unsafe")
        else:
            np.divide(wire, n, out=host, casting="unsafe")
    elif wire is not host:
        host[...] = wire
    if not shared:
        _write_back(t, host)


_REDUCE_OPS: dict[Any, ReduceOp] = {**{o: o for o in ReduceOp}, **{o.value: o for o in ReduceOp}}
_OP_INDEX = {op: i for i, op in enumerate(ReduceOp)}


def _reduce_op(op: ReduceOp | str, what: str) -> ReduceOp:
    """`op` as a ReduceOp (PyTorch's enum, or its name as a string in any case)."""
    if type(op) is ReduceOp:
        return op
    hit = _REDUCE_OPS.get(op) if isinstance(op, str) else None
    if hit is None:
        hit = _REDUCE_OPS.get(str(op).lower())
        if hit is None:
            raise ValueError(f"{what}: unknown op {op!r}; use one of {', '.join('ReduceOp.' + o.name for o in ReduceOp)}")
    return hit


_OP_CACHE: dict[tuple[ReduceOp, np.dtype], Any] = {}


def _mpi_op(op: ReduceOp, dtype: np.dtype, what: str) -> Any:
    key = (op, dtype)
    hit = _OP_CACHE.get(key)
    if hit is None:
        hit = _OP_CACHE[key] = _find_mpi_op(op, dtype, what)
    return hit


def _find_mpi_op(op: ReduceOp, dtype: np.dtype, what: str) -> Any:
    from mpi4py import MPI

    if dtype == np.bool_:
        table = {
            ReduceOp.SUM: MPI.LOR,
            ReduceOp.MAX: MPI.LOR,
            ReduceOp.BOR: MPI.LOR,
            ReduceOp.PRODUCT: MPI.LAND,
            ReduceOp.MIN: MPI.LAND,
            ReduceOp.BAND: MPI.LAND,
            ReduceOp.BXOR: MPI.LXOR,
        }
        if op in table:
            return table[op]
    elif op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iu":  # bfloat16's kind is V
        raise ValueError(f"{what}: {op.name} needs an integer or bool tensor, got {dtype}")
    elif op in (ReduceOp.MIN, ReduceOp.MAX) and dtype.kind == "c":
        raise ValueError(f"{what}: {op.name} is not defined for complex tensors ({dtype})")
    if op is ReduceOp.AVG:
        if dtype.kind not in "fc" and dtype.name != "bfloat16":
            raise ValueError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}; use SUM and divide")
        return MPI.SUM
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }[op]


def _wire(host: np.ndarray) -> np.ndarray:
    """What MPI reduces: float16/bfloat16 go through float32 (MPI has no bfloat16; float16 support varies)."""
    dt = host.dtype
    if dt.itemsize == 2 and dt.kind in "fV":  # float16, or bfloat16 (ml_dtypes' kind is V)
        return host.astype(np.float32)
    return host


# -- the cross-rank check of collectives -------------------------------------------------
# Before a collective, the ranks exchange a signature of their call (one allgather of 12 int64: a few us), so
# that different collectives, shapes or dtypes across ranks raise a clear error on every rank instead of
# hanging in MPI or returning a silently wrong result. Signatures are cached per call shape.

# name: (code, what the signature's `extra` field holds)
_CHECK_OPS: dict[str, tuple[int, str]] = {
    "all_reduce": (1, "op"),
    "broadcast": (2, "src"),
    "all_gather": (3, ""),
    "reduce_scatter": (4, "op"),
    "reduce": (5, "dst/op"),
    "barrier": (6, ""),
    "gather": (7, "dst"),
    "scatter": (8, "src"),
    "all_to_all": (9, ""),
    "new_group": (10, "ranks checksum"),
    "all_to_all_single": (11, "bytes per row"),
}
_CHECK_NAMES = {code: name for name, (code, _) in _CHECK_OPS.items()}
_CHECK_LEN = 12  # code, extra, dtype, ndim, numel, then the first 7 sizes of the shape
_DTYPE_INDEX: dict[str, int] = {}


def _dtype_index(name: str) -> int:
    if not _DTYPE_INDEX:
        from ..dtypes import all_dtypes

        _DTYPE_INDEX.update((d.name, i) for i, d in enumerate(all_dtypes))
    return _DTYPE_INDEX[name]


def _signature(what: str, t: Tensor | None, extra: int, dtype: str | None) -> np.ndarray:
    sig = np.full(_CHECK_LEN, -1, dtype=np.int64)
    sig[0], sig[1] = _CHECK_OPS[what][0], extra
    if t is not None:
        sig[2:5] = _dtype_index(t._dtype.name), len(t._shape), t.numel()
        shape = t._shape[: _CHECK_LEN - 5]
        sig[5 : 5 + len(shape)] = shape
    elif dtype is not None:
        sig[2] = _dtype_index(dtype)
    return sig


def _check(g: ProcessGroup, what: str, t: Tensor | None = None, extra: int = 0, dtype: str | None = None) -> None:
    """Every rank calls the same collective (`what`, with the same `extra`: op or root) on a tensor of the same
    shape and dtype as `t` (or of `dtype`); else a clear error on every rank, naming rank 0's call and another's.

    Per call shape the group keeps the signature and the table every rank should get back, so that a call
    touches little memory: after a large collective has flushed the caches, each object touched costs a miss."""
    if not g.check_collectives or g._size == 1:
        return
    key = (what, extra, dtype) if t is None else (what, extra, t._dtype, t._shape)
    hit = g._signatures.get(key)
    if hit is None:
        if len(g._signatures) > 4096:  # many shapes (dynamic shapes): start again rather than grow forever
            g._signatures.clear()
        sig = _signature(what, t, extra, dtype)
        hit = g._signatures[key] = (sig, sig.tobytes() * g._size)
    g.comm.Allgather(hit[0], g._table)
    if g._table.tobytes() != hit[1]:
        _mismatch(what, g._table.copy())


def _mismatch(what: str, table: np.ndarray) -> None:
    from ..dtypes import all_dtypes

    def say(row: np.ndarray) -> str:
        code, extra, dtype, ndim = (int(v) for v in row[:4])
        name = _CHECK_NAMES.get(code, f"collective #{code}")
        label = _CHECK_OPS[name][1] if name in _CHECK_OPS else "extra"
        text = name
        if ndim >= 0:
            shape = str(tuple(int(s) for s in row[5 : 5 + min(ndim, _CHECK_LEN - 5)]))
            if ndim > _CHECK_LEN - 5:
                shape = shape[:-1] + ", ...)"
            text += f" on a tensor of shape {shape}"
        if dtype >= 0:
            text += f"{',' if ndim >= 0 else ' on'} dtype {all_dtypes[dtype].name}"
        if label == "op":
            text += f" (op {list(ReduceOp)[extra].name})"
        elif label == "ranks checksum":
            text += f" of {extra >> 32} rank(s) (ranks checksum {extra & 0xFFFFFFFF})"
        elif label == "dst/op":
            text += f" (dst {extra // len(ReduceOp)}, op {list(ReduceOp)[extra % len(ReduceOp)].name})"
        elif label:
            text += f" ({label} {extra})"
        return text

    bad = next(i for i in range(len(table)) if not (table[i] == table[0]).all())
    raise RuntimeError(
        f"ember.distributed.{what}: the ranks called mismatched collectives: rank 0 called {say(table[0])}, "
        f"rank {bad} called {say(table[bad])}. Every rank must call the same collectives in the same order "
        "on tensors of the same shapes and dtypes."
    )


def _check_counts(g: ProcessGroup, what: str, sends: Sequence[int], recvs: Sequence[int]) -> None:
    """For all_to_all: what each rank sends to each other rank is what that rank expects from it (bytes)."""
    if not g.check_collectives or g._size == 1:
        return
    n = g._size
    table = np.empty((n, 2 * n), dtype=np.int64)
    g.comm.Allgather(np.array([*sends, *recvs], dtype=np.int64), table)
    for i in range(n):
        for j in range(n):
            if table[i, j] != table[j, n + i]:
                raise RuntimeError(
                    f"ember.distributed.{what}: rank {i} sends {table[i, j]} bytes to rank {j}, which expects "
                    f"{table[j, n + i]} bytes from it; every rank's input chunk r must match rank r's output chunk "
                    "(shapes and split sizes)"
                )


_TENSOR: list[type] = []


def _check_tensor(t: Any, what: str, name: str = "tensor") -> Tensor:
    if not _TENSOR:
        from ..tensor import Tensor

        _TENSOR.append(Tensor)
    if not isinstance(t, _TENSOR[0]):
        raise TypeError(f"{what}: {name} must be an ember.Tensor, got {type(t).__name__}")
    return cast("Tensor", t)


class Work:
    """The handle of an `async_op=True` collective: `wait()` finishes it (and writes results into the tensors)."""

    def __init__(self, requests: Sequence[Any] = (), finish: Callable[[], None] | None = None, result: Any = None):
        self._requests = [r for r in requests if r is not None]
        self._finish = finish
        self._done = False
        self._result = result

    def is_completed(self) -> bool:
        if self._done:
            return True
        from mpi4py import MPI

        if self._requests and not MPI.Request.Testall(self._requests):
            return False
        self.wait()
        return True

    def is_success(self) -> bool:
        return self.is_completed()

    def wait(self, timeout: timedelta | None = None) -> bool:
        if not self._done:
            if self._requests:
                from mpi4py import MPI

                MPI.Request.Waitall(self._requests)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def result(self) -> Any:
        self.wait()
        return self._result


def _call(g: ProcessGroup, name: str, async_op: bool, *args: Any, **kwargs: Any) -> Any:
    """MPI's non-blocking collective for async_op (its request), else the blocking one (MPI may pick faster
    algorithms for it), returning None."""
    if async_op:
        return getattr(g.comm, "I" + name)(*args, **kwargs)
    getattr(g.comm, name[0].upper() + name[1:])(*args, **kwargs)
    return None


def _done(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


# -- NCCL (CUDA tensors) ---------------------------------------------------------


def _nccl_call(g: ProcessGroup, t: Tensor, what: str) -> bool:
    """Whether `t` goes through NCCL: a CUDA tensor in an "nccl" group."""
    if g.backend != "nccl":
        return False
    if t._device.type != "cuda":
        raise RuntimeError(f"{what}: the 'nccl' backend takes CUDA tensors, got one on {t._device}; use backend='mpi'")
    if not t.is_contiguous():
        raise RuntimeError(f"{what}: NCCL needs a contiguous tensor; call .contiguous() first")
    return True


def _nccl_types(t: Tensor, op: ReduceOp | str | None) -> tuple[int, int | None, int]:
    from cupy.cuda import nccl

    types = {
        "float16": nccl.NCCL_FLOAT16,
        "float32": nccl.NCCL_FLOAT32,
        "float64": nccl.NCCL_FLOAT64,
        "int32": nccl.NCCL_INT32,
        "int64": nccl.NCCL_INT64,
        "int8": nccl.NCCL_INT8,
        "uint8": nccl.NCCL_UINT8,
        "bool": nccl.NCCL_UINT8,
    }
    if t._dtype.name not in types:
        raise TypeError(f"NCCL has no {t._dtype.name}; use backend='mpi' for this tensor")
    nop = None
    if op is not None:
        key = op.value if isinstance(op, ReduceOp) else str(op).lower()
        nop = {"sum": nccl.NCCL_SUM, "avg": nccl.NCCL_SUM, "product": nccl.NCCL_PROD}.get(key)
        nop = nop if nop is not None else {"min": nccl.NCCL_MIN, "max": nccl.NCCL_MAX}.get(key)
        if nop is None:
            raise ValueError(f"NCCL has no {key} reduction")
    return types[t._dtype.name], nop, t.numel()


def _stream() -> int:
    import cupy

    return int(cupy.cuda.get_current_stream().ptr)


# -- collectives ------------------------------------------------------------------------


@_members_only()
def all_reduce(
    tensor: Tensor, op: ReduceOp | str = ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Combine `tensor` over all ranks with `op`, in place on every rank."""
    if not async_op and type(op) is ReduceOp:  # the common call, in as little Python as can be (see _FAST_MPI_OPS)
        g = GroupMember.WORLD if group is None else group
        host = getattr(tensor, "_data", None)
        if type(host) is np.ndarray and type(g) is ProcessGroup and g.backend == "mpi" and host.flags.c_contiguous:
            mop = _FAST_MPI_OPS.get((op, tensor._dtype))
            if mop is not None:
                _check(g, "all_reduce", tensor, _OP_INDEX[op])
                g.comm.Allreduce(g._in_place, host, mop)
                return None
    t = _check_tensor(tensor, "all_reduce")
    g = _group(group, "all_reduce")
    rop = _reduce_op(op, "all_reduce")
    _check(g, "all_reduce", t, _OP_INDEX[rop])
    if g.backend == "nccl" and _nccl_call(g, t, "all_reduce"):
        nt, nop, count = _nccl_types(t, rop)
        g.nccl.allReduce(t.data_ptr(), t.data_ptr(), count, nt, nop, _stream())
        if rop is ReduceOp.AVG:
            from ..autograd.grad_mode import no_grad

            with no_grad():
                t.div_(g._size)
        return _done(Work(), async_op)
    host, shared = _np_view(t)
    mop = _mpi_op(rop, host.dtype, "all_reduce")
    wire = _wire(host)
    if async_op:
        req = g.comm.Iallreduce(g._in_place, wire, mop)
        return Work([req], lambda: _reduced(rop, g, wire, host, shared, t))
    g.comm.Allreduce(g._in_place, wire, mop)  # the blocking call: MPI may pick faster algorithms for it
    _reduced(rop, g, wire, host, shared, t)
    if wire is host and rop is not ReduceOp.AVG:
        _FAST_MPI_OPS[(rop, t._dtype)] = mop
    return None


# (op, ember dtype) -> the MPI op, for the ops and dtypes that MPI reduces in place on the tensor's own NumPy
# array with nothing to do after (no AVG division, no float16/bfloat16 wire copy); filled by all_reduce's first
# such call. A 1 MB allreduce flushes the caches, so every Python object touched on the next call is a miss: this
# path touched half as many and took the checked 1 MB call from about 1.08x raw mpi4py to about 1.04x.
_FAST_MPI_OPS: dict[tuple[ReduceOp, Any], Any] = {}


@_members_only()
def reduce(
    tensor: Tensor,
    dst: int | None = None,
    op: ReduceOp | str = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """Combine `tensor` over all ranks into rank `dst`'s `tensor` (others keep theirs)."""
    t = _check_tensor(tensor, "reduce")
    g = _group(group, "reduce")
    dst = _one_rank(g, dst, group_dst, "reduce", "dst")
    rop = _reduce_op(op, "reduce")
    _check(g, "reduce", t, dst * len(ReduceOp) + _OP_INDEX[rop])
    host, shared = _np_view(t)
    mop = _mpi_op(rop, host.dtype, "reduce")
    wire = _wire(host)
    from mpi4py import MPI

    if g._rank == dst:
        req = _call(g, "reduce", async_op, MPI.IN_PLACE, wire, mop, root=dst)
    else:
        req = _call(g, "reduce", async_op, wire, None, mop, root=dst)

    def finish() -> None:
        if g._rank == dst:
            _reduced(rop, g, wire, host, shared, t)

    return _done(Work([req], finish), async_op)


def _one_rank(g: ProcessGroup, rank: int | None, group_rank: int | None, what: str, name: str) -> int:
    """PyTorch's `src` (a global rank) or `group_src` (a rank within `g`), exactly one of them, as a rank of `g`."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"{what}: can't specify both {name} and group_{name}")
        _check_rank(g, group_rank, what, f"group_{name}")
        return group_rank
    if rank is None:
        raise ValueError(f"{what}: must specify {name} or group_{name}")
    if g.ranks[-1] + 1 == len(g.ranks):  # the world, or a group of ranks 0..n-1: the same numbers
        _check_rank(g, rank, what, name)
        return rank
    if rank not in g.ranks:
        raise ValueError(f"{what}: {name}={rank!r} is not a global rank of this group ({g.ranks}); or pass group_{name}")
    return g.ranks.index(rank)


def _check_rank(g: ProcessGroup, r: Any, what: str, name: str) -> None:
    if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < g._size:
        raise ValueError(f"{what}: {name}={r!r} is not a rank of this group (0..{g._size - 1})")


@_members_only()
def broadcast(
    tensor: Tensor,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Copy rank `src`'s `tensor` into `tensor` on every rank."""
    t = _check_tensor(tensor, "broadcast")
    g = _group(group, "broadcast")
    src = _one_rank(g, src, group_src, "broadcast", "src")
    _check(g, "broadcast", t, src)
    if _nccl_call(g, t, "broadcast"):
        nt, _, count = _nccl_types(t, None)
        g.nccl.broadcast(t.data_ptr(), t.data_ptr(), count, nt, src, _stream())
        return _done(Work(), async_op)
    host, shared = _np_view(t)
    wire = host.view(np.uint8) if host.dtype.name == "bfloat16" else host
    req = _call(g, "bcast", async_op, wire, root=src)

    def finish() -> None:
        if not shared and g._rank != src:
            _write_back(t, host)

    return _done(Work([req], finish), async_op)


def _bytes(host: np.ndarray) -> np.ndarray:
    return host.reshape(-1).view(np.uint8)


@_members_only()
def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Each rank's `input_tensor`, concatenated along dim 0 (or stacked) into `output_tensor`, on every rank."""
    out = _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    inp = _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    g = _group(group, "all_gather_into_tensor")
    if out.numel() != inp.numel() * g._size or out._dtype is not inp._dtype:
        raise ValueError(
            f"all_gather_into_tensor: output_tensor (shape {out._shape}, {out._dtype.name}) must hold world_size="
            f"{g._size} times input_tensor (shape {inp._shape}, {inp._dtype.name}) of the same dtype"
        )
    _check(g, "all_gather", inp)
    src, _ = _np_view(inp)
    host, shared = _np_view(out)
    req = _call(g, "allgather", async_op, _bytes(src), _bytes(host))

    def finish() -> None:
        if not shared:
            _write_back(out, host)

    return _done(Work([req], finish), async_op)


@_members_only()
def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Fill `tensor_list[r]` with rank r's `tensor`, on every rank."""
    t = _check_tensor(tensor, "all_gather")
    g = _group(group, "all_gather")
    outs = _same_tensors("all_gather", "tensor_list", tensor_list, g._size, t)
    _check(g, "all_gather", t)
    src, _ = _np_view(t)
    host = np.empty((g._size, *src.shape), dtype=src.dtype)
    req = _call(g, "allgather", async_op, _bytes(src), _bytes(host))

    def finish() -> None:
        for r, o in enumerate(outs):
            _write_back(o, host[r])

    return _done(Work([req], finish), async_op)


@_members_only()
def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,  # noqa: A002 (PyTorch's name)
    op: ReduceOp | str = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce `input` over all ranks and give rank r the r-th of world_size equal chunks (along dim 0)."""
    out = _check_tensor(output, "reduce_scatter_tensor", "output")
    inp = _check_tensor(input, "reduce_scatter_tensor", "input")
    g = _group(group, "reduce_scatter_tensor")
    if inp.numel() != out.numel() * g._size or out._dtype is not inp._dtype:
        raise ValueError(
            f"reduce_scatter_tensor: input (shape {inp._shape}, {inp._dtype.name}) must hold world_size={g._size} "
            f"times output (shape {out._shape}, {out._dtype.name}) of the same dtype"
        )
    rop = _reduce_op(op, "reduce_scatter_tensor")
    _check(g, "reduce_scatter", inp, _OP_INDEX[rop])
    src, _ = _np_view(inp)
    host, shared = _np_view(out)
    mop = _mpi_op(rop, src.dtype, "reduce_scatter_tensor")
    wsrc, wout = _wire(src), _wire(host)
    req = _call(g, "reduce_scatter_block", async_op, wsrc.reshape(-1), wout.reshape(-1), mop)

    def finish() -> None:
        _reduced(rop, g, wout, host, shared, out)

    return _done(Work([req], finish), async_op)


@_members_only()
def reduce_scatter(
    output: Tensor,
    input_list: list[Tensor],
    op: ReduceOp | str = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce `input_list[r]` over all ranks into rank r's `output`."""
    out = _check_tensor(output, "reduce_scatter", "output")
    g = _group(group, "reduce_scatter")
    ins = _same_tensors("reduce_scatter", "input_list", input_list, g._size, out)
    from ..ops import stack

    return reduce_scatter_tensor(out, stack(ins), op, group, async_op)


@_members_only()
def barrier(
    group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None, timeout: timedelta | None = None
) -> Work | None:
    """Wait until every rank got here."""
    g = _group(group, "barrier")
    _check(g, "barrier")
    return _done(Work([_call(g, "barrier", async_op)]), async_op)


def _p2p(
    tensor: Tensor,
    peer: int | None,
    group_peer: int | None,
    tag: int,
    group: ProcessGroup | None,
    what: str,
    sending: bool,
) -> Work:
    t = _check_tensor(tensor, what)
    g = _group(group, what)
    name = "dst" if sending else "src"
    if peer is not None or group_peer is not None or sending:
        peer = _one_rank(g, peer, group_peer, what, name)
        if peer == g._rank:
            raise ValueError(f"{what}: rank {g.ranks[peer]} cannot {'send to' if sending else 'receive from'} itself")
    host, shared = _np_view(t)
    if sending:
        return Work([g.comm.Isend(_bytes(host), dest=peer, tag=tag)])
    from mpi4py import MPI

    status = MPI.Status()
    buf = _bytes(host)
    req = g.comm.Irecv(buf, source=MPI.ANY_SOURCE if peer is None else peer, tag=tag)
    work = Work([req])

    def finish() -> None:
        MPI.Request.Wait(req, status)
        sender = g.ranks[status.Get_source()]
        if status.Get_count(MPI.BYTE) != buf.size:
            raise RuntimeError(
                f"{what}: received {status.Get_count(MPI.BYTE)} bytes from rank {sender} but the "
                f"tensor (shape {t._shape}, {t._dtype.name}) holds {buf.size}; send and recv tensors must match"
            )
        work._result = sender
        if not shared:
            _write_back(t, host)

    work._requests = []
    work._finish = finish
    return work


@_members_only()
def send(
    tensor: Tensor,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_dst: int | None = None,
) -> None:
    """Send `tensor` to rank `dst` (returns once the buffer can be reused)."""
    _p2p(tensor, dst, group_dst, tag, group, "send", True).wait()


@_members_only(-1)
def recv(
    tensor: Tensor,
    src: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_src: int | None = None,
) -> int:
    """Receive into `tensor` from rank `src` (any rank when None); returns the sender's (global) rank."""
    return int(_p2p(tensor, src, group_src, tag, group, "recv", False).result())


@_members_only()
def isend(
    tensor: Tensor,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_dst: int | None = None,
) -> Work:
    return _p2p(tensor, dst, group_dst, tag, group, "isend", True)


@_members_only()
def irecv(
    tensor: Tensor,
    src: int | None = None,
    group: ProcessGroup | None = None,
    tag: int = 0,
    group_src: int | None = None,
) -> Work:
    return _p2p(tensor, src, group_src, tag, group, "irecv", False)


@_members_only()
def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill `object_list[r]` with rank r's picklable `obj`."""
    g = _group(group, "all_gather_object")
    if len(object_list) != g._size:
        raise ValueError(f"all_gather_object: object_list must have world_size={g._size} entries")
    object_list[:] = g.comm.allgather(obj)


@_members_only()
def broadcast_object_list(
    object_list: list[Any],
    src: int | None = None,
    group: ProcessGroup | None = None,
    device: Any = None,
    group_src: int | None = None,
) -> None:
    """Replace `object_list`'s entries by rank `src`'s (picklable objects)."""
    g = _group(group, "broadcast_object_list")
    src = _one_rank(g, src, group_src, "broadcast_object_list", "src")
    object_list[:] = g.comm.bcast(object_list if g._rank == src else None, root=src)


def _same_tensors(what: str, name: str, items: Any, count: int, like: Tensor | None) -> list[Any]:
    """`items`: a list of `count` entries (tensors of `like`'s shape and dtype when `like` is given), else a clear
    error."""
    kind = "tensors" if like is not None else "entries"
    if not isinstance(items, (list, tuple)) or len(items) != count:
        raise ValueError(f"{what}: {name} must be a list of world_size={count} {kind}")
    if like is not None:
        for o in items:
            _check_tensor(o, what, f"{name}[i]")
            if o._shape != like._shape or o._dtype is not like._dtype:
                raise ValueError(
                    f"{what}: every tensor of {name} must have shape {like._shape} and dtype {like._dtype.name}, "
                    f"got shape {o._shape}, {o._dtype.name}"
                )
    return list(items)


def _rooted(
    g: ProcessGroup,
    what: str,
    rank: int | None,
    group_rank: int | None,
    name: str,
    items: Any,
    items_name: str,
    like: Tensor | None = None,
    refused_elsewhere: bool = True,
) -> tuple[int, list[Any]]:
    """The arguments of gather/scatter and their object versions: the root (`rank` or `group_rank`, the group's
    first rank by default) as a group rank, and the list there (`world_size` entries, tensors like `like` when
    given; [] on the other ranks, where a list is an error when `refused_elsewhere`, as in PyTorch)."""
    if rank is None and group_rank is None:
        rank = g.ranks[0]
    root = _one_rank(g, rank, group_rank, what, name)
    role = "destination" if name == "dst" else "source"
    if g._rank == root:
        if not items:
            raise ValueError(f"{what}: argument {items_name} must be specified on the {role} rank")
        return root, _same_tensors(what, items_name, items, g._size, like)
    if items and refused_elsewhere:
        raise ValueError(f"{what}: argument {items_name} must NOT be specified on ranks other than the {role}")
    return root, []


@_members_only()
def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """Rank r's `tensor` into `gather_list[r]` on rank `dst` (default 0) only."""
    t = _check_tensor(tensor, "gather")
    g = _group(group, "gather")
    dst, outs = _rooted(g, "gather", dst, group_dst, "dst", gather_list, "gather_list", t)
    root = g._rank == dst
    _check(g, "gather", t, dst)
    src, _ = _np_view(t)
    host = np.empty((g._size, *src.shape), dtype=src.dtype) if root else None
    req = _call(g, "gather", async_op, _bytes(src), _bytes(host) if host is not None else None, root=dst)

    def finish() -> None:
        if host is not None:
            for r, o in enumerate(outs):
                _write_back(o, host[r])

    return _done(Work([req], finish), async_op)


@_members_only()
def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """`scatter_list[r]` of rank `src` (default 0) into rank r's `tensor`."""
    t = _check_tensor(tensor, "scatter")
    g = _group(group, "scatter")
    src, ins = _rooted(g, "scatter", src, group_src, "src", scatter_list, "scatter_list", t)
    root = g._rank == src
    if root:
        send = np.ascontiguousarray(np.stack([_np_view(i)[0] for i in ins]))
    _check(g, "scatter", t, src)
    host, shared = _np_view(t)
    req = _call(g, "scatter", async_op, _bytes(send) if root else None, _bytes(host), root=src)

    def finish() -> None:
        if not shared:
            _write_back(t, host)

    return _done(Work([req], finish), async_op)


@_members_only()
def all_to_all_single(
    output: Tensor,
    input: Tensor,  # noqa: A002 (PyTorch's name)
    output_split_sizes: Sequence[int] | None = None,
    input_split_sizes: Sequence[int] | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Split `input` along dim 0 and send the r-th part to rank r; `output` gets, in rank order, what each sent.

    Without split sizes the parts are equal (dim 0 divisible by the world size)."""
    out = _check_tensor(output, "all_to_all_single", "output")
    inp = _check_tensor(input, "all_to_all_single", "input")
    g = _group(group, "all_to_all_single")
    if out._dtype is not inp._dtype or out._shape[1:] != inp._shape[1:]:
        raise ValueError(
            f"all_to_all_single: output (shape {out._shape}, {out._dtype.name}) and input (shape {inp._shape}, "
            f"{inp._dtype.name}) must have the same dtype and the same sizes beyond dim 0"
        )

    def splits(sizes: Sequence[int] | None, t: Tensor, name: str) -> list[int]:
        n = t._shape[0] if t._shape else 1
        if not sizes:
            if n % g._size:
                raise ValueError(
                    f"all_to_all_single: {name} has {n} rows in dim 0, not divisible by world_size={g._size}; "
                    f"pass {name}_split_sizes"
                )
            return [n // g._size] * g._size
        sizes = [int(v) for v in sizes]
        if len(sizes) != g._size or sum(sizes) != n or min(sizes) < 0:
            raise ValueError(
                f"all_to_all_single: {name}_split_sizes {sizes} must be world_size={g._size} non-negative sizes "
                f"summing to {name}'s dim 0 ({n})"
            )
        return sizes

    row = int(np.prod(inp._shape[1:], dtype=np.int64)) * inp._dtype.itemsize
    scounts = [s * row for s in splits(input_split_sizes, inp, "input")]
    rcounts = [s * row for s in splits(output_split_sizes, out, "output")]
    _check(g, "all_to_all_single", None, row, inp._dtype.name)
    _check_counts(g, "all_to_all_single", scounts, rcounts)
    src, _ = _np_view(inp)
    host, shared = _np_view(out)
    sdispl = np.concatenate([[0], np.cumsum(scounts)[:-1]]).astype(int).tolist()
    rdispl = np.concatenate([[0], np.cumsum(rcounts)[:-1]]).astype(int).tolist()
    req = _call(g, "alltoallv", async_op, [_bytes(src), (scounts, sdispl)], [_bytes(host), (rcounts, rdispl)])

    def finish() -> None:
        if not shared:
            _write_back(out, host)

    return _done(Work([req], finish), async_op)


@_members_only()
def all_to_all(
    output_tensor_list: list[Tensor],
    input_tensor_list: list[Tensor],
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Send `input_tensor_list[r]` to rank r; `output_tensor_list[r]` receives what rank r sent here."""
    g = _group(group, "all_to_all")
    for name, lst in (("output_tensor_list", output_tensor_list), ("input_tensor_list", input_tensor_list)):
        if not isinstance(lst, (list, tuple)) or len(lst) != g._size:
            raise ValueError(f"all_to_all: {name} must be a list of world_size={g._size} tensors")
        for t in lst:
            _check_tensor(t, "all_to_all", f"{name}[i]")
    dtype = input_tensor_list[0]._dtype
    if any(t._dtype is not dtype for t in (*output_tensor_list, *input_tensor_list)):
        raise ValueError("all_to_all: every input and output tensor must have the same dtype")
    from mpi4py import MPI

    _check(g, "all_to_all", None, 0, dtype.name)
    _check_counts(
        g, "all_to_all", [t.numel() * dtype.itemsize for t in input_tensor_list],
        [t.numel() * dtype.itemsize for t in output_tensor_list],
    )  # fmt: skip
    sends = [np.ascontiguousarray(_np_view(t)[0]) for t in input_tensor_list]
    recvs = [np.empty(t._shape, dtype=sends[0].dtype) for t in output_tensor_list]
    reqs = []
    for r in range(g._size):
        reqs.append(g.comm.Irecv(_bytes(recvs[r]), source=r, tag=0x7A2A))
    for r in range(g._size):
        reqs.append(g.comm.Isend(_bytes(sends[r]), dest=r, tag=0x7A2A))
    work = Work(reqs)

    def finish() -> None:
        MPI.Request.Waitall(reqs)
        for o, h in zip(output_tensor_list, recvs):
            _write_back(o, h)

    work._requests = []
    work._finish = finish
    return _done(work, async_op)


@_members_only()
def gather_object(
    obj: Any,
    object_gather_list: list[Any] | None = None,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    group_dst: int | None = None,
) -> None:
    """Rank r's picklable `obj` into `object_gather_list[r]` on rank `dst` (default 0)."""
    g = _group(group, "gather_object")
    dst, _ = _rooted(g, "gather_object", dst, group_dst, "dst", object_gather_list, "object_gather_list")
    got = g.comm.gather(obj, root=dst)
    if g._rank == dst:
        assert object_gather_list is not None
        object_gather_list[:] = got


@_members_only()
def scatter_object_list(
    scatter_object_output_list: list[Any],
    scatter_object_input_list: list[Any] | None = None,
    src: int | None = None,
    group: ProcessGroup | None = None,
    group_src: int | None = None,
) -> None:
    """`scatter_object_input_list[r]` of rank `src` (default 0) into rank r's `scatter_object_output_list[0]`."""
    g = _group(group, "scatter_object_list")
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("scatter_object_list: scatter_object_output_list must be a list of at least one entry")
    src, ins = _rooted(
        g, "scatter_object_list", src, group_src, "src", scatter_object_input_list, "scatter_object_input_list",
        refused_elsewhere=False,  # PyTorch ignores the input list on the other ranks
    )  # fmt: skip
    scatter_object_output_list[0] = g.comm.scatter(ins if g._rank == src else None, root=src)

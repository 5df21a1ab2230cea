"""`DistributedDataParallel`: one model replica per rank, gradients averaged over ranks during backward.

At wrap time rank 0's parameters and buffers are copied to every rank. The parameters are grouped into buckets
(about ``bucket_cap_mb`` each, in reverse order of registration, which is roughly the order backward produces
their gradients). A hook on each parameter (`Tensor.register_post_accumulate_grad_hook`) copies its gradient into
its bucket as soon as backward has accumulated it; a full bucket starts a non-blocking MPI allreduce at once, while
backward goes on with the layers below. At the end of backward (`ember.autograd.graph.queue_callback`) the last
buckets are sent, all are waited for, and every ``.grad`` gets the average over the ranks.

Parameters that get no gradient on a rank in a step need no flag: each bucket carries one "used" count per
parameter; a parameter no rank used keeps its ``.grad`` as it was (None), one that some ranks used gets their
average. ``find_unused_parameters=True`` additionally finds them at forward time (walking the autograd graph),
so their buckets can start before the end of backward.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

import ember
from ember import distributed as dist
from ember.autograd.graph import Node, queue_callback

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    __slots__ = ("index", "params", "offsets", "flat", "pending", "request")

    def __init__(self, index: int, params: list[int], sizes: list[int], dtype: np.dtype) -> None:
        self.index = index
        self.params = params
        self.offsets = np.cumsum([0, *sizes]).tolist()
        # gradients, then one "used" count per parameter (summed exactly: small integers in floating point)
        self.flat = np.zeros(self.offsets[-1] + len(params), dtype=dtype)
        self.pending = len(params)
        self.request: Any = None


def _wire_dtype(dtype: Any) -> np.dtype:
    if dtype.name in ("float16", "bfloat16"):
        return np.dtype(np.float32)  # MPI has no bfloat16, and averaging in float32 is more exact
    return np.dtype(dtype.name)


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of `ember.distributed` (PyTorch's signature).

    Each rank runs the wrapped `module` on its share of the batch; after ``loss.backward()`` every rank's
    ``.grad`` holds the average of all ranks' gradients, so identical optimizers keep the replicas identical.
    ``no_sync()`` skips the communication (gradients accumulate locally) for gradient accumulation.
    ``state_dict()`` has the wrapped module's keys (no ``module.`` prefix), so checkpoints load into the bare model.
    ``device_ids``, ``output_device``, ``dim``, ``check_reduction``, ``gradient_as_bucket_view`` and
    ``static_graph`` are accepted for compatibility and change nothing.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: dist.ProcessGroup | None = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an ember.nn.Module, got {type(module).__name__}")
        group = dist._group(process_group, "DistributedDataParallel")
        if group.backend != "mpi":
            raise RuntimeError(
                f"DistributedDataParallel: the {group.backend!r} backend is not supported yet; use backend='mpi'"
            )
        self.module = module
        self.process_group = group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        params = list(module.parameters())
        self._params = [p for p in params if p.requires_grad]
        self._check_same_model(params)
        self._sync_from_rank0([*params, *module.buffers()])
        self._set_buckets(self._make_buckets())
        self._arrivals: list[int] | None = []  # the order gradients arrive in the first step, to re-bucket
        self._syncing = False  # this step's backward averages gradients
        self._hooked = False  # a hook of this step's backward already ran
        self._ready = [False] * len(self._params)
        self._next_bucket = 0
        self._buffers_to_sync = list(module.buffers()) if group.size() > 1 else []
        self._handles = [p.register_post_accumulate_grad_hook(self._hook(i)) for i, p in enumerate(self._params)]

    # -- setup -----------------------------------------------------------------
    def _check_same_model(self, params: list[Any]) -> None:
        g = self.process_group
        mine = [(tuple(p.shape), p.dtype.name, bool(p.requires_grad)) for p in params]
        every = g.comm.allgather(mine)
        for r, theirs in enumerate(every):
            if theirs != mine:
                where = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
                raise RuntimeError(
                    f"DistributedDataParallel: the model differs across ranks: rank {g.rank()} has {len(mine)} "
                    f"parameters, rank {r} has {len(theirs)}; the first difference is parameter {where}: "
                    f"{mine[where] if where < len(mine) else 'none'} (shape, dtype, requires_grad) on rank "
                    f"{g.rank()} against {theirs[where] if where < len(theirs) else 'none'} on rank {r}"
                )

    def _sync_from_rank0(self, tensors: list[Any]) -> None:
        """Copy rank 0's values into `tensors` on every rank, one broadcast per dtype."""
        g = self.process_group
        if g.size() == 1:
            return
        by_dtype: dict[str, list[Any]] = {}
        for t in tensors:
            by_dtype.setdefault(t.dtype.name, []).append(t)
        for group in by_dtype.values():
            hosts = [dist._np_view(t.detach()) for t in group]
            flat = np.concatenate([h.reshape(-1).view(np.uint8) for h, _ in hosts])
            g.comm.Bcast(flat, root=0)
            if g.rank() == 0:
                continue
            at = 0
            for t, (h, shared) in zip(group, hosts):
                n = h.nbytes
                h.reshape(-1).view(np.uint8)[...] = flat[at : at + n]
                at += n
                if not shared:
                    dist._write_back(t.detach(), h)

    def _make_buckets(self, order: list[int] | None = None) -> list[_Bucket]:
        """Buckets over the parameters in `order` (by default reversed registration order)."""
        buckets: list[_Bucket] = []
        open_: dict[tuple[str, str], tuple[list[int], list[int], int]] = {}
        cap = min(1024 * 1024, self.bucket_bytes_cap)  # a small first bucket starts communication early

        def close(key: tuple[str, str]) -> None:
            idx, sizes, _ = open_.pop(key)
            buckets.append(_Bucket(len(buckets), idx, sizes, _wire_dtype(self._params[idx[0]].dtype)))

        for i in reversed(range(len(self._params))) if order is None else order:
            p = self._params[i]
            key = (p.dtype.name, str(p.device))
            idx, sizes, nbytes = open_.get(key, ([], [], 0))
            idx.append(i)
            sizes.append(p.numel())
            nbytes += p.numel() * p.element_size()
            open_[key] = (idx, sizes, nbytes)
            if nbytes >= cap:
                close(key)
                cap = self.bucket_bytes_cap
        for key in list(open_):
            close(key)
        return buckets

    def _set_buckets(self, buckets: list[_Bucket]) -> None:
        self._buckets = buckets
        self._where: list[tuple[_Bucket, int]] = [(b, k) for b in buckets for k in range(len(b.params))]
        self._where.sort(key=lambda w: w[0].params[w[1]])

    def _rebucket(self, arrivals: list[int]) -> None:
        """After the first step: buckets in the order gradients arrived on rank 0 (unused parameters last), so a
        bucket never waits for a parameter that backward produces late or never (PyTorch's rebuilt buckets)."""
        seen = set(arrivals)
        order = arrivals + [i for i in reversed(range(len(self._params))) if i not in seen]
        order = self.process_group.comm.bcast(order, root=0)  # one order for every rank: MPI needs the same
        self._set_buckets(self._make_buckets(order))

    # -- the step ----------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._hooked:
            raise RuntimeError(
                "DistributedDataParallel: the previous backward did not finish its gradient reduction; "
                "every rank must run backward through the wrapped module's output in each synchronised step"
            )
        if self.broadcast_buffers and self._buffers_to_sync:
            with ember.no_grad():
                self._sync_from_rank0(self._buffers_to_sync)
        out = self.module(*inputs, **kwargs)
        self._syncing = self.require_backward_grad_sync and ember.is_grad_enabled()
        if self._syncing:
            self._ready = [False] * len(self._params)
            for b in self._buckets:
                b.pending = len(b.params)
                b.request = None
            self._next_bucket = 0
            if self.find_unused_parameters:
                used = _reachable_leaves(out)
                for i, p in enumerate(self._params):
                    if id(p) not in used:
                        self._mark(i, False)
        return out

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this block, forward/backward accumulate gradients locally and communicate nothing; the first
        step after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _hook(self, i: int) -> Any:
        def hook(p: Any) -> None:
            if not self._syncing or self._ready[i]:
                return
            if not self._hooked:
                self._hooked = True
                queue_callback(self._finish)
            self._mark(i, True)
            if self._arrivals is not None:
                self._arrivals.append(i)
            self._launch()

        return hook

    def _mark(self, i: int, used: bool) -> None:
        """Parameter i's gradient (or its absence) is final for this step: copy it into its bucket."""
        bucket, k = self._where[i]
        p = self._params[i]
        lo, hi = bucket.offsets[k], bucket.offsets[k + 1]
        grad = p.grad
        if grad is None:
            bucket.flat[lo:hi] = 0
        else:
            data = grad._data
            if not (type(data) is np.ndarray and data.flags.c_contiguous):
                data = dist._np_view(grad)[0]
            bucket.flat[lo:hi] = data.reshape(-1)
        bucket.flat[bucket.offsets[-1] + k] = 1 if used else 0
        self._ready[i] = True
        bucket.pending -= 1

    def _launch(self) -> None:
        """Start the allreduce of every full bucket, in bucket order (the same order on every rank)."""
        buckets, k = self._buckets, self._next_bucket
        if k < len(buckets) and buckets[k].pending == 0:
            from mpi4py import MPI

            comm = self.process_group.comm
            while k < len(buckets) and buckets[k].pending == 0:
                buckets[k].request = comm.Iallreduce(MPI.IN_PLACE, buckets[k].flat, MPI.SUM)
                k += 1
            self._next_bucket = k
        elif k:  # let MPI progress the ones in flight
            buckets[k - 1].request.Test()

    def _finish(self) -> None:
        """End of backward: the parameters no hook reported were unused here; send the rest, wait, average."""
        from mpi4py import MPI

        self._hooked = False
        for i, ready in enumerate(self._ready):
            if not ready:
                self._mark(i, False)
        self._launch()
        MPI.Request.Waitall([b.request for b in self._buckets])
        n = self.process_group.size()
        with ember.no_grad():
            for b in self._buckets:
                flat = b.flat
                end = b.offsets[-1]
                grads = flat[:end]
                grads /= n
                for k, i in enumerate(b.params):
                    if flat[end + k] == 0:
                        continue  # no rank used it: .grad stays as it was
                    p = self._params[i]
                    avg = grads[b.offsets[k] : b.offsets[k + 1]].reshape(p.shape)
                    if p.grad is None:
                        p.grad = ember.from_numpy(avg.astype(p.dtype.name)).to(p.device)
                        continue
                    data = p.grad._data
                    if type(data) is np.ndarray and data.flags.c_contiguous and p.grad.device.type == "cpu":
                        data[...] = avg
                        continue
                    host, shared = dist._np_view(p.grad)
                    if shared:
                        host[...] = avg
                    else:
                        dist._write_back(p.grad, avg.astype(host.dtype))
        self._syncing = False
        if self._arrivals is not None:
            arrivals, self._arrivals = self._arrivals, None
            self._rebucket(arrivals)

    # -- saving --------------------------------------------------------------------
    def state_dict(self, *, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> dict[str, Any]:
        """The wrapped module's state dict: its own keys, without a ``module.`` prefix."""
        return self.module.state_dict(destination=destination, prefix=prefix, keep_vars=keep_vars)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """Load into the wrapped module; keys saved with PyTorch's ``module.`` prefix are accepted too."""
        keys = list(state_dict)
        if keys and all(k.startswith("module.") for k in keys):
            state_dict = {k[len("module.") :]: v for k, v in state_dict.items()}
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)


def _reachable_leaves(out: Any) -> set[int]:
    """The ids of the leaf tensors the autograd graph of `out` (tensors in any nesting) reaches."""
    from ember import Tensor

    stack: list[Any] = [out]
    nodes: list[Node] = []
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            if x.grad_fn is not None:
                nodes.append(x.grad_fn)
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
    seen: set[int] = set()
    leaves: set[int] = set()
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.next:
            if edge is None:
                continue
            target = edge[0]
            if isinstance(target, Node):
                nodes.append(target)
            else:
                leaves.add(id(target))
    return leaves

"""`DataLoader`: batches from a dataset, in the main process or in worker processes.

Signature, defaults and errors follow ``torch.utils.data.DataLoader``. Batches
are collated to host NumPy arrays (in the workers, when there are some) and made
ember tensors on ``device`` in the main process; on "cpu" the tensors share the
collated arrays' memory.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import pickle
import signal
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar, cast

import ember
from ember import Device, Generator

from . import worker as _worker
from ._rng import new_seed
from .channel import ResultPipes, WorkerPipe
from .collate import collate_numpy, convert_numpy, default_collate, default_convert, to_device, to_tensors
from .dataset import Dataset, IterableDataset, _sized_len
from .fetch import make_fetcher
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

T_co = TypeVar("T_co", covariant=True)

#: How long the main process waits on the result queue before it checks that the workers are alive.
_LIVENESS_INTERVAL = 0.1
#: How long shutdown waits for a worker to exit by itself before terminating it.
_JOIN_TIMEOUT = 2.0
_TIMEOUT_GRACE = 0.05  # seconds stuck workers get to exit after a `timeout`, before they are terminated


class _InfiniteConstantSampler(Sampler[Any]):
    """The "sampler" of an iterable dataset: None forever (the dataset decides what comes next)."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


class DataLoader(Generic[T_co]):
    """Iterate over a dataset in batches: ``for x, y in DataLoader(ds, batch_size=64, shuffle=True)``.

    Parameters (PyTorch's, with its defaults): ``batch_size=1`` (None: no
    batching), ``shuffle``, ``sampler``, ``batch_sampler``, ``num_workers=0``
    (worker processes), ``collate_fn`` (default: `default_collate`),
    ``pin_memory`` (accepted, no effect: ember has no pinned memory),
    ``drop_last``, ``timeout`` (seconds to wait for a batch from the workers; 0
    waits forever, but a dead worker is always reported), ``worker_init_fn``,
    ``multiprocessing_context``, ``generator`` (an `ember.Generator` for the
    shuffle and the workers' seeds), ``prefetch_factor`` (batches in flight per
    worker, default 2), ``persistent_workers``, ``in_order``; and ember's
    ``device``: batches are tensors on that device ("cpu" when None).
    """

    _locked = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(
        self,
        dataset: Dataset[T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None,
        batch_sampler: Sampler[Sequence[Any]] | Iterable[Sequence[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        device: str | Device | None = None,
    ) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to disable multiprocessing (got {num_workers!r})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing; "
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None"
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler={batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            else:  # a map-style dataset: it has a __len__ (one the samplers call when iterated), Dataset declares none
                sized = cast(Sized, dataset)
                sampler = RandomSampler(sized, generator=generator) if shuffle else SequentialSampler(sized)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.multiprocessing_context = multiprocessing_context
        self.device = ember.device(device) if device is not None else None
        if self.device is not None:
            ember.empty(0, device=self.device)  # fails now, naming the device, if it cannot be used
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        # The default collate functions run in two halves: the NumPy one in the fetcher (in a worker, if any),
        # tensors on the device in the main process. A user's collate_fn runs whole in the fetcher.
        halves: dict[Callable[..., Any], Callable[[Any], Any]] = {default_collate: collate_numpy, default_convert: convert_numpy}
        self._host_half = halves.get(collate_fn)
        self._iterator: _MultiProcessIter | None = None
        self._initialized = True
        if num_workers > 0:
            _check_worker_count(num_workers)

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in self._locked:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self) -> Any:
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx: Any) -> None:
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(ctx, str):
                methods = mp.get_all_start_methods()
                if ctx not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, but got {ctx!r}")
                ctx = mp.get_context(ctx)
            elif not hasattr(ctx, "Process") or not hasattr(ctx, "Queue"):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string, got {ctx!r}")
        self._mp_context = ctx

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    @property
    def _is_iterable(self) -> bool:
        return isinstance(self.dataset, IterableDataset)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(first=False)
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._is_iterable:
            n = _sized_len(self.dataset)
            if self.batch_size is not None:
                return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def _finisher(self) -> Callable[[Any], Any]:
        """What turns a fetcher's output into what the user gets: tensors on the loader's device.

        A function of its own (not a method) so that iterators hold no reference to the loader: a
        persistent-workers loader and its iterator would otherwise form a cycle that only the garbage
        collector breaks, keeping the worker processes alive until it runs.
        """
        device = self.device
        if self._host_half is not None:
            return lambda data: to_tensors(data, device)
        if device is not None:
            return lambda data: to_device(data, device)
        return lambda data: data

    def _host_collate(self) -> Callable[[Any], Any]:
        """The collate function the fetchers run: the NumPy half of a default one, or the user's own."""
        return self._host_half or self.collate_fn


def _check_worker_count(num_workers: int) -> None:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    if num_workers > cpus:
        warnings.warn(
            f"This DataLoader will create {num_workers} worker processes in total. Our suggested max number of "
            f"workers in current system is {cpus}, which is smaller than what this DataLoader is going to create. "
            f"Please be aware that excessive worker creation might get DataLoader running slow or even freeze, "
            f"lower the worker number to avoid potential slowness/freeze if necessary.",
            UserWarning,
            stacklevel=3,
        )


class _BaseIter:
    def __init__(self, loader: DataLoader[Any]) -> None:
        self._index_sampler = loader._index_sampler
        self._generator = loader.generator
        self._finish = loader._finisher()
        # Drawn whatever num_workers is, so a seeded generator gives the same shuffle with or without workers.
        self._base_seed = new_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def __iter__(self) -> _BaseIter:
        return self

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _next_data(self) -> Any:
        raise NotImplementedError


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        self._fetcher = make_fetcher(loader.dataset, loader._is_iterable, loader._auto_collation, loader._host_collate(), loader.drop_last)

    def _next_data(self) -> Any:
        index = next(self._sampler_iter)  # StopIteration ends the epoch
        return self._finish(self._fetcher.fetch(index))


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "is still running"
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _MultiProcessIter(_BaseIter):
    """Worker processes, per-worker index queues, one result queue, and in-order reassembly."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        self._shutdown = True  # until the workers exist
        n = loader.num_workers
        self._num_workers = n
        assert loader.prefetch_factor is not None  # the loader sets it whenever num_workers > 0
        self._prefetch = loader.prefetch_factor * n
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._iterable = loader._is_iterable
        ctx = loader.multiprocessing_context or mp.get_context()
        self._pipes: list[WorkerPipe] = []
        self._results = ResultPipes(self._pipes)
        # A plain shared byte, not an Event: an Event's lock, held by a worker killed at the wrong moment, would
        # block every other process that looks at it.
        self._done = ctx.RawValue("b", 0)
        self._index_queues: list[Any] = []
        self._workers: list[Any] = []
        self._shutdown = False
        try:
            for i in range(n):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                pipe = WorkerPipe(ctx)
                w = ctx.Process(
                    target=_worker.worker_loop,
                    args=(
                        loader.dataset,
                        self._iterable,
                        index_queue,
                        pipe,
                        self._done,
                        loader._auto_collation,
                        loader._host_collate(),
                        loader.drop_last,
                        self._base_seed,
                        loader.worker_init_fn,
                        i,
                        n,
                    ),
                    daemon=True,
                )
                w.start()
                pipe.started()
                self._index_queues.append(index_queue)
                self._pipes.append(pipe)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(first=True)

    # -- epochs -----------------------------------------------------------------
    def _reset(self, first: bool) -> None:
        if not first:
            # Draw (and drop) a seed as a new iterator would: the shuffle order of every epoch is then the same
            # with persistent workers as without. The workers keep the seeds they were started with.
            new_seed(self._generator)
            self._sampler_iter = iter(self._index_sampler)
            self._num_yielded = 0
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple[Any, ...]] = {}
        self._tasks_outstanding = 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            # Persistent workers: tell each to start over, then wait for all acknowledgements; results of the
            # abandoned epoch that arrive meanwhile are dropped.
            for q in self._index_queues:
                q.put(_worker.ResumeIteration())
            pending = self._num_workers
            while pending:
                task, _ = self._get_data()
                if isinstance(task, _worker.ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    # -- receiving ------------------------------------------------------------------
    def _check_workers(self) -> None:
        dead = [(i, w) for i, w in enumerate(self._workers) if self._active[i] and not w.is_alive()]
        if dead:
            what = "; ".join(f"worker {i} (pid {w.pid}) {_describe_exit(w.exitcode)}" for i, w in dead)
            self._shutdown_workers()
            raise RuntimeError(
                f"DataLoader worker exited unexpectedly: {what}. A worker killed by SIGKILL is often out of memory; "
                f"run with num_workers=0 to see errors in the main process"
            )

    def _get_data(self) -> tuple[Any, Any]:
        """The next (task, data) from any worker: waits at most `timeout` (forever when 0), checking worker liveness."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _LIVENESS_INTERVAL if deadline is None else min(_LIVENESS_INTERVAL, max(deadline - time.monotonic(), 0.0))
            message = self._results.recv(wait)
            if message is not None:
                try:
                    return pickle.loads(message)
                except Exception as exc:
                    raise RuntimeError(f"DataLoader: could not unpickle a batch sent by a worker: {exc!r}") from exc
            self._check_workers()
            if deadline is not None and time.monotonic() >= deadline:
                # the workers are stuck (that is what a timeout says): stop them at once, so the error comes
                # `timeout` seconds after the wait began, not seconds later
                self._shutdown_workers(grace=_TIMEOUT_GRACE)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds waiting for a batch from its workers")

    def _next_data(self) -> Any:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # done out of order, or its worker's stream ended
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(data)
            if self._shutdown:
                raise RuntimeError("DataLoader iterator was shut down (after a worker error or a timeout); start a new epoch with iter(loader)")
            task, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _worker.IterableEnd):
                self._active[data.worker_id] = False
                if not self._persistent:
                    self._index_queues[data.worker_id].put(None)  # let it exit now
                self._try_put_index()
                continue
            if task == self._rcvd_idx:
                del self._task_info[task]
                self._rcvd_idx += 1
                return self._process(data)
            if not self._in_order:
                del self._task_info[task]
                return self._process(data)
            self._task_info[task] += (data,)

    def _process(self, data: Any) -> Any:
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return self._finish(data)

    # -- shutdown -----------------------------------------------------------------
    def _shutdown_workers(self, grace: float = _JOIN_TIMEOUT) -> None:
        """Stop and reap every worker (those that do not exit in time are terminated); idempotent."""
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done.value = 1
            for q in self._index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            # Workers may be blocked writing batches nobody will read: drain the pipe while they exit.
            deadline = time.monotonic() + grace
            while any(w.is_alive() for w in self._workers) and time.monotonic() < deadline:
                self._results.drain()
                for w in self._workers:
                    w.join(timeout=0.01)
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=min(1.0, max(grace, 0.1)))
                    if w.is_alive():
                        w.kill()
                        w.join()
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._results.close()

    def __del__(self) -> None:
        if not getattr(self, "_shutdown", True):
            try:
                self._shutdown_workers()
            except Exception:  # pragma: no cover - interpreter teardown
                pass

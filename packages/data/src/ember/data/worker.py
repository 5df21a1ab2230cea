"""Worker processes: the loop each DataLoader worker runs, `get_worker_info()`, and error transport.

The design is PyTorch's: each worker has its own index queue; all workers send
``(task index, batch)`` over one shared `ResultChannel`, and the main process
puts batches back in order. A batch that cannot be pickled becomes an error the
main process sees. An exception in a worker travels as an `ExceptionWrapper` that carries its
type, the worker's traceback and the sample index.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

import ember

from .fetch import context_of, make_fetcher

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper"]

#: How often (seconds) a waiting worker checks that its parent is alive and the loader not shut down. The
#: shutdown's None on the index queue may never arrive (a loader freed by the garbage collector can have
#: its queues closed first), so the done event is what a worker must see in time.
STATUS_CHECK_INTERVAL = 0.2


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker knows about itself: ``id`` (0-based), ``num_workers``, its ``seed`` and its copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process: its `WorkerInfo`; in the main process: None.

    Use it in an `IterableDataset.__iter__` to give each worker its own share of
    the stream, or in ``worker_init_fn`` to configure the worker's dataset copy.
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, to re-raise in the main process with the worker's traceback."""

    def __init__(self, exc: BaseException, where: str) -> None:
        self.exc_type = type(exc)
        context = context_of(exc)
        if context:
            where = f"{where} {context}"
        self.where = where
        self.exc_msg = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        try:
            pickle.loads(pickle.dumps(self.exc_type))
        except Exception:  # a type the main process could not import: keep its name in the message
            self.exc_msg = f"(original exception type {self.exc_type.__module__}.{self.exc_type.__qualname__})\n{self.exc_msg}"
            self.exc_type = RuntimeError

    def reraise(self) -> None:
        """Raise an exception of the original type whose message holds the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            exc = None
        if exc is None or str(exc) != str(msg):  # the type needs other arguments or mangles its message
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    """KeyError prints repr() of its argument; this keeps the traceback readable."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class IterableEnd:
    """A worker's iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back once they have reset."""


def _seed_worker(seed: int, worker_id: int) -> None:
    """Seed Python's, NumPy's and ember's global generators: each worker gets its own streams."""
    random.seed(seed)
    ember.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, seed]).generate_state(4))


def worker_loop(
    dataset: Any,
    iterable: bool,
    index_queue: Any,
    results: Any,
    done: Any,
    auto_collation: bool,
    collate_fn: Any,
    drop_last: bool,
    base_seed: int,
    init_fn: Any,
    worker_id: int,
    num_workers: int,
) -> None:
    """The body of a worker process: fetch what the index queue asks for until told to stop."""
    global _worker_info
    parent = os.getppid()
    where = f"in DataLoader worker process {worker_id}"
    results.worker_side()
    try:
        seed = base_seed + worker_id
        _seed_worker(seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        init_error: ExceptionWrapper | None = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset, iterable, auto_collation, collate_fn, drop_last)
        except Exception as exc:
            init_error = ExceptionWrapper(exc, f"{where} (in worker_init_fn or while starting the dataset)")

        ended = False
        while os.getppid() == parent:
            try:
                request = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done.value:
                    break
                continue
            if isinstance(request, ResumeIteration):
                results.send((request, None))
                ended = False
                if init_error is None:
                    fetcher = make_fetcher(dataset, iterable, auto_collation, collate_fn, drop_last)
                continue
            if request is None:
                break
            if done.value or ended:
                continue  # draining: the main process no longer wants results
            task, index = request
            data: Any
            if init_error is not None:
                data = init_error  # every batch of a worker that could not start says why
            else:
                assert fetcher is not None  # made whenever init_error is None
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, ended = IterableEnd(worker_id), True
                except Exception as exc:
                    data = ExceptionWrapper(exc, where)
            try:
                results.send((task, data))
            except (BrokenPipeError, ConnectionError):
                break  # the main process is gone
            except Exception as exc:  # the batch cannot be pickled: say so instead of losing it
                results.send((task, ExceptionWrapper(exc, f"{where} while pickling the batch to send it")))
            del data, request
    except (KeyboardInterrupt, BrokenPipeError, ConnectionError):
        pass  # interrupted, or the main process is gone
    sys.stdout.flush()

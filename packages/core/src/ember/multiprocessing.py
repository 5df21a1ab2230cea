"""`ember.multiprocessing`, as torch.multiprocessing: the standard library's multiprocessing, with
shared tensors sent by reference, and `spawn` to run a function in N processes.

Everything of the standard module is here (`Process`, `Queue`, `get_context`, ...). Importing it
registers how shared tensors (`Tensor.share_memory_()`, `Module.share_memory()`) cross processes; see
`ember.shared_memory`. Tensors that are not shared are sent by value.
"""

from __future__ import annotations

import multiprocessing as _mp
import multiprocessing.connection as _connection
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing import *  # noqa: F403 - the standard module's names, as torch.multiprocessing has them
from typing import Any

from . import shared_memory as _shared_memory

_shared_memory._register_reductions()

__all__ = [*_mp.__all__, "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException"]  # fmt: skip


class ProcessException(Exception):
    """A spawned process failed; `error_index` is its index, `pid` its process id."""

    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self) -> Any:
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised; the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code, or by a signal (`signal_name` then names it)."""

    def __init__(self, msg: str, error_index: int, pid: int, exit_code: int, signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self) -> Any:
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn: Callable[..., Any], index: int, args: tuple[Any, ...], errors: Any) -> None:
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # the parent is stopping every process
    except BaseException:
        errors.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes that `spawn` started; `join()` waits for them and raises for the first that failed."""

    def __init__(self, processes: list[Any], error_queues: list[Any]) -> None:
        self.processes, self.error_queues = processes, error_queues
        self._sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait (up to `timeout` seconds) for a process to end: True once all have ended well; on a failure,
        stop the others and raise ProcessRaisedException (with the child's traceback) or ProcessExitedException."""
        if not self._sentinels:
            return True
        ready = _connection.wait(list(self._sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self._sentinels.pop(sentinel)
            p = self.processes[i]
            p.join()
            if p.exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self._sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        p = self.processes[failed]
        if not self.error_queues[failed].empty():
            tb = self.error_queues[failed].get()
            raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the following error:\n{tb}", failed,
                                         int(p.pid))  # fmt: skip
        code = int(p.exitcode)
        if code < 0:
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}", failed, int(p.pid), code, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {code}", failed, int(p.pid), code)


def start_processes(fn: Callable[..., Any], args: tuple[Any, ...] = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:  # fmt: skip
    """Run `fn(i, *args)` for i in range(nprocs), each in its own process started by `start_method`."""
    if nprocs < 1:
        raise ValueError(f"start_processes: nprocs must be at least 1, got {nprocs}")
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        errors = ctx.SimpleQueue()
        p = ctx.Process(target=_run, args=(fn, i, args, errors), daemon=daemon)  # type: ignore[attr-defined]
        p.start()
        processes.append(p)
        queues.append(errors)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn: Callable[..., Any], args: tuple[Any, ...] = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:  # fmt: skip
    """As torch.multiprocessing.spawn: `fn(i, *args)` in `nprocs` new processes; with `join`, wait for all
    and re-raise the first failure here (with the child's traceback), stopping the rest."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)

"""Result pipes: each worker sends its pickled batches to the main process over a pipe of its own.

Why not one `multiprocessing.Queue` for all workers: it pickles in a background
feeder thread (a batch that fails to pickle is dropped there, and the loader
hangs), pickles our payload a second time, and competes with the worker's own
thread for the GIL; and whatever is shared between writers needs a lock, which
a worker killed while holding it never gives back, blocking the others. Here a
worker pickles and writes in its own thread to its own pipe; the main process
polls all pipes without blocking, so a message cut short by a worker that died
mid-write is reported (by the liveness check) instead of hanging the loader.

A message is an 8-byte little-endian length, then a pickle (protocol 5).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import time
from typing import Any

__all__ = ["WorkerPipe", "ResultPipes"]

_HEADER = struct.Struct("<Q")
_CHUNK = 1 << 20


class WorkerPipe:
    """One worker's pipe: the worker writes, the main process reads."""

    def __init__(self, ctx: Any) -> None:
        self._reader, self._writer = ctx.Pipe(duplex=False)
        _widen(self._writer.fileno())
        self._buf: bytearray | None = None  # the reader's partial message
        self._filled = 0
        self._header = True
        self.closed = False  # the worker's end is closed: it has exited

    def __getstate__(self) -> dict[str, Any]:  # sent to a spawned worker: the write end is all it needs
        return {"_writer": self._writer}

    # -- worker side --------------------------------------------------------------
    def worker_side(self) -> None:
        """In the worker: drop the read end a fork inherited, so that once the main process is gone a write
        fails (broken pipe) instead of blocking forever on a full pipe."""
        reader = self.__dict__.pop("_reader", None)
        if reader is not None:
            reader.close()

    def send(self, obj: Any) -> None:
        """Pickle `obj` here (pickling errors raise here, before anything is written) and write it whole."""
        payload = pickle.dumps(obj, protocol=5)
        fd = self._writer.fileno()
        _write_all(fd, _HEADER.pack(len(payload)))
        _write_all(fd, payload)

    # -- main side ----------------------------------------------------------------
    def started(self) -> None:
        """In the main process, once the worker has its write end: close ours (the worker's exit then shows
        as end-of-file) and read without blocking."""
        self._writer.close()
        os.set_blocking(self._reader.fileno(), False)

    def fileno(self) -> int:
        return self._reader.fileno()

    def read_available(self) -> bytearray | None:
        """Read what the pipe holds now; the message when one is complete, else None."""
        fd = self._reader.fileno()
        while not self.closed:
            if self._buf is None:
                self._buf, self._filled, self._header = bytearray(_HEADER.size), 0, True
            view = memoryview(self._buf)[self._filled :]
            if len(view):
                try:
                    n = os.readv(fd, [view[:_CHUNK]])
                except BlockingIOError:
                    return None
                if n == 0:
                    self.closed = True
                    return None
                self._filled += n
                if self._filled < len(self._buf):
                    continue
            if self._header:
                (size,) = _HEADER.unpack(self._buf)
                self._buf, self._filled, self._header = bytearray(size), 0, False
                continue
            message, self._buf = self._buf, None
            return message
        return None

    def drain(self) -> None:
        """Discard whatever the pipe holds (so a worker blocked writing can finish and exit)."""
        try:
            while not self.closed and os.read(self._reader.fileno(), _CHUNK):
                pass
        except (BlockingIOError, OSError):
            pass
        self._buf = None

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


class ResultPipes:
    """The main process's side of all the workers' pipes, polled together."""

    def __init__(self, pipes: list[WorkerPipe]) -> None:
        self.pipes = pipes
        self._next = 0  # where the next sweep starts, so no worker is always served last

    def recv(self, timeout: float) -> bytearray | None:
        """The next whole message from any worker (a pickle), or None after `timeout` seconds without one."""
        deadline = time.monotonic() + timeout
        n = len(self.pipes)
        while True:
            for k in range(n):
                pipe = self.pipes[(self._next + k) % n]
                message = pipe.read_available()
                if message is not None:
                    self._next = (self._next + k + 1) % n
                    return message
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            open_pipes = [p for p in self.pipes if not p.closed]
            if not open_pipes:  # every worker has exited: nothing will come (the caller's liveness check says why)
                time.sleep(min(wait, 0.01))
                continue
            poller = select.poll()
            for p in open_pipes:
                poller.register(p.fileno(), select.POLLIN)
            poller.poll(wait * 1000)

    def drain(self) -> None:
        for p in self.pipes:
            p.drain()

    def close(self) -> None:
        for p in self.pipes:
            p.close()


def _widen(fd: int) -> None:
    """Let the pipe hold a whole typical batch (Linux: up to pipe-max-size, 1 MiB by default), so a batch
    crosses in one write instead of 64 KiB turns of writer and reader; best effort elsewhere."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _CHUNK)
    except (ImportError, AttributeError, OSError):
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:_CHUNK])
        view = view[n:]

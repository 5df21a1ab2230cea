"""`ResultChannel`: workers send pickled batches to the main process over one pipe.

Why not `multiprocessing.Queue`: it pickles in a background feeder thread (a
batch that fails to pickle is dropped there, and the loader hangs), pickles
our payload a second time, and competes with the worker's own thread for the
GIL. Here a worker pickles and writes in its own thread, under a lock that
keeps messages whole; the main process reads without blocking, so a message
cut short by a worker that died mid-write is reported instead of hanging.

A message is an 8-byte little-endian length, then a pickle (protocol 5).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import time
from typing import Any

__all__ = ["ResultChannel"]

_HEADER = struct.Struct("<Q")
_CHUNK = 1 << 20


class ResultChannel:
    """Many writers (the workers), one reader (the main process)."""

    def __init__(self, ctx: Any) -> None:
        self._reader, self._writer = ctx.Pipe(duplex=False)
        self._lock = ctx.Lock()
        self._buf: bytearray | None = None  # the reader's partial message
        self._filled = 0
        self._header = True
        self._nonblocking = False

    def __getstate__(self) -> dict[str, Any]:  # sent to spawned workers: the write side is all they need
        return {"_writer": self._writer, "_lock": self._lock}

    # -- worker side --------------------------------------------------------------
    def send(self, obj: Any) -> None:
        """Pickle `obj` here (pickling errors raise here) and write it as one message."""
        payload = pickle.dumps(obj, protocol=5)
        fd = self._writer.fileno()
        with self._lock:
            _write_all(fd, _HEADER.pack(len(payload)))
            _write_all(fd, payload)

    # -- main side ----------------------------------------------------------------
    def recv(self, timeout: float) -> tuple[bool, Any]:
        """(True, message) once a whole message is in, or (False, None) after `timeout` seconds without one."""
        fd = self._reader.fileno()
        if not self._nonblocking:
            os.set_blocking(fd, False)
            self._nonblocking = True
        deadline = time.monotonic() + timeout
        while True:
            done = self._read_available(fd)
            if done is not None:
                return True, done
            wait = deadline - time.monotonic()
            if wait <= 0:
                return False, None
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll(wait * 1000)

    def _read_available(self, fd: int) -> Any:
        """Read what the pipe holds now; the unpickled message when one is complete, else None."""
        while True:
            if self._buf is None:
                self._buf, self._filled, self._header = bytearray(_HEADER.size), 0, True
            view = memoryview(self._buf)[self._filled :]
            if len(view):
                try:
                    n = os.readv(fd, [view]) if len(view) <= _CHUNK else os.readv(fd, [view[:_CHUNK]])
                except BlockingIOError:
                    return None
                if n == 0:
                    raise EOFError("DataLoader: the result pipe was closed by every worker")
                self._filled += n
                if self._filled < len(self._buf):
                    continue
            if self._header:
                (size,) = _HEADER.unpack(self._buf)
                self._buf, self._filled, self._header = bytearray(size), 0, False
                continue
            payload, self._buf = self._buf, None
            return pickle.loads(payload)

    def drain(self) -> None:
        """Discard whatever the pipe holds (so workers blocked writing can finish and exit)."""
        fd = self._reader.fileno()
        os.set_blocking(fd, False)
        try:
            while os.read(fd, _CHUNK):
                pass
        except (BlockingIOError, OSError):
            pass
        self._buf = None

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:_CHUNK])
        view = view[n:]


"""The workers' result pipes: whole messages from any pipe, and a message cut short never hangs the reader."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import struct
import time

import numpy as np
import pytest

from ember.data.channel import ResultPipes, WorkerPipe


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a writer process")
def test_messages_from_several_pipes_arrive_whole():
    ctx = mp.get_context()
    a, b = WorkerPipe(ctx), WorkerPipe(ctx)
    big = np.arange(300_000, dtype=np.int64)  # 2.4 MB: many times a pipe's buffer
    pid = os.fork()
    if pid == 0:  # the "workers": write, then leave without cleanup
        try:
            a.worker_side()
            b.worker_side()
            a.send(("a", big))
            b.send(("b", 1))
            a.send(("a", 2))
        finally:
            os._exit(0)
    a.started()
    b.started()
    pipes = ResultPipes([a, b])
    got = []
    deadline = time.monotonic() + 20
    while len(got) < 3 and time.monotonic() < deadline:
        message = pipes.recv(1.0)
        if message is not None:
            got.append(pickle.loads(message))
    os.waitpid(pid, 0)
    assert sorted(g[0] for g in got) == ["a", "a", "b"]
    assert [g[1] for g in got if g[0] == "a"][1] == 2  # one pipe's messages keep their order
    np.testing.assert_array_equal(next(g[1] for g in got if g[0] == "a"), big)
    assert pipes.recv(0.05) is None and a.closed and b.closed  # the writer is gone: end of file, no error
    pipes.close()


def test_a_message_cut_short_by_a_dead_writer_is_not_awaited_forever():
    ctx = mp.get_context()
    pipe = WorkerPipe(ctx)
    fd = pipe._writer.fileno()
    os.write(fd, struct.pack("<Q", 1000) + b"only ten b")  # a header promising 1000 bytes, then 10
    pipe.started()  # closes the only write end, as a worker dying mid-message would
    pipes = ResultPipes([pipe])
    start = time.monotonic()
    assert pipes.recv(0.2) is None
    assert time.monotonic() - start < 2 and pipe.closed

"""Run by tests/distributed: rank 1 fails in the way named by argv[1] while rank 0 waits in a collective.

Before failing, rank 1 writes the time to argv[2], so the test can measure how long the others take to end.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
mode, stamp = sys.argv[1], sys.argv[2]
if dist.get_rank() == 1:
    time.sleep(0.3)
    with open(stamp, "w") as f:
        f.write(repr(time.time()))
    if mode == "raise":
        raise ValueError("boom on rank 1")
    if mode == "signal":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "exit":
        sys.exit(3)
dist.all_reduce(ember.ones(3))  # rank 0 waits here for a rank that never comes
time.sleep(60)

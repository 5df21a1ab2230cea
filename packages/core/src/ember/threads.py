"""How many threads the host's compute libraries use: `ember.get_num_threads` / `ember.set_num_threads`.

Ember's CPU kernels run in NumPy, whose parallel parts are the BLAS and OpenMP thread pools that
it loaded; threadpoolctl finds and limits those pools in this process, as PyTorch's intra-op
thread count does for its own kernels.
"""

from __future__ import annotations

import numbers
import operator
import os

from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["get_num_threads", "set_num_threads"]

_limit: threadpool_limits | None = None


def get_num_threads() -> int:
    """The number of threads the CPU's compute pools use (the largest pool's, else the CPU count)."""
    pools = [p["num_threads"] for p in threadpool_info() if p.get("num_threads")]
    return max(pools) if pools else (os.cpu_count() or 1)


class _ThreadsError(RuntimeError, ValueError, TypeError):
    """A bad thread count: PyTorch's RuntimeError (ValueError, TypeError before: kept as bases)."""


def set_num_threads(int: int) -> None:  # noqa: A002 - PyTorch's argument name
    """Limit the CPU's compute pools (BLAS, OpenMP) to `int` threads for the rest of the process."""
    global _limit
    if not isinstance(int, numbers.Integral):
        raise _ThreadsError(f"set_num_threads expects an int, but got {type(int).__name__}")
    n = operator.index(int)
    if n < 1:
        raise _ThreadsError(f"set_num_threads: expected a positive number of threads, got {int!r}")
    _limit = threadpool_limits(limits=n)

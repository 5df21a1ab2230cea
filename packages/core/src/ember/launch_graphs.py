"""Launch graphs: an `ember.compile` replay whose kernel launches the backend repeats without the
Python that made them (CUDA graphs, tinygrad's `TinyJit` batches).

A replay still calls each kernel function: it plans layouts, allocates and packs arguments, and
on a device with asynchronous launches that host work, not the device, can bound a small step.
The compiler writes a replay's kernel calls as one function, the *body*, of the input arrays and
the traced numbers (learning rates, step counts, random seeds). `GraphRunner` runs the body for
the first `RECORD_AT` - 1 replays, then asks the backend to record it
(``Backend.record_launches``) and from then on runs the backend's graph, which re-binds what
changes between calls (input buffers, the numbers, fresh buffers for the results).

The backend records the body twice, once with the numbers changed (`probe`) and nothing
launched, so a launch argument that follows a number is bound to it and any other difference
refuses the graph: a replay never runs a stale value. A body that a graph cannot repeat (a host
copy in a kernel, a check read back when the replay ends) keeps running as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .capture import defer_check, deferring_checks

__all__ = ["ENABLED", "RECORD_AT", "GraphRunner", "probe"]

#: Whether compiled replays may run as launch graphs on backends that record them.
ENABLED = True
#: The replay that records the graph (earlier ones run the body: the first fills the kernel caches).
RECORD_AT = 2


def probe(scalars: Sequence[Any]) -> tuple[Any, ...] | None:
    """Other values for `scalars`, each different from its own and from every other slot's probe of an
    equal value; None when there are none to give (a number that is not finite, not a number)."""
    out: list[Any] = []
    for j, s in enumerate(scalars):
        if type(s) is bool:
            out.append(not s)
        elif type(s) is int:
            out.append(s + j + 1)
        elif type(s) is float and math.isfinite(s):
            out.append(s + (abs(s) + 1.0) * (0.25 + 0.015625 * j))
        else:
            return None
    return tuple(out)


class GraphRunner:
    """Runs one program's body: directly until `RECORD_AT`, then as the backend's launch graph."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.graph: Any = None
        self.calls = 0
        self.refused = False  # the recording gave no graph: the body runs at every replay

    def __call__(self, body: Callable[..., tuple[Any, ...]], arrays: tuple[Any, ...], scalars: tuple[Any, ...]) -> Any:
        graph = self.graph
        if graph is not None:
            results = graph(arrays, scalars)
            return body(*arrays, *scalars) if results is None else results
        self.calls += 1
        if self.refused or not ENABLED or self.calls < RECORD_AT:
            return body(*arrays, *scalars)
        return self._record(body, arrays, scalars)

    def _record(self, body: Callable[..., tuple[Any, ...]], arrays: tuple[Any, ...], scalars: tuple[Any, ...]) -> Any:
        other = probe(scalars)
        if other is None:
            self.refused = True
            return body(*arrays, *scalars)
        runs: list[list[Callable[[], None]]] = []

        def run(arrs: tuple[Any, ...], nums: tuple[Any, ...]) -> tuple[Any, ...]:
            with deferring_checks() as checks:  # a probe run's checks read what never ran: dropped
                results = body(*arrs, *nums)
            runs.append(checks)
            return results

        results, graph = self.backend.record_launches(run, arrays, scalars, other)
        for check in runs[-1]:  # the real run's: they run as the replay's own would
            if not defer_check(check):
                check()
        if graph is None or any(runs):  # a graph would not repeat the checks
            self.refused = True
        else:
            self.graph = graph
        return results

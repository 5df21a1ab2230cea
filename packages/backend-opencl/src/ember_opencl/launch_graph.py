"""Launch graphs: an `ember.compile` replay's kernel launches recorded once, then enqueued again
with their arguments already set (the OpenCL side of `ember.launch_graphs`).

A replay of a compiled step still runs each kernel's Python: layout planning, allocation,
argument packing. A launch graph skips all of it: every launch site gets its own `cl.Kernel`
whose arguments were set when it was recorded, so a replay is one ``enqueue_nd_range_kernel``
per site. What changes from call to call is re-bound before the launches:

- the buffers of the input arrays (a new batch), found by identity at recording time;
- the numbers that core passes as scalars (a scheduler's learning rate), found by recording the
  body twice, the second time with other values (`record_launches`): an argument that follows
  them is theirs; one that changes otherwise (a number computed from them) refuses the graph;
- the buffers of the results, allocated fresh at each replay, so an output the caller kept is never
  overwritten. Every other buffer the body allocates belongs to the graph and is reused.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyopencl as cl

from .clarray import CLArray
from .device import Device, Launcher
from .merge import merged, merged_args, params_of, writes


class NotRecordable(Exception):
    """The body did something a launch graph cannot repeat (a host copy)."""


class _Recorder:
    """What one run of the body launched and allocated, in order (`Device.recorder` while it runs)."""

    def __init__(self, execute: bool) -> None:
        self.execute = execute  # False: record only (the probe run); nothing reaches the device
        self.thread = threading.get_ident()  # the thread it records (others launch as usual meanwhile)
        self.launches: list[tuple[Launcher, tuple[int, ...], Any, tuple[Any, ...]]] = []
        self.allocs: list[tuple[Any, int]] = []
        self.refused: str | None = None

    def launch(self, k: Launcher, queue: Any, gsize: Any, lsize: Any, args: tuple[Any, ...]) -> Any:
        self.launches.append((k, tuple(gsize), None if lsize is None else tuple(lsize), args))
        return k.kernel(queue, gsize, lsize, *args) if self.execute else None

    def allocated(self, buf: Any, nbytes: int) -> None:
        self.allocs.append((buf, nbytes))

    def refuse(self, what: str) -> None:
        if not self.execute:
            raise NotRecordable(what)  # nothing ran: the probe run stops here
        self.refused = self.refused or what


def _run(device: Device, recorder: _Recorder, body: Callable[..., Any], *args: Any) -> Any:
    device.recorder = recorder
    try:
        return body(*args)
    finally:
        device.recorder = None


def record_launches(body: Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[Any, ...]], arrays: Sequence[Any],
                    scalars: Sequence[Any], probe: Sequence[Any]) -> tuple[tuple[Any, ...], LaunchGraph | None]:  # fmt: skip
    """Run ``body(arrays, scalars)`` (its kernels launched as usual) and return its results with a
    `LaunchGraph` of its launches, or None where one could not repeat them. ``body(arrays, probe)``
    runs first with nothing launched: scalars that only differ in value must give the same launches."""
    inputs = [a for a in arrays if isinstance(a, CLArray)]
    if not inputs:
        return body(arrays, scalars), None
    device = inputs[0].device
    probe_run = _Recorder(execute=False)
    try:
        _run(device, probe_run, body, arrays, probe)
        ok = True
    except Exception:  # a host copy, or anything else the probe values provoke: no graph, run as usual
        ok = False
    real = _Recorder(execute=True)
    results = _run(device, real, body, arrays, scalars)
    if not ok or real.refused is not None:
        return results, None
    return results, _build(device, arrays, scalars, probe, probe_run, real, results)


def _build(device: Device, arrays: Sequence[Any], scalars: Sequence[Any], probe: Sequence[Any],
           probe_run: _Recorder, real: _Recorder, results: tuple[Any, ...]) -> LaunchGraph | None:  # fmt: skip
    """The graph of `real`'s launches, when `probe_run` made the same ones but for the scalars' values."""
    if len(real.launches) != len(probe_run.launches) or [n for _, n in real.allocs] != [n for _, n in probe_run.allocs]:
        return None
    if any(isinstance(a, CLArray) and a.device is not device for a in arrays):
        return None
    alloc_of = {id(b): i for i, (b, _) in enumerate(real.allocs)}
    probe_alloc_of = {id(b): i for i, (b, _) in enumerate(probe_run.allocs)}
    input_of: dict[int, int] = {}
    for j, a in enumerate(arrays):
        if isinstance(a, CLArray):
            if id(a.buffer) in input_of:  # inputs sharing a buffer: kernels may launch differently when they do not
                return None
            input_of[id(a.buffer)] = j
    # results: which allocations leave the graph (fresh at each replay), and how to rebuild each
    outs: list[tuple[str, int, CLArray]] = []
    escaping: list[int] = []
    for r in results:
        if not isinstance(r, CLArray):
            return None
        if id(r.buffer) in alloc_of:
            i = alloc_of[id(r.buffer)]
            if i not in escaping:
                escaping.append(i)
            outs.append(("alloc", escaping.index(i), r))
        elif id(r.buffer) in input_of:
            outs.append(("input", input_of[id(r.buffer)], r))
        else:
            outs.append(("const", 0, r))
    # each launch's arguments: what binds them at a replay ((kind, index)), or None (fixed)
    launches: list[tuple[Launcher, tuple[int, ...], Any, list[Any], list[tuple[str, int] | None]]] = []
    scalar_types: dict[int, Any] = {}
    keep: list[Any] = []
    for (k, gsize, lsize, args), (pk, pg, pl, pargs) in zip(real.launches, probe_run.launches):
        if pk is not k or pg != gsize or pl != lsize or len(pargs) != len(args):
            return None
        kinds: list[tuple[str, int] | None] = []
        for i, (a, pa) in enumerate(zip(args, pargs)):
            kind: tuple[str, int] | None = None
            if isinstance(a, cl.MemoryObjectHolder):
                if id(a) in alloc_of:
                    n = alloc_of[id(a)]
                    if probe_alloc_of.get(id(pa)) != n:
                        return None
                    if n in escaping:
                        kind = ("out", escaping.index(n))
                    else:
                        keep.append(a)
                elif pa is not a:
                    return None
                elif id(a) in input_of:
                    kind = ("in", input_of[id(a)])
                else:
                    keep.append(a)  # a constant of the program
            elif not (type(a) is type(pa) and (a is pa or a == pa)):  # (else a number the scalars do not change)
                slot = [j for j, (s, p) in enumerate(zip(scalars, probe)) if s == a and p == pa]
                if len(slot) != 1 or k.scalar_dtypes[i] is None:
                    return None  # a number computed from the scalars, or one that changes by itself
                kind = ("scalar", slot[0])
                scalar_types[slot[0]] = np.dtype(k.scalar_dtypes[i]).type
            kinds.append(kind)
        launches.append((k, gsize, lsize, list(args), kinds))
    sites: list[tuple[Any, tuple[int, ...], Any]] = []
    binds: dict[tuple[str, int], list[tuple[Any, int]]] = {}  # (kind, index) -> the (kernel, argument) it sets
    for k, gsize, lsize, args, kinds in _merge_independent(device, launches):
        clone = cl.Kernel(k.kernel.program, k.kernel.function_name)
        clone.set_scalar_arg_dtypes(k.scalar_dtypes)
        clone.set_args(*args)
        for i, kind in enumerate(kinds):
            if kind is not None:
                binds.setdefault(kind, []).append((clone, i))
        sites.append((clone, gsize, lsize))
    return LaunchGraph(device, arrays, scalars, sites, binds, scalar_types, [real.allocs[i][1] for i in escaping], outs,
                       keep)  # fmt: skip


#: The most launches merged into one (the merged kernel's parameters must fit the device's limit).
MERGE_MAX = 6


def _merge_independent(device: Device, launches: list[Any]) -> list[Any]:
    """Runs of consecutive launches that share no memory one of them writes, as one launch each
    (`merge`): an optimizer's per-parameter updates, a layer's weight, input and bias gradients."""
    out: list[Any] = []
    run: list[Any] = []
    written: set[int] = set()
    touched: set[int] = set()

    def flush() -> None:
        parts = [(k, g, ls) for k, g, ls, _a, _kd in run]
        kernel = None
        if len(run) > 1:
            try:
                kernel, items = merged(device, parts)
            except RuntimeError:  # it did not build: the launches stay as they are
                kernel = None
        if kernel is None:
            out.extend(run)
        else:
            args = merged_args(parts, [r[3] for r in run])
            kinds = [kd for r in run for kd in r[4] + [None] * 3]
            out.append((kernel, (items,), (_group(run[0][2]),), args, kinds))
        run.clear()
        written.clear()
        touched.clear()

    for launch in launches:
        k, _gsize, lsize, args = launch[:4]
        mine = {id(args[i]) for i in writes(params_of(k.source)) if i < len(args)}
        reads = {id(a) for a in args if isinstance(a, cl.MemoryObjectHolder)}
        if (mine & touched or reads & written or len(run) >= MERGE_MAX
                or (run and (_group(lsize) != _group(run[0][2]) or k.kernel.function_name != run[0][0].kernel.function_name))):  # fmt: skip
            flush()
        run.append(launch)
        written.update(mine)
        touched.update(reads)
    flush()
    return out


def _group(lsize: Any) -> int:
    """The work-items of a work-group of a launch (a merged launch keeps its parts' work-groups)."""
    return 1 if lsize is None else math.prod(lsize)


class LaunchGraph:
    """A body's launches, replayed by ``graph(arrays, scalars)`` -> the body's results, or None when
    the arrays' layouts are not those it was recorded with (the caller then runs the body)."""

    def __init__(self, device: Device, arrays: Sequence[Any], scalars: Sequence[Any],
                 sites: list[tuple[Any, tuple[int, ...], Any]], binds: dict[tuple[str, int], list[tuple[Any, int]]],
                 scalar_types: dict[int, Any], out_sizes: list[int], outs: list[tuple[str, int, CLArray]],
                 keep: list[Any]) -> None:  # fmt: skip
        self.device = device
        self.n_arrays = len(arrays)
        self.layouts = [(j, a.offset, a.strides) for j, a in enumerate(arrays) if isinstance(a, CLArray)]
        self.n_buffers = len(self.layouts)
        self.sites = sites
        self.inputs = [(j, uses) for (kind, j), uses in binds.items() if kind == "in"]
        self.bound: dict[int, Any] = {j: arrays[j].buffer for j, _ in self.inputs}
        self.scalars = [(j, uses, scalar_types[j]) for (kind, j), uses in binds.items() if kind == "scalar"]
        self.values: dict[int, Any] = {j: scalars[j] for j, _, _ in self.scalars}
        self.out_uses = [binds.get(("out", e), []) for e in range(len(out_sizes))]
        self.out_sizes = out_sizes
        self.outs = [(kind, i, r.buffer if kind == "const" else None, r.shape, r.dtype, r.strides, r.offset)
                     for kind, i, r in outs]  # fmt: skip
        self.keep = keep  # the buffers its launches read besides inputs and results: alive while it is
        self.lock = threading.Lock()

    def __call__(self, arrays: Sequence[Any], scalars: Sequence[Any]) -> tuple[CLArray, ...] | None:
        if len(arrays) != self.n_arrays:
            return None
        for j, offset, strides in self.layouts:
            a = arrays[j]
            if a.offset != offset or a.strides != strides:
                return None
        if len({id(arrays[j].buffer) for j, _, _ in self.layouts}) != self.n_buffers:
            return None
        if not self.lock.acquire(blocking=False):  # another thread replays it: its bindings are in use
            return None
        try:
            return self._replay(arrays, scalars)
        finally:
            self.lock.release()

    def _replay(self, arrays: Sequence[Any], scalars: Sequence[Any]) -> tuple[CLArray, ...]:
        for j, uses in self.inputs:
            b = arrays[j].buffer
            if b is not self.bound[j]:
                for k, i in uses:
                    k.set_arg(i, b)
                self.bound[j] = b
        for j, uses, typ in self.scalars:
            v = scalars[j]
            if v != self.values[j]:
                packed = typ(v)
                for k, i in uses:
                    k.set_arg(i, packed)
                self.values[j] = v
        device = self.device
        bufs = [device.alloc(n) for n in self.out_sizes]
        for b, uses in zip(bufs, self.out_uses):
            for k, i in uses:
                k.set_arg(i, b)
        queue, enqueue = device.queue, cl.enqueue_nd_range_kernel
        for k, gsize, lsize in self.sites:
            enqueue(queue, k, gsize, lsize)
        out = []
        for kind, i, const, shape, dtype, strides, offset in self.outs:
            buf = bufs[i] if kind == "alloc" else arrays[i].buffer if kind == "input" else const
            out.append(CLArray(device, buf, shape, dtype, strides, offset))
        return tuple(out)

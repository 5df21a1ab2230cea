"""Fusing chains of elementwise kernels of a recorded schedule into one kernel each (`ember.compile`).

The pass is the compiler's and knows no backend; the code is the backend's. A backend that can
fuse defines two methods (both optional; without them nothing is fused):

- ``elementwise_fusible(op, args, result) -> bool``: whether this kernel call (op, its native
  arguments, its result) may be a step of a fused kernel;
- ``fuse_elementwise(group: ElementwiseGroup) -> Callable | None``: a function of the group's
  inputs (arrays and numbers, in `group.inputs` order) that runs every step and returns the
  results of `group.outputs` as a tuple, or None when it cannot fuse this group.

A group is a run of fusible calls of one result shape (in-place steps write into arrays of that
shape), in schedule order; calls that read no result of the group may be hoisted above it while
the group has written nothing in place. Results that only the group reads never reach memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FusedStep", "ElementwiseGroup", "fuse_schedule"]

#: The fewest calls made into a fused kernel. A single call too: a fused kernel keeps its launch arguments
#: per layout, so replaying it costs the host less than the one-op kernel's call.
MIN_GROUP = 1

#: an operand: ("in", k) the group's input k, ("tmp", j) the result of step j
Ref = tuple[str, int]


@dataclass(frozen=True)
class FusedStep:
    """One elementwise kernel call of a group: ``op(*operands)``, in place into input `target` when set."""

    op: str
    operands: tuple[Ref, ...]  # the kernel's arguments; an in-place step's first one is its target
    target: int | None  # the input an in-place step writes into, else None (an in-place step into
    # a result of the group is a step whose result is that variable's new value)
    dtype: Any  # the result's dtype (an in-place step's: its target's)


@dataclass
class ElementwiseGroup:
    """Steps over one shape: what a backend's `fuse_elementwise` turns into one kernel."""

    shape: tuple[int, ...]
    inputs: list[Any] = field(default_factory=list)  # the capture's arrays and Python numbers
    steps: list[FusedStep] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)  # steps whose results the rest of the schedule reads


_VAR = re.compile(r"\bv\d+\b")


def _shape(c: Any) -> tuple[int, ...] | None:
    x = c.args[0] if c.op.inplace else c.result
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else None


def fuse_schedule(
    lines: Sequence[Any], uses: dict[str, int], backend_of: Callable[[str], Any], name: Callable[[Any], str]
) -> tuple[list[Any], int]:
    """`lines` (kernel calls, and lines of code) with each fusible group replaced by one line of code
    that calls the backend's fused kernel, and the number of such groups. `uses` counts how often
    each result variable is read."""
    out: list[Any] = []
    group: list[Any] = []  # the calls of the open group
    pending: list[Any] = []  # the calls since the group opened, in order (group calls and hoisted ones)
    state: dict[str, Any] = {"fused": 0}

    def close() -> None:
        if len(group) >= MIN_GROUP:
            code = _fused_code(group, uses, state["backend"], name)
            if code is not None:
                out.extend(c for c in pending if not any(c is g for g in group))  # hoisted, in order
                out.append(code)
                state["fused"] += 1
                group.clear()
                pending.clear()
                return
        out.extend(pending)
        group.clear()
        pending.clear()

    for c in lines:
        if isinstance(c, str):
            close()
            out.append(c)
            continue
        backend = backend_of(c.device_type)
        fusible = backend is not None and backend.elementwise_fusible(c.op, c.args, c.result)
        if fusible and group and c.device_type == state["device_type"] and _fits(c, group, state):
            group.append(c)
            pending.append(c)
        elif fusible:
            close()
            group.append(c)
            pending.append(c)
            state.update(backend=backend, device_type=c.device_type, shape=_shape(c))
        elif group and _hoistable(c, group):
            pending.append(c)
        else:
            close()
            out.append(c)
    close()
    return out, state["fused"]


def _fits(c: Any, group: list[Any], state: dict[str, Any]) -> bool:
    return state["shape"] is not None and _shape(c) == state["shape"]


def _hoistable(c: Any, group: list[Any]) -> bool:
    """Whether `c` may run before the whole group: it reads none of the group's results, writes
    nothing, and the group has written nothing in place that `c` could read."""
    if c.op.inplace or any(g.op.inplace for g in group):
        return False
    tmps = {g.var for g in group if g.var is not None}
    return not any(v in tmps for s in c.srcs for v in _VAR.findall(s))


def _fused_code(group: list[Any], uses: dict[str, int], backend: Any, name: Callable[[Any], str]) -> str | None:
    g = ElementwiseGroup(shape=_shape(group[0]) or ())
    srcs: list[str] = []  # the replay's expression for each input
    tmp_of: dict[str, int] = {}  # result variable -> the step that last wrote it
    inside: dict[str, int] = {}
    for j, c in enumerate(group):
        refs: list[Ref] = []
        for a, s in zip(c.args, c.srcs):
            if s in tmp_of:
                refs.append(("tmp", tmp_of[s]))
                inside[s] = inside.get(s, 0) + 1
                continue
            if s not in srcs:
                srcs.append(s)
                g.inputs.append(a)
            refs.append(("in", srcs.index(s)))
        if c.op.inplace and refs[0][0] == "tmp":  # into a result of the group: a new value of that variable
            g.steps.append(FusedStep(c.op.name, tuple(refs), None, c.args[0].dtype))
            tmp_of[c.srcs[0]] = j
            continue
        target = refs[0][1] if c.op.inplace else None
        dtype = (c.args[0] if c.op.inplace else c.result).dtype
        g.steps.append(FusedStep(c.op.name, tuple(refs), target, dtype))
        if c.var is not None:
            tmp_of[c.var] = j
    outs = [(v, j) for v, j in tmp_of.items() if uses.get(v, 0) > inside.get(v, 0)]
    g.outputs = [j for _v, j in outs]
    fn = backend.fuse_elementwise(g)
    if fn is None:
        return None
    lhs = "".join(v + ", " for v, _j in outs)
    return f"{lhs + '= ' if lhs else ''}{name(fn)}({', '.join(srcs)})"

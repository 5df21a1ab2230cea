"""ONNX control flow (If, Loop, Scan), sequences and optionals.

Subgraphs are compiled at load time (`Node.graphs`); at run time they see the enclosing scope
(`Node.scope`). A sequence is a Python list of tensors, an empty optional is None.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from ..ops_table import Node, handler
from .movement import axis_of


def _result(node: Node, outs: list[Any]) -> Any:
    return outs[0] if node.n_outputs == 1 and len(outs) == 1 else tuple(outs)


@handler("If", since=1)
def _if(node: Node, cond: Tensor) -> Any:
    branch = node.graphs["then_branch" if bool(node.scalar(cond)) else "else_branch"]
    return _result(node, branch.call(node.scope))


def _stack(values: list[Tensor]) -> Tensor:
    return ember.stack(values, dim=0) if values else ember.empty((0,))


@handler("Loop", since=1)
def _loop(node: Node, trip_count: Tensor | None, cond: Tensor | None, *carried: Any) -> Any:
    body = node.graphs["body"]
    n_carried = len(carried)
    limit = int(node.scalar(trip_count)) if trip_count is not None else None
    keep_going = bool(node.scalar(cond)) if cond is not None else True
    state = list(carried)
    scans: list[list[Tensor]] = []
    i = 0
    while keep_going and (limit is None or i < limit):
        it = ember.tensor(i, dtype=ember.int64, device=node.device)
        c = ember.tensor(keep_going, dtype=ember.bool_, device=node.device)
        outs = body.call(node.scope, it, c, *state)
        keep_going = bool(node.scalar(outs[0])) if cond is not None else True
        state = list(outs[1 : 1 + n_carried])
        for j, v in enumerate(outs[1 + n_carried :]):
            if len(scans) <= j:
                scans.append([])
            scans[j].append(v)
        i += 1
    n_scan = node.n_outputs - n_carried
    scans += [[] for _ in range(n_scan - len(scans))]
    return _result(node, state + [_stack(s) for s in scans])


@handler("Scan", since=9)
def _scan(node: Node, *inputs: Any) -> Any:
    body = node.graphs["body"]
    m = node.attr("num_scan_inputs")
    n_state = len(inputs) - m
    state, xs = list(inputs[:n_state]), list(inputs[n_state:])
    in_axes = node.attr("scan_input_axes") or [0] * m
    in_dirs = node.attr("scan_input_directions") or [0] * m
    xs = [x.movedim(axis_of(node, a, x.ndim), 0) for x, a in zip(xs, in_axes)]
    xs = [ember.flip(x, [0]) if d else x for x, d in zip(xs, in_dirs)]
    steps = xs[0].shape[0] if xs else 0
    scans: list[list[Tensor]] = []
    for t in range(steps):
        outs = body.call(node.scope, *state, *[x[t] for x in xs])
        state = list(outs[:n_state])
        for j, v in enumerate(outs[n_state:]):
            if len(scans) <= j:
                scans.append([])
            scans[j].append(v)
    k = node.n_outputs - n_state
    out_axes = node.attr("scan_output_axes") or [0] * k
    out_dirs = node.attr("scan_output_directions") or [0] * k
    results = []
    for s, a, d in zip(scans, out_axes, out_dirs):
        y = _stack(s[::-1] if d else s)
        results.append(y.movedim(0, axis_of(node, a, y.ndim)))
    return _result(node, state + results)


@handler("Scan", since=8, until=8)
def _scan8(node: Node, lengths: Tensor | None, *inputs: Any) -> Any:
    """Scan-8: every input has a leading batch axis, scanned along axis 1; one Scan-9 run per batch entry."""
    m = node.attr("num_scan_inputs")
    n_state = len(inputs) - m
    steps = inputs[n_state].shape[1] if m else 0
    if lengths is not None and any(n != steps for n in node.ints(lengths)):
        raise node.error("Scan-8 with sequence_lens shorter than the sequences is not supported")
    directions = node.attr("directions") or [0] * m
    inner = Node(node.name, "Scan", node.domain, 9, node.opset,
                 {"num_scan_inputs": m, "scan_input_directions": directions, "body": node.graphs["body"]},
                 node.device, node.n_outputs, graphs=node.graphs, scope=node.scope)
    per_batch = []
    for b in range(inputs[0].shape[0] if inputs else 0):
        out = _scan(inner, *[x[b] for x in inputs])
        per_batch.append(out if isinstance(out, tuple) else (out,))
    return _result(node, [ember.stack([r[j] for r in per_batch], dim=0) for j in range(node.n_outputs)])


@handler("SequenceEmpty", since=11)
def _sequence_empty(node: Node) -> list[Tensor]:
    return []


@handler("SequenceConstruct", since=11)
def _sequence_construct(node: Node, *xs: Tensor) -> list[Tensor]:
    return list(xs)


def _position(node: Node, seq: list[Any], pos: Tensor | None, insert: bool = False) -> int:
    n = len(seq)
    if pos is None:
        return n if insert else n - 1
    p = int(node.scalar(pos))
    top = n if insert else n - 1
    if not -n <= p <= top:
        raise node.error(f"position {p} is out of range for a sequence of length {n}")
    return p + n if p < 0 else p


@handler("SequenceInsert", since=11)
def _sequence_insert(node: Node, seq: list[Tensor], x: Tensor, pos: Tensor | None = None) -> list[Tensor]:
    out = list(seq)
    out.insert(_position(node, seq, pos, insert=True), x)
    return out


@handler("SequenceAt", since=11)
def _sequence_at(node: Node, seq: list[Tensor], pos: Tensor) -> Tensor:
    return seq[_position(node, seq, pos)]


@handler("SequenceErase", since=11)
def _sequence_erase(node: Node, seq: list[Tensor], pos: Tensor | None = None) -> list[Tensor]:
    out = list(seq)
    del out[_position(node, seq, pos)]
    return out


@handler("SequenceLength", since=11)
def _sequence_length(node: Node, seq: list[Tensor]) -> Tensor:
    return ember.tensor(len(seq), dtype=ember.int64, device=node.device)


@handler("ConcatFromSequence", since=11)
def _concat_from_sequence(node: Node, seq: list[Tensor]) -> Tensor:
    axis = node.attr("axis")
    if node.attr("new_axis", 0):
        return ember.stack(seq, dim=axis_of(node, axis, seq[0].ndim + 1))
    return ember.cat(seq, dim=axis_of(node, axis, seq[0].ndim))


@handler("SplitToSequence", since=11)
def _split_to_sequence(node: Node, x: Tensor, split: Tensor | None = None) -> list[Tensor]:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    if split is None:
        parts = list(ember.split(x, 1, dim=axis))
        return [p.squeeze(axis) for p in parts] if not node.attr("keepdims", 1) else parts
    sizes = node.ints(split)
    if split.ndim == 0:
        return list(ember.split(x, sizes[0], dim=axis))
    return list(ember.split(x, sizes, dim=axis))


@handler("SequenceMap", since=17)
def _sequence_map(node: Node, seq: list[Tensor], *extra: Any) -> Any:
    body = node.graphs["body"]
    outs: list[list[Tensor]] = [[] for _ in range(node.n_outputs)]
    for i in range(len(seq)):
        args = [seq[i]] + [e[i] if isinstance(e, list) else e for e in extra]
        for j, v in enumerate(body.call(node.scope, *args)):
            outs[j].append(v)
    return outs[0] if node.n_outputs == 1 else tuple(outs)


@handler("Optional", since=15)
def _optional(node: Node, x: Any = None) -> Any:
    return x


@handler("OptionalHasElement", since=15)
def _optional_has_element(node: Node, x: Any = None) -> Tensor:
    return ember.tensor(x is not None, dtype=ember.bool_, device=node.device)


@handler("OptionalGetElement", since=15)
def _optional_get_element(node: Node, x: Any) -> Any:
    if x is None:
        raise node.error("the optional input is empty")
    return x

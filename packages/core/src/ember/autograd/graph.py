"""The autograd graph: `Node` (one recorded op) and the reverse-mode engine.

Each op that sees an input requiring grad records a Node holding what its
derivative needs. `backward` orders the reachable nodes topologically with an
iterative depth-first search (no recursion, so 10,000-op chains are fine), then
calls each node's derivative once, with the sum of the gradients that reached it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from . import grad_mode
from .anomaly_mode import check_gradients
from .anomaly_mode import state as anomaly

if TYPE_CHECKING:
    from ..device import Device
    from ..dtypes import DType
    from ..tensor import Tensor, _VersionCounter

__all__ = ["Node", "queue_callback", "run_backward"]


class _Freed:
    """Marker for saved values released after backward."""


_FREED = _Freed()

# An input edge: (the grad_fn of a non-leaf input, its output number) or (a leaf input, 0);
# None for an input that wants no gradient (or is no tensor).
_Edge: TypeAlias = "tuple[Node, int] | tuple[Tensor, int]"
# What a node keeps of its output: (data, shape, dtype, device, version counter).
_SavedOut: TypeAlias = "tuple[Any, tuple[int, ...], DType, Device, _VersionCounter]"
_Hook: TypeAlias = "Callable[[Tensor], Tensor | None]"


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


class Node:
    """One recorded op: its derivative, its input edges and its saved values.

    A derivative (vjp) is called as ``vjp(node, *grad_outputs)`` (a multi-output
    op gets None for outputs no gradient reached) and reads what it
    needs from the node: ``node[i]`` is saved input i, ``node.out`` the saved
    output, ``node.args`` the op's non-tensor arguments, ``node.needs(i)`` whether
    input i wants a gradient. It returns one gradient (or None) per input.
    """

    __slots__ = (
        "name",
        "vjp",
        "next",
        "meta",
        "args",
        "_inputs",
        "_out",
        "_versions",
        "_out_version",
        "pre_hooks",
        "nout",
        "__weakref__",
    )

    name: str
    vjp: Callable[..., Sequence[Any]]
    next: list[_Edge | None]
    meta: list[tuple[tuple[int, ...], DType] | None]  # (shape, dtype) per tensor input, None for others
    args: Any
    _inputs: Sequence[Any] | _Freed | None
    _out: _SavedOut | _Freed | None
    _versions: list[int] | None
    _out_version: int | None
    pre_hooks: dict[int, list[_Hook]] | None
    nout: int

    def __init__(
        self,
        name: str,
        vjp: Callable[..., Sequence[Any]],
        inputs: Sequence[Any],
        args: Any = (),
        save_inputs: bool = False,
        nout: int = 1,
    ) -> None:
        self.name = name
        self.vjp = vjp
        self.args = args
        self.nout = nout
        self.pre_hooks = None
        self._out = None
        self._out_version = None
        nxt: list[_Edge | None] = []
        meta: list[tuple[tuple[int, ...], DType] | None] = []
        versions: list[int] = []
        T = _TensorType
        for x in inputs:
            if isinstance(x, T):
                if x._base is not None and x._view_version != x._base._version_counter().value:
                    _refresh_view(x)
                if x._requires_grad:
                    fn = x.grad_fn
                    nxt.append((fn, x._output_nr) if fn is not None else (x, 0))
                else:
                    nxt.append(None)
                meta.append((x._shape, x._dtype))
                if save_inputs:  # no counter yet on a tensor that is not a view: version 0, and none made
                    v = x._version
                    versions.append(v.value if v is not None else 0 if x._base is None else x._version_counter().value)
            else:
                nxt.append(None)
                meta.append(None)
                versions.append(0)
        self.next = nxt
        self.meta = meta
        if save_inputs:
            self._inputs = inputs
            self._versions = versions
        else:
            self._inputs = None
            self._versions = None

    # -- what derivatives read ------------------------------------------------
    def __getitem__(self, i: int) -> Any:
        inputs, versions = self._inputs, self._versions
        if inputs is None or isinstance(inputs, _Freed):
            raise self._freed_error()
        x = inputs[i]
        if isinstance(x, _TensorType):
            assert versions is not None  # saved together with the inputs
            v = x._version  # no counter yet on a tensor that is not a view: still at version 0
            now = v.value if v is not None else 0 if x._base is None else x._version_counter().value
            if now != versions[i]:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: input {i} of {self.name} (shape {tuple(x._shape)}, dtype {x._dtype.name}) "
                    f"is at version {now}; expected version {versions[i]}. Use .clone() before the "
                    f"in-place op, or make it out-of-place."
                )
        return x

    @property
    def out(self) -> Tensor:
        """The saved output, connected to this node so double backward sees it."""
        saved = self._out
        if saved is None or isinstance(saved, _Freed):
            raise self._freed_error()
        data, shape, dtype, device, counter = saved
        if counter.value != self._out_version:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: the output of {self.name} (shape {tuple(shape)}, dtype {dtype.name}) is at "
                f"version {counter.value}; expected version {self._out_version}."
            )
        t = _TensorType._make(data, shape, dtype, device)
        t._requires_grad = True
        t.grad_fn = self
        t._version = counter
        return t

    def needs(self, i: int) -> bool:
        return self.next[i] is not None

    def save_output(self, out: Tensor) -> None:
        counter = out._version_counter()
        self._out = (out._data, out._shape, out._dtype, out._device, counter)
        self._out_version = counter.value

    def release(self) -> None:
        """Free saved values; a later backward through this node raises."""
        if self._inputs is not None:
            self._inputs = _FREED
        if self._out is not None:
            self._out = _FREED

    def _freed_error(self) -> RuntimeError:
        return RuntimeError(
            f"Trying to backward through the graph a second time (through {self.name}, or to read its saved "
            f"tensors after they were freed): saved tensors are freed after backward; pass retain_graph=True to the "
            f"first backward() or autograd.grad() if you need to backward twice"
        )

    # -- introspection --------------------------------------------------------
    def name_(self) -> str:
        return f"{_camel(self.name)}Backward0"

    @property
    def next_functions(self) -> tuple[tuple[Node | _AccumulateGrad | None, int], ...]:
        out: list[tuple[Node | _AccumulateGrad | None, int]] = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif isinstance(e[0], Node):
                out.append(e)
            else:
                out.append((_AccumulateGrad(e[0]), 0))
        return tuple(out)

    def register_prehook(self, output_nr: int, hook: _Hook, last: bool = False) -> None:
        """Call `hook(grad)` on output `output_nr`'s gradient; `last` hooks (retain_grad) run after the others."""
        if self.pre_hooks is None:
            self.pre_hooks = {}
        hooks = self.pre_hooks.setdefault(output_nr, [])
        if last:
            hooks.append(_LastHook(hook))
        else:
            n = next((i for i, h in enumerate(hooks) if isinstance(h, _LastHook)), len(hooks))
            hooks.insert(n, hook)

    def __repr__(self) -> str:
        return f"<{self.name_()}>"


class _LastHook:
    """A pre-hook that stays after those registered later (retain_grad's copy of the gradient)."""

    __slots__ = ("fn",)

    def __init__(self, fn: _Hook) -> None:
        self.fn = fn

    def __call__(self, g: Tensor) -> Tensor | None:
        return self.fn(g)


class _AccumulateGrad:
    """What `next_functions` shows for a leaf: where its gradient accumulates."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def _refresh_view(view: Any) -> None:
    from ..ops.conversion import refresh_view

    refresh_view(view)


if TYPE_CHECKING:
    _TensorType: type[Tensor]
else:
    _TensorType = None  # set by ember.tensor to the Tensor class (no import cycle)


def _bind_tensor_type(cls: type) -> None:
    global _TensorType
    _TensorType = cls


def _topological(roots: list[Node], feeding: dict[int, int] | None = None) -> list[Node]:
    """Nodes reachable from `roots`, each after every node that feeds it a gradient.

    `feeding`, if given, gets for each leaf (by id) how many edges of these nodes lead to it.
    """
    order: list[Node] = []
    visited: set[Node] = set(roots)
    for root in roots:
        stack = [(root, iter(root.next))]
        while stack:
            node, it = stack[-1]
            for edge in it:
                if edge is not None:
                    child = edge[0]
                    if isinstance(child, Node):
                        if child not in visited:
                            visited.add(child)
                            stack.append((child, iter(child.next)))
                            break
                    elif feeding is not None:  # a leaf tensor ends the path
                        k = id(child)
                        feeding[k] = feeding.get(k, 0) + 1
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _run_hooks(hooks: list[_Hook] | None, g: Tensor) -> Tensor:
    if hooks:
        for hook in hooks:
            r = hook(g)
            if r is not None:
                if r is not g:
                    _check_hook_result(hook, g, r)
                g = r
    return g


def _check_hook_result(hook: _Hook, g: Tensor, r: Any) -> None:
    """A hook may replace a gradient, not change what it is: PyTorch's errors, naming the hook."""
    name = getattr(hook, "__name__", repr(hook))
    if not isinstance(r, _TensorType):
        raise TypeError(f"hook '{name}' returned {type(r).__name__}; a gradient hook must return a Tensor or None")
    if r._shape != g._shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value: expected shape {g._shape}, got {r._shape}")
    if r._dtype is not g._dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value: expected {g._dtype.name}, got {r._dtype.name}"
        )
    if r._device != g._device:
        raise RuntimeError(f"hook '{name}' has changed the device of value: expected {g._device}, got {r._device}")


def _fit(g: Tensor, meta: tuple[tuple[int, ...], DType]) -> Tensor:
    """Sum a broadcast gradient back to its input's shape and cast it to its dtype."""
    shape, dtype = meta
    if g._shape != shape:
        g = g.sum_to_size(shape)
    if g._dtype is not dtype:
        g = g.to(dtype)
    return g


_final_callbacks: list[Callable[[], None]] = []


def queue_callback(callback: Callable[[], None]) -> None:
    """Run `callback()` once the backward pass now running has finished (PyTorch's engine `queue_callback`).

    Hooks call this during backward; DistributedDataParallel finishes its gradient communication so.
    """
    _final_callbacks.append(callback)


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None] | None:
    """Backpropagate `root_grads` from `roots`.

    With `inputs` None, gradients accumulate into the `.grad` of leaves; else they
    are returned, one per input (None where none flowed), and nothing accumulates.
    """
    sink = _Sink(inputs, create_graph)
    buffers: dict[Node, list[Any]] = {}
    root_nodes: list[Node] = []
    for r, g in zip(roots, root_grads):
        sink.given_out.add(id(g))
        fn = r.grad_fn
        if fn is None:
            sink.leaf(r, g)
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * fn.nout
            root_nodes.append(fn)
        nr = r._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    # How many edges still to run lead to each leaf: a leaf's gradient is handed over (hooks, .grad) as soon as
    # the last of them ran, while backward goes on, so DistributedDataParallel's hooks overlap communication.
    feeding: dict[int, int] = {}
    order = _topological(root_nodes, feeding)
    captured = sink.captured
    leads: set[int] | None = None
    if inputs is not None:
        order, leads = _prune(order, captured, sink.leaf_targets)

    leaf_bufs: dict[int, tuple[Tensor, Tensor]] = {}
    state = grad_mode.state
    prev = state.enabled
    state.enabled = create_graph
    release = not retain_graph
    leaf = sink.leaf
    # backward() (not autograd.grad, no create_graph): a leaf's first gradient, a fresh tensor, becomes its .grad
    # right here (what `sink.leaf` does, without the call); hooks, accumulation and views go through `leaf`
    plain = inputs is None and not create_graph
    given_out = sink.given_out
    try:
        for node in order:
            buf = buffers.pop(node, None)
            if buf is None:
                if release:
                    node.release()
                _leaves_done(node, feeding, leaf_bufs, sink)
                continue
            hooks = node.pre_hooks
            if hooks:
                buf = [_run_hooks(hooks.get(i), g) if g is not None else None for i, g in enumerate(buf)]
            if captured:
                sink.capture(node, buf)
            if leads is not None and id(node) not in leads:
                _leaves_done(node, feeding, leaf_bufs, sink)
                continue  # an input's own grad_fn, leading to no other input: stop here
            grads = node.vjp(node, *buf)
            if anomaly.enabled and anomaly.check_nan:
                check_gradients(node, grads)
            if release:
                if type(node) is not Node:
                    node.release()
                else:  # Node.release, inlined
                    if node._inputs is not None:
                        node._inputs = _FREED
                    if node._out is not None:
                        node._out = _FREED
            for edge, g, meta in zip(node.next, grads, node.meta):
                if edge is None or meta is None:  # meta is None only where edge is
                    continue
                target, nr = edge
                if g is not None and (g._shape != meta[0] or g._dtype is not meta[1]):
                    g = _fit(g, meta)
                if isinstance(target, Node):
                    if g is None:
                        continue
                    tb = buffers.get(target)
                    if tb is None:
                        if target.nout == 1:
                            buffers[target] = [g]
                            continue
                        tb = buffers[target] = [None] * target.nout
                    tb[nr] = g if tb[nr] is None else tb[nr] + g
                    continue
                k = id(target)  # a leaf: sum first, so its hooks see the total once
                left = feeding[k] - 1
                feeding[k] = left
                if left == 0:  # the last edge into this leaf: hand its gradient over
                    held = leaf_bufs.pop(k, None) if leaf_bufs else None
                    if held is not None:
                        leaf(target, held[1] if g is None else held[1] + g)
                    elif g is not None:
                        if (
                            plain and target._grad is None and g._base is None and not g._requires_grad
                            and g._shape == target._shape and not target._hooks and not target._post_acc_hooks
                            and id(g) not in given_out
                        ):  # fmt: skip
                            given_out.add(id(g))
                            target._grad = g
                        else:
                            leaf(target, g)
                    continue
                if g is not None:
                    held = leaf_bufs.get(k)
                    leaf_bufs[k] = (target, g) if held is None else (target, held[1] + g)
        for lf, g in leaf_bufs.values():
            leaf(lf, g)
        while _final_callbacks:
            _final_callbacks.pop(0)()
    finally:
        _final_callbacks.clear()
        state.enabled = prev
    return sink.results


def _leaves_done(node: Node, feeding: dict[int, int], leaf_bufs: dict[int, tuple[Tensor, Tensor]], sink: _Sink) -> None:
    """After `node` ran (or was skipped): hand over each leaf it fed that no node still to run feeds."""
    for edge in node.next:
        if edge is None or isinstance(edge[0], Node):
            continue
        k = id(edge[0])
        left = feeding[k] - 1
        feeding[k] = left
        if left == 0:
            held = leaf_bufs.pop(k, None)
            if held is not None:
                sink.leaf(*held)


_NONE_CAPTURED: dict[tuple[int, int], int] = {}  # never written: filled only for autograd.grad's own dict


class _Sink:
    """Where gradients end: leaves' `.grad` (backward) or the requested inputs (autograd.grad)."""

    __slots__ = ("results", "captured", "leaf_targets", "given_out", "create_graph")

    def __init__(self, inputs: Sequence[Tensor] | None, create_graph: bool) -> None:
        self.create_graph = create_graph
        self.given_out: set[int] = set()
        self.captured: dict[tuple[int, int], int] = _NONE_CAPTURED  # backward(): nothing to capture
        self.leaf_targets: dict[int, int] = {}
        self.results: list[Tensor | None] | None = None
        if inputs is not None:
            self.captured = {}
            self.results = [None] * len(inputs)
            for k, t in enumerate(inputs):
                if t.grad_fn is None:
                    self.leaf_targets[id(t)] = k
                else:
                    self.captured[(id(t.grad_fn), t._output_nr)] = k

    def capture(self, node: Node, buf: list[Any]) -> None:
        results = self.results
        assert results is not None  # captured is filled only with inputs, which also make results
        for i, g in enumerate(buf):
            k = self.captured.get((id(node), i))
            if k is not None and g is not None:
                results[k] = g

    def leaf(self, leaf: Tensor, g: Tensor) -> None:
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        results = self.results
        if results is not None:
            k = self.leaf_targets.get(id(leaf))
            if k is not None:
                results[k] = g if results[k] is None else results[k] + g
            return
        # .grad must own its memory: never a view, nor a tensor also given to another leaf
        given_out = self.given_out
        if g._base is not None or id(g) in given_out:
            g = g.clone() if not self.create_graph else g + 0
        given_out.add(id(g))
        grad = leaf._grad  # a leaf's: .grad's non-leaf warning does not apply
        if grad is None:
            if g._requires_grad and not self.create_graph:
                g = g.detach()
            if g._shape == leaf._shape:
                leaf._grad = g
            else:
                leaf.grad = g  # the setter's error (the leaf changed shape since the graph was recorded)
        elif not self.create_graph and grad._shape == g._shape and grad._base is None and not grad._requires_grad:
            grad.add_(g)  # accumulate in place, like PyTorch: a reference to .grad sees the sum
        else:
            leaf.grad = grad + g
        post = leaf._post_acc_hooks
        if post:
            for hook in list(post):
                hook(leaf)


def _prune(
    order: list[Node], captured: dict[tuple[int, int], int], leaf_targets: dict[int, int]
) -> tuple[list[Node], set[int]]:
    """The nodes on a path to one of autograd.grad's inputs, and those whose derivative must run.

    A node that is itself an input's grad_fn is kept (its incoming gradient is the
    answer) but its derivative runs only if it also leads to another input.
    """
    target_nodes = {nid for nid, _ in captured}
    leads: set[int] = set()
    needed: set[int] = set()
    for node in reversed(order):  # children first
        for edge in node.next:
            if edge is None:
                continue
            child = edge[0]
            if isinstance(child, Node) and id(child) in needed or id(child) in leaf_targets:
                leads.add(id(node))
                break
        if id(node) in leads or id(node) in target_nodes:
            needed.add(id(node))
    return [n for n in order if id(n) in needed], leads

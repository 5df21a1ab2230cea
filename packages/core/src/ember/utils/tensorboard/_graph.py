"""A model's graph for TensorBoard's Graphs tab, from the autograd graph of one forward call.

Ember has no tracer or ONNX export; autograd already records every op between the parameters (and inputs) and
the outputs, with the shapes of its inputs. The forward call runs with grad enabled, floating-point inputs made
leaves that require grad, and a forward hook on every module. Walking `grad_fn` back from the outputs gives the op
nodes; each is put in the scope of the innermost module whose output reaches it without passing one of that
module's inputs, so TensorBoard draws the model as nested boxes (``Sequential/Linear[0]/linear.3``) to open.
"""

from __future__ import annotations

from typing import Any

from tensorboardX.proto.attr_value_pb2 import AttrValue
from tensorboardX.proto.graph_pb2 import GraphDef
from tensorboardX.proto.node_def_pb2 import NodeDef
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboardX.proto.versions_pb2 import VersionDef

from ...autograd import grad_mode
from ...autograd.graph import Node
from ...tensor import Tensor


def _tensors(x: Any) -> list[Tensor]:
    """The tensors in a (nested) output: a tensor, tuple, list or dict."""
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (tuple, list)):
        return [t for e in x for t in _tensors(e)]
    return []


def _shape_attr(shapes: list[tuple[int, ...]]) -> AttrValue:
    protos = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in s]) for s in shapes]
    return AttrValue(list=AttrValue.ListValue(shape=protos))


def _parents(node: Node) -> list[Node]:
    return [e[0] for e in node.next if e is not None and isinstance(e[0], Node)]


def _reachable(roots: list[Node], stop: set[int]) -> list[Node]:
    """The op nodes reachable from `roots` without entering a node in `stop` (ids), each once."""
    seen: set[int] = set()
    order: list[Node] = []
    todo = [r for r in roots if id(r) not in stop]
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        todo.extend(p for p in _parents(n) if id(p) not in stop and id(p) not in seen)
    return order


def model_graph(model: Any, input_to_model: Any) -> GraphDef:
    """The GraphDef of `model(*input_to_model)`: IO nodes, parameters, op nodes in module scopes, shapes."""
    if input_to_model is None:
        raise ValueError(
            "add_graph: pass input_to_model, an example input (a tensor or a tuple of them) to run the model on"
        )
    args = tuple(input_to_model) if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
    if not all(isinstance(a, Tensor) for a in args):
        raise TypeError(f"add_graph: input_to_model should be ember tensors, got {[type(a).__name__ for a in args]}")
    args = tuple(a.detach().requires_grad_(True) if a.dtype.is_floating_point else a.detach() for a in args)

    root = type(model).__name__
    scope_of: dict[str, str] = {"": root}
    calls: list[tuple[int, str, list[Tensor], list[Tensor]]] = []  # (depth, scope, inputs, outputs)
    handles = []
    for qual, mod in model.named_modules():
        if qual:
            parent, _, attr = qual.rpartition(".")
            scope_of[qual] = f"{scope_of[parent]}/{type(mod).__name__}[{attr}]"

        def hook(
            m: Any, inputs: Any, output: Any, scope: str = scope_of[qual], depth: int = qual.count(".") + bool(qual)
        ) -> None:
            calls.append((depth, scope, _tensors(inputs), _tensors(output)))

        handles.append(mod.register_forward_hook(hook))
    try:
        with grad_mode.enable_grad():
            outputs = _tensors(model(*args))
    finally:
        for h in handles:
            h.remove()
    if not outputs:
        raise ValueError(f"add_graph: {root} returned no tensor")

    # every op node reachable from the outputs, and the scope of the innermost module that ran it
    nodes = _reachable([t.grad_fn for t in outputs if t.grad_fn is not None], set())
    scope: dict[int, str] = {id(n): root for n in nodes}
    for _, name, ins, outs in sorted(calls, key=lambda c: c[0]):
        stop = {id(t.grad_fn) for t in ins if t.grad_fn is not None}
        for n in _reachable([t.grad_fn for t in outs if t.grad_fn is not None], stop):
            scope[id(n)] = name

    param_names = {id(p): n for n, p in model.named_parameters()}
    names: dict[int, str] = {}
    defs: list[NodeDef] = []
    out_shapes: dict[tuple[int, int], tuple[int, ...]] = {}  # (node id, output nr) -> shape, from consumers' metadata
    for n in nodes:
        for edge, meta in zip(n.next, n.meta):
            if edge is not None and meta is not None and isinstance(edge[0], Node):
                out_shapes[(id(edge[0]), edge[1])] = tuple(meta[0])
    for t in outputs:
        if t.grad_fn is not None:
            out_shapes[(id(t.grad_fn), t._output_nr)] = tuple(t.shape)

    for i, a in enumerate(args):
        names[id(a)] = f"input/input.{i}"
        defs.append(NodeDef(name=names[id(a)], op="IO Node", attr={"_output_shapes": _shape_attr([tuple(a.shape)])}))

    def leaf(t: Tensor) -> str:
        if id(t) not in names:
            pname = param_names.get(id(t))
            if pname is not None:
                mod, _, attr = pname.rpartition(".")
                names[id(t)] = f"{scope_of.get(mod, root)}/{attr}"
                op = "Parameter"
            else:
                names[id(t)] = f"{root}/tensor.{len(names)}"
                op = "Tensor"
            attr_map = {"_output_shapes": _shape_attr([tuple(t.shape)]), "dtype": AttrValue(s=t.dtype.name.encode())}
            defs.append(NodeDef(name=names[id(t)], op=op, attr=attr_map))
        return names[id(t)]

    for k, n in enumerate(reversed(nodes)):  # parents before children (the walk went from the outputs back)
        names[id(n)] = f"{scope[id(n)]}/{n.name}.{k}"
    for n in reversed(nodes):
        inputs = []
        for edge in n.next:
            if edge is None:
                continue
            src = edge[0]
            inputs.append(names[id(src)] if isinstance(src, Node) else leaf(src))
        shapes = [out_shapes[(id(n), j)] for j in range(n.nout) if (id(n), j) in out_shapes]
        attr = {"_output_shapes": _shape_attr(shapes)}
        if n.args not in ((), None):
            attr["args"] = AttrValue(s=repr(n.args)[:200].encode())
        defs.append(NodeDef(name=names[id(n)], op=n.name, input=inputs, attr=attr))
    for i, t in enumerate(outputs):
        producer = [names[id(t.grad_fn)]] if t.grad_fn is not None else []
        defs.append(
            NodeDef(
                name=f"output/output.{i}",
                op="IO Node",
                input=producer,
                attr={"_output_shapes": _shape_attr([tuple(t.shape)])},
            )
        )
    return GraphDef(node=defs, versions=VersionDef(producer=22))

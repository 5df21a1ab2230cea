"""``ember.onnx.load``: an ONNX model as an ``ember.nn.Module`` that runs its graph with Ember ops.

Loading compiles the graph once: every node is matched, by operator type and the operator version
its opset selects, to a handler of `ember.onnx.ops_table` (or, for an operator that ONNX defines as
a function of other operators, to that function's body); initializers become parameters (floating
point, so the model can be fine-tuned) or buffers (the rest). Everything the model cannot run here
is reported at load, all at once, naming each node, its op type and opset. Nothing in the file is
executed but the graph's own operators: no pickle, no custom code.
"""

from __future__ import annotations

import os
import re
from collections import ChainMap
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import onnx.inliner
from onnx import numpy_helper

import ember
import ember.nn as nn
from ember import Tensor
from ember.backends import registry

from . import handlers as _handlers  # noqa: F401 - registers the handlers in the table
from .elem_types import TO_EMBER, to_ember, type_name
from .ops_table import Node, OnnxImportError, find, versions

__all__ = ["OnnxImportError", "OnnxModule", "load"]

#: The default-domain names ONNX uses for its standard operators.
_DEFAULT_DOMAINS = ("", "ai.onnx")
#: Attributes that name an element type the node produces: checked at load.
_TYPE_ATTRS = ("to", "dtype", "output_dtype")


@dataclass
class _Step:
    node: Node
    fn: Any
    inputs: list[str]
    outputs: list[str]


class Graph:
    """A compiled ONNX graph (or subgraph, or function body): its steps in order and its interface."""

    def __init__(
        self, name: str, inputs: list[str], outputs: list[str], steps: list[_Step], constants: dict[str, np.ndarray]
    ) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.steps = steps
        self.constants = constants  #: initializers of a subgraph (the main graph's live in the module)
        self._device: str | None = None
        self._const_tensors: dict[str, Tensor] = {}

    def set_device(self, device: str) -> None:
        """Point every node (subgraphs too) at `device`, where they create their constants."""
        if device == self._device:
            return
        self._device = device
        self._const_tensors = {k: ember.tensor(v, device=device) for k, v in self.constants.items()}
        for step in self.steps:
            step.node.device = device
            if step.node.cache:
                step.node.cache.clear()
            for sub in step.node.graphs.values():
                sub.set_device(device)

    def call(self, outer: Mapping[str, Any], *args: Any) -> list[Any]:
        """Run as a subgraph: `args` bound to the graph's inputs, names of `outer` visible."""
        return self.run(ChainMap(dict(zip(self.inputs, args)), outer))  # type: ignore[arg-type]

    def run(self, env: Mapping[str, Any]) -> list[Any]:
        """Run the steps on `env` (values by name, outer scopes included); the graph's outputs."""
        scope: MutableMapping[str, Any] = ChainMap({}, dict(self._const_tensors), env)  # type: ignore[arg-type]
        for step in self.steps:
            args = [scope[n] if n else None for n in step.inputs]
            if step.node.graphs:
                step.node.scope = scope
            try:
                out = step.fn(step.node, *args)
            except OnnxImportError:
                raise
            except Exception as exc:
                if not _rewrappable(exc):
                    raise
                raise type(exc)(f"{step.node.where()}: {exc}") from exc
            if len(step.outputs) == 1 and not _is_multi(out):
                scope[step.outputs[0]] = out
            else:
                outs = list(out) if _is_multi(out) else [out]
                for name, value in zip(step.outputs, outs):
                    if name:
                        scope[name] = value
        return [scope[n] for n in self.outputs]


def _is_multi(out: Any) -> bool:
    return isinstance(out, tuple)


def _rewrappable(exc: Exception) -> bool:
    """Whether `exc` can be re-raised as its own type with a message that names the node."""
    try:
        type(exc)("probe")
    except Exception:
        return False
    return True


class _Compiler:
    """Turns a ModelProto's graphs into `Graph`s, collecting every problem before it raises."""

    def __init__(self, model: onnx.ModelProto, device: str) -> None:
        self.device = device
        self.opsets = {("" if d.domain in _DEFAULT_DOMAINS else d.domain): d.version for d in model.opset_import}
        self.problems: list[str] = []
        newest = onnx.defs.onnx_opset_version()
        if "" not in self.opsets:
            self.problems.append("the model imports no opset of the default ONNX domain ('' or 'ai.onnx')")
        elif self.opsets[""] > newest:
            self.problems.append(
                f"the model's opset {self.opsets['']} is newer than this onnx package knows ({newest}): "
                "upgrade onnx (pip install -U onnx)"
            )
        self.counter = 0
        self.elem_types: set[int] = set()  #: every element type the model declares or creates

    # -- graphs ---------------------------------------------------------------------------------
    def graph(
        self, g: onnx.GraphProto, outer: set[str], skip_initializers: bool = False
    ) -> tuple[Graph, dict[str, np.ndarray]]:
        """Compile `g`; values of `outer` (names of enclosing scopes) may be read by its nodes."""
        inits = {t.name: self.array(t, f"initializer {t.name!r}") for t in g.initializer}
        for t in g.sparse_initializer:
            self.problems.append(f"sparse initializer {t.values.name!r}: sparse tensors are not supported")
        inputs = [i.name for i in g.input if i.name not in inits]
        for vi in list(g.input) + list(g.output):
            self.check_value_type(vi, "graph input" if vi in g.input else "graph output")
        known = set(outer) | set(inits) | {i.name for i in g.input}
        steps = self.nodes(g.node, known, f"graph {g.name!r}")
        for o in g.output:
            if o.name not in known:
                self.problems.append(f"graph output {o.name!r} is produced by no node, input or initializer")
        graph = Graph(g.name, inputs, [o.name for o in g.output], steps, {} if skip_initializers else inits)
        return graph, inits

    def nodes(self, nodes: Sequence[onnx.NodeProto], known: set[str], where: str) -> list[_Step]:
        steps = []
        for proto in nodes:
            for name in proto.input:
                if name and name not in known:
                    self.problems.append(
                        f"node {proto.name!r} ({proto.op_type}) reads {name!r}, which no earlier node, input or "
                        f"initializer of {where} defines (the graph must be topologically sorted)"
                    )
                    known.add(name)
            step = self.node(proto, known)
            if step is not None:
                steps.append(step)
            known.update(n for n in proto.output if n)
        return steps

    def node(self, proto: onnx.NodeProto, known: set[str], fn_attrs: Mapping[str, Any] | None = None) -> _Step | None:
        domain = "" if proto.domain in _DEFAULT_DOMAINS else proto.domain
        self.counter += 1
        name = proto.name or f"{proto.op_type}_{self.counter}"
        opset = self.opsets.get(domain)
        label = f"node {name!r} ({proto.op_type}"
        if opset is None:
            self.problems.append(
                f"{label}): domain {proto.domain!r} is not among the model's opset imports "
                f"({', '.join(repr(d) for d in self.opsets)}); Ember runs the default ONNX domain"
            )
            return None
        if domain != "":
            self.problems.append(
                f"{label}, domain {domain!r} opset {opset}): operator domain {domain!r} is not supported; "
                "Ember runs the default ONNX domain (ai.onnx)"
            )
            return None
        try:
            schema = onnx.defs.get_schema(proto.op_type, opset, domain)
        except onnx.defs.SchemaError:
            self.problems.append(f"{label}, opset {opset}): unknown operator: ONNX opset {opset} has no {proto.op_type}")
            return None
        version = schema.since_version
        node = Node(name, proto.op_type, domain, version, opset, {}, self.device, len(proto.output))
        try:
            node.attrs = self.attributes(proto, node, known, fn_attrs)
        except OnnxImportError as exc:
            self.problems.append(str(exc))
            return None
        for key in _TYPE_ATTRS:
            t = node.attrs.get(key)
            if isinstance(t, int) and t:
                self.elem_types.add(t)
            if isinstance(t, int) and t not in TO_EMBER and not (key == "output_dtype" and t == 0):
                self.problems.append(
                    f"{node.where()}: attribute {key!r} asks for element type {type_name(t)}, which Ember lacks"
                )
                return None
        fn = find(proto.op_type, version)
        if fn is None:
            fn = self.function(proto, schema, node, known)
        if fn is None:
            self.problems.append(
                f"{node.where()}: no Ember implementation of {proto.op_type}-{version} "
                f"(Ember implements {proto.op_type} versions: {versions(proto.op_type)})"
            )
            return None
        return _Step(node, fn, list(proto.input), list(proto.output))

    def attributes(
        self, proto: onnx.NodeProto, node: Node, known: set[str], fn_attrs: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for a in proto.attribute:
            if a.ref_attr_name:
                if fn_attrs is not None and a.ref_attr_name in fn_attrs:
                    attrs[a.name] = fn_attrs[a.ref_attr_name]
                continue
            if a.type == onnx.AttributeProto.GRAPH:
                sub, _ = self.graph(a.g, known)
                node.graphs[a.name] = sub
                attrs[a.name] = sub
            elif a.type == onnx.AttributeProto.GRAPHS:
                raise node.error(f"attribute {a.name!r}: lists of graphs are not supported")
            elif a.type == onnx.AttributeProto.TENSOR:
                attrs[a.name] = self.array(a.t, f"{node.where()}: attribute {a.name!r}")
            elif a.type in (onnx.AttributeProto.SPARSE_TENSOR, onnx.AttributeProto.SPARSE_TENSORS):
                raise node.error(f"attribute {a.name!r}: sparse tensors are not supported")
            elif a.type == onnx.AttributeProto.TENSORS:
                attrs[a.name] = [self.array(t, f"{node.where()}: attribute {a.name!r}") for t in a.tensors]
            elif a.type == onnx.AttributeProto.TYPE_PROTO:
                attrs[a.name] = a.tp
            else:
                value = onnx.helper.get_attribute_value(a)
                if isinstance(value, bytes):
                    value = value.decode("utf-8")
                elif isinstance(value, list) and value and isinstance(value[0], bytes):
                    value = [v.decode("utf-8") for v in value]
                attrs[a.name] = value
        return attrs

    def function(self, proto: onnx.NodeProto, schema: Any, node: Node, known: set[str]) -> Any:
        """A handler that runs the ONNX function body defining `proto`'s operator, if ONNX has one."""
        body = None
        opset = node.opset
        if schema.has_function:
            body = schema.get_function_with_opset_version(opset)
            if isinstance(body, bytes):  # the onnx package hands the FunctionProto over serialized
                body = onnx.FunctionProto.FromString(body)
        if body is None or not body.node:
            return None
        fn_attrs = {}
        for a in schema.attributes.values():
            if a.default_value is not None and a.default_value.type != 0:
                fn_attrs[a.name] = onnx.helper.get_attribute_value(a.default_value)
        fn_attrs.update(node.attrs)
        inner_known = set(body.input) | set(known)
        steps = []
        reported = len(self.problems)
        outer_opsets = self.opsets  # the body's nodes take their versions from the body's own opset imports
        self.opsets = {**outer_opsets, **{("" if d.domain in _DEFAULT_DOMAINS else d.domain): d.version for d in body.opset_import}}
        try:
            for p in body.node:
                step = self.node(p, inner_known, fn_attrs)
                if step is None:  # the body needs what Ember lacks: report the node's own operator instead
                    del self.problems[reported:]
                    return None
                steps.append(step)
                inner_known.update(n for n in p.output if n)
        finally:
            self.opsets = outer_opsets
        sub = Graph(f"{proto.op_type} function", list(body.input), list(body.output), steps, {})
        node.graphs["__body__"] = sub
        n_formal = len(body.input)

        def run_function(n: Node, *args: Any) -> Any:
            env = {name: value for name, value in zip(sub.inputs[:n_formal], args)}
            for name in sub.inputs[len(args):]:
                env[name] = None
            outs = sub.run({k: v for k, v in env.items()})
            return tuple(outs) if n.n_outputs != 1 or len(outs) != 1 else outs[0]

        return run_function

    # -- values ---------------------------------------------------------------------------------
    def array(self, t: onnx.TensorProto, where: str) -> np.ndarray:
        self.elem_types.add(t.data_type)
        if t.data_type not in TO_EMBER:
            self.problems.append(f"{where}: element type {type_name(t.data_type)} has no Ember dtype")
            return np.zeros(0, np.float32)
        if t.data_location == onnx.TensorProto.EXTERNAL and not t.raw_data:
            self.problems.append(f"{where}: external data was not loaded (load the model from its file path)")
            return np.zeros(0, np.float32)
        try:
            return np.asarray(numpy_helper.to_array(t))
        except Exception as exc:
            self.problems.append(f"{where}: malformed tensor: {exc}")
            return np.zeros(0, np.float32)

    def check_value_type(self, vi: onnx.ValueInfoProto, what: str) -> None:
        kind = vi.type.WhichOneof("value")
        if kind == "tensor_type":
            self.elem_types.add(vi.type.tensor_type.elem_type)
            if vi.type.tensor_type.elem_type not in TO_EMBER:
                self.problems.append(
                    f"{what} {vi.name!r}: element type {type_name(vi.type.tensor_type.elem_type)} has no Ember dtype"
                )
        elif kind in ("sequence_type", "optional_type"):
            inner = vi.type.sequence_type.elem_type if kind == "sequence_type" else vi.type.optional_type.elem_type
            if inner.WhichOneof("value") == "tensor_type" and inner.tensor_type.elem_type not in TO_EMBER:
                self.problems.append(
                    f"{what} {vi.name!r}: element type {type_name(inner.tensor_type.elem_type)} has no Ember dtype"
                )
        elif kind is not None:
            self.problems.append(f"{what} {vi.name!r}: values of type {kind} are not supported")

    def raise_problems(self, source: str) -> None:
        if self.problems:
            shown = self.problems[:20]
            more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
            raise OnnxImportError(
                f"cannot import ONNX model {source}: {len(self.problems)} problem(s):\n  " + "\n  ".join(shown) + more
            )


class OnnxModule(nn.Module):
    """An imported ONNX graph. ``forward`` takes the graph's inputs (by position or name) and returns its
    output (or a tuple of them, in the graph's order); `run` takes and returns dicts keyed by ONNX names.

    Floating-point initializers are parameters and the others buffers, reachable by their ONNX names
    through `initializer`; `input_names` and `output_names` list the graph's interface.
    """

    def __init__(self, graph: Graph, initializers: dict[str, np.ndarray], device: str, input_types: dict[str, Any]):
        super().__init__()
        self.graph = graph
        self.input_names = list(graph.inputs)
        self.output_names = list(graph.outputs)
        self._input_types = input_types
        self._paths: dict[str, tuple[str, str]] = {}  # ONNX name -> (module path, attribute)
        for name, value in initializers.items():
            t = ember.tensor(value, device=device)
            owner, attr, path = self._slot(name)
            if t.dtype.is_floating_point:
                owner.register_parameter(attr, nn.Parameter(t))
            else:
                owner.register_buffer(attr, t)
            self._paths[name] = path
        graph.set_device(device)

    def _slot(self, name: str) -> tuple[nn.Module, str, tuple[str, str]]:
        """Where initializer `name` lives: under its dotted path when that is a valid module path (so a model
        exported from PyTorch keeps its state_dict keys), else flat under a sanitized name."""
        parts = name.split(".")
        if all(p.isidentifier() or p.isdigit() for p in parts) and parts[0] not in self.__dict__ and not hasattr(
            type(self), parts[0]
        ):
            owner: nn.Module = self
            ok = True
            for p in parts[:-1]:
                child = owner._modules.get(p)
                if child is None:
                    if p in owner._parameters or p in owner._buffers:
                        ok = False
                        break
                    child = nn.Module()
                    owner.add_module(p, child)
                owner = child
            leaf = parts[-1]
            if ok and leaf not in owner._modules and leaf not in owner._parameters and leaf not in owner._buffers:
                return owner, leaf, (".".join(parts[:-1]), leaf)
        flat = "onnx_" + re.sub(r"\W", "_", name)
        while flat in self._parameters or flat in self._buffers or flat in self._modules:
            flat += "_"
        return self, flat, ("", flat)

    def initializer(self, name: str) -> Tensor:
        """The parameter or buffer holding the ONNX initializer `name`."""
        try:
            mod_path, attr = self._paths[name]
        except KeyError:
            raise KeyError(f"the ONNX model has no initializer {name!r}") from None
        owner = self.get_submodule(mod_path) if mod_path else self
        found = owner._parameters.get(attr)
        return found if found is not None else owner._buffers[attr]  # type: ignore[return-value]

    def _state(self) -> dict[str, Tensor]:
        return {name: self.initializer(name) for name in self._paths}

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Run the graph on inputs given by name; its outputs by name (tensors, or lists for sequences)."""
        missing = [n for n in self.input_names if n not in feeds]
        unknown = [n for n in feeds if n not in self.input_names and n not in self._paths]
        if missing or unknown:
            raise TypeError(
                f"ONNX model inputs are {self.input_names}: "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and unknown else "")
                + (f"unknown {unknown}" if unknown else "")
            )
        state = self._state()
        device = self._device_of(feeds, state)
        self.graph.set_device(device)
        env: dict[str, Any] = dict(state)
        for name, value in feeds.items():
            env[name] = self._as_input(name, value, device)
        outs = self.graph.run(env)
        return dict(zip(self.output_names, outs))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) > len(self.input_names):
            raise TypeError(f"the ONNX model takes {len(self.input_names)} inputs {self.input_names}, got {len(args)}")
        feeds = dict(zip(self.input_names, args))
        for k in kwargs:
            if k in feeds:
                raise TypeError(f"ONNX model input {k!r} given twice (by position and by name)")
        feeds.update(kwargs)
        outs = list(self.run(feeds).values())
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _device_of(self, feeds: Mapping[str, Any], state: Mapping[str, Tensor]) -> str:
        for v in list(feeds.values()) + list(state.values()):
            if isinstance(v, Tensor):
                return str(v.device)
        return self.graph._device or "cpu"

    def _as_input(self, name: str, value: Any, device: str) -> Any:
        declared = self._input_types.get(name)
        if isinstance(value, (list, tuple)) and not isinstance(declared, ember.DType):  # a sequence (or optional one)
            return [self._as_input(name, v, device) for v in value]
        if value is None:
            return None
        if isinstance(value, Tensor):
            t = value
        elif isinstance(value, np.ndarray):
            t = ember.tensor(value, device=device)
        else:  # Python numbers and nested lists take the declared type, as ember.tensor(..., dtype=) would
            t = ember.tensor(value, dtype=declared if isinstance(declared, ember.DType) else None, device=device)
        if isinstance(declared, ember.DType) and t.dtype != declared:
            raise TypeError(f"ONNX model input {name!r} must be {declared}, got {t.dtype}")
        return t

    def extra_repr(self) -> str:
        return f"inputs={self.input_names}, outputs={self.output_names}, nodes={len(self.graph.steps)}"


def _read(model: Any) -> tuple[onnx.ModelProto, str]:
    if isinstance(model, onnx.ModelProto):
        return model, "(ModelProto)"
    if isinstance(model, (bytes, bytearray)):
        source = "(bytes)"
        try:
            return onnx.load_model_from_string(bytes(model)), source
        except Exception as exc:
            raise OnnxImportError(f"cannot import ONNX model {source}: not a valid ONNX protobuf ({exc})") from None
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ember.onnx.load: no such file: {path!r}")
        try:
            return onnx.load(path), repr(path)
        except Exception as exc:
            raise OnnxImportError(f"cannot import ONNX model {path!r}: not a valid ONNX protobuf ({exc})") from None
    raise TypeError(
        f"ember.onnx.load takes a path, bytes or an onnx.ModelProto, got {type(model).__name__}"
    )


def _check_device_dtypes(elem_types: set[int], device: str, source: str) -> None:
    """Refuse, at load, a model using a dtype that the device's backend lacks (float16 on most OpenCL devices)."""
    backend = registry.get(ember.device(device).type)
    lacking = sorted({TO_EMBER[t].name for t in elem_types if t in TO_EMBER and TO_EMBER[t] not in backend.dtypes})
    if lacking:
        raise OnnxImportError(
            f"cannot import ONNX model {source} on device {device}: it uses {', '.join(lacking)}, which backend "
            f"{backend.name!r} does not have; load it on a device that does (e.g. device='cpu')"
        )


def load(model: str | os.PathLike[str] | bytes | onnx.ModelProto, device: str | None = None) -> OnnxModule:
    """Import an ONNX model (a file path, its bytes or an ``onnx.ModelProto``) as an `OnnxModule` on `device`.

    Raises `OnnxImportError` (a `ValueError`) naming every node whose operator, operator version or
    dtype Ember cannot run, or what is malformed in the file.
    """
    proto, source = _read(model)
    if not proto.HasField("graph"):
        raise OnnxImportError(f"cannot import ONNX model {source}: it has no graph")
    if proto.functions:
        proto = onnx.inliner.inline_local_functions(proto)
    dev = str(ember.device(device)) if device is not None else "cpu"
    compiler = _Compiler(proto, dev)
    graph, inits = compiler.graph(proto.graph, set(), skip_initializers=True)
    input_types: dict[str, Any] = {}
    for vi in proto.graph.input:
        kind = vi.type.WhichOneof("value")
        if kind == "tensor_type" and vi.type.tensor_type.elem_type in TO_EMBER:
            input_types[vi.name] = to_ember(vi.type.tensor_type.elem_type, vi.name)
        elif kind == "sequence_type":
            input_types[vi.name] = "sequence"
    compiler.raise_problems(source)  # first: they name each node, its op type and opset
    _check_device_dtypes(compiler.elem_types, dev, source)
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise OnnxImportError(f"cannot import ONNX model {source}: malformed: {exc}") from None
    return OnnxModule(graph, inits, dev, input_types)

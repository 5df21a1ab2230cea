"""`ember.onnx.export`: trace a model at the dispatch level and write it as an ONNX graph.

The tracer is `ember.capture.record_kernels`: every kernel call of one forward pass (in eval
mode, under `no_grad`) reaches it with its native arguments. Native arrays are mapped by
identity to ONNX values: the graph inputs, the initializers (named by the model's
`state_dict`), the outputs of traced kernels, and otherwise constants. Each call becomes ONNX
nodes through the converter of its op (`ember.onnx.converters.CONVERTERS`).

Dynamic axes: the model is traced twice, the second time with every dynamic axis at another
size. The two traces are walked in lockstep; a Python argument that differs between them (a
reshape target holding the batch size, a slice bound, the count a mean divides by) follows an
axis, and is written as Shape/Gather arithmetic on a value that has that axis; where ONNX needs
a constant, or the traces disagree, export refuses with an error naming the op and the layer.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

__all__ = ["export", "ExportError", "DEFAULT_OPSET", "SUPPORTED_OPSETS"]

#: The opsets `export` can write, and the one it writes by default.
SUPPORTED_OPSETS = range(17, 22)
DEFAULT_OPSET = 20

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


class ExportError(RuntimeError):
    """The model cannot be written as ONNX; the message names the op, the layer and what to do."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "ember.onnx.export needs the onnx package: pip install 'ember-core[onnx]'"
        ) from None
    return onnx


@dataclass(frozen=True)
class Sym:
    """A Python number that follows a dynamic axis: `a` in the first trace, `b` in the second."""

    a: int | float
    b: int | float


@dataclass(eq=False)
class Value:
    """An ONNX value: its name ("" for a constant not yet written), dtype and shape (ints or `Sym`s)."""

    name: str
    dtype: np.dtype[Any]
    shape: tuple[int | Sym, ...]
    const: np.ndarray | None = None  # the host value of a constant (folded or captured)
    origin: _Origin | None = None  # a view: what it was made from
    views: list[Value] = field(default_factory=list)  # a base: every view made from it (transitively)
    stale: bool = False  # a view whose base was written in place since it was made

    @property
    def ndim(self) -> int:
        return len(self.shape)


@dataclass
class _Origin:
    """How a view was made: its op, the value it views and the op's other arguments, and the base's
    native arrays in the two traces (rebound when a write through the view changes the base)."""

    op: str
    base: Value
    args: tuple[Any, ...]
    natives: tuple[Any, Any]


def _root(v: Value) -> Value:
    while v.origin is not None:
        v = v.origin.base
    return v


def _is_native(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic)


def _merge_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int | Sym, ...]:
    return tuple(x if x == y else Sym(x, y) for x, y in zip(a, b))


def _has_sym(x: Any) -> bool:
    if isinstance(x, Sym):
        return True
    if isinstance(x, (tuple, list)):
        return any(_has_sym(y) for y in x)
    if isinstance(x, slice):
        return _has_sym((x.start, x.stop, x.step))
    return False


@dataclass
class _Call:
    op: Any
    device_type: str
    args: tuple[Any, ...]
    result: Any
    module: str


class Builder:
    """The graph being written, and the helpers converters build nodes with."""

    def __init__(self, opset: int) -> None:
        onnx = _onnx()
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._used: set[str] = set()
        self._consts: dict[tuple[Any, ...], str] = {}
        self._counter = 0
        self.sources: dict[tuple[Any, Any], tuple[str, int]] = {}  # (size a, size b) -> (value, axis)
        self._shape_of: dict[str, str] = {}
        self._dims: dict[tuple[str, int, bool], str] = {}
        # the call being converted
        self.op = ""
        self.module = ""
        self.outs: list[Value] = []

    # -- names and nodes -------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        hint = hint.replace(" ", "_") or "v"
        name = hint
        while name in self._used:
            self._counter += 1
            name = f"{hint}_{self._counter}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> str:
        if name in self._used:
            raise ExportError(f"ONNX export: the name {name!r} is used twice (input, output or state_dict names)")
        self._used.add(name)
        return name

    def node(self, op_type: str, inputs: Sequence[str], n_out: int = 1, **attrs: Any) -> Any:
        """Add a node; returns its output name (or the list of them when `n_out` > 1)."""
        path = self.module.split(" (")[0]  # "features.0 (Conv2d)" -> "features.0"
        scope = f"/{path}/{self.op}" if path else f"/{self.op}"
        outs = [self.fresh(f"{scope}/{op_type}_out".lstrip("/").replace("/", ".")) for _ in range(n_out)]
        name = self.fresh(f"{scope}/{op_type}")
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, value: Any, dtype: Any = None, hint: str = "const") -> str:
        """An initializer holding `value` (small ones shared)."""
        arr = np.asarray(value, dtype=dtype)
        key = None
        if arr.size <= 64:
            key = (arr.dtype.str, arr.shape, arr.tobytes())
            if key in self._consts:
                return self._consts[key]
        name = self.fresh(hint)
        self.initializers.append(_tensor_proto(self.onnx, arr, name))
        if key is not None:
            self._consts[key] = name
        return name

    def initializer(self, arr: np.ndarray, name: str) -> str:
        self.initializers.append(_tensor_proto(self.onnx, arr, name))
        return name

    # -- values that follow dynamic axes ---------------------------------------------------------
    def register(self, v: Value) -> None:
        """Make `v`'s dynamic dims available as sources of the numbers that follow them."""
        for axis, d in enumerate(v.shape):
            if isinstance(d, Sym):
                self.sources.setdefault((d.a, d.b), (v.name, axis))

    def error(self, what: str) -> ExportError:
        where = f" (in {self.module})" if self.module else ""
        return ExportError(f"ONNX export: op '{self.op}'{where}: {what}")

    def static(self, x: Any, what: str) -> Any:
        """`x` when it has no number that follows a dynamic axis; else an error naming the op."""
        if _has_sym(x):
            raise self.error(
                f"its {what} follows a dynamic axis ({_describe_sym(x)} in the two traces), but ONNX needs a "
                f"constant there; export without that dynamic axis, or keep this argument fixed"
            )
        return x

    def _gather_dim(self, name: str, axis: int, scalar: bool) -> str:
        key = (name, axis, scalar)
        if key not in self._dims:
            if name not in self._shape_of:
                self._shape_of[name] = self.node("Shape", [name])
            idx = self.const(np.int64(axis) if scalar else np.array([axis], np.int64))
            self._dims[key] = self.node("Gather", [self._shape_of[name], idx], axis=0)
        return self._dims[key]

    def dim(self, s: Sym, scalar: bool = False) -> str:
        """An int64 tensor ([1], or 0-d when `scalar`) holding `s`, computed from the values' shapes.

        The explanations tried, simplest first: a dimension that follows an axis the same way; an
        integer multiple of one; a product of two; one plus or minus a constant (`x[-1]`, `x[: n + 1]`).
        The second trace moves each axis name by its own step, which tells these apart.
        """
        a, b = s.a, s.b
        if float(a) != int(a) or float(b) != int(b):
            raise self.error(f"the number {a} (then {b}) follows a dynamic axis but is not an integer multiple of one")
        a, b = int(a), int(b)
        one = np.int64(1) if scalar else np.array([1], np.int64)

        def times(x: str, k: int) -> str:
            return x if k == 1 else self.node("Mul", [x, self.const(one * k)])

        if (a, b) in self.sources:
            return self._gather_dim(*self.sources[(a, b)], scalar)
        found = list(self.sources.items())
        for (sa, sb), (name, axis) in found:
            if sa and sb and a % sa == 0 and a // sa == b // sb and b % sb == 0:
                return times(self._gather_dim(name, axis, scalar), a // sa)
        for i, ((sa, sb), (n1, x1)) in enumerate(found):
            for (ta, tb), (n2, x2) in found[i:]:
                if sa * ta == a and sb * tb == b:
                    return self.node("Mul", [self._gather_dim(n1, x1, scalar), self._gather_dim(n2, x2, scalar)])
        for (sa, sb), (name, axis) in found:
            if b - a == sb - sa:
                return self.node("Add", [self._gather_dim(name, axis, scalar), self.const(one * (a - sa))])
        raise self.error(
            f"the number {a} (then {b} in the second trace) follows a dynamic axis, but no value of the graph "
            f"has a dimension it can be computed from (a multiple, a product of two, or one plus a constant)"
        )

    def size(self, d: int | Sym) -> str:
        """A 0-d int64 tensor holding the dimension `d` (computed in the graph when it follows an axis)."""
        return self.dim(d, scalar=True) if isinstance(d, Sym) else self.const(np.int64(d))

    def ints(self, items: Sequence[int | Sym]) -> str:
        """A 1-D int64 tensor of `items`; the ones that follow a dynamic axis computed in the graph."""
        if not _has_sym(tuple(items)):
            return self.const(np.array(items, dtype=np.int64))
        parts: list[str] = []
        run: list[int] = []
        for it in items:
            if isinstance(it, Sym):
                if run:
                    parts.append(self.const(np.array(run, np.int64)))
                    run = []
                parts.append(self.dim(it))
            else:
                run.append(int(it))
        if run:
            parts.append(self.const(np.array(run, np.int64)))
        return self.node("Concat", parts, axis=0)

    def scalar(self, x: Any, dtype: np.dtype[Any]) -> str:
        """A 0-d tensor of `dtype` holding the Python number `x` (computed in the graph when it follows an axis)."""
        if isinstance(x, Sym):
            return self.node("Cast", [self.dim(x, scalar=True)], to=onnx_dtype(self.onnx, dtype))
        return self.const(np.array(x, dtype=dtype))

    def operand(self, x: Any, dtype: np.dtype[Any]) -> str:
        """A kernel operand that is an array (its value) or a Python scalar (a constant of `dtype`)."""
        return x.name if isinstance(x, Value) else self.scalar(x, dtype)

    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: bool) -> str:
        """`op_type` over `axes` (attribute or input as the opset wants)."""
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [x, self.const(np.array(axes, np.int64))], keepdims=int(keepdims))
        return self.node(op_type, [x], axes=list(axes), keepdims=int(keepdims))


def _describe_sym(x: Any) -> str:
    if isinstance(x, Sym):
        return f"{x.a} then {x.b}"
    if isinstance(x, slice):
        return _describe_sym((x.start, x.stop, x.step))
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_describe_sym(y) for y in x) + ")"
    return repr(x)


def onnx_dtype(onnx: Any, dtype: Any) -> int:
    """The ONNX element type of a NumPy dtype (bfloat16 included)."""
    if getattr(dtype, "name", str(dtype)) == "bfloat16":
        return int(onnx.TensorProto.BFLOAT16)
    return int(onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))


def _tensor_proto(onnx: Any, arr: np.ndarray, name: str) -> Any:
    if arr.dtype.name == "bfloat16":
        t = onnx.helper.make_tensor(name, onnx.TensorProto.BFLOAT16, arr.shape, arr.view(np.uint16).tobytes(), raw=True)
        return t
    return onnx.numpy_helper.from_array(np.asarray(arr, order="C"), name)  # 0-d stays 0-d


# ---------------------------------------------------------------------------------------------------
# tracing


def _modules(model: Any) -> list[tuple[str, Any]]:
    named = getattr(model, "named_modules", None)
    return list(named()) if callable(named) else []


@contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """Every module in eval mode for the block, each one's own mode restored afterwards."""
    mods = [m for _, m in _modules(model)]
    modes = [getattr(m, "training", False) for m in mods]
    if callable(getattr(model, "eval", None)):
        model.eval()  # a module's own train() override runs
    try:
        yield
    finally:
        for m, mode in zip(mods, modes):
            if hasattr(m, "training"):
                m.training = mode


@contextmanager
def _module_stack(model: Any, stack: list[str]) -> Iterator[None]:
    """Forward hooks that keep `stack` naming the layer being run (for error messages and node names)."""
    handles = []

    def pop(mod: Any, inp: Any, out: Any) -> None:
        if len(stack) > 1:
            stack.pop()

    for name, m in _modules(model):
        label = f"{name} ({type(m).__name__})" if name else type(m).__name__
        if hasattr(m, "register_forward_pre_hook"):
            handles.append(m.register_forward_pre_hook(lambda mod, inp, _l=label: stack.append(_l)))
            handles.append(m.register_forward_hook(pop))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _trace(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[_Call], Any]:
    """Run `model(*args, **kwargs)` once, recording every kernel call and the layer it ran in."""
    import ember
    from ember.capture import record_kernels
    from ember.dispatch import OPS

    from .converters import UNSUPPORTED

    # composites ONNX has no operator for are traced through their decomposition, even where a backend overrides them
    decompose = {n for n in UNSUPPORTED if n in OPS and OPS[n].kind == "composite"}
    calls: list[_Call] = []
    stack = [""]

    def recorder(op: Any, device_type: str, kernel: Any, kargs: tuple[Any, ...], result: Any) -> None:
        calls.append(_Call(op, device_type, kargs, result, stack[-1]))

    with _module_stack(model, stack), ember.no_grad(), record_kernels(recorder, decompose=decompose):
        out = model(*args, **kwargs)
    return calls, out


def _flat_tensors(x: Any, what: str) -> list[Any]:
    from ember import Tensor

    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for y in x for t in _flat_tensors(y, what)]
    if isinstance(x, Mapping):
        return [t for y in x.values() for t in _flat_tensors(y, what)]
    if x is None or isinstance(x, (int, float, bool, str)):
        return []
    raise ExportError(f"ONNX export: the model's {what} holds a {type(x).__name__}; use tensors, tuples, lists or dicts")


def _resized(t: Any, axes: Mapping[int, int]) -> Any:
    """`t` with each dynamic axis at its second-trace size: its entries repeated cyclically."""
    import ember

    arr = t.detach().cpu().numpy()
    for axis, n in axes.items():
        arr = np.take(arr, np.arange(n) % arr.shape[axis], axis=axis)
    return ember.from_numpy(np.ascontiguousarray(arr)).to(t.device)


# ---------------------------------------------------------------------------------------------------
# the export


@dataclass
class _Env:
    """Native arrays of one trace, by identity, and the ONNX value each one is."""

    values: dict[int, Value] = field(default_factory=dict)
    keep: list[Any] = field(default_factory=list)  # keeps mapped arrays alive so identities are not reused

    def bind(self, native: Any, v: Value) -> None:
        self.values[id(native)] = v
        self.keep.append(native)


class _Exporter:
    def __init__(self, opset: int, fold: bool) -> None:
        from .converters import CONVERTERS, UNSUPPORTED

        self.b = Builder(opset)
        self.fold = fold
        self.converters = CONVERTERS
        self.unsupported = UNSUPPORTED
        self.env_a, self.env_b = _Env(), _Env()
        self.params: dict[int, str] = {}  # id(native) -> state_dict name (unused until a kernel reads it)

    def host(self, device_type: str, native: Any) -> np.ndarray:
        from ember.backends import registry

        return np.asarray(registry.get(device_type).to_host(native))

    def lookup(self, env: _Env, native: Any, device_type: str, other: Any) -> Value | None:
        """The value of `native` (a parameter's initializer is written on first use)."""
        v = env.values.get(id(native))
        if v is not None:
            return v
        name = self.params.get(id(native))
        if name is not None:
            arr = self.host(device_type, native)
            v = Value(self.b.initializer(arr, name), arr.dtype, tuple(arr.shape))
            self.env_a.bind(native, v)
            self.env_b.bind(other, v)
            return v
        return None

    def merge(self, a: Any, b: Any, c: _Call) -> Any:
        """The arguments of a call in the two traces as one: arrays as `Value`s, differing numbers as `Sym`s."""
        if _is_native(a):
            if not _is_native(b):
                raise self.b.error("the two traces pass different kinds of arguments")
            va = self.lookup(self.env_a, a, c.device_type, b)
            vb = self.lookup(self.env_b, b, c.device_type, a) if b is not a else va
            if va is None and vb is None:  # a constant: an array the traced ops did not make
                arr = self.host(c.device_type, a)
                if b is not a:
                    arr_b = self.host(c.device_type, b)
                    if arr.shape != arr_b.shape or not np.array_equal(arr, arr_b, equal_nan=True):
                        raise self.b.error(
                            f"it reads an array of shape {arr.shape} that no traced op made (a value computed "
                            f"outside Ember's ops, e.g. through .numpy() or .item()), and it differs when the "
                            f"dynamic axes change size: it would be baked into the graph as a constant; compute it "
                            f"with tensor ops instead"
                        )
                return Value("", arr.dtype, tuple(arr.shape), const=arr)
            if va is not None and va.stale:
                raise self.b.error(
                    "it reads a view taken before an in-place write changed the array it views; ONNX values are "
                    "immutable, so export cannot show the write through that view: take the view after the write"
                )
            if va is None or vb is None or va is not vb:
                raise self.b.error(
                    "the data flow differs between the two traces (the model takes another path when a dynamic "
                    "axis changes size); export without dynamic axes or make the path independent of the size"
                )
            return va
        if isinstance(a, (bool, np.bool_)) or a is None or isinstance(a, str):
            if a != b:
                raise self.b.error(f"an argument differs between the traces ({a!r} then {b!r})")
            return a
        if isinstance(a, (int, float, np.integer, np.floating)):
            a = a.item() if isinstance(a, np.generic) else a
            b = b.item() if isinstance(b, np.generic) else b
            return a if a == b or (a != a and b != b) else Sym(a, b)  # nan: the same in both traces
        if isinstance(a, (tuple, list)):
            if not isinstance(b, (tuple, list)) or len(a) != len(b):
                raise self.b.error(f"an argument differs in structure between the traces ({a!r} then {b!r})")
            return type(a)(self.merge(x, y, c) for x, y in zip(a, b))
        if isinstance(a, slice):
            return slice(self.merge(a.start, b.start, c), self.merge(a.stop, b.stop, c), self.merge(a.step, b.step, c))
        if a != b:
            raise self.b.error(f"an argument differs between the traces ({a!r} then {b!r})")
        return a

    def values_in(self, x: Any) -> Iterator[Value]:
        if isinstance(x, Value):
            yield x
        elif isinstance(x, (tuple, list)):
            for y in x:
                yield from self.values_in(y)

    def materialize(self, x: Any) -> None:
        for v in self.values_in(x):
            if not v.name:
                assert v.const is not None
                v.name = self.b.const(v.const)

    def convert(self, ca: _Call, cb: _Call) -> None:
        b, op = self.b, ca.op
        b.op, b.module = op.name, ca.module
        if cb.op is not op:
            raise b.error(
                f"the second trace (dynamic axes at another size) ran '{cb.op.name}' here instead: its control "
                f"flow depends on the size of a dynamic axis, which a traced graph cannot express; export "
                f"without that dynamic axis"
            )
        if op.name in self.unsupported and (not self.fold or op.name == "random_bits"):
            raise self._no_converter(op.name, ca.module)
        args = self.merge(ca.args, cb.args, ca)
        outs_a = ca.result if isinstance(ca.result, tuple) else (ca.result,)
        outs_b = cb.result if isinstance(cb.result, tuple) else (cb.result,)
        inputs = list(self.values_in(args))
        if (
            # views are not folded: a later write through one must reach its base
            self.fold and not op.inplace and not op.view and op.name != "random_bits" and ca.result is not None
            and all(v.const is not None for v in inputs) and not _has_sym(args)
        ):  # fmt: skip
            for ra, rb in zip(outs_a, outs_b):
                arr = self.host(ca.device_type, ra)
                v = Value("", arr.dtype, tuple(arr.shape), const=arr)
                self.env_a.bind(ra, v)
                self.env_b.bind(rb, v)
            return
        conv = self.converters.get(op.name)
        if conv is None:
            raise self._no_converter(op.name, ca.module)
        self.materialize(args)
        b.outs = []
        if not op.inplace:
            for ra, rb in zip(outs_a, outs_b):
                b.outs.append(Value("", np.dtype(ra.dtype), _merge_shape(ra.shape, rb.shape)))
        names = conv(b, *args)
        if op.inplace:  # the written array is now the converter's result
            self._written(args[0], names, (ca.args[0], cb.args[0]))
            return
        names = (names,) if isinstance(names, str) else tuple(names)
        if len(names) != len(outs_a):
            raise AssertionError(f"converter of {op.name} returned {len(names)} outputs for {len(outs_a)}")
        for ra, rb, name, v in zip(outs_a, outs_b, names, b.outs):
            v.name = name
            if op.view:
                v.origin = _Origin(op.name, args[0], args[1:], (ca.args[0], cb.args[0]))
                _root(v).views.append(v)
            b.register(v)
            self.env_a.bind(ra, v)
            self.env_b.bind(rb, v)

    def _rebind(self, natives: tuple[Any, Any], v: Value) -> None:
        self.env_a.bind(natives[0], v)
        self.env_b.bind(natives[1], v)

    def _written(self, dst: Value, name: str, natives: tuple[Any, Any]) -> None:
        """`dst` now holds the value `name`: so does every array it views, up to its base, written back
        with ScatterND (through indexing views); the other views of that base are stale from now on."""
        from .converters import write_slice

        new = Value(name, dst.dtype, dst.shape)
        self._rebind(natives, new)
        fresh = [new]
        old = dst
        while old.origin is not None:
            o = old.origin
            if o.op != "slice":
                raise self.b.error(
                    f"it writes in place through a '{o.op}' view; export follows writes through indexing views "
                    f"(x[i], x[a:b]) only: index the array itself, or write out of place"
                )
            base = Value(write_slice(self.b, o.base, o.args[0], new.name), o.base.dtype, o.base.shape)
            new.origin = _Origin(o.op, base, o.args, o.natives)
            self._rebind(o.natives, base)
            fresh.append(base)
            old, new = o.base, base
        for v in old.views:
            if not any(v is f for f in fresh):
                v.stale = True
        new.views = fresh[:-1]

    def _no_converter(self, op: str, module: str) -> ExportError:
        reason = self.unsupported.get(op, "no converter is written for it yet")
        where = f"in {module}" if module else "in the model's forward"
        return ExportError(
            f"ONNX export: op '{op}' ({where}) cannot be exported: {reason}. Rewrite that part of the model "
            f"with ops that have ONNX converters (ember.onnx.converters.CONVERTERS lists them)"
        )


def _names(given: Sequence[str] | None, n: int, default: str, what: str) -> list[str]:
    if given is None:
        return [default if n == 1 else f"{default}_{i}" for i in range(n)]
    given = list(given)
    if len(given) > n:
        raise ExportError(f"ONNX export: {len(given)} {what}_names for {n} {what}s")
    return given + [f"{default}_{i}" for i in range(len(given), n)]


def _axes_of(spec: Any, name: str) -> dict[int, str]:
    if isinstance(spec, Mapping):
        return {int(k): str(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(spec)}
    raise ExportError(f"ONNX export: dynamic_axes[{name!r}] must be a dict {{axis: name}} or a list of axes")


def export(
    model: Callable[..., Any],
    args: Any,
    f: str | os.PathLike[str] | BinaryIO,
    *,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_axes: Mapping[str, Mapping[int, str] | Sequence[int]] | None = None,
    opset_version: int | None = None,
    do_constant_folding: bool = True,
) -> Any:
    """Write `model` called on `args` as an ONNX model into `f` (a path or a binary file); returns the ModelProto.

    As `torch.onnx.export`: `args` is a tensor or a tuple of positional arguments (a trailing
    dict is keyword arguments); parameters and buffers become initializers named by
    `state_dict`; `dynamic_axes` maps input and output names to `{axis: name}` (or a list of
    axes) that stay symbolic. The model runs in eval mode (each module's mode is restored
    afterwards) under `no_grad`. Raises `ExportError` naming the op and the layer where a
    part of the model cannot be written as ONNX.
    """
    onnx = _onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset not in SUPPORTED_OPSETS:
        raise ValueError(
            f"ONNX export: opset_version {opset_version} is not supported; choose one of "
            f"{SUPPORTED_OPSETS.start}..{SUPPORTED_OPSETS.stop - 1} (default {DEFAULT_OPSET})"
        )
    from ember import Tensor

    pos = args if isinstance(args, tuple) else (args,)
    kwargs: dict[str, Any] = {}
    if pos and isinstance(pos[-1], Mapping):
        pos, kwargs = pos[:-1], dict(pos[-1])
    inputs = _flat_tensors((pos, kwargs), "inputs")
    in_names = _names(input_names, len(inputs), "input", "input")
    dynamic_axes = dict(dynamic_axes or {})

    with _eval_mode(model):
        calls_a, out_a = _trace(model, pos, kwargs)
        outputs = _flat_tensors(out_a, "outputs")
        out_names = _names(output_names, len(outputs), "output", "output")
        unknown = set(dynamic_axes) - set(in_names) - set(out_names)
        if unknown:
            raise ExportError(
                f"ONNX export: dynamic_axes names {sorted(unknown)}, which are neither input names {in_names} "
                f"nor output names {out_names}"
            )
        sizes: dict[str, tuple[int, int]] = {}  # dynamic axis name -> (first size, second size)
        calls_b, outputs_b, inputs_b = calls_a, outputs, inputs
        for shared in (False, True):  # distinct second sizes per axis name; failing that, one per first size
            sizes, resize = _second_sizes(inputs, in_names, dynamic_axes, shared)
            if not sizes:
                break
            it = iter(resize)

            def resized(x: Any) -> Any:
                if isinstance(x, Tensor):
                    r = next(it)
                    return _resized(x, r) if r else x
                if isinstance(x, (tuple, list)):
                    return type(x)(resized(y) for y in x)
                if isinstance(x, Mapping):
                    return {k: resized(y) for k, y in x.items()}
                return x

            pos_b, kwargs_b = resized((pos, kwargs))
            try:
                calls_b, out_b = _trace(model, pos_b, kwargs_b)
            except Exception as exc:
                if not shared:
                    continue
                described = ", ".join(f"{n!r} {a} -> {b}" for n, (a, b) in sizes.items())
                raise ExportError(
                    f"ONNX export: the model fails when its dynamic axes change size ({described}): "
                    f"{type(exc).__name__}: {exc}; export without the dynamic axes it cannot take"
                ) from exc
            outputs_b = _flat_tensors(out_b, "outputs")
            inputs_b = _flat_tensors((pos_b, kwargs_b), "inputs")
            break
        state_dict = getattr(model, "state_dict", None)
        state = state_dict() if callable(state_dict) else {}

    if len(calls_a) != len(calls_b):
        n = min(len(calls_a), len(calls_b))
        first = next((i for i in range(n) if calls_a[i].op is not calls_b[i].op), n)
        ca = calls_a[first] if first < len(calls_a) else calls_b[first]
        raise ExportError(
            f"ONNX export: the model runs {len(calls_a)} ops at the first size of its dynamic axes and "
            f"{len(calls_b)} at another (they part at op '{ca.op.name}' in {ca.module or 'the forward'}): "
            f"its control flow depends on the size of a dynamic axis, which a traced graph cannot express"
        )

    ex = _Exporter(opset, do_constant_folding)
    b = ex.b
    graph_inputs = []
    for t, tb, name in zip(inputs, inputs_b, in_names):
        b.reserve(name)
        axes = _axes_of(dynamic_axes.get(name, {}), name)
        axes = {a % t.ndim: n for a, n in axes.items()}
        shape = _merge_shape(t.shape, tb.shape)
        v = Value(name, np.dtype(t.dtype.numpy), shape)
        ex.env_a.bind(t._data, v)
        ex.env_b.bind(tb._data, v)
        b.register(v)
        dims = [axes.get(i, d if isinstance(d, int) else None) for i, d in enumerate(shape)]
        graph_inputs.append(onnx.helper.make_tensor_value_info(name, onnx_dtype(onnx, v.dtype), dims))
    for key, t in state.items():
        if isinstance(t, Tensor) and id(t._data) not in ex.params and id(t._data) not in ex.env_a.values:
            ex.params[id(t._data)] = b.reserve(key)

    for ca, cb in zip(calls_a, calls_b):
        ex.convert(ca, cb)

    # outputs: each one an Identity of its value, named as asked
    b.op, b.module = "output", ""
    graph_outputs = []
    dim_names: dict[tuple[Any, Any], str] = {sizes[n]: n for n in sizes}
    for t, tb, name in zip(outputs, outputs_b, out_names):
        out: Value | None = ex.lookup(ex.env_a, t._data, t.device.type, tb._data)
        if out is None:
            arr = t.detach().cpu().numpy()
            out = Value(b.const(arr), arr.dtype, arr.shape)
        ex.materialize(out)
        b.reserve(name)
        b.nodes.append(onnx.helper.make_node("Identity", [out.name], [name], name=f"/output/{name}"))
        axes = _axes_of(dynamic_axes.get(name, {}), name)
        shape = _merge_shape(t.shape, tb.shape)
        out_dims: list[Any] = []
        for i, d in enumerate(shape):
            if i in axes or (i - len(shape)) in axes:
                out_dims.append(axes.get(i, axes.get(i - len(shape))))
            elif isinstance(d, Sym):
                out_dims.append(dim_names.get((d.a, d.b), f"{name}_dim_{i}"))
            else:
                out_dims.append(d)
        graph_outputs.append(
            onnx.helper.make_tensor_value_info(name, onnx_dtype(onnx, np.dtype(t.dtype.numpy)), out_dims)
        )

    nodes, initializers = _live(b.nodes, b.initializers, out_names)
    graph = onnx.helper.make_graph(nodes, type(model).__name__, graph_inputs, graph_outputs, initializers)
    opset_imports = [onnx.helper.make_opsetid("", opset)]
    import ember

    model_proto = onnx.helper.make_model(
        graph,
        opset_imports=opset_imports,
        producer_name="ember",
        producer_version=ember.__version__,
        ir_version=_ir_version(onnx, opset),
    )
    try:
        onnx.checker.check_model(model_proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:  # a converter bug, not the user's
        raise ExportError(f"ONNX export: the written graph fails onnx.checker ({exc}); please report this") from exc
    data = model_proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif isinstance(f, (io.IOBase,)) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"ONNX export: f must be a path or a binary file object, got {type(f).__name__}")
    return model_proto


def _live(nodes: list[Any], initializers: list[Any], outputs: list[str]) -> tuple[list[Any], list[Any]]:
    """The nodes and initializers the outputs depend on (a traced value nothing reads is dropped)."""
    live = set(outputs)
    kept = []
    for node in reversed(nodes):
        if any(o in live for o in node.output):
            kept.append(node)
            live.update(i for i in node.input if i)
    kept.reverse()
    return kept, [t for t in initializers if t.name in live]


def _second_sizes(
    inputs: list[Any], in_names: list[str], dynamic_axes: Mapping[str, Any], shared: bool
) -> tuple[dict[str, tuple[int, int]], list[dict[int, int]]]:
    """The sizes of the second trace: per axis name (first size, second size), and per input {axis: size}.

    Each name gets its own pair, so that a number that follows one axis is told from one that
    follows another; with `shared`, axes of the same first size share a second size too (for
    models that need them equal).
    """
    sizes: dict[str, tuple[int, int]] = {}
    used: set[tuple[int, int]] = set()
    resize: list[dict[int, int]] = []
    for t, name in zip(inputs, in_names):
        r: dict[int, int] = {}
        for axis, dim_name in _axes_of(dynamic_axes.get(name, {}), name).items():
            if not -t.ndim <= axis < t.ndim:
                raise ExportError(f"ONNX export: dynamic axis {axis} of input {name!r} of shape {tuple(t.shape)}")
            axis %= t.ndim
            n = t.shape[axis]
            if dim_name in sizes:
                if sizes[dim_name][0] != n:
                    raise ExportError(
                        f"ONNX export: dynamic axis {dim_name!r} has size {sizes[dim_name][0]} in one input "
                        f"and {n} in input {name!r}"
                    )
            else:
                m = n + (1 if shared else len(sizes) + 1)  # each name its own step, to tell them apart
                while (n, m) in used and not shared:
                    m += 1
                used.add((n, m))
                sizes[dim_name] = (n, m)
            r[axis] = sizes[dim_name][1]
        resize.append(r)
    return sizes, resize


def _ir_version(onnx: Any, opset: int) -> int:
    """The oldest IR version that carries `opset` (so older runtimes can load the file)."""
    return int(onnx.helper.find_min_ir_version_for([onnx.helper.make_opsetid("", opset)]))

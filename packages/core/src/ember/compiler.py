"""`ember.compile`: run a function of tensors, modules and optimizers once while recording its
kernels, then replay the recorded kernels on later calls without the Python that made them.

A capture (`_Capture`) runs the function eagerly under `ember.capture.record_kernels` and
keeps the kernel schedule: every native array is a slot, found by identity as an input
(an argument's data, or the data of a tensor found at a *place*: a module's parameter,
buffer or tensor attribute, a tensor's `.grad`, an optimizer's state), the result of a
recorded kernel, or else a constant. Python numbers that the optimizers hold (learning
rates, betas, step counts), and float arguments, are traced (`_SymFloat`, `_SymInt`), so
a scheduler's new learning rate or Adam's step count reaches the replayed kernels without
a re-capture. The replay (`_Program`) is one generated Python function: kernel calls with
slots substituted, then Python-visible state put back where the eager call leaves it.

Guards (shapes, dtypes, devices, requires_grad, grad mode, modules' flags and scalar
attributes, the structure of every place, the closure's and named globals' numbers, and
every comparison made on a traced number) pick a capture; none matches: capture again.
Host reads (`.item()`, `.numpy()`, `bool(t)`, `.tolist()`) and data-dependent shapes raise
`CompileError` during capture. docs/compile.md says all of it for users.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator
import types
import warnings
from collections.abc import Callable
from typing import Any

from . import capture as _capture
from .autograd import grad_mode as _grad_mode
from .dispatch import Op
from .random import Generator
from .tensor import Tensor

__all__ = ["compile", "CompiledFunction", "CompileError", "RecompileWarning"]

_state = _grad_mode.state


class CompileError(RuntimeError):
    """A compiled function does something that a replay cannot repeat (a host read, a data-dependent shape)."""


class RecompileWarning(UserWarning):
    """A compiled function was captured again several times: a guard keeps failing."""


# -- traced Python numbers ------------------------------------------------------------------


class _Trace:
    """The traced numbers of one capture: each is a variable of the generated replay code."""

    def __init__(self) -> None:
        self.lines: list[str] = []  # "e7 = (e3 * e5)", in creation order
        self.n = 0
        self.inputs: list[tuple[str, Any]] = []  # (var, location) read at each call
        self.guards: list[tuple[str, Any, str]] = []  # (expression, expected value, description)
        self.pending: list[tuple[Any, str, str]] = []  # escaped (value, var, how) since the last kernel call
        self.escaped: list[tuple[Any, str, str]] = []  # (value, var, how) not bound to a kernel argument

    def var(self, expr: str | None) -> str:
        name = f"e{self.n}"
        self.n += 1
        if expr is not None:
            self.lines.append(f"{name} = {expr}")
        return name


def _sym(trace: _Trace, value: Any, var: str) -> Any:
    if type(value) is float:
        return _SymFloat(value, trace, var)
    if type(value) is int:
        return _SymInt(value, trace, var)
    return value


def _plain(x: Any) -> Any:
    if isinstance(x, _SymFloat):
        return float.__float__(x)
    if isinstance(x, _SymInt):
        return int.__int__(x)
    return x


def _src(x: Any) -> str:
    return x._var if isinstance(x, (_SymFloat, _SymInt)) else repr(_plain(x))


def _binop(pyop: Callable[[Any, Any], Any], fmt: str, reflected: bool = False) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if type(other) is bool:
            other = int(other)
        elif type(other) not in (int, float, _SymFloat, _SymInt):
            if not isinstance(other, Tensor):  # the other operand reads our value without asking: guard on it
                self._trace.escaped.append((_plain(self), self._var, type(other).__name__))
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        value = pyop(_plain(a), _plain(b))
        return _sym(self._trace, value, self._trace.var(fmt.format(_src(a), _src(b))))

    return method


def _unop(pyop: Callable[[Any], Any], fmt: str) -> Callable[[Any], Any]:
    def method(self: Any) -> Any:
        return _sym(self._trace, pyop(_plain(self)), self._trace.var(fmt.format(_src(self))))

    return method


def _compare(pyop: Callable[[Any, Any], bool], sign: str) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if not isinstance(other, (int, float)):
            return NotImplemented
        result = pyop(_plain(self), _plain(other))
        self._trace.guards.append((f"({_src(self)} {sign} {_src(other)})", result, f"{_src(self)} {sign} {other!r}"))
        return result

    return method


def _escape(how: str, convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def method(self: Any, *args: Any) -> Any:
        value = convert(_plain(self), *args)
        if not _capture.in_kernel():
            self._trace.pending.append((value, self._var, how))
        return value

    return method


def _number_type(base: type) -> type:
    ns: dict[str, Any] = {}
    for name, pyop, sign in (
        ("add", operator.add, "+"), ("sub", operator.sub, "-"), ("mul", operator.mul, "*"),
        ("truediv", operator.truediv, "/"), ("floordiv", operator.floordiv, "//"), ("mod", operator.mod, "%"),
        ("pow", operator.pow, "**"),
    ):  # fmt: skip
        ns[f"__{name}__"] = _binop(pyop, "({} " + sign + " {})")
        ns[f"__r{name}__"] = _binop(pyop, "({} " + sign + " {})", reflected=True)
    ns["__neg__"] = _unop(operator.neg, "(-{})")
    ns["__pos__"] = _unop(operator.pos, "(+{})")
    ns["__abs__"] = _unop(abs, "abs({})")
    for name, pyop, sign in (
        ("eq", operator.eq, "=="), ("ne", operator.ne, "!="), ("lt", operator.lt, "<"), ("le", operator.le, "<="),
        ("gt", operator.gt, ">"), ("ge", operator.ge, ">="),
    ):  # fmt: skip
        ns[f"__{name}__"] = _compare(pyop, sign)
    for name, conv in (
        ("float", float), ("int", int), ("index", operator.index), ("bool", bool), ("round", round),
        ("trunc", math.trunc), ("floor", math.floor), ("ceil", math.ceil), ("format", format), ("repr", repr),
        ("str", str), ("hash", hash),
    ):  # fmt: skip
        if name == "index" and base is float:
            continue
        ns[f"__{name}__"] = _escape(name, conv)

    def __new__(cls: Any, value: Any, trace: _Trace, var: str) -> Any:
        self: Any = base.__new__(cls, value)
        self._trace, self._var = trace, var
        return self

    ns["__new__"] = __new__
    ns["__reduce__"] = lambda self: (base, (_plain(self),))
    return type(f"_Sym{base.__name__.capitalize()}", (base,), ns)


_SymFloat: Any = _number_type(float)
_SymInt: Any = _number_type(int)

#: `math` functions that traced numbers go through (the optimizers' bias corrections, ...)
_MATH = ("sqrt", "exp", "log", "cos", "sin", "tan", "tanh", "pow", "fabs")


def _traced_math(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    def g(*args: Any) -> Any:
        for a in args:
            if isinstance(a, (_SymFloat, _SymInt)):
                value = f(*map(_plain, args))
                return _sym(a._trace, value, a._trace.var(f"_math_{name}({', '.join(map(_src, args))})"))
        return f(*args)

    return g


# -- what a function reaches -------------------------------------------------------------------


def _is_module(x: Any) -> bool:
    return isinstance(getattr(x, "_parameters", None), dict) and isinstance(getattr(x, "_modules", None), dict)


def _is_optimizer(x: Any) -> bool:
    return isinstance(getattr(x, "param_groups", None), list) and isinstance(getattr(x, "state", None), dict)


_SCALARS = (bool, int, float, str, type(None))


class _Roots:
    """The modules, optimizers and tensors that a call reaches: arguments, closure, named globals."""

    def __init__(self) -> None:
        self.modules: list[Any] = []
        self.optimizers: list[Any] = []
        self.tensors: list[Tensor] = []
        self._seen: set[int] = set()

    def add(self, x: Any, depth: int = 0) -> None:
        if id(x) in self._seen or depth > 4:
            return
        if isinstance(x, Tensor):
            self._seen.add(id(x))
            self.tensors.append(x)
        elif _is_module(x):
            self._seen.add(id(x))
            for m in _walk_modules(x):
                if id(m) not in self._seen or m is x:
                    self._seen.add(id(m))
                    self.modules.append(m)
        elif _is_optimizer(x):
            self._seen.add(id(x))
            self.optimizers.append(x)
        elif isinstance(x, (list, tuple)):
            for v in x:
                self.add(v, depth + 1)
        elif isinstance(x, dict):
            for v in x.values():
                self.add(v, depth + 1)
        elif isinstance(x, types.MethodType):
            self.add(x.__self__, depth + 1)
            self.add_function(x.__func__, depth + 1)
        elif isinstance(x, (types.FunctionType, functools.partial)):
            self.add_function(x, depth + 1)

    def add_function(self, fn: Any, depth: int = 0) -> None:
        if id(fn) in self._seen or depth > 4:
            return
        self._seen.add(id(fn))
        if isinstance(fn, functools.partial):
            self.add(fn.func, depth + 1)
            self.add(fn.args, depth + 1)
            self.add(fn.keywords, depth + 1)
            return
        if isinstance(fn, types.MethodType):
            self.add(fn, depth)
            return
        if not isinstance(fn, types.FunctionType):
            return
        for cell in fn.__closure__ or ():
            try:
                self.add(cell.cell_contents, depth + 1)
            except ValueError:  # an empty cell
                pass
        g = fn.__globals__
        for name in fn.__code__.co_names:
            if name in g:
                v = g[name]
                if not isinstance(v, types.ModuleType):
                    self.add(v, depth + 1)


def _walk_modules(m: Any) -> list[Any]:
    out, stack = [], [m]
    while stack:
        x = stack.pop()
        out.append(x)
        stack.extend(c for c in reversed(list(x._modules.values())) if c is not None)
    return out


def _scalar_globals(fn: Any) -> list[tuple[str, Callable[[], Any]]]:
    """(name, reader) of the closure cells and named globals of `fn`: numbers and strings by value,
    other objects (modules, optimizers, tensors, functions) by identity."""
    out: list[tuple[str, Callable[[], Any]]] = []
    f = fn.__func__ if isinstance(fn, types.MethodType) else fn
    if not isinstance(f, types.FunctionType):
        return out
    for name, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
        try:
            _ = cell.cell_contents
        except ValueError:
            continue
        out.append((f"closure variable {name!r}", functools.partial(_cell_value, cell)))
    g = f.__globals__
    for name in f.__code__.co_names:
        if name in g and not isinstance(g[name], types.ModuleType):
            out.append((f"global {name!r}", functools.partial(_global_value, g, name)))
    return out


def _cell_value(cell: Any) -> Any:
    return _value_or_id(cell.cell_contents)


def _global_value(g: dict[str, Any], name: str) -> Any:
    return _value_or_id(g.get(name))


def _value_or_id(v: Any) -> Any:
    return v if isinstance(v, _SCALARS) else ("id", id(v))


# -- places: where Python keeps tensors that a call may read or replace -----------------------


class _Place:
    """A slot in Python's state that holds a tensor or None: read at each call, written after a replay."""

    __slots__ = ("where", "get", "set")

    def __init__(self, where: str, get: Callable[[], Any], set: Callable[[Any], None]) -> None:  # noqa: A002
        self.where, self.get, self.set = where, get, set


def _dict_place(where: str, d: dict[Any, Any], key: Any) -> _Place:
    def put(v: Any) -> None:
        d[key] = v

    return _Place(where, lambda: d.get(key), put)


def _state_place(where: str, state: dict[Any, Any], p: Any, key: Any) -> _Place:
    def get() -> Any:
        s = state.get(p)
        return None if s is None else s.get(key)

    def put(v: Any) -> None:
        state.setdefault(p, {})[key] = v

    return _Place(where, get, put)


def _grad_place(where: str, t: Tensor) -> _Place:
    def put(v: Any) -> None:
        t._grad = v

    return _Place(where, lambda: t._grad, put)


def _module_name(m: Any) -> str:
    return type(m).__name__


def _places(roots: _Roots) -> dict[tuple[Any, ...], _Place]:
    """Every place that holds a tensor now, keyed so that two walks agree on the same place."""
    out: dict[tuple[Any, ...], _Place] = {}
    leaves: list[Tensor] = list(roots.tensors)
    for m in roots.modules:
        mn = _module_name(m)
        for kind in ("_parameters", "_buffers"):
            d = getattr(m, kind, None)
            if isinstance(d, dict):
                for k, v in d.items():
                    out[(id(d), k)] = _dict_place(f"{mn}.{k}", d, k)
                    if isinstance(v, Tensor):
                        leaves.append(v)
        for k, v in vars(m).items():
            if isinstance(v, Tensor):
                out[(id(m), k)] = _dict_place(f"{mn}.{k}", vars(m), k)
    for o in roots.optimizers:
        on = type(o).__name__
        for gi, group in enumerate(o.param_groups):
            for pi, p in enumerate(group["params"]):
                leaves.append(p)
                s = o.state.get(p)
                if s:
                    for k, v in s.items():
                        if isinstance(v, Tensor):
                            out[(id(o.state), id(p), k)] = _state_place(f"{on}.state[group {gi}, param {pi}][{k!r}]", o.state, p, k)
    for t in leaves:
        if t._grad is not None or t._requires_grad:
            out[(id(t), "grad")] = _grad_place("a parameter's .grad", t)
    return out


# -- guards ----------------------------------------------------------------------------------


def _tensor_sig(t: Any) -> Any:
    if t is None:
        return None
    if isinstance(t, Tensor):
        return (type(t), t._shape, t._dtype, t._device, t._requires_grad)
    return ("?", type(t))


def _flatten(x: Any, tensors: list[Tensor], path: str, top: bool = False) -> Any:
    """`x`'s structure with tensors collected into `tensors` (and their guard signature); `top`: the
    positional arguments, whose floats are traced (any value)."""
    if isinstance(x, Tensor):
        tensors.append(x)
        return ("T", _tensor_sig(x))
    if isinstance(x, (list, tuple)):
        return (type(x), tuple(
            ("F",) if top and type(v) is float else _flatten(v, tensors, f"{path}[{i}]") for i, v in enumerate(x)
        ))  # fmt: skip
    if isinstance(x, dict):
        return (dict, tuple((k, _flatten(v, tensors, f"{path}[{k!r}]")) for k, v in x.items()))
    if isinstance(x, _SCALARS):
        return ("V", type(x), x)
    if _is_module(x) or _is_optimizer(x) or callable(x):
        return ("O", id(x))
    raise TypeError(
        f"ember.compile: argument {path} is a {type(x).__name__}; a compiled function takes tensors, modules, "
        f"optimizers, Python numbers, strings and lists/tuples/dicts of them (pass arrays as ember tensors)"
    )


def _module_sig(m: Any) -> tuple[Any, ...]:
    d = vars(m)
    return (
        m.training,
        tuple((k, v) for k, v in d.items() if isinstance(v, _SCALARS)),
        tuple(map(id, m._modules.values())),
        tuple(map(id, m._parameters.values())),
        tuple(v is None for v in m._buffers.values()),
    )


def _optimizer_sig(o: Any) -> tuple[Any, ...]:
    groups = []
    for g in o.param_groups:
        items: list[tuple[Any, Any]] = []
        for k, v in g.items():
            if k == "params":
                items.append((k, tuple(map(id, v))))
            elif type(v) in (float, int):
                items.append((k, type(v)))
            elif isinstance(v, tuple) and all(type(e) in (float, int) for e in v):
                items.append((k, tuple(type(e) for e in v)))
            else:
                items.append((k, v))
        groups.append(tuple(items))
    state = []
    for g in o.param_groups:
        for p in g["params"]:
            s = o.state.get(p)
            state.append(
                None
                if s is None
                else tuple(
                    (k, type(v) if type(v) in (float, int) else _tensor_sig(v) if isinstance(v, Tensor) else v)
                    for k, v in s.items()
                )
            )
    return (tuple(groups), tuple(state))


class _Guard:
    """What a capture assumed about a call; `check` names the first thing that differs."""

    def __init__(self, fn: Any, args: Any, kwargs: Any, roots: _Roots) -> None:
        self.roots = roots
        self.scalars = _scalar_globals(fn)
        self.sig = self.signature(args, kwargs)

    def signature(self, args: Any, kwargs: Any) -> tuple[Any, ...]:
        tensors: list[Tensor] = []
        return (
            ("grad mode", _state.enabled),
            ("arguments", _flatten(args, tensors, "args", top=True), _flatten(kwargs, tensors, "kwargs")),
            *((f"module {_module_name(m)} (training flag, attributes, submodules, parameters)", _module_sig(m)) for m in self.roots.modules),
            *((f"optimizer {type(o).__name__} (param_groups, state)", _optimizer_sig(o)) for o in self.roots.optimizers),
            *((name, read()) for name, read in self.scalars),
        )

    def check(self, sig: tuple[Any, ...]) -> str | None:
        if sig == self.sig:
            return None
        if len(sig) != len(self.sig):
            return "the set of modules and optimizers"
        for a, b in zip(sig, self.sig):
            if a != b:
                return str(a[0])
        return None


# -- capture ---------------------------------------------------------------------------------


class _Refused(Exception):
    """This capture cannot be replayed (the message says why): the function runs eagerly from now on."""


class _GuardFailed(Exception):
    """A guard checked at replay (a traced number's comparison, memory sharing) does not hold."""


class _Capture(_capture.HostWatcher):
    """One eager run of the function: the kernel recorder and host watcher that write the replay code."""

    def __init__(self, fn_name: str) -> None:
        self.fn_name = fn_name
        self.trace = _Trace()
        self.slot_of: dict[int, str] = {}  # id(native array) -> its variable in the replay code
        self.keep: list[Any] = []  # every array seen, alive until the capture ends (so ids stay unique)
        self.consts: dict[str, Any] = {}
        self.lines: list[str] = []
        self.n = 0
        self.rng: list[tuple[Generator, int]] = []  # (generator, words) of each draw, in order
        self.rng_pending: list[tuple[int, int, int]] = []  # (draw, seed, offset) not yet seen by a kernel

    def __call__(self, op: Op, device_type: str, kernel: Any, args: tuple[Any, ...], result: Any) -> None:
        t = self.trace
        scalars: list[tuple[int, Any]] = []
        srcs = [self.arg(a, scalars, i) for i, a in enumerate(args)]
        if op.name == "random_bits":
            if not self.rng_pending or self.rng_pending[0][1:] != (args[0], args[1]):
                raise _Refused("a random_bits kernel ran with a seed and offset that no generator draw gave")
            draw = self.rng_pending.pop(0)[0]
            srcs[0], srcs[1] = f"R[{2 * draw}]", f"R[{2 * draw + 1}]"
            scalars = [s for s in scalars if s[0] > 1]
        # numbers converted from traced ones since the last kernel: this kernel's argument of that value
        for value, var, how in t.pending:
            hits = [i for i, v in scalars if type(v) is type(value) and v == value]
            if len(hits) == 1 and how in ("float", "int", "index"):
                srcs[hits[0]] = f"{type(value).__name__}({var})"
                scalars = [s for s in scalars if s[0] != hits[0]]
            else:
                t.escaped.append((value, var, how))
        t.pending.clear()
        kname = f"k{self.n}"
        self.consts[kname] = kernel
        call = f"{kname}({', '.join(srcs)})"
        if result is None or isinstance(result, (bool, int, float)):
            self.lines.append(call)
        else:
            var = f"v{self.n}"
            self.lines.append(f"{var} = {call}")
            if isinstance(result, (tuple, list)):
                for i, r in enumerate(result):
                    self.bind(r, f"{var}[{i}]")
            else:
                self.bind(result, var)
        self.n += 1

    def bind(self, native: Any, var: str) -> None:
        self.keep.append(native)
        self.slot_of[id(native)] = var

    def arg(self, a: Any, scalars: list[tuple[int, Any]], i: int) -> str:
        if isinstance(a, (_SymFloat, _SymInt)):
            return f"{'float' if isinstance(a, float) else 'int'}({a._var})"
        if type(a) in (int, float):
            if i >= 0:
                scalars.append((i, a))
            return repr(a) if math.isfinite(a) else self.const(a)
        if a is None or type(a) in (bool, str):
            return repr(a)
        if type(a) is tuple:
            return "(" + "".join(self.arg(v, scalars, -1) + ", " for v in a) + ")"
        if type(a) is list:
            return "[" + ", ".join(self.arg(v, scalars, -1) for v in a) + "]"
        var = self.slot_of.get(id(a))
        return var if var is not None else self.const(a)

    def const(self, a: Any) -> str:
        name = f"c{len(self.consts)}"
        self.consts[name] = a
        self.keep.append(a)
        return name

    def src_of(self, native: Any) -> str:
        var = self.slot_of.get(id(native))
        return var if var is not None else self.const(native)

    # what the host watcher hears
    def read(self, native: Any) -> None:
        import sys

        frame: Any = sys._getframe(1)
        call = "a host read of tensor data"
        tensor_file = Tensor.numpy.__code__.co_filename
        while frame is not None:
            if frame.f_code.co_filename == tensor_file:
                name = frame.f_code.co_name
                call = "bool(tensor)" if name == "__bool__" else f"Tensor.{name}()"
            frame = frame.f_back
        raise CompileError(
            f"ember.compile({self.fn_name}): {call} reads a tensor's value on the host while the function is "
            f"captured; a replay runs no Python, so nothing in a compiled function may depend on tensor values. "
            f"Return the tensor and read it after the call, or call the function without ember.compile"
        )

    def data_shape(self, op: Op, natives: tuple[Any, ...]) -> None:
        def has_mask(x: Any) -> bool:
            if isinstance(x, (tuple, list)):
                return any(has_mask(v) for v in x)
            return str(getattr(x, "dtype", "")) == "bool"

        if op.name == "nonzero" or has_mask(natives[1:]):
            raise CompileError(
                f"ember.compile({self.fn_name}): {op.name} makes a tensor whose shape depends on tensor values "
                f"(nonzero, boolean-mask indexing); a replay cannot follow it. Use a fixed-shape form "
                f"(ember.where, masked_fill, multiplying by the mask) or do it outside the compiled function"
            )

    def predicate(self, name: str, check: Callable[..., Any], natives: tuple[Any, ...], to_host: Any, result: bool) -> None:
        def recheck(*arrays: Any) -> None:
            if bool(check(*(to_host(a) for a in arrays))) != result:
                raise CompileError(
                    f"ember.compile({self.fn_name}): the check {name!r} held {result} when the function was "
                    f"captured and does not now; the replay stopped there (kernels before it have run). "
                    f"Call this function without ember.compile for such inputs"
                )

        srcs = [self.src_of(a) for a in natives]
        fname = self.const(recheck)
        self.lines.append(f"{fname}({', '.join(srcs)})")

    def take(self, g: Generator, n: int, seed: int, offset: int) -> None:
        self.rng_pending.append((len(self.rng), seed, offset))
        self.rng.append((g, n))


_take = Generator._take


def compile(fn: Callable[..., Any] | None = None, *, max_captures: int = 8, warn_after: int = 4) -> Any:  # noqa: A001
    """Compile `fn` (with no `fn`: a decorator): capture its kernels on the first call, replay them after.

    `fn` may be a forward or a whole training step (`loss.backward()` and `optimizer.step()`
    inside). A later call whose guards hold replays the recorded kernels; a failed guard
    captures again (the `max_captures` newest are kept; a `RecompileWarning` names the guard
    after `warn_after` captures). docs/compile.md lists what is captured, guarded and refused.
    """
    if fn is None:
        return lambda f: CompiledFunction(f, max_captures=max_captures, warn_after=warn_after)
    return CompiledFunction(fn, max_captures=max_captures, warn_after=warn_after)


class CompiledFunction:
    """`fn` with its captures; call it as `fn` itself. `captures`, `replays` count what happened."""

    def __init__(self, fn: Callable[..., Any], *, max_captures: int = 8, warn_after: int = 4) -> None:
        if not callable(fn):
            raise TypeError(f"ember.compile: expected a function, got {type(fn).__name__}")
        self.fn = fn
        self.name = getattr(fn, "__qualname__", type(fn).__name__)
        self.max_captures = max(1, max_captures)
        self.warn_after = max(1, warn_after)
        self.programs: list[_Program] = []
        self.captures = 0
        self.replays = 0
        self.eager_reason: str | None = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.eager_reason is not None or _capture.is_recording():
            return self.fn(*args, **kwargs)
        failed = "no capture yet"
        for prog in self.programs:
            why = prog.guard.check(prog.guard.signature(args, kwargs))
            if why is None:
                try:
                    out = prog.replay(args, kwargs)
                except _GuardFailed as e:
                    failed = str(e)
                    continue
                self.replays += 1
                return out
            failed = why
        return self._capture(args, kwargs, failed)

    def _capture(self, args: Any, kwargs: Any, failed: str) -> Any:
        self.captures += 1
        if self.captures > self.warn_after:
            warnings.warn(
                f"ember.compile({self.name}): captured {self.captures} times; the guard that failed: {failed}. "
                f"Keep it the same between calls, or call the function without ember.compile",
                RecompileWarning,
                stacklevel=3,
            )
        roots = _Roots()
        roots.add_function(self.fn)
        roots.add(args)
        roots.add(kwargs)
        prog = _Program(self, args, kwargs, roots)
        if prog.refused is not None:
            self.eager_reason = prog.refused
            warnings.warn(
                f"ember.compile({self.name}): runs eagerly from now on: {prog.refused}", RecompileWarning, stacklevel=3
            )
            return prog.out
        self.programs.insert(0, prog)
        del self.programs[self.max_captures :]
        return prog.out


def _out_desc(x: Any, tensor_src: Callable[[Tensor], tuple[str, int]], syms: list[str]) -> Any:
    if isinstance(x, Tensor):
        return ("T", *tensor_src(x))
    if isinstance(x, (_SymFloat, _SymInt)):
        syms.append(x._var)
        return ("S", len(syms) - 1)
    if isinstance(x, (list, tuple)):
        return ("L", type(x), [_out_desc(v, tensor_src, syms) for v in x])
    if isinstance(x, dict):
        return ("D", type(x), [(k, _out_desc(v, tensor_src, syms)) for k, v in x.items()])
    if isinstance(x, _SCALARS):
        return ("C", x)
    raise _Refused(f"it returns a {type(x).__name__}; a compiled function returns tensors, numbers and containers")


def _build(d: Any, P: list[Any], N: list[Any], S: Any) -> Any:
    kind = d[0]
    if kind == "T":
        return P[d[2]] if d[1] == "P" else N[d[2]]
    if kind == "S":
        return S[d[1]]
    if kind == "L":
        return d[1](_build(v, P, N, S) for v in d[2])
    if kind == "D":
        return d[1]((k, _build(v, P, N, S)) for k, v in d[2])
    return d[1]


class _Program:
    """One capture: it runs the function eagerly (`out`), then replays its kernels on later calls."""

    def __init__(self, owner: CompiledFunction, args: Any, kwargs: Any, roots: _Roots) -> None:
        self.refused: str | None = None
        self.guard = _Guard(owner.fn, args, kwargs, roots)
        cap = _Capture(owner.name)
        trace = cap.trace
        # inputs: the argument tensors, then the tensor at every place
        arg_tensors: list[Tensor] = []
        _flatten((args, kwargs), arg_tensors, "args")
        places = _places(roots)
        pre: list[Any] = list(arg_tensors) + [pl.get() for pl in places.values()]
        self.input_index: list[int] = []
        for i, t in enumerate(pre):
            if isinstance(t, Tensor) and id(t._data) not in cap.slot_of:
                cap.bind(t._data, f"a{len(self.input_index)}")
                self.input_index.append(i)
        pre_data = [t._data if isinstance(t, Tensor) else None for t in pre]
        self.alias = len({id(t._data) for t in pre if isinstance(t, Tensor)})
        self.pre_sig = tuple(map(_tensor_sig, pre))
        # traced numbers: the optimizers' hyperparameters and scalar state, the float arguments
        sym_places: list[tuple[dict[Any, Any], Any, Any, Any]] = []  # (dict, key, plain value, traced value)

        def trace_value(v: Any, loc: tuple[Any, Any, Any]) -> Any:
            var = trace.var(None)
            trace.inputs.append((var, loc))
            return _sym(trace, v, var)

        def trace_dict(d: dict[Any, Any], key: Any) -> None:
            v = d[key]
            if type(v) in (float, int):
                d[key] = trace_value(v, (d, key, None))
            elif type(v) is tuple and v and all(type(e) in (float, int) for e in v):
                d[key] = tuple(trace_value(e, (d, key, j)) for j, e in enumerate(v))
            else:
                return
            sym_places.append((d, key, v, d[key]))

        for o in roots.optimizers:
            for group in o.param_groups:
                for k in list(group):
                    if k != "params":
                        trace_dict(group, k)
                for p in group["params"]:
                    for k in list(o.state.get(p, ())):
                        trace_dict(o.state[p], k)
        call_args = list(args)
        for i, a in enumerate(call_args):
            if type(a) is float:
                call_args[i] = trace_value(a, ("arg", i, None))
        saved_math = {name: getattr(math, name) for name in _MATH}

        def take(g: Generator, n: int) -> tuple[int, int]:
            seed, offset = _take(g, n)
            cap.take(g, n, seed, offset)
            return seed, offset

        Generator._take = take  # type: ignore[method-assign,assignment]
        for name, f in saved_math.items():
            setattr(math, name, _traced_math(name, f))
        sym_end: list[Any] = []
        try:
            with _capture.record_kernels(cap), _capture.watch_host(cap):
                out = owner.fn(*call_args, **kwargs)
        except _Refused as e:
            raise RuntimeError(f"ember.compile({owner.name}): {e}") from None
        finally:
            Generator._take = _take  # type: ignore[method-assign]
            for name, f in saved_math.items():
                setattr(math, name, f)
            for d, key, plain, traced in sym_places:  # traced numbers back to plain ones
                end = d.get(key)
                sym_end.append(end)
                if end is traced:
                    d[key] = plain
                elif key in d:
                    d[key] = _untrace(end)
        self.out = _untrace(out) if isinstance(out, (_SymFloat, _SymInt)) else out
        trace.escaped.extend(trace.pending)
        trace.pending.clear()
        try:
            self._finish(cap, roots, places, pre, pre_data, len(arg_tensors), sym_places, sym_end, out)
        except _Refused as e:
            self.refused = str(e)

    def _finish(
        self, cap: _Capture, roots: _Roots, places: dict[Any, _Place], pre: list[Any], pre_data: list[Any],
        n_args: int, sym_places: list[Any], sym_end: list[Any], out: Any,
    ) -> None:  # fmt: skip
        trace = cap.trace
        for key, pl in _places(roots).items():  # places that the call filled
            if key not in places:
                places[key] = pl
                pre.append(None)
                pre_data.append(None)
        self.pre_sig = tuple(map(_tensor_sig, pre))
        self.places = list(places.values())
        pre_index = {id(t): i for i, t in enumerate(pre) if isinstance(t, Tensor)}
        results: list[str] = []  # the arrays the kernels' code returns
        news: dict[int, int] = {}
        self.news: list[tuple[int, type, tuple[int, ...], Any, Any, bool]] = []
        self.setdata: list[tuple[int, int]] = []  # (pre object, result): a tensor whose array was replaced

        def result(native: Any) -> int:
            results.append(cap.src_of(native))
            return len(results) - 1

        def tensor_src(t: Tensor) -> tuple[str, int]:
            i = pre_index.get(id(t))
            if i is not None:
                return ("P", i)
            k = news.get(id(t))
            if k is None:
                k = news[id(t)] = len(self.news)
                rg = t._requires_grad and t.grad_fn is None
                self.news.append((result(t._data), type(t), t._shape, t._dtype, t._device, rg))
            return ("N", k)

        for i, t in enumerate(pre):
            if isinstance(t, Tensor) and t._data is not pre_data[i]:
                if t._shape != tuple(getattr(t._data, "shape", t._shape)):
                    raise _Refused("a tensor's data was replaced by data of another shape")
                self.setdata.append((i, result(t._data)))
        self.rebind: list[tuple[int, Any]] = []  # (place, ("P", i) | ("N", k) | None)
        for j, pl in enumerate(self.places):
            v = pl.get()
            i = n_args + j
            if v is None:
                if pre[i] is not None:
                    self.rebind.append((j, None))
            elif isinstance(v, Tensor):
                src = tensor_src(v)
                if src != ("P", i):
                    self.rebind.append((j, src))
        syms: list[str] = []
        self.out_desc = _out_desc(out, tensor_src, syms)
        # the traced numbers that places end with
        self.sym_rebind: list[tuple[dict[Any, Any], Any, int]] = []
        for (d, key, _plain_v, traced), v in zip(sym_places, sym_end):
            if v is traced and type(v) is tuple:
                continue
            if isinstance(v, (_SymFloat, _SymInt)):
                syms.append(v._var)
                self.sym_rebind.append((d, key, len(syms) - 1))
            elif type(v) is tuple and any(isinstance(e, (_SymFloat, _SymInt)) for e in v):
                raise _Refused(f"the traced numbers of {key!r} were rebuilt into a new tuple")
            elif v != _plain_v:
                raise _Refused(
                    f"{key!r} was set to {v!r}, a number computed without tracing (e.g. by an object the "
                    f"function reaches only indirectly, such as a scheduler); call that outside the function"
                )
        for value, var, how in trace.escaped:
            trace.guards.append((var, value, f"a traced number {var} used as a Python {how} ({value!r})"))
        if cap.rng_pending:
            pass  # draws whose bits no kernel read: replay still advances the generator for them
        self.rng = cap.rng
        self._compile(cap, results, syms)
        cap.keep.clear()
        cap.slot_of.clear()

    def _compile(self, cap: _Capture, results: list[str], syms: list[str]) -> None:
        trace = cap.trace
        ns: dict[str, Any] = dict(cap.consts)
        ns.update({f"_math_{n}": getattr(math, n) for n in _MATH})
        self.sym_inputs = [loc for _v, loc in trace.inputs]
        self.guard_desc = [d for _e, _v, d in trace.guards]
        num = ["def _numbers(I):"]
        num += [f"    {v} = I[{k}]" for k, (v, _loc) in enumerate(trace.inputs)]
        num += [f"    {line}" for line in trace.lines]
        num += [f"    if {expr} != {value!r}: return {k}, None, None" for k, (expr, value, _d) in enumerate(trace.guards)]
        num.append(f"    return None, [{', '.join(f'e{n}' for n in range(trace.n))}], ({''.join(s + ', ' for s in syms)})")
        ker = ["def _kernels(A, E, R):"]
        ker += [f"    a{k} = A[{k}]" for k in range(len(self.input_index))]
        ker += [f"    e{n} = E[{n}]" for n in range(trace.n)]
        ker += [f"    {line}" for line in cap.lines]
        ker.append(f"    return ({''.join(r + ', ' for r in results)})")
        self.source = "\n".join(num) + "\n\n\n" + "\n".join(ker) + "\n"
        exec(builtins.compile(self.source, f"<ember.compile {cap.fn_name}>", "exec"), ns)
        self._numbers = ns["_numbers"]
        self._kernels = ns["_kernels"]

    def _which_place(self, P: list[Any]) -> str:
        n_args = len(P) - len(self.places)
        for i, (t, sig) in enumerate(zip(P, self.pre_sig)):
            if _tensor_sig(t) != sig:
                return f"argument tensor {i}" if i < n_args else self.places[i - n_args].where
        return "the places"

    def replay(self, args: Any, kwargs: Any) -> Any:
        nums = []
        for d, key, j in self.sym_inputs:
            v = args[key] if d == "arg" else d[key]
            nums.append(v if j is None else v[j])
        failed, E, S = self._numbers(nums)
        if failed is not None:
            raise _GuardFailed(self.guard_desc[failed])
        P: list[Any] = []
        _flatten((args, kwargs), P, "args")
        P += [pl.get() for pl in self.places]
        if tuple(map(_tensor_sig, P)) != self.pre_sig:
            raise _GuardFailed(self._which_place(P))
        if len({id(t._data) for t in P if isinstance(t, Tensor)}) != self.alias:
            raise _GuardFailed("which tensors share memory")
        A = [P[i]._data for i in self.input_index]
        R: list[int] = []
        for g, n in self.rng:
            R.extend(_take(g, n))
        res = self._kernels(A, E, R)
        N = []
        for r, cls, shape, dtype, device, rg in self.news:
            t = cls._make(res[r], shape, dtype, device)  # type: ignore[attr-defined]
            if rg:
                t._requires_grad = True
            N.append(t)
        for i, r in self.setdata:
            P[i]._data = res[r]
        for j, src in self.rebind:
            self.places[j].set(None if src is None else P[src[1]] if src[0] == "P" else N[src[1]])
        for d, key, k in self.sym_rebind:
            d[key] = S[k]
        return _build(self.out_desc, P, N, S)


def _untrace(v: Any) -> Any:
    if isinstance(v, (_SymFloat, _SymInt)):
        return _plain(v)
    if type(v) is tuple:
        return tuple(_untrace(e) for e in v)
    return v

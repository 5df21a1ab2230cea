"""`ember.compile`: run a function of tensors, modules and optimizers once while recording its
kernels, then replay the recorded kernels on later calls without the Python that made them.

A capture (`_Capture`) runs the function eagerly under `ember.capture.record_kernels` and
keeps the kernel schedule: every native array is a slot, found by identity as an input
(an argument's data, or the data of a tensor found at a *place*: a module's parameter,
buffer or tensor attribute, a tensor's `.grad`, an optimizer's state), the result of a
recorded kernel, or else a constant. Python numbers that the optimizers hold (learning
rates, betas, step counts), and float arguments, are traced (`_SymFloat`, `_SymInt`), so
a scheduler's new learning rate or Adam's step count reaches the replayed kernels without
a re-capture. The replay (`_Program`) is one generated Python function: the guards as inline
comparisons, kernel calls with slots substituted (NumPy ufuncs with ``out=`` into buffers the
program owns, `_kernel_code`, and kernels of several NumPy calls as their `ember.replay_forms`;
constant kernels folded; elementwise chains fused through `ember.fusion` where the backend offers it), then Python-visible state put back where the eager
call leaves it, version counters included.

Guards (shapes, dtypes, devices, requires_grad, grad mode, modules' flags and scalar
attributes, the structure of every place, the closure's and named globals' numbers, and
every comparison made on a traced number) pick a capture; none matches: capture again.
Places are checked by identity against what the last replay left there (`_Program.steady`);
the full signatures (`_Guard.signature`) are only built to name a guard that failed.
Host reads (`.item()`, `.numpy()`, `bool(t)`, `.tolist()`) and data-dependent shapes raise
`CompileError` during capture. docs/compile.md says all of it for users.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator
import re
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from . import capture as _capture
from . import launch_graphs as _launch_graphs
from . import xp_kernels as _xk
from .autograd import grad_mode as _grad_mode
from .dispatch import OPS, Op
from .fusion import fuse_schedule
from .random import Generator
from .replay_forms import kernel_form
from .tensor import Tensor
from .xp_kernels import xp_function

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
        # numbers read from tensors during the call (host_reads="replay"): a replay reads them at the same
        # point of its kernels, so what is computed from them, and the guards on them, go there too
        self.late: set[str] = set()
        self.sink: list[Any] = []  # the capture's kernel schedule
        self.fail: Callable[[str], None] | None = None

    def _is_late(self, expr: str) -> bool:
        return bool(self.late) and any(v in self.late for v in _EVAR.findall(expr))

    def var(self, expr: str | None) -> str:
        name = f"e{self.n}"
        self.n += 1
        if expr is not None:
            if self._is_late(expr):
                self.late.add(name)
                self.sink.append(f"{name} = {expr}")
            else:
                self.lines.append(f"{name} = {expr}")
        return name

    def guard(self, expr: str, value: Any, desc: str) -> None:
        """`expr` must give `value` at a replay: checked before the kernels, or where a read made it known."""
        if self._is_late(expr):
            self.sink.append(f"if {expr} != {value!r}: _read_guard({desc!r})")
        else:
            self.guards.append((expr, value, desc))


_EVAR = re.compile(r"\be\d+\b")


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
        self._trace.guard(f"({_src(self)} {sign} {_src(other)})", result, f"{_src(self)} {sign} {other!r}")
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
_NUMBERS = (*_SCALARS, numpy.generic)  # a module's attributes guarded by value


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
    """A slot in Python's state that holds a tensor or None: read at each call, written after a replay.

    `get` and `set` serve the capture; `code` serves the generated replay: ``code(name)`` gives the
    expressions that read and write the slot (``{v}`` in the second stands for the new value),
    with `name` naming the Python objects they reach as constants of the replay's namespace.
    """

    __slots__ = ("where", "get", "set", "code")

    def __init__(
        self, where: str, get: Callable[[], Any], set: Callable[[Any], None],  # noqa: A002
        code: Callable[[Callable[[Any], str]], tuple[str, str]],
    ) -> None:  # fmt: skip
        self.where, self.get, self.set, self.code = where, get, set, code


def _key_src(key: Any, name: Callable[[Any], str]) -> str:
    return repr(key) if type(key) is str else name(key)


def _dict_place(where: str, d: dict[Any, Any], key: Any) -> _Place:
    def put(v: Any) -> None:
        d[key] = v

    def code(name: Callable[[Any], str]) -> tuple[str, str]:
        dn, kn = name(d), _key_src(key, name)
        return f"{dn}.get({kn})", f"{dn}[{kn}] = {{v}}"

    return _Place(where, lambda: d.get(key), put, code)


def _state_place(where: str, state: dict[Any, Any], p: Any, key: Any) -> _Place:
    def get() -> Any:
        s = state.get(p)
        return None if s is None else s.get(key)

    def put(v: Any) -> None:
        state.setdefault(p, {})[key] = v

    def code(name: Callable[[Any], str]) -> tuple[str, str]:
        sn, pn, kn = name(state), name(p), _key_src(key, name)
        return f"{sn}.get({pn}, _EMPTY).get({kn})", f"{sn}.setdefault({pn}, {{{{}}}})[{kn}] = {{v}}"

    return _Place(where, get, put, code)


def _grad_place(where: str, t: Tensor) -> _Place:
    def put(v: Any) -> None:
        t._grad = v

    def code(name: Callable[[Any], str]) -> tuple[str, str]:
        tn = name(t)
        return f"{tn}._grad", f"{tn}._grad = {{v}}"

    return _Place(where, lambda: t._grad, put, code)


def _module_name(m: Any) -> str:
    return type(m).__name__


def _argument_grad_place(i: int, t: Tensor) -> _Place:
    """The `.grad` of argument tensor `i` (`t` at capture): the replay reads and writes it on the call's
    own argument (its variable `t{i}`), so a step that takes fresh leaves (inputs it differentiates)
    replays instead of capturing again."""

    def put(v: Any) -> None:
        t._grad = v

    def code(name: Callable[[Any], str]) -> tuple[str, str]:
        return f"t{i}._grad", f"t{i}._grad = {{v}}"

    return _Place(f"argument tensor {i}'s .grad", lambda: t._grad, put, code)


def _places(roots: _Roots, arg_tensors: Sequence[Tensor] = ()) -> dict[tuple[Any, ...], _Place]:
    """Every place that holds a tensor now, keyed so that two walks agree on the same place."""
    out: dict[tuple[Any, ...], _Place] = {}
    position = {id(t): i for i, t in enumerate(arg_tensors)}
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
            i = position.get(id(t))
            if i is None:
                out[(id(t), "grad")] = _grad_place("a parameter's .grad", t)
            else:
                out[("arg", i, "grad")] = _argument_grad_place(i, t)
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
        tuple((k, v) for k, v in d.items() if isinstance(v, _NUMBERS)),
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


class _Namer:
    """Names Python objects as constants of a generated function's namespace (`ns`), one name each."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {}
        self._names: dict[int, str] = {}

    def __call__(self, obj: Any) -> str:
        n = self._names.get(id(obj))
        if n is None:
            n = self._names[id(obj)] = f"_o{len(self._names)}"
            self.ns[n] = obj
        return n


def _is_value(expr: str, v: Any, name: _Namer) -> str:
    """A condition that `expr` still is `v`: numbers and strings by type and value, anything else by identity."""
    if v is None or type(v) is bool:
        return f"{expr} is {v!r}"
    if type(v) in (int, str) or type(v) is float and math.isfinite(v):
        return f"(type(_x := {expr}) is {type(v).__name__} and _x == {v!r})"
    if isinstance(v, (int, float, str, numpy.generic)):  # NumPy's scalars, non-finite floats (nan: the same object)
        return f"(type(_x := {expr}) is {name(type(v))} and (_x is {name(v)} or _x == {name(v)}))"
    return f"{expr} is {name(v)}"


def _has_len(expr: str, n: int) -> str:
    """A condition that the container `expr` has `n` items (an empty one: its truth, the cheaper test)."""
    return f"not {expr}" if n == 0 else f"len({expr}) == {n}"


def _fast_guards(fn: Any, roots: _Roots, name: _Namer) -> list[str]:
    """The guards of `_Guard.signature` (but the arguments) as conditions that the replay evaluates
    inline: the values and identities that the modules, optimizers, closure and globals hold now."""
    conds: list[str] = []
    f = fn.__func__ if isinstance(fn, types.MethodType) else fn
    if isinstance(f, types.FunctionType):
        for cell in f.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:
                continue
            conds.append(_is_value(f"{name(cell)}.cell_contents", v, name))
        g = f.__globals__
        for k in f.__code__.co_names:
            if k in g and not isinstance(g[k], types.ModuleType):
                conds.append(_is_value(f"{name(g)}.get({k!r})", g[k], name))
    for m in roots.modules:
        d = vars(m)
        dn = name(d)
        conds.append(f"len({dn}) == {len(d)}")
        conds += [_is_value(f"{dn}[{k!r}]", v, name) for k, v in d.items() if isinstance(v, _NUMBERS)]
        for table in (m._parameters, m._modules):
            tn = name(table)
            conds.append(_has_len(tn, len(table)))
            conds += [f"{tn}[{k!r}] is {'None' if v is None else name(v)}" for k, v in table.items()]
        bn = name(m._buffers)
        conds.append(_has_len(bn, len(m._buffers)))
        conds += [f"({bn}[{k!r}] is None) is {v is None}" for k, v in m._buffers.items()]
    for o in roots.optimizers:
        on, sn = name(o), name(o.state)
        conds += [f"{on}.state is {sn}", _has_len(sn, len(o.state)), f"len({on}.param_groups) == {len(o.param_groups)}"]
        for gi, group in enumerate(o.param_groups):
            gn = name(group)
            conds += [f"{on}.param_groups[{gi}] is {gn}", f"len({gn}) == {len(group)}"]
            for k, v in group.items():
                item = f"{gn}[{k!r}]"
                if k == "params":
                    ln = name(v)
                    conds += [f"{item} is {ln}", f"len({ln}) == {len(v)}"]
                    conds += [f"{ln}[{j}] is {name(p)}" for j, p in enumerate(v)]
                elif type(v) in (float, int):
                    conds.append(f"type({item}) is {type(v).__name__}")
                elif type(v) is tuple and all(type(e) in (float, int) for e in v):
                    conds.append(f"tuple(map(type, {item})) == {name(tuple(map(type, v)))}")
                else:
                    conds.append(_is_value(item, v, name))
            for p in group["params"]:
                st = o.state.get(p)
                pn = name(p)
                if st is None:
                    conds.append(f"{sn}.get({pn}) is None")
                    continue
                conds.append(f"len({sn}.get({pn}, _EMPTY)) == {len(st)}")
                for k, v in st.items():
                    item = f"{sn}[{pn}][{_key_src(k, name)}]"
                    if type(v) in (float, int):
                        conds.append(f"type({item}) is {type(v).__name__}")
                    elif not isinstance(v, Tensor):
                        conds.append(_is_value(item, v, name))
    return conds


class _Guard:
    """What a capture assumed about a call; `check` names the first thing that differs.

    `fast` is the same as conditions that a replay evaluates inline (see `_fast_guards`); the
    signature only says which guard failed, once the replay has said that one did.
    """

    def __init__(self, fn: Any, args: Any, kwargs: Any, roots: _Roots) -> None:
        self.roots = roots
        self.scalars = _scalar_globals(fn)
        self.sig = self.signature(args, kwargs)
        self.namer = _Namer()
        self.fast = _fast_guards(fn, roots, self.namer)

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


class _Call:
    """One recorded kernel call: `var = kname(*srcs)` in the replay code (`var` None: no array result)."""

    __slots__ = ("op", "device_type", "kname", "kernel", "args", "srcs", "var", "result")

    def __init__(
        self, op: Op, device_type: str, kname: str, kernel: Any, args: tuple[Any, ...], srcs: list[str],
        var: str | None, result: Any,
    ) -> None:  # fmt: skip
        self.op, self.device_type, self.kname, self.kernel = op, device_type, kname, kernel
        self.args, self.srcs, self.var, self.result = args, srcs, var, result

    def code(self) -> str:
        call = f"{self.kname}({', '.join(self.srcs)})"
        return call if self.var is None else f"{self.var} = {call}"


class _Capture(_capture.HostWatcher):
    """One eager run of the function: the kernel recorder and host watcher that write the replay code."""

    def __init__(self, fn_name: str) -> None:
        self.fn_name = fn_name
        self.trace = _Trace()
        self.slot_of: dict[int, str] = {}  # id(native array) -> its variable in the replay code
        self.keep: list[Any] = []  # every array seen, alive until the capture ends (so ids stay unique)
        self.consts: dict[str, Any] = {}
        self.array_of: dict[str, Any] = {}  # variable -> the array it held during the capture
        self.fused = 0  # fused elementwise kernels in the replay
        self.folded = 0  # kernel calls whose results are constants of the replay
        self.lines: list[_Call | str] = []  # kernel calls, and lines of code (host_predicate checks, reads)
        self.deferred = False  # whether a host_predicate check is read when the replay ends
        self.trace.sink = self.lines
        self.consts["_read_guard"] = self.read_guard
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
        rvar = None
        if not (result is None or isinstance(result, (bool, int, float))):
            rvar = f"v{self.n}"
            if isinstance(result, (tuple, list)):
                for i, r in enumerate(result):
                    self.bind(r, f"{rvar}[{i}]")
            else:
                self.bind(result, rvar)
        self.lines.append(_Call(op, device_type, kname, kernel, args, srcs, rvar, result))
        self.n += 1

    def bind(self, native: Any, var: str) -> None:
        self.keep.append(native)
        self.slot_of[id(native)] = var
        self.array_of[var] = native

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
        on_host = all(to_host(a) is a for a in natives)  # a backend whose arrays are host arrays (NumPy's)
        where = "stopped there (kernels before it have run)" if on_host else "ran to its end (this device's checks are read after it)"

        def recheck() -> None:  # the replay's test failed
            raise CompileError(
                f"ember.compile({self.fn_name}): the check {name!r} held {result} when the function was "
                f"captured and does not now; the replay {where}. Call this function without ember.compile for such inputs"
            )

        fail, test = self.const(recheck), self.const(check)
        srcs = [self.src_of(a) for a in natives]
        if on_host:
            self.lines.append(f"if bool({test}({', '.join(srcs)})) is not {result!r}: {fail}()")
        else:  # a read from the device waits for every queued kernel: once, when the replay ends
            self.deferred = True
            later = self.const(_recheck_later(to_host))
            self.lines.append(f"_D.append({later}({test}, ({''.join(v + ', ' for v in srcs)}), {result!r}, {fail}))")

    def item(self, t: Tensor) -> Any:
        """`Tensor.item` while capturing with host_reads="replay": the value, read again by each replay here."""
        from .backends import registry

        if t.numel() != 1:
            return _item(t)  # its own error
        to_host = registry.get(t._device.type).to_host
        to_host = getattr(to_host, "__wrapped__", to_host)  # not the watcher's: this read is replayed
        value = to_host(t._data).reshape(()).item()
        read = self.const(lambda a: to_host(a).reshape(()).item())
        src = self.src_of(t._data)
        if type(value) is bool:
            self.lines.append(f"if {read}({src}) is not {value!r}: _read_guard({'bool(tensor) held ' + repr(value)!r})")
            return value
        var = self.trace.var(None)
        self.trace.late.add(var)
        self.lines.append(f"{var} = {read}({src})")
        return _sym(self.trace, value, var)

    def read_guard(self, what: str) -> None:
        raise CompileError(
            f"ember.compile({self.fn_name}): a value read from a tensor changed what the function does ({what} "
            f"when it was captured, not now); the replay stopped there (kernels before it have run). Call this "
            f"function without ember.compile for such inputs"
        )

    def take(self, g: Generator, n: int, seed: int, offset: int) -> None:
        self.rng_pending.append((len(self.rng), seed, offset))
        self.rng.append((g, n))


class _Recheck:
    """A host_predicate check that a replay on a device reads when it ends (`ember.capture.run_checks`).
    On a backend that reads without waiting (`Backend.read_async`) it has a `start`, which queues the
    reads and returns the function that waits for them and checks; elsewhere `start` is None."""

    __slots__ = ("to_host", "test", "arrays", "result", "fail", "start")

    def __init__(self, to_host: Any, read_async: Any, test: Callable[..., Any], arrays: tuple[Any, ...], result: bool,
                 fail: Callable[[], None]) -> None:  # fmt: skip
        self.to_host, self.test, self.arrays, self.result, self.fail = to_host, test, arrays, result, fail
        self.start = None if read_async is None else functools.partial(self._started, read_async)

    def __call__(self) -> None:
        self._check([self.to_host(a) for a in self.arrays])

    def _started(self, read_async: Any) -> Callable[[], None]:
        reads = [read_async(a) for a in self.arrays]
        return lambda: self._check([r() for r in reads])

    def _check(self, values: list[Any]) -> None:
        if bool(self.test(*values)) is not self.result:
            self.fail()


def _recheck_later(to_host: Any) -> Callable[..., _Recheck]:
    """`_Recheck` for a backend (its bound `to_host`), reading without waiting where the backend can."""
    backend = getattr(to_host, "__self__", None)
    read_async = backend.read_async if backend is not None and backend.defines("read_async") else None
    return functools.partial(_Recheck, to_host, read_async)


_take = Generator._take
_item = Tensor.item


def compile(  # noqa: A001
    fn: Callable[..., Any] | None = None, *, max_captures: int = 8, warn_after: int = 4, host_reads: str = "raise"
) -> Any:
    """Compile `fn` (with no `fn`: a decorator): capture its kernels on the first call, replay them after.

    `fn` may be a forward or a whole training step (`loss.backward()` and `optimizer.step()`
    inside). A later call whose guards hold replays the recorded kernels; a failed guard
    captures again (the `max_captures` newest are kept; a `RecompileWarning` names the guard
    after `warn_after` captures). `host_reads="replay"`: ``.item()``, ``float(t)``, ``int(t)`` and
    ``bool(t)`` of one-element tensors are read again at that point of each replay, instead of
    raising (see docs/compile.md). docs/compile.md lists what is captured, guarded and refused.
    """
    kw = dict(max_captures=max_captures, warn_after=warn_after, host_reads=host_reads)
    if fn is None:
        return lambda f: CompiledFunction(f, **kw)  # type: ignore[arg-type]
    return CompiledFunction(fn, **kw)  # type: ignore[arg-type]


class CompiledFunction:
    """`fn` with its captures; call it as `fn` itself. `captures`, `replays` count what happened."""

    def __init__(
        self, fn: Callable[..., Any], *, max_captures: int = 8, warn_after: int = 4, host_reads: str = "raise"
    ) -> None:
        if not callable(fn):
            raise TypeError(f"ember.compile: expected a function, got {type(fn).__name__}")
        if host_reads not in ("raise", "replay"):
            raise ValueError(f"ember.compile: host_reads must be 'raise' or 'replay', got {host_reads!r}")
        self.host_reads = host_reads
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
        if _capture._pending:  # checks of replays before the last one (one stays in flight)
            _capture.settle_checks(keep=1)
        if self.eager_reason is not None or _capture.is_recording():
            return self.fn(*args, **kwargs)
        failed = "no capture yet"
        for prog in self.programs:
            out = prog.run(args, kwargs)
            if type(out) is not _Miss:
                self.replays += 1
                return out
            failed = prog.why(out, args, kwargs)
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
        places = _places(roots, arg_tensors)
        pre: list[Any] = list(arg_tensors) + [pl.get() for pl in places.values()]
        self.input_index: list[int] = []
        for i, t in enumerate(pre):
            if isinstance(t, Tensor) and id(t._data) not in cap.slot_of:
                cap.bind(t._data, f"a{len(self.input_index)}")
                self.input_index.append(i)
        pre_data = [t._data if isinstance(t, Tensor) else None for t in pre]
        self.alias = len({id(t._data) for t in pre if isinstance(t, Tensor)})
        counters: dict[int, tuple[int, Any, int]] = {}  # version counters: a replay bumps them as the call did
        for i, t in enumerate(pre):
            if isinstance(t, Tensor):
                c = t._version_counter()
                counters.setdefault(id(c), (i, c, c.value))
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
        if owner.host_reads == "replay":
            Tensor.item = lambda t: cap.item(t)  # type: ignore[method-assign,assignment]
        sym_end: list[Any] = []
        try:
            with _capture.record_kernels(cap), _capture.watch_host(cap):
                out = owner.fn(*call_args, **kwargs)
        except _Refused as e:
            raise RuntimeError(f"ember.compile({owner.name}): {e}") from None
        finally:
            Generator._take = _take  # type: ignore[method-assign]
            Tensor.item = _item  # type: ignore[method-assign]
            for name, f in saved_math.items():
                setattr(math, name, f)
            for d, key, plain, traced in sym_places:  # traced numbers back to plain ones
                end = d.get(key)
                sym_end.append(end)
                if end is traced:
                    d[key] = plain
                elif key in d:
                    d[key] = _untrace(end)
        self.bumps = [(i, c.value - v) for i, c, v in counters.values() if c.value != v]
        self.out = _untrace_all(out)
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
        for key, pl in _places(roots, pre[:n_args]).items():  # places that the call filled
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
            trace.guard(f"{how}({var})" if how in ("float", "int", "bool", "round", "repr", "str", "hash") else var, value,
                        f"a traced number {var} used as a Python {how} ({value!r})")  # fmt: skip
        if cap.rng_pending:
            pass  # draws whose bits no kernel read: replay still advances the generator for them
        self.rng = cap.rng
        # steady: the call leaves at every place a tensor like the one it found there (same signature and
        # memory sharing), so that a replay may check the next call's places by identity alone
        post = [pl.get() for pl in self.places]
        self.steady = tuple(map(_tensor_sig, post)) == self.pre_sig[n_args:] and len(
            {id(t._data) for t in post if isinstance(t, Tensor)}
        ) == len({id(t._data) for t in pre[n_args:] if isinstance(t, Tensor)})
        self.key: list[Any] = [None]  # the places' identities as the last replay left them
        self._compile(cap, results, syms, n_args)
        cap.keep.clear()
        cap.slot_of.clear()
        cap.array_of.clear()
        cap.lines.clear()

    def _compile(self, cap: _Capture, results: list[str], syms: list[str], n_args: int) -> None:
        """Write the replay: one Python function of (args, kwargs) that checks the guards, runs the
        kernels and puts Python's state where the eager call leaves it (or returns a `_Miss`)."""
        trace, name = cap.trace, self.guard.namer
        ns = name.ns
        ns.update(cap.consts)
        ns.update({f"_math_{n}": getattr(math, n) for n in _MATH})
        ns.update(_flatten=_flatten, _gm=_state, _take=_take, _EMPTY={}, _K=self.key, _slow=self._slow_check)
        misses = [_Miss("the arguments, grad mode, modules, optimizers or globals"), _Miss("the places")]
        misses += [_Miss(d) for _e, _v, d in trace.guards]
        misses.append(_Miss("which tensors share memory"))
        ns.update({f"_miss{k}": m for k, m in enumerate(misses)})
        pre_kinds = list(self.pre_sig)
        tv = [f"t{i}" for i in range(len(pre_kinds))]  # the tensor (or None) at each input at the call
        L = ["def _run(args, kwargs):"]
        # guards: grad mode, the objects the function reaches, the arguments' structure
        conds = [f"_gm.enabled is {_state.enabled!r}", *self.guard.fast]
        L.append("    try:")
        for k in range(0, len(conds), 16):
            L.append(f"        if not ({' and '.join(conds[k : k + 16])}): return _miss0")
        L.append("    except (LookupError, AttributeError, TypeError):")
        L.append("        return _miss0")
        L += _argument_code(self.guard.sig[1][1], self.guard.sig[1][2], tv[:n_args], name)
        # the places: what the last replay left there (identity) or the capture's signatures
        for j, pl in enumerate(self.places):
            get, _set = pl.code(name)
            L.append(f"    {tv[n_args + j]} = {get}")
        same, m = [], 0  # each place holds the tensor, and it the array, that the last replay left there
        for i in range(n_args, len(pre_kinds)):
            if pre_kinds[i] is None:
                same.append(f"{tv[i]} is None")
            else:
                same.append(f"{tv[i]} is _k[{m}] and {tv[i]}._data is _k[{m + 1}] and {tv[i]}._requires_grad is {pre_kinds[i][4]!r}")
                m += 2
        L.append("    _k = _K[0]")
        L.append(f"    if not (_k is not None{''.join(' and ' + c for c in same)}) and not _slow(({''.join(v + ', ' for v in tv)})): return _miss1")
        if n_args:
            datas = [f"id({tv[i]}._data)" for i in range(len(pre_kinds)) if pre_kinds[i] is not None]
            L.append(f"    if len({{{', '.join(datas)}}}) != {self.alias}: return _miss{len(misses) - 1}")
        for k, i in enumerate(self.input_index):
            L.append(f"    a{k} = {tv[i]}._data")
        # traced numbers, and the comparisons made on them
        for var, (d, key_, j) in trace.inputs:
            src = f"args[{key_}]" if d == "arg" else f"{name(d)}[{_key_src(key_, name)}]"
            L.append(f"    {var} = {src}" + ("" if j is None else f"[{j}]"))
        L += [f"    {line}" for line in trace.lines]
        seen: set[tuple[str, Any]] = set()
        for k, (expr, value, _d) in enumerate(trace.guards):
            if (expr, value) not in seen:  # the optimizer's loop over parameters asks the same thing each time
                seen.add((expr, value))
                L.append(f"    if {expr} != {value!r}: return _miss{k + 2}")
        if self.rng:
            L.append(f"    R = ({''.join(f'*_take({name(g)}, {n}), ' for g, n in self.rng)})")
        # the kernels; on a device whose arrays are not host arrays, the checks that read them back
        # (index bounds, host_predicate) run once all are queued (`ember.capture.defer_check`)
        kernels = _kernel_code(cap, results, name)
        # a traced number that kernels take as float(e3) or int(e3): converted once, before the kernels
        # (not one that a host read makes during them)
        conv = {m for line in kernels for m in _CONVERTED.findall(line) if m[1] not in trace.late}
        for f, v in sorted(conv):
            L.append(f"    {f[0]}{v} = {f}({v})")
        if conv:
            kernels = [_CONVERTED.sub(lambda m: m[0] if m[2] in trace.late else f"{m[1][0]}{m[2]}", line) for line in kernels]
        defer = cap.deferred or any(
            isinstance(c, _Call) and hasattr(c.result, "shape") and type(c.result) is not numpy.ndarray for c in cap.lines
        )
        res = [f"({r})" for r in results]
        self.graphs: _launch_graphs.GraphRunner | None = None
        grapher = None if trace.late else _grapher(cap)
        graphed = None if grapher is None else _graph_body(kernels, results)
        if graphed is not None:  # the kernel calls as one function that the backend may record (`ember.launch_graphs`)
            body, kernels, res = graphed
            L[:0] = body
            ns["_G"] = self.graphs = _launch_graphs.GraphRunner(grapher)
        if defer:
            ns.update(_deferring=_capture.deferring_checks)
            L.append("    with _deferring() as _D:")
            L += [f"        {line}" for line in kernels] or ["        pass"]
        else:
            L += [f"    {line}" for line in kernels]
        # Python's state as the eager call leaves it
        final = list(tv)
        for k, (r, cls, shape, dtype, device, rg) in enumerate(self.news):
            L.append(f"    n{k} = {name(cls)}._make({res[r]}, {shape!r}, {name(dtype)}, {name(device)})")
            if rg:
                L.append(f"    n{k}._requires_grad = True")
        for i, r in self.setdata:
            L.append(f"    {tv[i]}._data = {res[r]}")
        for j, src in self.rebind:
            v = "None" if src is None else tv[src[1]] if src[0] == "P" else f"n{src[1]}"
            L.append("    " + self.places[j].code(name)[1].format(v=v))
            final[n_args + j] = v
        for d, key_, k in self.sym_rebind:
            L.append(f"    {name(d)}[{_key_src(key_, name)}] = {syms[k]}")
        for i, delta in self.bumps:
            L.append(f"    ({tv[i]}._version or {tv[i]}._version_counter()).value += {delta}")  # (made on first use)
        kept = [final[i] for i in range(n_args, len(final)) if pre_kinds[i] is not None]
        if self.steady and "None" not in kept:  # the next call finds what this one left: identities suffice
            L.append(f"    _K[0] = ({''.join(f'{v}, {v}._data, ' for v in kept)})")
        if defer:
            ns["_run_checks"] = _capture.run_checks
            L.append("    _run_checks(_D)")
        L.append(f"    return {_out_src(self.out_desc, tv, syms, name)}")
        self.fused = cap.fused  # how many fused elementwise kernels the replay runs
        self.folded = cap.folded  # how many kernel calls it does not run: their results are constants
        self.source = "\n".join(L) + "\n"
        self._ns, self._filename = ns, f"<ember.compile {cap.fn_name}>"

    def run(self, args: Any, kwargs: Any) -> Any:
        """Replay (the first call compiles the generated code: a capture never replayed costs no compile)."""
        why = self.guard.check(self.guard.signature(args, kwargs))
        if why is not None:  # (the optimizer's first step, whose capture its second call never replays)
            return _Miss(why)
        exec(builtins.compile(self.source, self._filename, "exec"), self._ns)
        self.run = self._ns["_run"]  # type: ignore[method-assign]
        return self.run(args, kwargs)

    def _slow_check(self, P: tuple[Any, ...]) -> bool:
        """The inputs' signatures and memory sharing, when the places do not hold what the last replay left."""
        return tuple(map(_tensor_sig, P)) == self.pre_sig and len(
            {id(t._data) for t in P if isinstance(t, Tensor)}
        ) == self.alias

    def why(self, miss: _Miss, args: Any, kwargs: Any) -> str:
        """The guard that a call failed, in words."""
        if miss.why.startswith("the arguments"):
            return self.guard.check(self.guard.signature(args, kwargs)) or miss.why
        if miss.why == "the places":
            P: list[Any] = []
            _flatten((args, kwargs), P, "args")
            P += [pl.get() for pl in self.places]
            n_args = len(P) - len(self.places)
            for i, (t, sig) in enumerate(zip(P, self.pre_sig)):
                if _tensor_sig(t) != sig:
                    return f"argument tensor {i}" if i < n_args else self.places[i - n_args].where
            return "which tensors share memory"
        return miss.why


def _argument_code(asig: Any, ksig: Any, tv: list[str], name: _Namer) -> list[str]:
    """The replay's lines that check the arguments' structure and signatures and bind their tensors to
    `tv`. Positional tensors and floats only (a training step's batch, a learning rate), no keywords:
    inline comparisons; any other structure: `_flatten` it, as the capture did, and compare."""
    items = asig[1]
    if ksig != (dict, ()) or not all(it[0] == "T" or it == ("F",) for it in items):
        ns = name.ns
        ns.update(_asig=asig, _ksig=ksig)
        lines = [
            "    _T = []",
            "    if _flatten(args, _T, 'args', True) != _asig or _flatten(kwargs, _T, 'kwargs') != _ksig: return _miss0",
        ]
        return lines + ([f"    {''.join(v + ', ' for v in tv)}= _T"] if tv else [])
    lines = [f"    if kwargs or len(args) != {len(items)}: return _miss0"]
    conds, k = [], 0
    for i, it in enumerate(items):
        if it == ("F",):
            conds.append(f"type(args[{i}]) is float")
            continue
        cls, shape, dtype, device, rg = it[1]
        v = tv[k]
        k += 1
        lines.append(f"    {v} = args[{i}]")
        dn = name(device)  # (a device compares in Python: identity first, the usual case)
        conds.append(
            f"type({v}) is {name(cls)} and {v}._shape == {shape!r} and {v}._dtype == {name(dtype)} and "
            f"({v}._device is {dn} or {v}._device == {dn}) and {v}._requires_grad is {rg!r}"
        )
    if conds:
        lines.append(f"    if not ({' and '.join(conds)}): return _miss0")
    return lines


_VAR = re.compile(r"\bv\d+\b")
_CONVERTED = re.compile(r"\b(float|int)\((e\d+)\)")


@functools.cache
def _variant_of() -> dict[str, Op]:
    """In-place variant's name -> its op (``add_`` -> ``add``)."""
    return {o.variant.name: o for o in OPS.values() if o.variant is not None}


def _ufunc_of(c: _Call) -> Any:
    """The NumPy ufunc that `c`'s kernel is (its op's array-API function, `Op.xp`, or the in-place
    form of one), or None: the replay may call it directly, with ``out=``."""
    op = c.op
    inner = getattr(c.kernel, "__wrapped__", c.kernel)
    if not isinstance(inner, numpy.ufunc) or inner.nout != 1 or inner.nin != len(c.args):
        return None
    if op.inplace:
        base = _variant_of().get(op.name)
        return inner if base is not None and base.xp is not None and c.kernel.__name__ == op.name else None
    return inner if op.xp is not None and inner is xp_function(numpy, op.xp) else None


def _grapher(cap: _Capture) -> Any:
    """The backend that records launch graphs (`ember.launch_graphs`) of this capture's kernels, or None
    (kernels of several device types, a backend without graphs, or no kernels at all)."""
    from .backends import registry

    types_ = {c.device_type for c in cap.lines if isinstance(c, _Call)}
    if len(types_) != 1:
        return None
    backend = registry.get(types_.pop())
    return backend if backend.defines("record_launches") else None


_CALL_LINE = re.compile(r"(?:v\d+,? = )?[A-Za-z_]\w*\(.*\)")
_ARRAY_VAR = re.compile(r"\ba\d+\b")
_NUMBER_VAR = re.compile(r"\b(?:fe|ie|e)\d+\b")


def _graph_body(kernels: list[str], results: list[str]) -> tuple[list[str], list[str], list[str]] | None:
    """The replay's kernel calls as ``_body(arrays..., numbers..., *R)`` returning the results they make:
    (its code, the lines that replace the calls, the results' expressions after them); None when the
    kernel lines are not all calls (a value read between them) or a deferred check reads their arrays."""
    checks = [line for line in kernels if line.startswith("_D.append(")]
    calls = [line for line in kernels if not line.startswith("_D.append(")]
    if not calls or any(_VAR.search(line) for line in checks) or not all(_CALL_LINE.fullmatch(c) for c in calls):
        return None
    text = "\n".join(calls)
    arrays = sorted(set(_ARRAY_VAR.findall(text)), key=lambda v: int(v[1:]))
    numbers = sorted(set(_NUMBER_VAR.findall(text)), key=lambda v: (v.rstrip("0123456789"), int(v.lstrip("fie"))))
    rng = "R[" in text
    made = list(dict.fromkeys(r for r in results if _VAR.search(r)))
    params = ", ".join([*arrays, *numbers] + (["*R"] if rng else []))
    body = [f"def _body({params}):", *(f"    {c}" for c in calls), f"    return ({''.join(r + ', ' for r in made)})", ""]
    nums = "".join(n + ", " for n in numbers) + ("*R, " if rng else "")
    lines = [*checks, f"_r = _G(_body, ({''.join(a + ', ' for a in arrays)}), ({nums}))"]
    return body, lines, [f"_r[{made.index(r)}]" if r in made else f"({r})" for r in results]


def _fuser(device_type: str) -> Any:
    """The backend of `device_type` when it fuses elementwise kernels (`ember.fusion`), else None."""
    from .backends import registry

    backend = registry.get(device_type)
    return backend if backend.defines("fuse_elementwise") else None


_NAME = re.compile(r"\b[A-Za-z_]\w*\b")


def _fold_constants(cap: _Capture, results: list[str], name: _Namer) -> list[_Call | str]:
    """The schedule without the kernel calls that read no array but such calls' results (``full``,
    then ``neg`` of it, ...): their results are the same at every replay, so the capture's arrays
    become constants of the replay. Never a result that the caller sees or that a kernel writes into."""
    written = {c.srcs[0] for c in cap.lines if isinstance(c, _Call) and c.op.inplace and c.srcs}
    escaping = set(results)
    folded: set[str] = set()
    out: list[_Call | str] = []
    for c in cap.lines:
        if (
            isinstance(c, _Call) and c.var is not None and not c.op.inplace and c.op.name != "random_bits"
            and c.var not in written and c.var not in escaping and not isinstance(c.result, (tuple, list))
            and all(_constant_src(s, folded, cap.consts) for s in c.srcs)
        ):  # fmt: skip
            folded.add(c.var)
            name.ns[c.var] = c.result
            continue
        out.append(c)
    cap.folded = len(folded)
    return out


def _constant_src(src: str, folded: set[str], consts: dict[str, Any]) -> bool:
    """Whether a kernel argument's code names nothing that may differ between replays."""
    if src[0] in "aveR" and src not in folded and src[1:2].isdigit() | (src[0] == "R"):
        return False  # an input, a kernel's result, a traced number or a random draw
    for tok in _NAME.findall(src):
        if tok in folded or tok in ("True", "False", "None"):
            continue
        c = consts.get(tok, tok)  # a constant that is not an array (a dtype, a non-finite number)
        if tok not in consts or hasattr(c, "shape") or callable(c):
            return False
    return True


def _kernel_code(cap: _Capture, results: list[str], name: _Namer) -> list[str]:
    """The replay's kernel calls. NumPy ufunc kernels are called directly; those whose result the
    caller never sees write into a buffer that the program owns (``out``, passed by position: NumPy
    parses a keyword for each call), and a ufunc whose
    result is only copied into an array by the next call (``x.mul_(0.9)``) writes into it directly.
    On a backend that fuses (`ember.fusion`), chains of elementwise kernels become one kernel each."""
    owners: set[int] = set()  # the arrays that own the memory of what the caller sees
    odd: list[Any] = []  # ... and arrays whose owner is not an ndarray (strided windows): compared by bounds
    for r in set(results):
        e = cap.array_of.get(r)
        if type(e) is numpy.ndarray:
            while isinstance(e.base, numpy.ndarray):
                e = e.base
            (odd.append(e) if e.base is not None else owners.add(id(e)))
    uses: dict[str, int] = {}
    for text in [*results, *(line if isinstance(line, str) else ", ".join(line.srcs) for line in cap.lines)]:
        for v in _VAR.findall(text):
            uses[v] = uses.get(v, 0) + 1

    def is_fresh(r: Any) -> bool:  # a kernel's array result that the caller never sees: a buffer of the program's
        return type(r) is numpy.ndarray and r.base is None and id(r) not in owners and not any(
            numpy.may_share_memory(r, e) for e in odd
        )

    lines = _fold_constants(cap, results, name)
    lines, cap.fused = fuse_schedule(lines, uses, _fuser, name)  # a backend's fused elementwise kernels
    out: list[str] = []
    i = 0
    while i < len(lines):
        c = lines[i]
        i += 1
        if isinstance(c, str):
            out.append(c)
            continue
        fixed = tuple(_VAR.fullmatch(src) is not None and src in name.ns for src in c.srcs)  # folded constants
        form = None if c.op.inplace or c.var is None else kernel_form(c.op.name, c.kernel, c.args, c.result, is_fresh, fixed)
        if form is not None:  # a kernel of several NumPy calls, made by the program with its own buffers
            out.append(f"{c.var} = {name(form)}({', '.join(c.srcs)})")
            continue
        arrays = type(c.args[0] if c.op.inplace else c.result) is numpy.ndarray
        uf = _ufunc_of(c) if arrays else None
        r = c.result
        fresh = arrays and not c.op.inplace and is_fresh(r)
        if uf is None:
            direct = _numpy_form(c, name, fresh) if arrays and not c.op.inplace else None
            out.append(c.code() if direct is None else direct)
            continue
        ufn, args = name(uf), ", ".join(c.srcs)
        if c.op.inplace:
            out.append(f"{ufn}({args}{_out(uf, c.srcs[0])})")
            continue
        nxt = lines[i] if i < len(lines) else None
        if (
            isinstance(nxt, _Call) and nxt.op.name == "copy_" and nxt.srcs[1] == c.var
            and uses.get(c.var) == 1 and type(nxt.args[0]) is numpy.ndarray
            and nxt.args[0].shape == r.shape and nxt.args[0].dtype == r.dtype
        ):  # fmt: skip
            out.append(f"{ufn}({args}{_out(uf, nxt.srcs[0])})")
            i += 1
        elif fresh:
            out.append(f"{c.var} = {ufn}({args}{_out(uf, name(numpy.empty_like(r)))})")
        elif r.ndim:
            out.append(f"{c.var} = {ufn}({args})")
        else:
            out.append(c.code())
    return out


#: ufuncs whose out NumPy wants as a keyword (NumPy 2.4 deprecates a third positional argument)
_OUT_KEYWORD = (numpy.maximum, numpy.minimum, numpy.fmax, numpy.fmin)


def _out(uf: Any, buf: str) -> str:
    """A ufunc call's out argument (none when `buf` is empty): by position where NumPy allows it, which
    saves parsing a keyword at each call."""
    return "" if not buf else f", out={buf}" if any(uf is u for u in _OUT_KEYWORD) else f", {buf}"


#: NumPy's functions that permute axes (NumPy 2's `permute_dims` is its own function object)
_TRANSPOSES = (numpy.transpose, getattr(numpy, "permute_dims", numpy.transpose))


def _numpy_form(c: _Call, name: _Namer, fresh: bool) -> str | None:
    """The replay's code for a NumPy kernel call that NumPy itself can make with less Python around
    it (the same NumPy calls, so the same bits): a transpose as a view attribute, `matmul` and
    `linear` as ``numpy.matmul``, `relu` as ``numpy.maximum``, a reduction as its ufunc's ``reduce``
    (``out=`` a buffer of the program's when the result is `fresh`). None: call the kernel."""
    inner = getattr(c.kernel, "__wrapped__", c.kernel)
    func = inner.func if isinstance(inner, functools.partial) else inner
    r, a, s = c.result, c.args, c.srcs
    if any(c.kernel is t for t in _TRANSPOSES) and len(a) == 2 and type(a[0]) is numpy.ndarray:
        return f"{c.var} = {s[0]}.T" if tuple(a[1]) == tuple(range(a[0].ndim))[::-1] else f"{c.var} = {s[0]}.transpose({s[1]})"
    uf = getattr(c.kernel, "ufunc", None)
    if uf is numpy.add and len(a) == 3 and _xk.wider_accumulator(a[0].dtype) is not None:
        uf = None  # float16/bfloat16 sums accumulate in float32: the kernel's own call
    if isinstance(uf, numpy.ufunc) and len(a) == 3 and type(a[0]) is numpy.ndarray and r.dtype == a[0].dtype:
        x, axes, keepdim = a
        if not keepdim and len(axes) == x.ndim:  # a full reduction: keepdims, then a 0-d view, as the kernel does
            return f"{c.var} = {name(uf)}.reduce({s[0]}, {s[1]}, {name(x.dtype)}, None, True).reshape(())"
    if r.ndim == 0:  # NumPy gives other 0-d results as scalars; the kernels make them arrays
        return None
    buf = name(numpy.empty_like(r)) if fresh else ""
    if func is _xk.matmul and r.dtype == a[0].dtype:
        return f"{c.var} = {name(numpy.matmul)}({s[0]}, {s[1]}{_out(numpy.matmul, buf)})"
    if func is _xk.linear and r.dtype == a[0].dtype:
        code = f"{c.var} = {name(numpy.matmul)}({s[0]}, {s[1]}.T{_out(numpy.matmul, buf)})"
        return code if len(a) < 3 or a[2] is None else f"{code}; {name(numpy.add)}({c.var}, {s[2]}, {c.var})"
    if func is _xk.relu and r.dtype == a[0].dtype and r.dtype != numpy.bool_:
        return f"{c.var} = {name(numpy.maximum)}({s[0]}, 0{_out(numpy.maximum, buf)})"
    if isinstance(uf, numpy.ufunc) and len(a) == 3 and type(a[0]) is numpy.ndarray and r.dtype == a[0].dtype:
        x, axes, keepdim = a
        return f"{c.var} = {name(uf)}.reduce({s[0]}, {s[1]}, {name(x.dtype)}, {buf or 'None'}, {keepdim!r})"
    return None


class _Miss:
    """What a replay returns when a guard fails (`why` names it; `_Program.why` says more)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _out_src(d: Any, tv: list[str], syms: list[str], name: Callable[[Any], str]) -> str:
    """The expression that builds a replay's return value (`_out_desc`'s description)."""
    kind = d[0]
    if kind == "T":
        return tv[d[2]] if d[1] == "P" else f"n{d[2]}"
    if kind == "S":
        return syms[d[1]]
    if kind == "L":
        items = "".join(_out_src(v, tv, syms, name) + ", " for v in d[2])
        return f"({items})" if d[1] is tuple else f"[{items}]" if d[1] is list else f"{name(d[1])}(({items}))"
    if kind == "D":
        items = "".join(f"({name(k)}, {_out_src(v, tv, syms, name)}), " for k, v in d[2])
        return f"{name(d[1])}(({items}))"
    v = d[1]
    return repr(v) if v is None or type(v) in (bool, int, str) or (type(v) is float and math.isfinite(v)) else name(v)


def _untrace_all(v: Any) -> Any:
    """`v` with every traced number in it (in lists, tuples and dicts too) a plain one."""
    if isinstance(v, (_SymFloat, _SymInt)):
        return _plain(v)
    if type(v) in (list, tuple):
        return type(v)(map(_untrace_all, v))
    if type(v) is dict:
        return {k: _untrace_all(e) for k, e in v.items()}
    return v


def _untrace(v: Any) -> Any:
    if isinstance(v, (_SymFloat, _SymInt)):
        return _plain(v)
    if type(v) is tuple:
        return tuple(_untrace(e) for e in v)
    return v

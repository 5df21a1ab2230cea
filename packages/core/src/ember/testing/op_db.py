"""The op table of the conformance kit: one `OpInfo` per op, with sample inputs and a NumPy reference.

Every test in `ember.testing.kit` that is about "each op" is generated from `OP_DB`,
so adding an entry adds its value, gradient and kernel-contract tests on every backend.

An entry says:

- ``op``: the Ember callable, called as ``op(*args, **kwargs)`` with the sample's tensors;
- ``ref``: a NumPy reference, called the same way with NumPy arrays. References are
  written independently of Ember (they never call it) and return the *expected dtype*
  too, following PyTorch's rules (ints and bools compute in float32 for float ops,
  integer sums are int64, integer division is float32, Python scalars are weak);
- ``sample_inputs(op, make)``: the samples, built with ``make(*shape)`` which draws
  values of the dtype under test in the op's domain. Samples cover 0-d, empty,
  non-contiguous (transposed or strided views) and broadcasting inputs;
- ``dtypes`` to test values in, ``differentiable`` (gradcheck and gradgradcheck run in
  float64 on the samples marked ``grad``), ``domain`` (e.g. log needs positive
  inputs), and per-dtype tolerances.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

import ember

__all__ = [
    "Arg",
    "SampleInput",
    "OpInfo",
    "OP_DB",
    "op_by_name",
    "to_ember",
    "to_numpy",
    "make_tensor",
    "ref_result_type",
    "assert_same",
    "FLOATS",
    "INTS",
]

FLOATS = ("float32", "float64")
INTS = ("int32", "int64")
NUMERIC = FLOATS + INTS

#: (rtol, atol) per dtype name unless an entry says otherwise.
DEFAULT_TOL: dict[str, tuple[float, float]] = {
    "float16": (2e-3, 2e-3),
    "bfloat16": (1e-2, 1e-2),
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
}
#: Looser tolerances for ops whose result depends on summation order.
SUM_TOL = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)}


# --------------------------------------------------------------------------- samples


@dataclass
class Arg:
    """A tensor argument: its values (a NumPy array) and the layout of the Ember tensor made from them.

    ``layout`` is "contiguous", "transposed" (a ``.mT`` view of a contiguous tensor; 2-D or more)
    or "strided" (every other element of the last dim, a ``[..., ::2]`` view). ``grad`` marks a
    floating argument gradcheck differentiates with respect to.
    """

    array: np.ndarray
    layout: str = "contiguous"
    grad: bool = True

    def __repr__(self) -> str:
        a = self.array
        lay = "" if self.layout == "contiguous" else f", {self.layout}"
        return f"Arg({a.dtype}{list(a.shape)}{lay})"


@dataclass
class SampleInput:
    """One call: positional args and kwargs (Args become tensors), a name for messages."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    grad: bool = True  # usable for gradcheck / gradgradcheck
    #: {test name: reason}: a known limitation for this sample (the kit reports the test as xfailed
    #: after checking every other sample).
    xfail: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.name or 'sample'}({', '.join(parts)})"

    def leaves(self) -> list[Any]:
        """Every Arg and dtype in args and kwargs, nested tuples, lists and dicts included."""
        found: list[Any] = []

        def walk(obj: Any) -> None:
            if isinstance(obj, (Arg, ember.DType)):
                found.append(obj)
            elif isinstance(obj, (tuple, list)):
                for x in obj:
                    walk(x)
            elif isinstance(obj, dict):
                for x in obj.values():
                    walk(x)

        walk(self.args)
        walk(self.kwargs)
        return found

    def arrays(self) -> list[Arg]:
        return [x for x in self.leaves() if isinstance(x, Arg)]


def S(*args: Any, name: str = "", grad: bool = True, xfail: dict[str, str] | None = None, **kwargs: Any) -> SampleInput:
    return SampleInput(tuple(args), kwargs, name, grad, xfail or {})


class Maker:
    """``make(*shape, low=, high=, layout=, grad=, nonzero=)``: an `Arg` of the dtype under test."""

    def __init__(self, op: OpInfo, dtype: np.dtype, rng: np.random.Generator) -> None:
        self.op, self.dtype, self.rng = op, np.dtype(dtype), rng

    def __call__(
        self,
        *shape: int,
        low: float | None = None,
        high: float | None = None,
        layout: str = "contiguous",
        grad: bool = True,
        nonzero: bool = False,
        dtype: Any = None,
    ) -> Arg:
        dt = np.dtype(dtype) if dtype is not None else self.dtype
        rng = self.rng
        a: np.ndarray
        if dt == np.bool_:
            a = rng.random(shape) < 0.5
        elif dt.kind == "f":
            lo, hi = self.op.domain
            lo, hi = (lo if low is None else low), (hi if high is None else high)
            if nonzero:
                a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
            else:
                a = rng.uniform(lo, hi, shape)
        else:
            lo, hi = self.op.int_domain
            lo, hi = (lo if low is None else int(low)), (hi if high is None else int(high))
            if dt.kind == "u":
                lo, hi = max(lo, 0), max(hi, 2)
            a = rng.integers(lo, hi, shape)
            if nonzero:
                a = np.where(a == 0, 1, a)
        return Arg(np.asarray(a).astype(dt), layout, grad and dt.kind == "f")

    def discrete(self, *shape: int, values: Sequence[Any] = (-1, 0, 1, 2), layout: str = "contiguous") -> Arg:
        """Values from a small set (to get ties, zeros and equal elements) in the dtype under test."""
        a = self.rng.choice(np.asarray(values), shape)
        if self.dtype == np.bool_:
            a = a != 0
        return Arg(np.asarray(a).astype(self.dtype), layout, False)

    def array(self, values: Any, layout: str = "contiguous", grad: bool = True) -> Arg:
        a = np.asarray(values).astype(self.dtype)
        return Arg(a, layout, grad and self.dtype.kind == "f")

    def index(self, values: Any) -> Arg:
        return Arg(np.asarray(values, dtype=np.int64), grad=False)

    def mask(self, *shape: int) -> Arg:
        m = self.rng.random(shape) < 0.5
        if m.size:
            m.flat[0], m.flat[-1] = True, False
        return Arg(m, grad=False)

    def scalar(self, value: float) -> Any:
        """A Python scalar of the dtype's kind (int for int dtypes, bool for bool)."""
        if self.dtype == np.bool_:
            return bool(value)
        return int(value) if self.dtype.kind in "iu" else float(value)


@dataclass
class OpInfo:
    name: str
    op: Callable[..., Any]
    ref: Callable[..., Any]
    sample_inputs: Callable[[OpInfo, Maker], list[SampleInput]]
    dtypes: tuple[str, ...] = FLOATS
    differentiable: bool = True
    gradgrad: bool = True
    domain: tuple[float, float] = (-2.0, 2.0)
    int_domain: tuple[int, int] = (-5, 6)
    tol: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: {(test name, dtype name or "*"): reason}: known limitations, marked xfail by the kit.
    xfails: dict[tuple[str, str], str] = field(default_factory=dict)
    #: test float16 too wherever float32 is tested (a backend without float16 skips those)
    half: bool = True

    def __post_init__(self) -> None:
        if self.half and "float32" in self.dtypes and "float16" not in self.dtypes:
            self.dtypes = (*self.dtypes, "float16")

    def tolerance(self, dtype: str) -> tuple[float, float]:
        return self.tol.get(dtype, DEFAULT_TOL.get(dtype, (0.0, 0.0)))

    def samples(self, dtype: str, *, grad_only: bool = False) -> list[SampleInput]:
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/{dtype}".encode()))
        out = self.sample_inputs(self, Maker(self, np.dtype(dtype), rng))
        return [s for s in out if s.grad] if grad_only else out

    def xfail_reason(self, test: str, dtype: str) -> str | None:
        return self.xfails.get((test, dtype)) or self.xfails.get((test, "*"))


# --------------------------------------------------------------------------- harness


def make_tensor(array: np.ndarray, device: Any, layout: str = "contiguous", requires_grad: bool = False) -> Any:
    """An Ember tensor on `device` with `array`'s values, laid out as asked."""
    a = np.asarray(array)
    if layout == "transposed" and a.ndim >= 2:
        t = ember.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), device=device).mT
    elif layout == "strided" and a.ndim >= 1:
        base = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        base[..., ::2] = a
        t = ember.tensor(base, device=device)[..., ::2]
    else:
        t = ember.tensor(a, device=device)
    if requires_grad:
        t = t.detach().requires_grad_()
    return t


def to_ember(obj: Any, device: Any, requires_grad: bool = False) -> Any:
    """Args (also inside tuples, lists and dicts) as Ember tensors; everything else as is."""
    if isinstance(obj, Arg):
        return make_tensor(obj.array, device, obj.layout, requires_grad and obj.grad and obj.array.dtype.kind == "f")
    if isinstance(obj, tuple):
        return tuple(to_ember(x, device, requires_grad) for x in obj)
    if isinstance(obj, list):
        return [to_ember(x, device, requires_grad) for x in obj]
    if isinstance(obj, dict):
        return {k: to_ember(v, device, requires_grad) for k, v in obj.items()}
    return obj


def to_numpy(obj: Any) -> Any:
    """Args (also nested) as fresh NumPy arrays, for the reference."""
    if isinstance(obj, Arg):
        return obj.array.copy()
    if isinstance(obj, tuple):
        return tuple(to_numpy(x) for x in obj)
    if isinstance(obj, list):
        return [to_numpy(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    return obj


def assert_same(actual: Any, expected: Any, tol: Callable[[str], tuple[float, float]], what: str = "") -> None:
    """An Ember result (tensor or tuple of them) against a NumPy one: shape, dtype, then values.

    `tol(dtype name)` gives (rtol, atol) for a floating result of that dtype.
    """
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{what}: expected a tuple of {len(expected)} results, got {actual!r}"
        assert len(actual) == len(expected), f"{what}: expected {len(expected)} results, got {len(actual)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, tol, f"{what}[{i}]")
        return
    exp = np.asarray(expected)
    assert isinstance(actual, ember.Tensor), f"{what}: expected a Tensor, got {type(actual).__name__}"
    assert tuple(actual.shape) == exp.shape, f"{what}: shape {tuple(actual.shape)}, expected {exp.shape}"
    assert actual.dtype.numpy == exp.dtype, f"{what}: dtype {actual.dtype.name}, expected {exp.dtype}"
    got = np.asarray(actual.detach().numpy())
    assert got.shape == exp.shape, f"{what}: the native array has shape {got.shape} but the tensor says {exp.shape}"
    assert got.dtype == exp.dtype, f"{what}: the native array has dtype {got.dtype} but the tensor says {exp.dtype}"
    if exp.dtype.kind in "fc":
        rtol, atol = tol(exp.dtype.name)
        np.testing.assert_allclose(got, exp, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got, exp, err_msg=what)


# --------------------------------------------------------------------------- PyTorch's type promotion, independently

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
DEFAULT_FLOAT = np.dtype(np.float32)


def _promote2(a: np.dtype, b: np.dtype) -> np.dtype:
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    if a.kind == "f":
        return a if a.itemsize >= b.itemsize else b
    return np.promote_types(a, b)  # bool/bool, and integer pairs (uint8 + int8 -> int16) as PyTorch


def ref_result_type(*operands: Any) -> np.dtype:
    """PyTorch's result_type for NumPy arrays (n-d, 0-d) and Python scalars (weak)."""
    groups: list[list[np.dtype]] = [[], [], []]  # dimensioned tensors, 0-d tensors, Python scalars
    for x in operands:
        if isinstance(x, np.ndarray):
            groups[0 if x.ndim else 1].append(x.dtype)
        elif isinstance(x, (bool, np.bool_)):
            groups[2].append(np.dtype(np.bool_))
        elif isinstance(x, int):
            groups[2].append(np.dtype(np.int64))
        elif isinstance(x, float):
            groups[2].append(DEFAULT_FLOAT)
    result: np.dtype | None = None
    for group in groups:
        if not group:
            continue
        d = group[0]
        for other in group[1:]:
            d = _promote2(d, other)
        if result is None or _CATEGORY[d.kind] > _CATEGORY[result.kind]:
            result = d
    assert result is not None
    return result


def _cast(x: Any, dt: np.dtype) -> Any:
    return x.astype(dt) if isinstance(x, np.ndarray) else x


def _float(x: np.ndarray) -> np.ndarray:
    """Ints and bools compute in the default float (float32), like PyTorch's float ops."""
    return x if x.dtype.kind == "f" else x.astype(DEFAULT_FLOAT)


def _quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)

    ref.__name__ = getattr(fn, "__name__", "ref")
    return ref


# --------------------------------------------------------------------------- sample generators


def unary_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(), name="0-d"),
        S(make(0), name="empty"),
        S(make(0, 3), name="empty-2d"),
        S(make(5), name="1-d"),
        S(make(2, 3), name="2-d"),
        S(make(3, 2, layout="transposed"), name="transposed"),
        S(make(2, 4, layout="strided"), name="strided"),
    ]


def _special_values(op: OpInfo, make: Maker) -> list[SampleInput]:
    if make.dtype.kind != "f":
        return []
    vals = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 50.0, -50.0, 1e-30]
    return [S(make.array(vals), name="special", grad=False)]


def unary_special_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return unary_samples(op, make) + _special_values(op, make)


def rounding_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = unary_samples(op, make)
    if make.dtype.kind == "f":
        out.append(S(make.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51, 3.7, -3.7]), name="halves", grad=False))
    return out


def binary_samples(op: OpInfo, make: Maker, *, scalars: bool = True, nonzero_rhs: bool = False) -> list[SampleInput]:
    def rhs(*shape: int, **kw: Any) -> Arg:
        return make(*shape, nonzero=nonzero_rhs, **kw)

    out = [
        S(make(2, 3), rhs(2, 3), name="same-shape"),
        S(make(2, 3), rhs(3), name="broadcast-row"),
        S(make(2, 1), rhs(1, 3), name="broadcast-both"),
        S(make(3, 1, 2), rhs(2, 2), name="broadcast-rank"),
        S(make(), rhs(2, 2), name="0-d-lhs"),
        S(make(2, 2), rhs(), name="0-d-rhs"),
        S(make(), rhs(), name="0-d-both"),
        S(make(0, 3), rhs(3), name="empty"),
        S(make(3, 2, layout="transposed"), rhs(3, 2, layout="strided"), name="non-contiguous"),
    ]
    if scalars:
        k = 2 if nonzero_rhs else 3
        out += [
            S(make(2, 3), make.scalar(k), name="python-scalar-same-kind"),
            S(make(2, 3), k, name="python-int"),
            S(make(2, 3), 2.5, name="python-float"),
            S(1.5 if not nonzero_rhs else 2.5, rhs(2, 3), name="python-float-lhs"),
            S(make(2, 3), True, name="python-bool") if not nonzero_rhs else S(make(3), 1.5, name="python-float-2"),
        ]
    return out


def _binary_samples_nonzero(op: OpInfo, make: Maker) -> list[SampleInput]:
    return binary_samples(op, make, nonzero_rhs=True)


def _binary_samples_tensors(op: OpInfo, make: Maker) -> list[SampleInput]:
    return binary_samples(op, make, scalars=False) + (
        [S(make.array([np.nan, 1.0, -np.inf]), make.array([0.0, np.nan, 2.0]), name="nan", grad=False)]
        if make.dtype.kind == "f"
        else []
    )


def comparison_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    out = [
        S(d(2, 3), d(2, 3), name="same-shape"),
        S(d(2, 3), d(3), name="broadcast"),
        S(d(), d(2, 2), name="0-d"),
        S(d(0, 3), d(3), name="empty"),
        S(d(3, 2, layout="transposed"), d(3, 2, layout="strided"), name="non-contiguous"),
        S(d(2, 3), make.scalar(1), name="python-scalar"),
        S(d(2, 3), 0.5, name="python-float"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([np.nan, 1.0, np.inf]), make.array([np.nan, np.nan, np.inf]), name="nan"))
    return out


def logical_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(2, 3, values=(0, 1, 2)), d(2, 3, values=(0, 1, 2)), name="same-shape"),
        S(d(2, 3, values=(0, 1)), d(3, values=(0, 1)), name="broadcast"),
        S(d(values=(0, 1)), d(2, 2, values=(0, 1)), name="0-d"),
        S(d(0, 3, values=(0, 1)), d(3, values=(0, 1)), name="empty"),
        S(d(3, 2, values=(0, 1), layout="transposed"), d(3, 2, values=(0, 1), layout="strided"), name="non-contiguous"),
        S(d(2, 3, values=(0, 1)), True, name="python-bool"),
    ]


def logical_not_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(values=(0, 1)), name="0-d"),
        S(d(0, values=(0, 1)), name="empty"),
        S(d(2, 3, values=(0, 1, 2)), name="2-d"),
        S(d(3, 2, values=(0, 1), layout="transposed"), name="transposed"),
    ]


def reduction_samples(op: OpInfo, make: Maker, *, empty: bool = True, zero_d: bool = True) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), dim=1, name="dim"),
        S(make(2, 3, 2), dim=-1, keepdim=True, name="dim-keepdim"),
        S(make(2, 3, 2), dim=(0, 2), name="dims"),
        S(make(2, 3, 2), dim=(0, 1), keepdim=True, name="dims-keepdim"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(2, 4, layout="strided"), dim=1, name="strided"),
    ]
    if zero_d:
        out += [S(make(), name="0-d"), S(make(), dim=0, name="0-d-dim")]
    if empty:
        out += [S(make(0, 3), dim=1, name="empty-kept"), S(make(0, 3), dim=0, name="empty-reduced")]
    return out


def _axis(x: np.ndarray, dim: Any) -> Any:
    """NumPy's axis for a PyTorch dim (0-d tensors accept dim 0 and -1)."""
    if x.ndim == 0 or dim is None:
        return None
    return dim


def _int64_for_ints(x: np.ndarray) -> np.dtype:
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)


# --------------------------------------------------------------------------- references


def _unary_float(fn: Callable[..., Any]) -> Callable[..., Any]:
    @_quiet
    def ref(x: np.ndarray) -> np.ndarray:
        x = _float(x)
        return np.asarray(fn(x)).astype(x.dtype)

    return ref


def _unary_same(fn: Callable[..., Any]) -> Callable[..., Any]:
    @_quiet
    def ref(x: np.ndarray) -> np.ndarray:
        return np.asarray(fn(x)).astype(x.dtype)

    return ref


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64)) if x.size else x.astype(np.float64)


def _binary(fn: Callable[..., Any], kind: str = "arith") -> Callable[..., Any]:
    """A binary reference: promote as PyTorch, then compute with `fn` in the result dtype."""

    @_quiet
    def ref(a: Any, b: Any, **kwargs: Any) -> np.ndarray:
        dt = ref_result_type(a, b)
        if kind == "div" and dt.kind != "f":
            dt = DEFAULT_FLOAT
        if kind == "logic":
            return np.asarray(fn(np.asarray(a).astype(bool), np.asarray(b).astype(bool)), dtype=bool)
        out = np.asarray(fn(_cast(a, dt), _cast(b, dt), **kwargs))
        return out.astype(bool) if kind == "cmp" else out.astype(dt)

    return ref


def _add(a: Any, b: Any, alpha: Any = 1) -> Any:
    if np.result_type(a, b) == np.bool_:
        return np.logical_or(a, b)
    return a + (b * alpha if alpha != 1 else b)


def _sub(a: Any, b: Any, alpha: Any = 1) -> Any:
    return a - (b * alpha if alpha != 1 else b)


def _mul(a: Any, b: Any) -> Any:
    if np.result_type(a, b) == np.bool_:
        return np.logical_and(a, b)
    return a * b


@_quiet
def _ref_where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    dt = ref_result_type(a, b)
    return np.asarray(np.where(cond, _cast(a, dt), _cast(b, dt))).astype(dt)


@_quiet
def _ref_clamp(x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
    dt = ref_result_type(*(v for v in (x, min, max) if v is not None))
    out = x.astype(dt)
    if min is not None:
        out = np.where(out < min, _cast(min, dt), out)
    if max is not None:
        out = np.where(out > max, _cast(max, dt), out)
    return np.asarray(out).astype(dt)


@_quiet
def _ref_sum(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.asarray(np.sum(x, axis=_axis(x, dim), keepdims=keepdim and x.ndim > 0, dtype=_int64_for_ints(x)))


@_quiet
def _ref_prod(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.asarray(np.prod(x, axis=_axis(x, dim), keepdims=keepdim and x.ndim > 0, dtype=_int64_for_ints(x)))


@_quiet
def _ref_mean(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    out = np.mean(x.astype(np.float64), axis=_axis(x, dim), keepdims=keepdim and x.ndim > 0)
    return np.asarray(out).astype(x.dtype)


def _ref_var_like(root: bool) -> Callable[..., Any]:
    @_quiet
    def ref(x: np.ndarray, dim: Any = None, *, correction: int = 1, keepdim: bool = False) -> np.ndarray:
        out = np.var(x.astype(np.float64), axis=_axis(x, dim), ddof=correction, keepdims=keepdim and x.ndim > 0)
        return np.asarray(np.sqrt(out) if root else out).astype(x.dtype)

    return ref


def _ref_extreme(fn: Callable[..., Any]) -> Callable[..., Any]:
    @_quiet
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(fn(x, axis=_axis(x, dim), keepdims=keepdim and x.ndim > 0)).astype(x.dtype)

    return ref


def _ref_max_min(largest: bool) -> Callable[..., Any]:
    @_quiet
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return np.asarray(np.max(x) if largest else np.min(x))
        idx = _ref_arg(largest)(x, dim, keepdim=True)
        if x.ndim == 0:
            return (x.copy(), np.asarray(0, dtype=np.int64))
        vals = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals, idx = np.squeeze(vals, dim), np.squeeze(idx, dim)
        return (np.asarray(vals), np.asarray(idx))

    return ref


def _ref_arg(largest: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        fn = np.argmax if largest else np.argmin
        if dim is None or x.ndim == 0:
            out = np.asarray(fn(x), dtype=np.int64)
            return out.reshape((1,) * x.ndim) if keepdim else out
        return np.asarray(fn(x, axis=dim, keepdims=keepdim), dtype=np.int64)

    return ref


def _ref_all_any(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(fn(x, axis=_axis(x, dim), keepdims=keepdim and x.ndim > 0), dtype=bool)

    return ref


@_quiet
def _ref_logsumexp(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    xf = _float(x)
    x64 = xf.astype(np.float64)
    axis = _axis(x, dim)
    if x64.size == 0:
        m = np.zeros(np.sum(x64, axis=axis, keepdims=True).shape)
    else:
        m = np.max(x64, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x64 - m), axis=axis, keepdims=True)) + m
    if not keepdim or x.ndim == 0:
        out = out.reshape(np.sum(x64, axis=axis).shape)
    return np.asarray(out).astype(xf.dtype)


def _ref_cumsum(x: np.ndarray, dim: int) -> np.ndarray:
    dt = _int64_for_ints(x)
    if x.ndim == 0:
        return x.astype(dt)
    return np.asarray(np.cumsum(x, axis=dim, dtype=dt))


def _ref_softmax(log: bool) -> Callable[..., Any]:
    @_quiet
    def ref(x: np.ndarray, dim: int, dtype: Any = None) -> np.ndarray:
        out_dt = np.dtype(dtype.numpy) if dtype is not None else _float(x).dtype
        x64 = x.astype(np.float64)
        axis = _axis(x, dim)
        m = np.max(x64, axis=axis, keepdims=True) if x64.size else np.zeros_like(x64)
        e = np.exp(x64 - m)
        s = np.sum(e, axis=axis, keepdims=True)
        out = (x64 - m - np.log(s)) if log else e / s
        return np.asarray(out).astype(out_dt)

    return ref


def _ref_split(x: np.ndarray, split_size_or_sections: Any, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
    cuts = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, cuts, axis=dim))


def _ref_chunk(x: np.ndarray, chunks: int, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    size = max(-(-n // chunks), 1)
    return _ref_split(x, size, dim)


def _ref_roll(x: np.ndarray, shifts: Any, dims: Any = None) -> np.ndarray:
    return np.roll(x, shifts, axis=dims)


def _ref_gather(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    dim = dim % max(x.ndim, 1)
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _ref_scatter(add: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: int, index: np.ndarray, src: Any = None, *, value: Any = None) -> np.ndarray:
        dim = dim % max(x.ndim, 1)
        out = x.copy()
        src = src if src is not None else value
        for pos in np.ndindex(*index.shape):
            dst = list(pos)
            dst[dim] = index[pos]
            v = src[pos] if isinstance(src, np.ndarray) else src
            if add:
                out[tuple(dst)] += v
            else:
                out[tuple(dst)] = v
        return out

    return ref


def _ref_setitem(x: np.ndarray, key: Any, value: Any) -> np.ndarray:
    out = x.copy()
    out[key] = value
    return out


def _ember_setitem(x: Any, key: Any, value: Any) -> Any:
    out = x.clone()
    out[key] = value
    return out


def _ref_masked_fill(x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    return np.asarray(np.where(mask, np.asarray(value).astype(x.dtype), x)).astype(x.dtype)


def _ref_sort(x: np.ndarray, dim: int = -1, descending: bool = False) -> tuple[np.ndarray, np.ndarray]:
    idx = _ref_argsort(x, dim, descending)
    if x.ndim == 0:
        return x.copy(), idx
    return np.take_along_axis(x, idx, axis=dim), idx


def _ref_argsort(x: np.ndarray, dim: int = -1, descending: bool = False) -> np.ndarray:
    if x.ndim == 0:
        return np.asarray(0, dtype=np.int64)
    key = x
    if descending:  # stable descending: sort the negated keys ascending (exact for ints and floats)
        if x.dtype.kind == "f":  # nan counts as the largest
            key = np.where(np.isnan(x), -np.inf, -x.astype(np.float64))
        else:
            key = -x.astype(np.int64)
    return np.argsort(key, axis=dim, kind="stable").astype(np.int64)


def _ref_topk(x: np.ndarray, k: int, dim: int = -1, largest: bool = True) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim == 0:
        return x.copy(), np.asarray(0, dtype=np.int64)
    idx = _ref_argsort(x, dim, descending=largest)
    idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


def _ref_tri(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, diagonal: int = 0) -> np.ndarray:
        return np.asarray(fn(x, k=diagonal)).astype(x.dtype)

    return ref


def _ref_index_select(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    return np.take(x, index.reshape(-1), axis=dim)


def _ref_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.matmul(a, b))


def _ref_pow(a: Any, b: Any) -> Any:
    return np.power(a, b)


# --------------------------------------------------------------------------- sample generators per family


def _clamp_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    s = make.scalar
    return [
        S(make(2, 3), min=s(-1), max=s(1), name="both"),
        S(make(2, 3), min=s(0), name="min"),
        S(make(2, 3), max=s(0), name="max"),
        S(make(), min=s(-1), max=s(1), name="0-d"),
        S(make(0, 2), min=s(0), name="empty"),
        S(make(3, 2, layout="transposed"), min=s(-1), max=s(1), name="transposed"),
        S(make(2, 3), min=make(3), max=make(2, 1, low=2.5, high=3), name="tensor-bounds"),
    ]


def _pow_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    if make.dtype.kind == "f":
        return [
            S(make(2, 3), make(2, 3, low=-2, high=2), name="tensor-tensor"),
            S(make(2, 3), make(3, low=-2, high=2), name="broadcast"),
            S(make(2, 3), 2, name="square"),
            S(make(2, 3), 0.5, name="sqrt"),
            S(make(2, 3), -1.5, name="negative-float"),
            S(make(), 3, name="0-d"),
            S(make(0, 3), 2, name="empty"),
            S(2.0, make(2, 3, low=-2, high=2), name="scalar-base"),
            S(make(3, 2, layout="transposed"), make(3, 2, layout="strided"), name="non-contiguous"),
        ]
    return [
        S(make(2, 3, low=-3, high=4), make(2, 3, low=0, high=4), name="tensor-tensor"),
        S(make(2, 3, low=-3, high=4), 2, name="square"),
        S(make(2, 3, low=-3, high=4), 0.5, name="float-exponent", grad=False),
        S(2, make(2, 3, low=0, high=5), name="scalar-base"),
        S(make(), 3, name="0-d"),
    ]


def _where_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    m = make.mask
    return [
        S(m(2, 3), make(2, 3), make(2, 3), name="same-shape"),
        S(m(2, 3), make(3), make(2, 1), name="broadcast"),
        S(m(3), make(2, 3), make(), name="broadcast-0-d"),
        S(m(2, 3), make(2, 3), make.scalar(0), name="scalar-other"),
        S(m(2, 3), 1.5, make(2, 3), name="python-float"),
        S(m(0, 3), make(0, 3), make(3), name="empty"),
        S(m(3, 2), make(3, 2, layout="transposed"), make(3, 2, layout="strided"), name="non-contiguous"),
    ]


def _sum_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return reduction_samples(op, make)


_PROD_TWO_ZEROS = (
    "prod's derivative (core's _prod_vjp) is not differentiable where two or more elements are 0: "
    "the second derivative there comes out 0 instead of the product of the other elements"
)


def _prod_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = reduction_samples(op, make)
    if make.dtype.kind == "f":
        out += [
            S(make.array([[1.5, 0.0, 2.0], [0.5, -1.0, 0.7]]), dim=1, name="one-zero"),
            S(
                make.array([[1.5, 0.0, 2.0], [0.5, 0.0, 0.7]]),
                name="two-zeros",
                xfail={"gradgradcheck": _PROD_TWO_ZEROS},
            ),
        ]
    return out


def _var_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), dim=1, name="dim"),
        S(make(2, 3, 2), dim=(0, 2), keepdim=True, name="dims-keepdim"),
        S(make(2, 3, 2), dim=-1, correction=0, name="correction-0"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(3, 1), dim=1, name="single-element", grad=False),
        S(make(0, 3), dim=1, name="empty-kept", grad=False),
    ]


def _extreme_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = reduction_samples(op, make, empty=False)
    out.append(S(make(0, 3), dim=1, name="empty-kept"))
    if make.dtype.kind == "f":
        out.append(S(make.array([[1.0, np.nan, 2.0], [3.0, 0.5, -1.0]]), dim=1, name="nan", grad=False))
    return out


def _max_dim_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), 1, name="dim"),
        S(make(2, 3, 2), -1, True, name="dim-keepdim"),
        S(make(3, 2, layout="transposed"), 0, name="transposed"),
        S(make(), name="0-d"),
        S(make(), 0, name="0-d-dim"),
        S(make(0, 3), 1, name="empty-kept"),
    ]
    if make.dtype.kind != "f":
        out.append(S(make.discrete(3, 4, values=(0, 1)), 1, name="ties-first-index"))
    return out


def _arg_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), name="flat"),
        S(make(2, 3, 2), dim=1, name="dim"),
        S(make(2, 3, 2), dim=-1, keepdim=True, name="dim-keepdim"),
        S(make(2, 3), keepdim=True, name="flat-keepdim"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(), name="0-d"),
        S(make.discrete(3, 4, values=(0, 1)), dim=1, name="ties-first-index"),
    ]


def _all_any_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(2, 3, 2, values=(0, 1)), name="all-dims"),
        S(d(2, 3, 2, values=(0, 1)), dim=1, name="dim"),
        S(d(2, 3, 2, values=(0, 1)), dim=(0, 2), keepdim=True, name="dims-keepdim"),
        S(make.array(np.ones((2, 3))), dim=1, name="all-true"),
        S(make.array(np.zeros((2, 3))), name="all-false"),
        S(d(values=(0, 1)), name="0-d"),
        S(make.array(np.zeros((0, 3))), name="empty"),
        S(make.array(np.zeros((0, 3))), dim=0, name="empty-reduced"),
        S(d(3, 2, values=(0, 1), layout="transposed"), dim=0, name="transposed"),
    ]


def _logsumexp_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), 1, name="dim"),
        S(make(2, 3, 2), (0, 2), name="dims"),
        S(make(2, 3, 2), -1, True, name="keepdim"),
        S(make(), 0, name="0-d"),
        S(make(0, 3), 1, name="empty-kept"),
        S(make(3, 2, layout="transposed"), 0, name="transposed"),
    ]
    if make.dtype.kind == "f":
        out += [
            S(make.array([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]]), 1, name="large"),
            S(make.array([[-np.inf, -np.inf], [0.0, -np.inf]]), 1, name="minus-inf", grad=False),
        ]
    return out


def _cumsum_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 0, name="dim-0"),
        S(make(2, 3), -1, name="dim-last"),
        S(make(2, 3, 2), 1, name="3-d"),
        S(make(), 0, name="0-d"),
        S(make(0, 3), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
    ]


def _reshape_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), (3, 4), name="2-d"),
        S(make(2, 3, 2), (-1,), name="flat"),
        S(make(2, 3, 2), (2, -1), name="infer"),
        S(make(), (1,), name="0-d-to-1"),
        S(make(1, 1), (), name="to-0-d"),
        S(make(0, 3), (3, 0), name="empty"),
        S(make(6), (2, 3), name="1-d"),
        S(make(3, 2, layout="transposed"), (3, 2, 1), name="transposed-new-dim"),
    ]
    if op.name == "reshape":
        out.append(S(make(3, 4, layout="transposed"), (12,), name="transposed-copy"))
    return out


def _permute_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), (2, 0, 1), name="3-d"),
        S(make(2, 3, 2), (-1, 0, 1), name="negative"),
        S(make(2, 3), (0, 1), name="identity"),
        S(make(), (), name="0-d"),
        S(make(0, 3), (1, 0), name="empty"),
        S(make(3, 2, layout="transposed"), (1, 0), name="transposed"),
    ]


def _transpose_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), 0, 2, name="3-d"),
        S(make(2, 3), -1, -2, name="negative"),
        S(make(4), 0, 0, name="1-d"),
        S(make(), 0, -1, name="0-d"),
        S(make(0, 3), 0, 1, name="empty"),
        S(make(3, 2, layout="transposed"), 0, 1, name="transposed"),
    ]


def _T_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [S(make(2, 3), name="2-d"), S(make(3, 2, layout="transposed"), name="transposed"), S(make(0, 2), name="empty")]
    if op.name == "T":
        out += [S(make(), name="0-d"), S(make(4), name="1-d")]
    else:
        out += [S(make(2, 3, 2), name="batched")]
    return out


def _squeeze_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(1, 3, 1, 2), name="all"),
        S(make(1, 3, 1, 2), 0, name="dim"),
        S(make(1, 3, 1, 2), 1, name="dim-not-1"),
        S(make(1, 3, 1, 2), (0, 2), name="dims"),
        S(make(), name="0-d"),
        S(make(1, 0), name="empty"),
        S(make(3, 1, layout="transposed"), name="transposed"),
    ]


def _unsqueeze_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 0, name="front"),
        S(make(2, 3), -1, name="back"),
        S(make(2, 3), 1, name="middle"),
        S(make(), 0, name="0-d"),
        S(make(0, 2), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
    ]


def _expand_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 1), (3, 4), name="2-d"),
        S(make(3, 1), (2, 3, 4), name="new-dim"),
        S(make(3, 1), (-1, 2), name="keep"),
        S(make(), (2, 2), name="0-d"),
        S(make(1, 3), (0, 3), name="to-empty"),
        S(make(1, 4, layout="strided"), (2, 4), name="strided"),
    ]


def _flatten_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), 1, name="start"),
        S(make(2, 3, 2), 0, 1, name="start-end"),
        S(make(), name="0-d"),
        S(make(0, 3), name="empty"),
        S(make(3, 2, layout="transposed"), name="transposed"),
    ]


def _unflatten_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 6), 1, (2, 3), name="2-d"),
        S(make(6), 0, (-1, 2), name="infer"),
        S(make(2, 0), 1, (0, 5), name="empty"),
        S(make(4, 2, layout="transposed"), 0, (2, 2), name="transposed"),
    ]


def _cat_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S([make(2, 3), make(1, 3)], 0, name="dim-0"),
        S([make(2, 1), make(2, 3), make(2, 2)], 1, name="three"),
        S([make(2, 3), make(2, 3)], -1, name="negative-dim"),
        S([make(2, 3)], 0, name="single"),
        S([make(0, 3), make(2, 3)], 0, name="empty-part"),
        S([make(3, 2, layout="transposed"), make(1, 2)], 0, name="non-contiguous"),
    ]


def _stack_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S([make(2, 3), make(2, 3)], 0, name="dim-0"),
        S([make(2, 3), make(2, 3), make(2, 3)], -1, name="last"),
        S([make(2, 3), make(2, 3)], 1, name="middle"),
        S([make(), make()], 0, name="0-d"),
        S([make(0, 2), make(0, 2)], 1, name="empty"),
        S([make(3, 2, layout="transposed"), make(3, 2)], 0, name="non-contiguous"),
    ]


def _split_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    if op.name == "chunk":
        return [
            S(make(5, 2), 2, name="uneven"),
            S(make(5, 2), 3, name="three"),
            S(make(6), 4, name="fewer-than-asked"),
            S(make(2, 5), 2, 1, name="dim-1"),
            S(make(3, 2, layout="transposed"), 3, name="transposed"),
            S(make(0, 2), 2, name="empty"),
        ]
    return [
        S(make(5, 2), 2, name="size"),
        S(make(5, 2), [1, 4], name="sections"),
        S(make(2, 5), 2, 1, name="dim-1"),
        S(make(2, 5), [0, 2, 3], -1, name="empty-section"),
        S(make(0, 2), 2, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
    ]


def _flip_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), (0,), name="dim-0"),
        S(make(2, 3, 2), (0, 2), name="dims"),
        S(make(2, 3), (-1,), name="negative"),
        S(make(0, 3), (1,), name="empty"),
        S(make(3, 2, layout="transposed"), (0, 1), name="transposed"),
    ]


def _roll_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(5), 2, name="1-d"),
        S(make(2, 3), 1, 0, name="dim"),
        S(make(2, 3), (1, -1), (0, 1), name="dims"),
        S(make(2, 3), 4, name="flattened"),
        S(make(2, 3), -7, 1, name="large-negative"),
        S(make(0, 3), 1, 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, 1, name="transposed"),
    ]


def _tri_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), name="2-d"),
        S(make(3, 4), 1, name="above"),
        S(make(3, 4), -1, name="below"),
        S(make(2, 3, 3), name="batched"),
        S(make(0, 3), name="empty"),
        S(make(3, 3, layout="transposed"), name="transposed"),
    ]


def _getitem_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    x = make
    idx = make.index
    return [
        S(x(4, 3), 1, name="int"),
        S(x(4, 3), -1, name="negative-int"),
        S(x(4, 3), (2, 1), name="ints"),
        S(x(4, 3), slice(1, None), name="slice"),
        S(x(4, 3), (slice(None), slice(0, 3, 2)), name="step"),
        S(x(4, 3), (slice(3, 1),), name="empty-slice"),
        S(x(4, 3), (None, 1), name="none"),
        S(x(2, 3, 2), (Ellipsis, 0), name="ellipsis"),
        S(x(2, 3, 2), (1, Ellipsis, None), name="int-ellipsis-none"),
        S(x(4, 3), idx([2, 0, -1]), name="int-tensor"),
        S(x(4, 3), idx([[0, 1], [3, 3]]), name="int-tensor-2d"),
        S(x(4, 3), (slice(None), idx([0, 2])), name="slice-int-tensor"),
        S(x(4, 3), (idx([0, 1]), idx([1, 2])), name="paired-int-tensors"),
        S(x(4, 3), [0, 2], name="list"),
        S(x(4, 3), make.mask(4, 3), name="bool-mask"),
        S(x(4, 3), make.mask(4), name="bool-mask-dim-0"),
        S(x(), (None,), name="0-d-none"),
        S(x(), Ellipsis, name="0-d-ellipsis"),
        S(x(4, 3, layout="transposed"), (slice(1, 3), 0), name="transposed"),
        S(x(2, 6, layout="strided"), (1, slice(None, None, 2)), name="strided"),
    ]


def _setitem_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    x = make
    return [
        S(x(4, 3), 1, make.scalar(5), name="int-scalar"),
        S(x(4, 3), slice(1, 3), x(3), name="slice-broadcast"),
        S(x(4, 3), (slice(None), 0), x(4), name="column"),
        S(x(4, 3), Ellipsis, x(3), name="ellipsis"),
        S(x(4, 3), make.mask(4, 3), make.scalar(0), name="bool-mask"),
        S(x(4, 3), make.index([0, 2]), x(2, 3), name="int-tensor"),
        S(x(4, 3, layout="transposed"), (0, slice(None)), x(3), name="transposed"),
        S(x(), Ellipsis, make.scalar(2), name="0-d"),
        S(x(0, 3), slice(None), x(3), name="empty"),
    ]


def _gather_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    return [
        S(make(3, 4), 1, make.index(rng.integers(0, 4, (3, 2))), name="dim-1"),
        S(make(3, 4), 0, make.index(rng.integers(0, 3, (2, 4))), name="dim-0"),
        S(make(3, 4), -1, make.index(rng.integers(0, 4, (2, 5))), name="smaller-and-repeats"),
        S(make(3, 4), 1, make.index(np.zeros((3, 0))), name="empty"),
        S(make(4, 3, layout="transposed"), 0, make.index(rng.integers(0, 4, (2, 3))), name="transposed"),
    ]


def _take_along_dim_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    return [
        S(make(3, 4), make.index(rng.integers(0, 4, (3, 2))), 1, name="dim-1"),
        S(make(3, 4), make.index(rng.integers(0, 3, (2, 4))), -2, name="dim-0"),
        S(make(3, 4), make.index(rng.integers(0, 4, (1, 5))), 1, name="broadcast-indices"),
        S(make(1, 4), make.index(rng.integers(0, 4, (3, 2))), 1, name="broadcast-input"),
        S(make(3, 4), make.index(rng.integers(0, 12, (5,))), name="flattened"),
        S(make(4, 3, layout="transposed"), make.index(rng.integers(0, 4, (2, 3))), 0, name="transposed"),
        S(make(3, 4), make.index(np.zeros((3, 0))), 1, name="empty"),
    ]


def _ref_take_along_dim(x: np.ndarray, idx: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return np.take_along_axis(x.reshape(-1), idx.reshape(-1), 0)
    shape = np.broadcast_shapes(*[tuple(1 if d == dim % x.ndim else s for d, s in enumerate(a.shape)) for a in (x, idx)])
    ax = dim % x.ndim
    xb = np.broadcast_to(x, tuple(x.shape[d] if d == ax else s for d, s in enumerate(shape)))
    ib = np.broadcast_to(idx, tuple(idx.shape[d] if d == ax else s for d, s in enumerate(shape)))
    return np.take_along_axis(xb, ib, ax)


def _unique_index(rng: np.random.Generator, n: int, shape: tuple[int, int], dim: int) -> np.ndarray:
    """An index without repeats along `dim` (scatter's result is otherwise unspecified)."""
    lines = shape[1 - dim]
    cols = [rng.permutation(n)[: shape[dim]] for _ in range(lines)]
    a = np.stack(cols, axis=1 - dim)
    return a.astype(np.int64)


def _scatter_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng
    idx = make.index
    if op.name == "scatter_add":
        return [
            S(make(3, 4), 1, idx(rng.integers(0, 4, (3, 3))), make(3, 3), name="dim-1-repeats"),
            S(make(3, 4), 0, idx(rng.integers(0, 3, (2, 4))), make(2, 4), name="dim-0"),
            S(make(3, 4), -1, idx(rng.integers(0, 4, (2, 2))), make(2, 3), name="src-larger"),
            S(make(3, 4), 1, idx(np.zeros((3, 0))), make(3, 0), name="empty"),
            S(make(4, 3, layout="transposed"), 0, idx(rng.integers(0, 4, (2, 3))), make(2, 3), name="transposed"),
        ]
    return [
        S(make(3, 4), 1, idx(_unique_index(rng, 4, (3, 2), 1)), make(3, 2), name="dim-1"),
        S(make(3, 4), 0, idx(_unique_index(rng, 3, (2, 4), 0)), make(2, 4), name="dim-0"),
        S(make(3, 4), 1, idx(_unique_index(rng, 4, (2, 2), 1)), make(2, 3), name="src-larger"),
        S(make(3, 4), 1, idx(_unique_index(rng, 4, (3, 2), 1)), value=make.scalar(1), name="value"),
        S(make(3, 4), 1, idx(np.zeros((3, 0))), make(3, 0), name="empty"),
        S(make(4, 3, layout="transposed"), 0, idx(_unique_index(rng, 4, (2, 3), 0)), make(2, 3), name="transposed"),
    ]


def _index_select_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    idx = make.index
    return [
        S(make(4, 3), 0, idx([2, 0, 2]), name="dim-0"),
        S(make(4, 3), 1, idx([1]), name="dim-1"),
        S(make(4, 3), -1, idx(1), name="0-d-index"),
        S(make(4, 3), 0, idx(np.zeros(0)), name="empty-index"),
        S(make(4, 3, layout="transposed"), 1, idx([2, 0]), name="transposed"),
    ]


def _masked_fill_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), make.mask(2, 3), make.scalar(0.5 if make.dtype.kind == "f" else 7), name="scalar"),
        S(make(2, 3), make.mask(3), make.scalar(-1), name="broadcast-mask"),
        S(make(2, 3), make.mask(2, 3), make.array(2), name="0-d-value"),
        S(make(), make.mask(), make.scalar(1), name="0-d"),
        S(make(0, 3), make.mask(0, 3), make.scalar(1), name="empty"),
        S(make(3, 2, layout="transposed"), make.mask(3, 2), make.scalar(1), name="transposed"),
    ]


def _nonzero_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(2, 3, values=(0, 1, 2)), name="2-d"),
        S(d(5, values=(0, 1)), name="1-d"),
        S(d(2, 2, 2, values=(0, 3)), name="3-d"),
        S(d(values=(1,)), name="0-d"),
        S(d(values=(0,)), name="0-d-zero"),
        S(d(0, 3, values=(1,)), name="empty"),
        S(d(3, 2, values=(0, 1), layout="transposed"), name="transposed"),
    ]


def _matmul_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4), make(4), name="1-d-1-d"),
        S(make(3, 4), make(4), name="2-d-1-d"),
        S(make(4), make(4, 2), name="1-d-2-d"),
        S(make(2, 3), make(3, 4), name="2-d"),
        S(make(2, 2, 3), make(2, 3, 2), name="batched"),
        S(make(2, 1, 2, 3), make(3, 3, 2), name="broadcast-batch"),
        S(make(3), make(2, 3, 2), name="1-d-batched"),
        S(make(2, 0), make(0, 3), name="empty-inner"),
        S(make(3, 2, layout="transposed"), make(2, 3, layout="transposed"), name="transposed"),
    ]


def _sort_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(3, 4), name="last"),
        S(make(3, 4), 0, name="dim-0"),
        S(make(3, 4), -1, True, name="descending"),
        S(make(2, 3, 2), 1, name="3-d"),
        S(make(), name="0-d"),
        S(make(0, 3), name="empty"),
        S(make(4, 3, layout="transposed"), 0, True, name="transposed"),
        S(make.discrete(2, 6, values=(0, 1, 2)), 1, name="ties-stable"),
        S(make.discrete(2, 6, values=(0, 1, 2)), 1, True, name="ties-stable-descending"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([3.0, np.nan, -1.0, np.inf, 0.0]), name="nan-largest", grad=False))
        out.append(S(make.array([3.0, np.nan, -1.0, np.inf, 0.0]), 0, True, name="nan-first-descending", grad=False))
    return out


def _topk_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng

    def distinct(*shape: int, layout: str = "contiguous") -> Arg:
        vals: np.ndarray = rng.permutation(int(np.prod(shape))).reshape(shape) - 3
        if make.dtype.kind == "f":
            vals = vals * 0.37 + rng.uniform(-0.1, 0.1, shape)
        return Arg(vals.astype(make.dtype), layout, make.dtype.kind == "f")

    return [
        S(distinct(3, 5), 2, name="last"),
        S(distinct(3, 5), 3, 0, name="dim-0"),
        S(distinct(3, 5), 2, -1, False, name="smallest"),
        S(distinct(3, 5), 0, name="k-0"),
        S(distinct(3, 5), 5, name="k-all"),
        S(distinct(4, 3, layout="transposed"), 2, 0, name="transposed"),
        S(distinct(), 1, name="0-d"),
        S(distinct(0, 3), 2, name="empty"),
    ]


def _softmax_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3), 1, name="dim-1"),
        S(make(2, 3), 0, name="dim-0"),
        S(make(2, 3, 2), -1, name="3-d"),
        S(make(), 0, name="0-d"),
        S(make(0, 3), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
        S(make.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]]), 1, name="large"),
    ]
    if make.dtype == np.float32:
        out.append(S(make(2, 3), 1, dtype=ember.float64, name="dtype"))
    return out


# --------------------------------------------------------------------------- the table

OP_DB: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    OP_DB.extend(infos)


_POSITIVE = (0.5, 3.0)


class _UnaryExtra(TypedDict, total=False):
    int_domain: tuple[int, int]


_UNARY_FLOAT: list[tuple[str, Callable[..., Any], tuple[float, float], _UnaryExtra]] = [
    ("exp", np.exp, (-2.0, 2.0), {}),
    ("log", np.log, _POSITIVE, {"int_domain": (1, 6)}),
    ("log2", np.log2, _POSITIVE, {"int_domain": (1, 6)}),
    ("log10", np.log10, _POSITIVE, {"int_domain": (1, 6)}),
    ("log1p", np.log1p, (-0.5, 3.0), {"int_domain": (0, 6)}),
    ("expm1", np.expm1, (-2.0, 2.0), {}),
    ("sqrt", np.sqrt, _POSITIVE, {"int_domain": (0, 9)}),
    ("rsqrt", lambda x: 1 / np.sqrt(x), _POSITIVE, {"int_domain": (1, 9)}),
    ("sin", np.sin, (-3.0, 3.0), {}),
    ("cos", np.cos, (-3.0, 3.0), {}),
    ("tan", np.tan, (-1.2, 1.2), {}),
    ("asin", np.arcsin, (-0.9, 0.9), {"int_domain": (-1, 2)}),
    ("acos", np.arccos, (-0.9, 0.9), {"int_domain": (-1, 2)}),
    ("atan", np.arctan, (-3.0, 3.0), {}),
    ("sinh", np.sinh, (-2.0, 2.0), {}),
    ("cosh", np.cosh, (-2.0, 2.0), {}),
    ("asinh", np.arcsinh, (-3.0, 3.0), {}),
    ("acosh", np.arccosh, (1.2, 4.0), {"int_domain": (1, 6)}),
    ("atanh", np.arctanh, (-0.9, 0.9), {"int_domain": (0, 1)}),
    ("tanh", np.tanh, (-2.0, 2.0), {}),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), (-3.0, 3.0), {}),
    ("erf", _erf, (-2.0, 2.0), {}),
    ("reciprocal", lambda x: 1 / x, _POSITIVE, {"int_domain": (1, 6)}),
]

# unary, float rule: ints compute in float32
for _name, _fn, _dom, _extra in _UNARY_FLOAT:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            _unary_float(_fn),
            unary_special_samples,
            dtypes=NUMERIC + ("bool",),
            domain=_dom,
            **_extra,
        )
    )

# unary, same dtype
_add_op(
    OpInfo("abs", ember.abs, _unary_same(np.abs), unary_samples, dtypes=NUMERIC + ("int8", "uint8")),
    OpInfo("neg", ember.neg, _unary_same(np.negative), unary_samples, dtypes=NUMERIC + ("int8", "int16")),
    OpInfo("relu", ember.relu, _unary_same(lambda x: np.maximum(x, 0)), unary_samples, dtypes=NUMERIC),
    OpInfo("sign", ember.sign, _unary_same(np.sign), unary_samples, dtypes=NUMERIC),
    OpInfo("floor", ember.floor, _unary_same(np.floor), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo("ceil", ember.ceil, _unary_same(np.ceil), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo("round", ember.round, _unary_same(np.round), rounding_samples, dtypes=NUMERIC, gradgrad=False),
    OpInfo(
        "logical_not",
        ember.logical_not,
        lambda x: np.asarray(np.logical_not(x)),
        logical_not_samples,
        dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
    OpInfo(
        "isnan", ember.isnan, lambda x: np.asarray(np.isnan(x)), unary_special_samples, differentiable=False
    ),
    OpInfo(
        "isfinite", ember.isfinite, lambda x: np.asarray(np.isfinite(x)), unary_special_samples, differentiable=False
    ),
    OpInfo(
        "clamp", ember.clamp, _ref_clamp, _clamp_samples, dtypes=NUMERIC
    ),
)

# binary
_add_op(
    OpInfo(
        "add",
        ember.add,
        _binary(_add),
        lambda op, make: binary_samples(op, make) + [S(make(2, 3), make(2, 3), alpha=make.scalar(2), name="alpha")],
        dtypes=NUMERIC + ("bool", "uint8", "int8"),
    ),
    OpInfo(
        "sub",
        ember.sub,
        _binary(_sub),
        lambda op, make: binary_samples(op, make) + [S(make(2, 3), make(2, 3), alpha=make.scalar(2), name="alpha")],
        dtypes=NUMERIC + ("int16",),
    ),
    OpInfo("mul", ember.mul, _binary(_mul), binary_samples, dtypes=NUMERIC + ("bool", "uint8")),
    OpInfo("div", ember.div, _binary(np.true_divide, "div"), _binary_samples_nonzero, dtypes=NUMERIC + ("bool",)),
    OpInfo(
        "floor_divide",
        ember.floor_divide,
        _binary(np.floor_divide),
        _binary_samples_nonzero,
        dtypes=NUMERIC,
        differentiable=False,
    ),
    OpInfo("remainder", ember.remainder, _binary(np.remainder), _binary_samples_nonzero, dtypes=NUMERIC),
    OpInfo("pow", ember.pow, _binary(_ref_pow), _pow_samples, dtypes=NUMERIC, domain=(0.5, 2.0)),
    OpInfo("maximum", ember.maximum, _binary(np.maximum), _binary_samples_tensors, dtypes=NUMERIC),
    OpInfo("minimum", ember.minimum, _binary(np.minimum), _binary_samples_tensors, dtypes=NUMERIC),
    OpInfo("where", ember.where, _ref_where, _where_samples, dtypes=NUMERIC + ("bool",)),
)
for _name, _fn in [
    ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
    ("gt", np.greater), ("ge", np.greater_equal),
]:  # fmt: skip
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            _binary(_fn, "cmp"),
            comparison_samples,
            dtypes=NUMERIC + ("bool", "uint8"),
            differentiable=False,
        )
    )
for _name, _fn in [("logical_and", np.logical_and), ("logical_or", np.logical_or), ("logical_xor", np.logical_xor)]:
    _add_op(
        OpInfo(
            _name,
            getattr(ember, _name),
            _binary(_fn, "logic"),
            logical_samples,
            dtypes=("bool", "float32", "int64"),
            differentiable=False,
        )
    )

# reductions
_add_op(
    OpInfo("sum", ember.sum, _ref_sum, _sum_samples, dtypes=NUMERIC + ("bool",), tol=SUM_TOL),
    OpInfo("mean", ember.mean, _ref_mean, _sum_samples, tol=SUM_TOL),
    OpInfo("var", ember.var, _ref_var_like(False), _var_samples, tol=SUM_TOL),
    OpInfo("std", ember.std, _ref_var_like(True), _var_samples, tol=SUM_TOL),
    OpInfo(
        "prod",
        ember.prod,
        _ref_prod,
        _prod_samples,
        dtypes=NUMERIC + ("bool",),
        tol=SUM_TOL,
    ),
    OpInfo("amax", ember.amax, _ref_extreme(np.max), _extreme_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("amin", ember.amin, _ref_extreme(np.min), _extreme_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("max", ember.max, _ref_max_min(True), _max_dim_samples, dtypes=NUMERIC),
    OpInfo("min", ember.min, _ref_max_min(False), _max_dim_samples, dtypes=NUMERIC),
    OpInfo("argmax", ember.argmax, _ref_arg(True), _arg_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo("argmin", ember.argmin, _ref_arg(False), _arg_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo(
        "all", ember.all, _ref_all_any(np.all), _all_any_samples, dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
    OpInfo(
        "any", ember.any, _ref_all_any(np.any), _all_any_samples, dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
    OpInfo("logsumexp", ember.logsumexp, _ref_logsumexp, _logsumexp_samples, dtypes=NUMERIC, tol=SUM_TOL),
    OpInfo("cumsum", ember.cumsum, _ref_cumsum, _cumsum_samples, dtypes=NUMERIC + ("bool",), tol=SUM_TOL),
)

# shape and movement
_MOVE_DTYPES = FLOATS + ("int64", "bool")
_add_op(
    OpInfo("reshape", ember.reshape, lambda x, s: x.reshape(s), _reshape_samples, dtypes=_MOVE_DTYPES),
    OpInfo("view", lambda x, s: x.view(s), lambda x, s: x.reshape(s), _reshape_samples, dtypes=_MOVE_DTYPES),
    OpInfo("permute", ember.permute, lambda x, d: np.transpose(x, d), _permute_samples, dtypes=_MOVE_DTYPES),
    OpInfo(
        "transpose",
        ember.transpose,
        lambda x, a, b: np.swapaxes(x, a, b) if x.ndim else x.copy(),
        _transpose_samples,
        dtypes=_MOVE_DTYPES,
    ),
    OpInfo("T", lambda x: x.T, lambda x: x.T, _T_samples, dtypes=_MOVE_DTYPES),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), _T_samples, dtypes=_MOVE_DTYPES),
    OpInfo(
        "squeeze",
        ember.squeeze,
        lambda x, dim=None: np.squeeze(
            x, tuple(d for d in ((dim,) if isinstance(dim, int) else dim) if x.shape[d] == 1)
        ) if dim is not None else np.squeeze(x),
        _squeeze_samples,
        dtypes=_MOVE_DTYPES,
    ),
    OpInfo("unsqueeze", ember.unsqueeze, lambda x, d: np.expand_dims(x, d), _unsqueeze_samples, dtypes=_MOVE_DTYPES),
    OpInfo(
        "expand",
        ember.expand,
        lambda x, shape: np.broadcast_to(
            x, tuple(x.shape[i - (len(shape) - x.ndim)] if s == -1 else s for i, s in enumerate(shape))
        ),
        _expand_samples,
        dtypes=_MOVE_DTYPES,
    ),
    OpInfo(
        "flatten",
        ember.flatten,
        lambda x, start=0, end=-1: x.reshape(1) if x.ndim == 0 else x.reshape(
            x.shape[: start % x.ndim] + (-1,) + x.shape[end % x.ndim + 1 :]
        ),
        _flatten_samples,
        dtypes=_MOVE_DTYPES,
    ),
    OpInfo(
        "unflatten",
        ember.unflatten,
        lambda x, dim, sizes: x.reshape(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :]),
        _unflatten_samples,
        dtypes=_MOVE_DTYPES,
    ),
    OpInfo("cat", ember.cat, lambda xs, dim=0: np.concatenate(xs, axis=dim), _cat_samples, dtypes=_MOVE_DTYPES),
    OpInfo("stack", ember.stack, lambda xs, dim=0: np.stack(xs, axis=dim), _stack_samples, dtypes=_MOVE_DTYPES),
    OpInfo("split", ember.split, _ref_split, _split_samples, dtypes=_MOVE_DTYPES),
    OpInfo("chunk", ember.chunk, _ref_chunk, _split_samples, dtypes=_MOVE_DTYPES),
    OpInfo("flip", ember.flip, lambda x, dims: np.flip(x, dims), _flip_samples, dtypes=_MOVE_DTYPES),
    OpInfo("roll", ember.roll, _ref_roll, _roll_samples, dtypes=_MOVE_DTYPES),
    OpInfo("tril", ember.tril, _ref_tri(np.tril), _tri_samples, dtypes=_MOVE_DTYPES),
    OpInfo("triu", ember.triu, _ref_tri(np.triu), _tri_samples, dtypes=_MOVE_DTYPES),
)

# indexing
_add_op(
    OpInfo("getitem", lambda x, key: x[key], lambda x, key: np.asarray(x[key]), _getitem_samples, dtypes=_MOVE_DTYPES),
    OpInfo("setitem", _ember_setitem, _ref_setitem, _setitem_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("gather", ember.gather, _ref_gather, _gather_samples, dtypes=_MOVE_DTYPES),
    OpInfo("take_along_dim", ember.take_along_dim, _ref_take_along_dim, _take_along_dim_samples, dtypes=_MOVE_DTYPES),
    OpInfo("scatter", ember.scatter, _ref_scatter(False), _scatter_samples, dtypes=FLOATS + ("int64",)),
    OpInfo("scatter_add", ember.scatter_add, _ref_scatter(True), _scatter_samples, dtypes=FLOATS + ("int64",)),
    OpInfo("index_select", ember.index_select, _ref_index_select, _index_select_samples, dtypes=_MOVE_DTYPES),
    OpInfo("masked_fill", ember.masked_fill, _ref_masked_fill, _masked_fill_samples, dtypes=FLOATS + ("int64",)),
    OpInfo(
        "nonzero",
        ember.nonzero,
        lambda x: np.argwhere(x).astype(np.int64),
        _nonzero_samples,
        dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
)

# linalg, sorting, softmax
_add_op(
    OpInfo("matmul", ember.matmul, _ref_matmul, _matmul_samples, dtypes=FLOATS + ("int64",), tol=SUM_TOL),
    OpInfo("sort", ember.sort, _ref_sort, _sort_samples, dtypes=NUMERIC),
    OpInfo("argsort", ember.argsort, _ref_argsort, _sort_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo("topk", ember.topk, _ref_topk, _topk_samples, dtypes=NUMERIC),
    OpInfo("softmax", ember.softmax, _ref_softmax(False), _softmax_samples, tol=SUM_TOL),
    OpInfo("log_softmax", ember.log_softmax, _ref_softmax(True), _softmax_samples, tol=SUM_TOL),
)

_BY_NAME = {info.name: info for info in OP_DB}
assert len(_BY_NAME) == len(OP_DB), "an op appears twice in OP_DB"


def op_by_name(name: str) -> OpInfo:
    return _BY_NAME[name]

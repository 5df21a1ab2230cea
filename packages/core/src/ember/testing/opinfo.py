"""What an entry of the op table (`ember.testing.op_db`) is made of, and the helpers entries share.

An `OpInfo` says:

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

import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ember

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


@dataclass
class ErrorInput:
    """A bad call and what it must raise: `error` with a message matching the regex `match`
    (which should name the op and the offending shapes, dtypes or values)."""

    sample: SampleInput
    error: type[Exception]
    match: str

    def __repr__(self) -> str:
        return f"{self.sample!r} -> {self.error.__name__}({self.match!r})"


def E(error: type[Exception], match: str, *args: Any, **kwargs: Any) -> ErrorInput:
    """``E(RuntimeError, "op.*shape", *args, **kwargs)``: a bad call (Args become tensors) and its error."""
    return ErrorInput(SampleInput(tuple(args), kwargs, "error", False), error, match)


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
    #: bad calls and the errors they raise (built with a float32 `Maker`)
    error_inputs: Callable[[OpInfo, Maker], list[ErrorInput]] | None = None

    def __post_init__(self) -> None:
        if self.half and "float32" in self.dtypes and "float16" not in self.dtypes:
            self.dtypes = (*self.dtypes, "float16")

    def tolerance(self, dtype: str) -> tuple[float, float]:
        return self.tol.get(dtype, DEFAULT_TOL.get(dtype, (0.0, 0.0)))

    def samples(self, dtype: str, *, grad_only: bool = False) -> list[SampleInput]:
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/{dtype}".encode()))
        out = self.sample_inputs(self, Maker(self, np.dtype(dtype), rng))
        return [s for s in out if s.grad] if grad_only else out

    def errors(self) -> list[ErrorInput]:
        if self.error_inputs is None:
            return []
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/errors".encode()))
        return self.error_inputs(self, Maker(self, np.dtype("float32"), rng))

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

    `tol(dtype name)` gives (rtol, atol) for a floating result of that dtype (bfloat16 included,
    compared through float32).
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
    if exp.dtype.kind in "fc" or exp.dtype.name == "bfloat16":
        rtol, atol = tol(exp.dtype.name)
        if exp.dtype.name == "bfloat16":  # NumPy's allclose does not know bfloat16; float32 holds it exactly
            got, exp = got.astype(np.float32), exp.astype(np.float32)
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


def cast(x: Any, dt: np.dtype) -> Any:
    return x.astype(dt) if isinstance(x, np.ndarray) else x


def as_float(x: np.ndarray) -> np.ndarray:
    """Ints and bools compute in the default float (float32), like PyTorch's float ops."""
    return x if x.dtype.kind == "f" else x.astype(DEFAULT_FLOAT)


def quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
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


def special_values(op: OpInfo, make: Maker) -> list[SampleInput]:
    if make.dtype.kind != "f":
        return []
    vals = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 50.0, -50.0, 1e-30]
    return [S(make.array(vals), name="special", grad=False)]


def unary_special_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return unary_samples(op, make) + special_values(op, make)


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


def binary_samples_nonzero(op: OpInfo, make: Maker) -> list[SampleInput]:
    return binary_samples(op, make, nonzero_rhs=True)


def binary_samples_tensors(op: OpInfo, make: Maker) -> list[SampleInput]:
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


def np_axis(x: np.ndarray, dim: Any) -> Any:
    """NumPy's axis for a PyTorch dim (0-d tensors accept dim 0 and -1)."""
    if x.ndim == 0 or dim is None:
        return None
    return dim


def int64_for_ints(x: np.ndarray) -> np.dtype:
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)


# --------------------------------------------------------------------------- references


def unary_float(fn: Callable[..., Any]) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray) -> np.ndarray:
        x = as_float(x)
        return np.asarray(fn(x)).astype(x.dtype)

    return ref


def unary_same(fn: Callable[..., Any]) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray) -> np.ndarray:
        return np.asarray(fn(x)).astype(x.dtype)

    return ref


def binary(fn: Callable[..., Any], kind: str = "arith") -> Callable[..., Any]:
    """A binary reference: promote as PyTorch, then compute with `fn` in the result dtype."""

    @quiet
    def ref(a: Any, b: Any, **kwargs: Any) -> np.ndarray:
        dt = ref_result_type(a, b)
        if kind == "div" and dt.kind != "f":
            dt = DEFAULT_FLOAT
        if kind == "logic":
            return np.asarray(fn(np.asarray(a).astype(bool), np.asarray(b).astype(bool)), dtype=bool)
        out = np.asarray(fn(cast(a, dt), cast(b, dt), **kwargs))
        return out.astype(bool) if kind == "cmp" else out.astype(dt)

    return ref


#: dtypes the shape, movement and indexing ops are tested in
MOVE_DTYPES = FLOATS + ("int64", "bool")

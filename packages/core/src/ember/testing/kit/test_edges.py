"""Edge values and low-precision floats against the same NumPy references as `test_values`.

- ``test_edge_values``: every elementwise op of `OP_DB` on nan, ±inf, -0.0 (its sign included),
  the extremes of the dtype, empty and 0-d operands, in each dtype the op is tested in;
- ``test_bfloat16_values``: every op tested in float16 is also tested in bfloat16 (where the
  backend declares it), against the reference computed in float32 from the same rounded inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.dispatch import OPS
from ember.testing.kit import require_dtype, sample_supported
from ember.testing.kit.test_kernels import _check_aliasing
from ember.testing.op_db import OP_DB, Arg, OpInfo, SampleInput, assert_same, to_ember, to_numpy


def _arity(info: OpInfo) -> int:
    """1 or 2 for an elementwise op of the op table taking arrays only (x, or a and b), else 0."""
    op = OPS.get(info.name)
    if op is None or op.family != "elementwise":
        return 0
    params = [p.split(":")[0].strip() for p in op.signature[op.signature.index("(") + 1 : op.signature.rindex(")")].split(",")]
    return {("x",): 1, ("a", "b"): 2}.get(tuple(params), 0)


ELEMENTWISE = [info for info in OP_DB if _arity(info)]
#: ops whose sign of a zero result the contract leaves open: NumPy and PyTorch differ (PyTorch: relu(-0.0) and
#: erfinv(-0.0) are -0.0, i1(-0.0) is 0.0)
SIGN_OF_ZERO_OPEN = {"relu", "erfinv", "i1"}
#: ops whose true result at the integer extremes does not fit the dtype (gcd(INT_MIN, 0) is 2**31): they get
#: the other edge values only (PyTorch's own gcd gives -1 there and its lcm stops with SIGFPE)
OVERFLOW_AT_EXTREMES = {"gcd", "lcm"}


def edge_values(dtype: np.dtype) -> np.ndarray:
    """The values where kernels go wrong: nan, ±inf, ±0.0, ±1, tiny and huge; integer extremes; both bools."""
    if dtype == np.bool_:
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.unique(np.array([info.min, info.min + 1, -2, -1, 0, 1, 2, info.max - 1, info.max], np.int64).clip(
            info.min, info.max)).astype(dtype)  # fmt: skip
    fi = ember.finfo(ember.dtypes.as_dtype(dtype))
    vals = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -2.5, fi.tiny, -fi.max, fi.max]
    return np.array(vals, dtype=dtype)


def _edge_samples(info: OpInfo, dtype: str) -> list[SampleInput]:
    v = edge_values(np.dtype(dtype))
    if info.name in OVERFLOW_AT_EXTREMES and v.dtype.kind in "iu":
        v = v[(v > np.iinfo(v.dtype).min + 1) & (v < np.iinfo(v.dtype).max - 1)]
    if _arity(info) == 1:
        return [
            SampleInput((Arg(v),), name="edges"),
            SampleInput((Arg(v[:0]),), name="empty"),
            SampleInput((Arg(v[0].reshape(())),), name="0-d"),
        ]
    a, b = np.meshgrid(v, v, indexing="ij")  # every pair of edge values
    return [
        SampleInput((Arg(a), Arg(b)), name="edge-pairs"),
        SampleInput((Arg(v[:0]), Arg(v[:1])), name="empty"),
        SampleInput((Arg(v[-1].reshape(())), Arg(v)), name="0-d"),
    ]


def _edge_params() -> list[Any]:
    out = []
    for info in ELEMENTWISE:
        for dt in info.dtypes:
            reason = info.xfail_reason("edge_values", dt)
            marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
            out.append(pytest.param(info, dt, id=f"{info.name}-{dt}", marks=marks))
    return out


def _signed_zeros_match(actual: Any, expected: np.ndarray, what: str) -> None:
    exp = np.asarray(expected)
    if exp.dtype.kind != "f":
        return
    got = np.asarray(actual.numpy(), dtype=np.float64)
    zero = np.asarray(exp, np.float64) == 0
    wrong = zero & (np.signbit(got) != np.signbit(np.asarray(exp, np.float64)))
    assert not wrong.any(), f"{what}: the sign of zero differs at {np.argwhere(wrong).tolist()[:5]} (got {got[wrong][:5]})"


@pytest.mark.parametrize(("info", "dtype"), _edge_params())
def test_edge_values(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """nan, ±inf, -0.0, integer extremes, empty and 0-d operands: values, dtype and the sign of zero."""
    require_dtype(backend, dtype)
    tol = info.tolerance
    for sample in _edge_samples(info, dtype):
        if not sample_supported(sample, backend):
            continue
        if dtype not in ("float16", "float32", "float64", "bool") and len(sample.args) == 2:
            try:
                info.op(*to_ember(sample.args, device))
            except ZeroDivisionError:  # integer // and % by zero raise, as PyTorch on the CPU: other divisors
                b = sample.args[1].array
                sample = SampleInput((sample.args[0], Arg(np.where(b == 0, 1, b).astype(b.dtype))), name=sample.name)
        with np.errstate(all="ignore"):
            try:
                expected = info.ref(*to_numpy(sample.args))
            except (ValueError, ZeroDivisionError, OverflowError) as exc:  # the reference refuses the call
                pytest.skip(f"{info.name}: the reference refuses edge values ({exc})")
        what = f"{info.name} {sample.name} ({dtype})"
        args = to_ember(sample.args, device)
        try:
            actual = info.op(*args)
        except (RuntimeError, ValueError, ZeroDivisionError) as exc:
            raise AssertionError(f"{what}: raised {type(exc).__name__}: {exc}") from exc
        assert_same(actual, expected, tol, what)
        if info.name not in SIGN_OF_ZERO_OPEN:
            _signed_zeros_match(actual, expected, what)
        _check_aliasing(info, sample, list(args), actual)  # x + 0 is new memory, not x


#: reductions and scans of the op table that take a tensor alone (`sum(x)`, `amax(x)`) or a tensor and a dim
REDUCTIONS = [info for info in OP_DB if OPS.get(info.name) is not None and OPS[info.name].family == "reduction"]


@pytest.mark.parametrize(("info", "dtype"), [pytest.param(i, d, id=f"{i.name}-{d}") for i in REDUCTIONS for d in i.dtypes])
def test_reduction_edge_values(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """Reductions and scans over nan, ±inf, -0.0 and the integer extremes, whole and along a dim."""
    require_dtype(backend, dtype)
    v = edge_values(np.dtype(dtype))
    ran = 0
    for args in ((Arg(v),), (Arg(v), 0), (Arg(np.stack([v, v[::-1]])), 1)):
        sample = SampleInput(args, name="edges")
        with np.errstate(all="ignore"):
            try:
                expected = info.ref(*to_numpy(sample.args))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError):
                continue  # this op takes other arguments, or the reference refuses
        ember_args = to_ember(sample.args, device)
        try:
            actual = info.op(*ember_args)
        except TypeError:
            continue
        what = f"{info.name} {args!r} ({dtype})"
        assert_same(actual, expected, info.tolerance, what)
        _check_aliasing(info, sample, list(ember_args[:1]), actual)
        ran += 1
    if not ran:
        pytest.skip(f"{info.name} takes neither (x) nor (x, dim)")


_CAST_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("src", _CAST_DTYPES)
def test_astype_edge_values(src: str, backend: Any, device: str) -> None:
    """Copies keep edge values (the sign of zero too); casts to every declared dtype: floats to integers truncate toward zero, -0.0 and nan survive
    float-to-float casts, nonzero (nan included) is True; out-of-range and nan-to-integer casts are left open."""
    require_dtype(backend, src)
    s = ember.dtypes.as_dtype(src)
    v = edge_values(s.numpy)
    if s.is_floating_point:
        v = np.concatenate([v, np.array([1.7, -1.7, 2.5, -2.5, -0.5, 0.75], s.numpy)])
    x = ember.tensor(v, dtype=s, device=device)
    c = x.clone().numpy()  # a copy keeps the edge values: -0.0 (its sign), nan, the extremes
    assert c.dtype == v.dtype, f"clone of {src}: dtype {c.dtype}"
    f64 = (c.astype(np.float64), v.astype(np.float64))
    np.testing.assert_array_equal(f64[0], f64[1], err_msg=f"clone of {src} edge values")
    assert (np.signbit(f64[0]) == np.signbit(f64[1])).all(), f"clone of {src} edge values lost the sign of a zero"
    for dst in _CAST_DTYPES:
        d = ember.dtypes.as_dtype(dst)
        if d not in backend.dtypes:
            continue
        host = v.astype(np.float64) if v.dtype == BF16 else v
        keep = np.ones(v.shape, bool)
        if d.kind == "i" and s.kind != "b":  # in range of the target only (C leaves the rest undefined)
            info = np.iinfo(d.numpy)
            keep = np.isfinite(host.astype(np.float64)) & (host >= info.min) & (host <= info.max)
            if s.kind == "i":
                keep = (host.astype(np.int64) >= info.min) & (host.astype(np.int64) <= info.max)
        expected = (np.trunc(host.astype(np.float64)) if s.is_floating_point and d.kind == "i" else host).astype(d.numpy)
        if d.name == "bool":
            expected = np.asarray(host, np.float64) != 0 if s.kind != "b" else host
        out = x.to(d)
        got = out.numpy()
        assert out.dtype is d and got.dtype == d.numpy, f"astype {src} -> {dst}: dtype {got.dtype}"
        what = f"astype {src} -> {dst}"
        if d.is_floating_point:
            g, e = got.astype(np.float64)[keep], np.asarray(expected).astype(np.float64)[keep]
            np.testing.assert_array_equal(g, e, err_msg=what)
            assert (np.signbit(g) == np.signbit(e))[e == 0].all(), f"{what}: the sign of zero is lost"
        else:
            np.testing.assert_array_equal(got[keep], np.asarray(expected)[keep], err_msg=what)


# --------------------------------------------------------------------------- bfloat16


LOW_PRECISION = [info for info in OP_DB if "float16" in info.dtypes]
#: bfloat16's host dtype (ml_dtypes), None where ml_dtypes is not installed
BF16: Any = ember.bfloat16.numpy if ember.bfloat16 is not None else None


def _bf16(obj: Any) -> Any:
    """Float32 Args rounded to bfloat16 (what the backend computes on)."""
    if isinstance(obj, Arg) and obj.array.dtype == np.float32:
        return Arg(obj.array.astype(BF16), obj.layout, obj.grad)
    if isinstance(obj, tuple):
        return tuple(_bf16(x) for x in obj)
    if isinstance(obj, list):
        return [_bf16(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _bf16(v) for k, v in obj.items()}
    return obj


def _as_float32(obj: Any) -> Any:
    if isinstance(obj, np.ndarray) and obj.dtype == BF16:
        return obj.astype(np.float32)
    if isinstance(obj, tuple):
        return tuple(_as_float32(x) for x in obj)
    if isinstance(obj, list):
        return [_as_float32(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _as_float32(v) for k, v in obj.items()}
    return obj


#: ops whose float32 reference cannot stand for bfloat16: their result depends on the dtype's own limits
BF16_UNLIKE_FLOAT32 = {
    "nan_to_num": "replaces inf by the dtype's largest value, which differs from float32's",
    "nextafter": "steps to the neighbouring value of the dtype itself",
}


def _expect_bf16(expected: Any) -> Any:
    if isinstance(expected, (tuple, list)):
        return type(expected)(_expect_bf16(e) for e in expected)
    e = np.asarray(expected)
    return e.astype(BF16) if e.dtype == np.float32 else e


@pytest.mark.parametrize("info", [pytest.param(i, id=f"{i.name}-bfloat16") for i in LOW_PRECISION])
def test_bfloat16_values(info: OpInfo, backend: Any, device: str) -> None:
    """Each op tested in float16 also runs in bfloat16: dtype bfloat16 out, values as float32 computes them."""
    require_dtype(backend, "bfloat16")
    if info.name in BF16_UNLIKE_FLOAT32:
        pytest.skip(f"{info.name} {BF16_UNLIKE_FLOAT32[info.name]}")
    rtol, atol = info.tolerance("float16")
    tol = max(rtol, 1e-2) * 4, max(atol, 1e-2) * 4  # bfloat16 keeps 8 bits of mantissa to float16's 11
    for sample in info.samples("float32"):
        sample = SampleInput(_bf16(sample.args), _bf16(sample.kwargs), sample.name, sample.grad, sample.xfail)
        if not sample_supported(sample, backend):
            continue
        with np.errstate(all="ignore"):
            expected = _expect_bf16(info.ref(*_as_float32(to_numpy(sample.args)), **_as_float32(to_numpy(sample.kwargs))))
        actual = info.op(*to_ember(sample.args, device), **to_ember(sample.kwargs, device))
        assert_same(actual, expected, lambda d: tol if d == "bfloat16" else (0.0, 0.0), f"{info.name} {sample!r} (bfloat16)")

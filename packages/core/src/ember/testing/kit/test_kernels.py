"""Kernel contracts: every primitive has a kernel; kernels return the declared shape and dtype and
never modify their inputs (except the in-place ``copy_``); ops never modify their input tensors.

Kernels are called directly here, with native arrays, the way core calls them (see each op's
``signature`` and ``doc`` in `ember.dispatch.OPS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import ember
from ember.dispatch import API, OPS
from ember.testing.kit import require_dtype, sample_supported
from ember.testing.op_db import OP_DB, OpInfo, make_tensor, to_ember

PRIMITIVES = sorted(name for name, op in OPS.items() if op.kind == "primitive")
COMPOSITES = sorted(name for name, op in OPS.items() if op.kind == "composite")

f32, f64, i64, b8 = ember.float32, ember.float64, ember.int64, ember.bool_


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive_has_kernel(name: str, backend: Any) -> None:
    """Every primitive in the op table has a kernel in the backend (else the op runs on the host fallback); the
    primitives that exist for complex dtypes only (`Op.complex == "only"`), where the backend holds complex dtypes."""
    _skip_complex_only(name, backend)
    k = backend.kernels.get(name)
    assert k is not None, (
        f"backend {backend.name!r} has no kernel for the primitive {name!r} "
        f"({OPS[name].signature}): {OPS[name].doc}"
    )
    assert callable(k), f"backend {backend.name!r}: the kernel for {name!r} is not callable"


def _skip_complex_only(name: str, backend: Any) -> None:
    """Skip a primitive that exists for complex dtypes only on a backend that holds none (it needs no kernel)."""
    if OPS[name].complex == "only" and not any(d.is_complex for d in backend.dtypes):
        pytest.skip(f"backend {backend.name!r} holds no complex dtype, so it needs no kernel for {name!r}")


def test_kernel_table_names_are_ops(backend: Any) -> None:
    """A kernel under a name no op declares is never called (a typo, or an op renamed)."""
    import importlib

    for extension in ("ember.nn", "ember.data"):  # other distributions may declare ops too
        try:
            importlib.import_module(extension)
        except ImportError:
            pass
    unknown = sorted(set(backend.kernels) - set(OPS))
    assert not unknown, f"backend {backend.name!r} has kernels for undeclared ops: {unknown}"


# --------------------------------------------------------------------------- direct kernel calls


@dataclass
class Call:
    """One kernel call: the args (built by `build(T)`, where T makes tensors), and the declared result."""

    build: Callable[[Callable[..., Any]], tuple[Any, ...]]
    shape: Any  # tuple, or a callable of the host inputs; a list of them for several results
    dtype: Any  # a tuple of dtypes for a kernel with several results
    name: str = ""


def _grid(*shape: int, dtype: Any = np.float32) -> np.ndarray:
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64).reshape(shape) * 0.5 - 1.25).astype(dtype)


def _cgrid(*shape: int, dtype: Any = np.complex64) -> np.ndarray:
    """A complex grid: `_grid`'s values plus i times them reversed (no two elements equal, some parts negative)."""
    re = _grid(*shape, dtype=np.float64)
    return (re + 1j * re[::-1].copy()).astype(dtype)


c64, c128 = ember.complex64, ember.complex128


def _unary_calls(out: Any = None) -> list[Call]:
    return [
        Call(lambda T: (T(_grid(2, 3)),), (2, 3), out or f32, "float32"),
        Call(lambda T: (T(_grid(2, 3, dtype=np.float64)),), (2, 3), out or f64, "float64"),
        Call(lambda T: (T(_grid(3, 2), "transposed"),), (3, 2), out or f32, "transposed"),
        Call(lambda T: (T(_grid(0, 2)),), (0, 2), out or f32, "empty"),
        Call(lambda T: (T(np.array(0.75, np.float32)),), (), out or f32, "0-d"),
    ]


def _binary_calls(out: Any = None, dtype: Any = np.float32) -> list[Call]:
    o = out or ember.dtypes.as_dtype(np.dtype(dtype))
    pos = 1.0 if np.dtype(dtype).kind in "fb" else 2

    def g(*shape: int) -> np.ndarray:
        a = _grid(*shape, dtype=np.float64) + 2
        return (a > 1.5) if np.dtype(dtype) == np.bool_ else a.astype(dtype)

    return [
        Call(lambda T: (T(g(2, 3)), T(g(2, 3))), (2, 3), o, "same-shape"),
        Call(lambda T: (T(g(2, 3)), T(g(3))), (2, 3), o, "broadcast"),
        Call(lambda T: (T(g(2, 1)), T(g(1, 3), "strided")), (2, 3), o, "broadcast-strided"),
        Call(lambda T: (T(g(2, 3)), pos if np.dtype(dtype) != np.bool_ else True), (2, 3), o, "scalar-rhs"),
        Call(lambda T: (pos if np.dtype(dtype) != np.bool_ else True, T(g(2, 3))), (2, 3), o, "scalar-lhs"),
        Call(lambda T: (T(g()), T(g(0, 3))), (0, 3), o, "empty"),
    ]


def _reduce_calls(out: Any = None, dtype: Any = np.float32) -> list[Call]:
    o = out or ember.dtypes.as_dtype(np.dtype(dtype))

    def g(*shape: int) -> np.ndarray:
        a = _grid(*shape, dtype=np.float64)
        return (a > 0) if np.dtype(dtype) == np.bool_ else a.astype(dtype)

    return [
        Call(lambda T: (T(g(2, 3, 2)), (1,), False), (2, 2), o, "one-axis"),
        Call(lambda T: (T(g(2, 3, 2)), (0, 2), True), (1, 3, 1), o, "keepdim"),
        Call(lambda T: (T(g(2, 3, 2)), (0, 1, 2), False), (), o, "all-axes"),
        Call(lambda T: (T(g(3, 2), "transposed"), (0,), False), (2,), o, "transposed"),
    ]


def _params(op: Any) -> list[str]:
    """The parameter names of an op's kernel signature: ["a", "b"] for ``add(a: array | scalar, b: ...)``."""
    sig = op.signature
    names, depth, start = [], 0, sig.index("(") + 1
    for i in range(start - 1, len(sig)):
        ch = sig[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if (ch == "," and depth == 1) or depth == 0:
            names.append(sig[start:i].split(":")[0].strip())
            start = i + 1
        if depth == 0:
            break
    return [n for n in names if n]


def _ops_like(params: list[str], *rules: str | None, family: str | None = None) -> list[str]:
    """The ops (primitives and composites) whose kernel takes `params`, of one of the dtype `rules`."""
    return sorted(
        name for name, op in OPS.items()
        if op.kind in ("primitive", "composite") and _params(op) == params and op.rule in rules
        and (family is None or op.family == family)
    )  # fmt: skip


# Elementwise ops come from their declarations (unary()/binary_op() in ember.ops.elementwise): the
# dtype rule says what to feed them and what they return, so a new op gets its calls by itself.
_UNARY = _ops_like(["x"], "same", "numeric", "float", family="elementwise")
_UNARY_BOOL = _ops_like(["x"], "bool", family="elementwise")  # isnan: any dtype in, bool out
_UNARY_LOGICAL = _ops_like(["x"], "logical", family="elementwise")  # logical_not: core casts to bool first
_ARITH = _ops_like(["a", "b"], "same", "numeric", "float", family="elementwise")
_CMP = _ops_like(["a", "b"], "bool", family="elementwise")
_LOGIC = _ops_like(["a", "b"], "logical", family="elementwise")
# Reductions over `axes` (sum, amax, logsumexp, ...). OPS gives reductions no dtype rule yet;
# all and any are the two that take and return bool.
_REDUCE = _ops_like(["x", "axes", "keepdim"], None, family="reduction")
# Ops defined for some dtype kinds only: bitwise_not/and/..., shifts, gcd (integers), hypot (floats)
_UNARY_INT = _ops_like(["x"], "integral", "integer", family="elementwise")
_UNARY_FLOATING = _ops_like(["x"], "floating", family="elementwise")
_ARITH_INT = _ops_like(["a", "b"], "integral", "integer", family="elementwise")
_ARITH_FLOATING = _ops_like(["a", "b"], "floating", family="elementwise")
_REDUCE_BOOL = [name for name in _REDUCE if name in ("all", "any")]

def _spd(*shape: int, dtype: Any = np.float32) -> np.ndarray:
    """Symmetric positive-definite matrices (a batch of them)."""
    a = _grid(*shape, dtype=np.float64)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _lapack_calls() -> dict[str, list[Call]]:
    i32 = ember.int32
    return {
        "linalg_slogdet": [
            Call(lambda T: (T(_spd(3, 3)),), [(), ()], (f32, f32)),
            Call(lambda T: (T(_spd(2, 3, 3, dtype=np.float64), "transposed"),), [(2,), (2,)], (f64, f64), "batched"),
        ],
        "linalg_inv": [
            Call(lambda T: (T(_spd(3, 3)),), [(3, 3), ()], (f32, i32)),
            Call(lambda T: (T(_spd(2, 3, 3), "transposed"),), [(2, 3, 3), (2,)], (f32, i32), "batched"),
            Call(lambda T: (T(np.ones((2, 2), np.float32)),), [(2, 2), ()], (f32, i32), "singular"),
        ],
        "linalg_solve": [
            Call(lambda T: (T(_spd(3, 3)), T(_grid(3, 2))), [(3, 2), ()], (f32, i32)),
            Call(lambda T: (T(_spd(2, 3, 3)), T(_grid(2, 3, 2), "transposed")), [(2, 3, 2), (2,)], (f32, i32), "batched"),
        ],
        "linalg_cholesky": [
            Call(lambda T: (T(_spd(3, 3)),), [(3, 3), ()], (f32, i32)),
            Call(lambda T: (T(-_spd(2, 2, 2, dtype=np.float64)),), [(2, 2, 2), (2,)], (f64, i32), "not-positive"),
        ],
        "linalg_qr": [
            Call(lambda T: (T(_grid(4, 3)), False), [(4, 3), (3, 3)], (f32, f32), "reduced"),
            Call(lambda T: (T(_grid(2, 3, 4), "transposed"), True), [(2, 3, 3), (2, 3, 4)], (f32, f32), "complete"),
        ],
        "linalg_svd": [
            Call(lambda T: (T(_grid(4, 3)), False), [(4, 3), (3,), (3, 3)], (f32, f32, f32), "reduced"),
            Call(lambda T: (T(_grid(2, 3, 4)), True), [(2, 3, 3), (2, 3), (2, 4, 4)], (f32, f32, f32), "full"),
        ],
        "linalg_eigh": [
            Call(lambda T: (T(_spd(3, 3)), False), [(3,), (3, 3)], (f32, f32)),
            Call(lambda T: (T(_spd(2, 3, 3, dtype=np.float64), "transposed"), True), [(2, 3), (2, 3, 3)], (f64, f64), "upper"),
        ],
    }


CALLS: dict[str, list[Call]] = {
    "full": [
        Call(lambda T: ((2, 3), 1.5, f32, 0), (2, 3), f32),
        Call(lambda T: ((0,), 7, i64, 0), (0,), i64),
        Call(lambda T: ((), True, b8, 0), (), b8),
    ],
    "arange": [
        Call(lambda T: (0, 5, 1, i64, 0), (5,), i64),
        Call(lambda T: (0.0, 1.0, 0.25, f32, 0), (4,), f32),
        Call(lambda T: (3, 3, 1, f64, 0), (0,), f64),
    ],
    "astype": [
        Call(lambda T: (T(_grid(2, 3)), ember.int32), (2, 3), ember.int32),
        Call(lambda T: (T(_grid(3, 2), "transposed"), f64), (3, 2), f64),
        Call(lambda T: (T(_grid(2, 3, dtype=np.int64)), b8), (2, 3), b8),
    ],
    "copy": [
        Call(lambda T: (T(_grid(2, 3)),), (2, 3), f32),
        Call(lambda T: (T(_grid(3, 2), "transposed"),), (3, 2), f32),
        Call(lambda T: (T(np.array(2, np.int64)),), (), i64),
    ],
    **{name: _unary_calls() for name in _UNARY},
    **{name: _unary_calls(b8) for name in _UNARY_BOOL},
    **{
        name: [  # bool in (core casts first), bool out
            Call(lambda T: (T(_grid(2, 3) > 2),), (2, 3), b8),
            Call(lambda T: (T(np.array(True)),), (), b8),
            Call(lambda T: (T(np.zeros((0, 2), np.bool_)),), (0, 2), b8),
        ]
        for name in _UNARY_LOGICAL
    },
    **{name: _binary_calls() for name in _ARITH + _ARITH_FLOATING},
    **{name: _binary_calls(dtype=np.int64) for name in _ARITH_INT},
    **{name: _unary_calls() for name in _UNARY_FLOATING},
    **{
        name: [
            Call(lambda T: (T(_grid(2, 3, dtype=np.int64)),), (2, 3), i64),
            Call(lambda T: (T(_grid(3, 2, dtype=np.int32), "transposed"),), (3, 2), ember.int32),
            Call(lambda T: (T(np.zeros((0, 2), np.int64)),), (0, 2), i64),
            Call(lambda T: (T(np.array(3, np.int64)),), (), i64),
        ]
        for name in _UNARY_INT
    },
    **{name: _binary_calls(b8) for name in _CMP},
    **{name: _binary_calls(b8, np.bool_) for name in _LOGIC},
    "where": [
        Call(lambda T: (T(_grid(2, 3) > 0), T(_grid(3)), T(_grid(2, 1))), (2, 3), f32),
        Call(lambda T: (T(_grid(2, 3) > 0), T(_grid(2, 3)), 0.0), (2, 3), f32),
        Call(lambda T: (T(_grid(3) > 0), 1, T(_grid(2, 3, dtype=np.int64))), (2, 3), i64),
    ],
    **{name: _reduce_calls() for name in _REDUCE if name not in _REDUCE_BOOL},
    **{name: _reduce_calls(b8, np.bool_) for name in _REDUCE_BOOL},
    "argmax": [
        Call(lambda T: (T(_grid(2, 3, 2)), 1, False), (2, 2), i64),
        Call(lambda T: (T(_grid(2, 3, 2)), None, False), (), i64),
        Call(lambda T: (T(_grid(2, 3, 2)), 2, True), (2, 3, 1), i64),
    ],
    "argmin": [
        Call(lambda T: (T(_grid(2, 3, 2)), 1, False), (2, 2), i64),
        Call(lambda T: (T(_grid(2, 3, 2)), None, False), (), i64),
        Call(lambda T: (T(_grid(3, 2), "transposed"), 0, True), (1, 2), i64),
    ],
    "cumsum": [
        Call(lambda T: (T(_grid(2, 3)), 1), (2, 3), f32),
        Call(lambda T: (T(_grid(2, 3, dtype=np.int64)), 0), (2, 3), i64),
    ],
    "cumprod": [
        Call(lambda T: (T(_grid(2, 3)), 1), (2, 3), f32),
        Call(lambda T: (T(_grid(3, 2, dtype=np.int64), "transposed"), 0), (3, 2), i64),
    ],
    "logcumsumexp": [
        Call(lambda T: (T(_grid(2, 3)), 1), (2, 3), f32),
        Call(lambda T: (T(_grid(3, 2, dtype=np.float64), "transposed"), 0), (3, 2), f64),
    ],
    "cumext_indices": [
        Call(lambda T: (T(_grid(2, 3)), 1, True), (2, 3), i64),
        Call(lambda T: (T(_grid(3, 2, dtype=np.int64), "transposed"), 0, False), (3, 2), i64),
    ],
    "view": [Call(lambda T: (T(_grid(2, 3, 2)), (3, 4)), (3, 4), f32)],
    "permute": [Call(lambda T: (T(_grid(2, 3, 4)), (2, 0, 1)), (4, 2, 3), f32)],
    "expand": [Call(lambda T: (T(_grid(3, 1)), (2, 3, 4)), (2, 3, 4), f32)],
    "cat": [
        Call(lambda T: ([T(_grid(2, 3)), T(_grid(1, 3))], 0), (3, 3), f32),
        Call(lambda T: ([T(_grid(2, 1)), T(_grid(2, 3), "transposed")], 1), (2, 4), f32),
    ],
    "flip": [Call(lambda T: (T(_grid(2, 3)), (0,)), (2, 3), f32), Call(lambda T: (T(_grid(2, 3)), (0, 1)), (2, 3), f32)],
    "slice": [
        Call(lambda T: (T(_grid(4, 3)), (slice(1, 3, 1), 0)), (2,), f32),
        Call(lambda T: (T(_grid(4, 3)), (None, 1, slice(0, 3, 2))), (1, 2), f32),
        Call(lambda T: (T(_grid(4, 3)), (2, 1)), (), f32),
    ],
    "index": [
        Call(lambda T: (T(_grid(4, 3)), (T(np.array([2, 0, -1])),)), (3, 3), f32),
        Call(lambda T: (T(_grid(4, 3)), (slice(0, 4, 1), T(np.array([1, 1])))), (4, 2), f32),
    ],
    "index_put": [
        Call(lambda T: (T(_grid(4, 3)), (T(np.array([0, 2])),), T(_grid(3)), False), (4, 3), f32),
        Call(lambda T: (T(_grid(4, 3)), (T(np.array([1, 1])),), 1.0, True), (4, 3), f32),
    ],
    "gather": [Call(lambda T: (T(_grid(3, 4)), 1, T(np.array([[0, 3], [1, 1], [2, 0]]))), (3, 2), f32)],
    "scatter": [Call(lambda T: (T(_grid(3, 4)), 1, T(np.array([[0, 3], [1, 2], [2, 0]])), T(_grid(3, 2))), (3, 4), f32)],
    "scatter_add": [
        Call(lambda T: (T(_grid(3, 4)), 1, T(np.array([[0, 0], [1, 2], [2, 2]])), T(_grid(3, 2))), (3, 4), f32)
    ],
    "nonzero": [
        Call(lambda T: (T(_grid(2, 3) > 0),), lambda x: (int(np.count_nonzero(x)), 2), i64),
        Call(lambda T: (T(np.zeros((0, 3), np.float32)),), (0, 2), i64),
    ],
    # complex numbers and the FFT (skipped on backends without complex dtypes)
    "real": [Call(lambda T: (T(_cgrid(2, 3)),), (2, 3), f32), Call(lambda T: (T(_cgrid(3, dtype=np.complex128)),), (3,), f64)],
    "imag": [Call(lambda T: (T(_cgrid(2, 3)),), (2, 3), f32), Call(lambda T: (T(_cgrid(2, 3), "transposed"),), (2, 3), f32)],
    "conj": [Call(lambda T: (T(_cgrid(2, 3)),), (2, 3), c64), Call(lambda T: (T(_cgrid(3, dtype=np.complex128)),), (3,), c128)],
    "angle": [Call(lambda T: (T(_cgrid(2, 3)),), (2, 3), f32), Call(lambda T: (T(_cgrid(3, dtype=np.complex128)),), (3,), f64)],
    "complex": [
        Call(lambda T: (T(_grid(2, 3)), T(_grid(3))), (2, 3), c64, "broadcast"),
        Call(lambda T: (T(_grid(2, dtype=np.float64)), T(_grid(2, dtype=np.float64))), (2,), c128),
    ],
    "fft_c2c": [
        Call(lambda T: (T(_cgrid(2, 4)), (1,), 0, True), (2, 4), c64, "forward"),
        Call(lambda T: (T(_cgrid(3, 2, 5, dtype=np.complex128), "transposed"), (0, 2), 2, False), (3, 2, 5), c128, "inverse"),
    ],
    "fft_r2c": [
        Call(lambda T: (T(_grid(2, 5)), (1,), 1), (2, 3), c64),
        Call(lambda T: (T(_grid(4, 6, dtype=np.float64)), (0, 1), 0), (4, 4), c128),
    ],
    "fft_c2r": [
        Call(lambda T: (T(_cgrid(2, 3)), (1,), 2, 4), (2, 4), f32, "even"),
        Call(lambda T: (T(_cgrid(3, 4, dtype=np.complex128)), (0, 1), 0, 7), (3, 7), f64, "odd"),
    ],
    "matmul": [
        Call(lambda T: (T(_grid(2, 3)), T(_grid(3, 4))), (2, 4), f32),
        Call(lambda T: (T(_grid(2, 2, 3)), T(_grid(3))), (2, 2), f32),
        Call(lambda T: (T(_grid(2, 1, 2, 3)), T(_grid(3, 3, 2))), (2, 3, 2, 2), f32),
    ],
    "argsort": [
        Call(lambda T: (T(_grid(3, 4)), 1, True), (3, 4), i64),
        Call(lambda T: (T(_grid(3, 4)), 0, False), (3, 4), i64),
    ],
    "searchsorted": [
        Call(lambda T: (T(_grid(5)), T(_grid(2, 3)), False), (2, 3), i64, "1-d"),
        Call(lambda T: (T(_grid(2, 4)), T(_grid(2, 3), "transposed"), True), (2, 3), i64, "batched"),
        Call(lambda T: (T(np.arange(4)), T(np.array(2)), True), (), i64, "0-d"),
    ],
    "random_bits": [Call(lambda T: (1, 0, 10, 0), (10,), i64), Call(lambda T: (2**40 + 3, 7, 0, 0), (0,), i64)],
    # LAPACK-style primitives: several results each (shapes and dtypes as tuples)
    **_lapack_calls(),
    # composites a backend may override (logsumexp: with the reductions above)
    "softmax": [Call(lambda T: (T(_grid(2, 3)), 1), (2, 3), f32), Call(lambda T: (T(_grid(2, 3, dtype=np.float64)), 0), (2, 3), f64)],
    "log_softmax": [Call(lambda T: (T(_grid(2, 3)), 1), (2, 3), f32)],
    "linear": [
        Call(lambda T: (T(_grid(4, 3)), T(_grid(2, 3)), T(_grid(2))), (4, 2), f32, "bias"),
        Call(lambda T: (T(_grid(2, 4, 3)), T(_grid(2, 3), "transposed")), (2, 4, 2), f32, "no-bias"),
    ],
}


class _Unsupported(Exception):
    """A sample needs a dtype the backend lacks."""


def _same(a: Any, b: Any) -> bool:
    """Equal values (nan equal to nan), computed with ember ops on the device."""
    if a.shape != b.shape or a.dtype is not b.dtype:
        return False
    eq = a == b
    if a.dtype.is_floating_point:
        eq = eq | (a.isnan() & b.isnan())
    return bool(eq.all().item())


#: primitives whose contract has its own test here rather than calls in CALLS
_OWN_TEST = {"copy_": "test_copy_inplace_contract"}


@pytest.mark.parametrize("name", sorted((set(PRIMITIVES) - set(_OWN_TEST)) | (set(COMPOSITES) & set(CALLS))))
def test_kernel_contract(name: str, backend: Any, device: str) -> None:
    """Direct kernel calls: native arrays out (never Tensors), the declared shape and dtype, inputs untouched."""
    op = OPS[name]
    _skip_complex_only(name, backend)
    k = backend.kernels.get(name)
    if k is None:
        if op.kind == "composite":
            pytest.skip(f"backend {backend.name!r} does not override the composite {name!r}")
        pytest.fail(f"backend {backend.name!r} has no kernel for the primitive {name!r}")
    calls = CALLS.get(name, [])
    if not calls:
        pytest.skip(f"the kit has no direct kernel sample for {name!r} yet (its op-level tests still run)")
    ran = 0
    for call in calls:
        made: list[Any] = []

        def T(array: Any, layout: str = "contiguous") -> Any:
            arr = np.asarray(array)
            if ember.dtypes.as_dtype(arr.dtype) not in backend.dtypes:
                raise _Unsupported
            t = make_tensor(arr, device, layout)
            made.append(t)
            return t._data

        try:
            args = call.build(T)
        except _Unsupported:
            continue
        dtypes = call.dtype if isinstance(call.dtype, tuple) else (call.dtype,)  # a tuple: several results
        if any(isinstance(a, ember.DType) and a not in backend.dtypes for a in args) or any(
            d not in backend.dtypes for d in dtypes
        ):
            continue
        ran += 1
        saved = [t.clone() for t in made]
        out = k(*args)
        what = f"kernel {name!r} ({call.name or 'call'})"
        assert not isinstance(out, ember.Tensor), f"{what} returned a Tensor; kernels return native arrays"
        for i, (t, s) in enumerate(zip(made, saved)):
            assert _same(t, s), f"{what} modified its input array {i}"
        shape = call.shape(*[np.asarray(backend.to_host(t._data)) for t in made]) if callable(call.shape) else call.shape
        outs, shapes = (out, shape) if isinstance(call.dtype, tuple) else ((out,), [shape])
        assert isinstance(outs, (tuple, list)) and len(outs) == len(dtypes), (
            f"{what}: expected {len(dtypes)} results, got {type(out).__name__}"
        )
        for j, (o, sh, dt) in enumerate(zip(outs, shapes, dtypes)):
            assert not isinstance(o, ember.Tensor), f"{what} returned a Tensor; kernels return native arrays"
            host = np.asarray(backend.to_host(o))
            res = f"{what} result {j}" if len(dtypes) > 1 else what
            assert host.shape == tuple(sh), f"{res}: shape {host.shape}, declared {tuple(sh)}"
            assert host.dtype == dt.numpy, f"{res}: dtype {host.dtype}, declared {dt.name}"
        if op.kind == "composite" and op.impl is not None and not isinstance(call.dtype, tuple):
            _check_override_values(op, what, args, made, outs[0], backend)
        _check_kernel_aliasing(op, what, made, outs, backend)
    if not ran:
        pytest.skip(f"backend {backend.name!r} supports none of the dtypes of the kit's samples for {name!r}")


def _check_override_values(op: Any, what: str, args: tuple[Any, ...], made: list[Any], out: Any, backend: Any) -> None:
    """A composite override computes what core's decomposition (`Op.impl`) computes on the same inputs."""
    by_native = {id(t._data): t for t in made}
    tensors = [by_native[id(a)] for a in args if id(a) in by_native]
    rest = tuple(a for a in args if id(a) not in by_native)
    expected = op.impl(*tensors, *rest)
    got = np.asarray(backend.to_host(out)).astype(np.float64)
    np.testing.assert_allclose(got, expected.detach().double().numpy(), rtol=1e-4, atol=1e-5,
                               err_msg=f"{what}: the override's values differ from core's {op.name}")  # fmt: skip


def _check_kernel_aliasing(op: Any, what: str, made: list[Any], outs: Any, backend: Any) -> None:
    """A view kernel's result follows writes to its input; any other kernel's result is new memory."""
    natives = [t._data for t in made]
    if not op.view:
        for j, o in enumerate(outs):
            assert not any(o is a for a in natives), f"{what} returned its input array itself (result {j})"
    before = [np.array(backend.to_host(o), copy=True) for o in outs]
    with ember.no_grad():
        for t in made:
            if t.numel():
                t.copy_((t == 0).to(t.dtype))  # every element changes
    for j, (o, b) in enumerate(zip(outs, before)):
        after = np.asarray(backend.to_host(o))
        if op.view:
            assert b.size == 0 or not np.any(after == b), f"{what}: a view kernel, but its result did not follow writes to its input (a copy)"
        else:
            np.testing.assert_array_equal(after, b, err_msg=f"{what} result {j} changed when its inputs were written afterwards: it aliases an input where the contract asks for new memory")


def test_copy_inplace_contract(backend: Any, device: str) -> None:
    """copy_ writes through a view of dst (broadcasting src), returns None and leaves src untouched."""
    k = backend.kernels.get("copy_")
    if k is None:
        pytest.fail(f"backend {backend.name!r} has no kernel for copy_ (the one primitive with no host fallback)")
    dst = ember.zeros(3, 4, device=device)
    view = dst[1:3, ::2]
    src = make_tensor(np.array([1.5, -2.0], np.float32), device)
    before = src.clone()
    assert k(view._data, src._data) is None
    assert _same(src, before), "copy_ modified its source"
    expected = np.zeros((3, 4), np.float32)
    expected[1:3, ::2] = [1.5, -2.0]
    np.testing.assert_array_equal(dst.numpy(), expected)
    k(view._data, 7.0)
    expected[1:3, ::2] = 7.0
    np.testing.assert_array_equal(dst.numpy(), expected)


def test_contract_table_covers_primitives() -> None:
    """The kit has direct kernel calls for every primitive (elementwise ops get theirs from their dtype rule)."""
    missing = [name for name in PRIMITIVES if not CALLS.get(name) and name not in _OWN_TEST]
    assert not missing, "\n".join(
        f"the kit has no direct kernel calls for the primitive {name!r} ({OPS[name].signature}): add them to "
        f"CALLS in ember.testing.kit.test_kernels" for name in missing
    )


# --------------------------------------------------------------------------- ops never modify their inputs


@pytest.mark.parametrize("info", [pytest.param(i, id=i.name) for i in OP_DB if i.name != "setitem"])
def test_op_leaves_inputs_unmodified(info: OpInfo, backend: Any, device: str) -> None:
    """Every sample: the op leaves its inputs' values and versions as they were, and its results alias
    exactly what core says they do: writing into the inputs afterwards shows in a result that is a view
    of an input, and in no other (a kernel that returned an input, or a view where a copy is due)."""
    dtype = info.dtypes[0]
    require_dtype(backend, dtype)
    for sample in info.samples(dtype):
        if not sample_supported(sample, backend):
            continue
        args = to_ember(sample.args, device)
        kwargs = to_ember(sample.kwargs, device)
        inputs = _tensors(args) + _tensors(kwargs)
        saved = [(t.clone(), t._version_value) for t in inputs]
        out = info.op(*args, **kwargs)
        for i, (t, (copy, version)) in enumerate(zip(inputs, saved)):
            assert _same(t, copy), f"{info.name} {sample!r} modified input tensor {i}"
            assert t._version_value == version, f"{info.name} {sample!r} bumped the version of input tensor {i}"
        _check_aliasing(info, sample, inputs, out)


def _root(t: Any) -> Any:
    return t._base if t._base is not None else t


def _check_aliasing(info: OpInfo, sample: Any, inputs: list[Any], out: Any) -> None:
    """Write new values into every input; a view of an input must follow them, any other result must not."""
    results = _tensors(out)
    inputs = [t for t in inputs if t.numel() > 0]
    if not results or not inputs:
        return
    roots = {id(_root(t)) for t in inputs}
    # `x.to(x.dtype)` and friends return the input itself (as PyTorch does): nothing to check there
    checked = [(j, r) for j, r in enumerate(results) if not any(r is t for t in inputs)]
    before = [r.clone() for _, r in checked]
    with ember.no_grad():
        for t in inputs:
            t.copy_((t == 0).to(t.dtype))  # every element changes: zeros become one, the rest zero (nan too)
    for (j, r), b in zip(checked, before):
        what = f"{info.name} {sample!r} result {j}"
        if r._base is not None and id(_root(r)) in roots:  # a view of an input: each of its elements changed
            assert r.numel() == 0 or bool((r != b).all().item()), (
                f"{what} is a view of an input but does not follow writes to it: its kernel copied"
            )
        else:
            assert _same(r, b), (
                f"{what} changed when its inputs were written afterwards: its kernel returned an input or a view "
                f"of one where the op's result must be new memory"
            )


def _tensors(obj: Any) -> list[Any]:
    if isinstance(obj, ember.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for x in obj for t in _tensors(x)]
    if isinstance(obj, dict):
        return [t for x in obj.values() for t in _tensors(x)]
    return []


#: in-place variant -> the op it belongs to (`Op.variant`): add_ -> add
_VARIANT_OF = {op.variant.name: op.name for op in OPS.values() if op.variant is not None}


@pytest.mark.parametrize("name", sorted(_VARIANT_OF))
def test_optional_inplace_kernel(name: str, backend: Any, device: str) -> None:
    """An in-place variant, where the backend has one, writes exactly what the out-of-place op computes."""
    if name not in backend.kernels:
        pytest.skip(f"backend {backend.name!r} has no optional in-place kernel {name!r} (core copies instead)")
    out_of_place = API[_VARIANT_OF[name]].fn
    a = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
    b = ember.tensor(np.array([2.0, -0.5, 4.0], np.float32), device=device)
    x = ember.tensor(a, device=device)
    view = x.view(6)
    expected = out_of_place(x, b).numpy()
    getattr(x, name)(b)  # the method dispatches to the in-place kernel
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(view.numpy(), expected.reshape(6), rtol=1e-6)  # written in place: views see it
    expected = out_of_place(x, 2.0).numpy()
    getattr(x, name)(2.0)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)

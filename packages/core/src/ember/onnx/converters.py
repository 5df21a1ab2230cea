"""One ONNX converter per op of `ember.dispatch.OPS`, keyed by op name, and the reasons for the rest.

A converter is called as ``conv(builder, *args)`` with the kernel's arguments: arrays as
`Value`s (``.name``, ``.dtype``, ``.shape``), Python numbers that follow a dynamic axis as
`Sym`s, the rest as the kernel received them. It adds nodes through the `Builder` and returns
the name of each output. `UNSUPPORTED` says, per op, why it has no converter;
`tests/onnx/test_onnx_export.py` checks that every op of the table is in one of the two.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .export import INT64_MAX, INT64_MIN, Builder, Sym, Value, onnx_dtype

__all__ = ["CONVERTERS", "UNSUPPORTED"]

Converter = Callable[..., Any]
CONVERTERS: dict[str, Converter] = {}

_NO_ONNX = "ONNX has no operator for it"
_BACKWARD = "it computes a gradient, which a forward pass in eval mode never runs"
#: Why an op has no converter. The composites here are traced through their decomposition (a backend's
#: override is hidden during export), so they export when the primitives they decompose into do.
UNSUPPORTED: dict[str, str] = {
    "erfinv": _NO_ONNX + " (no inverse error function)",
    "lgamma": _NO_ONNX + " (no log-gamma)",
    "digamma": _NO_ONNX + " (no digamma)",
    "i0": _NO_ONNX + " (no Bessel functions)",
    "i1": _NO_ONNX + " (no Bessel functions)",
    "nextafter": _NO_ONNX + " (no floating-point successor)",
    "gcd": _NO_ONNX + " (no greatest common divisor)",
    "lcm": _NO_ONNX + " (no least common multiple)",
    "cumext_indices": _NO_ONNX + " (no cumulative max/min indices)",
    "logcumsumexp": _NO_ONNX + " (no cumulative log-sum-exp)",
    "random_bits": "Ember's Philox random bits have no ONNX equivalent, and baking one draw into the graph would "
    "freeze it; export in eval mode, where dropout draws nothing, and make no random numbers in forward",
    "conv2d_weight_grad": _BACKWARD,
    "softmax_cross_entropy_grad": _BACKWARD,
    "max_pool2d_grad": _BACKWARD,
    "linalg_inv": _NO_ONNX + " (no matrix inverse)",
    "linalg_solve": _NO_ONNX + " (no linear solve)",
    "linalg_cholesky": _NO_ONNX + " (no Cholesky factorization)",
    "linalg_qr": _NO_ONNX + " (no QR factorization)",
    "linalg_svd": _NO_ONNX + " (no singular value decomposition)",
    "linalg_eigh": _NO_ONNX + " (no eigendecomposition)",
    "linalg_pinv": _NO_ONNX + " (no pseudo-inverse)",
    "linalg_matrix_exp": _NO_ONNX + " (no matrix exponential)",
    **{
        name: "ONNX tensors have no complex element type that its operators compute on (ONNX's DFT carries "
        "complex numbers as a trailing dimension of 2); a model must keep complex numbers out of its forward pass"
        for name in ("real", "imag", "conj", "angle", "complex", "fft_c2c", "fft_r2c", "fft_c2r")
    },
}


def converter(*names: str) -> Callable[[Converter], Converter]:
    def register(fn: Converter) -> Converter:
        for n in names:
            CONVERTERS[n] = fn
        return fn

    return register


def _dt(b: Builder, dtype: Any) -> int:
    return onnx_dtype(b.onnx, dtype)


def _out_dtype(b: Builder) -> np.dtype[Any]:
    return b.outs[0].dtype


# -- elementwise -------------------------------------------------------------------------------------

_UNARY = {
    "neg": "Neg", "abs": "Abs", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "sin": "Sin", "cos": "Cos",
    "tan": "Tan", "asin": "Asin", "acos": "Acos", "atan": "Atan", "sinh": "Sinh", "cosh": "Cosh",
    "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh", "tanh": "Tanh", "sigmoid": "Sigmoid",
    "erf": "Erf", "sign": "Sign",
    "reciprocal": "Reciprocal", "logical_not": "Not", "isnan": "IsNaN", "copy": "Identity",
}  # fmt: skip


def _unary(op_type: str) -> Converter:
    return lambda b, x: b.node(op_type, [x.name])


for _name, _op_type in _UNARY.items():
    CONVERTERS[_name] = _unary(_op_type)


def _one(b: Builder, x: Value) -> str:
    return b.const(np.array(1, dtype=x.dtype))


@converter("relu")
def _relu(b: Builder, x: Value) -> str:
    if x.dtype.kind == "f":
        return b.node("Relu", [x.name])
    return b.node("Max", [x.name, b.const(np.array(0, x.dtype))])  # onnxruntime has Relu for floats only


@converter("floor", "ceil", "round")
def _rounding(b: Builder, x: Value) -> str:
    if x.dtype.kind != "f":  # integers are already whole
        return b.node("Identity", [x.name])
    return b.node(b.op.capitalize(), [x.name])


@converter("log2", "log10")
def _log_base(b: Builder, x: Value) -> str:
    base = 2.0 if b.op == "log2" else 10.0
    return b.node("Div", [b.node("Log", [x.name]), b.const(np.array(math.log(base), x.dtype))])


@converter("log1p")
def _log1p(b: Builder, x: Value) -> str:
    return b.node("Log", [b.node("Add", [x.name, _one(b, x)])])


@converter("expm1")
def _expm1(b: Builder, x: Value) -> str:
    return b.node("Sub", [b.node("Exp", [x.name]), _one(b, x)])


@converter("rsqrt")
def _rsqrt(b: Builder, x: Value) -> str:
    return b.node("Reciprocal", [b.node("Sqrt", [x.name])])


@converter("erfc")
def _erfc(b: Builder, x: Value) -> str:
    return b.node("Sub", [_one(b, x), b.node("Erf", [x.name])])


@converter("isfinite")
def _isfinite(b: Builder, x: Value) -> str:
    if x.dtype.kind not in "fc":
        return b.node("Cast", [b.node("Equal", [x.name, x.name])], to=_dt(b, np.bool_))
    bad = b.node("Or", [b.node("IsNaN", [x.name]), b.node("IsInf", [x.name])])
    return b.node("Not", [bad])


@converter("trunc")
def _trunc(b: Builder, x: Value) -> str:
    if x.dtype.kind not in "fc":
        return b.node("Identity", [x.name])
    return b.node("Mul", [b.node("Sign", [x.name]), b.node("Floor", [b.node("Abs", [x.name])])])


def _invert(b: Builder, x: str, dtype: np.dtype[Any]) -> str:
    """~x: BitwiseNot from opset 18; before, -x - 1 (two's complement) or max - x (unsigned)."""
    if b.opset >= 18:
        return b.node("BitwiseNot", [x])
    if dtype.kind == "u":
        return b.node("Sub", [b.const(np.array(np.iinfo(dtype).max, dtype)), x])
    return b.node("Sub", [b.node("Neg", [x]), b.const(np.array(1, dtype))])


@converter("bitwise_not")
def _bitwise_not(b: Builder, x: Value) -> str:
    return b.node("Not", [x.name]) if x.dtype == np.bool_ else _invert(b, x.name, x.dtype)


def _operands(b: Builder, x: Any, y: Any) -> tuple[str, str, np.dtype[Any]]:
    """Both operands of a binary kernel as ONNX names; a Python scalar takes the array operand's dtype."""
    dtype = x.dtype if isinstance(x, Value) else y.dtype
    return b.operand(x, dtype), b.operand(y, dtype), dtype


_BINARY = {
    "add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "maximum": "Max", "minimum": "Min",
    "eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater", "ge": "GreaterOrEqual",
}  # fmt: skip
_LOGICAL = {"logical_and": "And", "logical_or": "Or", "logical_xor": "Xor"}
_BITWISE = {"bitwise_and": ("BitwiseAnd", "And"), "bitwise_or": ("BitwiseOr", "Or"), "bitwise_xor": ("BitwiseXor", "Xor")}


def _binary(op_type: str) -> Converter:
    def conv(b: Builder, x: Any, y: Any) -> str:
        xn, yn, _ = _operands(b, x, y)
        return b.node(op_type, [xn, yn])

    return conv


for _name, _op_type in _BINARY.items():
    CONVERTERS[_name] = _binary(_op_type)
for _name in ("add", "sub", "mul", "div"):  # in place: the exporter binds the result to x from then on
    CONVERTERS[_name + "_"] = _binary(_BINARY[_name])


@converter("ne")
def _ne(b: Builder, x: Any, y: Any) -> str:
    xn, yn, _ = _operands(b, x, y)
    return b.node("Not", [b.node("Equal", [xn, yn])])


def _as_bool(b: Builder, name: str, dtype: np.dtype[Any]) -> str:
    return name if dtype == np.bool_ else b.node("Cast", [name], to=_dt(b, np.bool_))


def _logical(op_type: str) -> Converter:
    def conv(b: Builder, x: Any, y: Any) -> str:
        xn, yn, dtype = _operands(b, x, y)
        return b.node(op_type, [_as_bool(b, xn, dtype), _as_bool(b, yn, dtype)])

    return conv


for _name, _op_type in _LOGICAL.items():
    CONVERTERS[_name] = _logical(_op_type)


def _bitwise(op_type: str, bool_op: str) -> Converter:
    def conv(b: Builder, x: Any, y: Any) -> str:
        xn, yn, dtype = _operands(b, x, y)
        if dtype == np.bool_:
            return b.node(bool_op, [xn, yn])
        if b.opset < 18:
            raise b.error(f"ONNX has {op_type} from opset 18 on; export with opset_version=18 or later")
        return b.node(op_type, [xn, yn])

    return conv


for _name, (_op_type, _bool_op) in _BITWISE.items():
    CONVERTERS[_name] = _bitwise(_op_type, _bool_op)


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


@converter("bitwise_left_shift", "bitwise_right_shift")
def _shift(b: Builder, x: Any, y: Any) -> str:
    """ONNX's BitShift on the unsigned twin of the dtype; an arithmetic right shift of a negative x is
    ~(~x >> n). Counts below 0 or of the bit width and more give 0 (or -1: negative x shifted right)."""
    xn, yn, dtype = _operands(b, x, y)
    u = _dt(b, _UNSIGNED[dtype.itemsize])
    count = b.node("Cast", [yn], to=u)
    zero = b.const(np.array(0, dtype))
    ok = b.node("And", [b.node("GreaterOrEqual", [yn, zero]), b.node("Less", [yn, b.const(np.array(dtype.itemsize * 8, dtype))])])

    def shifted(v: str, direction: str) -> str:
        return b.node("Cast", [b.node("BitShift", [b.node("Cast", [v], to=u), count], direction=direction)], to=_dt(b, dtype))

    if b.op == "bitwise_left_shift":
        return b.node("Where", [ok, shifted(xn, "LEFT"), zero])
    neg = b.node("Less", [xn, zero])
    if dtype.kind == "u":
        return b.node("Where", [ok, shifted(xn, "RIGHT"), zero])
    flipped = _invert(b, shifted(_invert(b, xn, dtype), "RIGHT"), dtype)
    out = b.node("Where", [neg, flipped, shifted(xn, "RIGHT")])
    return b.node("Where", [ok, out, b.node("Where", [neg, b.const(np.array(-1, dtype)), zero])])


@converter("floor_divide")
def _floor_divide(b: Builder, x: Any, y: Any) -> str:
    xn, yn, dtype = _operands(b, x, y)
    if dtype.kind == "f":
        return b.node("Floor", [b.node("Div", [xn, yn])])
    return b.node("Div", [b.node("Sub", [xn, b.node("Mod", [xn, yn], fmod=0)]), yn])  # exact for integers


@converter("remainder")
def _remainder(b: Builder, x: Any, y: Any) -> str:
    xn, yn, dtype = _operands(b, x, y)
    if dtype.kind == "f":  # x - y * floor(x / y): the sign of y, as Python's %
        return b.node("Sub", [xn, b.node("Mul", [yn, b.node("Floor", [b.node("Div", [xn, yn])])])])
    return b.node("Mod", [xn, yn], fmod=0)


@converter("fmod")
def _fmod(b: Builder, x: Any, y: Any) -> str:
    xn, yn, _ = _operands(b, x, y)
    return b.node("Mod", [xn, yn], fmod=1)


@converter("hypot")
def _hypot(b: Builder, x: Any, y: Any) -> str:
    xn, yn, _ = _operands(b, x, y)
    return b.node("Sqrt", [b.node("Add", [b.node("Mul", [xn, xn]), b.node("Mul", [yn, yn])])])


@converter("copysign")
def _copysign(b: Builder, x: Any, y: Any) -> str:
    xn, yn, dtype = _operands(b, x, y)
    neg = b.node("Less", [yn, b.const(np.array(0, dtype))])
    ax = b.node("Abs", [xn])
    return b.node("Where", [neg, b.node("Neg", [ax]), ax])


@converter("atan2")
def _atan2(b: Builder, y: Any, x: Any) -> str:
    yn, xn, dtype = _operands(b, y, x)
    zero, pi = b.const(np.array(0, dtype)), b.const(np.array(math.pi, dtype))
    half = b.const(np.array(math.pi / 2, dtype))
    base = b.node("Atan", [b.node("Div", [yn, xn])])
    y_neg = b.node("Less", [yn, zero])
    shift = b.node("Where", [y_neg, b.node("Neg", [pi]), pi])
    left = b.node("Add", [base, shift])  # x < 0
    x_neg, x_zero = b.node("Less", [xn, zero]), b.node("Equal", [xn, zero])
    on_axis = b.node("Mul", [b.node("Sign", [yn]), half])  # x == 0
    return b.node("Where", [x_zero, on_axis, b.node("Where", [x_neg, left, base])])


@converter("where")
def _where(b: Builder, cond: Value, x: Any, y: Any) -> str:
    dtype = _out_dtype(b)
    return b.node("Where", [cond.name, b.operand(x, dtype), b.operand(y, dtype)])


# -- creation and conversion -------------------------------------------------------------------------


@converter("full")
def _full(b: Builder, shape: tuple[Any, ...], value: Any, dtype: Any, index: int) -> str:
    np_dtype = _out_dtype(b)
    fill = b.onnx.numpy_helper.from_array(np.array([b.static(value, "fill value")], dtype=np_dtype), "value")
    return b.node("ConstantOfShape", [b.ints(shape)], value=fill)


@converter("arange")
def _arange(b: Builder, start: Any, end: Any, step: Any, dtype: Any, index: int) -> str:
    np_dtype = _out_dtype(b)
    return b.node("Range", [b.scalar(start, np_dtype), b.scalar(end, np_dtype), b.scalar(step, np_dtype)])


@converter("astype")
def _astype(b: Builder, x: Value, dtype: Any) -> str:
    return b.node("Cast", [x.name], to=_dt(b, _out_dtype(b)))


@converter("copy_")
def _copy_(b: Builder, dst: Value, src: Any) -> str:
    """dst's new value: src cast to dst's dtype and broadcast to its shape."""
    s = b.operand(src, dst.dtype)
    if isinstance(src, Value) and src.dtype != dst.dtype:
        s = b.node("Cast", [s], to=_dt(b, dst.dtype))
    return b.node("Expand", [s, b.node("Shape", [dst.name])])


# -- movement ----------------------------------------------------------------------------------------


@converter("view")
def _view(b: Builder, x: Value, shape: tuple[Any, ...]) -> str:
    target: list[Any] = list(shape)
    syms = [i for i, d in enumerate(target) if isinstance(d, Sym)]
    if len(syms) == 1:  # the one dim that follows an axis is what is left: -1
        target[syms[0]] = -1
    allowzero = 1 if 0 in target else None
    return b.node("Reshape", [x.name, b.ints(target)], allowzero=allowzero)


@converter("permute")
def _permute(b: Builder, x: Value, dims: tuple[int, ...]) -> str:
    return b.node("Transpose", [x.name], perm=list(dims))


@converter("expand")
def _expand(b: Builder, x: Value, shape: tuple[Any, ...]) -> str:
    if 0 in shape:  # an empty result (onnxruntime's Expand keeps a size-1 dim against a target of 0)
        zero = b.onnx.numpy_helper.from_array(np.zeros(1, x.dtype), "value")
        return b.node("ConstantOfShape", [b.ints(shape)], value=zero)
    lead = len(shape) - x.ndim
    target = [d if i < lead or x.shape[i - lead] != d else 1 for i, d in enumerate(shape)]  # 1: keep x's own size
    return b.node("Expand", [x.name, b.ints(target)])


@converter("cat")
def _cat(b: Builder, xs: list[Value], axis: int) -> str:
    return b.node("Concat", [x.name for x in xs], axis=axis)


@converter("flip")
def _flip(b: Builder, x: Value, axes: tuple[int, ...]) -> str:
    n = len(axes)
    return b.node(
        "Slice",
        [x.name, b.ints([-1] * n), b.ints([INT64_MIN] * n), b.ints(list(axes)), b.ints([-1] * n)],
    )


def _sliced(b: Builder, x: Value, key: tuple[Any, ...]) -> str:
    """x[key] for a key of ints, slices (normalized: start, stop, step > 0) and None; x itself when key selects all."""
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = 0
    out_axis = 0
    for k in key:
        if k is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        size = x.shape[dim]
        if isinstance(k, slice):
            start = 0 if k.start is None else k.start
            stop = INT64_MAX if k.stop is None or k.stop == size else k.stop
            step = 1 if k.step is None else b.static(k.step, "slice step")
            if not (start == 0 and stop == INT64_MAX and step == 1):
                starts.append(start)
                ends.append(stop)
                axes.append(dim)
                steps.append(step)
            out_axis += 1
        else:
            starts.append(k)
            ends.append(Sym(k.a + 1, k.b + 1) if isinstance(k, Sym) else k + 1)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
        dim += 1
    out = x.name
    if axes:
        out = b.node("Slice", [out, b.ints(starts), b.ints(ends), b.ints(axes), b.ints(steps)])
    if squeeze:
        out = b.node("Squeeze", [out, b.ints(squeeze)])
    if unsqueeze:
        out = b.node("Unsqueeze", [out, b.ints(unsqueeze)])
    return out


def write_slice(b: Builder, base: Value, key: tuple[Any, ...], src: str) -> str:
    """`base` with `base[key] = src` (`src` has base[key]'s shape): a ScatterND over the indexed region."""
    if base.ndim == 0:
        return b.node("Reshape", [src, b.ints([])])
    key = tuple(k for k in key if k is not None)  # None only adds size-1 dims to the view
    key = key + (slice(None),) * (base.ndim - len(key))
    i64 = np.dtype(np.int64)
    ranges = []
    for d, k in enumerate(key):
        if isinstance(k, slice):
            start = 0 if k.start is None else k.start
            stop = base.shape[d] if k.stop is None else k.stop
            step = 1 if k.step is None else k.step
        else:
            start, stop, step = k, Sym(k.a + 1, k.b + 1) if isinstance(k, Sym) else k + 1, 1
        ranges.append(b.node("Range", [b.scalar(start, i64), b.scalar(stop, i64), b.scalar(step, i64)]))
    region = b.node("Concat", [b.node("Shape", [r]) for r in ranges], axis=0)
    idx = []
    for d, r in enumerate(ranges):  # each axis's indices, broadcast over the region, stacked on a last axis
        others = [a for a in range(base.ndim) if a != d]
        grid = b.node("Expand", [b.node("Unsqueeze", [r, b.ints(others)]) if others else r, region])
        idx.append(b.node("Unsqueeze", [grid, b.ints([-1])]))
    indices = idx[0] if len(idx) == 1 else b.node("Concat", idx, axis=-1)
    return b.node("ScatterND", [base.name, indices, b.node("Reshape", [src, region])])


@converter("slice")
def _slice(b: Builder, x: Value, key: tuple[Any, ...]) -> str:
    out = _sliced(b, x, key)
    return out if out != x.name else b.node("Identity", [out])


def _inverse(perm: list[int]) -> list[int]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return inv


def _advanced(
    b: Builder, x: str, ndim: int, key: tuple[Any, ...], out_ndim: int = 0
) -> tuple[str, str, list[int], list[int] | None]:
    """NumPy's advanced indexing as GatherND/ScatterND see it.

    Returns x with the indexed axes moved first, the broadcast indices stacked on a last axis
    (B..., k), that transpose, and the transpose that puts the broadcast dims B back where NumPy
    puts them in a result of rank `out_ndim` (at the first indexed axis when the indexed axes are
    adjacent), or None.
    Ints count as indices when a key holds arrays, as in NumPy.
    """
    if any(k is None for k in key):
        raise b.error("ONNX export writes advanced indexing without None (newaxis) in the key; unsqueeze first")
    key = key + (slice(None),) * (ndim - len(key))
    adv = [i for i, k in enumerate(key) if not isinstance(k, slice)]
    if any(isinstance(key[i], Value) and key[i].dtype == np.bool_ for i in adv):
        raise b.error("boolean-mask indexing makes a data-dependent shape; use ember.where instead")
    rest = [i for i in range(ndim) if i not in adv]
    perm = adv + rest
    xt = x if perm == list(range(ndim)) else b.node("Transpose", [x], perm=perm)
    parts = [key[i].name if isinstance(key[i], Value) else b.scalar(key[i], np.dtype(np.int64)) for i in adv]
    if len(parts) > 1:  # broadcast the index arrays against each other
        zero = b.const(np.int64(0))
        acc = b.node("Mul", [parts[0], zero])
        for p in parts[1:]:
            acc = b.node("Add", [acc, b.node("Mul", [p, zero])])
        shape = b.node("Shape", [acc])
        parts = [b.node("Expand", [p, shape]) for p in parts]
    idx = b.node("Concat", [b.node("Unsqueeze", [p, b.ints([-1])]) for p in parts], axis=-1)
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    back = None
    if adjacent and adv[0] > 0 and out_ndim:
        n_b = out_ndim - len(rest)
        front = adv[0]
        back = list(range(n_b, n_b + front)) + list(range(n_b)) + list(range(n_b + front, n_b + len(rest)))
    return xt, idx, perm, back


@converter("index")
def _index(b: Builder, x: Value, key: tuple[Any, ...]) -> str:
    arrays = [i for i, k in enumerate(key) if isinstance(k, Value)]
    if len(arrays) == 1 and not any(isinstance(k, (int, Sym)) for k in key) and key[arrays[0]].dtype != np.bool_:
        i = arrays[0]  # one index tensor among slices (and None): a Gather on that axis
        pre = _sliced(b, x, tuple(k if j != i else slice(None) for j, k in enumerate(key)))
        axis = sum(1 for k in key[:i] if isinstance(k, slice) or k is None)
        return b.node("Gather", [pre, key[i].name], axis=axis)
    pre = _sliced(b, x, tuple(k if isinstance(k, slice) else slice(None) for k in key))
    xt, idx, _, back = _advanced(b, pre, x.ndim, key, b.outs[0].ndim)
    out = b.node("GatherND", [xt, idx])
    return out if back is None else b.node("Transpose", [out], perm=back)


@converter("index_put")
def _index_put(b: Builder, x: Value, key: tuple[Any, ...], values: Any, accumulate: bool) -> str:
    full = [k for k in key if isinstance(k, slice)]
    if any(k.start not in (None, 0) or k.stop not in (None, x.shape[i]) or k.step not in (None, 1)
           for i, k in enumerate(key) if isinstance(k, slice)) or not len(full) < len(key):  # fmt: skip
        raise b.error("ONNX export writes index_put with index tensors and whole-axis slices only")
    xt, idx, perm, _ = _advanced(b, x.name, x.ndim, key)
    adv = perm[: len(perm) - (x.ndim - len(key)) - len(full)]
    rest = x.ndim - len(adv)
    # the shape of x[key] with the broadcast dims first (as GatherND gives it), and NumPy's order of it
    sel_t = b.node(
        "Concat",
        [b.node("Slice", [b.node("Shape", [idx]), b.ints([0]), b.ints([-1])]),
         b.node("Slice", [b.node("Shape", [xt]), b.ints([len(adv)]), b.ints([INT64_MAX])])],
        axis=0,
    )  # fmt: skip
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    upd = b.operand(values, x.dtype)
    if adjacent and adv[0] > 0:  # values broadcast against NumPy's order, then go to GatherND's
        ranks = [len(key[i].shape) if isinstance(key[i], Value) else 0 for i in adv]
        nb = max(ranks)
        back = list(range(nb, nb + adv[0])) + list(range(nb)) + list(range(nb + adv[0], nb + rest))
        sel = b.node("Gather", [sel_t, b.ints(back)], axis=0)
        upd = b.node("Transpose", [b.node("Expand", [upd, sel])], perm=_inverse(back))
    else:
        upd = b.node("Expand", [upd, sel_t])
    out = b.node("ScatterND", [xt, idx, upd], reduction="add" if accumulate else None)
    return out if perm == list(range(x.ndim)) else b.node("Transpose", [out], perm=_inverse(perm))


@converter("gather")
def _gather(b: Builder, x: Value, axis: int, index: Value) -> str:
    return b.node("GatherElements", [x.name, index.name], axis=axis)


@converter("scatter", "scatter_add")
def _scatter(b: Builder, x: Value, axis: int, index: Value, src: Value) -> str:
    red = "add" if b.op == "scatter_add" else None
    return b.node("ScatterElements", [x.name, index.name, src.name], axis=axis, reduction=red)


@converter("nonzero")
def _nonzero(b: Builder, x: Value) -> str:
    if x.ndim == 0:  # (1 or 0, 0): a row per nonzero, no columns
        idx = b.node("NonZero", [b.node("Reshape", [x.name, b.ints([1])])])
        return b.node("Slice", [b.node("Transpose", [idx], perm=[1, 0]), b.ints([0]), b.ints([0]), b.ints([1])])
    return b.node("Transpose", [b.node("NonZero", [x.name])], perm=[1, 0])


# -- reductions --------------------------------------------------------------------------------------


def _reduction(op_type: str) -> Converter:
    def conv(b: Builder, x: Value, axes: tuple[int, ...], keepdim: bool) -> str:
        if not axes:
            return b.node("Identity", [x.name])
        return b.reduce(op_type, x.name, axes, keepdim)

    return conv


for _name, _op_type in {"sum": "ReduceSum", "prod": "ReduceProd", "amax": "ReduceMax", "amin": "ReduceMin",
                        "logsumexp": "ReduceLogSumExp"}.items():  # fmt: skip
    CONVERTERS[_name] = _reduction(_op_type)


@converter("all", "any")
def _all_any(b: Builder, x: Value, axes: tuple[int, ...], keepdim: bool) -> str:
    as_int = b.node("Cast", [_as_bool(b, x.name, x.dtype)], to=_dt(b, np.int32))
    red = b.reduce("ReduceMin" if b.op == "all" else "ReduceMax", as_int, axes or list(range(x.ndim)), keepdim)
    return b.node("Cast", [red], to=_dt(b, np.bool_))


@converter("argmax", "argmin")
def _argmax(b: Builder, x: Value, axis: int | None, keepdim: bool) -> str:
    op_type = "ArgMax" if b.op == "argmax" else "ArgMin"
    if axis is None:
        flat = b.node("Reshape", [x.name, b.ints([-1])])
        out = b.node(op_type, [flat], axis=0, keepdims=0)
        if keepdim:
            out = b.node("Reshape", [out, b.ints([1] * x.ndim)])
        return out
    return b.node(op_type, [x.name], axis=axis, keepdims=int(keepdim))


@converter("cumsum")
def _cumsum(b: Builder, x: Value, axis: int) -> str:
    return b.node("CumSum", [x.name, b.const(np.int64(axis))])


@converter("cumprod")
def _cumprod(b: Builder, x: Value, axis: int) -> str:
    """ONNX has no cumulative product: a Hillis-Steele scan, ceil(log2 n) steps of x *= x shifted by
    1, 2, 4, ... along the axis (the shift pads with ones), exact for integers."""
    n = b.static(x.shape[axis], "length along the axis (the scan's step count)")
    out = x.name
    k = 1
    while k < n:
        pads = [0] * (2 * x.ndim)
        pads[axis] = k
        head = b.node("Slice", [out, b.ints([0]), b.ints([-k]), b.ints([axis])])
        out = b.node("Mul", [out, b.node("Pad", [head, b.ints(pads), b.const(np.array(1, x.dtype))])])
        k *= 2
    return out if out != x.name else b.node("Identity", [out])


@converter("argsort")
def _argsort(b: Builder, x: Value, axis: int, descending: bool) -> str:
    k = b.node("Unsqueeze", [b.size(x.shape[axis]), b.ints([0])])
    _, idx = b.node("TopK", [x.name, k], n_out=2, axis=axis, largest=int(descending), sorted=1)
    return idx


# -- linear algebra, convolution, pooling, activations -----------------------------------------------


@converter("matmul")
def _matmul(b: Builder, x: Value, y: Value) -> str:
    return b.node("MatMul", [x.name, y.name])


@converter("linear")
def _linear(b: Builder, x: Value, w: Value, bias: Value | None = None) -> str:
    if x.ndim == 2:
        return b.node("Gemm", [x.name, w.name] + ([bias.name] if bias is not None else []), transB=1)
    out = b.node("MatMul", [x.name, b.node("Transpose", [w.name], perm=[1, 0])])
    return b.node("Add", [out, bias.name]) if bias is not None else out


@converter("linalg_vector_norm")
def _vector_norm(b: Builder, x: Value, order: float, axes: tuple[int, ...], keepdim: bool) -> str:
    ord_ = b.static(order, "order")
    axes = tuple(axes) or tuple(range(x.ndim))
    ax = b.node("Abs", [x.name])
    if ord_ == 2:
        return b.reduce("ReduceL2", x.name, axes, keepdim)
    if ord_ == 1:
        return b.reduce("ReduceL1", x.name, axes, keepdim)
    if ord_ == math.inf:
        return b.reduce("ReduceMax", ax, axes, keepdim)
    if ord_ == -math.inf:
        return b.reduce("ReduceMin", ax, axes, keepdim)
    if ord_ == 0:
        nz = b.node("Cast", [b.node("Not", [b.node("Equal", [x.name, b.const(np.array(0, x.dtype))])])],
                    to=_dt(b, x.dtype))  # fmt: skip
        return b.reduce("ReduceSum", nz, axes, keepdim)
    p = b.const(np.array(ord_, x.dtype))
    s = b.reduce("ReduceSum", b.node("Pow", [ax, p]), axes, keepdim)
    return b.node("Pow", [s, b.const(np.array(1.0 / ord_, x.dtype))])


@converter("linalg_slogdet")
def _slogdet(b: Builder, a: Value) -> tuple[str, str]:
    """From ONNX's Det: exact in sign, but the determinant itself can overflow where the log would not."""
    det = b.node("Det", [a.name])
    return b.node("Sign", [det]), b.node("Log", [b.node("Abs", [det])])


@converter("searchsorted")
def _searchsorted(b: Builder, seq: Value, values: Value, right: bool) -> str:
    """The insertion index is how many entries of the sorted row come before the value (a count, not a search)."""
    v = b.node("Unsqueeze", [values.name, b.ints([-1])])  # (..., K, 1)
    s = seq.name if seq.ndim == 1 else b.node("Unsqueeze", [seq.name, b.ints([-2])])  # (..., 1, M)
    before = b.node("LessOrEqual" if right else "Less", [s, v])
    return b.reduce("ReduceSum", b.node("Cast", [before], to=_dt(b, np.int64)), [-1], False)


@converter("linalg_det")
def _det(b: Builder, a: Value) -> str:
    return b.node("Det", [a.name])


def _pads(padding: tuple[int, int]) -> list[int]:
    return [padding[0], padding[1], padding[0], padding[1]]


@converter("conv2d")
def _conv2d(b: Builder, x: Value, w: Value, stride: Any, padding: Any, dilation: Any, groups: int) -> str:
    stride, padding, dilation, groups = b.static((stride, padding, dilation, groups), "stride, padding or groups")
    return b.node(
        "Conv", [x.name, w.name], strides=list(stride), pads=_pads(padding), dilations=list(dilation), group=groups
    )


@converter("conv2d_bias")
def _conv2d_bias(
    b: Builder, x: Value, w: Value, bias: Value, stride: Any, padding: Any, dilation: Any, groups: int
) -> str:
    stride, padding, dilation, groups = b.static((stride, padding, dilation, groups), "stride, padding or groups")
    return b.node(
        "Conv", [x.name, w.name, bias.name], strides=list(stride), pads=_pads(padding), dilations=list(dilation),
        group=groups,
    )  # fmt: skip


@converter("conv2d_input_grad")
def _conv_transpose(
    b: Builder, g: Value, w: Value, input_hw: Any, stride: Any, padding: Any, dilation: Any, groups: int
) -> str:
    """The input gradient of conv2d is the transposed convolution (ConvTranspose2d runs it forward)."""
    input_hw, stride, padding, dilation, groups = b.static(
        (input_hw, stride, padding, dilation, groups), "size, stride, padding or groups"
    )
    kh, kw = b.static(w.shape[2:], "kernel size")
    gh, gw = (b.static(s, "spatial size") for s in g.shape[2:])
    base = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip((gh, gw), stride, padding, dilation, (kh, kw))]
    out_pad = [t - o for t, o in zip(input_hw, base)]
    return b.node(
        "ConvTranspose", [g.name, w.name], strides=list(stride), pads=_pads(padding), dilations=list(dilation),
        group=groups, output_padding=out_pad if any(out_pad) else None,
    )  # fmt: skip


@converter("max_pool2d")
def _max_pool2d(
    b: Builder, x: Value, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool
) -> tuple[str, str]:
    kernel_size, stride, padding, dilation = b.static((kernel_size, stride, padding, dilation), "window")
    y, flat = b.node(
        "MaxPool", [x.name], n_out=2, kernel_shape=list(kernel_size), strides=list(stride), pads=_pads(padding),
        dilations=list(dilation), ceil_mode=int(ceil_mode),
    )  # fmt: skip
    h, w = x.shape[2:]
    if isinstance(h, int) and isinstance(w, int):
        hw = b.const(np.int64(h * w))
    else:
        hw = b.node("Mul", [b.size(h), b.size(w)])
    # ONNX numbers the whole tensor; Ember's indices are within each (H, W) plane
    return y, b.node("Mod", [flat, hw], fmod=0)


@converter("softmax")
def _softmax(b: Builder, x: Value, axis: int) -> str:
    return b.node("Softmax", [x.name], axis=axis)


@converter("log_softmax")
def _log_softmax(b: Builder, x: Value, axis: int) -> str:
    return b.node("LogSoftmax", [x.name], axis=axis)


@converter("softmax_cross_entropy")
def _softmax_cross_entropy(b: Builder, x: Value, target: Value) -> tuple[str, str]:
    """The fused classifier loss: ONNX's SoftmaxCrossEntropyLoss gives the mean loss and the log-probabilities."""
    loss, logp = b.node("SoftmaxCrossEntropyLoss", [x.name, target.name], n_out=2, reduction="mean")
    return loss, logp


del _name, _op_type, _bool_op

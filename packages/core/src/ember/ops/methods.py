"""Tensor methods and operators, each delegating to the op function of the same name."""

from __future__ import annotations

from typing import Any

from ..autograd import grad_mode
from ..tensor import Tensor, tracked
from . import conversion as cv
from . import creation as cr
from . import elementwise as ew
from . import indexing as ix
from . import linalg as la
from . import movement as mv
from . import reduction as rd
from . import sampling as sp
from . import softmax as sm
from . import sorting as so

_METHODS = {
    # elementwise
    **{name: getattr(ew, name) for name in (
        "neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
        "relu", "erf", "floor", "ceil", "round", "sign", "reciprocal", "logical_not", "isnan", "isfinite",
        "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "maximum", "minimum",
        "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "clamp", "square",
    )},
    "clip": ew.clamp,
    "negative": ew.neg,
    "multiply": ew.mul,
    "divide": ew.div,
    "subtract": ew.sub,
    "greater": ew.gt,
    "less": ew.lt,
    # reductions
    **{name: getattr(rd, name) for name in (
        "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "all", "any", "var", "std",
        "logsumexp", "cumsum", "sum_to_size", "count_nonzero",
    )},
    # movement
    **{name: getattr(mv, name) for name in (
        "reshape", "view", "permute", "transpose", "expand", "expand_as", "broadcast_to", "squeeze", "unsqueeze",
        "flatten", "unflatten", "movedim", "split", "chunk", "unbind", "flip", "roll", "tril", "triu", "t",
        "view_as", "reshape_as", "swapaxes",
    )},
    # indexing
    "gather": ix.gather, "scatter": ix.scatter, "scatter_add": ix.scatter_add, "index_select": ix.index_select,
    "masked_fill": ix.masked_fill, "nonzero": ix.nonzero, "take_along_dim": ix.take_along_dim,
    # linalg, sorting, softmax
    "matmul": la.matmul, "mm": la.mm, "bmm": la.bmm, "dot": la.dot, "outer": la.outer,
    "sort": so.sort, "argsort": so.argsort, "topk": so.topk,
    "softmax": sm.softmax, "log_softmax": sm.log_softmax,
    # conversion
    "clone": cv.clone, "contiguous": cv.contiguous, "to": cv.to, "copy_": cv.copy_,
}  # fmt: skip


def _install() -> None:
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)

    def binop(op: Any, reflected: bool = False) -> Any:
        if reflected:
            return lambda self, other: ew.binary(op, other, self)
        return lambda self, other: ew.binary(op, self, other)

    pairs = {
        "add": ew.ADD, "sub": ew.SUB, "mul": ew.MUL, "truediv": ew.DIV, "floordiv": ew.FLOOR_DIVIDE,
        "mod": ew.REMAINDER, "pow": ew.POW,
    }  # fmt: skip
    for name, op in pairs.items():
        setattr(Tensor, f"__{name}__", binop(op))
        setattr(Tensor, f"__r{name}__", binop(op, reflected=True))
        method = "div" if name == "truediv" else {"floordiv": "floor_divide", "mod": "remainder"}.get(name, name)
        setattr(Tensor, f"__i{name}__", _inplace(method, op))
        setattr(Tensor, f"{method}_", _inplace(method, op))
    for name, op in {"eq": ew.EQ, "ne": ew.NE, "lt": ew.LT, "le": ew.LE, "gt": ew.GT, "ge": ew.GE}.items():
        setattr(Tensor, f"__{name}__", binop(op))
    for name, op in {"and": ew.LOGICAL_AND, "or": ew.LOGICAL_OR, "xor": ew.LOGICAL_XOR}.items():
        setattr(Tensor, f"__{name}__", _bool_only(op, name))
        setattr(Tensor, f"__r{name}__", _bool_only(op, name))
    Tensor.__matmul__ = la.matmul  # type: ignore[attr-defined]
    Tensor.__rmatmul__ = lambda self, other: la.matmul(other, self)  # type: ignore[attr-defined]
    Tensor.__neg__ = ew.neg  # type: ignore[attr-defined]
    Tensor.__pos__ = lambda self: self  # type: ignore[attr-defined]
    Tensor.__abs__ = ew.abs  # type: ignore[attr-defined]
    Tensor.__invert__ = _invert  # type: ignore[attr-defined]
    Tensor.__getitem__ = ix.getitem  # type: ignore[attr-defined]
    Tensor.__setitem__ = ix.setitem  # type: ignore[attr-defined]
    for name in ("exp", "log", "sqrt", "sigmoid", "tanh", "relu", "neg", "abs", "clamp", "sin", "cos", "floor", "ceil", "round", "reciprocal"):
        setattr(Tensor, f"{name}_", _inplace_fn(name, getattr(Tensor, name)))
    Tensor.clip_ = Tensor.clamp_  # type: ignore[attr-defined]
    Tensor.masked_fill_ = _inplace_fn("masked_fill", ix.masked_fill)  # type: ignore[attr-defined]
    Tensor.zero_ = lambda self: cv.assign_(self, cr.zeros_like(self), "zero_")  # type: ignore[attr-defined]
    Tensor.fill_ = lambda self, value: cv.assign_(self, cr.full_like(self, value.item() if isinstance(value, Tensor) else value), "fill_")  # type: ignore[attr-defined]
    Tensor.scatter_ = _inplace_fn("scatter", ix.scatter)  # type: ignore[attr-defined]
    Tensor.scatter_add_ = _inplace_fn("scatter_add", ix.scatter_add)  # type: ignore[attr-defined]
    Tensor.uniform_ = lambda self, a=0.0, b=1.0, generator=None: cv.assign_(self, sp.rand_like(self, generator=generator) * (b - a) + a, "uniform_")  # type: ignore[attr-defined]
    Tensor.normal_ = lambda self, mean=0.0, std=1.0, generator=None: cv.assign_(self, sp.randn_like(self, generator=generator) * std + mean, "normal_")  # type: ignore[attr-defined]
    Tensor.bernoulli_ = lambda self, p=0.5, generator=None: cv.assign_(self, sp.bernoulli(self, p, generator=generator), "bernoulli_")  # type: ignore[attr-defined]
    Tensor.T = property(lambda self: mv.permute(self, tuple(reversed(range(self.ndim)))))  # type: ignore[attr-defined]
    Tensor.mT = property(lambda self: mv.transpose(self, -2, -1))  # type: ignore[attr-defined]
    for name, dt in (("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
                     ("int", "int32"), ("short", "int16"), ("bool", "bool"), ("byte", "uint8"), ("char", "int8")):
        setattr(Tensor, name, _caster(dt))
    Tensor.cpu = lambda self: cv.to(self, "cpu")  # type: ignore[attr-defined]
    Tensor.type_as = lambda self, other: cv.to(self, dtype=other.dtype)  # type: ignore[attr-defined]
    Tensor.new_zeros = lambda self, *size, dtype=None, device=None: cr.zeros(*size, dtype=dtype or self.dtype, device=device or self.device)  # type: ignore[attr-defined]
    Tensor.new_ones = lambda self, *size, dtype=None, device=None: cr.ones(*size, dtype=dtype or self.dtype, device=device or self.device)  # type: ignore[attr-defined]
    Tensor.new_full = lambda self, size, fill_value, dtype=None, device=None: cr.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device)  # type: ignore[attr-defined]
    Tensor.new_tensor = lambda self, data, dtype=None, device=None: __import__("ember").tensor(data, dtype=dtype or self.dtype, device=device or self.device)  # type: ignore[attr-defined]


def _caster(dtype_name: str) -> Any:
    from .. import dtypes

    d = dtypes.as_dtype(dtype_name)

    def cast(self: Tensor) -> Tensor:
        return cv.to(self, dtype=d)

    return cast


def _original(self: Tensor, saves_inputs: bool) -> Tensor:
    """What an in-place op computes from: a copy when autograd must keep the old value."""
    if saves_inputs and grad_mode.state.enabled and tracked(self):
        return cv.clone(self)  # the derivative reads the old value, which the write will overwrite
    return self


def _inplace(method: str, op: Any) -> Any:
    def inplace(self: Tensor, other: Any, **kwargs: Any) -> Tensor:
        if not kwargs:
            done = ew.inplace_binary(op, self, other)
            if done is not None:
                return done
        src = _original(self, op.save_inputs)
        if kwargs:
            result = getattr(ew, method)(src, other, **kwargs)
        else:
            result = ew.binary(op, src, other)
        return cv.assign_(self, result, f"{method}_")

    inplace.__name__ = f"{method}_"
    return inplace


def _inplace_fn(name: str, fn: Any) -> Any:
    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return cv.assign_(self, fn(_original(self, True), *args, **kwargs), f"{name}_")

    inplace.__name__ = f"{name}_"
    return inplace


def _bool_only(op: Any, name: str) -> Any:
    def fn(self: Tensor, other: Any) -> Tensor:
        from .. import dtypes

        if self.dtype is not dtypes.bool_ or (isinstance(other, Tensor) and other.dtype is not dtypes.bool_):
            raise TypeError(
                f"operator {name}: Ember implements &, |, ^ for bool tensors only (got {self.dtype.name}"
                f"{', ' + other.dtype.name if isinstance(other, Tensor) else ''}); use logical_{name}()"
            )
        return ew.binary(op, self, other)

    return fn


def _invert(self: Tensor) -> Tensor:
    from .. import dtypes

    if self.dtype is not dtypes.bool_:
        raise TypeError(f"operator ~: Ember implements ~ for bool tensors only, got {self.dtype.name}")
    return ew.logical_not(self)


_install()

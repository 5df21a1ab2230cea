"""Complex numbers: their parts (real, imag, angle), conjugation, and building them (complex, polar).

The primitives here exist for complex dtypes only (`Op.complex == "only"`): a backend that holds no complex
dtype needs none of their kernels. Their derivatives follow PyTorch's convention: the gradient of a real loss
L with respect to z = a + ib is dL/da + i dL/db, so `x.grad` of a complex leaf is complex.

`real` and `imag` are views, as PyTorch's (writes through them change the complex tensor); `view_as_real` and
`view_as_complex` return copies, where PyTorch's are views.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..dispatch import primitive, public
from ..tensor import Tensor
from ._run import broadcast_shapes_for, check_supported, describe, run, same_device, to_tensor
from .movement import _as_view


def _complex_op(name: str, signature: str, doc: str, vjp: Any, **kw: Any) -> Any:
    op = primitive(name, signature, doc, family="complex", vjp=vjp, **kw)
    op.complex = "only"
    return op


def _real_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g.to(n.meta[0][1]),)  # d/da of a real loss through Re(z): g, with no imaginary part


def _imag_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (complex(g * 0, g),)  # through Im(z): i g


def _angle_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    z = n[0]
    r2 = real(z) * real(z) + imag(z) * imag(z)  # d atan2(b, a) = (-b da + a db) / |z|^2: g i z / |z|^2
    from .elementwise import where

    return (where(r2 == 0, 0, g * complex(-imag(z), real(z)) / where(r2 == 0, 1, r2)),)


REAL = _complex_op(
    "real", "real(x: complex array) -> array (view)", "The real parts of a complex array, in the dtype of its parts "
    "(complex64 -> float32), as a view that shares x's memory (NumPy's x.real).", _real_vjp, view=True,
)  # fmt: skip
IMAG = _complex_op(
    "imag", "imag(x: complex array) -> array (view)", "The imaginary parts of a complex array, in the dtype of its "
    "parts, as a view that shares x's memory (NumPy's x.imag).", _imag_vjp, view=True,
)  # fmt: skip
CONJ = _complex_op(
    "conj", "conj(x: complex array) -> complex array", "The complex conjugate a - ib of each element a + ib.",
    lambda n, g: (conj(g),),
)  # fmt: skip
ANGLE = _complex_op(
    "angle", "angle(x: complex array) -> array", "The argument atan2(b, a) of each element a + ib, in [-pi, pi], "
    "in the dtype of its parts.", _angle_vjp, save_inputs=True,
)  # fmt: skip
COMPLEX = _complex_op(
    "complex", "complex(re: array, im: array) -> complex array", "re + i im, elementwise: re and im have one "
    "floating dtype (float32 -> complex64, float64 -> complex128) and broadcast.",
    lambda n, g: (real(g), imag(g)),
)  # fmt: skip


def _part_dtype(x: Tensor) -> _dt.DType:
    return x._dtype.to_real()


@public
def real(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """The real part of a complex tensor, as a view (writes through it change `input`); a real tensor itself."""
    x = to_tensor(input, "real")
    if not x._dtype.is_complex:
        return x
    return _as_view(run(REAL, x._device, (x._data,), x._shape, _part_dtype(x), (x,)), x, real)


@public
def imag(input: Tensor) -> Tensor:  # noqa: A002
    """The imaginary part of a complex tensor, as a view (writes through it change `input`); refused for a real
    tensor."""
    x = to_tensor(input, "imag")
    if not x._dtype.is_complex:
        raise RuntimeError(
            f"imag is not implemented for tensors with non-complex dtypes ({describe(x)}); a real tensor's "
            f"imaginary part is zero: use ember.zeros_like(x)"
        )
    return _as_view(run(IMAG, x._device, (x._data,), x._shape, _part_dtype(x), (x,)), x, imag)


@public(method=True, aliases=("conj_physical",))
def conj(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate (computed at once: Ember has no lazy conjugate bit); a real tensor itself."""
    x = to_tensor(input, "conj")
    if not x._dtype.is_complex:
        return x
    return run(CONJ, x._device, (x._data,), x._shape, x._dtype, (x,))


@public(method=True)
def resolve_conj(input: Tensor) -> Tensor:  # noqa: A002
    """`input` itself: Ember computes conjugates at once, so there is no conjugate bit to resolve."""
    return to_tensor(input, "resolve_conj")


@public(method=True)
def is_conj(input: Tensor) -> bool:  # noqa: A002
    """False: Ember has no lazy conjugate bit (conj computes at once)."""
    return False


@public(method=True)
def angle(input: Tensor) -> Tensor:  # noqa: A002
    """The argument of each element, in [-pi, pi] (radians): atan2(imag, real) for a complex tensor, in the dtype of
    its parts; for a real tensor pi where negative, else 0 (nan stays nan), integers in the default float dtype."""
    x = to_tensor(input, "angle")
    if x._dtype.is_complex:
        return run(ANGLE, x._device, (x._data,), x._shape, _part_dtype(x), (x,))
    from .elementwise import where

    if x._dtype is _dt.bool_:
        raise TypeError(f"angle: not supported on bool tensors ({describe(x)}); cast it to a floating dtype first")
    f = x if x._dtype.is_floating_point else x.to(_dt.get_default_dtype())
    out = where(f < 0, math.pi, f * 0)  # f * 0: 0 with nan kept, and a zero gradient (as PyTorch's)
    return out


@public
def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """The complex tensor real + i imag (broadcast): float32 parts give complex64, float64 complex128."""
    for name, t in (("real", real), ("imag", imag)):
        if not isinstance(t, Tensor):
            raise TypeError(f"complex: {name} must be a Tensor, got {describe(t)}")
    if real._dtype is not imag._dtype or real._dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(
            f"complex: expected real and imag to have one dtype, float32 or float64, got {describe(real)} and "
            f"{describe(imag)}; cast them with .float() or .double()"
        )
    dev = same_device("complex", (real, imag))
    dt = real._dtype.to_complex()
    check_supported(dt, dev, "complex")
    shape = real._shape if real._shape == imag._shape else broadcast_shapes_for("complex", real._shape, imag._shape)
    return run(COMPLEX, dev, (real._data, imag._data), shape, dt, (real, imag))


@public
def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument names
    """The complex tensor abs * (cos(angle) + i sin(angle)) (broadcast; float32 or float64 operands)."""
    from .elementwise import cos, sin

    return complex(abs * cos(angle), abs * sin(angle))


@public
def view_as_real(input: Tensor) -> Tensor:  # noqa: A002
    """A complex tensor as a real one with a last dimension of 2 (real, imaginary parts). A copy: PyTorch's
    is a view that writes go through."""
    x = to_tensor(input, "view_as_real")
    if not x._dtype.is_complex:
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got {describe(x)}")
    from .movement import stack

    return stack((real(x), imag(x)), -1)


@public
def view_as_complex(input: Tensor) -> Tensor:  # noqa: A002
    """A real tensor whose last dimension has size 2 (real, imaginary parts) as a complex tensor (a copy: PyTorch's
    is a view)."""
    x = to_tensor(input, "view_as_complex")
    if x._dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(
            f"view_as_complex is only supported for float32 and float64 tensors, got {describe(x)}"
        )
    if x.ndim == 0 or x._shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: the last dimension must have size 2, got {describe(x)}")
    return complex(x[..., 0], x[..., 1])


"""Special functions, elementwise: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0.

The primitives are declared with `unary(...)` like every other elementwise op (family
"elementwise"); they live here, apart from the arithmetic, because their kernels are series
and rational approximations rather than one library call. `polygamma` (n >= 1) and
`mvlgamma` are composites of them and of the arithmetic ops.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..dispatch import public
from ..tensor import Tensor
from ._run import run
from .elementwise import _as_float, _elementwise_primitive, _tensor_arg, exp, floor, tan, unary, where
from .elementwise import pow as _pow

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def _i1_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    x = n[0]  # i1'(x) = i0(x) - i1(x) / x, and 1/2 at 0
    zero = x == 0
    safe = where(zero, 1.0, x)
    return (g * where(zero, 0.5, i0(x) - i1(safe) / safe),)


erfc = unary(
    "erfc", "The complementary error function 1 - erf(input) of each element, accurate where erf is near 1.", "float",
    lambda n, g: (g * exp(-(n[0] * n[0])) * -_TWO_OVER_SQRT_PI,), save_inputs=True,
)  # fmt: skip
erfinv = unary(
    "erfinv", "The inverse error function of each element: +-inf at +-1, nan outside [-1, 1].", "float",
    lambda n, g: (g * exp(n.out * n.out) * _SQRT_PI_OVER_TWO,), save_out=True,
)  # fmt: skip


def _lgamma_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    return (g * digamma(n[0]),)


lgamma = unary(
    "lgamma", "log |Gamma(input)| of each element: inf at 0 and the negative integers.", "float", _lgamma_vjp,
    save_inputs=True,
)  # fmt: skip
digamma = unary(
    "digamma", "The logarithmic derivative of Gamma, Gamma'(x) / Gamma(x), of each element: -inf at 0 "
    "(+inf at -0), nan at the negative integers.", "float",
    lambda n, g: (g * polygamma(1, n[0]),), save_inputs=True,
)  # fmt: skip
i0 = unary(
    "i0", "The modified Bessel function of the first kind of order 0 of each element.", "float",
    lambda n, g: (g * i1(n[0]),), save_inputs=True,
)  # fmt: skip
#: i0's derivative (torch.special.i1); a primitive with no public name of its own
I1 = _elementwise_primitive(
    "i1", "x: array", "The modified Bessel function of the first kind of order 1 of each element. "
    "Called with x in the compute dtype ({rule}).", "float", _i1_vjp, None, True, False,
)  # fmt: skip


@public(namespace="special", op=I1)
def i1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order 1 (i0's derivative), elementwise.
    Integer and bool inputs compute in the default float dtype."""
    x = _as_float(_tensor_arg(input, "i1"))
    return run(I1, x._device, (x._data,), x._shape, x._dtype, (x,))


# Bernoulli numbers B_2, B_4, ..., B_16 over (2j)!: the asymptotic series of the Hurwitz zeta function
_B2J = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_BERNOULLI = tuple(b / math.factorial(2 * j + 2) for j, b in enumerate(_B2J))
#: terms summed before the asymptotic series: it is accurate for x + _SHIFT >= 10 (x >= 0 here)
_SHIFT = 10


def _hurwitz_zeta(s: int, x: Tensor) -> Tensor:
    """zeta(s, x) = sum over k >= 0 of (x + k)**-s, for an integer s >= 2 (inf where x + k == 0)."""
    out = _pow(x, -s)
    for k in range(1, _SHIFT):
        out = out + _pow(x + k, -s)
    y = x + _SHIFT
    # Euler-Maclaurin: y**(1-s) / (s-1) + y**-s / 2 + sum_j B_2j / (2j)! * s (s+1) ... (s+2j-2) * y**(-s-2j+1)
    tail = _pow(y, 1 - s) * (1.0 / (s - 1)) + _pow(y, -s) * 0.5
    rising = float(s)
    for j, b in enumerate(_BERNOULLI):
        tail = tail + _pow(y, -s - 2 * j - 1) * (b * rising)
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
    return out + tail


def _cot_derivative(n: int) -> list[float]:
    """The coefficients (constant term first) of the polynomial P in c = cot(pi x) with
    d^n/dx^n cot(pi x) = P(c): P_0 = c, and P_(k+1)(c) = P_k'(c) * -pi (1 + c^2)."""
    p = [0.0, 1.0]
    for _ in range(n):
        dp = [i * a for i, a in enumerate(p)][1:]
        p = [0.0] * (len(dp) + 2)
        for i, a in enumerate(dp):
            p[i] -= math.pi * a
            p[i + 2] -= math.pi * a
    return p


@public
def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma, elementwise (n = 0: digamma). Integer inputs compute in the default float dtype."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma: n must be a non-negative integer, got {n!r}")
    x = _as_float(_tensor_arg(input, "polygamma"))
    if n == 0:
        return digamma(x)
    # (-1)**(n+1) n! zeta(n + 1, w) for w >= 0; below 0 the reflection formula, the n-th derivative of
    # psi(1 - x) - psi(x) = pi cot(pi x): psi_n(x) = (-1)**n psi_n(1 - x) - pi d^n/dx^n cot(pi x).
    # At 0, -0 and the negative integers: (-1)**(n+1) inf, as PyTorch.
    if x._dtype.itemsize < 4:  # float16/bfloat16: computed in float32 (as PyTorch's opmath), then cast
        return polygamma(n, x.to(_dt.float32)).to(x._dtype)
    scale = float((-1) ** (n + 1) * math.factorial(n))
    neg = x < 0
    series = _hurwitz_zeta(n + 1, where(neg, 1.0 - x, x)) * scale
    c = 1.0 / tan(where(neg, x, 0.5) * math.pi)  # (0.5 where unused: no inf, so no nan in the gradient)
    coefs = _cot_derivative(n)
    poly = c * 0.0 + coefs[-1]
    for a in reversed(coefs[:-1]):
        poly = poly * c + a
    out = where(neg, series * float((-1) ** n) - poly * math.pi, series)
    pole = (x <= 0) & (x == floor(x))
    return where(pole, math.copysign(math.inf, scale), out)


@public(method=True, inplace=True)
def mvlgamma(input: Any, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma function of dimension p, elementwise:
    p (p - 1) / 4 * log(pi) + sum over i < p of lgamma(input - i / 2)."""
    if not isinstance(p, int) or isinstance(p, bool) or p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p!r}")
    x = _as_float(_tensor_arg(input, "mvlgamma"))
    out = lgamma(x)
    for i in range(1, p):
        out = out + lgamma(x - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)

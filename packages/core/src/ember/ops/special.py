"""Special functions, elementwise: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0.

The primitives are declared with `unary(...)` like every other elementwise op (family
"elementwise"); they live here, apart from the arithmetic, because their kernels are series
and rational approximations rather than one library call. `polygamma` (n >= 1) and
`mvlgamma` are composites of them and of the arithmetic ops.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import dtypes as _dt
from ..dispatch import public
from ..tensor import Tensor
from ._run import run
from .elementwise import _as_float, _elementwise_primitive, _tensor_arg, exp, floor, tan, unary, where, with_out
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
@with_out
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
@with_out
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
@with_out
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


# --------------------------------------------------------------------------- torch.special's own functions

_SQRT_HALF = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: log_ndtr below this (twice it for float64) uses the asymptotic series (six terms: error < 1e-8 there, < 3e-12
#: at -20); above it, log(erfc(-x / sqrt 2) / 2), whose erfc is still a normal float32 number there
_LOG_NDTR_SERIES_BELOW = -10.0


@public(namespace="special")
@with_out
def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * log1p(other), taken as 0 where input == 0 (unless other is nan). Computes in a floating dtype."""
    from .elementwise import _float_operands, log1p

    a, b = _float_operands("xlog1py", input, other)
    if not isinstance(b, Tensor):  # a Python number: log1p of it is a number too
        if math.isnan(b):
            return a * math.nan
        lb = math.log1p(b) if b > -1 else (-math.inf if b == -1 else math.nan)
        return a * lb if -1 < b < math.inf else where(a == 0, 0.0, a * lb)
    bad = (b <= -1) | (b == math.inf)  # where input == 0, log1p's argument is replaced by 0 where it is not finite
    if isinstance(a, Tensor):
        b = where((a == 0) & bad, 0.0, b)
    elif a == 0:
        b = where(bad, 0.0, b)
    return a * log1p(b)


@public(namespace="special")
@with_out
def entr(input: Any) -> Tensor:  # noqa: A002
    """The entropy term -x * log(x) of each element: 0 at 0, -inf below 0 (nan stays nan)."""
    from .elementwise import log

    x = _as_float(_tensor_arg(input, "entr"))
    pos = x > 0
    out = -x * log(where(pos, x, 1.0))
    return where(x < 0, -math.inf, where(pos | (x != x), out, 0.0))


@public(namespace="special")
@with_out
def ndtr(input: Any) -> Tensor:  # noqa: A002
    """The standard normal distribution function, (1 + erf(x / sqrt 2)) / 2, of each element."""
    x = _as_float(_tensor_arg(input, "ndtr"))
    return erfc(x * -_SQRT_HALF) * 0.5


@public(namespace="special")
@with_out
def ndtri(input: Any) -> Tensor:  # noqa: A002
    """The inverse of ndtr: the x with ndtr(x) == p for each element p; -inf at 0, inf at 1, nan outside [0, 1].
    float16/bfloat16/float32 compute in float64 (2p - 1 keeps p's digits there), then cast back."""
    from .elementwise import log, sqrt

    x = _as_float(_tensor_arg(input, "ndtri"))
    if x._dtype.itemsize < 8 and _dt.float64 in _backend_dtypes(x):
        return ndtri(x.to(_dt.float64)).to(x._dtype)
    central = erfinv(x * 2.0 - 1.0) * math.sqrt(2.0)
    # the tails (q = min(p, 1 - p) < 0.01, where 2p - 1 would lose q's digits): Abramowitz and Stegun 26.2.23
    # (error < 4.5e-4), then Newton steps on log_ndtr(x) = log q
    upper = x > 0.5
    q = where(upper, 1.0 - x, x)
    tail = (q > 0) & (q < 0.01)
    q = where(tail, q, 0.001)
    logq = log(q)
    t = sqrt(logq * -2.0)
    y = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    for _ in range(3):
        lp = log_ndtr(y)
        y = y - (lp - logq) * exp(lp + y * y * 0.5 + _LOG_SQRT_2PI)
    return where(tail, where(upper, -y, y), central)


@public(namespace="special")
@with_out
def log_ndtr(input: Any) -> Tensor:  # noqa: A002
    """log(ndtr(x)) of each element, accurate far into the lower tail (an asymptotic series below -10)."""
    from .elementwise import log, log1p

    x = _as_float(_tensor_arg(input, "log_ndtr"))
    below = _LOG_NDTR_SERIES_BELOW * (2.0 if x._dtype.itemsize == 8 else 1.0)  # float64: erfc is normal to -37
    low = x < below
    # above 0, log1p(-ndtr(-x)) keeps the tiny distance from 1
    direct = where(x > 0, log1p(erfc(x * _SQRT_HALF) * -0.5), log(erfc(where(low, 0.0, x) * -_SQRT_HALF) * 0.5))
    # log ndtr(x) = -x^2/2 - log(-x) - log sqrt(2 pi) + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8 - 945/x^10)
    t = where(low, x, below)
    z = 1.0 / (t * t)
    corr = z * (-1.0 + z * (3.0 + z * (-15.0 + z * (105.0 + z * -945.0))))
    series = t * t * -0.5 - log(-t) - _LOG_SQRT_2PI + log1p(corr)
    return where(low, series, direct)


def _backend_dtypes(x: Tensor) -> frozenset[Any]:
    from ..backends import registry

    return registry.get(x._device.type).dtypes


def _register_torch_special_names() -> None:
    """`ember.special.<name>` for the torch.special functions that Ember has under their ember (or another)
    name: torch.special.expit is ember.sigmoid, psi ember.digamma, gammaln ember.lgamma, multigammaln
    ember.mvlgamma; the others keep their names."""
    from ..dispatch import API

    renamed = {"expit": "sigmoid", "psi": "digamma", "gammaln": "lgamma", "multigammaln": "mvlgamma"}
    same = ("digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "i0", "log1p", "log_softmax", "logit",
            "logsumexp", "polygamma", "round", "sinc", "softmax", "xlogy")  # fmt: skip
    for name, ember_name in (*renamed.items(), *((n, n) for n in same)):
        public(API[ember_name].fn, name=name, namespace="special")


_register_torch_special_names()


#: i0e/i1e beyond this |x| use the asymptotic series (15 terms: relative error < 5e-16 from here on);
#: below it exp(-|x|) * i0(x), where i0 is still finite in float32
_BESSEL_SERIES_FROM = 30.0


def _scaled_bessel(name: str, input: Any, order: int) -> Tensor:  # noqa: A002
    """exp(-|x|) I_order(x): the direct product below `_BESSEL_SERIES_FROM`, else Hankel's asymptotic series
    I_v(x) e^-x ~ (2 pi x)^-1/2 sum_k (-1)^k prod_j (4v^2 - (2j-1)^2) / (k! (8x)^k)."""
    from .elementwise import abs as _abs
    from .elementwise import sign, sqrt

    x = _as_float(_tensor_arg(input, name))
    ax = _abs(x)
    far = ax > _BESSEL_SERIES_FROM
    near = where(far, 0.0, x)
    direct = exp(-_abs(near)) * (i0(near) if order == 0 else i1(near))
    y = where(far, ax, _BESSEL_SERIES_FROM)
    mu, term, total = 4.0 * order * order, 1.0, 1.0
    inv = 1.0 / (y * 8.0)
    term_t: Any = term
    total_t: Any = total
    for k in range(1, 15):
        term_t = term_t * inv * (-(mu - (2 * k - 1) ** 2) / k)
        total_t = total_t + term_t
    series = total_t / sqrt(y * (2.0 * math.pi))
    if order == 1:
        series = series * sign(x)
    return where(far, series, direct)


@public(namespace="special")
@with_out
def i0e(input: Any) -> Tensor:  # noqa: A002
    """The exponentially scaled modified Bessel function of order 0, exp(-|x|) * i0(x), elementwise."""
    return _scaled_bessel("i0e", input, 0)


@public(namespace="special")
@with_out
def i1e(input: Any) -> Tensor:  # noqa: A002
    """The exponentially scaled modified Bessel function of order 1, exp(-|x|) * i1(x), elementwise."""
    return _scaled_bessel("i1e", input, 1)


#: erfcx beyond this uses the asymptotic series (14 terms: relative error < 1e-16 from here on)
_ERFCX_SERIES_FROM = 10.0


@public(namespace="special")
@with_out
def erfcx(input: Any) -> Tensor:  # noqa: A002
    """The scaled complementary error function exp(x**2) * erfc(x), elementwise, without erfc's underflow
    for large x. float16/bfloat16/float32 compute in float64 where the device has it, then cast back."""
    from .elementwise import sqrt  # noqa: F401

    x = _as_float(_tensor_arg(input, "erfcx"))
    if x._dtype.itemsize < 8 and _dt.float64 in _backend_dtypes(x):
        return erfcx(x.to(_dt.float64)).to(x._dtype)
    far = x > _ERFCX_SERIES_FROM
    near = where(far, 0.0, x)
    direct = exp(near * near) * erfc(near)
    y = where(far, x, _ERFCX_SERIES_FROM)
    inv = 1.0 / (y * y * 2.0)  # 1 / (x sqrt pi) * sum_k (-1)^k (2k-1)!! / (2x^2)^k
    term: Any = 1.0
    total: Any = 1.0
    for k in range(1, 14):
        term = term * inv * -(2 * k - 1)
        total = total + term
    return where(far, total / (y * math.sqrt(math.pi)), direct)


@public(namespace="special")
@with_out
def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The Hurwitz zeta function sum over k >= 0 of (other + k) ** -input, elementwise (broadcast), as Cephes
    and PyTorch: inf at input == 1 and at other a non-positive integer, nan for input < 1 and for a negative
    non-integer other with a non-integer input. Computes in a floating dtype."""
    from .elementwise import _float_operands
    from .elementwise import ne as _ne

    s, q = _float_operands("zeta", input, other)
    st = s if isinstance(s, Tensor) else q * 0.0 + s
    qt = q if isinstance(q, Tensor) else s * 0.0 + q
    pole = (st == 1) | ((qt <= 0) & (qt == floor(qt)))
    bad = (st < 1) | ((qt < 0) & _ne(st, floor(st)))
    s_ok = where(pole | bad, 2.0, st)  # (finite values where the answer is decided: no nan in the gradient)
    q_ok = where(pole | bad, 1.0, qt)
    out = _pow(q_ok, -s_ok)
    for k in range(1, _SHIFT):
        out = out + _pow(q_ok + k, -s_ok)
    y = q_ok + _SHIFT
    tail = _pow(y, 1.0 - s_ok) / (s_ok - 1.0) + _pow(y, -s_ok) * 0.5
    rising = s_ok
    for j, b in enumerate(_BERNOULLI):
        tail = tail + _pow(y, -s_ok - (2 * j + 1)) * rising * b
        rising = rising * (s_ok + (2 * j + 1)) * (s_ok + (2 * j + 2))
    return where(pole, math.inf, where(bad, math.nan, out + tail))


#: the series and the continued fraction of the incomplete gamma function stop when a step changes the
#: result by less than this (relative), checked every `_IGAMMA_CHECK` steps, or after `_IGAMMA_MAX_STEPS`
_IGAMMA_EPS = {4: 1e-8, 8: 1e-16}
_IGAMMA_CHECK, _IGAMMA_MAX_STEPS = 8, 2000


def _incomplete_gamma(name: str, a: Any, x: Any, upper: bool) -> Tensor:
    """The regularized incomplete gamma function P(a, x) (`upper`: Q = 1 - P), as Cephes and PyTorch: the
    power series of P where x < a + 1, else Legendre's continued fraction of Q (modified Lentz), each weighted
    by x^a e^-x / Gamma(a); nan for a or x below 0 (or a == x == 0), 1 - or 0 - at the ends of the range."""
    from .creation import full_like
    from .elementwise import _float_operands, log
    from .elementwise import abs as _abs
    from .movement import broadcast_tensors
    from .reduction import amax

    a, x = _float_operands(name, a, x, rule="floating")
    at = a if isinstance(a, Tensor) else full_like(x, a)
    xt = x if isinstance(x, Tensor) else full_like(a, x)
    at, xt = broadcast_tensors(at, xt)
    if at._dtype.itemsize < 8 and _dt.float64 in _backend_dtypes(at):  # x^a e^-x / Gamma(a) cancels digits
        return _incomplete_gamma(name, at.to(_dt.float64), xt.to(_dt.float64), upper).to(at._dtype)
    eps = _IGAMMA_EPS[8 if at._dtype.itemsize == 8 else 4]
    nan = (at < 0) | (xt < 0) | ((at == 0) & (xt == 0)) | (at != at) | (xt != xt)
    regular = ~nan & (at > 0) & (xt > 0) & (at < math.inf) & (xt < math.inf)
    series_side = xt < at + 1.0
    a_ok, x_ok = where(regular, at, 1.0), where(regular, xt, 1.0)
    weight = exp(a_ok * log(x_ok) - x_ok - lgamma(a_ok))
    # P by its series sum_n x^n / (a (a+1) ... (a+n)), where x < a + 1 (elsewhere run at x = a / 2, unused)
    xs = where(series_side, x_ok, a_ok * 0.5)
    term = 1.0 / a_ok
    total = term
    for n in range(1, _IGAMMA_MAX_STEPS + 1):
        term = term * xs / (a_ok + n)
        total = total + term
        if n % _IGAMMA_CHECK == 0 and bool(amax(_abs(term) - _abs(total) * eps) <= 0):
            break
    p_series = total * weight
    # Q by the continued fraction 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), where x >= a + 1
    xc = where(series_side, a_ok + 2.0, x_ok)
    tiny = 1e-300 if at._dtype.itemsize == 8 else 1e-30
    b = xc + 1.0 - a_ok
    c = b * 0.0 + 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, _IGAMMA_MAX_STEPS + 1):
        an = (a_ok - i) * i
        b = b + 2.0
        d = an * d + b
        d = where(_abs(d) < tiny, tiny, d)
        c = b + an / c
        c = where(_abs(c) < tiny, tiny, c)
        d = 1.0 / d
        step = d * c
        h = h * step
        if i % _IGAMMA_CHECK == 0 and bool(amax(_abs(step - 1.0)) <= eps):
            break
    q_frac = h * weight
    p = where(series_side, p_series, 1.0 - q_frac)
    q = where(series_side, 1.0 - p_series, q_frac)
    out = q if upper else p
    # the ends: x == 0 gives P = 0; a == 0 (x > 0) or x == inf gives P = 1; a == inf (x finite) gives P = 0
    p_end = where((xt == 0) | (at == math.inf), 0.0, 1.0)
    out = where(regular, out, (1.0 - p_end) if upper else p_end)
    return where(nan, math.nan, out)


@public(method=True, inplace=True)
@with_out
def igamma(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularized lower incomplete gamma function P(input, other), elementwise (broadcast). Floating
    tensors only."""
    return _incomplete_gamma("igamma", input, other, False)


@public(method=True, inplace=True)
@with_out
def igammac(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P, elementwise (broadcast), accurate
    where P is near 1. Floating tensors only."""
    return _incomplete_gamma("igammac", input, other, True)


def _register_incomplete_gamma_names() -> None:
    """torch.special.gammainc is torch.igamma, gammaincc torch.igammac."""
    public(igamma, name="gammainc", namespace="special")
    public(igammac, name="gammaincc", namespace="special")


_register_incomplete_gamma_names()


# --------------------------------------------------------------------------- orthogonal polynomials of torch.special
# p_(k+1) = step(k, x, p_(k-1), p_k) from p_0 = 1 and p_1 = first(x); degree n < 0 gives 0 and a non-integer
# degree is truncated, as PyTorch
_RECURRENCES: dict[str, tuple[Callable[[Any], Any], Callable[[int, Any, Any, Any], Any], bool]] = {
    # name: (p_1, step, shifted: the polynomial of 2x - 1)
    "chebyshev_polynomial_t": (lambda x: x, lambda k, x, a, b: 2.0 * x * b - a, False),
    "chebyshev_polynomial_u": (lambda x: 2.0 * x, lambda k, x, a, b: 2.0 * x * b - a, False),
    "chebyshev_polynomial_v": (lambda x: 2.0 * x - 1.0, lambda k, x, a, b: 2.0 * x * b - a, False),
    "chebyshev_polynomial_w": (lambda x: 2.0 * x + 1.0, lambda k, x, a, b: 2.0 * x * b - a, False),
    "hermite_polynomial_h": (lambda x: 2.0 * x, lambda k, x, a, b: 2.0 * x * b - a * (2.0 * k), False),
    "hermite_polynomial_he": (lambda x: x, lambda k, x, a, b: x * b - a * float(k), False),
    "laguerre_polynomial_l": (lambda x: 1.0 - x, lambda k, x, a, b: ((2.0 * k + 1.0 - x) * b - a * float(k)) / (k + 1.0), False),
    "legendre_polynomial_p": (lambda x: x, lambda k, x, a, b: (x * b * (2.0 * k + 1.0) - a * float(k)) / (k + 1.0), False),
}
for _name in ("t", "u", "v", "w"):
    _first, _step, _ = _RECURRENCES[f"chebyshev_polynomial_{_name}"]
    _RECURRENCES[f"shifted_chebyshev_polynomial_{_name}"] = (_first, _step, True)


def _polynomial(name: str, input: Any, n: Any) -> Tensor:  # noqa: A002
    """The degree-n polynomial `name` at input, elementwise (broadcast): the recurrence run to the largest n."""
    from .elementwise import _float_operands
    from .elementwise import trunc as _trunc
    from .reduction import amax

    first, step, shifted = _RECURRENCES[name]
    x, nn = _float_operands(name, input, n)
    if not isinstance(x, Tensor):
        x = nn * 0.0 + x
    if shifted:
        x = x * 2.0 - 1.0
    if not isinstance(nn, Tensor):  # one degree: run the recurrence to it
        deg = math.trunc(nn)
        if deg < 1:
            return x * 0.0 + (1.0 if deg == 0 else 0.0)
        prev, cur = x * 0.0 + 1.0, first(x)
        for k in range(1, deg):
            prev, cur = cur, step(k, x, prev, cur)
        return cur
    degs = _trunc(nn)  # a degree per element: run to the largest, keeping each element's
    top = int(amax(degs).item()) if degs.numel() else 0
    prev, cur = x * 0.0 + 1.0, first(x)
    out = where(degs == 0, prev, where(degs == 1, cur, 0.0))
    for k in range(1, top):
        prev, cur = cur, step(k, x, prev, cur)
        out = where(degs == k + 1, cur, out)
    return out


def _polynomial_function(name: str) -> Callable[..., Tensor]:
    def fn(input: Any, n: Any) -> Tensor:  # noqa: A002
        return _polynomial(name, input, n)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"torch.special.{name}: the polynomial of degree n (a number or a tensor, broadcast; truncated; 0 below 0) "
        "at input, elementwise, by its three-term recurrence. Computes in a floating dtype."
    )
    fn.__module__ = __name__
    return fn


for _name in _RECURRENCES:
    public(with_out(_polynomial_function(_name)), namespace="special")


@public(namespace="special")
@with_out
def spherical_bessel_j0(input: Any) -> Tensor:  # noqa: A002
    """The spherical Bessel function of the first kind of order 0, sin(x) / x (1 at 0, 0 at +-inf), elementwise."""
    from .elementwise import abs as _abs
    from .elementwise import sin

    x = _as_float(_tensor_arg(input, "spherical_bessel_j0"))
    zero, infinite = x == 0, _abs(x) == math.inf
    safe = where(zero | infinite, 1.0, x)
    return where(zero, 1.0, where(infinite, 0.0, sin(safe) / safe))


def _register_bessel_names() -> None:
    """torch.special.modified_bessel_i0 / i1 are ember.i0 and ember.special.i1."""
    public(i0, name="modified_bessel_i0", namespace="special")
    public(i1, name="modified_bessel_i1", namespace="special")


_register_bessel_names()


# --------------------------------------------------------------------------- Bessel functions of the first and second kind
#: below this |x| the power series (40 terms), above it Hankel's asymptotic expansion (24 terms): both are
#: within about 1e-12 of the value there (absolute), better away from it
_BESSEL_J_ASYMPTOTIC_FROM = 12.5
_EULER_GAMMA = 0.5772156649015329


def _bessel_series_j(x: Tensor, order: int) -> Tensor:
    """J_order(x) = sum_k (-1)^k (x/2)^(2k+order) / (k! (k+order)!)."""
    h = x * 0.5
    term = h if order == 1 else h * 0.0 + 1.0
    total = term
    for k in range(40):
        term = term * (h * h) * (-1.0 / ((k + 1) * (k + 1 + order)))
        total = total + term
    return total


def _bessel_series_y(x: Tensor, order: int, j: Tensor) -> Tensor:
    """Y_0 and Y_1 by their series around 0, x > 0 (`j` is J_order(x))."""
    from .elementwise import log

    h = x * 0.5
    if order == 0:  # (2/pi) ((log(x/2) + gamma) J0 + sum_k>=1 (-1)^(k+1) H_k (x/2)^2k / (k!)^2)
        term, total, harmonic = h * 0.0 + 1.0, h * 0.0, 0.0
        for k in range(1, 41):
            term = term * (h * h) * (-1.0 / (k * k))
            harmonic += 1.0 / k
            total = total - term * harmonic
        return ((log(h) + _EULER_GAMMA) * j + total) * (2.0 / math.pi)
    # -2/(pi x) + (2/pi) log(x/2) J1 - (1/pi) sum_k>=0 (-1)^k (psi(k+1) + psi(k+2)) (x/2)^(2k+1) / (k! (k+1)!)
    term, total, psi1, psi2 = h, h * 0.0, -_EULER_GAMMA, 1.0 - _EULER_GAMMA
    for k in range(40):
        total = total + term * (psi1 + psi2)
        term = term * (h * h) * (-1.0 / ((k + 1) * (k + 2)))
        psi1 += 1.0 / (k + 1)
        psi2 += 1.0 / (k + 2)
    return -2.0 / math.pi / x + log(h) * j * (2.0 / math.pi) - total / math.pi


def _bessel_asymptotic(x: Tensor, order: int) -> tuple[Tensor, Tensor]:
    """(J_order(x), Y_order(x)) by Hankel's expansion: sqrt(2/(pi x)) (P cos chi -+ Q sin chi), x large."""
    from .elementwise import cos, sin, sqrt

    mu = 4.0 * order * order
    inv = 1.0 / (x * 8.0)
    a: Any = 1.0
    p: Any = 1.0
    q: Any = 0.0
    for k in range(1, 24):
        a = a * inv * ((mu - (2 * k - 1) ** 2) / k)
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            q = q + a * sign
        else:
            p = p + a * sign
    chi = x - (order / 2 + 0.25) * math.pi
    amp = sqrt(2.0 / math.pi / x)
    c, s = cos(chi), sin(chi)
    return amp * (p * c - q * s), amp * (p * s + q * c)


def _bessel(name: str, input: Any, order: int, second: bool) -> Tensor:  # noqa: A002
    from .elementwise import abs as _abs
    from .elementwise import sign

    x = _as_float(_tensor_arg(input, name))
    if x._dtype.itemsize < 8 and _dt.float64 in _backend_dtypes(x):  # the series cancel digits: float64
        return _bessel(name, x.to(_dt.float64), order, second).to(x._dtype)
    ax = _abs(x)
    far = ax > _BESSEL_J_ASYMPTOTIC_FROM
    finite = ax < math.inf
    near_x = where(far | (ax == 0), 1.0, ax)  # (1 where unused: no log(0) or 1/0 in the gradient)
    far_x = where(far & finite, ax, 2 * _BESSEL_J_ASYMPTOTIC_FROM)
    j_near = _bessel_series_j(near_x, order)
    j_far, y_far = _bessel_asymptotic(far_x, order)
    # +-inf gives nan, as PyTorch's (Cephes'); nan stays nan through the comparisons below
    if not second:
        out = where(far, where(finite, j_far, math.nan), j_near)
        at_zero = 1.0 if order == 0 else 0.0
        out = where(ax == 0, at_zero, out)
        return out * sign(x) if order == 1 else out  # J1 is odd, J0 even
    out = where(far, where(finite, y_far, math.nan), _bessel_series_y(near_x, order, j_near))
    return where(x < 0, math.nan, where(x == 0, -math.inf, out))


@public(namespace="special")
@with_out
def bessel_j0(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind of order 0, elementwise."""
    return _bessel("bessel_j0", input, 0, False)


@public(namespace="special")
@with_out
def bessel_j1(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind of order 1, elementwise."""
    return _bessel("bessel_j1", input, 1, False)


@public(namespace="special")
@with_out
def bessel_y0(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind of order 0, elementwise: -inf at 0, nan below 0."""
    return _bessel("bessel_y0", input, 0, True)


@public(namespace="special")
@with_out
def bessel_y1(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind of order 1, elementwise: -inf at 0, nan below 0."""
    return _bessel("bessel_y1", input, 1, True)


# --------------------------------------------------------------------------- modified Bessel functions of the second kind
#: above this, e^x K_v(x) by its asymptotic expansion (24 terms: within 5e-16 from here on); below it, by the
#: trapezoidal rule on e^x K_v(x) = integral over t >= 0 of e^(-x (cosh t - 1)) cosh(v t) dt, whose error falls
#: like e^(-c / h) for this analytic integrand (steps of 0.5 / sqrt(1 + x), up to where the integrand is e^-45)
_BESSEL_K_ASYMPTOTIC_FROM = 20.0


def _scaled_bessel_k(name: str, input: Any, order: float, scaled: bool = True) -> Tensor:  # noqa: A002
    """e^x K_order(x) (`scaled`), else K_order(x), elementwise: inf at 0, nan below 0, 0 at inf, as PyTorch."""
    from .elementwise import sqrt
    from .reduction import amax, amin

    x = _as_float(_tensor_arg(input, name))
    if x._dtype.itemsize < 8 and _dt.float64 in _backend_dtypes(x):
        return _scaled_bessel_k(name, x.to(_dt.float64), order, scaled).to(x._dtype)
    regular = (x > 0) & (x < math.inf)
    far = x > _BESSEL_K_ASYMPTOTIC_FROM
    near_x = where(regular & ~far, x, 1.0)
    far_x = where(far & regular, x, 2 * _BESSEL_K_ASYMPTOTIC_FROM)
    mu, a = 4.0 * order * order, 1.0
    inv = 1.0 / (far_x * 8.0)
    term: Any = a
    total: Any = 1.0
    for k in range(1, 24):
        term = term * inv * ((mu - (2 * k - 1) ** 2) / k)
        total = total + term
    series = total * sqrt(math.pi / 2.0 / far_x)
    if near_x.numel():
        lo, hi = float(amin(near_x).item()), float(amax(near_x).item())
    else:
        lo, hi = 1.0, 1.0
    h = 0.5 / math.sqrt(1.0 + hi)
    steps = int(math.acosh(1.0 + 45.0 / lo) / h) + 1
    integral = near_x * 0.0 + 0.5 * h  # t = 0: e^0 cosh 0, half weight
    for i in range(1, steps + 1):
        t = i * h
        integral = integral + exp(near_x * -(math.cosh(t) - 1.0)) * (h * math.cosh(order * t))
    out = where(far, series, integral)
    if not scaled:
        out = out * exp(-where(regular, x, 0.0))
    return where(regular, out, where(x == 0, math.inf, where(x == math.inf, 0.0, math.nan)))


@public(namespace="special")
@with_out
def scaled_modified_bessel_k0(input: Any) -> Tensor:  # noqa: A002
    """e^x K_0(x), the exponentially scaled modified Bessel function of the second kind of order 0."""
    return _scaled_bessel_k("scaled_modified_bessel_k0", input, 0)


@public(namespace="special")
@with_out
def scaled_modified_bessel_k1(input: Any) -> Tensor:  # noqa: A002
    """e^x K_1(x), the exponentially scaled modified Bessel function of the second kind of order 1."""
    return _scaled_bessel_k("scaled_modified_bessel_k1", input, 1)


@public(namespace="special")
@with_out
def modified_bessel_k0(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind of order 0: inf at 0, nan below 0."""
    return _scaled_bessel_k("modified_bessel_k0", input, 0, scaled=False)


@public(namespace="special")
@with_out
def modified_bessel_k1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind of order 1: inf at 0, nan below 0."""
    return _scaled_bessel_k("modified_bessel_k1", input, 1, scaled=False)


# --------------------------------------------------------------------------- the Airy function
_AIRY_C1, _AIRY_C2 = 0.355028053887817239, 0.258819403792806798  # Ai(0) and -Ai'(0)
#: Ai by its Maclaurin series on [-7, 2] (80 terms); above, (1/pi) sqrt(x/3) K_1/3(2/3 x^3/2); below, the
#: oscillating asymptotic expansion (10 + 10 terms): each within 1e-13 or so of the value there
_AIRY_SERIES_FROM, _AIRY_SERIES_TO = -7.0, 2.0
_AIRY_UNDERFLOW = 103.892  # Cephes' MAXAIRY: above it PyTorch gives 0


def _airy_u(n: int) -> list[float]:
    """The coefficients u_k of Ai's asymptotic expansions (Abramowitz and Stegun 10.4.58)."""
    out = [1.0]
    for k in range(1, n):
        out.append(out[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k))
    return out


@public(namespace="special")
@with_out
def airy_ai(input: Any) -> Tensor:  # noqa: A002
    """The Airy function Ai, elementwise. float16/bfloat16/float32 compute in float64 where the device has it."""
    from .elementwise import cos, sin, sqrt

    x = _as_float(_tensor_arg(input, "airy_ai"))
    if x._dtype.itemsize < 8 and _dt.float64 in _backend_dtypes(x):
        return airy_ai(x.to(_dt.float64)).to(x._dtype)
    finite = (x == x) & (x < math.inf) & (x > -math.inf)
    low, high = x < _AIRY_SERIES_FROM, x > _AIRY_SERIES_TO
    mid = where(low | high | ~finite, 0.0, x)
    cube = mid * mid * mid
    f_term, g_term = mid * 0.0 + 1.0, mid
    f_sum, g_sum = f_term, g_term
    for k in range(1, 80):
        f_term = f_term * cube * (1.0 / ((3 * k - 1) * (3 * k)))
        g_term = g_term * cube * (1.0 / ((3 * k) * (3 * k + 1)))
        f_sum, g_sum = f_sum + f_term, g_sum + g_term
    series = f_sum * _AIRY_C1 - g_sum * _AIRY_C2
    xp = where(high & finite, x, 2 * _AIRY_SERIES_TO)
    zeta = xp * sqrt(xp) * (2.0 / 3.0)
    decay = sqrt(xp / 3.0) * (1.0 / math.pi) * _scaled_bessel_k("airy_ai", zeta, 1.0 / 3.0, scaled=False)
    xn = -where(low & finite, x, 2 * _AIRY_SERIES_FROM)
    zn = xn * sqrt(xn) * (2.0 / 3.0)
    u = _airy_u(20)
    p: Any = 1.0
    q: Any = 0.0
    inv = 1.0 / zn
    power: Any = inv
    for k in range(1, 20):
        sign = -1.0 if (k // 2) % 2 else 1.0  # p: (-1)^j u_2j z^-2j, q: (-1)^j u_2j+1 z^-(2j+1)
        if k % 2:
            q = q + power * (u[k] * sign)
        else:
            p = p + power * (u[k] * sign)
        power = power * inv
    theta = zn + math.pi / 4
    wave = (sin(theta) * p - cos(theta) * q) / (sqrt(sqrt(xn)) * math.sqrt(math.pi))
    out = where(low, wave, where(high, decay, series))
    return where(finite, where(x > _AIRY_UNDERFLOW, 0.0, out), math.nan)  # nan at +-inf, as PyTorch

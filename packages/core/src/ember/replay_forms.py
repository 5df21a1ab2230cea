"""NumPy replay forms of kernels whose eager code is several NumPy calls with Python around them
(`ember.compile`): the same NumPy calls in the same order, so the same bits, into buffers the
replay program owns, with the work that cannot change between replays (index vectors, a constant
gradient's scale) done once when the program is built.

Each form's maker takes the recorded call (its native arguments and result, whether an array is
*fresh*: the caller never sees it, so its buffer can be reused by every replay, and which arguments
are the same at every replay) and gives a function of the same arguments as the kernel, or None
where it does not apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy

from . import xp_kernels as _xk

__all__ = ["kernel_form"]


def _numpy_partial(kernel: Any, func: Any) -> tuple[Any, ...] | None:
    """The bound arguments of `kernel` when it is `func` bound to NumPy (``partial(func, numpy, ...)``)."""
    args = getattr(kernel, "args", None)
    if getattr(kernel, "func", None) is func and args and args[0] is numpy and not kernel.keywords:
        return args
    return None


def _softmax_cross_entropy(
    kernel: Any, args: tuple[Any, ...], result: Any, fresh: Callable[[Any], bool], fixed: tuple[bool, ...]
) -> Any:
    """`xp_kernels.softmax_cross_entropy` (loss, log-probabilities) of float logits (N, C) and int64 targets."""
    bound = _numpy_partial(kernel, _xk.softmax_cross_entropy)
    x, target = args
    if bound is None or type(x) is not numpy.ndarray or x.ndim != 2 or x.dtype not in _xk.FLOAT_BITS:
        return None
    if type(target) is not numpy.ndarray or target.shape != x.shape[:1] or target.dtype != numpy.int64:
        return None
    n, c = x.shape
    caps = bound[1]
    if caps.errstate is None:
        return None
    dt = x.dtype
    rows = numpy.arange(n)[:, None]
    transposed = c <= 32 and n >= 16  # `_max_keepdims`'s fast path (a maximum is exact: either gives its bits)
    tbuf, mrow = numpy.empty((c, n), dt), numpy.empty(n, dt)
    m = mrow[:, None]
    s, e, ssum = numpy.empty((n, c), dt), numpy.empty((n, c), dt), numpy.empty((n, 1), dt)
    logp = numpy.empty((n, c), dt) if fresh(result[1]) else None
    copyto, subtract, exp, log, divide, negative = numpy.copyto, numpy.subtract, numpy.exp, numpy.log, numpy.divide, numpy.negative
    maxreduce: Any = numpy.maximum.reduce
    sumreduce: Any = numpy.add.reduce
    errstate, isnan = caps.errstate, math.isnan
    nf = float(n)

    def softmax_cross_entropy(x: Any, target: Any) -> tuple[Any, Any]:
        with errstate(all="ignore"):
            if transposed:
                copyto(tbuf, x.T)
                maxreduce(tbuf, 0, None, mrow)
            else:
                maxreduce(x, 1, None, m, True)
            subtract(x, m, out=s)
            exp(s, out=e)
            sumreduce(e, 1, None, ssum, True)
            log(ssum, out=ssum)
            lp = subtract(s, ssum, out=logp)
        total = lp[rows, target[:, None]].sum(keepdims=True).reshape(())
        if isnan(total):
            # A row maximum that is not finite (the kernel's where(isfinite(m), m, 0) would change it)
            # makes that row's sum, so its picked entry and the total, nan; with finite maxima the
            # log-probabilities are <= 0 and the total is not nan. Such a call runs the kernel itself.
            return kernel(x, target)
        divide(total, nf, out=total)
        return negative(total, out=total), lp

    return softmax_cross_entropy


def _softmax_cross_entropy_grad(
    kernel: Any, args: tuple[Any, ...], result: Any, fresh: Callable[[Any], bool], fixed: tuple[bool, ...]
) -> Any:
    """`xp_kernels.softmax_cross_entropy_grad` (logp, target, g): the same calls into a buffer of the program's."""
    if _numpy_partial(kernel, _xk.softmax_cross_entropy_grad) is None:
        return None
    logp, target, g = args
    if type(logp) is not numpy.ndarray or logp.ndim != 2 or type(target) is not numpy.ndarray or not fresh(result):
        return None
    n = logp.shape[0]
    rows = numpy.arange(n)
    picked, e = numpy.empty_like(logp), numpy.empty_like(logp)
    exp, multiply, subtract, divide, negative = numpy.exp, numpy.multiply, numpy.subtract, numpy.divide, numpy.negative
    nf = float(n)
    store = None  # g the same at every replay (backward's seed, 1.0): its scale s, made once, when 0 + s is s
    if fixed[2]:
        s0 = divide(negative(g), nf)
        store = s0 if s0 != 0 and not numpy.isnan(s0) else None

    def softmax_cross_entropy_grad(logp: Any, target: Any, g: Any) -> Any:
        picked.fill(0)
        if store is not None:
            s = store
            picked[rows, target] = s  # the scatter-add into zeros, as a store
        else:
            s = divide(negative(g), nf)
            picked[rows, target] += s
        exp(logp, out=e)
        multiply(e, s, out=e)
        return subtract(picked, e, out=picked)

    return softmax_cross_entropy_grad


def _where_zero(
    kernel: Any, args: tuple[Any, ...], result: Any, fresh: Callable[[Any], bool], fixed: tuple[bool, ...]
) -> Any:
    """``where(cond, a, 0.0)`` (ReLU's gradient) as the NumPy backend's kernel makes it: a sign-extended
    byte mask and-ed with a's bits, into a buffer of the program's. A selection: exact in any form."""
    if len(args) != 3:
        return None
    cond, a, b = args
    if not (type(b) is float and b == 0.0 and math.copysign(1.0, b) > 0 and type(cond) is numpy.ndarray and cond.dtype == numpy.bool_):
        return None
    if type(a) is not numpy.ndarray or a.dtype not in _xk.FLOAT_BITS or not cond.shape == a.shape == result.shape:
        return None
    if type(result) is not numpy.ndarray or result.dtype != a.dtype:
        return None
    if not fresh(result if result.base is None else result.base):  # (the kernel's result is a view of its int array)
        return None
    mask, out = numpy.empty(a.shape, numpy.int8), numpy.empty(a.shape, a.dtype)
    where_zero_bits = _xk.where_zero_bits

    def where(cond: Any, a: Any, b: Any) -> Any:
        where_zero_bits(numpy, cond, a, mask, out)
        return out

    return where


#: op name -> its replay form's maker
_FORMS = {
    "softmax_cross_entropy": _softmax_cross_entropy,
    "softmax_cross_entropy_grad": _softmax_cross_entropy_grad,
    "where": _where_zero,
}


def kernel_form(
    op_name: str, kernel: Any, args: tuple[Any, ...], result: Any, fresh: Callable[[Any], bool], fixed: tuple[bool, ...]
) -> Any:
    """A replay form of this NumPy kernel call (a function of the kernel's arguments), or None.
    `fixed[i]`: argument i is the same array at every replay (a constant of the program)."""
    make = _FORMS.get(op_name)
    return None if make is None else make(kernel, args, result, fresh, fixed)

"""The op table's entries for the complex-number primitives (complex, real, imag, conj, angle).

The kit's samples are real: each entry builds z = complex(re, im) from two real Args (keywords, so that the
kit's method-variant test, which calls the first positional Arg's method, leaves these entries alone) and returns a real result
(`view_as_real` of a complex one, after checking its dtype), so values and gradients are checked as for any op.
Every sample names the complex dtype it computes in (`computes_in`): a backend without it skips the sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import Maker, OpInfo, S, SampleInput

INFOS: list[OpInfo] = []

_W = 0.5 - 2j  # a complex factor: real(z * w) and imag(z * w) mix both parts of z


def _as_real(y: Any, computes_in: Any) -> Any:
    assert y.dtype is computes_in, f"complex result of dtype {y.dtype}, expected {computes_in}"
    return ember.view_as_real(y)


def _pair(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.stack((y.real, y.imag), -1).astype(dtype)


def _samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    cdt = ember.dtypes.as_dtype(make.dtype).to_complex()
    return [
        S(re=make(3, 4), im=make(3, 4), computes_in=cdt, name="same-shape"),
        S(re=make(3, 1), im=make(4), computes_in=cdt, name="broadcast"),
        S(re=make(4, 3, layout="transposed"), im=make(4, 3, layout="strided"), computes_in=cdt, name="non-contiguous"),
        S(re=make(), im=make(), computes_in=cdt, name="0-d"),
        S(re=make(0, 3), im=make(0, 3), computes_in=cdt, name="empty"),
    ]


def _info(name: str, op: Any, ref: Any) -> OpInfo:
    return OpInfo(name, op, ref, _samples, half=False)


INFOS.extend([
    _info(
        "complex", lambda *, re, im, computes_in: _as_real(ember.complex(re, im), computes_in),
        lambda *, re, im, computes_in: _pair(re + 1j * im, re.dtype),
    ),
    _info(
        "conj", lambda *, re, im, computes_in: _as_real(ember.conj(ember.complex(re, im)), computes_in),
        lambda *, re, im, computes_in: _pair(np.conj(re + 1j * im), re.dtype),
    ),
    _info(
        "real", lambda *, re, im, computes_in: ember.real(ember.complex(re, im) * _W),
        lambda *, re, im, computes_in: ((re + 1j * im) * _W).real.astype(re.dtype),
    ),
    _info(
        "imag", lambda *, re, im, computes_in: ember.imag(ember.complex(re, im) * _W),
        lambda *, re, im, computes_in: ((re + 1j * im) * _W).imag.astype(re.dtype),
    ),
    _info(
        "angle", lambda *, re, im, computes_in: ember.angle(ember.complex(re, im)),
        lambda *, re, im, computes_in: np.angle(re.astype(np.float64) + 1j * im).astype(re.dtype),
    ),
])  # fmt: skip

"""The op table's entries for the FFT primitives (fft_c2c, fft_r2c, fft_c2r), through `ember.fft`'s functions.

The kit's samples are real, so each entry takes real Args (a second one, `imag`, makes a complex input) and
returns real results (`view_as_real` of a complex one, after checking its dtype). Every sample names the
complex dtype it computes in (`computes_in`), so a backend without complex dtypes skips it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import SUM_TOL, Maker, OpInfo, S, SampleInput

INFOS: list[OpInfo] = []


def _as_real(y: Any, computes_in: Any) -> Any:
    if not y.is_complex():
        return y
    assert y.dtype is computes_in, f"complex result of dtype {y.dtype}, expected {computes_in}"
    return ember.view_as_real(y)


def _op(x: Any, *, fn: str, computes_in: Any, imag: Any = None, **kw: Any) -> Any:
    if imag is not None:
        x = ember.complex(x, imag)
    return _as_real(getattr(ember.fft, fn)(x, **kw), computes_in)


def numpy_fft(fn: str, x: np.ndarray, **kw: Any) -> np.ndarray:
    """`numpy.fft.<fn>` called with `ember.fft.<fn>`'s keyword arguments (n/s, dim, norm), PyTorch's defaults."""
    args: dict[str, Any] = {"norm": kw.get("norm")}
    if "n" in kw:
        args["n"] = kw["n"]
    if "s" in kw:
        args["s"] = kw["s"]
    if "dim" in kw:
        args["axis" if isinstance(kw["dim"], int) else "axes"] = kw["dim"]
    elif "s" in kw:
        args["axes"] = tuple(range(x.ndim - len(kw["s"]), x.ndim))
    elif fn.endswith("2"):
        args["axes"] = (-2, -1)
    if fn in ("hfft2", "hfftn", "ihfft2", "ihfftn"):  # NumPy has them in 1-D only: its own identities, in n-D
        args["norm"] = {None: "forward", "backward": "forward", "forward": "backward"}.get(args["norm"], "ortho")
        if fn.startswith("h"):
            return np.fft.irfftn(np.conj(x), **args)
        return np.conj(np.fft.rfftn(x, **args))
    return getattr(np.fft, fn)(x, **args)


def _ref(x: np.ndarray, *, fn: str, computes_in: Any, imag: np.ndarray | None = None, **kw: Any) -> np.ndarray:
    real_dtype = x.dtype
    v = x.astype(np.float64) if imag is None else x + 1j * imag.astype(np.float64)
    y = numpy_fft(fn, v, **kw)
    if np.iscomplexobj(y):
        y = np.stack((y.real, y.imag), -1)
    return y.astype(real_dtype)


def _complex_of(make: Maker) -> Any:
    return ember.dtypes.as_dtype(make.dtype).to_complex()


def _samples(cases: list[tuple[str, bool, dict[str, Any], str]]) -> Any:
    def samples(op: OpInfo, make: Maker) -> list[SampleInput]:
        cdt = _complex_of(make)
        out = []
        for fn, with_imag, kw, layout in cases:
            shape = (0, 4) if layout == "empty" else (3, 4, 5) if fn.endswith("n") else (3, 5)
            lay = "contiguous" if layout == "empty" else layout
            extra: dict[str, Any] = {"imag": make(*shape, layout=lay)} if with_imag else {}
            out.append(S(make(*shape, layout=lay), fn=fn, computes_in=cdt, **extra, **kw, name=f"{fn}-{layout}"))
        return out

    return samples


_NORMS = ("backward", "ortho", "forward")

INFOS.append(
    OpInfo(
        "fft_c2c", _op, _ref,
        _samples([
            ("fft", False, {}, "contiguous"), ("fft", True, {"n": 7, "norm": "ortho"}, "transposed"),
            ("ifft", True, {"dim": 0, "n": 2}, "contiguous"), ("fft2", True, {"s": (2, 6), "norm": "forward"}, "strided"),
            ("ifftn", False, {"dim": (0, 2)}, "transposed"), ("fft", True, {}, "empty"),
        ]),
        tol=SUM_TOL, half=False,
    )  # fmt: skip
)
INFOS.append(
    OpInfo(
        "fft_r2c", _op, _ref,
        _samples([
            ("rfft", False, {}, "contiguous"), ("rfft", False, {"n": 4, "norm": "ortho"}, "transposed"),
            ("rfft2", False, {"s": (4, 7)}, "strided"), ("rfftn", False, {"norm": "forward"}, "contiguous"),
            ("ihfft", False, {"n": 6}, "transposed"), ("rfft", False, {}, "empty"),
        ]),
        tol=SUM_TOL, half=False,
    )  # fmt: skip
)
INFOS.append(
    OpInfo(
        "fft_c2r", _op, _ref,
        _samples([
            ("irfft", True, {}, "contiguous"), ("irfft", False, {"n": 7, "norm": "ortho"}, "transposed"),
            ("irfft2", True, {"s": (4, 6), "norm": "forward"}, "strided"), ("irfftn", True, {}, "contiguous"),
            ("hfft", True, {"n": 5}, "transposed"), ("irfft", True, {"n": 4}, "empty"),
        ]),
        tol=SUM_TOL, half=False,
    )  # fmt: skip
)

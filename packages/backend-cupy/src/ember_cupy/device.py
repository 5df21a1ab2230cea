"""CUDA devices through CuPy: availability (in words), device descriptions and the device count.

Nothing here imports CuPy at module import; every probe is cached after its first answer.
"""

from __future__ import annotations

import functools
from typing import Any

INSTALL_HINT = "pip install 'ember-backend-cupy[cuda12]'"


def _cupy() -> Any:
    import cupy

    return cupy


def _words(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if "\n" in text else text


@functools.cache
def unavailable_reason() -> str | None:
    """None when CuPy can run kernels on at least one CUDA device here, else why not, in words."""
    try:
        cupy = _cupy()
    except ImportError as exc:
        return f"cupy is not installed: {INSTALL_HINT} (import cupy failed: {_words(exc)})"
    except Exception as exc:  # a broken CuPy install raises other errors at import
        return f"cupy cannot be imported: {type(exc).__name__}: {_words(exc)}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, driver too old, no device
        return f"no CUDA device: {_words(exc)}"
    if count == 0:
        return "no CUDA device: the CUDA runtime reports 0 devices"
    if not cupy.is_available():
        return "no CUDA device: cupy.is_available() is False"
    try:  # CuPy compiles every kernel at run time with NVRTC, which the [cuda12] extra installs
        cupy.cuda.nvrtc.getVersion()
    except Exception as exc:
        return f"CuPy cannot load NVRTC, CUDA's run-time compiler: {_words(exc)}; {INSTALL_HINT} installs it"
    return None


@functools.cache
def device_count() -> int:
    if unavailable_reason() is not None:
        return 0
    return int(_cupy().cuda.runtime.getDeviceCount())


def describe(index: int) -> str:
    """'cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB, compute capability 9.0)' for `python -m ember`."""
    cupy = _cupy()
    props = cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    mem = props["totalGlobalMem"] / 2**30
    return f"cuda:{index} ({name}, {mem:.1f} GiB, compute capability {props['major']}.{props['minor']})"


def versions() -> str:
    """CuPy's version and the CUDA runtime and driver versions it sees."""
    cupy = _cupy()

    def v(n: int) -> str:
        return f"{n // 1000}.{n % 1000 // 10}"

    try:
        rt = v(cupy.cuda.runtime.runtimeGetVersion())
    except Exception:
        rt = "?"
    try:
        drv = v(cupy.cuda.runtime.driverGetVersion())
    except Exception:
        drv = "?"
    return f"CuPy {cupy.__version__}, CUDA runtime {rt}, driver {drv}"

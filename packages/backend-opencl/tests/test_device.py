"""Device discovery and selection, availability reporting, dtype refusal and the kernel cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
from ember_opencl import device

pytestmark = pytest.mark.skipif(
    device.unavailable_reason() is not None, reason=f"no usable OpenCL device: {device.unavailable_reason()}"
)


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("EMBER_OPENCL_DEVICE", "PYOPENCL_CTX")} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=120)


def test_python_m_ember_lists_opencl_devices() -> None:
    out = subprocess.run([sys.executable, "-m", "ember"], capture_output=True, text=True, timeout=120).stdout
    assert "ember-backend-opencl" in out
    block = out[out.index("  opencl") :]
    assert "status:       available" in block
    assert "opencl:0 (" in block and device.get(0).cl_device.name.strip() in block
    assert "float32" in block and "float16" not in block.split("dtypes:")[1].splitlines()[0]


def test_selection_by_environment() -> None:
    probe = "from ember_opencl import device as d; print(len(d.devices()), d.unavailable_reason())"
    everything = _run(probe)
    assert everything.returncode == 0, everything.stderr
    n_all = int(everything.stdout.split()[0])
    assert n_all == len(device.devices())
    for variable in ("EMBER_OPENCL_DEVICE", "PYOPENCL_CTX"):
        one = _run(probe, **{variable: "0:0"})
        assert one.stdout.split() == ["1", "None"], one.stderr
        bad = _run(probe, **{variable: "7:0"})
        assert bad.stdout.startswith("0 ") and f"{variable}='7:0'" in bad.stdout and "platform(s)" in bad.stdout
        garbage = _run(probe, **{variable: "gpu"})
        assert "expected PLATFORM[:DEVICE]" in garbage.stdout
    # Ember's own variable wins over pyopencl's
    both = _run(probe, EMBER_OPENCL_DEVICE="0:0", PYOPENCL_CTX="5")
    assert both.stdout.split() == ["1", "None"]


def test_no_platform_is_reported_in_words() -> None:
    """With no OpenCL driver registered, the backend says so and asking for the device is a clear error."""
    code = (
        "import ember\n"
        "from ember.backends import registry\n"
        "print('REASON', registry.peek('opencl').unavailable_reason())\n"
        "try:\n    ember.zeros(2, device='opencl')\nexcept Exception as e:\n    print('ERROR', type(e).__name__, e)\n"
    )
    proc = _run(code, OCL_ICD_VENDORS="/nonexistent-ember-test", OPENCL_VENDOR_PATH="/nonexistent-ember-test")
    assert proc.returncode == 0, proc.stderr
    assert "REASON no usable OpenCL platform: pyopencl says" in proc.stdout
    assert "pocl-opencl-icd" in proc.stdout
    assert "ERROR BackendUnavailableError" in proc.stdout and "'opencl'" in proc.stdout


def test_device_index_out_of_range() -> None:
    with pytest.raises(Exception, match=r"opencl:5"):
        ember.zeros(2, device=f"opencl:{len(device.devices()) + 4}")


def test_float16_is_refused_with_the_reason() -> None:
    if device.get(0).fp16:
        pytest.skip("this OpenCL device has cl_khr_fp16")
    with pytest.raises((TypeError, RuntimeError), match="float16"):
        ember.tensor(np.ones(2, np.float16), device="opencl")


def test_kernels_built_once_per_process_and_cached_on_disk() -> None:
    dev = device.get(0)
    x = ember.arange(10.0, device="opencl")
    (x * 3).cpu()
    before = len(dev._kernels)
    for _ in range(3):
        (x * 5).cpu()
    assert len(dev._kernels) == before  # same op, dtype and rank: no new build
    cache = os.environ["POCL_CACHE_DIR"]  # the user's, or Ember's default
    assert os.path.isdir(cache) and os.listdir(cache)


def test_pocl_cache_defaults_to_the_user_cache_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "POCL_CACHE_DIR"} | {"XDG_CACHE_HOME": str(tmp_path)}
    code = "import ember, os; (ember.arange(4.0, device='opencl') * 2).cpu(); print(os.environ['POCL_CACHE_DIR'])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    cache = tmp_path / "ember" / "pocl"
    assert proc.stdout.strip() == str(cache)
    if "Portable Computing Language" in device.get(0).cl_device.platform.name:
        assert any(cache.rglob("*")), "PoCL wrote nothing to its cache directory"

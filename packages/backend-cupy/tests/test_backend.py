"""The CuPy backend's own tests. Those marked `needs_gpu` skip with the reason "no CUDA device: ..."
where there is none; the rest run on any machine with CuPy installed (no GPU needed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import REASON, needs_gpu

import ember
from ember.backends import BackendUnavailableError, registry
from ember.dispatch import OPS, _load_all_ops
from ember_cupy import CupyBackend, device


def _backend() -> CupyBackend:
    backend = registry.peek("cuda")
    assert isinstance(backend, CupyBackend)
    return backend


def test_the_plugin_registers_through_its_entry_point() -> None:
    backend = _backend()
    assert (backend.name, backend.device_type, backend.api_version) == ("cupy", "cuda", (1, 0))
    assert backend.distribution == "ember-backend-cupy"
    assert backend.dlpack_device_type == 2


def test_dtypes_are_everything_but_bfloat16() -> None:
    names = {d.name for d in _backend().dtypes}
    assert names == {d.name for d in ember.dtypes.all_dtypes} - {"bfloat16"}
    assert "float16" in names


def test_python_m_ember_shows_the_backend_and_its_status() -> None:
    out = subprocess.run([sys.executable, "-m", "ember"], capture_output=True, text=True, check=True).stdout
    assert "cupy" in out and "ember-backend-cupy" in out and "device type:  cuda" in out
    if REASON is None:
        assert "cuda:0 (" in out and "compute capability" in out
    else:
        assert f"unavailable: {REASON}" in out


@pytest.mark.skipif(REASON is None, reason="a CUDA device is available here")
def test_asking_for_cuda_without_a_gpu_raises_with_the_reason() -> None:
    assert REASON.startswith(("no CUDA device: ", "CuPy cannot load NVRTC"))
    with pytest.raises(BackendUnavailableError, match="no CUDA device|NVRTC") as info:
        ember.zeros(2, device="cuda")
    assert "ember-backend-cupy" in str(info.value) and REASON in str(info.value)
    assert _backend().device_names() == [] and _backend().device_count() == 0


def test_without_cupy_the_reason_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise ImportError("No module named 'cupy'")

    monkeypatch.setattr(device, "_cupy", missing)
    device.unavailable_reason.cache_clear()
    try:
        reason = device.unavailable_reason()
    finally:
        device.unavailable_reason.cache_clear()
    assert reason is not None
    assert reason.startswith("cupy is not installed: pip install 'ember-backend-cupy[cuda12]'")


def test_the_kernel_table_covers_every_primitive_and_names_only_ops() -> None:
    _load_all_ops()
    kernels = _backend().kernels
    primitives = {name for name, op in OPS.items() if op.kind == "primitive"}
    assert primitives, "core declares no primitives?"
    assert sorted(primitives - set(kernels)) == []
    assert sorted(set(kernels) - set(OPS)) == []
    # the composite overrides it ships, and every in-place variant (derived from OPS, as core's generic table is)
    inplace = tuple(name for name, op in OPS.items() if op.kind == "inplace")
    for name in ("softmax", "log_softmax", "logsumexp", "conv2d", "conv2d_input_grad", "conv2d_weight_grad",
                 "max_pool2d", "linear", *inplace):  # fmt: skip
        assert name in kernels, name


def test_every_declared_array_api_function_resolves_on_cupy() -> None:
    """core's generic table takes each op's kernel from CuPy by its array-API name (Op.xp), or NumPy 1's spelling."""
    import cupy

    from ember.xp_kernels import xp_function

    _load_all_ops()
    missing = sorted(f"{name} ({op.xp})" for name, op in OPS.items() if op.xp and xp_function(cupy, op.xp) is None)
    assert not missing, f"CuPy has none of these functions, so these ops fall back to the host: {missing}"


def test_cupys_capabilities() -> None:
    import cupy

    from ember.xp_kernels import caps_of

    caps = caps_of(cupy)
    assert not caps.scalar_results and not caps.checks_bounds and not caps.buffer_is_array
    assert not caps.strided_writeable_arg
    np_caps = caps_of(np)
    assert np_caps.scalar_results and np_caps.checks_bounds and np_caps.buffer_is_array


def test_the_bounds_checks_cupy_relies_on_raise_index_error() -> None:
    """CuPy wraps out-of-range indices; core's generic kernels check first. Run that path on NumPy."""
    import dataclasses

    from ember.xp_kernels import caps_of, kernel_table

    caps = dataclasses.replace(caps_of(np), checks_bounds=False)
    k = kernel_table(np, caps=caps)
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(k["index"](x, (np.array([-3, 2]),)), x[[0, 2]])
    np.testing.assert_array_equal(k["index"](x, (None, slice(0, 3, 1), np.array([3, -4]))), x[None, 0:3, [3, -4]])
    for key in [
        (np.array([3]),),
        (slice(0, 3, 1), np.array([0, 4])),
        (None, 1, np.array([-5])),
        (Ellipsis, np.array([4])),
    ]:
        with pytest.raises(IndexError, match="out of range"):
            k["index"](x, key)
        with pytest.raises(IndexError, match="out of range"):
            k["index_put"](x, key, 1.0, True)
    out = k["index_put"](x, (np.array([0, 0]),), 1.0, True)
    np.testing.assert_array_equal(out[0], x[0] + 2)


# -- on a GPU ------------------------------------------------------------------------------
@needs_gpu
def test_random_bits_are_the_reference_bits() -> None:
    from ember.random import philox4x32

    k = _backend().kernels["random_bits"]
    for seed, offset, n in [(0, 0, 1), (42, 7, 10), (2**63 + 12345, 2**40 + 3, 4099), (2**64 - 1, 2**64 - 2, 17)]:
        np.testing.assert_array_equal(k(seed, offset, n, 0).get(), philox4x32(seed, offset, n))
    ember.manual_seed(3)
    a = ember.rand(1000, device="cuda").cpu().numpy()
    ember.manual_seed(3)
    b = ember.rand(1000).numpy()
    np.testing.assert_array_equal(a, b)


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_fused_softmax_kernels_match_numpy(dtype: type) -> None:
    x = np.random.default_rng(0).standard_normal((7, 33)).astype(dtype) * 10
    x[3] = -np.inf
    x[4, 5] = np.inf
    k = _backend().kernels
    xc = _backend().from_host(x, 0)
    tol = 1e-2 if dtype == np.float16 else 1e-5
    from ember.xp_kernels import kernel_table

    ref = kernel_table(np)  # core's generic composition, on the host

    for axis in (0, 1):
        np.testing.assert_allclose(k["softmax"](xc, axis).get(), ref["softmax"](x, axis), rtol=tol, atol=tol)
        np.testing.assert_allclose(k["log_softmax"](xc, axis).get(), ref["log_softmax"](x, axis), rtol=tol, atol=tol)
        np.testing.assert_allclose(
            k["logsumexp"](xc, (axis,), False).get(), ref["logsumexp"](x, (axis,), False), rtol=tol, atol=tol
        )


@needs_gpu
def test_compute_differentiate_transfer_and_dlpack() -> None:
    import cupy

    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda", requires_grad=True)
    (x @ x).relu().sum().backward()
    xn = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.ones((2, 2)) @ xn.T + xn.T @ np.ones((2, 2)))
    assert x.grad.device == ember.device("cuda")
    c = cupy.from_dlpack(x.detach())
    c[0, 0] = 10.0  # zero-copy: the write shows through
    assert x[0, 0].item() == 10.0
    y = ember.from_dlpack(cupy.arange(3, dtype=cupy.float32))
    assert y.device == ember.device("cuda") and y.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(IndexError):
        ember.arange(3, device="cuda")[ember.tensor([5], device="cuda")]
    with pytest.raises(TypeError, match="bfloat16"):
        ember.zeros(2, dtype=ember.bfloat16, device="cuda")
    if _backend().device_count() > 1:
        z = x.detach().to("cuda:1")
        assert z.device == ember.device("cuda:1") and (z * 2).sum().item() == pytest.approx(2 * (10 + 2 + 3 + 4))

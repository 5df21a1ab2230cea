"""The template backend's own tests; the conformance kit (pytest --pyargs ember.testing.kit) does the rest."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ember


def test_ember_finds_the_backend_through_its_entry_point() -> None:
    backend = ember.get_backend("strict")
    assert backend.name == "strict"
    assert backend.distribution == "ember-backend-strict"


def test_python_m_ember_lists_it() -> None:
    out = subprocess.run([sys.executable, "-m", "ember"], capture_output=True, text=True, check=True).stdout
    assert "strict" in out and "ember-backend-strict" in out


def test_computes_and_differentiates_on_the_device() -> None:
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device="strict", requires_grad=True)
    y = (x @ x).relu().sum()
    y.backward()
    xn = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    assert y.item() == pytest.approx((xn @ xn).sum())
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.ones((2, 2)) @ xn.T + xn.T @ np.ones((2, 2)))
    assert x.grad.device == ember.device("strict")


def test_a_missing_kernel_falls_back_to_the_host_with_a_warning() -> None:
    x = ember.tensor([0.5, 1.0], device="strict")
    with pytest.warns(ember.dispatch.FallbackWarning, match="erf"):
        y = ember.erf(x)
    assert y.device == ember.device("strict")
    np.testing.assert_allclose(y.cpu().numpy(), [0.5204999, 0.8427008], rtol=1e-5)


def test_unsupported_dtype_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="float16 is not supported on device strict"):
        ember.zeros(2, dtype=ember.float16, device="strict")

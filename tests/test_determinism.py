"""`ember.use_deterministic_algorithms` and its queries, as PyTorch's (torch/__init__.py documents the levels:
0 "default", 1 "warn" = warn_only, 2 "error")."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import ember


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    ember.use_deterministic_algorithms(False)


def test_switch_and_levels() -> None:
    assert not ember.are_deterministic_algorithms_enabled() and ember.get_deterministic_debug_mode() == 0
    ember.use_deterministic_algorithms(True)
    assert ember.are_deterministic_algorithms_enabled() and not ember.is_deterministic_algorithms_warn_only_enabled()
    assert ember.get_deterministic_debug_mode() == 2
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.is_deterministic_algorithms_warn_only_enabled() and ember.get_deterministic_debug_mode() == 1
    ember.set_deterministic_debug_mode("default")
    assert not ember.are_deterministic_algorithms_enabled() and ember.get_deterministic_debug_mode() == 0
    ember.set_deterministic_debug_mode(2)
    assert ember.are_deterministic_algorithms_enabled() and not ember.is_deterministic_algorithms_warn_only_enabled()


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="'mode' must be bool, not int"):
        ember.use_deterministic_algorithms(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'warn_only' must be bool"):
        ember.use_deterministic_algorithms(True, warn_only=1)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 3"):
        ember.set_deterministic_debug_mode(3)
    with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, but got bogus"):
        ember.set_deterministic_debug_mode("bogus")
    with pytest.raises(TypeError, match="debug_mode must be str or int"):
        ember.set_deterministic_debug_mode(1.0)  # type: ignore[arg-type]
    assert not ember.are_deterministic_algorithms_enabled()


def test_ops_run_and_repeat_bit_for_bit_when_required(device: str) -> None:
    """Ember's kernels have no nondeterministic variant: under the switch a scatter-add (PyTorch's example of a
    nondeterministic CUDA op) runs, and twice gives the same bits, equal to NumPy's np.add.at."""
    ember.use_deterministic_algorithms(True)
    rng = np.random.default_rng(0)
    idx, src = rng.integers(0, 5, 200), rng.standard_normal(200).astype(np.float32)
    runs = [
        ember.zeros(5, device=device).index_add_(0, ember.tensor(idx, device=device), ember.tensor(src, device=device))
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].numpy(), runs[1].numpy())
    expect = np.zeros(5, np.float64)
    np.add.at(expect, idx, src.astype(np.float64))
    np.testing.assert_allclose(runs[0].numpy(), expect, rtol=1e-5, atol=1e-5)

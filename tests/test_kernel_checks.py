"""ember.kernel_checks: the debug mode that checks every kernel result's shape and dtype (the kit turns it on)."""

from __future__ import annotations

import numpy as np
import pytest
from plugin_fixtures import run_code
from plugin_fixtures.fakebackend import FakeBackend, delegate

import ember
from ember import kernel_checks
from ember.backends import registry
from ember.ops import _run

KERNELS = {
    "full": delegate(lambda shape, value, dtype, index: np.full(shape, value, dtype=dtype.numpy)),
    "astype": delegate(lambda x, dtype: x.astype(dtype.numpy)),
    "copy": delegate(lambda x: np.array(x, copy=True)),
    "cumsum": delegate(lambda x, axis: np.cumsum(x, axis=axis).astype(np.int32)),  # int32 data for an int64 result
    "neg": delegate(lambda x: -x[..., :1]),  # a broadcasting slip: the first column only
}


@pytest.fixture
def checked():
    was = kernel_checks.enable()
    registry.register(FakeBackend(name="wrongk", device_type="wrongk", kernels=KERNELS))
    yield
    registry.unregister("wrongk")
    kernel_checks.enable(was)


def test_a_wrong_result_dtype_is_caught_naming_op_and_backend(checked) -> None:
    x = ember.tensor(np.arange(6).reshape(2, 3), device="wrongk")
    with pytest.raises(kernel_checks.KernelContractError, match=r"kernel 'cumsum' of backend 'wrongk' returned int32 data for a result declared int64"):
        x.cumsum(1)


def test_a_wrong_result_shape_is_caught(checked) -> None:
    x = ember.ones(2, 3, device="wrongk")
    with pytest.raises(kernel_checks.KernelContractError, match=r"kernel 'neg' of backend 'wrongk' returned an array of shape \(2, 1\), but the op declared \(2, 3\)"):
        -x


def test_off_the_run_path_is_untouched_and_nothing_is_checked() -> None:
    was = kernel_checks.enable(False)
    registry.register(FakeBackend(name="wrongk", device_type="wrongk", kernels=KERNELS))
    try:
        assert not kernel_checks.enabled() and _run._make == ember.Tensor._make  # zero cost: the plain constructor
        x = ember.tensor(np.arange(6).reshape(2, 3), device="wrongk")
        assert x.cumsum(1).dtype is ember.int64  # the lie goes unnoticed without the checks
    finally:
        registry.unregister("wrongk")
        kernel_checks.enable(was)


def test_the_environment_variable_turns_the_checks_on() -> None:
    out = run_code("import ember.kernel_checks as k; print('on:', k.enabled())", env={"EMBER_CHECK_KERNELS": "1"}).stdout
    assert "on: True" in out


def test_the_kit_runs_with_the_checks_on(pytestconfig) -> None:
    # this suite is run with --ember-backend (or collects kit tests) in CI: the plugin turned them on
    if not pytestconfig.getoption("--ember-backend"):
        pytest.skip("the checks are turned on for runs that name --ember-backend or collect the kit")
    assert kernel_checks.enabled()

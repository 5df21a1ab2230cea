"""ember.onnx.export then ember.onnx.load gives the same outputs, layer by layer (needs the ONNX export)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'ember-core[onnx]')")
nn = pytest.importorskip("ember.nn", reason="ember.onnx.load builds ember.nn modules: install ember-nn")

import ember  # noqa: E402
import ember.onnx  # noqa: E402

LAYERS = {
    "linear": (lambda: nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)), (4, 6)),
    "conv": (
        lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()),
        (2, 3, 8, 8),
    ),
    "norm": (lambda: nn.Sequential(nn.LayerNorm(6), nn.GELU(), nn.Softmax(dim=-1)), (3, 6)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_export_then_load_matches(name: str, device: str, tmp_path) -> None:
    export = getattr(ember.onnx, "export", None)
    if export is None:
        pytest.skip("ember.onnx.export is not in this build (the ONNX export issue)")
    make, shape = LAYERS[name]
    model = make().to(device).eval()
    x = ember.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), device=device)
    path = tmp_path / f"{name}.onnx"
    export(model, (x,), str(path))
    loaded = ember.onnx.load(str(path), device=device)
    with ember.no_grad():
        np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-5)

"""ember.onnx.export then ember.onnx.load gives the model's outputs, for every layer the export covers
(`layer_cases.CASES`), exported with a dynamic batch axis and run at other batch sizes too."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'ember-core[onnx]')")
pytest.importorskip("ember.nn", reason="ember.onnx.load builds ember.nn modules: install ember-nn")

from layer_cases import CASES, _flat

import ember
import ember.onnx


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_then_load_matches(name: str, device: str) -> None:
    build, make = CASES[name]
    model = build().to(device).eval()
    xs = [ember.from_numpy(a).to(device) for a in make(7)]
    names = [f"x{i}" for i in range(len(xs))]
    buf = io.BytesIO()
    ember.onnx.export(model, tuple(xs), buf, input_names=names, dynamic_axes={n: {0: "batch"} for n in names})
    loaded = ember.onnx.load(buf.getvalue(), device=device)
    assert loaded.input_names == names
    for n in (7, 3):
        inputs = [ember.from_numpy(a).to(device) for a in make(n)]
        with ember.no_grad():
            want = _flat(model(*inputs))
            got = _flat(loaded(*inputs))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
            np.testing.assert_allclose(g.cpu().numpy(), w.cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=f"batch {n}")

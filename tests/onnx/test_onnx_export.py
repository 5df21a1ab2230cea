"""ember.onnx.export against onnxruntime: every layer from one export with a dynamic batch axis, and the errors."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

onnx = pytest.importorskip("onnx", reason="ember.onnx.export needs onnx (pip install 'ember-core[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the export tests run models with onnxruntime (a test dependency)")
nn = pytest.importorskip("ember.nn", reason="the layers come from ember-nn")

from layer_cases import CASES, Call, _bn, _f32, _flat  # noqa: E402

from ember.dispatch import OPS  # noqa: E402
from ember.onnx import ExportError, export  # noqa: E402
from ember.onnx.converters import CONVERTERS, UNSUPPORTED  # noqa: E402

BATCHES = (1, 7, 64)


def _check(model: nn.Module, make: Callable[[int], tuple[np.ndarray, ...]], device: str, **kw: Any) -> Any:
    """Export at batch 7 with a dynamic batch axis; onnxruntime matches Ember at every batch size."""
    model = model.to(device)
    xs = [ember.from_numpy(a).to(device) for a in make(7)]
    names = [f"x{i}" for i in range(len(xs))]
    buf = io.BytesIO()
    proto = export(model, tuple(xs), buf, input_names=names, dynamic_axes={n: {0: "batch"} for n in names}, **kw)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    model.eval()
    for n in BATCHES:
        arrays = make(n)
        with ember.no_grad():
            want = [t.cpu().numpy() for t in _flat(model(*[ember.from_numpy(a).to(device) for a in arrays]))]
        got = sess.run(None, dict(zip(names, arrays)))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape, f"batch {n}: shape {g.shape} from onnxruntime, {w.shape} from Ember"
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=f"batch {n}")
    return proto


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_matches_onnxruntime(name: str, device: str) -> None:
    build, make = CASES[name]
    _check(build(), make, device)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_main_job_models(kind: str, device: str) -> None:
    models = pytest.importorskip("ember_classify.models", reason="the main job (examples/classify) is not installed")
    model = models.build(kind, (1, 8, 8), 10)
    proto = _check(model, lambda n: (_f32(n, 1, 8, 8),), device)
    assert proto.producer_name == "ember" and proto.producer_version == ember.__version__
    inits = {i.name for i in proto.graph.initializer}
    assert set(model.state_dict()) <= inits  # parameters keep their state_dict names
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_every_op_has_a_converter_or_a_reason() -> None:
    missing = [name for name in OPS if name not in CONVERTERS and name not in UNSUPPORTED]
    assert not missing, f"ops with neither an ONNX converter nor a stated reason: {missing}"
    both = sorted(set(CONVERTERS) & set(UNSUPPORTED))
    assert not both, f"ops with a converter and a reason not to have one: {both}"
    assert set(CONVERTERS) | set(UNSUPPORTED) <= set(OPS), "converters for ops that are not in the table"
    assert all(UNSUPPORTED.values())


class Reductions(nn.Module):
    """Ops whose ONNX form changed across opsets 17-21 (reductions with axes as input from 18)."""

    def forward(self, x: Any) -> Any:
        return x.amax(1) + x.amin(1) + x.logsumexp(1) + x.norm(dim=1) + x.prod(1) + nn.functional.gelu(x).mean(1)


@pytest.mark.parametrize("opset", [17, 18, 19, 20, 21])
def test_opsets(opset: int, device: str) -> None:
    proto = _check(Reductions(), lambda n: (_f32(n, 4),), device, opset_version=opset)
    assert proto.opset_import[0].version == opset


def test_bitwise_ops_and_opset_17(device: str) -> None:
    """~x and shifts are written without BitwiseNot before opset 18; and/or/xor need 18 and say so."""

    def fn(m: Any, x: Any, y: Any) -> Any:
        return ~x, x >> y, x << y

    x, y = np.array([5, -7, 0, -1, 127], np.int32), np.array([1, 2, 0, 40, 3], np.int32)
    with ember.no_grad():
        want = [t.cpu().numpy() for t in fn(None, ember.from_numpy(x).to(device), ember.from_numpy(y).to(device))]
    for opset in (17, 18):
        buf = io.BytesIO()
        export(Call(fn), (ember.from_numpy(x).to(device), ember.from_numpy(y).to(device)), buf, opset_version=opset)
        got = ort.InferenceSession(buf.getvalue()).run(None, {"input_0": x, "input_1": y})
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    with pytest.raises(ExportError, match="'bitwise_and'.*BitwiseAnd from opset 18 on; export with opset_version=18"):
        export(Call(lambda m, a: a & 3), ember.from_numpy(x).to(device), io.BytesIO(), opset_version=17)


def test_constant_folding(device: str) -> None:
    class AddRange(nn.Module):
        def forward(self, x: Any) -> Any:
            return x + ember.arange(x.shape[-1], device=x.device).float() * 2 + ember.ones(4, device=x.device)

    folded = _check(AddRange(), lambda n: (_f32(n, 4),), device)
    unfolded = _check(AddRange(), lambda n: (_f32(n, 4),), device, do_constant_folding=False)
    assert "Range" not in {n.op_type for n in folded.graph.node}
    assert {"Range", "ConstantOfShape"} <= {n.op_type for n in unfolded.graph.node}


def test_values_that_follow_the_batch_are_computed_in_the_graph(device: str) -> None:
    """Reshape targets, slice bounds and a mean's count that hold the batch size are not baked in."""

    def fn(m: Any, x: Any) -> Any:
        n = x.shape[0]
        y = x.reshape(n * 2, -1)[: n + 1]  # a slice bound that follows the batch size
        z = ember.zeros(n, 3, device=x.device) + y[:n, :3]  # a created shape that does
        return z.sum() / n + x.mean()

    proto = _check(Call(fn), lambda n: (_f32(n, 6),), device)
    assert "Shape" in {node.op_type for node in proto.graph.node}


def test_path_and_file_object(tmp_path: Any, device: str) -> None:
    model = nn.Linear(3, 2).to(device)
    x = ember.randn(2, 3, device=device, requires_grad=True)  # an input that requires grad exports as any other
    export(model, x, tmp_path / "m.onnx", dynamic_axes={"input": {0: "n"}})
    with open(tmp_path / "f.onnx", "wb") as f:
        export(model, (x,), f, input_names=["x"], output_names=["y"])
    a = onnx.load(tmp_path / "m.onnx")
    b = onnx.load(tmp_path / "f.onnx")
    onnx.checker.check_model(a, full_check=True)
    assert [i.name for i in b.graph.input] == ["x"] and [o.name for o in b.graph.output] == ["y"]
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"input": x.detach().cpu().numpy()})[0]
    with ember.no_grad():
        np.testing.assert_allclose(got, model(x).cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_exports_in_eval_mode_and_restores_the_mode(device: str) -> None:
    model = nn.Sequential(_bn(nn.BatchNorm1d(3)), nn.Dropout(0.9)).to(device)
    model.train()
    model[1].eval()  # each module's own mode comes back, not one flag for all
    _check(model, lambda n: (_f32(n, 3),), device)  # matches eval-mode Ember: running statistics, no dropout
    model.train()
    model[1].eval()
    export(model, ember.randn(4, 3, device=device), io.BytesIO())
    assert model.training and model[0].training and not model[1].training


# -- bad input ---------------------------------------------------------------------------------------


def test_op_without_converter_names_op_and_layer(device: str) -> None:
    class Gamma(nn.Module):
        def forward(self, x: Any) -> Any:
            return ember.lgamma(x)

    model = nn.Sequential(nn.Linear(3, 3), Gamma()).to(device)
    with pytest.raises(ExportError, match=r"'lgamma' \(in 1 \(Gamma\)\).*no operator"):
        export(model, ember.randn(2, 3, device=device), io.BytesIO())


@pytest.mark.parametrize("opset", [16, 22, 7])
def test_unsupported_opset(opset: int, device: str) -> None:
    with pytest.raises(ValueError, match=f"opset_version {opset} is not supported.*17..21"):
        export(nn.Linear(2, 2).to(device), ember.randn(1, 2, device=device), io.BytesIO(), opset_version=opset)


def test_control_flow_on_a_dynamic_axis_is_refused(device: str) -> None:
    def fn(m: Any, x: Any) -> Any:
        return x * 2 if x.shape[0] > 7 else x + 1

    with pytest.raises(ExportError, match="control flow depends on the size of a dynamic axis"):
        export(Call(fn), ember.randn(7, 3, device=device), io.BytesIO(), input_names=["x"],
               dynamic_axes={"x": {0: "batch"}})  # fmt: skip
    export(Call(fn), ember.randn(7, 3, device=device), io.BytesIO())  # without the dynamic axis it exports


def test_baked_value_is_refused(device: str) -> None:
    def fn(m: Any, x: Any) -> Any:  # a tensor made from the input's size outside Ember's ops
        return x + ember.from_numpy(np.arange(x.shape[0], dtype=np.float32)[:, None]).to(x.device)

    with pytest.raises(ExportError, match="'add'.*no traced op made.*baked"):
        export(Call(fn), ember.randn(7, 3, device=device), io.BytesIO(), input_names=["x"],
               dynamic_axes={"x": {0: "batch"}})  # fmt: skip


def test_dynamic_spatial_axes(device: str) -> None:
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2, return_indices=True)).to(device).eval()
    buf = io.BytesIO()
    export(model, ember.randn(2, 2, 8, 8, device=device), buf, input_names=["x"],
           dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}})  # fmt: skip
    sess = ort.InferenceSession(buf.getvalue())
    for shape in ((1, 2, 6, 10), (3, 2, 12, 4)):
        x = _f32(*shape)
        with ember.no_grad():
            want = [t.cpu().numpy() for t in model(ember.from_numpy(x).to(device))]
        for g, w in zip(sess.run(None, {"x": x}), want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_dynamic_axis_where_onnx_needs_a_constant(device: str) -> None:
    model = nn.ConvTranspose2d(2, 2, 3, stride=2).to(device)
    with pytest.raises(ExportError, match=r"'conv2d_input_grad' \(in ConvTranspose2d\): its size.*follows a dynamic axis"):
        export(model, ember.randn(1, 2, 4, 4, device=device), io.BytesIO(), input_names=["x"],
               dynamic_axes={"x": {2: "h"}})  # fmt: skip


def test_bad_dynamic_axes_names(device: str) -> None:
    with pytest.raises(ExportError, match="neither input names"):
        export(nn.Linear(2, 2).to(device), ember.randn(1, 2, device=device), io.BytesIO(), dynamic_axes={"z": [0]})


# -- every op of the conformance kit's table ---------------------------------------------------------


def _op_db() -> list[Any]:
    from ember.testing.op_db import OP_DB

    return OP_DB


def _refusal_is_stated(message: str) -> bool:
    """An export refused for an op whose reason `UNSUPPORTED` states."""
    return any(f"op '{name}'" in message and reason in message for name, reason in UNSUPPORTED.items())


@pytest.mark.parametrize("info", _op_db(), ids=lambda info: info.name)
def test_op_table_samples_match_onnxruntime(info: Any, device: str, backend: Any) -> None:
    """Each op of `ember.testing.op_db` on its first samples: onnxruntime gives Ember's values, or the export
    refuses with the op's stated reason. (Samples in dtypes the backend lacks, such as complex ones, are left out.)"""
    from ember.testing.kit import sample_supported
    from ember.testing.op_db import Arg, make_tensor

    samples = [("float32", s) for s in info.samples("float32")[:3] if "float32" in info.dtypes]
    samples += [("int64", s) for s in info.samples("int64")[:1] if "int64" in info.dtypes]
    for dtype, sample in samples:
        if not sample_supported(sample, backend):
            continue
        arrays: list[np.ndarray] = []
        layouts: list[str] = []

        def lift(o: Any) -> Any:  # Args become positional inputs of the exported function
            if isinstance(o, Arg):
                arrays.append(np.asarray(o.array))
                layouts.append(o.layout)
                return ("__input", len(arrays) - 1)
            if isinstance(o, (tuple, list)):
                return type(o)(lift(x) for x in o)
            if isinstance(o, dict):
                return {k: lift(v) for k, v in o.items()}
            return o

        def place(ts: tuple[Any, ...], o: Any) -> Any:
            if isinstance(o, tuple) and len(o) == 2 and o[0] == "__input":
                return ts[o[1]]
            if isinstance(o, (tuple, list)):
                return type(o)(place(ts, x) for x in o)
            if isinstance(o, dict):
                return {k: place(ts, v) for k, v in o.items()}
            return o

        args, kwargs = lift(sample.args), lift(sample.kwargs)

        def fn(m: Any, *ts: Any, _a: Any = args, _k: Any = kwargs) -> Any:
            return info.op(*place(ts, _a), **place(ts, _k))

        ts = tuple(make_tensor(a, device, lay) for a, lay in zip(arrays, layouts))
        with ember.no_grad():
            want = [t.cpu().numpy() for t in _flat(fn(None, *ts))]
        if not want:
            continue
        buf = io.BytesIO()
        try:
            export(Call(fn), ts, buf)
        except ExportError as exc:
            assert _refusal_is_stated(str(exc)), f"{sample}: {exc}"
            continue
        sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
        feed = {i.name: arrays[int(i.name.rsplit("_", 1)[1]) if "_" in i.name else 0] for i in sess.get_inputs()}
        got = sess.run(None, feed)
        assert len(got) == len(want), sample
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype, f"{sample}: {g.dtype}{g.shape} vs Ember's {w.dtype}{w.shape}"
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5, equal_nan=True, err_msg=f"{info.name} {dtype} {sample}")


def test_writes_through_indexing_views(device: str) -> None:
    """x[...] = v and x[...] += v on intermediates in forward: written back into the base (ScatterND)."""

    def fn(m: Any, x: Any) -> Any:
        y = x * 2
        y[:, 1:3, 0] = 7.0  # a slice and an int
        y[:, :, 1] += x[:, :, 2]  # in place through a view, then written back
        y[:, ember.tensor([0, 2], device=x.device)] = x[:, :2] - 1  # an index tensor (index_put)
        row = y[:, 3]
        row[:, ::2][:, :2] = -row[:, 1::2]  # a view of a view of the base, with a step
        z = y.clone()
        z[..., -1] = 0.0
        c = ember.zeros(3, 5, device=x.device)  # a constant, written through a view with the input's values
        c[1] = x[0, 0]
        return y + 1, row * 3, z, c

    _check(Call(fn), lambda n: (_f32(n, 4, 5),), device)


def test_reading_a_view_taken_before_a_write_is_refused(device: str) -> None:
    def fn(m: Any, x: Any) -> Any:
        y = x * 2
        first = y[0]
        y[0, 1] = 5.0  # changes what `first` views
        return first + 1

    with pytest.raises(ExportError, match="'add'.*reads a view taken before an in-place write"):
        export(Call(fn), ember.randn(3, 4, device=device), io.BytesIO())


def test_write_through_a_reshaped_view_is_refused(device: str) -> None:
    def fn(m: Any, x: Any) -> Any:
        y = x * 2
        y.view(-1)[3] = 1.0
        return y

    with pytest.raises(ExportError, match="'copy_'.*through a 'view' view"):
        export(Call(fn), ember.randn(3, 4, device=device), io.BytesIO())


def test_keyword_inputs_nested_outputs_and_axes_given_as_lists(device: str) -> None:
    """A trailing dict of args is keyword arguments; outputs may nest; list-form axes get their own names and,
    when the model needs them equal, the second trace keeps them equal."""

    class KW(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x: Any, *, scale: Any = None) -> Any:
            return {"a": self.lin(x) * scale, "b": (x, x + 1)}

    model = KW().to(device)
    buf = io.BytesIO()
    proto = export(model, (ember.randn(2, 3, device=device), {"scale": ember.randn(2, 1, device=device)}), buf,
                   dynamic_axes={"input_0": [0], "input_1": [0]})  # fmt: skip
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1", "output_2"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "input_0_dynamic_axes_1"
    xs, ss = _f32(5, 3), _f32(5, 1)
    got = ort.InferenceSession(buf.getvalue()).run(None, {"input_0": xs, "input_1": ss})
    with ember.no_grad():
        want = model(ember.from_numpy(xs).to(device), scale=ember.from_numpy(ss).to(device))
    np.testing.assert_allclose(got[0], want["a"].cpu().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2], want["b"][1].cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_model_that_fails_at_another_size_is_refused(device: str) -> None:
    def fn(m: Any, x: Any) -> Any:
        return x.reshape(7, 2, -1).sum(1)  # the batch size written into the model

    with pytest.raises(ExportError, match=r"fails when its dynamic axes change size \('batch' 7 -> 8\)"):
        export(Call(fn), ember.randn(7, 4, device=device), io.BytesIO(), input_names=["x"],
               dynamic_axes={"x": {0: "batch"}})  # fmt: skip


def test_two_dynamic_axes_products_and_offsets(device: str) -> None:
    """Numbers that follow two dynamic axes: their product, one minus a constant, the last index."""

    def fn(m: Any, x: Any) -> Any:
        n, t = x.shape[0], x.shape[1]
        flat = ember.arange(n * t, device=x.device).float()  # the product of both axes
        return flat * 2, x[:, : t - 1] + 1, x[:, -1], x.reshape(n * t, -1)[n:]

    buf = io.BytesIO()
    export(Call(fn), ember.randn(3, 5, 2, device=device), buf, input_names=["x"],
           dynamic_axes={"x": {0: "batch", 1: "time"}})  # fmt: skip
    sess = ort.InferenceSession(buf.getvalue())
    for shape in ((1, 1, 2), (4, 9, 2), (6, 2, 2)):
        x = _f32(*shape)
        with ember.no_grad():
            want = [t.cpu().numpy() for t in fn(None, ember.from_numpy(x).to(device))]
        for g, w in zip(sess.run(None, {"x": x}), want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-6)


def test_without_onnx_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch, device: str) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r"needs the onnx package: pip install 'ember-core\[onnx\]'"):
        export(nn.Linear(2, 2).to(device), ember.randn(1, 2, device=device), io.BytesIO())

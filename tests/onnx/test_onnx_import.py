"""ember.onnx.load: values against NumPy, parameters that train, names kept, and the errors on bad models."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'ember-core[onnx]')")
pytest.importorskip("ember.nn", reason="ember.onnx.load builds ember.nn modules: install ember-nn")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ember  # noqa: E402
import ember.onnx  # noqa: E402
from ember.onnx import OnnxImportError  # noqa: E402


def _mlp(opset: int = 17) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """y = relu(x @ W1.T + b1) @ W2 + b2, with PyTorch-style initializer names."""
    rng = np.random.default_rng(0)
    w = {
        "fc1.weight": rng.standard_normal((8, 4)).astype(np.float32),
        "fc1.bias": rng.standard_normal(8).astype(np.float32),
        "fc2.weight": rng.standard_normal((8, 3)).astype(np.float32),
        "fc2.bias": rng.standard_normal(3).astype(np.float32),
    }
    nodes = [
        helper.make_node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h"], ["r"], name="act"),
        helper.make_node("MatMul", ["r", "fc2.weight"], ["m"], name="fc2"),
        helper.make_node("Add", ["m", "fc2.bias"], ["logits"], name="bias2"),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [None, 3])],
        [numpy_helper.from_array(v, k) for k, v in w.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), w


def _reference(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np.maximum(x @ w["fc1.weight"].T + w["fc1.bias"], 0)
    return h @ w["fc2.weight"] + w["fc2.bias"]


def test_forward_matches_numpy_and_keeps_names(device: str, tmp_path) -> None:
    model, w = _mlp()
    path = tmp_path / "mlp.onnx"
    onnx.save(model, str(path))
    m = ember.onnx.load(str(path), device=device)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    y = m(ember.tensor(x, device=device))
    np.testing.assert_allclose(y.detach().numpy(), _reference(w, x), rtol=1e-5, atol=1e-5)
    assert m.input_names == ["input"] and m.output_names == ["logits"]
    assert set(m.run({"input": ember.tensor(x, device=device)})) == {"logits"}
    np.testing.assert_allclose(m(input=ember.tensor(x, device=device)).detach().numpy(), y.detach().numpy())
    # PyTorch-style initializer names become the state_dict keys
    assert sorted(m.state_dict()) == sorted(w)
    assert str(m.initializer("fc1.weight").device).startswith(device)


def test_parameters_train_with_autograd_and_optim(device: str) -> None:
    import ember.optim

    model, w = _mlp()
    m = ember.onnx.load(model, device=device)
    params = list(m.parameters())
    assert len(params) == 4 and all(p.requires_grad for p in params)
    x = ember.tensor(np.random.default_rng(2).standard_normal((16, 4)).astype(np.float32), device=device)
    target = ember.zeros((16, 3), device=device)
    opt = ember.optim.SGD(m.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((m(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    # the gradient of the first step agrees with the analytic one for the output bias
    m2 = ember.onnx.load(model, device=device)
    loss = ((m2(x) - target) ** 2).mean()
    loss.backward()
    xn = x.numpy()
    expected = 2 * _reference(w, xn).sum(axis=0) / xn.shape[0] / 3
    np.testing.assert_allclose(m2.initializer("fc2.bias").grad.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_integer_initializers_are_buffers(device: str) -> None:
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])],
        [numpy_helper.from_array(np.array([3, 2], np.int64), "shape")],
    )
    m = ember.onnx.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), device=device)
    assert list(m.parameters()) == [] and [n for n, _ in m.named_buffers()] == ["shape"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(m(ember.tensor(x, device=device)).detach().numpy(), x.reshape(3, 2))


def _one_node(op: str, opset: int = 17, domain: str = "", elem: int = TensorProto.FLOAT) -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], name="the_node", domain=domain)],
        "g",
        [helper.make_tensor_value_info("x", elem, [2])],
        [helper.make_tensor_value_info("y", elem, [2])],
    )
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=imports)


def test_unknown_operator_names_node_type_and_opset() -> None:
    model = _one_node("NoSuchOp")
    with pytest.raises(OnnxImportError, match=r"the_node.*NoSuchOp.*opset 17.*unknown operator"):
        ember.onnx.load(model.SerializeToString())


def test_unimplemented_operator_version_is_refused_at_load() -> None:
    # Softmax-1 flattens to 2-D around `axis`; Softmax-13 (what Ember implements first) does not
    with pytest.raises(OnnxImportError, match=r"the_node.*StringNormalizer-10, opset 17.*no Ember implementation"):
        ember.onnx.load(_one_node("StringNormalizer", elem=TensorProto.STRING))


def test_custom_domain_is_refused_and_nothing_runs() -> None:
    with pytest.raises(OnnxImportError, match=r"the_node.*domain 'com.example'.*not supported"):
        ember.onnx.load(_one_node("Evil", domain="com.example"))


def test_unsupported_dtype_names_the_input() -> None:
    with pytest.raises(OnnxImportError, match=r"graph input 'x': element type UINT32 has no Ember dtype"):
        ember.onnx.load(_one_node("Abs", elem=TensorProto.UINT32))


def test_newer_opset_than_onnx_knows() -> None:
    newest = onnx.defs.onnx_opset_version()
    model = _one_node("Abs", opset=newest + 5)
    with pytest.raises(OnnxImportError, match=rf"opset {newest + 5} is newer than this onnx package knows"):
        ember.onnx.load(model)


def test_malformed_inputs() -> None:
    with pytest.raises(OnnxImportError, match="not a valid ONNX protobuf"):
        ember.onnx.load(b"\x08\x07garbage\xff\xff")
    with pytest.raises(FileNotFoundError, match="no such file"):
        ember.onnx.load("/nonexistent/model.onnx")
    with pytest.raises(TypeError, match="path, bytes or an onnx.ModelProto"):
        ember.onnx.load(42)  # type: ignore[arg-type]
    # a node reading a value nothing defines
    graph = helper.make_graph(
        [helper.make_node("Abs", ["missing"], ["y"], name="n")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    with pytest.raises(OnnxImportError, match="missing"):
        ember.onnx.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))


def test_wrong_input_dtype_and_names(device: str) -> None:
    model, _ = _mlp()
    m = ember.onnx.load(model, device=device)
    with pytest.raises(TypeError, match="input 'input' must be ember.float32, got ember.int64"):
        m(ember.zeros((2, 4), dtype=ember.int64, device=device))
    with pytest.raises(TypeError, match="unknown"):
        m.run({"input": ember.zeros((2, 4), device=device), "other": 1})


def test_runtime_errors_name_the_node(device: str) -> None:
    model, _ = _mlp()
    m = ember.onnx.load(model, device=device)
    with pytest.raises(Exception, match=r"node 'fc1' \(Gemm-13"):
        m(ember.zeros((2, 5), device=device))


def test_handlers_cover_every_version_they_claim() -> None:
    """Every (op type, version range) in the table names an operator ONNX knows, so no handler is dead."""
    from ember.onnx.ops_table import HANDLERS

    for op_type, spans in HANDLERS.items():
        assert onnx.defs.has(op_type), op_type
        for since, until, _ in spans:
            assert until is None or since <= until, (op_type, since, until)


def test_dtype_the_device_lacks_is_refused_at_load(backend, device: str) -> None:
    model = _one_node("Abs", elem=TensorProto.FLOAT16)
    if ember.float16 in backend.dtypes:
        x = np.array([-1.5, 2.0], np.float16)
        out = ember.onnx.load(model, device=device)(ember.tensor(x, device=device))
        np.testing.assert_array_equal(out.numpy(), np.abs(x))
    else:
        with pytest.raises(OnnxImportError, match=rf"uses float16, which backend '{backend.name}' does not have"):
            ember.onnx.load(model, device=device)


def _graph_model(nodes: list, inputs: dict, output_shape: list, inits: dict | None = None, opset: int = 23) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(k, TensorProto.DOUBLE, v) for k, v in inputs.items()],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, output_shape)],
        [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _gradcheck_cases() -> dict[str, tuple[onnx.ModelProto, list[tuple[int, ...]]]]:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((2, 2, 3, 3))
    return {
        "conv_pool": (
            _graph_model(
                [
                    helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 0, 2, 1], strides=[2, 1]),
                    helper.make_node("AveragePool", ["c"], ["y"], kernel_shape=[2, 2], pads=[0, 1, 1, 0], ceil_mode=1),
                ],
                {"x": [1, 2, 5, 4]},
                [1, 2, None, None],
                {"w": w},
            ),
            [(1, 2, 5, 4)],
        ),
        "resize_linear": (
            _graph_model(
                [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear")],
                {"x": [1, 1, 3, 4]},
                [1, 1, 5, 6],
                {"scales": np.array([1, 1, 5 / 3, 1.5])},
            ),
            [(1, 1, 3, 4)],
        ),
        "layer_norm": (
            _graph_model(
                [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1)],
                {"x": [2, 5]},
                [2, 5],
                {"s": rng.standard_normal(5), "b": rng.standard_normal(5)},
            ),
            [(2, 5)],
        ),
        "attention": (
            _graph_model(
                [helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=1)],
                {"q": [1, 2, 3, 4], "k": [1, 2, 3, 4], "v": [1, 2, 3, 4]},
                [1, 2, 3, 4],
            ),
            [(1, 2, 3, 4)] * 3,
        ),
        "lstm": (
            _graph_model(
                [helper.make_node("LSTM", ["x", "W", "R"], ["", "y"], hidden_size=3)],
                {"x": [4, 2, 2]},
                [1, 2, 3],
                {"W": rng.standard_normal((1, 12, 2)) * 0.5, "R": rng.standard_normal((1, 12, 3)) * 0.5},
            ),
            [(4, 2, 2)],
        ),
    }


@pytest.mark.parametrize("case", sorted(_gradcheck_cases()))
def test_gradients_through_handlers_match_numerical_ones(case: str, backend, device: str) -> None:
    if ember.float64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} has no float64 for a numerical gradient check")
    model, shapes = _gradcheck_cases()[case]
    m = ember.onnx.load(model, device=device)
    rng = np.random.default_rng(4)
    xs = [ember.tensor(rng.standard_normal(s), device=device, requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(lambda *a: m(*a), tuple(xs), eps=1e-6, atol=1e-5)


def _random_model(op: str, **attrs: object) -> onnx.ModelProto:
    inputs = [] if op in ("RandomUniform", "RandomNormal") else ["x"]
    graph = helper.make_graph(
        [helper.make_node(op, inputs, ["y"], **attrs)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4000])] if inputs else [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4000])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_random_operators_draw_from_embers_generator(device: str) -> None:
    u = ember.onnx.load(_random_model("RandomUniform", shape=[4000], low=-2.0, high=3.0, seed=1.0), device=device)()
    a = u.numpy()
    assert a.shape == (4000,) and a.min() >= -2.0 and a.max() < 3.0 and abs(a.mean() - 0.5) < 0.15
    # a seeded node repeats its sequence when the model is loaded again; the next run draws new numbers
    again = ember.onnx.load(_random_model("RandomUniform", shape=[4000], low=-2.0, high=3.0, seed=1.0), device=device)
    np.testing.assert_array_equal(again().numpy(), a)
    assert not np.array_equal(again().numpy(), a)
    n = ember.onnx.load(_random_model("RandomNormalLike", mean=1.0, scale=2.0), device=device)
    z = n(ember.zeros(4000, device=device)).numpy()
    assert abs(z.mean() - 1.0) < 0.15 and abs(z.std() - 2.0) < 0.15
    p = np.where(np.arange(4000) % 2 == 0, 0.0, 1.0).astype(np.float32)
    b = ember.onnx.load(_random_model("Bernoulli"), device=device)(ember.tensor(p, device=device)).numpy()
    np.testing.assert_array_equal(b, p)


def test_loop_building_a_ragged_sequence(device: str) -> None:
    """ONNX's test_loop16_seq_none, compared element by element (its runner cannot compare ragged sequences)."""
    from onnx.backend.test.loader import load_model_tests
    from onnx.backend.test.runner import _normalize_tensor

    case = next(c for c in load_model_tests(kind="node") if c.name == "test_loop16_seq_none")
    inputs, (expected,) = case.data_sets[0]
    m = ember.onnx.load(case.model, device=device)
    feeds = {}
    for vi, value in zip(case.model.graph.input, inputs):
        value = _normalize_tensor(value)
        feeds[vi.name] = [ember.tensor(v, device=device) for v in value] if isinstance(value, list) else ember.tensor(value, device=device)
    (out,) = m.run(feeds).values()
    assert len(out) == len(expected) == 6
    for got, want in zip(out, expected):
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("opset", [11, 13])
def test_each_operator_version_keeps_its_semantics(opset: int, device: str) -> None:
    """Softmax before opset 13 normalizes over the input flattened to 2-D at `axis`; from 13 over `axis` alone."""
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])],
    )
    m = ember.onnx.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), device=device)
    x = np.random.default_rng(5).standard_normal((2, 3, 4)).astype(np.float32)
    e = np.exp(x - x.max())
    want = e / e.sum(axis=1, keepdims=True) if opset >= 13 else e / e.reshape(2, -1).sum(axis=1).reshape(2, 1, 1)
    np.testing.assert_allclose(m(ember.tensor(x, device=device)).numpy(), want, rtol=1e-5, atol=1e-6)


def test_operator_version_outside_the_table_is_refused() -> None:
    # Upsample-7 (scales as an attribute) is not Upsample-9 (scales as an input), the version Ember implements
    graph = helper.make_graph(
        [helper.make_node("Upsample", ["x"], ["y"], name="up", scales=[1.0, 1.0, 2.0, 2.0])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 7)])
    with pytest.raises(OnnxImportError, match=r"node 'up' \(Upsample-7, opset 7\): no Ember implementation.*versions: 9"):
        ember.onnx.load(model)


def test_operator_without_handler_runs_its_onnx_function_body(device: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator that ONNX defines as a function of others (HardSwish-22: x * HardSigmoid(x)) runs that body
    when the table has no handler for it (as for operators newer than the table)."""
    from ember.onnx.ops_table import HANDLERS

    monkeypatch.delitem(HANDLERS, "HardSwish")
    graph = helper.make_graph(
        [helper.make_node("HardSwish", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5])],
    )
    m = ember.onnx.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)]), device=device)
    assert [s.node.op_type for s in m.graph.steps] == ["HardSwish"] and "__body__" in m.graph.steps[0].node.graphs
    x = np.array([-4.0, -1.5, 0.0, 1.5, 4.0], np.float32)
    np.testing.assert_allclose(m(ember.tensor(x, device=device)).numpy(), x * np.clip(x / 6 + 0.5, 0, 1), rtol=1e-6)


def test_inputs_may_be_arrays_or_lists(device: str) -> None:
    """NumPy arrays must have the declared dtype (as in onnxruntime); Python lists take it."""
    model, w = _mlp()
    m = ember.onnx.load(model, device=device)
    x = [[0.5, -1.0, 2.0, 0.0]]
    np.testing.assert_allclose(m(np.asarray(x, np.float32)).detach().numpy(), _reference(w, np.asarray(x)), rtol=1e-5)
    np.testing.assert_allclose(m(x).detach().numpy(), _reference(w, np.asarray(x)), rtol=1e-5)
    with pytest.raises(TypeError, match="must be ember.float32, got ember.float64"):
        m(np.asarray(x))

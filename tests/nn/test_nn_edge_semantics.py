"""Edge behaviour of ember.nn where it must match PyTorch's documented results: gradients at the kinks of
the piecewise activations, the losses' weights, unbatched shapes and boundary gradients, and the error
types. References are NumPy formulas and the values PyTorch's docs state (cited per test)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(7)


def T(a, device, grad=False):
    return ember.tensor(np.asarray(a), device=device, requires_grad=grad)


def npy(t):
    return t.detach().numpy()


def grad_of(fn, x, device):
    xt = T(x, device, True)
    fn(xt).sum().backward()
    return npy(xt.grad)


# -- activations: PyTorch's gradients at the kinks ----------------------------------------------------------
def test_hardtanh_relu6_gradient_is_zero_at_the_bounds(device) -> None:
    # PyTorch's hardtanh_backward passes the gradient only where min_val < x < max_val (clamp's includes them)
    x = np.array([-1.0, 1.0, 0.0, -2.0, 2.0, 0.5])
    np.testing.assert_array_equal(grad_of(F.hardtanh, x, device), [0, 0, 1, 0, 0, 1])
    x6 = np.array([0.0, 6.0, 3.0, -1.0, 7.0])
    np.testing.assert_array_equal(grad_of(F.relu6, x6, device), [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(grad_of(nn.ReLU6(), x6, device), [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(npy(F.hardtanh(T(x, device, True), -0.5, 0.5)), np.clip(x, -0.5, 0.5))


def test_hardsigmoid_hardswish_gradients_at_plus_minus_three(device) -> None:
    x = np.array([-3.0, 3.0, 0.0, -4.0, 4.0, 1.5])
    # hardsigmoid: 1/6 strictly inside (-3, 3), else 0; hardswish: 0 up to -3, x/3 + 1/2 inside, 1 from 3
    np.testing.assert_allclose(grad_of(F.hardsigmoid, x, device), [0, 0, 1 / 6, 0, 0, 1 / 6])
    np.testing.assert_allclose(grad_of(F.hardswish, x, device), [0, 1, 0.5, 0, 1, 1.0])
    np.testing.assert_allclose(npy(F.hardswish(T(x, device))), x * np.clip(x + 3, 0, 6) / 6)
    np.testing.assert_allclose(npy(F.hardsigmoid(T(x, device))), np.clip(x + 3, 0, 6) / 6)
    xs = T(np.array([-2.5, -1.0, 0.3, 2.0]), device, True)
    assert gradcheck(F.hardswish, (xs,)) and gradcheck(F.hardsigmoid, (xs,))


def test_inplace_elu_leaky_relu_hardtanh(device) -> None:
    x = RNG.standard_normal(6) * 2
    for fn, ref in [
        (lambda t: F.elu_(t, 0.5), np.where(x > 0, x, 0.5 * np.expm1(x))),
        (lambda t: F.leaky_relu_(t, 0.2), np.where(x > 0, x, 0.2 * x)),
        (lambda t: F.hardtanh_(t, -0.5, 1.0), np.clip(x, -0.5, 1.0)),
    ]:
        t = T(x, device)
        out = fn(t)
        np.testing.assert_allclose(npy(t), ref, rtol=1e-12)
        assert out is t


def test_normalize_zero_vector_has_finite_gradient(device) -> None:
    # the norm's gradient at 0 is 0 (PyTorch's vector_norm), so the result's is 1/eps, not NaN
    x = T(np.zeros((2, 3)), device, True)
    F.normalize(x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.full((2, 3), 1e12))
    a = RNG.standard_normal((3, 4))
    for p in (1.0, 2.0, 3.0):
        want = a / np.maximum((np.abs(a) ** p).sum(0, keepdims=True) ** (1 / p), 1e-12)
        np.testing.assert_allclose(npy(F.normalize(T(a, device), p=p, dim=0)), want, rtol=1e-12)


def test_activation_errors_are_runtime_errors(device) -> None:
    with pytest.raises(RuntimeError, match="glu"):
        F.glu(T(np.zeros((3, 5)), device))
    with pytest.raises(RuntimeError, match="gelu"):
        F.gelu(T(np.zeros(3), device), approximate="fast")
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(T(np.zeros(3), device), 1.0, -1.0)


# -- losses ------------------------------------------------------------------------------------------------
def test_unbatched_class_target_loss_is_0d(device) -> None:
    x = RNG.standard_normal(5)
    logp = x - np.log(np.exp(x).sum())
    for fn in (F.cross_entropy, lambda a, t, **k: F.nll_loss(F.log_softmax(a, 0), t, **k)):
        out = fn(T(x, device), T(np.array(2), device), reduction="none")
        assert out.shape == ()
        np.testing.assert_allclose(npy(out), -logp[2], rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_weighted_mse_l1_huber(device, reduction) -> None:
    # PyTorch 2.13: 'mean' of the weighted mse_loss and l1_loss divides by weight.sum(); huber_loss's by numel
    x, y, w = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)), RNG.random((3, 4))
    d = x - y
    huber = np.where(np.abs(d) < 0.7, 0.5 * d * d, 0.7 * (np.abs(d) - 0.35)) * w
    wants = {
        "mse": (d * d * w, (d * d * w).sum() / w.sum()),
        "l1": (np.abs(d) * w, (np.abs(d) * w).sum() / w.sum()),
        "huber": (huber, huber.mean()),
    }
    fns = {
        "mse": lambda **k: F.mse_loss(**k),
        "l1": lambda **k: F.l1_loss(**k),
        "huber": lambda **k: F.huber_loss(delta=0.7, **k),
    }
    for name, fn in fns.items():
        got = npy(fn(input=T(x, device), target=T(y, device), weight=T(w, device), reduction=reduction))
        per, mean = wants[name]
        want = {"none": per, "sum": per.sum(), "mean": mean}[reduction]
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
    with pytest.raises(ValueError, match="weight"):
        F.mse_loss(T(x, device), T(y, device), weight=T(w[0], device))


def test_binary_cross_entropy_gradient_at_zero_and_one(device) -> None:
    # PyTorch: grad_input = (x - t) / max(x (1 - x), 1e-12), finite where a log is clamped at -100
    x, t = np.array([0.0, 1.0, 0.5, 0.0, 1.0]), np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    xt, tt = T(x, device, True), T(t, device, True)
    loss = F.binary_cross_entropy(xt, tt, reduction="none")
    np.testing.assert_allclose(npy(loss), [100, 100, np.log(2), 0, 0], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(npy(xt.grad), (x - t) / np.maximum(x * (1 - x), 1e-12))
    xi, ti = RNG.uniform(0.1, 0.9, 4), RNG.uniform(0, 1, 4)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (T(xi, device, True), T(ti, device, True)))
    from ember.autograd import gradgradcheck

    assert gradgradcheck(lambda a: F.binary_cross_entropy(a, T(ti, device)), (T(xi, device, True),))


def test_binary_cross_entropy_range_error_is_runtime_error(device) -> None:
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(T([1.5, 0.5], device), T([1.0, 0.0], device))
    with pytest.raises(RuntimeError, match="beta"):
        F.smooth_l1_loss(T([1.0], device), T([0.0], device), beta=-1.0)


def test_kl_div_is_xlogy_minus_target_times_input(device) -> None:
    # PyTorch: xlogy(t, t) - t * input: 0 where t = 0, NaN where t < 0
    x, t = np.array([-1.0, -2.0, -0.5]), np.array([0.0, -0.5, 0.7])
    got = npy(F.kl_div(T(x, device), T(t, device), reduction="none"))
    assert got[0] == 0 and np.isnan(got[1])
    np.testing.assert_allclose(got[2], 0.7 * (np.log(0.7) + 0.5), rtol=1e-12)


def test_class_index_errors_are_runtime_errors(device) -> None:
    with pytest.raises(RuntimeError, match="nll_loss"):
        F.nll_loss(T(np.zeros((4, 5)), device), T(np.zeros(4), device))
    with pytest.raises(RuntimeError, match="cross_entropy"):
        F.cross_entropy(T(np.zeros((4, 5)), device), T(np.zeros((4, 4)), device))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(device, swap) -> None:
    a, p, n = (RNG.standard_normal((4, 6)) for _ in range(3))

    def cos_dist(u, v):
        return 1 - (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)

    def l2(u, v):
        return np.linalg.norm(u - v + 1e-6, axis=1)

    for fn, ref in [(None, l2), (lambda u, v: 1 - F.cosine_similarity(u, v), cos_dist)]:
        dn = ref(a, n) if not swap else np.minimum(ref(a, n), ref(p, n))
        want = np.maximum(0.5 + ref(a, p) - dn, 0)
        got = F.triplet_margin_with_distance_loss(
            T(a, device), T(p, device), T(n, device), distance_function=fn, margin=0.5, swap=swap, reduction="none"
        )
        np.testing.assert_allclose(npy(got), want, rtol=1e-10)
        m = nn.TripletMarginWithDistanceLoss(distance_function=fn, margin=0.5, swap=swap)
        np.testing.assert_allclose(npy(m(T(a, device), T(p, device), T(n, device))), want.mean(), rtol=1e-10)
    with pytest.raises(ValueError, match="margin"):
        F.triplet_margin_with_distance_loss(T(a, device), T(p, device), T(n, device), margin=0.0)


# -- convolution, pooling, normalisation, dropout -----------------------------------------------------------
def _np_conv2d(x, w, b):
    """Valid cross-correlation of (N, C, H, W) with (O, C, kh, kw), from its definition."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.einsum("nchw,ochw->no", x[:, :, i : i + kh, j : j + kw], w)
    return out + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_same_honours_padding_mode(device, mode) -> None:
    # PyTorch pads d (k - 1) in padding_mode: total // 2 before, the rest after, per spatial dim
    x, w, b = RNG.standard_normal((2, 3, 6, 7)), RNG.standard_normal((4, 3, 4, 3)), RNG.standard_normal(4)
    m = nn.Conv2d(3, 4, (4, 3), padding="same", padding_mode=mode, dtype=ember.float64, device=device)
    with ember.no_grad():
        m.weight.copy_(T(w, device))
        m.bias.copy_(T(b, device))
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 1)), mode=np_mode)
    np.testing.assert_allclose(npy(m(T(x, device))), _np_conv2d(xp, w, b), rtol=1e-10, atol=1e-12)
    assert "padding=same," in repr(m)  # PyTorch's repr leaves the string unquoted


def test_conv_pool_bad_stride_and_padding_errors(device) -> None:
    x, w = T(np.zeros((1, 2, 5, 5)), device), T(np.zeros((3, 2, 3, 3)), device)
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(RuntimeError, match="negative padding"):
        F.conv2d(x, w, padding=-1)
    with pytest.raises(RuntimeError, match="stride must be an int or a tuple of 2"):
        F.conv2d(x, w, stride=(1, 2, 3))
    with pytest.raises(RuntimeError, match="non-positive dilation"):
        F.conv1d(x[:, :, 0], w[..., 0], dilation=0)
    with pytest.raises(RuntimeError, match="negative padding"):
        F.conv_transpose2d(x, w.transpose(0, 1), padding=(0, -2))


def test_linear_with_a_1d_weight_is_a_matmul(device) -> None:
    # PyTorch: linear(x, w) with w of shape (in_features,) is x @ w, dropping the last dim
    x, w = RNG.standard_normal((2, 4)), RNG.standard_normal(4)
    np.testing.assert_allclose(npy(F.linear(T(x, device), T(w, device))), x @ w, rtol=1e-12)
    np.testing.assert_allclose(npy(F.linear(T(x[0], device), T(w, device), T(np.array(0.5), device))), x[0] @ w + 0.5)


def test_avg_pool1d_keeps_one_tuples_and_lp_pool_inf(device) -> None:
    m = nn.AvgPool1d(3, 2)
    assert (m.kernel_size, m.stride, m.padding) == ((3,), (2,), (0,))
    assert repr(m) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))"
    x = RNG.standard_normal((2, 3, 8))
    # PyTorch's lp_pool with norm_type=inf is the max of |x| over each window
    want = np.abs(x).reshape(2, 3, 4, 2).max(-1)
    np.testing.assert_allclose(npy(F.lp_pool1d(T(x, device), float("inf"), 2)), want)
    x2 = RNG.standard_normal((1, 2, 4, 4))
    want2 = np.abs(x2).reshape(1, 2, 2, 2, 2, 2).max((3, 5))
    np.testing.assert_allclose(npy(nn.LPPool2d(float("inf"), 2)(T(x2, device))), want2)


def test_group_norm_bias_flag_and_norm_reprs(device) -> None:
    m = nn.GroupNorm(2, 4, bias=False, device=device)
    assert m.bias is None and list(m.state_dict()) == ["weight"]
    assert repr(m) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=False)"
    x = RNG.standard_normal((3, 4, 5))
    g = x.reshape(3, 2, -1)
    want = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(npy(m.double()(T(x, device))), want, rtol=1e-10)
    assert repr(nn.LayerNorm((3, 4))) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.LayerNorm(4, elementwise_affine=False)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)"
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(T(np.zeros((3, 6, 4)), device), 4)
    with pytest.raises(RuntimeError, match="running_mean"):
        F.batch_norm(T(np.zeros((3, 6)), device), None, None, training=False)


def test_feature_alpha_dropout_drops_whole_channels(device) -> None:
    ember.manual_seed(0)
    x = T(np.ones((4, 50, 3)), device)
    assert F.feature_alpha_dropout(x, 0.5, training=False) is x
    y = npy(F.feature_alpha_dropout(x, 0.5, training=True))
    p, alpha = 0.5, 1.7580993408473766  # PyTorch's alpha dropout constants
    a = 1 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    kept, dropped = a + alpha * a * p, -alpha * a + alpha * a * p
    assert np.all(np.ptp(y, axis=-1) == 0)  # one draw per (N, C)
    assert set(np.round(np.unique(y), 10)) <= {round(kept, 10), round(dropped, 10)}
    m = nn.FeatureAlphaDropout(0.2)
    assert repr(m) == "FeatureAlphaDropout(p=0.2, inplace=False)" and m.eval()(x) is x


# -- padding, one_hot --------------------------------------------------------------------------------------
def test_circular_pad_with_a_negative_side_wraps_the_cropped_input(device) -> None:
    # PyTorch crops the negative side first: pad([0..4], (-1, 2), 'circular') == [1, 2, 3, 4, 1, 2]
    x = np.arange(5.0).reshape(1, 1, 5)
    got = [npy(F.pad(T(x, device), p, mode="circular")).ravel().tolist() for p in [(-1, 2), (2, -1), (-2, -1)]]
    assert got == [[1, 2, 3, 4, 1, 2], [2, 3, 0, 1, 2, 3], [2, 3]]


def test_one_hot_of_an_empty_tensor_needs_num_classes(device) -> None:
    empty = T(np.zeros(0, dtype=np.int64), device)
    with pytest.raises(RuntimeError, match="num_classes"):
        F.one_hot(empty)
    assert F.one_hot(empty, 3).shape == (0, 3)


# -- module API --------------------------------------------------------------------------------------------
def _linear(device, w, b):
    m = nn.Linear(w.shape[1], w.shape[0], dtype=ember.float64, device=device)
    with ember.no_grad():
        m.weight.copy_(T(w, device))
        m.bias.copy_(T(b, device))
    return m


def test_full_backward_hooks_see_and_replace_gradients(device) -> None:
    w, b = RNG.standard_normal((2, 3)), RNG.standard_normal(2)
    m = _linear(device, w, b)
    log = []
    m.register_full_backward_pre_hook(lambda mod, go: log.append("pre") or (go[0] * 2,))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("full", npy(gi[0]), npy(go[0]))))
    m.register_full_backward_hook(lambda mod, gi, go: log.append("first"), prepend=True)
    x = T(np.ones((4, 3)), device, True)
    m(x).sum().backward()
    assert [e if isinstance(e, str) else e[0] for e in log] == ["pre", "first", "full"]
    # the pre-hook doubled grad_output: d/dx sum(2 (x W^T + b)) = 2 * sum_o W[o]
    np.testing.assert_allclose(log[2][2], np.full((4, 2), 2.0))
    np.testing.assert_allclose(npy(x.grad), np.tile(2 * w.sum(0), (4, 1)), rtol=1e-12)
    np.testing.assert_allclose(npy(m.weight.grad), np.full((2, 3), 8.0))

    m2 = _linear(device, w, b)
    m2.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 3,))
    x2 = T(np.ones((4, 3)), device, True)
    m2(x2).sum().backward()
    np.testing.assert_allclose(npy(x2.grad), np.tile(3 * w.sum(0), (4, 1)), rtol=1e-12)


def test_full_backward_hook_grad_input_shapes(device) -> None:
    m = nn.Bilinear(3, 2, 4, device=device)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append([None if g is None else g.shape for g in gi]))
    a, b = T(np.ones((5, 3), np.float32), device, True), T(np.ones((5, 2), np.float32), device)
    m(a, b).sum().backward()
    assert seen == [[(5, 3), (5, 2)]]  # PyTorch reports every tensor input once any needs a gradient
    lin = nn.Linear(3, 2, device=device)
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    lin(T(np.ones((4, 3), np.float32), device)).sum().backward()
    assert seen[-1] == (None,) and lin.weight.grad is not None


def test_forward_hooks_prepend_with_kwargs_always_call(device) -> None:
    m = nn.Linear(3, 3, device=device)
    log = []
    m.register_forward_hook(lambda mod, a, o: log.append(1))
    m.register_forward_hook(lambda mod, a, o: log.append(2), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, k: ((), {"input": k["input"] * 0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, k, o: log.append(sorted(k)), with_kwargs=True)
    out = m(input=T(np.ones((2, 3), np.float32), device))
    assert log == [2, 1, ["input"]]
    np.testing.assert_allclose(npy(out), np.tile(npy(m.bias), (2, 1)))

    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    bad, seen = Bad(), []
    bad.register_forward_hook(lambda mod, a, o: seen.append(o), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        bad(T(np.ones(1), device))
    assert seen == [None]


def test_container_pop_add_and_parameter_dict_order() -> None:
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert isinstance(s.pop(1), nn.Tanh) and [n for n, _ in s.named_children()] == ["0", "1"]
    s2 = s + nn.Sequential(nn.ReLU6())
    assert [type(c).__name__ for c in s2] == ["ReLU", "Sigmoid", "ReLU6"]
    s += nn.Sequential(nn.ELU())
    assert len(s) == 3 and isinstance(s[2], nn.ELU)
    with pytest.raises(ValueError, match="Sequential"):
        _ = s + nn.ModuleList([nn.ReLU()])
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    assert isinstance(ml.pop(0), nn.ReLU) and len(ml) == 1
    both = ml + [nn.ReLU()]
    assert isinstance(both, nn.ModuleList) and [n for n, _ in both.named_children()] == ["0", "1"]
    # PyTorch: a plain dict's entries are added in sorted key order, an OrderedDict's in its own
    from collections import OrderedDict

    one = ember.ones(1)
    assert list(nn.ParameterDict({"w": one, "b": one}).keys()) == ["b", "w"]
    assert list(nn.ParameterDict(OrderedDict([("w", one), ("b", one)])).keys()) == ["w", "b"]


def test_buffer_assignment_and_get_buffer() -> None:
    m = nn.Module()
    m.stats = nn.Buffer(ember.ones(2))
    m.scratch = nn.Buffer(ember.zeros(1), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["stats", "scratch"]
    assert list(m.state_dict()) == ["stats"]
    assert type(m.stats) is ember.Tensor and m.get_buffer("stats") is m.stats
    outer = nn.Sequential(m)
    assert outer.get_buffer("0.scratch") is m.scratch
    with pytest.raises(AttributeError, match="buffer"):
        outer.get_buffer("0.nothing")


# -- nn.utils ----------------------------------------------------------------------------------------------
def test_get_total_norm_and_clip_grads_with_norm(device) -> None:
    a, b = np.array([3.0, -4.0, 0.5]), np.array([2.0, 1.0])
    ta, tb = T(a, device), T(b, device)
    joint = np.concatenate([a, b])
    for p in (1.0, 2.0, 3.0):
        want = (np.abs(joint) ** p).sum() ** (1 / p)
        np.testing.assert_allclose(npy(nn.utils.get_total_norm([ta, tb], p)), want, rtol=1e-12)
    assert float(nn.utils.get_total_norm([ta, tb], float("inf"))) == 4.0
    assert float(nn.utils.get_total_norm([ta, tb], -float("inf"))) == 0.5  # the smallest |x|, as PyTorch
    assert float(nn.utils.get_total_norm(ta)) == pytest.approx(np.linalg.norm(a))
    assert float(nn.utils.get_total_norm([])) == 0.0
    p = nn.Parameter(T(np.zeros(2), device))
    p.grad = T(np.array([3.0, 4.0]), device)
    nn.utils.clip_grads_with_norm_([p], 1.0, T(np.array(5.0), device))
    np.testing.assert_allclose(npy(p.grad), np.array([3.0, 4.0]) / (5.0 + 1e-6))
    q = nn.Parameter(T(np.zeros(2), device))
    q.grad = T(np.array([3.0, 4.0]), device)
    assert float(nn.utils.clip_grad_norm_(q, 1.0)) == 5.0
    np.testing.assert_allclose(npy(q.grad), npy(p.grad))


def test_cross_entropy_probability_targets_promote_and_refuse_ignore_index(device) -> None:
    x, p = RNG.standard_normal((4, 5)).astype(np.float32), RNG.dirichlet(np.ones(5), 4)
    got = F.cross_entropy(T(x, device), T(p, device))  # float32 logits, float64 probabilities
    assert got.dtype == ember.float64  # PyTorch promotes input and target
    logp = x.astype(np.float64) - np.log(np.exp(x.astype(np.float64)).sum(1, keepdims=True))
    np.testing.assert_allclose(npy(got), -(logp * p).sum(1).mean(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="ignore_index"):
        F.cross_entropy(T(x, device), T(p.astype(np.float32), device), ignore_index=1)


def test_softplus_family_gradient_at_zero_is_a_half(device) -> None:
    # d softplus(x)/dx = sigmoid(x) = 1/2 at 0 (relu's and abs's 0 gradients there must not leak in)
    x = np.array([0.0, -3.0, 2.5])
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(grad_of(F.softplus, x, device), sig, rtol=1e-12)
    np.testing.assert_allclose(grad_of(lambda t: F.softplus(t, beta=3.0), x, device), 1 / (1 + np.exp(-3 * x)), rtol=1e-12)
    np.testing.assert_allclose(grad_of(F.logsigmoid, x, device), 1 - sig, rtol=1e-12)
    y = np.array([0.0, 1.0, 0.3])
    bce = grad_of(lambda t: F.binary_cross_entropy_with_logits(t, T(y, device), reduction="sum"), x, device)
    np.testing.assert_allclose(bce, sig - y, rtol=1e-12)  # PyTorch: sigmoid(x) - t
    sm = grad_of(lambda t: F.soft_margin_loss(t, T(np.array([1.0, -1.0, 1.0]), device), reduction="sum"), x, device)
    np.testing.assert_allclose(sm, -np.array([1.0, -1.0, 1.0]) / (1 + np.exp(np.array([1.0, -1.0, 1.0]) * x)), rtol=1e-12)


@pytest.mark.parametrize("name", ["silu", "mish", "hardswish", "elu", "hardtanh"])
def test_inplace_activation_of_a_non_leaf_keeps_its_gradient(device, name) -> None:
    fn = getattr(F, name)
    x0 = np.array([-1.0, 0.5, 2.0])
    want = grad_of(fn, x0, device)
    x = T(x0, device, True)
    y = x * 1
    out = fn(y, inplace=True)
    assert out is y
    out.sum().backward()
    np.testing.assert_allclose(npy(x.grad), want, rtol=1e-12)


def test_hardtanh_keeps_an_integer_dtype(device) -> None:
    x = T(np.array([-2, 0, 3, 7]), device)
    assert F.hardtanh(x).dtype == ember.int64 and npy(F.hardtanh(x)).tolist() == [-1, 0, 1, 1]
    assert npy(F.relu6(x)).tolist() == [0, 0, 3, 6] and F.relu6(x).dtype == ember.int64


def test_multi_margin_losses_have_no_gradient_exactly_at_the_margin(device) -> None:
    # PyTorch's multi_margin_loss / multilabel_margin_loss backward count a term only where it is > 0
    x = np.array([[1.0, 0.0, 0.0]])
    g = grad_of(lambda t: F.multi_margin_loss(t, T(np.array([0]), device)), x, device)
    np.testing.assert_array_equal(g, np.zeros((1, 3)))
    g2 = grad_of(lambda t: F.multilabel_margin_loss(t, T(np.array([[0, -1, 0]]), device)), x, device)
    np.testing.assert_array_equal(g2, np.zeros((1, 3)))
    x2 = np.array([[1.0, 0.5, -0.5]])  # one term inside the margin: gradient (-1, 1, 0) / C
    g3 = grad_of(lambda t: F.multi_margin_loss(t, T(np.array([0]), device)), x2, device)
    np.testing.assert_allclose(g3, [[-1 / 3, 1 / 3, 0.0]])


def test_rnn_repr_leaves_the_nonlinearity_out() -> None:
    # PyTorch: RNN's repr is RNNBase's (no nonlinearity), RNNCell's names it
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


def test_pooling_with_indices_names(device) -> None:
    x = RNG.standard_normal((1, 2, 6, 6))
    want, want_idx = F.max_pool2d(T(x, device), 2, return_indices=True)
    got, idx = F.max_pool2d_with_indices(T(x, device), 2)
    np.testing.assert_array_equal(npy(got), x.reshape(1, 2, 3, 2, 3, 2).max((3, 5)))
    np.testing.assert_array_equal(npy(idx), npy(want_idx))
    assert F.max_pool1d_with_indices(T(x[0], device), 3)[1].shape == (2, 6, 2)
    assert F.max_pool3d_with_indices(T(x, device), 2)[0].shape == (1, 1, 3, 3)
    v, i = F.adaptive_max_pool2d_with_indices(T(x, device), 3)
    np.testing.assert_array_equal(npy(v), npy(want))
    assert F.adaptive_max_pool1d_with_indices(T(x[0], device), 2)[1].shape == (2, 6, 2)
    assert F.adaptive_max_pool3d_with_indices(T(x, device), (1, 2, 2))[0].shape == (1, 1, 2, 2)


def test_module_list_repr_folds_repeats_and_module_type() -> None:
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(ml) == (
        "ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n  (3): ReLU()\n)"
    )  # PyTorch's ModuleList.__repr__
    assert repr(nn.ModuleList()) == "ModuleList()"
    m = nn.Linear(2, 2)
    assert m.type(ember.float64) is m and m.weight.dtype == ember.float64


@pytest.mark.parametrize(
    ("lazy", "plain", "shape", "wshape"),
    [
        ("LazyConv1d", "Conv1d", (2, 3, 7), (4, 3, 3)),
        ("LazyConv2d", "Conv2d", (3, 5, 5), (4, 3, 3, 3)),  # unbatched: channels from dim 0
        ("LazyConv3d", "Conv3d", (1, 3, 4, 4, 4), (4, 3, 3, 3, 3)),
        ("LazyConvTranspose1d", "ConvTranspose1d", (2, 3, 7), (3, 4, 3)),
        ("LazyConvTranspose2d", "ConvTranspose2d", (2, 3, 4, 4), (3, 4, 3, 3)),
        ("LazyConvTranspose3d", "ConvTranspose3d", (1, 3, 3, 3, 3), (3, 4, 3, 3, 3)),
    ],
)
def test_lazy_convolutions_infer_in_channels(device, lazy, plain, shape, wshape) -> None:
    m = getattr(nn, lazy)(4, 3, device=device)
    assert repr(m).startswith(f"{lazy}(0, 4, kernel_size=")
    x = T(RNG.standard_normal(shape).astype(np.float32), device)
    y = m(x)
    assert type(m) is getattr(nn, plain) and m.in_channels == 3 and m.weight.shape == wshape and m.bias.shape == (4,)
    bound = 1 / np.sqrt(np.prod(wshape[1:]) if "Transpose" not in lazy else wshape[1] * np.prod(wshape[2:]))
    assert np.abs(npy(m.weight)).max() <= bound + 1e-7  # kaiming_uniform_(a=sqrt(5)), as the plain layer
    np.testing.assert_allclose(npy(y), npy(m(x)), rtol=1e-6)
    fresh = getattr(nn, lazy)(4, 3, device=device)
    fresh.load_state_dict(m.state_dict())  # a checkpoint materialises it before any call
    assert type(fresh) is getattr(nn, plain) and fresh.weight.shape == wshape
    np.testing.assert_allclose(npy(fresh(x)), npy(y), rtol=1e-6)


@pytest.mark.parametrize(
    ("lazy", "plain", "shape"),
    [
        ("LazyBatchNorm1d", "BatchNorm1d", (4, 3)),
        ("LazyBatchNorm2d", "BatchNorm2d", (4, 3, 2, 2)),
        ("LazyBatchNorm3d", "BatchNorm3d", (2, 3, 2, 2, 2)),
        ("LazyInstanceNorm1d", "InstanceNorm1d", (3, 5)),  # unbatched: channels from dim 0
        ("LazyInstanceNorm2d", "InstanceNorm2d", (2, 3, 4, 4)),
        ("LazyInstanceNorm3d", "InstanceNorm3d", (2, 3, 2, 3, 3)),
    ],
)
def test_lazy_norms_infer_num_features(device, lazy, plain, shape) -> None:
    m = getattr(nn, lazy)(momentum=0.5, device=device, dtype=ember.float64)
    # PyTorch's lazy norms (instance norms too) default to affine=True, track_running_stats=True
    assert m.affine and m.track_running_stats
    x = RNG.standard_normal(shape)
    y = m(T(x, device))
    assert type(m) is getattr(nn, plain) and m.num_features == 3 and m.weight.shape == (3,)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    cdim = 0 if lazy == "LazyInstanceNorm1d" else 1
    mean = np.moveaxis(x, cdim, 0).reshape(3, -1).mean(1)  # every instance has as many positions
    np.testing.assert_allclose(npy(m.running_mean), 0.5 * mean, rtol=1e-10)
    assert y.shape == shape
    fresh = getattr(nn, lazy)(device=device, dtype=ember.float64)
    fresh.load_state_dict(m.state_dict())
    assert type(fresh) is getattr(nn, plain) and fresh.num_features == 3
    np.testing.assert_array_equal(npy(fresh.running_mean), npy(m.running_mean))


def test_batch_norm_running_stats_both_or_neither_and_interpolate_empty(device) -> None:
    x = T(np.zeros((4, 3)), device)
    with pytest.raises(ValueError, match="both be None or neither"):
        F.batch_norm(x, T(np.zeros(3), device), None, training=True)
    with pytest.raises(RuntimeError, match="non-empty"):
        F.interpolate(T(np.zeros((1, 1, 5, 5)), device), scale_factor=0.1)


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval_matches_conv_then_bn(device, transpose) -> None:
    ember.manual_seed(0)
    conv = (nn.ConvTranspose2d(3, 4, 3) if transpose else nn.Conv2d(3, 4, 3)).double().to(device)
    bn = nn.BatchNorm2d(4).double().to(device)
    with ember.no_grad():
        bn.running_mean.copy_(T(RNG.standard_normal(4), device))
        bn.running_var.copy_(T(RNG.uniform(0.5, 2, 4), device))
        bn.weight.copy_(T(RNG.standard_normal(4), device))
        bn.bias.copy_(T(RNG.standard_normal(4), device))
    conv.eval(), bn.eval()
    x = T(RNG.standard_normal((2, 3, 6, 6)), device)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    assert fused is not conv and isinstance(fused.weight, nn.Parameter) and fused.weight.requires_grad
    np.testing.assert_allclose(npy(fused(x)), npy(bn(conv(x))), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="eval"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_fuse_linear_bn_eval_matches_linear_then_bn(device) -> None:
    lin = nn.Linear(5, 3, bias=False).double().to(device).eval()
    bn = nn.BatchNorm1d(3).double().to(device)
    bn(T(RNG.standard_normal((8, 3)), device))  # running statistics from one batch
    bn.eval()
    x = T(RNG.standard_normal((4, 5)), device)
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    np.testing.assert_allclose(npy(fused(x)), npy(bn(lin(x))), rtol=1e-10, atol=1e-12)
    assert fused.bias is not None and not fused.bias.requires_grad  # no bias before: a new, frozen one (PyTorch's)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_and_remove(device, dim) -> None:
    conv = nn.Conv2d(3, 4, 2).double().to(device)
    w0 = npy(conv.weight).copy()
    m = nn.utils.weight_norm(conv, dim=dim)
    assert m is conv and [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    axes = tuple(a for a in range(4) if a != dim) if dim is not None else None
    norm = np.sqrt((w0**2).sum(axis=axes, keepdims=dim is not None))
    np.testing.assert_allclose(npy(m.weight_g), norm, rtol=1e-12)
    np.testing.assert_allclose(npy(m.weight), w0, rtol=1e-12)  # g * v / ||v|| is the weight at first
    with ember.no_grad():
        m.weight_g.mul_(2.0)
    x = T(RNG.standard_normal((1, 3, 4, 4)), device)
    ref = F.conv2d(x, T(2 * w0, device), m.bias)
    np.testing.assert_allclose(npy(m(x)), npy(ref), rtol=1e-10)  # the pre-hook recomputed the weight
    m(x).sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    nn.utils.remove_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    np.testing.assert_allclose(npy(m.weight), 2 * w0, rtol=1e-12)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(m)


def test_spectral_norm_power_iteration_and_remove(device) -> None:
    ember.manual_seed(0)
    m = nn.utils.spectral_norm(nn.Linear(5, 4, device=device, dtype=ember.float64))
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert m.weight_u.shape == (4,) and m.weight_v.shape == (5,)
    x = T(RNG.standard_normal((2, 5)), device)
    for _ in range(30):  # training mode: one power-iteration step per forward
        m(x)
    w_orig = npy(m.weight_orig)
    sigma = np.linalg.svd(w_orig, compute_uv=False)[0]
    np.testing.assert_allclose(npy(m.weight), w_orig / sigma, rtol=1e-8)
    u = npy(m.weight_u).copy()
    m.eval()
    m(x)
    np.testing.assert_array_equal(npy(m.weight_u), u)  # eval mode: no iteration
    m.train()
    m(x).sum().backward()
    assert m.weight_orig.grad is not None
    nn.utils.remove_spectral_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"] and list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(np.linalg.svd(npy(m.weight), compute_uv=False)[0], 1.0, rtol=1e-8)
    t = nn.utils.spectral_norm(nn.ConvTranspose2d(3, 4, 2, device=device))  # dim 1 for transposed convolutions
    assert t.weight_u.shape == (4,) and t.weight_v.shape == (12,)
    with pytest.raises(RuntimeError, match="two spectral_norm"):
        nn.utils.spectral_norm(t)


def test_constant_pad_and_full_cast_the_value_to_an_integer_or_bool_dtype(device) -> None:
    # PyTorch: F.pad(int_tensor, value=2.7) pads with 2; full(..., 0.0, dtype=bool) is False (a C cast)
    got = F.pad(T(np.array([1, 2]), device), (1, 1), value=2.7)
    assert got.dtype == ember.int64 and npy(got).tolist() == [2, 1, 2, 2]
    b = F.pad(T(np.array([True, False]), device), (1, 1))
    assert b.dtype == ember.bool_ and npy(b).tolist() == [False, True, False, False]
    assert npy(ember.full((2,), -3.7, dtype=ember.int8, device=device)).tolist() == [-3, -3]
    assert npy(ember.full((2,), True, dtype=ember.bool_, device=device)).tolist() == [True, True]
    x = ember.zeros(3, dtype=ember.int32, device=device)
    x.fill_(2.9)
    assert npy(x).tolist() == [2, 2, 2]


def test_skip_init_builds_the_module_and_checks_its_class(device) -> None:
    m = nn.utils.skip_init(nn.Linear, 5, 1, device=device)
    assert isinstance(m, nn.Linear) and m.weight.shape == (1, 5) and m.weight.device == ember.device(device)
    with pytest.raises(RuntimeError, match="device"):
        nn.utils.skip_init(nn.ReLU)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)


class _Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(-1, -2)


class _Exp(nn.Module):
    def forward(self, x):
        return x.exp()

    def right_inverse(self, y):
        return y.log()


class _FirstRow(nn.Module):
    def forward(self, x):
        return x[:1]


class _Halves(nn.Module):
    def forward(self, a, b):
        return a + b

    def right_inverse(self, x):
        return x * 0.5, x * 0.5


def test_parametrize_register_assign_and_remove(device) -> None:
    P = nn.utils.parametrize
    m = nn.Linear(3, 3, device=device, dtype=ember.float64)
    w0 = npy(m.weight).copy()
    P.register_parametrization(m, "weight", _Symmetric())
    # PyTorch: the class becomes Parametrized<Class>, the parameter moves under parametrizations.<name>.original
    assert type(m).__name__ == "ParametrizedLinear" and P.type_before_parametrizations(m) is nn.Linear
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight") and not P.is_parametrized(m, "bias")
    np.testing.assert_array_equal(npy(m.weight), np.triu(w0) + np.triu(w0, 1).T)
    x = T(RNG.standard_normal((2, 3)), device)
    m(x).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    with P.cached():
        assert m.weight is m.weight
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    np.testing.assert_array_equal(npy(m.weight), np.triu(w0) + np.triu(w0, 1).T)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        P.remove_parametrizations(m, "weight")

    pos = nn.Linear(2, 2, device=device, dtype=ember.float64)
    P.register_parametrization(pos, "bias", _Exp())
    pos.bias = T(np.array([1.0, 2.0]), device)  # stored through right_inverse
    np.testing.assert_allclose(npy(pos.parametrizations.bias.original), np.log([1.0, 2.0]))
    np.testing.assert_allclose(npy(pos.bias), [1.0, 2.0])

    two = nn.Linear(2, 2, device=device, dtype=ember.float64)
    w1 = npy(two.weight).copy()
    P.register_parametrization(two, "weight", _Halves())
    assert [n for n, _ in two.named_parameters()] == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1",
    ]  # fmt: skip
    np.testing.assert_allclose(npy(two.weight), w1)
    with pytest.raises(ValueError, match="shape or dtype"):
        P.register_parametrization(nn.Linear(2, 3, device=device), "weight", _FirstRow())


def test_parametrizations_weight_norm(device) -> None:
    m = nn.Conv2d(3, 4, 2, device=device, dtype=ember.float64)
    w0 = npy(m.weight).copy()
    nn.utils.parametrizations.weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1",
    ]  # fmt: skip
    g = m.parametrizations.weight.original0
    np.testing.assert_allclose(npy(g), np.sqrt((w0**2).sum((1, 2, 3), keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(npy(m.weight), w0, rtol=1e-12)
    with ember.no_grad():
        g.mul_(3.0)
    np.testing.assert_allclose(npy(m.weight), 3 * w0, rtol=1e-12)
    whole = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2, device=device), dim=None)
    assert whole.parametrizations.weight.original0.shape == ()
    nn.utils.parametrize.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(npy(m.weight), 3 * w0, rtol=1e-12)


def test_parametrizations_spectral_norm(device) -> None:
    ember.manual_seed(0)
    m = nn.utils.parametrizations.spectral_norm(nn.Linear(5, 4, device=device, dtype=ember.float64))
    assert list(m.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u", "parametrizations.weight.0._v",
    ]  # fmt: skip
    w = npy(m.parametrizations.weight.original)
    np.testing.assert_allclose(npy(m.weight), w / np.linalg.svd(w, compute_uv=False)[0], rtol=1e-6)
    u = npy(m.parametrizations.weight[0]._u).copy()
    m.eval()
    _ = m.weight
    np.testing.assert_array_equal(npy(m.parametrizations.weight[0]._u), u)  # eval mode: no power iteration
    v1 = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 1, device=device, dtype=ember.float64), name="bias")
    np.testing.assert_allclose(np.abs(npy(v1.bias)), 1.0)  # a 1-D tensor is just normalised

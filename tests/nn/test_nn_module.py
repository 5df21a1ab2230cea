"""Module, Parameter and containers: registration, traversal, modes, dtype/device moves, state dicts,
hooks and repr."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import ember
import ember.nn as nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(ember.ones(2))
        self.register_buffer("steps", ember.zeros((), dtype=ember.int64))
        self.register_buffer("cache", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu()) * self.scale


def test_parameter_is_a_leaf_tensor_subclass_that_autograd_tracks(device) -> None:
    # regression: core recorded the graph only for inputs of exactly type Tensor
    p = nn.Parameter(ember.tensor([1.0, 2.0, 3.0], device=device))
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    x = ember.tensor([4.0, 5.0, 6.0], device=device)
    for out in (p.sum(), (p @ x), p[0] * 2, p.reshape(3, 1).sum(), ember.softmax(p, 0)[0], (x + p).sum(), p.T.sum()):
        assert out.requires_grad
    (p * x).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [4.0, 5.0, 6.0])
    assert not nn.Parameter(ember.ones(2, device=device), requires_grad=False).requires_grad
    assert "Parameter containing" in repr(p)


def test_parameter_copies_and_pickles_as_parameter(device) -> None:
    p = nn.Parameter(ember.randn(2, 2, device=device))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert isinstance(q, nn.Parameter) and q.requires_grad
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())


def test_registration_and_traversal(device) -> None:
    net = Net().to(device)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight"]
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "cache", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"
    ]  # fmt: skip
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "fc2"]
    assert len(list(net.modules())) == 4 and len(list(net.parameters(recurse=False))) == 1
    assert net.get_submodule("fc1") is net.fc1 and net.get_parameter("fc1.bias") is net.fc1.bias
    shared = nn.Sequential(net.fc1, net.fc1)  # shared modules and parameters are listed once
    assert len(list(shared.parameters())) == 2
    del net.fc2
    assert "fc2" not in dict(net.named_children())
    with pytest.raises(TypeError, match="parameter 'scale'"):
        net.scale = ember.ones(2)  # a plain tensor cannot replace a parameter
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        net.nope


def test_train_eval_requires_grad_zero_grad_apply(device) -> None:
    net = Net().to(device)
    assert net.training and net.bn.training
    net.eval()
    assert not net.training and not net.bn.training
    net.train()
    net(ember.randn(5, 3, device=device)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Linear", "Net"]


def test_to_dtype_keeps_parameter_objects_and_integer_buffers(device) -> None:
    net = Net().to(device)
    w = net.fc1.weight
    net.to(ember.float64)
    assert net.fc1.weight is w and w.dtype is ember.float64 and isinstance(w, nn.Parameter)
    assert net.bn.running_mean.dtype is ember.float64
    assert net.steps.dtype is ember.int64
    net(ember.randn(4, 3, dtype=ember.float64, device=device)).sum().backward()
    assert w.grad.dtype is ember.float64
    net.float()
    assert w.dtype is ember.float32 and w.grad.dtype is ember.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(ember.int64)


def test_state_dict_round_trip(device) -> None:
    a, b = Net().to(device), Net().to(device)
    a.train()
    a(ember.randn(6, 3, device=device))  # moves the running stats
    sd = a.state_dict()
    assert list(sd) == [
        "scale", "steps", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked", "fc2.weight",
    ]  # fmt: skip
    assert "cache" not in sd and not any(t.requires_grad for t in sd.values())
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy(), err_msg=k)
    x = ember.randn(4, 3, device=device)
    a.eval(), b.eval()
    np.testing.assert_allclose(a(x).detach().numpy(), b(x).detach().numpy())
    assert isinstance(b.fc1.weight, nn.Parameter) and b.fc1.weight.requires_grad


def test_load_state_dict_errors_name_the_keys_and_shapes(device) -> None:
    net = Net().to(device)
    sd = net.state_dict()
    missing = {k: v for k, v in sd.items() if k != "fc1.bias"}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "fc1.bias"'):
        net.load_state_dict(missing)
    extra = dict(sd, **{"fc3.weight": ember.zeros(1)})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "fc3.weight"'):
        net.load_state_dict(extra)
    result = net.load_state_dict({**missing, "fc3.weight": ember.zeros(1)}, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["fc3.weight"]
    bad = dict(sd, **{"fc1.weight": ember.zeros(4, 5)})
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape \(4, 5\) from checkpoint, the shape in current model is \(4, 3\)"):
        net.load_state_dict(bad, strict=False)


def test_forward_hooks(device) -> None:
    lin = nn.Linear(2, 2).to(device)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(ember.ones(3, 2, device=device))
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1, (3, 2)), rtol=1e-6)
    assert calls == [(3, 2)]
    h1.remove(), h2.remove()
    assert lin(ember.ones(1, 2, device=device)).shape == (1, 2) and calls == [(3, 2)]


def test_repr_like_pytorch() -> None:
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Sequential(nn.Linear(4, 2, bias=False)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=2, bias=False)\n"
        "  )\n"
        ")"
    )


def test_containers(device) -> None:
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).to(device)
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1:], nn.Sequential)
    assert seq(ember.randn(4, 2, device=device)).shape == (4, 1)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("a", nn.Linear(2, 2)), ("b", nn.Tanh())]))
    assert [n for n, _ in named.named_children()] == ["a", "b"]
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 4 and len(list(ml.parameters())) == 8 and isinstance(ml[-1], nn.Linear)
    md = nn.ModuleDict({"enc": nn.Linear(2, 2), "dec": nn.Linear(2, 2)})
    assert list(md.keys()) == ["enc", "dec"] and "enc" in md
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    pl = nn.ParameterList([ember.ones(2), nn.Parameter(ember.zeros(3))])
    assert len(pl) == 2 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    with pytest.raises(IndexError):
        ml[7]


def test_parameters_on_another_device_than_the_input_raise() -> None:
    backends = [b for b in ember.backends() if b.device_type != "cpu" and b.unavailable_reason() is None]
    if not backends:
        pytest.skip("needs a second device type to mix")
    lin = nn.Linear(2, 2).to(backends[0].device_type)
    with pytest.raises(RuntimeError, match="device"):
        lin(ember.ones(1, 2))

"""Optimizer state dicts: PyTorch's layout, and a restored optimizer continues exactly as the original."""

from __future__ import annotations

import io

import numpy as np
import pytest

import ember
import ember.optim as optim

OPTIMIZERS = {
    "sgd": lambda groups: optim.SGD(groups, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda groups: optim.Adam(groups, lr=0.05, amsgrad=True),
    "adamw": lambda groups: optim.AdamW(groups, lr=0.05, betas=(0.8, 0.95)),
    "rmsprop": lambda groups: optim.RMSprop(groups, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda groups: optim.Adagrad(groups, lr=0.1, lr_decay=0.01),
    "adadelta": lambda groups: optim.Adadelta(groups, lr=0.5),
    "adamax": lambda groups: optim.Adamax(groups, lr=0.05, weight_decay=0.01),
    "nadam": lambda groups: optim.NAdam(groups, lr=0.05, weight_decay=0.01, decoupled_weight_decay=True),
    "radam": lambda groups: optim.RAdam(groups, lr=0.05, betas=(0.9, 0.8)),
    "rprop": lambda groups: optim.Rprop(groups, lr=0.05),
    "asgd": lambda groups: optim.ASGD(groups, lr=0.05, t0=2, lambd=0.01),
}

# PyTorch's (2.13) per-parameter state keys and the keys of its param_groups (foreach/fused/capturable/
# differentiable included: Ember accepts and keeps those options but has no use for them)
_FLAGS = {"foreach", "maximize", "differentiable"}
PYTORCH_KEYS = {
    "sgd": ({"momentum_buffer"}, {"lr", "momentum", "dampening", "weight_decay", "nesterov", "fused"} | _FLAGS),
    "adam": ({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
             {"lr", "betas", "eps", "weight_decay", "amsgrad", "capturable", "fused", "decoupled_weight_decay"} | _FLAGS),
    "adamw": ({"step", "exp_avg", "exp_avg_sq"},
              {"lr", "betas", "eps", "weight_decay", "amsgrad", "capturable", "fused", "decoupled_weight_decay"} | _FLAGS),
    "rmsprop": ({"step", "square_avg", "momentum_buffer", "grad_avg"},
                {"lr", "alpha", "eps", "weight_decay", "momentum", "centered", "capturable"} | _FLAGS),
    "adagrad": ({"step", "sum"}, {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "fused"} | _FLAGS),
    "adadelta": ({"step", "square_avg", "acc_delta"}, {"lr", "rho", "eps", "weight_decay", "capturable"} | _FLAGS),
    "adamax": ({"step", "exp_avg", "exp_inf"}, {"lr", "betas", "eps", "weight_decay", "capturable"} | _FLAGS),
    "nadam": ({"step", "mu_product", "exp_avg", "exp_avg_sq"},
              {"lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "capturable"} | _FLAGS),
    "radam": ({"step", "exp_avg", "exp_avg_sq"},
              {"lr", "betas", "eps", "weight_decay", "decoupled_weight_decay", "capturable"} | _FLAGS),
    "rprop": ({"step", "prev", "step_size"}, {"lr", "etas", "step_sizes", "capturable"} | _FLAGS),
    "asgd": ({"step", "eta", "mu", "ax"}, {"lr", "lambd", "alpha", "t0", "weight_decay", "capturable"} | _FLAGS),
}  # fmt: skip


def _params(device: str) -> list[ember.Tensor]:
    rng = np.random.default_rng(1)
    return [ember.tensor(rng.standard_normal(s).astype(np.float32), device=device, requires_grad=True)
            for s in ((4, 3), (3,), (2, 2))]  # fmt: skip


def _groups(params: list[ember.Tensor]) -> list[dict]:
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.02}]


def _train(opt: optim.Optimizer, params: list[ember.Tensor], steps: int, start: int = 0) -> None:
    for k in range(start, start + steps):
        opt.zero_grad()
        loss = None
        for i, p in enumerate(params):
            term = ((p - 0.1 * (i + k)) ** 2).sum() + (p * p * p).sum() * 0.1
            loss = term if loss is None else loss + term
        loss.backward()
        opt.step()


def _clone(params: list[ember.Tensor]) -> list[ember.Tensor]:
    return [p.detach().clone().requires_grad_() for p in params]


def test_state_dict_layout_is_pytorchs(device: str) -> None:
    params = _params(device)
    opt = optim.Adam(_groups(params), lr=0.05)
    _train(opt, params, 1)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.05, 0.02]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 1, 2]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"} and sd["state"][0]["step"] == 1
    assert sd["state"][2]["exp_avg"].shape == (2, 2)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "ember.save"])
def test_round_trip_continues_identically(device: str, name: str, via_file: bool) -> None:
    make = OPTIMIZERS[name]
    params = _params(device)
    opt = make(_groups(params))
    _train(opt, params, 3)

    twin_params = _clone(params)
    twin = make(_groups(twin_params))
    state = opt.state_dict()
    if via_file:
        buf = io.BytesIO()
        ember.save(state, buf)
        buf.seek(0)
        state = ember.load(buf, map_location=device)
    twin.load_state_dict(state)

    _train(opt, params, 3, start=3)
    _train(twin, twin_params, 3, start=3)
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_loaded_state_is_copied_not_shared(device: str) -> None:
    params = _params(device)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 2)
    twin = optim.SGD(_clone(params), lr=0.1, momentum=0.9)
    twin.load_state_dict(opt.state_dict())
    before = opt.state[params[0]]["momentum_buffer"].numpy().copy()
    _train(twin, twin.param_groups[0]["params"], 2)
    np.testing.assert_array_equal(opt.state[params[0]]["momentum_buffer"].numpy(), before)


def test_load_state_dict_takes_saved_hyperparameters_and_keeps_own_params(device: str) -> None:
    params = _params(device)
    opt = optim.SGD(_groups(params), lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][1]["lr"] = 0.5
    other = _clone(params)
    twin = optim.SGD(_groups(other), lr=0.1)
    twin.load_state_dict(sd)
    assert twin.param_groups[1]["lr"] == 0.5
    assert twin.param_groups[1]["params"][0] is other[2]


@pytest.mark.parametrize("name", list(PYTORCH_KEYS))
def test_state_and_group_keys_are_pytorchs(device: str, name: str) -> None:
    params = _params(device)
    opt = OPTIMIZERS[name](_groups(params))
    _train(opt, params, 2)
    sd = opt.state_dict()
    state_keys, group_keys = PYTORCH_KEYS[name]
    assert sorted(sd["state"]) == [0, 1, 2]
    for index, p in enumerate(params):
        state = sd["state"][index]
        assert set(state) == state_keys and state.get("step", 2) == 2
        for key in state_keys - {"step", "mu_product", "eta", "mu"}:
            assert state[key].shape == p.shape and state[key].dtype is p.dtype
    assert set(sd["param_groups"][1]) == group_keys | {"params"} and sd["param_groups"][1]["lr"] == 0.02


def test_pytorch_style_scalar_tensors_are_accepted(device: str) -> None:
    # torch keeps step, mu_product (NAdam), eta and mu (ASGD) as 0-d float32 tensors; Ember as Python numbers
    for name, scalars in (("nadam", ("step", "mu_product")), ("asgd", ("step", "eta", "mu"))):
        params = _params(device)
        opt = OPTIMIZERS[name](_groups(params))
        _train(opt, params, 3)
        sd = opt.state_dict()
        torch_like = {"param_groups": sd["param_groups"],
                      "state": {i: {k: ember.tensor(float(v)) if k in scalars else v for k, v in s.items()}
                                for i, s in sd["state"].items()}}  # fmt: skip
        twin_params = _clone(params)
        twin = OPTIMIZERS[name](_groups(twin_params))
        twin.load_state_dict(torch_like)
        state = twin.state[twin_params[0]]
        assert state["step"] == 3 and isinstance(state["step"], int)
        assert all(isinstance(state[k], float) for k in scalars if k != "step")
        _train(opt, params, 2, start=3)
        _train(twin, twin_params, 2, start=3)
        for p, q in zip(params, twin_params):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_pytorch_style_tensor_step_is_accepted(device: str) -> None:
    params = _params(device)
    opt = optim.Adam(params)
    _train(opt, params, 2)
    sd = opt.state_dict()
    for s in sd["state"].values():
        s["step"] = ember.tensor(float(s["step"]))  # what torch.optim.Adam stores
    twin = optim.Adam(_clone(params))
    twin.load_state_dict(sd)
    assert twin.state[twin.param_groups[0]["params"][0]]["step"] == 2


def test_state_follows_the_parameters_dtype(device: str, backend) -> None:
    if ember.float64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name} has no float64")
    p = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = optim.Adam([p])
    _train(opt, [p], 1)
    q = ember.tensor([1.0, 2.0], dtype=ember.float64, device=device, requires_grad=True)
    twin = optim.Adam([q])
    twin.load_state_dict(opt.state_dict())
    assert twin.state[q]["exp_avg"].dtype is ember.float64


def test_mismatched_state_dicts_are_refused(device: str) -> None:
    params = _params(device)
    opt = optim.SGD(_groups(params), lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD(params, lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_state_dict_hooks_run_in_pytorchs_order(device: str) -> None:
    params = _params(device)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 1)
    log: list[str] = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    post = opt.register_state_dict_post_hook(lambda o, sd: log.append("post") or {**sd, "extra": 1})
    opt.register_state_dict_post_hook(lambda o, sd: log.append("first"), prepend=True)
    sd = opt.state_dict()
    assert log == ["pre", "first", "post"] and sd["extra"] == 1
    post.remove()
    assert "extra" not in opt.state_dict()

    def swap_lr(o, loaded):  # a load pre-hook may return the dict to load instead
        log.append("load-pre")
        groups = [{**g, "lr": 0.5} for g in loaded["param_groups"]]
        return {"state": loaded["state"], "param_groups": groups}

    log.clear()
    opt.register_load_state_dict_pre_hook(swap_lr)
    opt.register_load_state_dict_post_hook(lambda o: log.append(f"load-post {o.param_groups[0]['lr']}"))
    opt.load_state_dict(sd)
    assert log == ["load-pre", "load-post 0.5"]


def test_step_hooks(device: str) -> None:
    params = _params(device)
    opt = optim.AdamW(params, lr=0.1)  # AdamW inherits Adam's step: the hooks run once
    log: list[str] = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: log.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: log.append("post"))
    glob = optim.optimizer.register_optimizer_step_pre_hook(lambda o, args, kwargs: log.append("global"))
    try:
        _train(opt, params, 1)
        assert log == ["global", "pre", "post"]
        pre.remove()
        glob.remove()
        log.clear()
        _train(opt, params, 1)
        assert log == ["post"]
        # a pre-hook may replace the arguments; anything but None or (args, kwargs) is an error
        opt.register_step_pre_hook(lambda o, args, kwargs: ((), {"closure": lambda: 7.0}))
        assert opt.step() == 7.0
        opt.register_step_pre_hook(lambda o, args, kwargs: "bad")
        with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\)"):
            opt.step()
    finally:
        glob.remove()


def test_named_parameters_as_pytorch(device: str) -> None:
    # PyTorch takes (name, tensor) pairs, e.g. model.named_parameters(), and keeps the names in the group
    params = _params(device)
    named = [(f"p{i}", p) for i, p in enumerate(params)]
    opt = optim.SGD(named, lr=0.05, momentum=0.9)
    assert all(a is b for a, b in zip(opt.param_groups[0]["params"], params, strict=True))
    _train(opt, params, 2)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["p0", "p1", "p2"] and sorted(sd["state"]) == [0, 1, 2]
    twin_params = _clone(params)
    twin = optim.SGD(twin_params, lr=0.05, momentum=0.9)  # an optimizer without names loads it too
    twin.load_state_dict(sd)
    _train(opt, params, 2, start=2)
    _train(twin, twin_params, 2, start=2)
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("a", params[0]), params[1]], lr=0.1)
    with pytest.raises(ValueError, match="cannot add param group without names to the optimizer"):
        optim.SGD(named[:1], lr=0.1).add_param_group({"params": params[1:]})

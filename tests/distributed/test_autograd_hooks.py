"""What DistributedDataParallel builds on: leaf gradients handed over while backward still runs,
`Tensor.register_post_accumulate_grad_hook` and `ember.autograd.graph.queue_callback`."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd.graph import queue_callback


def test_a_leaf_gradient_is_final_before_the_layers_below_run():
    """The last layer's weight is reported before the first layer's derivative runs (overlap needs this)."""
    w1 = ember.randn(3, 4, requires_grad=True)
    w2 = ember.randn(4, 2, requires_grad=True)
    events = []
    w2.register_post_accumulate_grad_hook(lambda p: events.append(("w2", p.grad.clone())))
    w1.register_post_accumulate_grad_hook(lambda p: events.append(("w1", p.grad.clone())))
    h = ember.randn(5, 3) @ w1
    h.register_hook(lambda g: events.append(("h", None)))  # runs just before h's producer (the first layer)
    (h.relu() @ w2).sum().backward()
    assert [e[0] for e in events] == ["w2", "h", "w1"]
    assert np.array_equal(events[0][1].numpy(), w2.grad.numpy())


def test_post_accumulate_hook_sees_the_accumulated_total_once():
    w = ember.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 2 + w * 3).sum().backward()  # two paths into w: one hook call with their sum
    (w * 1).sum().backward()
    assert seen == [[5.0] * 3, [6.0] * 3]
    handle.remove()
    (w * 1).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_hook_errors_like_pytorch():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (ember.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_queue_callback_runs_once_after_every_leaf_got_its_gradient():
    w = ember.ones(2, requires_grad=True)
    v = ember.ones(2, requires_grad=True)
    log = []

    def hook(p):
        log.append("hook")
        queue_callback(lambda: log.append(("done", w.grad is not None and v.grad is not None)))

    w.register_post_accumulate_grad_hook(hook)
    (w * v).sum().backward()
    assert log == ["hook", ("done", True)]
    (v * 2).sum().backward()  # nothing queued: nothing runs
    assert log == ["hook", ("done", True)]

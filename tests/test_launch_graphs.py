"""Launch graphs (`ember.launch_graphs`): a compiled replay's launches repeated without their Python.

The device tests run where the backend records graphs (OpenCL) and compare against eager runs of
the same steps; the runner's own rules (probes, refusals, deferred checks) are tested with a
stand-in backend on any device.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim
from ember import launch_graphs
from ember.backends import registry
from ember.capture import defer_check, deferring_checks


def _records(device: str) -> None:
    backend = registry.get(ember.device(device).type)
    if not backend.defines("record_launches"):
        pytest.skip(f"the {backend.name} backend records no launch graphs (its replays call the kernels)")


def _mlp_step(device: str, lr: float = 0.1) -> tuple[nn.Module, Any, Callable[..., Any]]:
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5)).to(device)
    opt = ember.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def step(x: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def _batches(device: str, n: int) -> list[tuple[ember.Tensor, ember.Tensor]]:
    rng = np.random.default_rng(3)
    return [
        (ember.tensor(rng.standard_normal((16, 20)).astype(np.float32), device=device),
         ember.tensor(rng.integers(0, 5, 16), device=device))
        for _ in range(n)
    ]  # fmt: skip


def test_training_step_runs_as_a_graph_with_a_changing_learning_rate(device: str) -> None:
    """A scheduler changes the learning rate every step and every batch is new: the graph binds both,
    the parameters and losses equal eager ones, and every loss the caller kept keeps its value."""
    _records(device)
    results = []
    for compiled in (False, True):
        model, opt, step = _mlp_step(device)
        sched = ember.optim.lr_scheduler.LambdaLR(opt, lambda k: 1.0 / (1 + k))
        run = ember.compile(step) if compiled else step
        losses = []
        for x, y in _batches(device, 8):
            losses.append(run(x, y))  # kept as tensors: a later replay must not write into them
            sched.step()
        results.append(([p.detach().numpy() for p in model.parameters()], [float(t) for t in losses]))
    graphs = run.programs[0].graphs
    assert graphs is not None and graphs.graph is not None, "the step did not run as a launch graph"
    assert run.replays == 6  # steps 1-2 capture (step 1 makes the optimizer's state); 3 replays; 4 records; 5-8: graph
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_graph_outputs_are_fresh_arrays(device: str) -> None:
    """Each replay of a graph returns new memory: what the caller kept from earlier calls is unchanged."""
    _records(device)
    g = ember.compile(lambda x, a: ((x * a).relu() + 1, x.sum() * a))
    x = ember.tensor([[-1.0, 2.0], [3.0, -5.0]], device=device)
    outs = [g(x, float(a)) for a in range(1, 7)]
    assert g.programs[0].graphs.graph is not None
    for a, (r, s) in zip(range(1, 7), outs):
        np.testing.assert_array_equal(r.numpy(), np.maximum(np.float32([[-1, 2], [3, -5]]) * a, 0) + 1)
        assert s.item() == -a
    assert len({id(r._data.buffer) for r, _ in outs}) == 6


def test_graph_runs_the_body_for_another_layout(device: str) -> None:
    """An argument at another offset of its memory than when the graph was recorded: the replay runs the
    kernels as they are rather than the graph's launches (which read the recorded offset)."""
    _records(device)
    g = ember.compile(lambda x: x * 2 + 1)
    base = ember.arange(10, dtype=ember.float32, device=device)
    for _ in range(3):
        g(base[0:4])
    assert g.programs[0].graphs.graph is not None
    np.testing.assert_array_equal(g(base[3:7]).numpy(), np.arange(3, 7, dtype=np.float32) * 2 + 1)
    np.testing.assert_array_equal(g(base[0:4]).numpy(), np.arange(0, 4, dtype=np.float32) * 2 + 1)


def test_dropout_masks_advance_in_a_graph(device: str) -> None:
    """Random seeds are numbers the graph binds: each replay draws a new mask, as eager does."""
    _records(device)
    masks = []
    for compiled in (False, True):
        ember.manual_seed(5)
        f = ember.compile(lambda x: nn.functional.dropout(x, 0.5)) if compiled else (lambda x: nn.functional.dropout(x, 0.5))
        x = ember.ones(64, device=device)
        masks.append([f(x).numpy() for _ in range(6)])
    assert f.programs[0].graphs.graph is not None
    np.testing.assert_array_equal(np.array(masks[0]), np.array(masks[1]))
    assert len({m.tobytes() for m in masks[1]}) == 6


def test_disabled_graphs_run_the_body(device: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch_graphs, "ENABLED", False)
    g = ember.compile(lambda x: x + 1)
    x = ember.ones(3, device=device)
    for _ in range(4):
        np.testing.assert_array_equal(g(x).numpy(), np.full(3, 2, np.float32))
    graphs = g.programs[0].graphs
    assert graphs is None or graphs.graph is None


def test_probe_values() -> None:
    """Probes differ from the values, and two equal values in different slots get different probes."""
    p = launch_graphs.probe([0.1, 0.1, 3, 3, True, -1.0])
    assert p is not None
    assert all(a != b for a, b in zip(p, [0.1, 0.1, 3, 3, True, -1.0]))
    assert p[0] != p[1] and p[2] != p[3]
    assert launch_graphs.probe([math.inf]) is None and launch_graphs.probe([math.nan]) is None
    assert launch_graphs.probe([(1, 2)]) is None


class _FakeGrapher:
    """A backend that records by running the body twice (probe, then real) and returns `graph`."""

    def __init__(self, graph: Any) -> None:
        self.graph, self.calls = graph, []

    def record_launches(self, body: Any, arrays: Any, scalars: Any, probe: Any) -> tuple[Any, Any]:
        body(arrays, probe)
        self.calls.append((arrays, scalars, probe))
        return body(arrays, scalars), self.graph


def test_runner_records_once_then_replays_the_graph() -> None:
    ran: list[Any] = []

    def body(a: Any, s: float) -> tuple[Any, ...]:
        ran.append(s)
        return (a * s,)

    backend = _FakeGrapher(lambda arrays, scalars: ("graph", scalars))
    runner = launch_graphs.GraphRunner(backend)
    assert runner(body, (2,), (1.5,)) == (3.0,)  # replay 1: the body
    assert runner(body, (2,), (2.5,)) == (5.0,)  # replay 2: recorded (probe run, then the real one)
    assert len(backend.calls) == 1 and ran[-1] == 2.5 and ran[-2] != 2.5
    assert runner(body, (2,), (4.0,)) == ("graph", (4.0,))


def test_runner_refuses_a_body_that_defers_checks() -> None:
    """A check that kernels defer reads what the real run computed: it still runs, and no graph is kept
    (a graph would not register it again)."""
    seen: list[Any] = []

    def body(a: Any, s: float) -> tuple[Any, ...]:
        defer_check(lambda: seen.append(s))
        return (a,)

    backend = _FakeGrapher(object())
    runner = launch_graphs.GraphRunner(backend)
    with deferring_checks() as outer:
        for s in (1.0, 2.0, 3.0):
            runner(body, (0,), (s,))
    for check in outer:
        check()
    assert runner.graph is None and runner.refused
    assert seen == [1.0, 2.0, 3.0]  # the probe run's check was dropped; the real runs' ones ran


def test_opencl_graph_refuses_a_number_computed_from_a_scalar(device: str) -> None:
    """A kernel argument that changes with the probe but is not one of the scalars (here 2*s, computed
    inside the body) would be replayed stale: no graph."""
    if ember.device(device).type != "opencl":
        pytest.skip("tests the OpenCL backend's recorder")
    from ember_opencl.clarray import empty
    from ember_opencl.elementwise import launch
    from ember_opencl.launch_graph import record_launches

    x = ember.ones(4, device=device)._data

    def body(arrays: Any, scalars: Any, derived: bool) -> tuple[Any, ...]:
        out = empty(arrays[0].device, arrays[0].shape, arrays[0].dtype)
        s = scalars[0] * 2 if derived else scalars[0]
        launch("mul", "x0 * x1", out, [arrays[0], (s, np.dtype(np.float32))])
        return (out,)

    results, graph = record_launches(lambda a, s: body(a, s, True), (x,), (1.5,), (2.5,))
    assert graph is None and ember.Tensor._make(results[0], (4,), ember.float32, ember.device(device)).tolist() == [3.0] * 4
    results, graph = record_launches(lambda a, s: body(a, s, False), (x,), (1.5,), (2.5,))
    assert graph is not None
    again = graph((x,), (4.0,))
    assert again is not None and again[0].buffer is not results[0].buffer
    from ember_opencl.clarray import to_numpy

    np.testing.assert_array_equal(to_numpy(again[0]), np.full(4, 4.0, np.float32))
    np.testing.assert_array_equal(to_numpy(results[0]), np.full(4, 1.5, np.float32))


def _opencl_graph(device: str, f: Any, *args: Any) -> Any:
    if ember.device(device).type != "opencl":
        pytest.skip("tests the OpenCL backend's launch graphs")
    for _ in range(4):
        out = f(*args)
    graph = f.programs[0].graphs.graph
    assert graph is not None
    return graph, out


def test_independent_launches_are_merged(device: str) -> None:
    """An optimizer's per-parameter updates, and a layer's weight and input gradients, run as merged
    launches; the parameters stay bitwise equal to eager ones."""
    states = []
    for compiled in (False, True):
        model, _opt, step = _mlp_step(device)
        run = ember.compile(step) if compiled else step
        for x, y in _batches(device, 6):
            run(x, y)
        states.append([p.detach().numpy() for p in model.parameters()])
    graph, _ = _opencl_graph(device, run, *_batches(device, 1)[0])
    names = [k.function_name for k, _g, _l in graph.sites]
    assert names.count("ember_launches") >= 2, names
    for a, b in zip(*states):
        np.testing.assert_array_equal(a, b)


def test_dependent_launches_are_not_merged(device: str) -> None:
    """Two fused kernels where the second reads what the first wrote (other shapes: two groups) stay two
    launches, in order; a merged launch would race."""
    g = ember.compile(lambda x: ((x * 3.0 + 1.0).reshape(4, 8).T * 2.0 - 1.0).exp())
    x = ember.arange(32, dtype=ember.float32, device=device) / 32
    graph, out = _opencl_graph(device, g, x)
    assert "ember_launches" not in [k.function_name for k, _g, _l in graph.sites]
    want = np.exp((np.arange(32, dtype=np.float32) / 32 * 3 + 1).reshape(4, 8).T * 2 - 1)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)


def test_merged_sources_keep_their_macros_and_helpers() -> None:
    """The merged program: each part's macros undefined after it and its helper functions renamed, the
    kernel's parameters with the part's macros expanded, writes found from const-ness."""
    pytest.importorskip("pyopencl")
    from ember_opencl import merge

    src = ("#define T float\nstatic T twice(T v) { return 2 * v; }\n"
           "__kernel void k(long n, __global const T* x, __global T* y) { y[get_global_id(0)] = twice(x[0]); }\n")  # fmt: skip
    assert merge.params_of(src) == ["long n", "__global const float* x", "__global float* y"]
    assert merge.writes(merge.params_of(src)) == [2]
    part = merge._part(3, src)
    assert "twice__p3(" in part and "static void part3(" in part and "#undef T" in part
    assert "get_global_id" not in part and "gid0__" in part


def test_recording_leaves_other_threads_alone(device: str) -> None:
    """While one thread records a graph, another thread's copies and kernels run as usual and are not
    recorded (a probe run launches nothing: another thread's work must not be swallowed)."""
    if ember.device(device).type != "opencl":
        pytest.skip("tests the OpenCL backend's recorder")
    import threading

    from ember_opencl.launch_graph import _Recorder

    dev = ember.ones(1, device=device)._data.device
    probe = _Recorder(execute=False)
    dev.recorder = probe
    try:
        got: list[Any] = []
        t = threading.Thread(target=lambda: got.append((ember.tensor([1.0, 2.0], device=device) * 3).tolist()))
        t.start()
        t.join()
    finally:
        dev.recorder = None
    assert got == [[3.0, 6.0]] and not probe.launches and not probe.allocs

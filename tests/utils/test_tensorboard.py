"""`ember.utils.tensorboard.SummaryWriter`: every kind of summary, read back with TensorBoard's own reader."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ember

pytest.importorskip("tensorboardX", reason="the tensorboard extra (tensorboardX) is not installed")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator", reason="tensorboard (a test dependency) is not installed"
)

from ember.utils.tensorboard import SummaryWriter  # noqa: E402


def read(logdir: Path | str) -> Any:
    """TensorBoard's reader over one run, keeping everything (histograms and images are sampled by default)."""
    acc = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0, "compressedHistograms": 0}
    )
    acc.Reload()
    return acc


def test_scalars_values_steps_wall_times(tmp_path: Path, device: str) -> None:
    before = time.time()
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("tensor", ember.tensor(2.5, device=device), 7)
        w.add_scalar("tensor", ember.tensor([3.25], device=device), 8)  # one element of any shape
        w.add_scalar("numpy", np.float32(0.5), 1)
        w.add_scalar("int", 3, 2, walltime=1234.5)
        w.add_scalar(
            "new", ember.tensor(1.5, dtype=ember.float64, device=device), 4, new_style=True, double_precision=True
        )
    after = time.time()
    acc = read(tmp_path)
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    assert [e.value for e in loss] == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert all(before <= e.wall_time <= after for e in loss)
    assert [(e.step, e.value) for e in acc.Scalars("tensor")] == [(7, 2.5), (8, 3.25)]
    assert acc.Scalars("numpy")[0].value == 0.5
    assert (acc.Scalars("int")[0].wall_time, acc.Scalars("int")[0].value) == (1234.5, 3.0)
    new = acc.Tensors("new")[0]
    assert new.step == 4 and list(new.tensor_proto.double_val) == [1.5]


def test_add_scalars_writes_one_run_per_series(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss", {"train": step, "val": 2 * step}, step)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["loss_train", "loss_val"]
    assert [e.value for e in read(tmp_path / "loss_val").Scalars("loss")] == [0.0, 2.0, 4.0]


def test_histograms(tmp_path: Path, device: str) -> None:
    values = ember.randn(1000, generator=ember.Generator().manual_seed(0)).to(device)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", values, 3)
        w.add_histogram("auto", values.cpu().numpy(), 4, bins="auto")
        w.add_histogram("ten", np.arange(10.0), 5, bins=5)
    acc = read(tmp_path)
    h = acc.Histograms("weights")[0]
    ref = values.cpu().numpy().astype(np.float64)
    assert h.step == 3
    v = h.histogram_value
    assert (v.num, v.min, v.max) == (1000, pytest.approx(ref.min()), pytest.approx(ref.max()))
    assert v.sum == pytest.approx(ref.sum()) and v.sum_squares == pytest.approx((ref**2).sum())
    assert sum(v.bucket) == 1000
    assert sum(acc.Histograms("auto")[0].histogram_value.bucket) == 1000
    ten = acc.Histograms("ten")[0].histogram_value
    assert list(ten.bucket)[-5:] == [2, 2, 2, 2, 2]


def test_histogram_of_nan_is_an_error(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="add_histogram.*NaN"):
        w.add_histogram("bad", np.array([1.0, np.nan]))


def test_images_sizes_and_formats(tmp_path: Path, device: str) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", ember.rand(3, 10, 20, device=device), 1)
        w.add_image("hwc", np.zeros((12, 6, 3), np.uint8), 1, dataformats="HWC")
        w.add_image("hw", np.ones((5, 7)), 1, dataformats="HW")
        w.add_images("batch", ember.rand(4, 1, 8, 8, device=device), 2)  # a grid of four
        w.add_image("clipped", np.full((1, 2, 2), 3.0), 1)  # floats are clipped to [0, 1]
        with pytest.raises(ValueError, match="dataformats"):
            w.add_image("bad", np.zeros((2, 2)), 1)
    acc = read(tmp_path)
    assert (acc.Images("chw")[0].width, acc.Images("chw")[0].height) == (20, 10)
    assert (acc.Images("hwc")[0].width, acc.Images("hwc")[0].height) == (6, 12)
    assert (acc.Images("hw")[0].width, acc.Images("hw")[0].height) == (7, 5)
    batch = acc.Images("batch")[0]
    assert (batch.step, batch.width, batch.height) == (2, 32, 8)  # one row of up to 8 images, as in PyTorch
    import io

    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(acc.Images("clipped")[0].encoded_image_string)))
    assert img.max() == 255


def test_figure_and_text(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 0)
        w.add_text("notes", "**bold** text", 3)
    assert not plt.fignum_exists(fig.number)  # closed by default
    acc = read(tmp_path)
    assert (acc.Images("fig")[0].width, acc.Images("fig")[0].height) == (100, 50)
    text = acc.Tensors("notes/text_summary")[0]
    assert text.step == 3 and text.tensor_proto.string_val[0] == b"**bold** text"


def _hparams(acc: Any) -> Any:
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = {}
    for tag in ("_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"):
        content = acc.SummaryMetadata(tag).plugin_data.content
        data[tag.split("/")[1]] = plugin_data_pb2.HParamsPluginData.FromString(content)
    return data


def test_hparams_go_into_the_same_run(tmp_path: Path, device: str) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.5, 1)
        w.add_hparams(
            {"lr": 0.01, "optimizer": "adamw", "batch": ember.tensor(64, device=device), "nesterov": True},
            {"hparam/accuracy": 0.9, "hparam/loss": ember.tensor(0.25, device=device)},
            hparam_domain_discrete={"optimizer": ["adamw", "sgd"]},
        )
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []  # no timestamped sub-run
    acc = read(tmp_path)
    assert acc.Scalars("hparam/accuracy")[0].value == pytest.approx(0.9)
    assert acc.Scalars("hparam/loss")[0].value == 0.25
    assert acc.Scalars("loss")[0].value == 0.5
    hp = _hparams(acc)
    start = hp["session_start_info"].session_start_info.hparams
    assert start["lr"].number_value == 0.01 and start["optimizer"].string_value == "adamw"
    assert start["batch"].number_value == 64 and start["nesterov"].bool_value is True
    infos = {i.name: i for i in hp["experiment"].experiment.hparam_infos}
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["adamw", "sgd"]
    assert [m.name.tag for m in hp["experiment"].experiment.metric_infos] == ["hparam/accuracy", "hparam/loss"]


def test_hparams_run_name_and_errors(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1}, {"m": 1.0}, run_name="trial")
        with pytest.raises(TypeError, match="dictionaries"):
            w.add_hparams([("lr", 0.1)], {"m": 1.0})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="'nope'"):
            w.add_hparams({"lr": 0.1}, {"m": 1.0}, hparam_domain_discrete={"nope": [1]})
    assert read(tmp_path / "trial").Scalars("m")[0].value == 1.0


def test_graph_of_a_model(tmp_path: Path, device: str) -> None:
    nn = pytest.importorskip("ember.nn")
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 3)).to(device)
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, ember.randn(2, 3, 4, device=device))
    graph = read(tmp_path).Graph()
    nodes = {n.name: n for n in graph.node}
    assert "input/input.0" in nodes and nodes["output/output.0"].op == "IO Node"
    params = {n.name for n in graph.node if n.op == "Parameter"}
    assert params == {"Sequential/Linear[1]/weight", "Sequential/Linear[1]/bias", "Sequential/Linear[3]/weight",
                      "Sequential/Linear[3]/bias"}  # fmt: skip
    weight = nodes["Sequential/Linear[1]/weight"]
    assert [d.size for d in weight.attr["_output_shapes"].list.shape[0].dim] == [5, 12]
    relu = next(n for n in graph.node if n.name.startswith("Sequential/ReLU[2]/"))
    (linear,) = relu.input
    assert linear.startswith("Sequential/Linear[1]/") and "Sequential/Linear[1]/weight" in nodes[linear].input
    assert [d.size for d in nodes[linear].attr["_output_shapes"].list.shape[0].dim] == [2, 5]
    (last,) = nodes["output/output.0"].input
    assert last.startswith("Sequential/Linear[3]/")
    # every input of every node is a node of the graph
    assert all(i in nodes for n in graph.node for i in n.input)
    with SummaryWriter(tmp_path / "x") as w, pytest.raises(ValueError, match="input_to_model"):
        w.add_graph(model)


def test_embedding(tmp_path: Path, device: str) -> None:
    mat = ember.randn(10, 4, device=device)
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(
            mat, metadata=[f"p{i}" for i in range(10)], label_img=ember.rand(10, 1, 4, 4, device=device), tag="feat"
        )
        with pytest.raises(ValueError, match="2-D"):
            w.add_embedding(ember.randn(2, 2, 2))
    folder = tmp_path / "00000" / "feat"
    rows = [line.split("\t") for line in (folder / "tensors.tsv").read_text().splitlines()]
    np.testing.assert_allclose(np.array(rows, dtype=np.float64), mat.cpu().numpy(), rtol=1e-6)
    assert (folder / "metadata.tsv").read_text().split() == [f"p{i}" for i in range(10)]
    assert (folder / "sprite.png").is_file()
    assert 'tensor_name: "feat:00000"' in (tmp_path / "projector_config.pbtxt").read_text()


def test_events_reach_disk_before_close(tmp_path: Path) -> None:
    w = SummaryWriter(tmp_path / "queue", max_queue=3)
    for step in range(3):
        w.add_scalar("x", step, step)
    assert len(read(tmp_path / "queue").Scalars("x")) == 3  # max_queue events: written without flush() or close()
    t = SummaryWriter(tmp_path / "timer", flush_secs=1)
    t.add_scalar("x", 1.0, 0)
    deadline = time.time() + 10
    while "x" not in read(tmp_path / "timer").Tags()["scalars"]:  # the timer flushes within flush_secs
        assert time.time() < deadline, "the flush timer did not write the event"
        time.sleep(0.2)
    f = SummaryWriter(tmp_path / "flush")
    f.add_scalar("x", 1.0, 0)
    f.flush()
    assert len(read(tmp_path / "flush").Scalars("x")) == 1
    for writer in (w, t, f):
        writer.close()


def test_flushed_at_exit(tmp_path: Path) -> None:
    script = f"""
        from ember.utils.tensorboard import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r})
        w.add_scalar("x", 4.0, 1)
        # no flush, no close
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert read(tmp_path).Scalars("x")[0].value == 4.0


def test_close_reopen_and_purge_step(tmp_path: Path) -> None:
    w = SummaryWriter(tmp_path)
    for step in range(10):
        w.add_scalar("loss", float(step), step)
    w.close()
    w.close()  # twice is fine
    w.add_scalar("after", 1.0, 0)  # a closed writer opens a new file
    w.close()
    assert len([p for p in os.listdir(tmp_path) if "tfevents" in p]) == 2
    # a run restarted at step 5: what the crashed run wrote from step 5 on is hidden
    with SummaryWriter(tmp_path, purge_step=5) as r:
        for step in range(5, 8):
            r.add_scalar("loss", 100.0 + step, step)
    loss = read(tmp_path).Scalars("loss")
    assert [(e.step, e.value) for e in loss] == [(s, float(s)) for s in range(5)] + [
        (s, 100.0 + s) for s in range(5, 8)
    ]


def test_default_log_dir_and_bad_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_exp") as w:
        assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_exp")
        with pytest.raises(TypeError, match="add_scalar.*object"):
            w.add_scalar("x", object())
        with pytest.raises(ValueError, match="one value.*shape \\(2,\\)"):
            w.add_scalar("x", ember.tensor([1.0, 2.0]))
    assert os.path.isdir(w.get_logdir())


def test_add_tensor(tmp_path: Path, device: str) -> None:
    from tensorboard.util import tensor_util

    x = ember.arange(6, dtype=ember.float32, device=device).reshape(2, 3) / 4
    with SummaryWriter(tmp_path) as w:
        w.add_tensor("x", x, 1)
        w.add_tensor("i", np.array([1, -2], np.int64), 2)
        w.add_tensor("h", np.array([0.5, 2.0], np.float16), 3)
        w.add_tensor("b", ember.tensor([True, False], device=device), 4)
    acc = read(tmp_path)
    np.testing.assert_array_equal(tensor_util.make_ndarray(acc.Tensors("x")[0].tensor_proto), x.cpu().numpy())
    for tag, want in (("i", [1, -2]), ("h", [0.5, 2.0]), ("b", [True, False])):
        got = tensor_util.make_ndarray(acc.Tensors(tag)[0].tensor_proto)
        assert got.tolist() == want, tag


def test_missing_extra_is_named(tmp_path: Path) -> None:
    code = "import sys; sys.modules['tensorboardX'] = None; import ember.utils.tensorboard"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "ImportError: ember.utils.tensorboard needs tensorboardX" in proc.stderr
    assert "pip install 'ember-core[tensorboard]'" in proc.stderr


def test_pr_curves(tmp_path: Path, device: str) -> None:
    labels = ember.tensor([0, 1, 1, 0, 1, 1], device=device)
    scores = ember.tensor([0.1, 0.9, 0.8, 0.3, 0.4, 0.7], device=device)
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve("pr", labels, scores, 1, num_thresholds=5)
        n = np.arange(5.0)
        w.add_pr_curve_raw("raw", n, n, n, n, n / 5, n / 5, 2, num_thresholds=5)
        with pytest.raises(ValueError, match="differ in length"):
            w.add_pr_curve_raw("bad", n, n, n, n, n, n[:2])
    acc = read(tmp_path)
    from tensorboard.util import tensor_util

    pr = tensor_util.make_ndarray(acc.Tensors("pr")[0].tensor_proto)
    assert pr.shape == (6, 5) and pr[0, 0] == 4  # row 0: true positives; at threshold 0 every positive is found
    raw = tensor_util.make_ndarray(acc.Tensors("raw")[0].tensor_proto)
    np.testing.assert_allclose(raw[4], np.arange(5.0) / 5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_write_the_parents_events(tmp_path: Path) -> None:
    """A child forked with events still buffered (a DataLoader worker) and exiting normally adds nothing."""
    script = f"""
        import os, sys
        from ember.utils.tensorboard import SummaryWriter
        w = SummaryWriter({str(tmp_path)!r}, max_queue=1000)
        for step in range(5):
            w.add_scalar("x", float(step), step)
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # the interpreter's normal exit: atexit handlers, buffered files flushed
        os.waitpid(pid, 0)
        w.add_scalar("x", 5.0, 5)
        w.close()
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [e.step for e in read(tmp_path).Scalars("x")] == [0, 1, 2, 3, 4, 5]

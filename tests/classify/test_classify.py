"""The main job, as a user runs it: `ember-classify` in a subprocess, its files, its predictions, its errors."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("ember_classify", reason="ember-classify (examples/classify) is not installed")
pytest.importorskip("sklearn", reason="scikit-learn (ember-data[digits]) is not installed")
Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ember_classify", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, backend_name: str, device: str) -> Path:
    """One short run on the bundled digits (10 epochs), on the backend under test."""
    out = tmp_path_factory.mktemp("run")
    proc = run("--epochs", "10", "--quiet", "--device", device, "--out", str(out), cwd=out)
    assert proc.returncode == 0, proc.stderr
    (out / "stdout.txt").write_text(proc.stdout)
    return out


def test_train_writes_every_output(trained: Path) -> None:
    for name in ("samples.png", "best.safetensors", "last.safetensors", "history.csv", "losses.png", "confusion.png",
                 "predictions.csv"):  # fmt: skip
        assert (trained / name).is_file(), name
    assert (trained / "samples.png").read_bytes()[:8] == PNG
    assert (trained / "losses.png").read_bytes()[:8] == PNG
    assert (trained / "confusion.png").read_bytes()[:8] == PNG
    rows = list(csv.DictReader(open(trained / "history.csv")))
    assert len(rows) == 10 and {"epoch", "train_loss", "val_loss", "val_acc"} <= set(rows[0])
    preds = list(csv.DictReader(open(trained / "predictions.csv")))
    assert len(preds) == 359  # 20% of the 1,797 digits
    assert all(p["predicted_label"] in [str(d) for d in range(10)] for p in preds)
    assert all(0.0 <= float(p["confidence"]) <= 1.0 for p in preds)


def test_train_reports_accuracy_and_per_class_metrics(trained: Path) -> None:
    out = (trained / "stdout.txt").read_text()
    assert "test accuracy" in out and "precision" in out and "macro avg" in out
    acc = float(out.split("test accuracy ")[1].split("%")[0])
    assert acc > 90.0  # ten epochs already learn most digits


def test_predict_classifies_image_files(trained: Path, tmp_path: Path, device: str) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    paths = []
    for i in range(20):
        img = Image.fromarray(np.uint8(np.rint(digits.images[i] * 255 / 16)))
        p = tmp_path / f"digit{i}.png"
        img.save(p)
        paths.append(str(p))
    proc = run("predict", str(trained / "best.safetensors"), *paths, "--device", device, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 20
    labels = [line.split("\t")[1] for line in lines]
    assert sum(lab == str(digits.target[i]) for i, lab in enumerate(labels)) >= 16


def _csv_dataset(root: Path, labels: list[str]) -> tuple[Path, Path]:
    """A tiny data set in the seeds' layout: images/<id>.png and a CSV of id,label."""
    rng = np.random.default_rng(0)
    images = root / "images"
    images.mkdir()
    rows = []
    for i in range(60):
        k = i % len(labels)
        arr = np.zeros((8, 8), np.uint8)
        arr[:, k * 2 : k * 2 + 2] = 255  # each class: a bright column band
        arr = np.clip(arr + rng.integers(0, 40, (8, 8)), 0, 255).astype(np.uint8)
        Image.fromarray(arr).save(images / f"img{i}.png")
        rows.append({"id": f"img{i}", "label": labels[k]})
    path = root / "train.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "label"])
        w.writeheader()
        w.writerows(rows)
    return path, images


def test_csv_layout_trains_and_predicts(tmp_path: Path, device: str) -> None:
    labels = ["shirt", "shoe", "bag"]
    csv_path, images = _csv_dataset(tmp_path, labels)
    out = tmp_path / "out"
    proc = run("--csv", str(csv_path), "--images", str(images), "--epochs", "15", "--quiet", "--device", device,
               "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "3 classes" in proc.stdout
    proc = run("predict", str(out / "best.safetensors"), "--csv", str(csv_path), "--images-dir", str(images),
               "--device", device, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    acc = float(proc.stdout.split("accuracy against the CSV's labels: ")[1].split("%")[0])
    assert acc >= 90.0


def test_same_seed_same_history(tmp_path: Path, device: str) -> None:
    """Also with --tensorboard on the second run: logging (graph, sample predictions) leaves training as it is."""
    histories = []
    for run_dir, extra in (("a", []), ("b", ["--tensorboard"] if _has("tensorboardX") else [])):
        out = tmp_path / run_dir
        proc = run(
            "--epochs", "2", "--quiet", "--seed", "3", "--device", device, "--out", str(out), *extra, cwd=tmp_path
        )
        assert proc.returncode == 0, proc.stderr
        rows = list(csv.DictReader(open(out / "history.csv")))
        histories.append([{k: v for k, v in r.items() if k != "seconds"} for r in rows])
    assert histories[0] == histories[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "mnist", "--data-dir", "does-not-exist"], "mnist"),
        (["--image-folder", "does-not-exist"], "no such directory"),
        (["--csv", "missing.csv", "--images", "."], "no such file"),
        (["--device", "nosuchdevice"], "--device nosuchdevice"),
        (["predict", "nothing.safetensors", "x.png"], "no such checkpoint"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_csv_without_the_named_columns(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "bad.csv").write_text("name,class\na,b\n")
    proc = run("--csv", "bad.csv", "--images", "images", cwd=tmp_path)
    assert proc.returncode == 2 and "no column 'id'" in proc.stderr and "Traceback" not in proc.stderr


def test_predict_mistakes(trained: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"not an image")
    proc = run("predict", str(trained / "best.safetensors"), "broken.png", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot read the image" in proc.stderr
    images = tmp_path / "imgs"
    images.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(images / "a.png")
    (tmp_path / "p.csv").write_text("id,label\na,zebra\n")
    proc = run("predict", str(trained / "best.safetensors"), "--csv", "p.csv", "--images-dir", "imgs", cwd=tmp_path)
    assert proc.returncode == 2 and "'zebra'" in proc.stderr and "Traceback" not in proc.stderr


def test_checkpoint_of_another_model_shape(trained: Path, tmp_path: Path) -> None:
    import ember

    ckpt = ember.load(str(trained / "best.safetensors"))
    ckpt["meta"]["model"] = "cnn"  # weights of an MLP, claimed to be a CNN
    ember.save(ckpt, str(tmp_path / "wrong.safetensors"))
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    proc = run("predict", "wrong.safetensors", "a.png", cwd=tmp_path)
    assert proc.returncode == 2 and "not a checkpoint of" in proc.stderr and "Traceback" not in proc.stderr
    assert os.path.exists(trained / "best.safetensors")


def test_export_runs_in_onnxruntime_as_the_readme_shows(trained: Path, tmp_path: Path) -> None:
    """`ember-classify export`, then the README's onnxruntime snippet: Ember's logits, and the right digits."""
    pytest.importorskip("onnx", reason="export needs ember-core[onnx]")
    pytest.importorskip("onnxruntime", reason="the exported file is run with onnxruntime")
    import re

    from ember_classify.cli import _load_checkpoint

    import ember

    proc = run("export", str(trained / "best.safetensors"), "model.onnx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote model.onnx" in proc.stdout and '"image"' in proc.stdout
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "onnxruntime" in b)
    cwd = os.getcwd()
    ns: dict[str, Any] = {}
    try:
        os.chdir(tmp_path)
        exec(compile(block, "README.md", "exec"), ns)
    finally:
        os.chdir(cwd)
    assert (ns["logits"].argmax(1) == ns["digits"].target[:10]).sum() >= 8
    model, meta = _load_checkpoint(str(trained / "best.safetensors"), "cpu")
    x = (ns["pixels"] - meta["mean"]) / meta["std"]
    with ember.no_grad():
        want = model.eval()(ember.from_numpy(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(ns["logits"], want, rtol=1e-5, atol=1e-5)


def test_export_mistakes(trained: Path, tmp_path: Path) -> None:
    proc = run("export", "missing.safetensors", "m.onnx", cwd=tmp_path)
    assert proc.returncode == 2 and "no such checkpoint file" in proc.stderr
    proc = run("export", str(trained / "best.safetensors"), "m.onnx", "--opset", "12", cwd=tmp_path)
    assert proc.returncode == 2 and "opset_version 12 is not supported" in proc.stderr and "Traceback" not in proc.stderr


def _history(out: Path) -> list[dict[str, str]]:
    """history.csv without its timings."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(open(out / "history.csv"))]


def test_log_is_one_line_per_epoch_off_a_terminal(tmp_path: Path, device: str) -> None:
    proc = run("--epochs", "3", "--device", device, "--out", "out", cwd=tmp_path)  # no --quiet: output is captured
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stdout + proc.stderr and "batch/s" not in proc.stderr  # no progress-bar frames
    epochs = [line for line in proc.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert len(proc.stdout.splitlines()) < 30  # the header, three epochs, the report
    # samples.png (random training images with labels) is written before training: before the first checkpoint
    assert (tmp_path / "out" / "samples.png").stat().st_mtime <= (tmp_path / "out" / "best.safetensors").stat().st_mtime


def _board(logdir: Path) -> Any:
    ea = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator", reason="tensorboard is not installed"
    )
    acc = ea.EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_tensorboard_run_reads_back(tmp_path: Path, device: str) -> None:
    pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
    proc = run("--epochs", "2", "--device", device, "--out", "out", "--tensorboard", "tb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    acc = _board(tmp_path / "tb")
    rows = _history(tmp_path / "out")
    for tag, col in (("loss/train", "train_loss"), ("loss/validation", "val_loss"), ("accuracy/train", "train_acc"),
                     ("accuracy/validation", "val_acc")):  # fmt: skip
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [1, 2], tag
        assert [e.value for e in events] == pytest.approx([float(r[col]) for r in rows], rel=1e-6), tag
    lr = acc.Scalars("learning_rate")
    assert [e.step for e in lr] == [1, 2] and lr[0].value > lr[1].value  # cosine schedule
    tags = acc.Tags()
    assert {"weights/1.weight", "gradients/1.weight", "weights/6.bias"} <= set(tags["histograms"])
    assert acc.Histograms("weights/1.weight")[0].histogram_value.num == 64 * 128
    assert [e.step for e in acc.Images("samples/validation")] == [1, 2]
    assert [e.step for e in acc.Images("samples/train")] == [0]
    assert [e.step for e in acc.Images("confusion_matrix/test")] == [2]
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(
        acc.PluginTagToContent("hparams")
    )  # this run
    assert acc.Scalars("hparam/test_accuracy")[0].value > 0.5
    ops = {n.op for n in acc.Graph().node}
    assert {"IO Node", "Parameter", "linear", "relu"} <= ops
    assert [p.name for p in (tmp_path / "tb").iterdir() if p.is_dir()] == []  # one run, no sub-runs


def test_resume_after_a_kill_matches_an_uninterrupted_run(tmp_path: Path, device: str) -> None:
    """Stop a run with a real SIGINT after epoch 2, resume it: the same history and weights as a run never stopped;
    TensorBoard's view of the resumed run has each epoch once (what the stopped run wrote after its state is hidden).
    Enough epochs that the signal always lands before the end, however fast the machine."""
    EPOCHS = 12
    tensorboard = ["--tensorboard"] if _has("tensorboardX") else []
    common = ["--epochs", str(EPOCHS), "--seed", "5", "--device", device, *tensorboard]
    full = run(*common, "--out", "full", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # SIGINT's default action in the child: a shell's background job (CI's, say) starts with it ignored
    proc = subprocess.Popen([sys.executable, "-m", "ember_classify", *common, "--out", "stopped"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(f"epoch   2/{EPOCHS}"):
            proc.send_signal(signal.SIGINT)
            break
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "interrupted; continue with: ember-classify --resume stopped" in err and "Traceback" not in err
    import ember

    stopped_at = ember.load(str(tmp_path / "stopped" / "last.safetensors"))["epoch"]
    assert 2 <= stopped_at < EPOCHS
    resumed = run("--resume", "stopped", "--device", device, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after epoch {stopped_at} of {EPOCHS}" in resumed.stdout
    assert _history(tmp_path / "stopped") == _history(tmp_path / "full")
    for name in ("best.safetensors", "last.safetensors"):
        a, b = ember.load(str(tmp_path / "full" / name)), ember.load(str(tmp_path / "stopped" / name))
        assert a["model"].keys() == b["model"].keys()
        for k in a["model"]:
            np.testing.assert_array_equal(a["model"][k].numpy(), b["model"][k].numpy(), err_msg=f"{name}: {k}")
    assert (tmp_path / "full" / "predictions.csv").read_text() == (tmp_path / "stopped" / "predictions.csv").read_text()
    if tensorboard and _has("tensorboard"):
        full_acc, resumed_acc = _board(tmp_path / "full"), _board(tmp_path / "stopped")
        for tag in ("loss/validation", "learning_rate"):
            assert [(e.step, e.value) for e in resumed_acc.Scalars(tag)] == [
                (e.step, e.value) for e in full_acc.Scalars(tag)
            ]


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_resume_mistakes_are_one_line_errors(trained: Path, tmp_path: Path) -> None:
    import ember

    proc = run("--resume", "nowhere", cwd=tmp_path)
    assert proc.returncode == 2 and "no last.safetensors" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("--resume", str(trained), "--out", "elsewhere", cwd=tmp_path)
    assert proc.returncode == 2 and "drop --out elsewhere" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("--resume", str(trained), "--model", "cnn", cwd=tmp_path)  # another model than the run's
    assert (
        proc.returncode == 2 and "trained with --model mlp, not cnn" in proc.stderr and "Traceback" not in proc.stderr
    )
    state = ember.load(str(trained / "last.safetensors"))
    other = tmp_path / "other"
    other.mkdir()
    state["meta"]["data"]["crc32"] += 1  # a run of other images
    ember.save(state, str(other / "last.safetensors"))
    proc = run("--resume", str(other), cwd=tmp_path)
    assert proc.returncode == 2 and "data set differs" in proc.stderr and "Traceback" not in proc.stderr
    state["meta"]["data"]["crc32"] -= 1
    state["model"] = {k.replace("1.", "9."): v for k, v in state["model"].items()}  # weights of another model
    ember.save(state, str(other / "last.safetensors"))
    proc = run("--resume", str(other), cwd=tmp_path)
    assert proc.returncode == 2 and "not those of a mlp" in proc.stderr and "Traceback" not in proc.stderr


def test_tensorboard_without_the_extra_is_a_one_line_error(tmp_path: Path) -> None:
    code = "import sys; sys.modules['tensorboardX'] = None; from ember_classify.cli import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", code, "--tensorboard"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--tensorboard" in proc.stderr and "ember-core[tensorboard]" in proc.stderr
    assert "data:" not in proc.stdout  # said before loading anything

"""The language program as a user runs it: `ember-charlm` on a tiny corpus the test writes, then `sample`."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ember_charlm", reason="ember-charlm (examples/language) is not installed")

from ember_charlm import corpus
from ember_charlm.model import CharTransformer, Config

import ember

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ember_charlm", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _write_sources(root: Path, files: int = 30) -> None:
    for i in range(files):
        sub = root / f"pkg{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"mod{i}.py").write_text(f"def f{i}(x):\n    return x * {i} + 1\n\n\nclass C{i}:\n    pass\n" * 4)


def test_corpus_splits_by_file_and_windows_shift_by_one(tmp_path: Path) -> None:
    _write_sources(tmp_path)
    text = corpus.load(tmp_path)
    assert text.train_files + text.val_files == 30 and text.val_files > 0 and text.train_files > text.val_files
    x, y = corpus.windows(text.train, np.array([0, 5]), 8)
    assert x.shape == y.shape == (2, 8) and x.dtype == np.int64
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    np.testing.assert_array_equal(x[0], text.train[:8])
    with pytest.raises(corpus.UserError, match="not found"):
        corpus.load(tmp_path / "missing")


def test_model_is_causal(device: str) -> None:
    """Changing a later byte never changes the logits at earlier positions."""
    ember.manual_seed(0)
    model = CharTransformer(Config(context=16, d_model=16, nhead=2, layers=1)).to(device).eval()
    a = np.random.default_rng(0).integers(0, 256, (1, 12))
    b = a.copy()
    b[0, 8] = (b[0, 8] + 1) % 256
    with ember.no_grad():
        la = model(ember.tensor(a, device=device)).numpy()
        lb = model(ember.tensor(b, device=device)).numpy()
    np.testing.assert_allclose(la[0, :8], lb[0, :8], rtol=1e-5, atol=1e-5)
    assert not np.allclose(la[0, 8:], lb[0, 8:])
    with pytest.raises(ValueError, match="longer than the context"):
        model(ember.zeros(1, 17, dtype=ember.int64, device=device))


def test_train_then_sample(tmp_path: Path, device: str) -> None:
    src = tmp_path / "src"
    _write_sources(src)
    out = tmp_path / "run"
    tiny = ["--context", "16", "--d-model", "16", "--nhead", "2", "--layers", "1", "--batch-size", "8"]
    proc = run("--text-dir", str(src), *tiny, "--steps", "30", "--eval-every", "10", "--eval-windows", "8",
               "--device", device, "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("model.safetensors", "history.csv", "curve.png", "samples.txt", "summary.json"):
        assert (out / name).is_file(), name
    assert (out / "curve.png").read_bytes()[:8] == PNG
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert [int(r["step"]) for r in rows] == [10, 20, 30]
    bpc = [float(r["val_bpc"]) for r in rows]
    assert bpc[-1] < 8.0 and bpc[-1] < bpc[0], bpc  # 8 bits/char is a uniform guess over bytes: it learns
    assert "best validation" in proc.stdout
    assert (out / "samples.txt").read_bytes().startswith(b"def ")
    s = run("sample", str(out / "model.safetensors"), "--prompt", "class ", "--length", "20", "--device", device, cwd=tmp_path)
    assert s.returncode == 0, s.stderr
    assert s.stdout.startswith("class ") and len(s.stdout.encode("utf-8", "replace")) >= 20


def test_errors_are_reported_without_tracebacks(tmp_path: Path) -> None:
    proc = run("--text-dir", str(tmp_path / "nope"), cwd=tmp_path)
    assert proc.returncode == 2 and "ember-charlm: error: text folder not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run("sample", str(tmp_path / "missing.safetensors"), cwd=tmp_path)
    assert proc.returncode == 2 and "checkpoint not found" in proc.stderr

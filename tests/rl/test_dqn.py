"""The reinforcement-learning program: the replay buffer and epsilon schedule against closed forms, the TD target
against a hand computation, and `ember-dqn` run for a few episodes as a user would."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ember_dqn", reason="ember-dqn (examples/rl) is not installed")
pytest.importorskip("gymnasium", reason="gymnasium is not installed")

from ember_dqn.agent import Agent, Settings
from ember_dqn.replay import ReplayBuffer

import ember


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ember_dqn", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_replay_buffer_wraps_around() -> None:
    buf = ReplayBuffer(3, 2)
    for i in range(5):
        buf.add(np.full(2, i), i % 2, float(i), np.full(2, i + 1), i == 4)
    assert len(buf) == 3
    assert sorted(buf.reward.tolist()) == [2.0, 3.0, 4.0]  # the two oldest were overwritten
    o, a, r, o2, d = buf.sample(16, np.random.default_rng(0))
    assert o.shape == (16, 2) and set(r.tolist()) <= {2.0, 3.0, 4.0}
    np.testing.assert_array_equal(o2, o + 1)
    np.testing.assert_array_equal(d, (r == 4.0).astype(np.float32))
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(2, 1).sample(1, np.random.default_rng(0))


def test_epsilon_decays_linearly() -> None:
    agent = Agent(4, 2, Settings(eps_start=1.0, eps_end=0.1, eps_steps=100), "cpu", 0)
    for steps, eps in ((0, 1.0), (50, 0.55), (100, 0.1), (1000, 0.1)):
        agent.steps = steps
        assert agent.epsilon() == pytest.approx(eps)


def test_train_step_moves_q_toward_the_td_target(device: str) -> None:
    """One transition repeated: Q(s, a) moves toward r + gamma * (1 - done) * Q_target(s', argmax_a' Q(s', a'))."""
    ember.manual_seed(0)
    s = Settings(batch_size=8, learning_starts=1, lr=1e-2, hidden=8, gamma=0.9)
    agent = Agent(3, 2, s, device, 0)
    obs, nxt = np.array([0.1, -0.2, 0.3], np.float32), np.array([0.0, 0.5, -0.1], np.float32)
    for _ in range(8):
        agent.buffer.add(obs, 1, 1.0, nxt, False)
    with ember.no_grad():
        q_next = agent.q(ember.tensor(nxt[None], device=device)).numpy()[0]
        q_next_t = agent.target(ember.tensor(nxt[None], device=device)).numpy()[0]
        before = agent.q(ember.tensor(obs[None], device=device)).numpy()[0, 1]
    target = 1.0 + 0.9 * q_next_t[int(np.argmax(q_next))]
    agent.train_step()
    with ember.no_grad():
        after = agent.q(ember.tensor(obs[None], device=device)).numpy()[0, 1]
    assert abs(after - target) < abs(before - target)


def test_cli_trains_writes_and_plays(tmp_path: Path, device: str) -> None:
    out = tmp_path / "run"
    proc = run("--episodes", "5", "--learning-starts", "20", "--batch-size", "16", "--hidden", "16",
               "--device", device, "--out", str(out), "--quiet", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("policy.safetensors", "returns.csv", "returns.png", "summary.json"):
        assert (out / name).is_file(), name
    rows = list(csv.DictReader(open(out / "returns.csv")))
    assert [int(r["episode"]) for r in rows] == [1, 2, 3, 4, 5]
    assert all(float(r["return"]) >= 8 for r in rows)  # CartPole lasts at least 8 steps
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 5 and summary["solved_at_episode"] is None and "not solved" in proc.stdout
    p = run("play", str(out / "policy.safetensors"), "--episodes", "2", "--device", device, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "greedy returns" in p.stdout


def test_cli_errors(tmp_path: Path) -> None:
    proc = run("--env", "NoSuchEnv-v9", "--episodes", "1", cwd=tmp_path)
    assert proc.returncode == 2 and "ember-dqn: error: cannot make environment 'NoSuchEnv-v9'" in proc.stderr
    proc = run("--episodes", "0", cwd=tmp_path)
    assert proc.returncode == 2 and "--episodes must be positive" in proc.stderr
    proc = run("play", str(tmp_path / "none.safetensors"), cwd=tmp_path)
    assert proc.returncode == 2 and "checkpoint not found" in proc.stderr

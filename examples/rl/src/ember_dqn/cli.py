"""`ember-dqn`: `train` (the default) runs DQN on CartPole until solved (mean return >= 195 over 100 consecutive
episodes) or out of episodes, and writes a run folder; `play` runs a saved policy greedily."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import ember

from .agent import Agent, Settings

CHECKPOINT = "policy.safetensors"
SOLVED = 195.0


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _gym() -> Any:
    try:
        import gymnasium
    except ImportError as e:  # pragma: no cover - gymnasium is a dependency; kept for broken installs
        raise UserError(f"gymnasium is not installed ({e}); pip install gymnasium") from e
    return gymnasium


def _make_env(name: str, seed: int) -> Any:
    gym = _gym()
    try:
        env = gym.make(name)
    except Exception as e:  # gymnasium raises its own error types for unknown ids
        raise UserError(f"cannot make environment {name!r}: {e}") from e
    if not hasattr(env.action_space, "n"):
        raise UserError(f"{name}: DQN needs a discrete action space, got {env.action_space}")
    env.reset(seed=seed)
    env.action_space.seed(seed)
    return env


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ember-dqn", description=__doc__)
    sub = ap.add_subparsers(dest="command")
    t = sub.add_parser("train", help="train until solved, plot and save (the default)")
    t.add_argument("--env", default="CartPole-v1")
    t.add_argument("--episodes", type=int, default=1000, help="give up after this many episodes (default 1000)")
    t.add_argument("--target-return", type=float, default=SOLVED, help="mean over 100 episodes that counts as solved")
    t.add_argument("--lr", type=float, default=Settings.lr)
    t.add_argument("--gamma", type=float, default=Settings.gamma)
    t.add_argument("--batch-size", type=int, default=Settings.batch_size)
    t.add_argument("--buffer", type=int, default=Settings.buffer)
    t.add_argument("--learning-starts", type=int, default=Settings.learning_starts)
    t.add_argument("--target-every", type=int, default=Settings.target_every)
    t.add_argument("--eps-steps", type=int, default=Settings.eps_steps)
    t.add_argument("--hidden", type=int, default=Settings.hidden)
    t.add_argument("--device", default="cpu", help="cpu, opencl, cuda, ... (default: cpu)")
    t.add_argument("--threads", type=int, default=1,
                   help="CPU compute threads (default 1: the network is too small to gain from more)")  # fmt: skip
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="runs/dqn-cartpole")
    t.add_argument("--quiet", action="store_true", help="print only the summary")
    p = sub.add_parser("play", help="run a saved policy greedily and report the returns")
    p.add_argument("checkpoint")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=1)
    return ap


def _plot(returns: list[float], path: Path, target: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = np.asarray(returns)
    mean100 = [r[max(0, i - 99) : i + 1].mean() for i in range(len(r))]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(r, alpha=0.4, label="episode return")
    ax.plot(mean100, label="mean of last 100")
    ax.axhline(target, color="grey", linestyle=":", linewidth=1, label=f"solved ({target:g})")
    ax.set(xlabel="episode", ylabel="return", title="ember-dqn")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.episodes < 1:
        raise UserError(f"--episodes must be positive, got {args.episodes}")
    ember.manual_seed(args.seed)
    ember.set_num_threads(args.threads)
    env = _make_env(args.env, args.seed)
    settings = Settings(gamma=args.gamma, lr=args.lr, batch_size=args.batch_size, buffer=args.buffer,
                        learning_starts=args.learning_starts, target_every=args.target_every,
                        eps_steps=args.eps_steps, hidden=args.hidden)  # fmt: skip
    obs_dim = int(np.prod(env.observation_space.shape))
    agent = Agent(obs_dim, int(env.action_space.n), settings, args.device, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"env: {args.env} (obs {obs_dim}, {env.action_space.n} actions); DQN on {args.device}, "
          f"solved at a 100-episode mean return >= {args.target_return:g}", flush=True)  # fmt: skip
    returns: list[float] = []
    window: deque[float] = deque(maxlen=100)
    best_mean, solved_at = -np.inf, None
    rows = []
    for episode in range(1, args.episodes + 1):
        obs, _ = env.reset()
        total, losses, done = 0.0, [], False
        while not done:
            action = agent.act(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            loss = agent.observe(obs, action, float(reward), next_obs, bool(terminated))
            if loss is not None:
                losses.append(loss)
            obs, total, done = next_obs, total + float(reward), terminated or truncated
        returns.append(total)
        window.append(total)
        mean = float(np.mean(window))
        rows.append((episode, total, mean, agent.epsilon(), float(np.mean(losses)) if losses else float("nan")))
        if len(window) == 100 and mean > best_mean:
            best_mean = mean
            ember.save({"model": agent.q.state_dict(), "env": args.env, "hidden": settings.hidden,
                        "episode": episode, "mean100": mean}, out / CHECKPOINT)  # fmt: skip
        if not args.quiet and (episode % 10 == 0 or episode == 1):
            print(f"episode {episode:4d}  return {total:6.1f}  mean100 {mean:6.1f}  eps {agent.epsilon():.3f}  "
                  f"steps {agent.steps:6d}  {time.perf_counter() - started:6.1f}s", flush=True)  # fmt: skip
        if len(window) == 100 and mean >= args.target_return:
            solved_at = episode
            break
    if best_mean == -np.inf:  # fewer than 100 episodes: keep the last policy
        ember.save({"model": agent.q.state_dict(), "env": args.env, "hidden": settings.hidden,
                    "episode": len(returns), "mean100": float(np.mean(window))}, out / CHECKPOINT)  # fmt: skip
    with open(out / "returns.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["episode", "return", "mean100", "epsilon", "loss"])
        w.writerows(rows)
    _plot(returns, out / "returns.png", args.target_return)
    seconds = time.perf_counter() - started
    summary = {"solved_at_episode": solved_at, "episodes": len(returns), "env_steps": agent.steps,
               "final_mean100": float(np.mean(window)), "seconds": seconds}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if solved_at is not None:
        print(f"\nsolved at episode {solved_at}: mean return {np.mean(window):.1f} over episodes "
              f"{solved_at - 99}-{solved_at} ({agent.steps} steps, {seconds:.1f}s)")  # fmt: skip
    else:
        print(f"\nnot solved in {len(returns)} episodes: last 100-episode mean {np.mean(window):.1f} ({seconds:.1f}s)")
    print(f"wrote {out / CHECKPOINT}, {out / 'returns.csv'}, {out / 'returns.png'}")
    return 0


def play(args: argparse.Namespace) -> int:
    path = Path(args.checkpoint)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    state = ember.load(path, map_location=args.device)
    env = _make_env(state["env"], args.seed)
    agent = Agent(int(np.prod(env.observation_space.shape)), int(env.action_space.n), Settings(hidden=state["hidden"]),
                  args.device, args.seed)  # fmt: skip
    agent.q.load_state_dict(state["model"])
    returns = []
    for _ in range(args.episodes):
        obs, _ = env.reset()
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs, greedy=True))
            total, done = total + float(reward), terminated or truncated
        returns.append(total)
    print(f"{state['env']}: greedy returns {[int(r) for r in returns]}, mean {np.mean(returns):.1f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "play", "-h", "--help"):
        argv.insert(0, "train")
    args: Any = _parser().parse_args(argv)
    try:
        return train(args) if args.command == "train" else play(args)
    except (UserError, ValueError, ember.BackendError) as e:
        print(f"ember-dqn: error: {e}", file=sys.stderr)
        return 2

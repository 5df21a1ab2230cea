"""The DQN agent: an MLP Q-network, its periodically synced target copy, epsilon-greedy acting and the
Huber-loss TD update (Mnih et al., 2015), with Double-DQN targets."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim

from .replay import ReplayBuffer


def q_network(obs_dim: int, n_actions: int, hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_actions))


@dataclass
class Settings:
    gamma: float = 0.99
    lr: float = 1e-3
    batch_size: int = 64
    buffer: int = 50_000
    learning_starts: int = 1_000
    train_every: int = 1
    target_every: int = 500
    eps_start: float = 1.0
    eps_end: float = 0.02
    eps_steps: int = 10_000
    hidden: int = 128


class Agent:
    def __init__(self, obs_dim: int, n_actions: int, settings: Settings, device: str, seed: int) -> None:
        self.s, self.device, self.n_actions = settings, device, n_actions
        self.q = q_network(obs_dim, n_actions, settings.hidden).to(device)
        self.target = copy.deepcopy(self.q)
        self.target.requires_grad_(False)
        self.opt = optim.Adam(self.q.parameters(), lr=settings.lr)
        self.buffer = ReplayBuffer(settings.buffer, obs_dim)
        self.rng = np.random.default_rng(seed)
        self.steps = 0

    def epsilon(self) -> float:
        """Linear decay from eps_start to eps_end over eps_steps environment steps."""
        frac = min(1.0, self.steps / max(1, self.s.eps_steps))
        return self.s.eps_start + frac * (self.s.eps_end - self.s.eps_start)

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        if not greedy and self.rng.random() < self.epsilon():
            return int(self.rng.integers(self.n_actions))
        with ember.no_grad():
            q = self.q(ember.tensor(obs[None].astype(np.float32), device=self.device))
        return int(q.argmax(1).item())

    def observe(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool) -> float | None:
        """Store a transition, then train and sync the target on schedule; the loss when it trained."""
        self.buffer.add(obs, action, reward, next_obs, terminated)
        self.steps += 1
        loss = None
        if len(self.buffer) >= self.s.learning_starts and self.steps % self.s.train_every == 0:
            loss = self.train_step()
        if self.steps % self.s.target_every == 0:
            self.target.load_state_dict(self.q.state_dict())
        return loss

    def train_step(self) -> float:
        o, a, r, o2, d = self.buffer.sample(self.s.batch_size, self.rng)
        dev = self.device
        obs, next_obs = ember.tensor(o, device=dev), ember.tensor(o2, device=dev)
        actions = ember.tensor(a, device=dev)
        with ember.no_grad():  # Double DQN: the online net picks the action, the target net values it
            best = self.q(next_obs).argmax(1, keepdim=True)
            next_q = self.target(next_obs).gather(1, best).squeeze(1)
            target = ember.tensor(r, device=dev) + self.s.gamma * (1.0 - ember.tensor(d, device=dev)) * next_q
        q = self.q(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q, target)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.q.parameters(), 10.0)
        self.opt.step()
        return loss.item()

"""The model: byte embeddings plus learned positions, a pre-norm causal Transformer, a linear read-out."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember import Tensor

VOCAB = 256  # bytes: the sources are (almost all) ASCII, so a byte is a character


@dataclass
class Config:
    context: int = 128
    d_model: int = 128
    nhead: int = 4
    layers: int = 3
    dropout: float = 0.0

    def asdict(self) -> dict[str, int | float]:
        return asdict(self)


class CharTransformer(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(VOCAB, cfg.d_model)
        self.pos = nn.Embedding(cfg.context, cfg.d_model)
        layer = nn.TransformerEncoderLayer(
            cfg.d_model, cfg.nhead, 4 * cfg.d_model, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, cfg.layers)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, VOCAB)

    def forward(self, idx: Tensor) -> Tensor:
        """Logits (batch, time, 256) for the next byte at every position of `idx` (batch, time)."""
        t = idx.shape[1]
        if t > self.cfg.context:
            raise ValueError(f"CharTransformer: sequence of {t} bytes is longer than the context ({self.cfg.context})")
        pos = ember.arange(t, device=idx.device)
        x = self.tok(idx) + self.pos(pos)
        mask = ember.ones(t, t, dtype=ember.bool, device=idx.device).triu(1)  # True: may not attend
        x = self.blocks(x, mask=mask, is_causal=True)
        return self.head(self.norm(x))

    def loss(self, idx: Tensor, targets: Tensor) -> Tensor:
        """Mean cross-entropy in nats per byte."""
        logits = self(idx)
        return F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))

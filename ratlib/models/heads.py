"""The small heads every method puts on top of an encoder."""
from __future__ import annotations

import torch
from torch import nn


class SelectorHead(nn.Module):
    """Token states -> 2 selection logits (drop, keep): LayerNorm -> Dropout -> Linear."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden_size, 2)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(self.norm(states)))


class ClassifierHead(nn.Module):
    """Pooled representation -> class logits: Dropout -> Linear."""

    def __init__(self, hidden_size: int, n_classes: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden_size, n_classes)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(pooled))


def masked_max_pool(states: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Max over time of (B, T, H) states, ignoring positions where ``valid`` (B, T) is 0."""
    # A large negative rather than -inf keeps an all-padding row finite.
    filled = states.masked_fill(valid.unsqueeze(-1) == 0, -1e6)
    return filled.max(dim=1).values

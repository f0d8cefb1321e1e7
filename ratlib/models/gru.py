"""Static word vectors and a bidirectional GRU over them.

Padding must not change a text's states. The forward direction reads left
to right, so right padding never reaches a real token. The backward
direction is run as a second left-to-right GRU on each text reversed
*within its own length* (padding stays at the end), then its states are put
back in order. This gives exactly what a packed bidirectional GRU gives,
without packing: on CPU the backward pass of a packed GRU is about three
times slower than the plain fused one, and with length-bucketed batches the
little padding left costs almost nothing.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class FrozenEmbedding(nn.Module):
    """A fixed word-vector table; row 0 is the zero vector (padding and unknown words)."""

    def __init__(self, vectors):
        super().__init__()
        table = torch.as_tensor(vectors if torch.is_tensor(vectors) else np.asarray(vectors),
                                dtype=torch.float32)
        if table.dim() != 2 or table.shape[0] < 2:
            raise ValueError(f"word vectors must be a (vocabulary, dim) matrix with at least 2 rows, got shape "
                             f"{tuple(table.shape)}")
        if torch.count_nonzero(table[0]) != 0:
            raise ValueError("word vectors: row 0 must be the zero vector (it stands for padding and "
                             "out-of-vocabulary words)")
        self.embedding = nn.Embedding.from_pretrained(table, freeze=True, padding_idx=0)

    @property
    def dim(self) -> int:
        return self.embedding.embedding_dim

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(input_ids)


def reverse_within_length(attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T) gather index that reverses each right-padded row's first ``length`` positions.

    Padding positions map to themselves; applying the index twice is the identity.
    """
    batch, total = attention_mask.shape
    lengths = attention_mask.sum(dim=1).long().unsqueeze(1)
    positions = torch.arange(total, device=attention_mask.device).unsqueeze(0).expand(batch, total)
    return torch.where(positions < lengths, lengths - 1 - positions, positions)


def _gather_time(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


class BiGRU(nn.Module):
    """One-layer bidirectional GRU, ``hidden_size`` units per direction, blind to right padding."""

    def __init__(self, input_size: int, hidden_size: int = 100):
        super().__init__()
        self.hidden_size = hidden_size
        self.forward_gru = nn.GRU(input_size, hidden_size, batch_first=True)
        self.backward_gru = nn.GRU(input_size, hidden_size, batch_first=True)

    @property
    def output_size(self) -> int:
        return 2 * self.hidden_size

    def forward(self, inputs: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """States (B, T, 2*hidden) of right-padded ``inputs`` (B, T, d); zeros on padding.

        The first ``hidden`` features read left to right, the last right to left.
        """
        index = reverse_within_length(attention_mask)
        ahead = self.forward_gru(inputs)[0]
        behind = _gather_time(self.backward_gru(_gather_time(inputs, index))[0], index)
        states = torch.cat([ahead, behind], dim=-1)
        return states * attention_mask.unsqueeze(-1).to(states.dtype)

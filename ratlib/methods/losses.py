"""The objectives' terms, as pure functions of masks, logits and representations.

Masks are (B, T) float tensors; a ``valid`` mask marks the positions that
count (1) and those that do not (0).
"""
from __future__ import annotations

import math

import torch


def sparsity_loss(mask: torch.Tensor, valid: torch.Tensor, target: float) -> torch.Tensor:
    """``|sum(Z * valid) / sum(valid) - target|``: one selection ratio for the whole batch."""
    return torch.abs((mask * valid).sum() / valid.sum() - target)


def continuity_loss(mask: torch.Tensor, window: int | None = None) -> torch.Tensor:
    """Mean absolute change between neighbouring positions, ``mean_{b,t} |Z_t - Z_{t-1}|``.

    With ``window``, the mean runs over ``window - 1`` steps per row, as if the (B, T) mask were
    padded with zeros to ``window`` positions (the official GRU code pads every batch to 256):
    the same sum over a fixed denominator, so short batches are not weighed more.
    """
    steps = torch.abs(mask[:, 1:] - mask[:, :-1])
    if window is None:
        return steps.mean()
    if mask.shape[1] > window:
        raise ValueError(f"continuity_window = {window}: the batch is {mask.shape[1]} positions wide; "
                         "the window must cover the longest text (max_len)")
    # The step from the last column into the zero padding counts too.
    return (steps.sum() + mask[:, -1].abs().sum() * (mask.shape[1] < window)) / (mask.shape[0] * (window - 1))


def selection_rate(mask: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Share of valid positions selected in the batch (0..1)."""
    return (mask * valid).sum() / valid.sum().clamp(min=1)


def plmr_levels(alpha: float, n_levels: int) -> list[float]:
    """PLMR's per-layer sparsity targets, falling from about 1 to exactly ``alpha``.

    ``level_j = ln((exp(alpha) * (j + 1) + e * (K - j - 1)) / K)`` for j = 0..K-1.
    """
    if n_levels < 1:
        raise ValueError(f"PLMR needs at least one pruning layer, got {n_levels}")
    k = n_levels
    return [math.log((math.exp(alpha) * (j + 1) + math.e * (k - j - 1)) / k) for j in range(k)]


def plmr_sparsity_loss(masks: list[torch.Tensor], attention_mask: torch.Tensor,
                       levels: list[float]) -> torch.Tensor:
    """``sum_j | sum(M_j without [CLS]) / sum(attention_mask) - level_j |``.

    Each mask is (B, T) with [CLS] in column 0; the denominator counts every
    non-padding position, [CLS] and [SEP] included (as in the official code).
    """
    if len(masks) != len(levels):
        raise ValueError(f"{len(masks)} masks but {len(levels)} levels")
    total = attention_mask.sum()
    return sum(torch.abs(m[:, 1:].sum() / total - level) for m, level in zip(masks, levels))


def plmr_continuity_loss(masks: list[torch.Tensor]) -> torch.Tensor:
    """``sum_j mean|M_j[t] - M_j[t-1]|`` over the masks without their [CLS] column."""
    return sum(continuity_loss(m[:, 1:]) for m in masks)


def plmr_classification_loss(pruned_ce: torch.Tensor, full_ce: torch.Tensor | None, *, cls_lambda: float,
                             full_text_lambda: float, d_lambda: float) -> torch.Tensor:
    """Official PLMR total of the two cross-entropies.

    ``cls_lambda * L_r + F * L_full + D * (L_r - L_full)``; with the defaults
    (1, 2, 1) this is ``2 * L_r + L_full``. Without a full-text term, ``cls_lambda * L_r``.
    """
    if full_ce is None:
        return cls_lambda * pruned_ce
    return cls_lambda * pruned_ce + full_text_lambda * full_ce + d_lambda * (pruned_ce - full_ce)


def representation_norm(pooled: torch.Tensor) -> torch.Tensor:
    """Per-example L2 norm ``||Enc(X * Z)||_2`` (computed in float32)."""
    return torch.linalg.vector_norm(pooled.float(), ord=2, dim=-1)


def norm_loss(pooled: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """N2R's term (before its weight): ``-mean_batch log(eps + ||Enc(X * Z)||_2)``."""
    return -torch.log(eps + representation_norm(pooled)).mean()

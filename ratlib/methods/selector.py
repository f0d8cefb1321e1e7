"""Turning selection logits into a 0/1 rationale mask.

Logits have a last dimension of 2 (drop, keep). Training draws Gumbel noise
and uses the straight-through estimator: the forward value is a hard 0/1
mask, the backward pass uses the gradient of the soft keep-probability
(as ``gumbel_softmax(logits, tau, hard=True)[..., 1]``). Evaluation takes the
argmax by default; sampling at evaluation is a flag, because the FR/N2R
family evaluates with samples.
"""
from __future__ import annotations

import torch


def _gumbel_soft_keep(logits: torch.Tensor, tau: float) -> torch.Tensor:
    logits = logits.float()  # sampling in bf16 would be too coarse
    gumbels = -torch.empty_like(logits).exponential_().log()
    return ((logits + gumbels) / tau).softmax(dim=-1)[..., 1]


def straight_through_gumbel(logits: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """Hard 0/1 keep-mask (float32) with the soft sample's gradient."""
    soft = _gumbel_soft_keep(logits, tau)
    hard = (soft > 0.5).to(soft.dtype)
    # hard + (soft - soft.detach()) is exactly 0/1 in the forward pass.
    return hard + (soft - soft.detach())


def argmax_select(logits: torch.Tensor) -> torch.Tensor:
    """Keep a token when its keep-logit is larger (no noise, no gradient)."""
    return (logits[..., 1] > logits[..., 0]).float()


def select(logits: torch.Tensor, *, training: bool, sample: bool = False, tau: float = 1.0) -> torch.Tensor:
    """The mask a method uses: straight-through samples in training; argmax or samples otherwise."""
    if training:
        return straight_through_gumbel(logits, tau)
    if sample:
        return (_gumbel_soft_keep(logits, tau) > 0.5).float()
    return argmax_select(logits)

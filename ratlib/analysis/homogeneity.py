"""Token homogeneity: how alike the token vectors of one sentence are, layer by layer.

PLMR (Yuan et al., KDD 2025, Fig. 2) measures, for every sentence, the trace of
the covariance matrix of its token vectors in a layer, tr(Sigma), and averages
it over sentences: the smaller it is, the closer the tokens sit to their
sentence's mean, i.e. the more homogeneous they are.

Everything here is a pure function of tensors:

* ``states`` (B, T, H): one layer's token vectors for a batch of sentences;
* ``mask``   (B, T):    1 on the tokens that count. Callers exclude padding and
  the special tokens ([CLS]/[SEP], <s>/</s>) so that only word pieces count.

Per sentence with tokens x_1..x_n and mean m:

* ``trace``      tr(Sigma) = (1/n) sum_i ||x_i - m||^2 (population covariance);
* ``cosine``     mean over ordered pairs i != j of cos(x_i, x_j);
* ``sq_norm``    (1/n) sum_i ||x_i||^2, the tokens' mean squared length;
* ``relative_spread`` tr(Sigma) / ((1/n) sum_i ||x_i||^2), in [0, 1]: the share of
  the tokens' squared length that is not explained by the sentence mean. It
  does not depend on the scale of the vectors, so encoders of different
  widths and norms can be compared (the raw trace cannot).

A sentence with fewer than two counted tokens has no pairs: its cosine is NaN
and :func:`layer_summary` leaves it out of the averages.

Sums run in float64: the trace is a difference of nearly equal large numbers
when the tokens are homogeneous.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

METRICS = ("trace", "cosine", "relative_spread", "sq_norm")


def _checked(states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if states.dim() != 3:
        raise ValueError(f"states must be (batch, tokens, hidden), got shape {tuple(states.shape)}")
    if mask.shape != states.shape[:2]:
        raise ValueError(f"mask shape {tuple(mask.shape)} does not match states {tuple(states.shape[:2])}")
    return states.detach().to(torch.float64), mask.detach().to(torch.float64)


def sentence_trace(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B,) tr(Sigma) of each sentence's counted tokens (0 for a single token, NaN for none)."""
    x, m = _checked(states, mask)
    n = m.sum(1)
    mean = (x * m[..., None]).sum(1) / n[:, None]
    squared = ((x - mean[:, None, :]) ** 2).sum(-1)
    return (squared * m).sum(1) / n


def sentence_cosine(states: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(B,) mean cosine similarity over pairs of distinct counted tokens (NaN if n < 2).

    Uses ||sum_i u_i||^2 = sum_i ||u_i||^2 + sum_{i != j} u_i . u_j for unit
    vectors u_i, so the cost is linear in the number of tokens. A zero vector
    has cosine 0 with everything.
    """
    x, m = _checked(states, mask)
    norms = x.norm(dim=-1, keepdim=True)
    units = torch.where(norms > eps, x / norms.clamp_min(eps), torch.zeros_like(x)) * m[..., None]
    total = units.sum(1)
    self_terms = (units ** 2).sum((1, 2))
    n = m.sum(1)
    pairs = n * (n - 1)
    cos = ((total ** 2).sum(-1) - self_terms) / pairs.clamp_min(1)
    return torch.where(pairs > 0, cos, torch.full_like(cos, float("nan")))


def sentence_sq_norm(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B,) mean squared length of each sentence's counted tokens."""
    x, m = _checked(states, mask)
    return ((x ** 2).sum(-1) * m).sum(1) / m.sum(1)


def sentence_relative_spread(states: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(B,) tr(Sigma) divided by the mean squared token norm (0 = all tokens equal, 1 = mean is 0)."""
    mean_sq_norm = sentence_sq_norm(states, mask)
    trace = sentence_trace(states, mask)
    return torch.where(mean_sq_norm > eps, trace / mean_sq_norm.clamp_min(eps), torch.zeros_like(trace))


def sentence_metrics(states: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """All per-sentence metrics of one layer, each (B,)."""
    return {
        "trace": sentence_trace(states, mask),
        "cosine": sentence_cosine(states, mask),
        "relative_spread": sentence_relative_spread(states, mask),
        "sq_norm": sentence_sq_norm(states, mask),
    }


def layer_summary(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation and count of per-sentence values, NaNs left out."""
    kept = [float(v) for v in values if not math.isnan(float(v))]
    n = len(kept)
    if n == 0:
        return {"mean": float("nan"), "std": float("nan"), "n": 0}
    mean = sum(kept) / n
    var = sum((v - mean) ** 2 for v in kept) / (n - 1) if n > 1 else 0.0
    return {"mean": mean, "std": math.sqrt(var), "n": n}


def rise(curve: Sequence[float]) -> dict[str, float | int]:
    """Where a per-layer homogeneity curve (higher = more homogeneous) goes up.

    Returns the layer of its minimum, the layer after the largest one-layer
    increase (``steepest``), the first layer at or after the minimum whose
    value reaches half-way from the minimum to the maximum reached after it
    (``halfway``), and the total rise from the minimum to the last layer.
    """
    values = [float(v) for v in curve]
    if len(values) < 2:
        raise ValueError(f"need at least two layers, got {len(values)}")
    low = min(range(len(values)), key=values.__getitem__)
    steps = [values[i + 1] - values[i] for i in range(len(values) - 1)]
    steepest = max(range(len(steps)), key=steps.__getitem__) + 1
    peak = max(values[low:])
    target = values[low] + 0.5 * (peak - values[low])
    halfway = next(i for i in range(low, len(values)) if values[i] >= target)
    return {"minimum_layer": low, "steepest_layer": steepest, "halfway_layer": halfway,
            "rise_to_last": values[-1] - values[low]}

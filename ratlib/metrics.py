"""Rationale and prediction metrics, as pure functions.

Micro-averaged over all tokens of the annotated set (protocol.md):
TP = sum(pred * gold), P = TP / sum(pred), R = TP / sum(gold),
F1 = 2PR / (P + R), S = sum(pred) / sum(tokens); all reported in percent.

Failure rate (PLMR Table 1): the share of texts with a non-empty gold
rationale whose predicted rationale has no overlap with it (TP = 0; an
empty selection counts as a failure).

Work is split in two steps so batches can be accumulated cheaply:
:func:`tally` counts one batch, ``Tally`` objects add up, :func:`summarize`
turns a total into percentages.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

METRIC_KEYS = ("S", "acc", "P", "R", "F1", "failure_rate")


@dataclass(frozen=True)
class Tally:
    """Sufficient statistics for every metric of a set of texts."""

    true_pos: float = 0.0      # selected tokens that are gold
    selected: float = 0.0      # selected tokens
    gold: float = 0.0          # gold tokens
    tokens: float = 0.0        # real (non-pad) tokens
    correct: int = 0           # correctly classified texts
    texts: int = 0             # texts
    failures: int = 0          # texts with gold but no overlap
    gold_texts: int = 0        # texts with a non-empty gold rationale

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(**{k: v + getattr(other, k) for k, v in asdict(self).items()})


def _as_array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def tally(pred, gold, valid, labels=None, predicted_labels=None, annotated=None) -> Tally:
    """Counts for a batch of texts.

    ``pred``, ``gold`` and ``valid`` are (B, T) 0/1 arrays (``valid`` marks the
    tokens that count: not padding, not special tokens); ``labels`` and
    ``predicted_labels`` are (B,) class ids, optional. ``annotated`` (B,)
    marks the texts that carry a gold rationale: only their tokens enter the
    rationale metrics (S included), while accuracy counts every text
    (HateXplain annotates only its toxic posts).
    """
    pred, gold, valid = (_as_array(a) for a in (pred, gold, valid))
    if pred.shape != gold.shape or pred.shape != valid.shape:
        raise ValueError(f"pred, gold and valid must have one shape, got {pred.shape}, {gold.shape}, {valid.shape}")
    if annotated is not None:
        valid = valid * _as_array(annotated)[:, None]
    pred = pred * valid
    gold = gold * valid
    tp_per_text = (pred * gold).sum(axis=-1)
    has_gold = gold.sum(axis=-1) > 0
    correct = texts = 0
    if labels is not None and predicted_labels is not None:
        labels, predicted_labels = _as_array(labels), _as_array(predicted_labels)
        correct = int((labels == predicted_labels).sum())
        texts = int(labels.shape[0])
    return Tally(
        true_pos=float(tp_per_text.sum()),
        selected=float(pred.sum()),
        gold=float(gold.sum()),
        tokens=float(valid.sum()),
        correct=correct,
        texts=texts,
        failures=int((has_gold & (tp_per_text == 0)).sum()),
        gold_texts=int(has_gold.sum()),
    )


def _pct(num: float, den: float) -> float:
    return 100.0 * num / den if den else 0.0


def precision_recall_f1(true_pos: float, selected: float, gold: float) -> tuple[float, float, float]:
    """Micro P, R, F1 in percent (0 where undefined)."""
    p = _pct(true_pos, selected)
    r = _pct(true_pos, gold)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def summarize(t: Tally) -> dict[str, float]:
    """S, acc, P, R, F1 and failure_rate, all in percent."""
    p, r, f1 = precision_recall_f1(t.true_pos, t.selected, t.gold)
    return {
        "S": _pct(t.selected, t.tokens),
        "acc": _pct(t.correct, t.texts),
        "P": p,
        "R": r,
        "F1": f1,
        "failure_rate": _pct(t.failures, t.gold_texts),
    }


def rationale_metrics(pred, gold, valid, labels=None, predicted_labels=None, annotated=None) -> dict[str, float]:
    """:func:`summarize` of :func:`tally` for one set of texts."""
    return summarize(tally(pred, gold, valid, labels, predicted_labels, annotated))


def plmr_code_tally(kept, gold, attention, labels=None, predicted_labels=None, annotated=None) -> Tally:
    """Word-piece counts as the PLMR authors' evaluation makes them.

    Their code counts every kept position but [CLS] as selected ([SEP] too, when
    the selector keeps it) and divides by all real positions, specials included,
    for S; gold pieces are those of gold words. ``kept`` must already be 0 on
    [CLS] and padding. The numbers differ from ratlib's piece level only through
    the special tokens.
    """
    return tally(kept, gold, attention, labels, predicted_labels, annotated)

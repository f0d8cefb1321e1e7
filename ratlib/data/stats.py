"""Per-split statistics of a dataset, as the trainer sees it."""
from __future__ import annotations

from typing import Sequence

from .record import Example, Splits


def split_stats(examples: Sequence[Example]) -> dict:
    """n, class counts, mean length in tokens, and the gold rationale share.

    ``rationale_share`` is the percent of tokens inside the gold rationale,
    over the annotated examples (after truncation); ``None`` when the split
    has no annotation (Beer's train and dev files). Graphs: nodes are the
    tokens, and graphs, nodes, edges and motif share are added.
    """
    if examples and getattr(examples[0], "is_graph", False):
        from .graphs import graph_split_stats

        return graph_split_stats(examples)
    n = len(examples)
    n_pos = sum(1 for ex in examples if ex.label == 1)
    annotated = [ex for ex in examples if ex.annotated]
    share = None
    if annotated:
        gold = sum(sum(ex.mask()) for ex in annotated)
        share = 100.0 * gold / sum(len(ex.tokens) for ex in annotated)
    return {
        "n": n,
        "n_pos": n_pos,
        "n_neg": n - n_pos,
        "mean_len": sum(len(ex.tokens) for ex in examples) / n if n else 0.0,
        "rationale_share": share,
    }


def dataset_stats(splits: Splits) -> dict:
    return {name: split_stats(examples) for name, examples in splits.items()}


def gold_lost_to_truncation(examples: Sequence[Example], max_len: int) -> float | None:
    """Percent of the annotated examples' gold rationale tokens that truncating to ``max_len`` tokens cuts off.

    Pass examples loaded with a larger ``max_len`` than the one asked about (e.g. the default 256), or
    the answer is 0 by construction. ``None`` when no example is annotated.
    """
    gold = kept = 0
    for ex in examples:
        if ex.annotated:
            mask = ex.mask()
            gold += sum(mask)
            kept += sum(mask[:max_len])
    return None if not gold else 100.0 * (gold - kept) / gold

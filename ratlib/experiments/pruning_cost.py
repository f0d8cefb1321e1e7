"""What dropping pruned tokens saves: PLMR's step time, dense (paper) and with ``plmr_drop_pruned``.

Both are timed on the same batch next to a plain training step of the same
encoder (method ``fulltext``: the whole text through every layer once). To
time them at the selection a trained PLMR makes, each pruning layer keeps a
fixed share of the tokens still kept, the shares that reach PLMR's levelled
targets for the sparsity ``alpha`` (e.g. 74 % then 54 % for alpha 0.4 on
MiniLM's two pruning layers), drawn at random with a straight-through
gradient as Gumbel selection passes it. The three steps are timed in turn,
``repeats`` rounds after a warm-up, so load on the machine falls on all of
them alike; medians are reported. ``benchmarks/plmr_pruning.py`` is the
command line; chapter 3 reads the stored result (:func:`benchmark_need`).
"""
from __future__ import annotations

import statistics

from .needs import Need, stored_need

STEPS = ("plain step (fulltext)", "PLMR, dense (paper)", "PLMR, pruned tokens dropped")


def _keep_shares(alpha: float, n_levels: int) -> list[float]:
    """Share of the still-kept tokens each pruning layer keeps so the cumulative masks hit PLMR's levels."""
    from ..methods.losses import plmr_levels

    levels = [1.0, *plmr_levels(alpha, n_levels)]
    return [min(1.0, later / earlier) for earlier, later in zip(levels, levels[1:])]


def _fixed_share_select(shares: list[float], generator):
    """A stand-in for Gumbel selection: the next share of tokens kept at random, straight-through gradient."""
    import torch

    calls = {"n": 0}

    def select(logits, training=True, sample=False, tau=1.0):
        share = shares[calls["n"] % len(shares)]
        calls["n"] += 1
        soft = torch.softmax(logits.float(), dim=-1)[..., 1]
        hard = (torch.rand(soft.shape, generator=generator) < share).to(soft.dtype)
        return hard + soft - soft.detach()

    return select


def measure(encoder: str, dataset: str, alphas: list[float], repeats: int, batch_size: int) -> list[dict]:
    import torch

    from ..data.registry import DataConfig
    from ..methods import MethodConfig
    from ..methods import plmr as plmr_module
    from ..train import TrainConfig
    from .step_timing import first_batch, time_in_turn

    data = DataConfig(name=dataset, balance_dev=True, max_train=batch_size)
    rows = []
    for alpha in alphas:
        methods = (MethodConfig(method="fulltext", encoder=encoder),
                   MethodConfig(method="plmr", encoder=encoder, sparsity=alpha),
                   MethodConfig(method="plmr", encoder=encoder, sparsity=alpha, plmr_drop_pruned=True))
        steps = {name: first_batch(TrainConfig(data=data, method=method, batch_size=batch_size, epochs=1))
                 for name, method in zip(STEPS, methods)}
        split = steps[STEPS[1]][0].split
        shares = _keep_shares(alpha, split[1] - split[0])

        def fix_selection(round_, name):
            # every step of a round prunes the same random tokens
            plmr_module.select = _fixed_share_select(shares, torch.Generator().manual_seed(round_))

        original = plmr_module.select
        try:
            times = time_in_turn(steps, repeats, before_step=fix_selection)
        finally:
            plmr_module.select = original
        plain = statistics.median(times[STEPS[0]])
        tokens = int(steps[STEPS[0]][1]["attention_mask"].sum())
        for name, seconds in times.items():
            rows.append({"alpha": alpha, "keep shares per pruning layer": [round(s, 3) for s in shares],
                         "step": name, "median s": round(statistics.median(seconds), 4),
                         "x plain step": round(statistics.median(seconds) / plain, 3),
                         "rounds": repeats, "batch": batch_size, "real tokens": tokens, "split": list(split)})
    return rows


def benchmark_need(encoder: str = "minilm", dataset: str = "hatexplain", alphas=(0.4, 0.2), repeats: int = 7,
                   batch_size: int = 32) -> Need:
    """The stored benchmark (kind ``benchmarks``), measured here when absent (``ratlib sweep`` does that)."""
    from .step_timing import on_one_thread

    config = {"benchmark": "plmr_pruning", "encoder": encoder, "dataset": dataset, "alphas": list(alphas),
              "repeats": repeats, "batch": batch_size, "threads": 1}
    return stored_need("benchmarks", config, f"PLMR pruning step-time benchmark ({encoder}, {dataset})",
                       lambda: on_one_thread(lambda: measure(encoder, dataset, list(alphas), repeats, batch_size)))

"""Timing training steps against each other: the loop both step-time benchmarks share.

Steps are timed in turn, one round after another, after a warm-up round, so
load on the machine falls on every step alike; callers report medians. The
benchmarks run on one torch thread, as the stored runs they are compared
with do.
"""
from __future__ import annotations

import os
import time
from typing import Callable


def first_batch(config):
    """A training config's prepared method and its first (unshuffled) training batch."""
    from ..data.batching import make_loader
    from ..train import prepare

    prep = prepare(config)
    batch = next(iter(make_loader(prep.tables["train"], prep.pad_id, config.batch_size, shuffle=False, seed=0)))
    return prep.method, batch


def time_in_turn(steps: dict, repeats: int, before_step: Callable[[int, str], None] | None = None) -> dict:
    """Seconds of ``repeats`` timed training steps per name in ``steps`` (name -> (method, batch)).

    ``before_step(round, name)`` runs before each step, outside the timed region (e.g. to fix a selection).
    """
    times = {name: [] for name in steps}
    for round_ in range(repeats + 1):
        for name, (method, batch) in steps.items():
            if before_step is not None:
                before_step(round_, name)
            started = time.perf_counter()
            method.train_step(batch)
            if round_:   # round 0 warms up
                times[name].append(time.perf_counter() - started)
    return times


def on_one_thread(measure: Callable[[], list[dict]]) -> dict:
    """``measure()``'s rows on one torch thread, with the load average at the end (stored with the rows)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = measure()
    finally:
        torch.set_num_threads(threads)
    return {"rows": rows, "load_average_at_end": " ".join(f"{v:.2f}" for v in os.getloadavg())}

"""What a larger transformer would cost: one plain training step of each encoder on the same texts.

Chapter 3 trains MiniLM (6 layers, 384 wide). MPNet (12 layers, 768 wide: the
depth and width of BERT-base) did not fit the chapter's compute, so the chapter
states what it would cost: the ratio of the two encoders' step times, measured
here, times the training time of the chapter's stored MiniLM runs. The steps
are a plain fine-tuning step (method ``fulltext``: the whole text through every
layer once) on the same batch, timed in turn for ``repeats`` rounds after a
warm-up, so load on the machine falls on every encoder alike; medians are
reported. A rationalizer's step is a fixed number of such passes whatever the
encoder, so the plain step's ratio carries over to it.
"""
from __future__ import annotations

import statistics
import time

from .needs import Need, stored_need


def measure(encoders: list[str], dataset: str, repeats: int, batch_size: int) -> list[dict]:
    from ..data.batching import make_loader
    from ..data.registry import DataConfig
    from ..methods import MethodConfig
    from ..train import TrainConfig, prepare

    data = DataConfig(name=dataset, balance_dev=True, max_train=batch_size)
    steps = {}
    for encoder in encoders:
        prep = prepare(TrainConfig(data=data, method=MethodConfig(method="fulltext", encoder=encoder),
                                   batch_size=batch_size, epochs=1))
        batch = next(iter(make_loader(prep.tables["train"], prep.pad_id, batch_size, shuffle=False, seed=0)))
        steps[encoder] = (prep.method, batch)
    times = {encoder: [] for encoder in encoders}
    for round_ in range(repeats + 1):
        for encoder, (method, batch) in steps.items():
            started = time.perf_counter()
            method.train_step(batch)
            if round_:   # round 0 warms up
                times[encoder].append(time.perf_counter() - started)
    base = statistics.median(times[encoders[0]])
    return [{"encoder": encoder, "median s": round(statistics.median(seconds), 4),
             f"x {encoders[0]}": round(statistics.median(seconds) / base, 3), "rounds": repeats,
             "batch": batch_size, "pieces": int(steps[encoder][1]["attention_mask"].sum())}
            for encoder, seconds in times.items()]


def benchmark_need(encoders=("minilm", "mpnet"), dataset: str = "hatexplain", repeats: int = 5,
                   batch_size: int = 32) -> Need:
    """The stored benchmark (kind ``benchmarks``), measured here when absent (``ratlib sweep`` does that)."""
    import os

    config = {"benchmark": "encoder_step", "encoders": list(encoders), "dataset": dataset, "repeats": repeats,
              "batch": batch_size, "threads": 1}

    def compute():
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            rows = measure(list(encoders), dataset, repeats, batch_size)
        finally:
            torch.set_num_threads(threads)
        return {"rows": rows, "load_average_at_end": " ".join(f"{v:.2f}" for v in os.getloadavg())}

    return stored_need("benchmarks", config, f"step time of {' vs '.join(encoders)} ({dataset})", compute)


def step_ratio(benchmark: dict, encoder: str) -> float:
    """How many times the first encoder's step ``encoder``'s step takes, from a stored benchmark."""
    base = benchmark["rows"][0]["median s"]
    return next(row["median s"] for row in benchmark["rows"] if row["encoder"] == encoder) / base


def estimate(benchmark: dict, results: list[dict], encoder: str) -> list[dict]:
    """Per method (first seed of each stored run of the benchmark's base encoder): the run's training time
    and what the same run would take with ``encoder``, in CPU-minutes (times the run's torch threads)."""
    base = benchmark["rows"][0]["encoder"]
    ratio = step_ratio(benchmark, encoder)
    out, seen = [], set()
    for r in sorted(results, key=lambda r: r["config"]["seed"]):
        cfg = r["config"]
        name = cfg["method"]["method"] + (" (pruned tokens dropped)" if cfg["method"].get("plmr_drop_pruned") else "")
        if cfg["method"]["encoder"] != base or name in seen:
            continue
        seen.add(name)
        threads = (r.get("machine") or {}).get("torch_threads") or 1
        minutes = sum(h["epoch_time_s"] for h in r["history"]) * threads / 60
        out.append({"run": name, "epochs": cfg["epochs"], f"{base} CPU-min (stored, seed {cfg['seed']})":
                    round(minutes, 1), f"{encoder} CPU-min (estimated)": round(minutes * ratio, 1)})
    return out

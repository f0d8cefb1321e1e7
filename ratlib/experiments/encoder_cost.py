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

from .needs import Need, stored_need


def measure(encoders: list[str], dataset: str, repeats: int, batch_size: int) -> list[dict]:
    from ..data.registry import DataConfig
    from ..methods import MethodConfig
    from ..train import TrainConfig
    from .step_timing import first_batch, time_in_turn

    data = DataConfig(name=dataset, balance_dev=True, max_train=batch_size)
    steps = {encoder: first_batch(TrainConfig(data=data, method=MethodConfig(method="fulltext", encoder=encoder),
                                              batch_size=batch_size, epochs=1))
             for encoder in encoders}
    times = time_in_turn(steps, repeats)
    base = statistics.median(times[encoders[0]])
    return [{"encoder": encoder, "median s": round(statistics.median(seconds), 4),
             f"x {encoders[0]}": round(statistics.median(seconds) / base, 3), "rounds": repeats,
             "batch": batch_size, "pieces": int(steps[encoder][1]["attention_mask"].sum())}
            for encoder, seconds in times.items()]


def benchmark_need(encoders=("minilm", "mpnet"), dataset: str = "hatexplain", repeats: int = 5,
                   batch_size: int = 32) -> Need:
    """The stored benchmark (kind ``benchmarks``), measured here when absent (``ratlib sweep`` does that)."""
    from .step_timing import on_one_thread

    config = {"benchmark": "encoder_step", "encoders": list(encoders), "dataset": dataset, "repeats": repeats,
              "batch": batch_size, "threads": 1}
    return stored_need("benchmarks", config, f"step time of {' vs '.join(encoders)} ({dataset})",
                       lambda: on_one_thread(lambda: measure(list(encoders), dataset, repeats, batch_size)))


def step_ratio(benchmark: dict, encoder: str) -> float:
    """How many times the first encoder's step ``encoder``'s step takes, from a stored benchmark."""
    base = benchmark["rows"][0]["median s"]
    return next(row["median s"] for row in benchmark["rows"] if row["encoder"] == encoder) / base


def training_cpu_minutes(result: dict) -> float:
    """A stored run's training time over its epochs (evaluation included, loading not), times its torch threads."""
    threads = (result.get("machine") or {}).get("torch_threads") or 1
    return sum(h["epoch_time_s"] for h in result["history"]) * threads / 60


def estimate(benchmark: dict, results: list[dict], encoder: str) -> list[dict]:
    """Per method (first seed of each stored run of the benchmark's base encoder, on the benchmark's dataset
    when it records one: the step ratio was measured on those texts): the run's training time and what the
    same run would take with ``encoder``, in CPU-minutes (times the run's torch threads)."""
    base = benchmark["rows"][0]["encoder"]
    dataset = benchmark.get("config", {}).get("dataset")
    ratio = step_ratio(benchmark, encoder)
    out, seen = [], set()
    for r in sorted(results, key=lambda r: r["config"]["seed"]):
        cfg = r["config"]
        name = cfg["method"]["method"] + (" (pruned tokens dropped)" if cfg["method"].get("plmr_drop_pruned") else "")
        if cfg["method"]["encoder"] != base or name in seen or dataset not in (None, cfg["data"]["name"]):
            continue
        seen.add(name)
        minutes = training_cpu_minutes(r)
        out.append({"run": name, "epochs": cfg["epochs"], f"{base} CPU-min (stored, seed {cfg['seed']})":
                    round(minutes, 1), f"{encoder} CPU-min (estimated)": round(minutes * ratio, 1)})
    return out


def summary(benchmark: dict, estimate_rows: list[dict], encoder: str, seeds: int) -> str:
    """One sentence: the CPU-hours one seed of each method (``estimate`` rows) and ``seeds`` seeds would take."""
    hours = sum(row[f"{encoder} CPU-min (estimated)"] for row in estimate_rows) / 60
    return (f"One seed of each method with {encoder}: about {hours:.1f} CPU-hours "
            f"({step_ratio(benchmark, encoder):.1f}x the {benchmark['rows'][0]['encoder']} runs), "
            f"{hours * seeds:.1f} for the chapter's {seeds} seeds. Load average when measured: "
            f"{benchmark['load_average_at_end']}.")

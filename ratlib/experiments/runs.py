"""Running many training configurations and tabulating their stored results."""
from __future__ import annotations

from typing import Iterable, Sequence

from ..results import load_result
from ..train import RESULT_KIND, TrainConfig, train

METRICS = ("S", "acc", "P", "R", "F1", "failure_rate")


def run_all(configs: Sequence[TrainConfig], *, progress: bool = True, only_stored: bool = False) -> list[dict]:
    """The result of every config: stored ones are read, missing ones trained in order.

    With ``only_stored`` missing runs are skipped instead (the book's smoke
    and cpu builds use this only when told to).
    """
    from ..progress import progress as progress_bar

    out = []
    bar = progress_bar(configs, "runs", enabled=progress, step=1 / max(len(configs), 1))
    for cfg in bar:
        stored = load_result(RESULT_KIND, cfg.identity())
        if stored is None and only_stored:
            continue
        bar.set_postfix_str(f"{cfg.method.method}/{cfg.method.encoder} aspect {cfg.data.aspect} seed {cfg.seed}")
        out.append(stored or train(cfg, progress=progress, log_epochs=progress))
    return out


def setting_name(data: dict) -> str:
    """``correlated`` or ``decorrelated`` for the Beer-format files a run's data config (as JSON) read, else the dataset's name."""
    if data.get("name", "synth") not in ("synth", "beer"):
        return data["name"]
    return "correlated" if data["correlated"] else "decorrelated"


def run_row(result: dict, metrics: str = "test") -> dict:
    """One flat row per run: what ran and its test metrics."""
    cfg = result["config"]
    row = {
        "method": cfg["method"]["method"],
        "encoder": cfg["method"]["encoder"],
        "dataset": cfg["data"]["name"],
        "setting": setting_name(cfg["data"]),
        "aspect": cfg["data"]["aspect"],
        "seed": cfg["seed"],
        "epochs": cfg["epochs"],
        "best_epoch": result["best_epoch"] + 1,
        "train_n": result["data"]["train"]["n"],
        "wall_time_s": result["wall_time_s"],
    }
    row.update({k: result[metrics][k] for k in METRICS})
    row["random_F1"] = random_selection_f1(result["data"]["test"]["rationale_share"], row["S"])
    # Model selection's own view: dev accuracy at the chosen epoch, and what always answering
    # the dev set's majority class scores (50 on a balanced dev set).
    dev = result["data"]["dev"]
    row["dev_acc"] = result["history"][result["best_epoch"]]["dev"]["acc"]
    row["dev_chance_acc"] = 100.0 * max(dev["n_pos"], dev["n_neg"]) / dev["n"] if dev["n"] else None
    return row


def random_selection_f1(gold_share: float | None, sparsity: float) -> float | None:
    """Expected micro F1 (%) of selecting ``sparsity`` % of tokens at random.

    Precision is then the gold share and recall the selected share, so a
    rationalizer is only better than chance when its F1 exceeds this.
    """
    if gold_share is None or gold_share + sparsity == 0:
        return None
    return 2.0 * gold_share * sparsity / (gold_share + sparsity)


# A run whose dev accuracy (at its chosen epoch) is within this many points of always
# answering the dev set's majority class has not learned the task: its rationales say
# nothing about the method.
UNTRAINED_MARGIN = 5.0


def not_learned(rows) -> bool:
    """Mean dev accuracy of ``rows`` (a :func:`runs_frame`) within :data:`UNTRAINED_MARGIN` points of chance."""
    return bool(rows.dev_acc.mean() < rows.dev_chance_acc.mean() + UNTRAINED_MARGIN)


def runs_frame(results: Iterable[dict], metrics: str = "test"):
    import pandas as pd

    return pd.DataFrame([run_row(r, metrics) for r in results])


def mean_std_table(frame, by: Sequence[str], metrics: Sequence[str] = METRICS):
    """``mean ± std`` over seeds of each metric, one row per group (the value alone for one seed)."""
    import pandas as pd

    rows = []
    for key, group in frame.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        row["seeds"] = len(group)
        for m in metrics:
            values = group[m]
            # One seed has no spread to report; "± 0.0" would claim one.
            row[m] = f"{values.mean():.1f}" + (f" ± {values.std(ddof=0):.1f}" if len(values) > 1 else "")
        rows.append(row)
    return pd.DataFrame(rows)


def compute_summary(results: Iterable[dict]) -> dict:
    """What stored runs cost: hours of wall time in all and per encoder, and the longest run.

    Each run records its own wall time (one process; the ``cpu`` sweeps use one
    thread per process), so the sum is the single-thread compute a sweep needs.
    """
    results = list(results)
    hours: dict[str, float] = {}
    counts: dict[str, int] = {}
    for r in results:
        encoder = r["config"]["method"]["encoder"]
        hours[encoder] = hours.get(encoder, 0.0) + r["wall_time_s"] / 3600
        counts[encoder] = counts.get(encoder, 0) + 1
    longest = max(results, key=lambda r: r["wall_time_s"], default=None)
    return {
        "runs": len(results),
        "hours": sum(hours.values()),
        "by_encoder": {e: {"runs": counts[e], "hours": hours[e]} for e in hours},
        "longest": None if longest is None else {
            "method": longest["config"]["method"]["method"], "encoder": longest["config"]["method"]["encoder"],
            "minutes": longest["wall_time_s"] / 60},
    }

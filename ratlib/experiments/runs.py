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
    # The share Gumbel sampling selects at the same epoch (what training sees), beside the argmax one.
    row["sampled_S"] = result["test_sampled"]["S"]
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


def chance_note(rows) -> str:
    """A sentence naming the runs (``run`` column) whose mean F1 is no better than random selection at their
    sparsity (``random_F1``), or "" when every run is above it."""
    means = rows.groupby("run")[["F1", "random_F1"]].mean()
    chance = means[means.F1 <= means.random_F1]
    # Random selection at sparsity 0 scores 0 too: such runs select nothing, which is worth saying as such.
    empty, chance = chance[chance.random_F1 == 0], chance[chance.random_F1 > 0]
    note = ""
    if not chance.empty:
        note += (" Not above chance: " + ", ".join(f"{run} (F1 {r.F1:.1f} vs {r.random_F1:.1f} for random selection "
                                                   "at its sparsity)" for run, r in chance.iterrows())
                 + " select no better than random words would.")
    if not empty.empty:
        note += (" Selecting nothing: " + ", ".join(empty.index)
                 + " (no word kept on the test set, so nothing to score against chance).")
    return note


# An argmax selection below this share (%) is empty in all but name; a sampled one above UNDECIDED_SAMPLED
# still picks words, so the selector scores every word alike (near the target share) rather than choosing.
UNDECIDED_ARGMAX, UNDECIDED_SAMPLED = 1.0, 5.0


def undecided_note(rows) -> str:
    """A sentence naming the runs (``run`` column) whose argmax selection is almost empty while Gumbel
    sampling still selects a share near the target: every keep-probability stays below 0.5 (whether they
    still rank the words is chapter 3's :mod:`~ratlib.experiments.selector_ranking`)."""
    means = rows.groupby("run", sort=False)[["S", "sampled_S"]].mean()
    undecided = means[(means.S < UNDECIDED_ARGMAX) & (means.sampled_S >= UNDECIDED_SAMPLED)]
    if undecided.empty:
        return ""
    return (" Selector undecided: " + ", ".join(f"{run} (argmax selects {r.S:.1f}% of the words, sampling "
                                               f"{r.sampled_S:.1f}%)" for run, r in undecided.iterrows())
            + ": every keep-probability stays below 0.5, around the target share, so training's samples pick"
            " about that share of words and the argmax picks almost none.")


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
    intervals = [run_interval(r) for r in results]
    machines: dict[str, int] = {}
    for r in results:
        label = machine_label(r.get("machine") or {})
        machines[label] = machines.get(label, 0) + 1
    return {
        "runs": len(results),
        "hours": sum(hours.values()),
        "by_encoder": {e: {"runs": counts[e], "hours": hours[e]} for e in hours},
        "longest": None if longest is None else {
            "method": longest["config"]["method"]["method"], "encoder": longest["config"]["method"]["encoder"],
            "minutes": longest["wall_time_s"] / 60},
        "first_start": min((start for start, _ in intervals), default=None),
        "last_end": max((end for _, end in intervals), default=None),
        "busy_hours": busy_seconds(intervals) / 3600,
        # Training time times the torch threads each run used (the cpu sweeps: one thread per run).
        "cpu_hours": sum(r["wall_time_s"] * ((r.get("machine") or {}).get("torch_threads") or 1)
                         for r in results) / 3600,
        "max_concurrent": max_concurrent(intervals),
        "machines": machines,
    }


def run_interval(result: dict):
    """When a stored run trained (UTC): from ``created`` (stored at its end) minus its ``wall_time_s``.

    ``wall_time_s`` counts the training epochs (summed over resumed sittings),
    not loading data and models, so the start is a slight underestimate of
    the run's length and a resumed run is placed in one piece at its end.
    """
    from datetime import datetime, timedelta

    end = datetime.fromisoformat(result["created"])
    return end - timedelta(seconds=result["wall_time_s"]), end


def max_concurrent(intervals) -> int:
    """The most intervals ``(start, end)`` that overlap at one instant (touching ones do not)."""
    events = sorted([(end, -1) for _, end in intervals] + [(start, 1) for start, _ in intervals])
    running = peak = 0
    for _, change in events:  # at equal times the end (-1) sorts before the start
        running += change
        peak = max(peak, running)
    return peak


def busy_seconds(intervals) -> float:
    """Length of the union of ``(start, end)`` intervals: wall-clock time with at least one run going."""
    total, current = 0.0, None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = [start, end]
        else:
            current[1] = max(current[1], end)
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def machine_label(machine: dict) -> str:
    """A stored ``machine`` record in a few words: CPUs, processor, GPU, torch threads."""
    parts = [f"{machine.get('cpu_count', '?')} CPUs"]
    if machine.get("cpu_model"):
        parts[0] += f" ({machine['cpu_model']})"
    if machine.get("device") == "cuda":
        parts.append(f"GPU {machine.get('gpu', '?')}")
    threads = machine.get("torch_threads")
    if threads is not None:
        parts.append(f"{threads} torch thread{'s' if threads != 1 else ''}")
    return ", ".join(parts)


def compute_statement(summary: dict, what: str) -> str:
    """One paragraph on what the runs of :func:`compute_summary` cost, for the README and ``sweep --status``."""
    if not summary["runs"]:
        return f"No training run of {what} is stored."
    by_encoder = ", ".join(f"{part['hours']:.2f} h for the {part['runs']} {encoder} runs"
                           for encoder, part in summary["by_encoder"].items())
    longest = summary["longest"]
    machines = "; ".join(f"{label} ({n} runs)" if len(summary["machines"]) > 1 else label
                         for label, n in summary["machines"].items())
    return (f"The {summary['runs']} stored training runs of {what} took {summary['hours']:.2f} h of compute in all "
            f"({by_encoder}; the longest, {longest['method']} ({longest['encoder']}), {longest['minutes']:.0f} min), "
            f"{summary['cpu_hours']:.2f} CPU-hours counting the torch threads of each run. "
            f"They trained between {summary['first_start']:%Y-%m-%d %H:%M} and {summary['last_end']:%Y-%m-%d %H:%M} "
            f"UTC, during {summary['busy_hours']:.2f} h of wall-clock time with at least one run going and at most "
            f"{summary['max_concurrent']} at once, on {machines}. (Each run's interval is its stored end time minus "
            f"its training time; loading data and models is not counted.)")


MIN_SEEDS = 3


def bullets(items) -> str:
    """A Markdown list, one item per entry (for the verdicts' comparisons)."""
    return "\n".join(f"- {item}" for item in items)


def call_words(call: str, higher: str, lower: str) -> str:
    """:func:`compare`'s call in a chapter's words for who is better ("higher", "lower"); other calls as they are."""
    return {"higher": higher, "lower": lower}.get(call, call)


def paragraphs(*texts: str) -> str:
    """A verdict laid out for reading: its non-empty paragraphs (or lists), separated by blank lines."""
    return "\n\n".join(text.strip() for text in texts if text.strip())


def signed(diff: float) -> str:
    """A difference to one decimal with its sign; one that rounds to zero reads +0.0, never -0.0."""
    return f"{round(diff, 1) + 0.0:+.1f}"


def compare(better, worse, metric: str = "F1", min_seeds: int = MIN_SEEDS, floor: float = 0.0) -> dict:
    """Mean difference of ``metric`` between two groups of runs, called by the book's rule (appendix).

    The book's one statement of its verdict rule: with fewer than ``min_seeds`` seeds on either side
    there is no verdict; a difference smaller than the larger spread over seeds (max minus min) of the
    two, or than ``floor`` when that is larger (e.g. a spread measured across processors), is "no
    difference". ``better`` and ``worse`` are frames (or dicts) with a ``metric`` column; the result
    also says how many seeds each side had and the range (min, max) of each side.
    """
    a, b = list(better[metric]), list(worse[metric])
    if not a or not b:
        raise ValueError(f"compare: no {metric} values on the {'first' if not a else 'second'} side "
                         f"(expected at least one run per side)")
    diff = sum(a) / len(a) - sum(b) / len(b)
    points = max(floor, max(a) - min(a), max(b) - min(b))
    if min(len(a), len(b)) < min_seeds:
        call = f"fewer than {min_seeds} seeds: no verdict"
    elif diff == 0 or abs(diff) < points:
        call = "no difference"
    else:
        call = "higher" if diff > 0 else "lower"
    return {"diff": diff, "spread": points, "call": call, "seeds": (len(a), len(b)),
            "ranges": ((min(a), max(a)), (min(b), max(b)))}


def seeds_apart(c: dict, first: str, second: str) -> str:
    """What a reader should know where the rule says "no difference" although no seed of one side reaches
    any seed of the other (a wide spread on one side, e.g. a seed that never learned, decided it):
    "every n2r seed above every rnp seed (83.2 to 86.2 vs 0.0 to 70.5)"; else "". ``c`` is a
    :func:`compare` result, ``first`` the name of the side given first. Not a second rule: the call stands."""
    (a_low, a_high), (b_low, b_high) = c["ranges"]
    if c["call"] != "no difference" or not (a_low > b_high or b_low > a_high):
        return ""
    side = "above" if a_low > b_high else "below"
    return (f"every {first} seed {side} every {second} seed ({a_low:.1f} to {a_high:.1f} vs {b_low:.1f} to "
            f"{b_high:.1f})")


def yet_clause(apart: str) -> str:
    """A :func:`seeds_apart` text as the clause that follows a call ("; yet every ..."), or "" when empty."""
    return f"; yet {apart}" if apart else ""

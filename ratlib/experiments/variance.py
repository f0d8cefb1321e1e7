"""How far one configuration moves across CPU kernel paths, compared with across seeds.

Float kernels are chosen per processor; the same run on another machine sums in
another order, and Gumbel selection turns last-digit differences into another
trajectory. This experiment forces kernel paths on one machine as a stand-in
for other processors and measures:

* **cheap grid**: every seed under every kernel setting for a few epochs of a
  small run: from which epoch the trajectories part, and how far the training
  loss moves across kernel settings compared with across seeds;
* **full scale**: the data card's RNP run (seed 1) retrained under other kernel
  settings for all its epochs, beside the stored runs of its three seeds: the
  kernel path's effect on the reported F1 against the seed spread;
* **checks**: whether ``torch.use_deterministic_algorithms`` or a "portable"
  environment (no ATen vectorisation, MKL's conditional numerical
  reproducibility) makes runs agree across kernel paths, and what it costs.

A setting is a name, environment variables set before torch loads and the
deterministic switch. The runs are recomputations (:func:`ratlib.verify.recompute`)
stored as results of kind ``variance``, keyed by the run's identity and the
setting, so existing run keys do not move. The machine recorded with each is
the child process's, with the kernel level it really used.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..data.registry import DataConfig
from ..methods import MethodConfig
from ..results import cached
from ..train import TRAINER_VERSION, TrainConfig
from .needs import Need, count_of, run_need

RESULT_KIND = "variance"

# name -> (environment, deterministic). "native" leaves torch and MKL to pick (on an AVX512
# machine: torch's AVX512 kernels); the others force a path another processor would take:
# torch's AVX2 or unvectorised kernels (ATEN_CPU_CAPABILITY; torch 2.13 takes default, avx2 and
# avx512 and silently treats anything else as the machine's best level), MKL's
# processor-independent code path (MKL_CBWR=COMPATIBLE: MKL picks kernels per processor
# too, e.g. other ones on Intel than on AMD) or its AVX2 kernels (MKL_ENABLE_INSTRUCTIONS).
SETTINGS: dict[str, tuple[dict, bool]] = {
    "native": ({}, False),
    "avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, False),
    "default": ({"ATEN_CPU_CAPABILITY": "default"}, False),
    "MKL compatible": ({"MKL_CBWR": "COMPATIBLE"}, False),
    "deterministic": ({}, True),
    "deterministic, default": ({"ATEN_CPU_CAPABILITY": "default"}, True),
    # The candidate for runs that agree across processors: no vectorised torch kernels and
    # MKL's processor-independent path; "+ avx2" asks for other paths on top, which it should ignore.
    "portable": ({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}, False),
    "portable + avx2": ({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE",
                         "MKL_ENABLE_INSTRUCTIONS": "AVX2"}, False),
}


@dataclass(frozen=True)
class VarianceConfig:
    """The runs measured; ``kernels`` and ``checks`` name :data:`SETTINGS`."""

    synth: dict = field(default_factory=dict, hash=False)
    aspect: int = 0
    method: str = "rnp"
    lr: float = 1e-3
    seeds: tuple[int, ...] = (1, 2, 3)
    kernels: tuple[str, ...] = ("native", "default", "MKL compatible")
    cheap_max_train: int | None = 1200
    cheap_epochs: int = 3
    full_epochs: int = 40               # the data card's runs (0: no full-scale runs)
    full_kernels: tuple[str, ...] = ()   # e.g. ("MKL compatible",); slow (see the cheap runs' epoch times)
    checks: tuple[str, ...] = ("avx2", "deterministic", "deterministic, default", "portable", "portable + avx2")
    # The cheap stored run CI verifies (`make test` runs `ratlib verify` on it).
    ci_synth: dict = field(default_factory=lambda: {"n_train": 300, "n_dev": 60, "n_test": 60}, hash=False)
    ci_epochs: int = 2
    # What a setting costs: the cheap first-seed run recomputed for 1 and for 2 epochs under each
    # setting; the difference of their CPU seconds is one epoch's (start-up and data cancel out).
    # CPU time, because wall time on a shared machine moves with the other processes.
    cost_settings: tuple[str, ...] = ("native", "default", "MKL compatible", "portable", "deterministic")
    cost_epochs: tuple[int, int] = (1, 2)
    # Methods whose stored full-scale runs (all seeds) are compared under the verdict rule.
    compared_methods: tuple[str, ...] = ("rnp", "fr")
    trainer_version: int = TRAINER_VERSION  # ratlib.train.TRAINER_VERSION; the stored cpu runs are version 1

    def to_json(self) -> dict:
        return asdict(self)

    def _run(self, seed: int, epochs: int, max_train=None, synth=None, method=None) -> TrainConfig:
        data = DataConfig(name="synth", aspect=self.aspect, max_train=max_train, balance_dev=True,
                          options=dict(self.synth if synth is None else synth))
        method = MethodConfig(method=method or self.method, encoder="gru", lr_encoder=self.lr, lr_head=self.lr)
        return TrainConfig(data=data, method=method, seed=seed, epochs=epochs, trainer_version=self.trainer_version)

    def cheap_run(self, seed: int, epochs: int | None = None) -> TrainConfig:
        return self._run(seed, epochs or self.cheap_epochs, self.cheap_max_train)

    def full_run(self, seed: int, method: str | None = None) -> TrainConfig:
        """The data card's run of this seed (same configuration, so the same stored result)."""
        return self._run(seed, self.full_epochs, method=method)

    def compared_runs(self) -> list[TrainConfig]:
        """The stored full-scale runs of :attr:`compared_methods`, every seed."""
        if not self.full_epochs:
            return []
        return [self.full_run(s, m) for m in self.compared_methods for s in self.seeds]

    def ci_run(self) -> TrainConfig:
        return self._run(1, self.ci_epochs, synth=self.ci_synth)

    def measured(self) -> list[tuple[str, TrainConfig, str]]:
        """(part, run, setting) of every recomputation, cheapest first."""
        out = [("cheap", self.cheap_run(s), k) for s in self.seeds for k in self.kernels]
        out += [("check", self.cheap_run(self.seeds[0]), c) for c in self.checks]
        out += [("cost", self.cheap_run(self.seeds[0], e), c) for c in self.cost_settings for e in self.cost_epochs]
        if self.full_epochs:
            out += [("full", self.full_run(self.seeds[0]), k) for k in self.full_kernels]
        return out

    def needs(self) -> list[Need]:
        needs = [run_need(self.ci_run())]
        if self.full_epochs:
            needs += [run_need(self.full_run(s)) for s in self.seeds]
            needs += [run_need(c) for c in self.compared_runs()]
        return needs + [setting_need(run, setting) for _, run, setting in self.measured()]


def setting_key(run: TrainConfig, setting: str) -> dict:
    if setting not in SETTINGS:
        raise ValueError(f"unknown kernel setting {setting!r}; known: {', '.join(SETTINGS)}")
    env, deterministic = SETTINGS[setting]
    return {"run": run.identity(), "setting": setting, "env": env, "deterministic": deterministic}


def setting_need(run: TrainConfig, setting: str) -> Need:
    key = setting_key(run, setting)
    label = (f"{run.method.method} ({run.method.encoder}) seed {run.seed}, {run.epochs} epochs"
             f"{'' if run.data.max_train is None else f', {run.data.max_train} training texts'}, kernels {setting}")

    def compute():
        from ..verify import recompute

        print(f"recomputing {label}", flush=True)
        fresh = recompute(run, run.epochs, env=key["env"], deterministic=key["deterministic"])
        return {"history": fresh["history"], "machine": fresh["machine"], "wall_time_s": fresh["wall_time_s"],
                "cpu_time_s": fresh["cpu_time_s"]}

    return Need(RESULT_KIND, key, label, lambda: cached(RESULT_KIND, key, compute))


def results(config: VarianceConfig) -> dict:
    """Every stored measurement: {"cheap"|"check"|"cost"|"full": [(run, setting, result)]} (computed when missing)."""
    out: dict[str, list] = {"cheap": [], "check": [], "cost": [], "full": []}
    for part, run, setting in config.measured():
        out[part].append((run, setting, setting_need(run, setting).get()))
    return out


# ---------------------------------------------------------------------------- analysis


def best_epoch(history: list[dict]) -> dict:
    """The epoch model selection reports (best dev accuracy, earliest on ties), as the trainer picks it."""
    return max(history, key=lambda r: (r["dev"]["acc"], -r["epoch"]))


def first_inexact_epoch(a: list[dict], b: list[dict]) -> int | None:
    """The first epoch (1-based) whose training losses or dev metrics are not the same floats; None if all are."""
    from ..verify import EXACT, compare_histories, summarize_comparison

    n = min(len(a), len(b))
    summary = summarize_comparison(compare_histories(a, b, n))
    return None if summary["verdict"] == EXACT else summary["first_inexact_epoch"]


def trajectory_frame(config: VarianceConfig, measured: dict):
    """Cheap grid, one row per seed and setting: losses per epoch, first epoch apart from native, last metrics."""
    import pandas as pd

    by = {(run.seed, s): r for run, s, r in measured["cheap"]}
    rows = []
    for (seed, setting), r in by.items():
        ref = by.get((seed, config.kernels[0]))
        last = r["history"][-1]
        rows.append({"seed": seed, "setting": setting, "kernels": r["machine"].get("torch_cpu_capability"),
                     **{f"loss epoch {e['epoch'] + 1}": e["train"]["loss"] for e in r["history"]},
                     "dev acc": last["dev"]["acc"], "sampled F1": last["test_sampled"]["F1"],
                     f"first epoch apart from {config.kernels[0]}":
                         first_inexact_epoch(ref["history"], r["history"]) if ref else None,
                     "epoch s": epoch_seconds(r["history"])})
    return pd.DataFrame(rows)


def epoch_seconds(history: list[dict]) -> float:
    """The median epoch time (the first epoch also warms caches up; the median ignores one slow epoch)."""
    import statistics

    return float(statistics.median(e["epoch_time_s"] for e in history))


def spread(values) -> float:
    """Max minus min (0 for one value)."""
    values = list(values)
    return max(values) - min(values) if values else float("nan")


def spread_summary(config: VarianceConfig, measured: dict) -> dict:
    """Last-epoch loss and sampled F1: mean spread across kernel settings (per seed) and across seeds (per setting)."""
    import numpy as np

    frame = trajectory_frame(config, measured)
    loss = f"loss epoch {config.cheap_epochs}"
    out = {}
    for metric in (loss, "sampled F1"):
        across_kernels = [spread(g[metric]) for _, g in frame.groupby("seed")]
        across_seeds = [spread(g[metric]) for _, g in frame.groupby("setting")]
        out[metric] = {"across kernels": float(np.mean(across_kernels)), "across seeds": float(np.mean(across_seeds))}
    return out


def stored_kernels(result: dict) -> str:
    """The kernel level a stored run recorded; for one stored before it was recorded, the level on which a
    recorded verification (``ratlib verify --record``) reproduced its first epochs exactly, if one did."""
    recorded = (result.get("machine") or {}).get("torch_cpu_capability")
    if recorded:
        return recorded
    exact = [v for v in result.get("verifications") or () if v.get("agreement") == "exact"]
    if not exact:
        return "not recorded"
    best = max(exact, key=lambda v: v.get("epochs", 0))
    return (f"not recorded; first {count_of(best.get('epochs', '?'), 'epoch')} reproduced exactly with "
            f"{(best.get('machine') or {}).get('torch_cpu_capability', '?')}")


def full_scale_frame(config: VarianceConfig, measured: dict, stored_runs: list[dict]):
    """Full runs: the stored seeds (native, as stored) and seed 1 under other kernels; F1 at the best-dev epoch."""
    import pandas as pd

    rows = []
    for r in stored_runs:
        chosen = r["history"][r["best_epoch"]]
        rows.append({"seed": r["config"]["seed"], "setting": "stored run", "kernels":
                     stored_kernels(r), "best epoch": chosen["epoch"] + 1,
                     "dev acc": chosen["dev"]["acc"], "S": chosen["test"]["S"], "F1": chosen["test"]["F1"],
                     "epoch s": epoch_seconds(r["history"])})
    for run, setting, r in measured["full"]:
        chosen = best_epoch(r["history"])
        rows.append({"seed": run.seed, "setting": setting, "kernels": r["machine"].get("torch_cpu_capability"),
                     "best epoch": chosen["epoch"] + 1, "dev acc": chosen["dev"]["acc"], "S": chosen["test"]["S"],
                     "F1": chosen["test"]["F1"],
                     "epoch s": epoch_seconds(r["history"])})
    return pd.DataFrame(rows)


def check_frame(config: VarianceConfig, measured: dict):
    """Each check setting beside the cheap grid's first-seed runs and the other checks: which of them it
    agrees with exactly (``= name``), and its median epoch time."""
    import pandas as pd

    seed = config.seeds[0]
    others = {s: r for run, s, r in measured["cheap"] if run.seed == seed}
    others.update({s: r for _, s, r in measured["check"]})
    rows = []
    for _, setting, r in measured["check"]:
        env, deterministic = SETTINGS[setting]
        rows.append({"setting": setting, "environment": " ".join(f"{k}={v}" for k, v in env.items()) or "-",
                     "deterministic algorithms": deterministic,
                     **{f"= {name}": first_inexact_epoch(g["history"], r["history"]) is None
                        for name, g in others.items() if name != setting},
                     "epoch s": epoch_seconds(r["history"])})
    return pd.DataFrame(rows)


def cost_frame(config: VarianceConfig, measured: dict):
    """Per cost setting: CPU seconds of the short and the long recomputation, their difference (one
    epoch's training and evaluation, start-up cancelled out) and its factor over the first setting."""
    import pandas as pd

    short, long = config.cost_epochs
    cpu = {(s, run.epochs): r["cpu_time_s"] for run, s, r in measured.get("cost", [])}
    rows = []
    for setting in dict.fromkeys(s for s, _ in cpu):
        if (setting, short) in cpu and (setting, long) in cpu:
            rows.append({"setting": setting, f"CPU s, {count_of(short, 'epoch')}": cpu[setting, short],
                         f"CPU s, {long} epochs": cpu[setting, long],
                         "CPU s per epoch": (cpu[setting, long] - cpu[setting, short]) / (long - short)})
    frame = pd.DataFrame(rows)
    if not len(frame):
        return pd.DataFrame(columns=["CPU s per epoch", "× first"])
    frame["× first"] = frame["CPU s per epoch"] / frame["CPU s per epoch"].iloc[0]
    return frame.set_index("setting")


def slowdown(config: VarianceConfig, measured: dict, setting: str) -> float | None:
    """CPU time of ``setting`` over the first cost setting's (None when it was not costed)."""
    frame = cost_frame(config, measured)
    return float(frame.loc[setting, "× first"]) if setting in frame.index else None


# A setting that makes runs agree across processors is offered when it costs at most this
# factor of the native epoch time.
ACCEPTABLE_SLOWDOWN = 1.5


def _true(value) -> bool:
    """A table cell that is True (numpy booleans included; missing cells are not)."""
    return value is not None and value == True  # noqa: E712


def reproducibility_lines(config: VarianceConfig, measured: dict) -> list[str]:
    """What the checks say about settings that might make runs agree across processors, and their CPU cost."""
    checks = check_frame(config, measured).set_index("setting")
    if checks.empty:
        return []
    costs = cost_frame(config, measured)
    base = costs.index[0] if len(costs) else None

    def cost(setting):
        factor = slowdown(config, measured, setting)
        return "" if factor is None else f"; it costs {factor:.1f}× the CPU time of `{base}`"

    lines = []
    for setting, row in checks.iterrows():
        env, deterministic = SETTINGS[setting]
        same = [c[2:] for c in checks.columns if c.startswith("= ") and _true(row[c])]
        line = f"`{setting}` computes exactly the same floats as {', '.join(f'`{s}`' for s in same) or 'no other setting'}"
        twin = next((name for name, (e, d) in SETTINGS.items() if e == env and not d), None) if deterministic else None
        if twin and f"= {twin}" in checks.columns and _true(row[f"= {twin}"]):
            line += (f": deterministic algorithms change nothing here (the same floats as `{twin}`), so they cannot "
                     "make kernel paths agree")
        lines.append(line + cost(setting) + ".")
    portable = [s for s in checks.index if s.startswith("portable")]
    factors = [f for f in (slowdown(config, measured, s) for s in portable) if f is not None]
    if portable and factors:
        factor = max(factors)
        agree = len(portable) > 1 and all(_true(checks.loc[a, f"= {b}"]) for a in portable for b in portable if a != b)
        offered = factor <= ACCEPTABLE_SLOWDOWN and agree
        same = ("gives the same floats whichever MKL instruction set is asked for" if agree else
                "does not even agree with itself across the settings tried")
        if offered:
            tail = (f"; at {factor:.1f}× the CPU time of `{base}` (ratlib accepts up to {ACCEPTABLE_SLOWDOWN}×) it is "
                    "offered as an opt-in: set `ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE` before running "
                    "ratlib (results record both under `machine`). It is not the default: whether it makes two "
                    "different processors agree cannot be tested on one machine, and it would move every stored number.")
        else:
            tail = (f"; at {factor:.1f}× the CPU time of `{base}` it is not offered (ratlib would offer a setting "
                    f"costing at most {ACCEPTABLE_SLOWDOWN}×); whether it makes two different processors agree "
                    "cannot be tested on one machine. No setting measured here makes CPU runs reproducible across "
                    "processors at an acceptable cost: compare results from different machines only up to the "
                    "spread over seeds.")
        lines.append(f"The portable environment ({', '.join(f'`{s}`' for s in portable)}) {same}{tail}")
    return lines


def difference_verdict(a, b, floor_points: float = 0.0) -> str:
    """:func:`ratlib.experiments.runs.compare` (the book's rule) on two lists of per-seed values, as words.

    ``floor_points`` is a spread measured elsewhere (e.g. across kernel paths) that a difference
    must also exceed.
    """
    from .runs import compare, signed

    c = compare({"F1": list(a)}, {"F1": list(b)}, floor=floor_points)
    if c["call"].startswith("fewer than"):
        return f"no verdict ({c['call'].split(':')[0]})"
    if c["call"] == "no difference":
        return f"no difference ({signed(c['diff'])} points, less than the measured spread of {c['spread']:.1f})"
    return f"{c['call']} by {abs(c['diff']):.1f} points (more than the spread of {c['spread']:.1f})"


def verdict_spread(config: VarianceConfig, measured: dict, stored_runs: list[dict]) -> float | None:
    """The spread (F1 points) below which the book calls a difference between methods "no difference":
    the spread of the full-scale run across its stored seeds, or across kernel settings where that
    was measured and is larger. None without full-scale runs."""
    if not stored_runs:
        return None
    frame = full_scale_frame(config, measured, stored_runs)
    across_seeds = spread(frame[frame.setting == "stored run"]["F1"])
    mine = frame[frame.seed == config.seeds[0]]
    return max(across_seeds, spread(mine["F1"])) if measured["full"] else across_seeds


def full_scale_cost(config: VarianceConfig, measured: dict, stored_runs: list[dict]) -> dict:
    """What retraining the stored full-scale runs under the cheap grid's other kernel settings would cost.

    Per setting of :attr:`VarianceConfig.kernels` after the first that was costed (:func:`cost_frame`):
    its CPU-time factor over the first, the mean stored run's training time (``wall_time_s``) times it,
    and all stored seeds' times times it; ``total_s`` sums the settings. Seconds of the stored runs'
    own thread count (``threads``: the torch threads they recorded).
    """
    costs = cost_frame(config, measured)
    times = [float(r["wall_time_s"]) for r in stored_runs]
    settings = {}
    if times:
        for name in config.kernels[1:]:
            if name in costs.index:
                factor = float(costs.loc[name, "× first"])
                settings[name] = {"factor": factor, "per_run_s": factor * sum(times) / len(times),
                                  "all_seeds_s": factor * sum(times)}
    threads = sorted({(r.get("machine") or {}).get("torch_threads") for r in stored_runs} - {None})
    return {"seeds": len(times), "stored_mean_s": sum(times) / len(times) if times else float("nan"),
            "threads": threads, "settings": settings, "total_s": sum(c["all_seeds_s"] for c in settings.values())}


def duration(seconds: float) -> str:
    """Seconds in the unit a reader takes in: "45 s", "14.2 min", "1.62 h"."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def findings(config: VarianceConfig, measured: dict, stored_runs: list[dict]) -> list[str]:
    """What the stored measurements show, as sentences (every number read from them)."""
    import pandas as pd

    lines = []
    grid = trajectory_frame(config, measured)
    ref = config.kernels[0]
    apart = grid[grid.setting != ref]
    for setting, group in apart.groupby("setting", sort=False):
        firsts = [None if pd.isna(f) else int(f) for f in group[f"first epoch apart from {ref}"]]
        if all(f is None for f in firsts):
            lines.append(f"`{setting}` computes the same floats as `{ref}` for every seed and epoch of the cheap runs.")
        else:
            lines.append(f"`{setting}` leaves `{ref}`'s trajectory at epoch "
                         f"{', '.join('never' if f is None else str(f) for f in firsts)} (seeds "
                         f"{', '.join(str(s) for s in group.seed)}).")
    parted = bool(apart[f"first epoch apart from {ref}"].notna().any())
    spreads = spread_summary(config, measured)
    loss = f"loss epoch {config.cheap_epochs}"
    lines.append(f"After {count_of(config.cheap_epochs, 'epoch')} of the cheap runs the mean training loss moves "
                 f"{spreads[loss]['across kernels']:.2g} across kernel settings (mean over seeds of max − min) and "
                 f"{spreads[loss]['across seeds']:.2g} across seeds; sampled-selection F1 moves "
                 f"{spreads['sampled F1']['across kernels']:.2f} and {spreads['sampled F1']['across seeds']:.2f} points.")
    costs = cost_frame(config, measured)
    forced = costs.drop(index=[ref], errors="ignore")["× first"] if len(costs) else []
    if stored_runs:
        frame = full_scale_frame(config, measured, stored_runs)
        seeds = frame[frame.setting == "stored run"]
        lines.append(f"Full scale ({config.full_epochs} epochs, the data card's runs), test F1 at the best-dev epoch of "
                     f"the stored seeds: {', '.join(f'{v:.1f}' for v in seeds.F1)}; {spread(seeds.F1):.1f} points "
                     f"from lowest to highest (standard deviation {seeds.F1.std(ddof=0):.1f}).")
        if measured["full"]:
            mine = frame[frame.seed == config.seeds[0]]
            parts = ", ".join(f"{row.setting} {row.F1:.1f}" for row in mine.itertuples())
            lines.append(f"Seed {config.seeds[0]} under other kernel settings: {parts}; {spread(mine.F1):.1f} points "
                         "across kernel settings.")
        else:
            cost = full_scale_cost(config, measured, stored_runs)
            if cost["settings"]:
                per_setting = "; ".join(
                    f"`{name}` {c['factor']:.2f}×: {duration(c['per_run_s'])} per run, {duration(c['all_seeds_s'])} "
                    f"for the {cost['seeds']} seeds" for name, c in cost["settings"].items())
                threads = ", ".join(map(str, cost["threads"])) or "?"
                priced = (f" Their cost, from the stored runs' training time (mean {duration(cost['stored_mean_s'])} "
                          f"per run over {cost['seeds']} seeds, {threads} torch "
                          f"{'thread' if threads == '1' else 'threads'} each) times each kernel "
                          f"setting's CPU-time factor over `{ref}` measured above: {per_setting}; every seed under "
                          f"every setting of the cheap grid: {duration(cost['total_s'])}.")
            else:
                priced = (f" The forced paths cost up to {max(forced):.1f}× the CPU time of `{ref}`, so each such run "
                          "would cost that many times the stored run." if len(forced) else "")
            lines.append("Not measured here: the full-scale run under other kernel settings." + priced
                         + (" The cheap runs part within their first epochs, so at full scale a run on another "
                            "processor is best read as another draw from the spread over seeds." if parted else ""))
        from .runs import MIN_SEEDS

        lines.append(f"Verdict rule used by this book (`ratlib.experiments.runs.compare`): a comparison of methods "
                     f"needs at least {MIN_SEEDS} seeds a side, and a difference "
                     "of mean F1 smaller than the measured spread is called no difference: the larger of the two "
                     f"methods' own spreads over seeds, and at least the {verdict_spread(config, measured, stored_runs):.1f} "
                     f"points measured above for {config.method}.")
    lines += reproducibility_lines(config, measured)
    return lines


def method_verdicts(compared: list[dict], floor_points: float = 0.0, metric: str = "F1") -> list[str]:
    """Every pair of methods among ``compared`` (stored runs) under the book's rule (:func:`difference_verdict`).

    The spread a pair's difference must exceed is the larger of the two methods' own spreads over
    seeds and ``floor_points`` (e.g. :func:`verdict_spread`).
    """
    by_method: dict[str, list[float]] = {}
    for r in compared:
        by_method.setdefault(r["config"]["method"]["method"], []).append(r["test"][metric])
    names = list(by_method)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            out.append(f"{a} vs {b} ({len(by_method[a])} and {len(by_method[b])} seeds, mean {metric} "
                       f"{sum(by_method[a]) / len(by_method[a]):.1f} vs {sum(by_method[b]) / len(by_method[b]):.1f}): "
                       f"{difference_verdict(by_method[a], by_method[b], floor_points)}")
    return out

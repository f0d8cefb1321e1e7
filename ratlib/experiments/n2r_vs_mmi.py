"""Chapter 5: N2R against MMI, and how fast each converges (N2R Tables 1 and 3).

On each dataset the GRU rationalizer is trained with three objectives on the
same data, budget and learning rates: RNP (MMI alone), N2R alone (the
predictor learns from a detached rationale, the generator only from the norm
of the predictor's representation) and MMI+N2R (an RNP step, then the norm
step). A method's numbers are means over seeds, and differences are called by
the book's rule (:func:`ratlib.experiments.runs.compare`).

Convergence is counted in two currencies, both read from each run's stored
history: epochs, and CPU-minutes of training, until the test F1 is within
:data:`CONVERGED_WITHIN` points of the run's own best.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..data.registry import DataConfig
from ..methods import n2r_knobs
from ..methods.recipes import CPU_GRU_LR, PAPER_CONTINUITY_WINDOW
from ..train import TRAINER_VERSION, TrainConfig
from .degeneration import selection_onset, transformer_examples
from .needs import Need, run_need
from .needs import pending_note as needs_pending_note
from .plmr_baselines import HATEXPLAIN, Dataset
from .runs import (METRICS, MIN_SEEDS, bullets, call_words, chance_note, compare, mean_std_table, not_learned,
                   paragraphs, runs_frame, seeds_apart, signed, yet_clause)

# N2R's headline claims: +5.1 to +13.5 F1 over MMI (RNP) on its beer/hotel tables; MMI+N2R at least N2R.
PAPER_GAIN_RANGE = (5.1, 13.5)
# The chapter's name for PLMR with a norm step (N2R inside PLMR, beyond both papers).
PLMR_NORM_RUN = "plmr + norm step"
# A run has converged at the first epoch whose test F1 is within this many points of its best.
CONVERGED_WITHIN = 5.0

# The generated benchmark's appearance aspect (decorrelated file) as the data card trains it: every
# training review, balanced dev set, the methods' own sparsity target (0.125), 40 epochs; trainer
# version 1, as the data card's stored RNP runs, which this chapter reuses.
def synth_aspect(aspect: int) -> Dataset:
    """One aspect of the generated benchmark's decorrelated files as the data card trains it (see above)."""
    label = DataConfig(name="synth", aspect=aspect).label()
    return Dataset(label=label, data={"name": "synth", "aspect": aspect, "balance_dev": True}, sparsity=0.125,
                   plm_epochs=0, gru_epochs=40)


SYNTH_APPEARANCE = synth_aspect(0)


@dataclass(frozen=True)
class N2RConfig:
    datasets: tuple[Dataset, ...] = (HATEXPLAIN, SYNTH_APPEARANCE)
    methods: tuple[str, ...] = ("rnp", "n2r", "mmi_n2r")
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    # Seeds per "method/dataset label" overriding ``seeds`` (while a sweep is being stored).
    method_seeds: dict = field(default_factory=dict, hash=False)
    # Seeds of the design per dataset label, where they differ from ``seeds`` (e.g. 3 on a dataset whose
    # runs cost more); method_seeds narrows these too.
    dataset_seeds: dict = field(default_factory=dict, hash=False)
    # Trainer version per dataset label (others: ``trainer_version``); see ratlib.train.TRAINER_VERSION.
    dataset_trainer_versions: dict = field(default_factory=dict, hash=False)
    gru_lr: float | None = CPU_GRU_LR
    n2r_frozen_grads: str | None = None   # None: the method's default ("zero", the official behaviour)
    continuity_window: int | None = None  # MethodConfig.continuity_window of every run (paper profile: 256)
    # Recipe check: RNP with the official continuity normalisation (mean over a 256-token window)
    # on the first ``continuity_check_seeds`` seeds of each dataset in this tuple of labels.
    continuity_check: tuple[str, ...] = ()
    continuity_check_seeds: int = 3
    trainer_version: int = TRAINER_VERSION
    # The transformer half (the paper's BERT table): ``methods`` with ``plm_encoder`` on the datasets
    # labelled in ``plm_datasets``, at their transformer budget (chapter 3's; its RNP runs are shared).
    # Each is a dataset label of its own: "<dataset>, <encoder>".
    plm_encoder: str = "minilm"
    plm_datasets: tuple[str, ...] = ()
    plm_n2r_norm: str | None = None       # MethodConfig.n2r_norm of those N2R runs (None: "pooled")
    plm_seeds: tuple[int, ...] = (1, 2, 3)
    plm_trainer_version: int = TRAINER_VERSION
    # Beyond both papers, N2R inside PLMR: PLMR with a norm step of this weight (MethodConfig.plmr_norm_lambda)
    # next to PLMR itself (chapter 3's runs), on the transformer half's datasets. None: not run.
    plmr_norm_lambda: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def plm_label(self, ds: Dataset) -> str:
        return f"{ds.label}, {self.plm_encoder}"

    def labels(self) -> list[str]:
        """Every dataset label of the chapter: each dataset's (GRU), then its transformer half's."""
        return [ds.label for ds in self.datasets] + [self.plm_label(ds) for ds in self.datasets
                                                     if ds.label in self.plm_datasets]

    def seeds_of(self, method: str, label: str) -> tuple[int, ...]:
        plm = label in {self.plm_label(ds) for ds in self.datasets}
        design = self.plm_seeds if plm else self.dataset_seeds.get(label, self.seeds)
        return tuple(self.method_seeds.get(f"{method}/{label}", design))

    def _config(self, ds: Dataset, method: str, seed: int, **knobs) -> TrainConfig:
        knobs = {"continuity_window": self.continuity_window, **n2r_knobs(method, self.n2r_frozen_grads), **knobs}
        return ds.train_config(method, "gru", seed, gru_lr=self.gru_lr,
                               trainer_version=self.dataset_trainer_versions.get(ds.label, self.trainer_version),
                               **knobs)

    def _plm_config(self, ds: Dataset, method: str, seed: int) -> TrainConfig:
        norm = {"n2r_norm": self.plm_n2r_norm} if self.plm_n2r_norm and method in ("n2r", "mmi_n2r") else {}
        return ds.train_config(method, self.plm_encoder, seed, gru_lr=None, trainer_version=self.plm_trainer_version,
                               **norm)

    def _seed_major(self, label: str, make) -> list[tuple[str, str, TrainConfig]]:
        """Every method's runs on ``label``, seed by seed (a sweep stopped half-way leaves every method
        with its first seeds)."""
        seeds = sorted({seed for method in self.methods for seed in self.seeds_of(method, label)})
        return [(label, method, make(method, seed))
                for seed in seeds for method in self.methods if seed in self.seeds_of(method, label)]

    def runs(self) -> list[tuple[str, str, TrainConfig]]:
        """(dataset label, run name, configuration) of every training run."""
        unknown = sorted(set(self.plm_datasets) - {ds.label for ds in self.datasets})
        if unknown:
            raise ValueError(f"plm_datasets names unknown dataset(s) {unknown}; datasets: "
                             f"{[ds.label for ds in self.datasets]}")
        out = []
        for ds in self.datasets:
            out += self._seed_major(ds.label, lambda method, seed: self._config(ds, method, seed))
            if ds.label in self.continuity_check:
                name = f"rnp, continuity over {PAPER_CONTINUITY_WINDOW}"
                seeds = self.seeds_of(name, ds.label)[:self.continuity_check_seeds]
                out += [(ds.label, name, self._config(ds, "rnp", seed, continuity_window=PAPER_CONTINUITY_WINDOW))
                        for seed in seeds]
        for ds in self.datasets:
            if ds.label in self.plm_datasets:
                label = self.plm_label(ds)
                out += self._seed_major(label, lambda method, seed: self._plm_config(ds, method, seed))
                if self.plmr_norm_lambda is not None:
                    common = {"gru_lr": None, "trainer_version": self.plm_trainer_version}
                    plain, norm = self.seeds_of("plmr", label), self.seeds_of(PLMR_NORM_RUN, label)
                    for seed in sorted({*plain, *norm}):
                        if seed in plain:
                            out.append((label, "plmr", ds.train_config("plmr", self.plm_encoder, seed, **common)))
                        if seed in norm:
                            out.append((label, PLMR_NORM_RUN, ds.train_config(
                                "plmr", self.plm_encoder, seed, **common, plmr_norm_lambda=self.plmr_norm_lambda)))
        return out

    def train_configs(self) -> list[TrainConfig]:
        return [cfg for _, _, cfg in self.runs()]

    def needs(self) -> list[Need]:
        return [run_need(cfg) for cfg in self.train_configs()]

    def full_design(self) -> "N2RConfig":
        return replace(self, method_seeds={})

    def frame(self, results: list[dict]):
        """:func:`runs_frame` with ``dataset_label``, ``run`` and convergence columns, one row per run."""
        names = {cfg.key(): (label, run) for label, run, cfg in self.runs()}
        frame = runs_frame(results)
        frame.insert(0, "dataset_label", [names[r["key"]][0] for r in results])
        frame.insert(2, "run", [names[r["key"]][1] for r in results])
        conv = [convergence(r, learned=not not_learned(frame.iloc[[i]])) for i, r in enumerate(results)]
        frame["converged_epoch"] = [c["epoch"] for c in conv]
        frame["converged_cpu_min"] = [c["cpu_minutes"] for c in conv]
        frame["best_F1_any_epoch"] = [c["best_f1"] for c in conv]
        frame["selects_from_epoch"] = [selection_onset(r) for r in results]
        frame["key"] = [r["key"] for r in results]
        return frame


def convergence(result: dict, within: float = CONVERGED_WITHIN, learned: bool = True) -> dict:
    """First epoch (1-based) whose test F1 is within ``within`` points of the run's best over all epochs,
    and the CPU-minutes of training until then (epoch times times the run's torch threads).

    A run that did not learn the task (``learned`` False) has not converged within its budget, whatever
    its flat F1 says: its epoch is one past its last and its CPU-minutes all it trained (a lower bound), so
    it counts as slower than any run that learned.
    """
    history = result["history"]
    best = max(h["test"]["F1"] for h in history)
    if not learned:
        return {"epoch": len(history) + 1, "cpu_minutes": cpu_minutes(result)[-1], "best_f1": best}
    for h, minutes in zip(history, cpu_minutes(result)):
        if h["test"]["F1"] >= best - within:
            return {"epoch": h["epoch"] + 1, "cpu_minutes": minutes, "best_f1": best}
    raise AssertionError("unreachable: the best epoch is within any margin of itself")


def cpu_minutes(result: dict) -> list[float]:
    """CPU-minutes of training at the end of each epoch (epoch times times the run's torch threads)."""
    threads = (result.get("machine") or {}).get("torch_threads") or 1
    out, minutes = [], 0.0
    for h in result["history"]:
        minutes += h["epoch_time_s"] * threads / 60
        out.append(minutes)
    return out


def curves(results: list[dict], config: N2RConfig):
    """Long frame of test F1 and S per epoch and run (for plots with bands over seeds)."""
    import pandas as pd

    names = {cfg.key(): (label, run) for label, run, cfg in config.runs()}
    rows = []
    for r in results:
        label, run = names[r["key"]]
        for h, minutes in zip(r["history"], cpu_minutes(r)):
            rows.append({"dataset_label": label, "run": run, "seed": r["config"]["seed"], "epoch": h["epoch"] + 1,
                         "cpu_minutes": minutes, "F1": h["test"]["F1"], "S": h["test"]["S"],
                         "dev_acc": h["dev"]["acc"]})
    return pd.DataFrame(rows)


def summary_table(frame):
    """mean ± std over seeds of the test metrics, dev accuracy and convergence, per dataset and run."""
    return mean_std_table(frame, by=["dataset_label", "run"],
                          metrics=[*METRICS, "dev_acc", "converged_epoch", "converged_cpu_min"])


def comparisons(frame, label: str) -> list[dict]:
    """N2R and MMI+N2R against RNP, and MMI+N2R against N2R, on one dataset, by the book's rule."""
    rows = frame[frame.dataset_label == label]
    out = []
    for better, worse in (("n2r", "rnp"), ("mmi_n2r", "rnp"), ("mmi_n2r", "n2r")):
        a, b = rows[rows.run == better], rows[rows.run == worse]
        if a.empty or b.empty:
            continue
        for metric in ("F1", "converged_epoch"):
            c = compare(a, b, metric)
            out.append({"dataset": label, "comparison": f"{better} vs {worse}", "metric": metric,
                        "seeds": f"{len(a)} vs {len(b)}", "difference": round(c["diff"], 1),
                        "larger seed spread": round(c["spread"], 1), "call": c["call"],
                        "seeds apart": seeds_apart(c, better, worse)})
    return out


def verdict(frame, label: str) -> str:
    """Does N2R (alone or with MMI) select better rationales than MMI on ``label``? The call, the comparisons
    and the means as lists, then notes."""
    rows = frame[(frame.dataset_label == label) & frame.run.isin(["rnp", "n2r", "mmi_n2r"])]
    calls = {(c["comparison"], c["metric"]): c for c in comparisons(frame, label)}
    gains = [calls.get((f"{m} vs rnp", "F1")) for m in ("n2r", "mmi_n2r")]
    gains = [g for g in gains if g is not None]
    if not gains:
        return f"**Pending** on {label}: RNP and an N2R variant are not both stored."
    # A variant the design runs (it is stored on another dataset) but not stored here yet: no call without it.
    unstored = [m for m in ("n2r", "mmi_n2r") if m in set(frame.run) and m not in set(rows.run)]
    means = rows.groupby("run")[["F1", "random_F1", "dev_acc"]].mean()
    # A gain counts only where the N2R variant also selects better than random words would.
    wins = [g for g in gains if g["call"] == "higher"]
    real = [g for g in wins if _above_chance(means, g["comparison"].split(" vs ")[0])]
    if unstored or any(g["call"].startswith("fewer than") for g in gains):
        call = f"**Pending** (fewer than {MIN_SEEDS} seeds of a compared method stored)"
    elif len(real) == len(gains):
        call = "**Reproduced at this scale**"
    elif real:
        call = "**Partly reproduced at this scale**"
    elif wins:
        call = ("**Not reproduced at this scale** (higher F1 than RNP, but no better than selecting words at "
                "random)")
    else:
        call = "**Not reproduced at this scale**"
    parts = [f"{g['comparison'].split(' vs ')[0]} {signed(g['difference'])} F1 against RNP (larger spread over "
             f"seeds {g['larger seed spread']:.1f}, {g['seeds']} seeds: {call_words(g['call'], 'better', 'worse')}"
             + yet_clause(g["seeds apart"]) + ")" for g in gains]
    parts += [f"{m}: no seed stored yet" for m in unstored]
    detail = [f"{run} F1 {r.F1:.1f} (random selection at its sparsity {r.random_F1:.1f}, dev accuracy "
              f"{r.dev_acc:.1f}%)" for run, r in means.iterrows()]
    return paragraphs(f"{call} on {label} (paper: +{PAPER_GAIN_RANGE[0]:g} to +{PAPER_GAIN_RANGE[1]:g} F1 over MMI):",
                      bullets(parts), "Means over seeds:\n\n" + bullets(detail), chance_note(rows))


def _above_chance(means, run: str) -> bool:
    return bool(means.F1[run] > means.random_F1[run])


def _side_by_side(frame, variant, baseline: str, baseline_name: str, columns: dict, call_name: str) -> list[dict]:
    """Per dataset label where both are stored: a row of means over seeds (``columns``: name -> column or
    function of the rows) for the runs ``variant`` picks and for ``baseline``, each with the F1 call."""
    out = []
    for label, rows in frame.groupby("dataset_label", sort=False):
        varied, base = rows[variant(rows.run)], rows[rows.run == baseline]
        if varied.empty or base.empty:
            continue
        c = compare(varied, base, "F1")
        for name, group in ((varied.run.iloc[0], varied), (baseline_name, base)):
            row = {"dataset": label, "run": name, "seeds": len(group)}
            row.update({column: round(how(group) if callable(how) else group[how].mean(), 1)
                        for column, how in columns.items()})
            out.append({**row, call_name: f"{signed(c['diff'])}, {c['call']}"})
    return out


def continuity_check(frame) -> list[dict]:
    """RNP with the official continuity normalisation against RNP as the book trains it, per dataset:
    F1, sparsity and the epoch its argmax selection starts (mean over seeds), and the F1 call."""
    return _side_by_side(frame, lambda run: run.str.startswith("rnp, continuity"), "rnp",
                         "rnp (each batch's own width)",
                         {"F1": "F1", "S": "S", "selects from epoch": lambda g: g.selects_from_epoch.dropna().mean()},
                         "F1 call (official vs book)")


def plmr_norm_check(frame) -> list[dict]:
    """PLMR with a norm step against PLMR, per dataset label where both are stored: F1, S and dev accuracy
    (means over seeds) and the F1 call by the book's rule."""
    return _side_by_side(frame, lambda run: run == PLMR_NORM_RUN, "plmr", "plmr",
                         {"F1": "F1", "random F1": "random_F1", "S": "S", "dev accuracy": "dev_acc"},
                         "F1 call (norm step vs plmr)")


def rationale_examples(results: list[dict], per_run: int = 2) -> list[tuple[str, list[dict]]]:
    """(title, examples) of the N2R runs' first seed: stored test examples, failed ones first."""
    return transformer_examples(results, per_run, include=lambda cfg: cfg["method"]["method"] in ("n2r", "mmi_n2r"))


def pending_note(config) -> str:
    """Which runs of the full design (every method on every seed) are not stored yet, and the command."""
    return needs_pending_note(config, "n2r")


NORM_WORDS = {"pooled": "the final [CLS] vector's norm (the pooled vector, as with the GRU)",
              "pre_ln": "the norm of the [CLS] state before the last LayerNorm"}


def norm_choice(config: N2RConfig, probe: dict | None = None) -> str:
    """Which norm the transformer N2R runs maximise, next to chapter 4's measurement of both (``probe``:
    :func:`ratlib.experiments.diminishing.run`) and whether the measurement supports the choice."""
    from .diminishing import rising_norm, transformer_norms

    if len(config.labels()) == len(config.datasets):
        return "This profile trains no transformer N2R runs."
    norm = config.plm_n2r_norm or "pooled"
    text = f"The {config.plm_encoder} N2R runs maximise {NORM_WORDS[norm]} (`n2r_norm=\"{norm}\"`)."
    measured = transformer_norms(probe) if probe else ""
    if not measured:
        return text + " Chapter 4 has no transformer predictor probed in this profile."
    rising = rising_norm(probe)
    support = ("Neither norm rises with the rationale there, so neither choice has the signal N2R relies on."
               if rising is None else
               "That is the one that rises more with the rationale there." if rising == norm else
               f"The measurement favours the other one ({NORM_WORDS[rising]}): the runs do not follow it.")
    return (text + f" Chapter 4, on the RNP-{config.plm_encoder} predictors, from candidates without to "
            f"candidates with the whole gold rationale: {measured} {support}")

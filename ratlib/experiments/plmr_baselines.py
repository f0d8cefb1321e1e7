"""Chapter 3: PLMR against its baselines (PLMR's main tables), at a budget where a transformer learns.

On each dataset the same transformer (MiniLM offline) runs as RNP, FR and
PLMR, next to the GRU versions of RNP and FR. Two references decide whether
the comparison tests anything:

* the transformer trained as a plain classifier on the full text (method
  ``fulltext``, same data, budget and learning rates): the budget is *valid*
  when it reaches :data:`TARGET_ACC` % balanced dev accuracy, or comes within
  :data:`TARGET_MARGIN` points of the bag-of-n-grams classifier where that is
  lower — otherwise a rationalizer's failure would measure the budget;
* the bag-of-n-grams classifier on the same texts (how much of the label the
  words carry for a simple model).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..data.registry import DataConfig
from ..encoders import PLM, encoder_kind
from ..methods import MethodConfig
from ..methods.recipes import CPU_GRU_LR
from ..train import TRAINER_VERSION, TrainConfig
from .degeneration import transformer_examples as rationale_examples  # noqa: F401 (the chapter's examples)
from .needs import Need, count_of, run_need, stored_need
from .needs import pending_note as needs_pending_note
from .runs import (METRICS, MIN_SEEDS, chance_note, compare, not_learned, runs_frame,  # noqa: F401 (compare: the chapter's rule)
                   bullets, call_words, paragraphs, seeds_apart, signed, undecided_note, yet_clause)

# PLMR's headline claims (abstract): up to +17 F1 over PLM-based and up to +9 over GRU-based rationalizers.
PAPER_GAIN_OVER_PLM = 17.0
PAPER_GAIN_OVER_GRU = 9.0

# The budget rule of the chapter (issue 10): the full-text transformer reaches this balanced dev accuracy,
# or comes within TARGET_MARGIN points of the bag-of-n-grams classifier where that is lower.
TARGET_ACC = 85.0
TARGET_MARGIN = 3.0

# The chapter's name for PLMR run with ``plmr_drop_pruned`` (a variant of method "plmr", not a method of its own).
PLMR_DROP = "plmr_drop"
# Rows of a chapter frame that are not baselines PLMR is compared with.
NOT_BASELINES = ("plmr", PLMR_DROP, "fulltext")


def baseline_rows(rows):
    """The rationalizers PLMR is compared with (RNP and FR on either encoder) among ``rows``."""
    return rows[~rows.method.isin(NOT_BASELINES)]


@dataclass(frozen=True)
class Dataset:
    """One dataset of the chapter, with the budget and sparsity its runs get.

    ``data`` holds :class:`~ratlib.data.registry.DataConfig` fields; ``sparsity``
    is the target share of selected tokens (from the data card's gold share).
    """

    label: str
    data: dict
    sparsity: float
    plm_epochs: int
    gru_epochs: int
    plm_max_train: int | None = None
    # DataConfig fields for the transformer runs alone (e.g. {"max_len": 96, "max_dev": 300}: shorter texts
    # and a smaller dev set to afford a transformer epoch), so the GRU runs keep the dataset's full texts.
    plm_data: dict | None = None

    def data_config(self, plm: bool) -> DataConfig:
        fields = dict(self.data)
        if plm and self.plm_max_train is not None:
            fields["max_train"] = self.plm_max_train
        if plm and self.plm_data:
            fields.update(self.plm_data)
        return DataConfig(**fields)

    def train_config(self, method: str, encoder: str, seed: int, *, gru_lr: float | None, trainer_version: int,
                     **knobs) -> TrainConfig:
        """One run on this dataset at its budget (the transformer's or the GRU's), so chapters that share
        a dataset share its stored runs. The full-text control (method ``fulltext``) has no sparsity."""
        plm = encoder_kind(encoder) == PLM
        lr = {} if plm or gru_lr is None else {"lr_encoder": gru_lr, "lr_head": gru_lr}
        sparsity = {} if method == "fulltext" else {"sparsity": self.sparsity}
        return TrainConfig(data=self.data_config(plm),
                           method=MethodConfig(method=method, encoder=encoder, **sparsity, **lr, **knobs),
                           seed=seed, epochs=self.plm_epochs if plm else self.gru_epochs,
                           trainer_version=trainer_version)


# HateXplain: every balanced training post (4,438; about 23 words each), balanced dev set,
# sparsity 0.4 (toxic posts: 39 % of their words are in the gold rationale).
HATEXPLAIN = Dataset(label="hatexplain", data={"name": "hatexplain", "balance_dev": True}, sparsity=0.4,
                     plm_epochs=3, gru_epochs=30)


@dataclass(frozen=True)
class PLMRBaselinesConfig:
    datasets: tuple[Dataset, ...] = (HATEXPLAIN,)
    encoder: str = "minilm"
    # "plmr_drop": PLMR with pruned tokens dropped from the later layers (beyond the paper; see ratlib.methods.plmr).
    plm_methods: tuple[str, ...] = ("rnp", "fr", "plmr", PLMR_DROP)
    gru_methods: tuple[str, ...] = ("rnp", "fr")
    seeds: tuple[int, ...] = (1, 2, 3)
    # Per-method seeds overriding ``seeds`` (e.g. while a sweep is still being stored).
    method_seeds: dict = field(default_factory=dict, hash=False)
    gru_lr: float | None = CPU_GRU_LR         # as the data card; None: the papers' 1e-4
    full_text_control: bool = True
    pruning_benchmark: bool = True       # time PLMR's step with and without dropping pruned tokens
    # A deeper transformer the chapter does not train (MPNet, BERT-base's depth): what its runs would cost,
    # from a measured step-time ratio to ``encoder`` and the stored runs' times.
    costed_encoder: str | None = None
    baseline_seed: int = 0
    trainer_version: int = TRAINER_VERSION
    # Trainer version of the GRU runs per dataset label (others: ``trainer_version``), so a dataset can share
    # GRU runs stored by an older trainer (the data card's) with the other chapters.
    gru_trainer_versions: dict = field(default_factory=dict, hash=False)
    # Datasets (labels) and seeds whose rationalizers' selectors are read for how they rank the gold words
    # (:mod:`.selector_ranking`): the runs' checkpoints, or the runs retrained where those are missing.
    ranking_datasets: tuple[str, ...] = ()
    ranking_seeds: tuple[int, ...] = (1,)
    # Encoders whose rankings are stored so far (None: every encoder; the full design's).
    ranking_encoders: tuple[str, ...] | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def seeds_of(self, method: str, encoder: str, label: str | None = None) -> tuple[int, ...]:
        """Seeds of a method: ``method_seeds["<method>/<encoder>/<label>"]``, else ``["<method>/<encoder>"]``,
        else :attr:`seeds`."""
        by_method = self.method_seeds.get(f"{method}/{encoder}", self.seeds)
        return tuple(self.method_seeds.get(f"{method}/{encoder}/{label}", by_method))

    def runs(self) -> list[tuple[str, TrainConfig]]:
        """(role, configuration) of every training run; roles: ``<method> (<encoder>)``."""
        out = []
        for ds in self.datasets:
            jobs = [(m, self.encoder) for m in self.plm_methods] + [(m, "gru") for m in self.gru_methods]
            for method, encoder in jobs:
                variant = ("plmr", {"plmr_drop_pruned": True}) if method == PLMR_DROP else (method, {})
                version = self.gru_trainer_versions.get(ds.label, self.trainer_version) if encoder == "gru" \
                    else self.trainer_version
                for seed in self.seeds_of(method, encoder, ds.label):
                    out.append((f"{method} ({encoder})", ds.train_config(variant[0], encoder, seed, gru_lr=self.gru_lr,
                                                                         trainer_version=version, **variant[1])))
            if self.full_text_control:
                # A yes/no check of the budget, not a number the chapter averages: first seed only.
                for seed in self.seeds_of("fulltext", self.encoder, ds.label)[:1]:
                    out.append((f"fulltext ({self.encoder})",
                                ds.train_config("fulltext", self.encoder, seed, gru_lr=self.gru_lr,
                                                trainer_version=self.trainer_version)))
        return out

    def train_configs(self) -> list[TrainConfig]:
        return [cfg for _, cfg in self.runs()]

    def full_design(self) -> "PLMRBaselinesConfig":
        """The chapter with every method on every seed and every ranking (``method_seeds`` and
        ``ranking_encoders`` dropped)."""
        return replace(self, method_seeds={}, ranking_encoders=None)

    def baseline_need(self, ds: Dataset) -> Need:
        from ..fulltext_baseline import full_text_accuracy

        data = ds.data_config(plm=False)
        key = {"baseline": "full_text_bag_of_ngrams", "data": [data.to_json()], "seed": self.baseline_seed}
        return stored_need("baselines", key, f"bag-of-n-grams classifier on {ds.label}",
                           lambda: {"datasets": {ds.label: full_text_accuracy(data, self.baseline_seed)}})

    def benchmark_need(self) -> Need | None:
        """The step-time benchmark of PLMR with pruned tokens dropped (when the chapter runs that variant)."""
        from .pruning_cost import benchmark_need

        if PLMR_DROP not in self.plm_methods or not self.pruning_benchmark:
            return None
        return benchmark_need(self.encoder, self.datasets[0].data["name"])

    def cost_need(self) -> Need | None:
        """The step-time benchmark of :attr:`costed_encoder` against the chapter's encoder."""
        from .encoder_cost import benchmark_need

        if self.costed_encoder is None:
            return None
        return benchmark_need((self.encoder, self.costed_encoder), self.datasets[0].data["name"])

    def ranking_configs(self) -> list[tuple[str, TrainConfig]]:
        """(dataset label, run) of every rationalizer whose selector the chapter ranks."""
        labels = {ds.data_config(plm=p).key(): ds.label for ds in self.datasets for p in (True, False)}
        return [(labels[cfg.data.key()], cfg) for _, cfg in self.runs()
                if cfg.method.method != "fulltext" and cfg.seed in self.ranking_seeds
                and labels[cfg.data.key()] in self.ranking_datasets
                and (self.ranking_encoders is None or cfg.method.encoder in self.ranking_encoders)]

    def ranking_needs(self) -> list[Need]:
        from .selector_ranking import ranking_need

        return [ranking_need(cfg) for _, cfg in self.ranking_configs()]

    def needs(self) -> list[Need]:
        extra = [n for n in (self.benchmark_need(), self.cost_need()) if n is not None]
        # the rankings last: they read the runs' checkpoints, which the runs before them leave
        return [*(self.baseline_need(ds) for ds in self.datasets), *map(run_need, self.train_configs()), *extra,
                *self.ranking_needs()]

    def frame(self, results: list[dict]):
        """:func:`runs_frame` with ``dataset`` (its label) and ``run`` (``method (encoder)``) columns."""
        labels = {DataConfig(**ds.data).name: ds.label for ds in self.datasets}
        frame = runs_frame(results)
        frame["method"] = [PLMR_DROP if r["config"]["method"].get("plmr_drop_pruned") else m
                           for r, m in zip(results, frame.method)]
        frame.insert(0, "dataset_label", [labels.get(r["config"]["data"]["name"], r["config"]["data"]["name"])
                                          for r in results])
        frame.insert(2, "run", [f"{m} ({e})" for m, e in zip(frame.method, frame.encoder)])
        frame["key"] = [r["key"] for r in results]
        return frame


def budget_target(bag_of_ngrams_dev_acc: float) -> float:
    """The balanced dev accuracy the full-text transformer must reach for a budget to count."""
    return min(TARGET_ACC, bag_of_ngrams_dev_acc - TARGET_MARGIN)


def budget_check(frame, baseline: dict, label: str, results: list[dict] | None = None) -> dict:
    """Did the full-text transformer reach :func:`budget_target` on ``label``? Numbers and the answer.

    With ``results`` (the runs of ``frame``), also the smallest budget that reached it: the first
    epoch of the full-text run whose dev accuracy meets the target, in epochs and training texts seen.
    """
    bon = baseline["datasets"][label]["dev_acc"]
    target = budget_target(bon)
    full = frame[(frame.dataset_label == label) & (frame.method == "fulltext")]
    # dev_acc is the accuracy at the chosen epoch, i.e. the best over the run's epochs.
    reached = float(full.dev_acc.mean()) if len(full) else None
    out = {"dataset": label, "bag_of_ngrams_dev_acc": bon, "target": target, "full_text_dev_acc": reached,
           "valid": reached is not None and reached >= target}
    if results is not None:
        keys = set(full.key) if "key" in full else set()
        for r in results:
            if r["key"] not in keys:
                continue
            first = next((h["epoch"] + 1 for h in r["history"] if h["dev"]["acc"] >= target), None)
            out["first_epoch_at_target"] = first
            out["texts_seen_at_target"] = None if first is None else first * r["data"]["train"]["n"]
    return out


def plmr_call_words(call: str) -> str:
    """A comparison's call in words (PLMR is the side compare() is given first)."""
    return call_words(call, "PLMR better", "PLMR worse")


def verdict(frame, baseline: dict, label: str) -> str:
    """PLMR against the best PLM-based and the best GRU-based baseline on one dataset: the call, the two
    comparisons as a list, then notes."""
    rows = frame[frame.dataset_label == label]
    budget = budget_check(frame, baseline, label)
    if budget["full_text_dev_acc"] is None:
        return f"**Pending** on {label}: the full-text control is not stored, so the budget is not established."
    head = (f"Budget on {label}: the full-text transformer reaches {budget['full_text_dev_acc']:.1f}% balanced dev "
            f"accuracy (target {budget['target']:.1f}%: the bag-of-n-grams classifier's "
            f"{budget['bag_of_ngrams_dev_acc']:.1f}% less {TARGET_MARGIN:g}, capped at {TARGET_ACC:g}%)")
    if not budget["valid"]:
        return (f"**Not tested at this budget**. {head}: below target, so a rationalizer's failure here would "
                "measure the budget.")
    plmr = rows[rows.method == "plmr"]
    if plmr.empty:
        return f"**Pending**: {head}; no PLMR run is stored."
    means = rows[rows.method != "fulltext"].groupby("run").F1.mean()
    plm_runs = baseline_rows(rows[rows.encoder.map(encoder_kind) == PLM])
    gru_runs = baseline_rows(rows[rows.encoder == "gru"])
    parts, wins, untested = [], 0, []
    for name, group in (("PLM-based", plm_runs), ("GRU-based", gru_runs)):
        if group.empty:
            continue
        best_run = group.groupby("run").F1.mean().idxmax()
        c = compare(plmr, group[group.run == best_run])
        wins += c["call"] == "higher"
        if c["call"].startswith("fewer than"):
            untested.append(name)
        parts.append(f"against the best {name} baseline, {best_run} (F1 {means[best_run]:.1f}), PLMR's F1 "
                     f"{means[plmr.run.iloc[0]]:.1f} differs by {signed(c['diff'])} (larger spread "
                     f"over seeds {c['spread']:.1f}: {plmr_call_words(c['call'])}"
                     + yet_clause(seeds_apart(c, "PLMR", best_run)) + ")")
    seeds = plmr.seed.nunique()
    selecting = rows[rows.method != "fulltext"]
    at_chance = chance_note(selecting) + (undecided_note(selecting) if "sampled_S" in selecting else "")
    learned = "" if not not_learned(plmr) else (
        f" PLMR's predictor did not learn the task (mean dev accuracy {plmr.dev_acc.mean():.1f}% at its chosen "
        "epoch), although the full-text classifier did at the same budget.")
    if seeds < MIN_SEEDS:
        call = f"**Pending** (fewer than {MIN_SEEDS} PLMR seeds stored)"
    elif wins == len(parts) and parts:
        call = "**Reproduced at this scale**"
    elif wins:
        call = "**Partly reproduced at this scale**"
    elif untested and len(untested) < len(parts):
        call = (f"**Not reproduced where tested** (against the {' and '.join(untested)} baselines pending: fewer "
                f"than {MIN_SEEDS} seeds stored)")
    elif untested:
        call = f"**Pending** (fewer than {MIN_SEEDS} seeds of the baselines stored)"
    else:
        call = "**Not reproduced at this scale**"
    comparisons = bullets(part[0].upper() + part[1:] for part in parts)
    return paragraphs(f"{call} on {label} (paper: up to +{PAPER_GAIN_OVER_PLM:g} F1 over PLM-based, up to "
                      f"+{PAPER_GAIN_OVER_GRU:g} over GRU-based methods; {count_of(seeds, 'seed')} of PLMR here):",
                      comparisons, at_chance, learned, head + ".")


def pruning_note(frame, benchmark: dict) -> str:
    """What dropping pruned tokens costs and what it selects, from the stored benchmark and runs."""
    rows = benchmark["rows"]
    parts = []
    for alpha in sorted({r["alpha"] for r in rows}, reverse=True):
        steps = {r["step"]: r for r in rows if r["alpha"] == alpha}
        dense, dropped = steps["PLMR, dense (paper)"], steps["PLMR, pruned tokens dropped"]
        parts.append(f"at sparsity {alpha:g} a step with pruned tokens dropped takes "
                     f"{dropped['median s'] / dense['median s']:.2f}x the dense step's time "
                     f"({dropped['x plain step']:.2f}x a plain fine-tuning step, the dense one "
                     f"{dense['x plain step']:.2f}x)")
    first = rows[0]
    cost = (f"Measured on {first['batch']} posts ({first['real tokens']} word pieces), median of {first['rounds']} "
            f"rounds, one thread, load average {benchmark.get('load_average_at_end', '?')} at the end: "
            + "; ".join(parts) + ".")
    if frame[frame.method == PLMR_DROP].empty:
        return cost + " No run of the variant is stored yet, so its F1 is not known."
    quality = []
    # per dataset: the two versions compared on the same data only
    for label, rows in frame.groupby("dataset_label", sort=False):
        dense, dropped = rows[rows.method == "plmr"], rows[rows.method == PLMR_DROP]
        if dropped.empty:
            continue
        c = compare(dropped, dense) if not dense.empty else None
        quality.append(f"on {label}, F1 with pruned tokens dropped {dropped.F1.mean():.1f} "
                       f"({count_of(dropped.seed.nunique(), 'seed')}) against "
                       + (f"{dense.F1.mean():.1f} for the paper's dense PLMR "
                          f"({count_of(dense.seed.nunique(), 'seed')}): "
                          f"{signed(c['diff'])}, {c['call']}" if c else "no stored run of the paper's dense PLMR"))
    quality = "; ".join(quality)
    return f"{cost} {quality[:1].upper()}{quality[1:]}."


def summary_table(frame, by=("dataset_label", "run")):
    """mean ± std over seeds of every metric, with the dev accuracy at the chosen epoch."""
    from .runs import mean_std_table

    return mean_std_table(frame, by=list(by), metrics=[*METRICS, "dev_acc"])


def pending_note(config) -> str:
    """Which runs of the full design (every method on every seed) are not stored yet, and the command."""
    return needs_pending_note(config, "plmr")


def ranking_pending_note(config) -> str:
    """Which selector rankings of the full design are not stored yet, and the command ("" when none)."""
    absent = [need.label for need in config.full_design().ranking_needs() if not need.stored()]
    if not absent:
        return ""
    return (f"**Not stored yet** ({len(absent)}): {'; '.join(absent)}. `python -m ratlib sweep plmr --profile cpu "
            "--full-design` computes them (retraining each run whose checkpoint is not on the machine).")

"""Chapter 2: degeneration and failure of MMI rationalizers with a pre-trained encoder (PLMR Table 1).

RNP and FR with a BiGRU over GloVe and with a transformer (MiniLM offline),
on the correlated and the decorrelated generated reviews. The GRU runs with
the data card's settings are the same configurations, so their stored
results are shared.

``datasets`` adds real datasets at a budget where the transformer learns
(chapter 3's :class:`~ratlib.experiments.plmr_baselines.Dataset` objects):
their runs are chapter 3's RNP and FR runs, shared through the same
configurations, and each is a setting of its own, named after the dataset.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..data.registry import DataConfig
from ..encoders import PLM, encoder_kind
from ..methods import MethodConfig
from ..methods.recipes import CPU_GRU_LR
from ..train import TRAINER_VERSION, TrainConfig
from .needs import Need, compute_estimate, count_of, missing, run_need, seeds_listing, seeds_per, unique
from .runs import (MIN_SEEDS, bullets, call_words, chance_note, compare, not_learned, paragraphs, runs_frame,
                   seeds_apart, setting_name, signed, undecided_note, yet_clause)

# PLMR Table 1 / protocol.md: F1 on decorrelated Beer-Appearance.
PAPER_F1 = {("rnp", "gru"): 73.2, ("fr", "gru"): 82.8, ("rnp", "bert"): 14.7, ("fr", "bert"): 29.8,
            ("rnp", "electra"): 13.7, ("fr", "electra"): 14.6}


@dataclass(frozen=True)
class DegenerationConfig:
    synth: dict = field(default_factory=dict, hash=False)
    aspect: int = 0
    settings: tuple[str, ...] = ("decorrelated", "correlated")
    methods: tuple[str, ...] = ("rnp", "fr")
    encoders: tuple[str, ...] = ("gru", "minilm")
    seeds: tuple[int, ...] = (1,)
    # Per-setting seeds overriding ``seeds``, e.g. {"correlated": (1, 2)}.
    setting_seeds: dict = field(default_factory=dict, hash=False)
    gru_epochs: int = 40
    gru_lr: float | None = CPU_GRU_LR         # None: the papers' 1e-4
    gru_max_train: int | None = None
    plm_epochs: int = 3
    plm_max_train: int | None = 1200
    plm_max_dev: int | None = 300
    # Truncate the transformer budget's texts to this many words (None: the loader's 256, i.e. none for
    # the generated reviews); the share of the gold rationale it cuts is data.stats.gold_lost_to_truncation.
    plm_max_len: int | None = None
    balance_dev: bool = True             # as PLMR does; see DatacardConfig.balance_dev
    # Also train the GRU on the transformer runs' budget (their training set and epochs): a
    # control that tells a transformer's failure from a budget too small for any encoder.
    budget_control: bool = True
    # Also train each transformer as a plain classifier on the full text (method "fulltext"),
    # same data, budget and learning rates: does the encoder learn the label at all at this budget?
    # First seed only: a yes/no check, not a number the chapter averages.
    full_text_control: bool = True
    trainer_version: int = TRAINER_VERSION  # ratlib.train.TRAINER_VERSION; the stored cpu runs are version 1
    # Trainer version of the runs at the transformer budget (the transformers, the budget control and the
    # full-text control) when they differ from the full-budget GRU runs' (None: ``trainer_version``).
    plm_trainer_version: int | None = None
    # Real datasets at their own budget (plmr_baselines.Dataset; chapter 3's runs), and their runs' version.
    datasets: tuple = ()
    datasets_trainer_version: int = TRAINER_VERSION
    # Seeds stored so far of some runs, per "<role>/<method>/<setting>" (the roles of runs(), e.g.
    # "minilm/rnp/decorrelated"), overriding seeds_of while a sweep is still being stored.
    run_seeds: dict = field(default_factory=dict, hash=False)
    # An earlier, smaller transformer budget (fields of this class, e.g. {"plm_max_train": 1200}) whose
    # stored runs on the generated benchmark the page shows beside this budget's (see smaller()).
    smaller_budget: dict = field(default_factory=dict, hash=False)

    def to_json(self) -> dict:
        return asdict(self)

    def all_settings(self) -> tuple[str, ...]:
        """The generated benchmark's settings, then the real datasets' labels."""
        return (*self.settings, *(ds.label for ds in self.datasets))

    def data_config(self, setting: str, plm: bool) -> DataConfig:
        if setting not in ("decorrelated", "correlated"):
            raise ValueError(f"setting must be 'decorrelated' or 'correlated', got {setting!r}")
        length = {"max_len": self.plm_max_len} if plm and self.plm_max_len is not None else {}
        return DataConfig(name="synth", aspect=self.aspect, correlated=setting == "correlated",
                          max_train=self.plm_max_train if plm else self.gru_max_train,
                          max_dev=self.plm_max_dev if plm else None, balance_dev=self.balance_dev,
                          options=dict(self.synth), **length)

    def seeds_of(self, setting: str) -> tuple[int, ...]:
        """The seeds run in ``setting``: :attr:`setting_seeds` when it names the setting, else :attr:`seeds`."""
        unknown = sorted(set(self.setting_seeds) - set(self.all_settings()))
        if unknown:
            raise ValueError(f"setting_seeds names unknown setting(s) {unknown}; settings: "
                             f"{list(self.all_settings())}")
        return tuple(self.setting_seeds.get(setting, self.seeds))

    def runs(self) -> list[tuple[str, TrainConfig]]:
        """(role, configuration) of every training run.

        The role is the encoder's name, :data:`GRU_AT_PLM_BUDGET` for the
        budget control, or ``"<encoder>, full text"`` (:func:`full_text_role`)
        for the full-text control. Controls come last so the other runs keep
        their order. :attr:`run_seeds` narrows a run's seeds to those stored so far.
        """
        gru_lr = {} if self.gru_lr is None else {"lr_encoder": self.gru_lr, "lr_head": self.gru_lr}
        at_plm_budget = self.trainer_version if self.plm_trainer_version is None else self.plm_trainer_version
        out = []

        def add(role, setting, method, encoder, plm_budget, seeds=None):
            knobs = {} if encoder_kind(encoder) == PLM else gru_lr
            seeds = self.run_seeds.get(f"{role}/{method}/{setting}", self.seeds_of(setting) if seeds is None else seeds)
            for seed in seeds:
                out.append((role, TrainConfig(
                    data=self.data_config(setting, plm_budget), method=MethodConfig(method=method, encoder=encoder,
                                                                                    **knobs),
                    seed=seed, epochs=self.plm_epochs if plm_budget else self.gru_epochs,
                    trainer_version=at_plm_budget if plm_budget else self.trainer_version)))

        for setting in self.settings:
            for encoder in self.encoders:
                for method in self.methods:
                    add(encoder, setting, method, encoder, encoder_kind(encoder) == PLM)
        plms = [e for e in self.encoders if encoder_kind(e) == PLM]
        if self.budget_control and "gru" in self.encoders and plms:
            for setting in self.settings:
                for method in self.methods:
                    add(GRU_AT_PLM_BUDGET, setting, method, "gru", True)
        if self.full_text_control:
            # A yes/no check of the budget, not a number the chapter averages: first seed only.
            for setting in self.settings:
                for encoder in plms:
                    add(full_text_role(encoder), setting, "fulltext", encoder, True, self.seeds_of(setting)[:1])
        return out + self._dataset_runs()

    def _dataset_runs(self) -> list[tuple[str, TrainConfig]]:
        """The real datasets' runs: every method on every encoder at the dataset's budget, then the full-text
        control of each transformer (first seed). No budget control: there the transformer learns."""
        common = {"gru_lr": self.gru_lr, "trainer_version": self.datasets_trainer_version}
        out = []
        for ds in self.datasets:
            for encoder in self.encoders:
                for method in self.methods:
                    for seed in self.seeds_of(ds.label):
                        out.append((encoder, ds.train_config(method, encoder, seed, **common)))
        if self.full_text_control:
            for ds in self.datasets:
                for encoder in (e for e in self.encoders if encoder_kind(e) == PLM):
                    for seed in self.seeds_of(ds.label)[:1]:
                        out.append((full_text_role(encoder), ds.train_config("fulltext", encoder, seed, **common)))
        return out

    def train_configs(self) -> list[TrainConfig]:
        return [cfg for _, cfg in self.runs()]

    def plm_budget_label(self) -> str:
        """The transformer budget on the generated reviews in words: "4,000 training reviews cut to 96 words, 3 epochs"."""
        reviews = "every training review" if self.plm_max_train is None else f"{self.plm_max_train:,} training reviews"
        length = "" if self.plm_max_len is None else f" cut to {self.plm_max_len} words"
        return f"{reviews}{length}, {count_of(self.plm_epochs, 'epoch')}"

    def full_text_control_config(self, setting: str = "decorrelated") -> TrainConfig | None:
        """The first transformer's full-text control in ``setting`` (stored or not), or None when there is none."""
        role = full_text_role(next((e for e in self.encoders if encoder_kind(e) == PLM), ""))
        return next((cfg for r, cfg in self.full_design().runs()
                     if r == role and setting_name(asdict(cfg.data)) == setting), None)

    def full_design(self) -> "DegenerationConfig":
        """The chapter with every run on every seed (``run_seeds`` dropped)."""
        return replace(self, run_seeds={})

    def smaller(self) -> "DegenerationConfig | None":
        """The chapter at :attr:`smaller_budget` on the generated benchmark alone (None when there is none)."""
        if not self.smaller_budget:
            return None
        return replace(self, **{"run_seeds": {}, "datasets": (), "smaller_budget": {}, **self.smaller_budget})

    def needs(self) -> list[Need]:
        """Every run the page reads: this budget's, then the smaller budget's (the full GRU runs are shared)."""
        smaller = self.smaller()
        return unique(map(run_need, self.train_configs() + (smaller.train_configs() if smaller else [])))

    def roles(self) -> dict[str, str]:
        """Result key -> role of every training run."""
        return {cfg.key(): role for role, cfg in self.runs()}

    def frame(self, results: list[dict]):
        """:func:`runs_frame` of ``results`` with a ``run`` column: each run's role."""
        roles = self.roles()
        frame = runs_frame(results)
        frame.insert(2, "run", [roles.get(r["key"], r["config"]["method"]["encoder"]) for r in results])
        return frame

    def budget_note(self, results: list[dict]) -> str:
        """How many training reviews the full GRU runs needed before selecting anything, against the PLM runs' budget."""
        roles = self.roles()
        real = {cfg.key() for _, cfg in self._dataset_runs()}   # budgets of their own (chapter 3's)
        onsets, budgets = [], []
        for r in results:
            role = None if r["key"] in real else roles.get(r["key"])
            seen = r["data"]["train"]["n"]
            if role == "gru":
                epoch = selection_onset(r)
                onsets.append(None if epoch is None else (epoch, epoch * seen))
            elif role not in (None, GRU_AT_PLM_BUDGET):
                budgets.append(r["config"]["epochs"] * seen)
        if not onsets or not budgets:
            return ""
        started = [o for o in onsets if o is not None]
        text = (f"The full-budget GRU runs began to select words (argmax S of at least {ONSET_SPARSITY:g}% on the "
                f"test set) ")
        if started:
            text += (f"after {_span([e for e, _ in started], '')} epochs, i.e. "
                     f"{_span([n for _, n in started], ',')} training reviews seen")
        if len(started) < len(onsets):
            text += f"{'; ' if started else ''}{len(onsets) - len(started)} of {len(onsets)} never did"
        return text + f"; each transformer run saw {max(budgets):,} reviews in all."


def pending_note(config: DegenerationConfig) -> str:
    """Which runs of the chapter's full design (at its budget) are not stored yet, and the command."""
    roles = config.full_design().runs()
    absent = {need.key for need in missing(run_need(cfg) for _, cfg in roles)}
    if not absent:
        return "Every run of the chapter's design is stored."
    by_run: dict[str, list[int]] = {}
    for role, cfg in roles:
        if cfg.key() in absent:
            run = role if cfg.method.method == "fulltext" else f"{cfg.method.method} ({role})"
            by_run.setdefault(f"{run} on {setting_name(asdict(cfg.data))}",
                              []).append(cfg.seed)
    estimate = compute_estimate(list({cfg.key(): cfg for _, cfg in roles if cfg.key() in absent}.values()))
    return (f"**Not stored yet** ({count_of(len(absent), 'run')} of the chapter's design at this budget): "
            f"{seeds_listing(by_run)}.{estimate} `python -m ratlib sweep degeneration --profile cpu --full-design` "
            "computes them.")


def _span(values: list[int], fmt: str) -> str:
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low}-{high}"


GRU_AT_PLM_BUDGET = "gru, PLM budget"


def full_text_role(encoder: str) -> str:
    """Role of the full-text control of ``encoder`` (the transformer as a plain classifier)."""
    return f"{encoder}, full text"


# A run "selects" once its argmax selection covers this share (%) of the test words.
ONSET_SPARSITY = 1.0


def selection_onset(result: dict, min_sparsity: float = ONSET_SPARSITY) -> int | None:
    """First epoch (1-based) whose argmax test selection reaches ``min_sparsity`` %, or None."""
    for h in result["history"]:
        if h["test"]["S"] >= min_sparsity:
            return h["epoch"] + 1
    return None


def comparisons(frame) -> list[dict]:
    """GRU against each transformer, per setting and method, on F1 by the book's rule (:func:`runs.compare`).

    ``frame`` is a :meth:`DegenerationConfig.frame` without the full-text control. Each entry holds
    the setting, method, transformer (its ``run`` role), both mean F1s and the :func:`compare` result
    (``call`` "higher": the GRU's rationales are better by more than the spread over seeds).
    """
    out = []
    for (setting, method), group in frame.groupby(["setting", "method"], sort=False):
        gru = group[group.run == "gru"]
        if gru.empty:
            continue
        for plm_run in dict.fromkeys(group.run):
            if plm_run in ("gru", GRU_AT_PLM_BUDGET):
                continue
            plm = group[group.run == plm_run]
            out.append({"setting": setting, "method": method, "plm": plm_run, "gru_F1": gru.F1.mean(),
                        "plm_F1": plm.F1.mean(), **compare(gru, plm)})
    return out


def _comparison_text(c: dict) -> str:
    n_gru, n_plm = c["seeds"]
    # the GRU side is the one compare() is given first
    call = call_words(c["call"], "GRU better", "transformer better")
    return (f"{c['setting']}, {c['method']}: F1 {c['gru_F1']:.1f} (GRU, {count_of(n_gru, 'seed')}) vs "
            f"{c['plm_F1']:.1f} ({c['plm']}, {count_of(n_plm, 'seed')}), difference {signed(c['diff'])}, "
            f"larger spread over seeds {c['spread']:.1f}: {call}"
            + yet_clause(seeds_apart(c, "GRU", c["plm"])))


def _seed_count(group) -> str:
    """How many seeds each method and role of ``group`` has: "3 seeds each" or "1-3 seeds each"."""
    counts = group.groupby(["method", "run"]).size()
    return seeds_per(int(counts.min()), int(counts.max()))


def verdict(frame, full_text_targets: dict[str, float] | None = None) -> str:
    """Does the PLM degenerate against the GRU here? The call, the comparisons as a list, then notes, from
    the numbers (a :meth:`frame`).

    In a setting where the transformer rationalizers did not learn the task at all, the claim is not
    tested (and the controls say why) unless the same transformer learns the label as a plain classifier
    on the full text at that budget: then their failure is the method's and is compared like any other
    result (issue 10: a failure at a budget where the classifier learns is a finding). The classifier has
    learned when its mean dev accuracy reaches the setting's budget target in ``full_text_targets`` (chapter
    3's rule, :func:`ratlib.experiments.plmr_baselines.budget_target`; :data:`~ratlib.experiments.plmr_baselines.
    TARGET_ACC` for a setting not given). Elsewhere the call is the book's rule (:func:`ratlib.experiments.runs.compare`,
    at least :data:`MIN_SEEDS` seeds a side) applied to GRU against transformer F1 in each setting and
    method, and runs no better than random selection are named; a comparison the GRU wins counts only
    where the GRU rationalizer beats random selection at its sparsity: reproduced when the
    GRU is better in every comparison with enough seeds, partly when in some, not reproduced when in
    none; comparisons short of seeds are named and make the call "where tested" (or pending when none
    has enough seeds), as are settings where no transformer rationalizer is stored yet (pending).
    """
    full_text = frame[frame.method == "fulltext"]
    frame = frame[frame.method != "fulltext"]

    def split(rows):
        return (rows[rows.run == "gru"], rows[~rows.run.isin(["gru", GRU_AT_PLM_BUDGET])],
                rows[rows.run == GRU_AT_PLM_BUDGET])

    # Settings whose transformer rationalizers are not stored yet at this budget: nothing to compare.
    pending = [setting for setting, group in frame.groupby("setting", sort=False) if split(group)[1].empty]
    frame, full_text = frame[~frame.setting.isin(pending)], full_text[~full_text.setting.isin(pending)]
    waiting = (f" Pending in {', '.join(pending)}: no transformer rationalizer is stored at this budget yet."
               if pending else "")
    if frame.empty:
        return f"**Pending**:{waiting}"
    parts = []
    for setting, group in frame.groupby("setting", sort=False):
        gru, plm, _ = split(group)
        parts.append(f"{setting} ({_seed_count(group)}): mean F1 {gru.F1.mean():.1f} (GRU) vs {plm.F1.mean():.1f} "
                     f"(PLM; random selection at its sparsity {plm.random_F1.mean():.1f}), failure rate {gru.failure_rate.mean():.1f}% vs "
                     f"{plm.failure_rate.mean():.1f}%, dev accuracy {gru.dev_acc.mean():.1f}% vs "
                     f"{plm.dev_acc.mean():.1f}%")
    # Where the transformer rationalizers did not learn the task, the claim is tested only if the same
    # transformer learns it as a plain classifier at the same budget: then the failure is the method's.
    unlearned = [setting for setting, group in frame.groupby("setting", sort=False) if not_learned(split(group)[1])]
    from .plmr_baselines import TARGET_ACC

    targets = {setting: (full_text_targets or {}).get(setting, TARGET_ACC) for setting in unlearned}
    failed = [setting for setting in unlearned
              if _reaches(full_text[full_text.setting == setting], targets[setting])]
    untested = [setting for setting in unlearned if setting not in failed]
    failed_note = "".join(_failed_note(frame[frame.setting == setting], full_text[full_text.setting == setting],
                                       targets[setting]) for setting in failed)
    means = "Means per setting:\n\n" + bullets(parts)
    if len(untested) == frame.setting.nunique():
        return paragraphs("**Not tested at this scale**: " + _untested_reason(*split(frame)[1:], full_text), waiting,
                       means)
    note = ""
    if untested:
        note = (f" Not tested in {', '.join(untested)}: " +
                _untested_reason(*split(frame[frame.setting.isin(untested)])[1:],
                                 full_text[full_text.setting.isin(untested)]))
        frame = frame[~frame.setting.isin(untested)]
    found = comparisons(frame)
    tested = [c for c in found if not c["call"].startswith("fewer than")]
    short = [c for c in found if c["call"].startswith("fewer than")]
    # A GRU "win" shows degeneration only where the GRU rationalizer itself beats random selection.
    gru_means = frame[frame.run == "gru"].groupby(["setting", "method"])[["F1", "random_F1"]].mean()
    higher = [c for c in tested if c["call"] == "higher"]
    at_chance = [c for c in higher if not gru_means.F1[(c["setting"], c["method"])]
                 > gru_means.random_F1[(c["setting"], c["method"])]]
    wins = len(higher) - len(at_chance)
    gaps = ([f"fewer than {MIN_SEEDS} seeds a side in " + ", ".join(f"{c['setting']} {c['method']}" for c in short)]
            if short else []) + ([f"not tested in {', '.join(untested)}"] if untested else []) + \
        ([f"pending in {', '.join(pending)}"] if pending else [])
    where = f" where tested** ({'; '.join(gaps)})" if gaps else " at this scale**"
    if not tested:
        call = (f"**Pending** (fewer than {MIN_SEEDS} seeds a side in every comparison): no setting has enough "
                "seeds for the book's rule.")
    elif wins == len(tested):
        call = (f"**Reproduced{where}: the PLM-based rationalizers select worse rationales than the GRU ones, by "
                "more than the spread over seeds.")
    elif wins:
        call = (f"**Partly reproduced{where}: the PLM-based rationalizers are worse than the GRU ones by more "
                f"than the spread over seeds in {wins} of {len(tested)} comparisons.")
    else:
        call = (f"**Not reproduced{where}: the PLM-based rationalizers are not worse than the GRU ones by more "
                "than the spread over seeds.")
    if at_chance:
        call += (" Not counted: " + ", ".join(f"{c['setting']} {c['method']}" for c in at_chance)
                 + ", where the GRU is better but itself no better than random selection.")
    rule = (f"By the book's rule (at least {MIN_SEEDS} seeds a side; a difference of mean F1 smaller than the "
            "larger max-min spread over seeds is no difference):\n\n"
            + bullets(map(_comparison_text, found)))
    tested_rows = frame[frame.run != GRU_AT_PLM_BUDGET]
    named = tested_rows.assign(run=tested_rows.method + " (" + tested_rows.run + ", " + tested_rows.setting + ")")
    return paragraphs(call, rule, failed_note, chance_note(named),
                   undecided_note(named) if "sampled_S" in named else "", note, waiting, means)


def _reaches(full_text, target: float) -> bool:
    """The full-text control rows ``full_text`` are stored and their mean dev accuracy reaches ``target``."""
    return bool(len(full_text)) and float(full_text.dev_acc.mean()) >= target


def _failed_note(frame, full_text, target: float) -> str:
    """One setting where the transformer rationalizers did not learn the task but the full-text transformer did."""
    plm = frame[~frame.run.isin(["gru", GRU_AT_PLM_BUDGET])]
    note = (f" In {frame.setting.iloc[0]} the transformer rationalizers did not learn the task "
            f"(mean dev accuracy {plm.dev_acc.mean():.1f}%; always answering the majority class gives "
            f"{plm.dev_chance_acc.mean():.1f}%), although the same transformer trained as a plain classifier on the "
            f"full text at the same budget learns the label (mean dev accuracy {full_text.dev_acc.mean():.1f}%, "
            f"budget target {target:.1f}%): the failure is the method's, not the budget's, and counts in the "
            "comparison.")
    # The comparison gives each encoder its own budget; say what the GRU does at the transformer's.
    control, gru = frame[frame.run == GRU_AT_PLM_BUDGET], frame[frame.run == "gru"]
    if len(control) and not_learned(control):
        note += (f" The GRU given the transformer's budget does not learn through a rationale either (mean dev "
                 f"accuracy {control.dev_acc.mean():.1f}%, F1 {control.F1.mean():.1f})")
        if len(gru) and {"train_n", "epochs", "wall_time_s"} <= set(frame.columns):
            seen = (gru.train_n * gru.epochs).mean() / (plm.train_n * plm.epochs).mean()
            note += (f": the GRU runs compared here saw {seen:.0f} times as many training reviews, in "
                     f"{gru.wall_time_s.mean() / 60:.0f} minutes of training against the transformer's "
                     f"{plm.wall_time_s.mean() / 60:.0f}")
        note += "."
    return note


def _untested_reason(plm, control, full_text) -> str:
    """Why the claim is not tested where the transformer runs (``plm``) did not learn, from the controls."""
    call = (f"the transformer runs did not learn the task within their budget "
            f"(mean dev accuracy {plm.dev_acc.mean():.1f}%, always answering the majority class gives "
            f"{plm.dev_chance_acc.mean():.1f}%), so their poor rationales measure the budget, not the "
            f"degeneration the paper describes.")
    if len(control):
        outcome = ("does not learn either: this budget is too small for either encoder to learn through "
                   "a rationale"
                   if not_learned(control) else
                   "does learn: at this budget the transformer trains slower than the GRU")
        call += (f" The GRU given the same budget (mean dev accuracy {control.dev_acc.mean():.1f}%, "
                 f"F1 {control.F1.mean():.1f}) {outcome}.")
    if len(full_text):
        outcome = ("does not learn the label either: the budget is too small for the transformer itself"
                   if not_learned(full_text) else
                   "learns the label only partly (below the budget target of chapter 3's rule): at this budget "
                   "the transformer can begin to classify from the full text, but not through a rationale it has "
                   "to find first")
        call += (f" The transformer trained as a plain classifier on the full text, same budget (mean dev "
                 f"accuracy {full_text.dev_acc.mean():.1f}%), {outcome}.")
    return call


def failed(example: dict) -> bool:
    """A stored example whose selection shares no token with its gold rationale (empty counts as failed)."""
    return not any(g and s for g, s in zip(example["gold"], example["selected"]))


def transformer_examples(results: list[dict], per_run: int = 2, include=None) -> list[tuple[str, list[dict]]]:
    """(title, examples) for each transformer rationalizer's first seed: its stored test examples, failed first.

    ``include`` (a predicate on a run's config) picks other runs instead of the transformer rationalizers.
    """
    include = include or (lambda cfg: encoder_kind(cfg["method"]["encoder"]) == PLM
                                      and cfg["method"]["method"] != "fulltext")
    rationalizers = [r for r in results if include(r["config"])]
    first_seed = min((r["config"]["seed"] for r in rationalizers), default=None)
    out = []
    for r in rationalizers:
        cfg = r["config"]
        if cfg["seed"] != first_seed:
            continue
        examples = sorted(r.get("examples", []), key=lambda e: not failed(e))  # stable: failed ones first
        out.append((f"{cfg['method']['method']} / {cfg['method']['encoder']}, {setting_name(cfg['data'])}, "
                    f"seed {cfg['seed']}",
                    examples[:per_run]))
    return out


def full_text_targets(bag_of_ngrams_dev_acc: float) -> dict[str, float]:
    """:func:`verdict`'s budget targets: the decorrelated file's from the data card's bag-of-n-grams baseline
    (chapter 3's rule); the other settings keep :data:`plmr_baselines.TARGET_ACC`."""
    from .plmr_baselines import budget_target

    return {"decorrelated": budget_target(bag_of_ngrams_dev_acc)}


def bag_of_ngrams_dev_acc(profile: str, aspect: int) -> float:
    """The data card's bag-of-n-grams baseline (balanced dev accuracy) on ``aspect`` of the profile's
    generated reviews: what chapter 3's rule sets the decorrelated file's budget target from."""
    from . import datacard
    from .profiles import chapter_config

    baseline = datacard.full_text_baseline_need(chapter_config("datacard", profile)).get()
    return baseline["aspects"][str(aspect)]["dev_acc"]


def budget_check_table(result: dict, bag_of_ngrams_dev_acc: float) -> list[dict]:
    """Per epoch of a full-text control (:meth:`DegenerationConfig.full_text_control_config`): its
    dev accuracy against the budget target (:func:`plmr_baselines.budget_target` of the bag-of-n-grams
    baseline), next to the budget and the share of gold rationale words its shorter texts cut."""
    from ..data.registry import load_splits
    from ..data.stats import gold_lost_to_truncation
    from .plmr_baselines import budget_target

    cfg = result["config"]
    data = DataConfig.from_json(cfg["data"])
    untruncated = replace(data, max_len=DataConfig().max_len)
    cut = gold_lost_to_truncation(load_splits(untruncated).test, data.max_len)
    target = budget_target(bag_of_ngrams_dev_acc)
    return [{"encoder": cfg["method"]["encoder"], "seed": cfg["seed"], "epoch": h["epoch"] + 1,
             "training texts": result["data"]["train"]["n"], "words kept": data.max_len,
             "gold words cut (%)": None if cut is None else round(cut, 1), "dev accuracy": round(h["dev"]["acc"], 1),
             "target": round(target, 1), "reached": h["dev"]["acc"] >= target} for h in result["history"]]

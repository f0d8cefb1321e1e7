"""PLMR's split-layer ablation (PLMR Sec. 6.3) and a split rule read from the homogeneity curve.

PLMR splits one transformer of L layers at two indices s < e: layers 0..s read
the full text, s+1..e prune, e+1..L-1 predict. This experiment trains PLMR at
every valid (s, e) of an encoder (or a given grid), and, at the default split,
with one part of the design changed at a time: no full-text term, flat
sparsity targets, per-layer instead of cumulative masks; and with three changes
of its recipe that ask why it does not learn at a small budget (learning rates,
a predictor warm-up). The default split's
paper-recipe runs are chapter 3's PLMR runs (same configuration, same keys).

The split rule (:func:`homogeneity_rule`) is stated from chapter 1's
homogeneity curve alone, before looking at any ablation result, and then
tested against the ablation's best split by the book's rule.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..methods import MethodConfig
from ..train import TRAINER_VERSION, TrainConfig
from .needs import Need, count_of, run_need, seeds_per
from .needs import pending_note as needs_pending_note
from .plmr_baselines import HATEXPLAIN, Dataset
from .runs import compare, mean_std_table, runs_frame, seeds_apart, signed

# The transformer learning rates of RNP (and of the full-text control, which learns the label at chapter 3's
# budget): 1e-5 for the layers, 1e-4 for the heads, against PLMR's 5e-6 and 2e-5.
_RNP_LR = MethodConfig(method="rnp", encoder="minilm")

# One part of PLMR's design changed at a time, at the default split: name -> MethodConfig fields. Then three
# changes of its recipe that ask why PLMR does not learn at a small budget (issue 10): its layers and heads
# at the learning rates with which the same encoder learns the label as a plain classifier, and at ten times
# PLMR's own (a few hundred steps at 5e-6 move a pre-trained encoder very little); and a predictor warmed up
# as a full-text classifier for one epoch before the selector starts (an extra epoch: the rationalizer still
# trains for the dataset's transformer epochs after it).
PARTS = {
    "no full-text term": {"full_text": "none"},
    "flat sparsity targets": {"plmr_targets": "flat"},
    "per-layer masks": {"plmr_masks": "per_layer"},
    "RNP's learning rates": {"lr_encoder": _RNP_LR.lr_encoder, "lr_head": _RNP_LR.lr_head},
    "learning rates x10": {"lr_encoder": 5e-5, "lr_head": 2e-4},
    "predictor warm-up": {"plmr_warmup_epochs": 1},
}
PAPER = "paper recipe"
# The issue's bar for the ablation: at least two seeds per split (verdicts between methods use runs.MIN_SEEDS).
ABLATION_MIN_SEEDS = 2


def valid_splits(n_layers: int) -> list[tuple[int, int]]:
    """Every (s, e) with 0 <= s < e <= L - 2 (at least one layer each to read, prune and predict)."""
    return [(s, e) for s in range(n_layers - 2) for e in range(s + 1, n_layers - 1)]


@dataclass(frozen=True)
class SplitAblationConfig:
    dataset: Dataset = HATEXPLAIN
    # More datasets, each ablated alike (see per_dataset); their stored seeds are run_seeds' "<label>/<dataset>".
    other_datasets: tuple[Dataset, ...] = ()
    encoder: str = "minilm"
    n_layers: int = 6                        # the encoder's depth (MiniLM 6, MPNet and BERT-base 12)
    splits: tuple[tuple[int, int], ...] | None = None   # None: every valid split
    parts: tuple[str, ...] = tuple(PARTS)
    seeds: tuple[int, ...] = (1, 2)
    # Seeds per run label (``"s,e"`` or a part's name) overriding ``seeds``, while a sweep is being stored.
    run_seeds: dict = field(default_factory=dict, hash=False)
    trainer_version: int = TRAINER_VERSION
    # A deeper encoder whose grid the chapter costs instead of training (MPNet: 12 layers, BERT-base's depth),
    # from chapter 3's measured step-time ratio and the stored runs' times; its grid (None: every valid split).
    costed_encoder: str | None = None
    costed_layers: int = 12
    costed_grid: tuple[tuple[int, int], ...] | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def default_split(self) -> tuple[int, int]:
        return MethodConfig(method="plmr", encoder=self.encoder).resolve_split(self.n_layers)

    def grid(self) -> list[tuple[int, int]]:
        return [tuple(s) for s in self.splits] if self.splits is not None else valid_splits(self.n_layers)

    def _config(self, seed: int, split: tuple[int, int] | None = None, **knobs) -> TrainConfig:
        # The default split is left to split_fractions, so its runs are chapter 3's.
        layers = {} if split is None or tuple(split) == self.default_split() else {"split_layers": list(split)}
        config = self.dataset.train_config("plmr", self.encoder, seed, gru_lr=None,
                                           trainer_version=self.trainer_version, **layers, **knobs)
        return replace(config, epochs=config.epochs + knobs.get("plmr_warmup_epochs", 0))

    def per_dataset(self) -> list["SplitAblationConfig"]:
        """One configuration per dataset, each with its own :attr:`run_seeds` (keys "<label>/<dataset label>"
        name the seeds stored of :attr:`other_datasets`' runs; the others, :attr:`dataset`'s)."""
        out = [replace(self, other_datasets=(), run_seeds={k: v for k, v in self.run_seeds.items() if "/" not in k})]
        for ds in self.other_datasets:
            suffix = f"/{ds.label}"
            out.append(replace(self, dataset=ds, other_datasets=(),
                               run_seeds={k[:-len(suffix)]: v for k, v in self.run_seeds.items() if k.endswith(suffix)}))
        return out

    def runs(self) -> list[tuple[str, tuple[int, int], TrainConfig]]:
        """(label, (s, e), configuration): every split with the paper recipe, then each part at the default;
        dataset after dataset."""
        if self.other_datasets:
            return [run for config in self.per_dataset() for run in config.runs()]
        out = []
        for split in self.grid():
            label = f"{split[0]},{split[1]}"
            out += [(label, split, self._config(seed, split)) for seed in self.run_seeds.get(label, self.seeds)]
        for part in self.parts:
            out += [(part, self.default_split(), self._config(seed, **PARTS[part]))
                    for seed in self.run_seeds.get(part, self.seeds)]
        return out

    def train_configs(self) -> list[TrainConfig]:
        return [cfg for _, _, cfg in self.runs()]

    def cost_need(self) -> Need | None:
        """The step-time benchmark of :attr:`costed_encoder` against :attr:`encoder` (chapter 3's, shared)."""
        from .encoder_cost import benchmark_need

        if self.costed_encoder is None:
            return None
        return benchmark_need((self.encoder, self.costed_encoder), self.dataset.data["name"])

    def needs(self) -> list[Need]:
        cost = self.cost_need()
        return [run_need(cfg) for cfg in self.train_configs()] + ([cost] if cost is not None else [])

    def full_design(self) -> "SplitAblationConfig":
        return replace(self, run_seeds={})

    def frame(self, results: list[dict]):
        """:func:`runs_frame` with the run's label, s, e and whether it changed a part of the design."""
        by_key, datasets = {}, {}
        for config in self.per_dataset():
            for label, split, cfg in config.runs():
                by_key[cfg.key()], datasets[cfg.key()] = (label, split), config.dataset.label
        frame = runs_frame(results)
        frame.insert(0, "dataset_label", [datasets[r["key"]] for r in results])
        frame.insert(0, "run", [by_key[r["key"]][0] for r in results])
        frame.insert(1, "s", [by_key[r["key"]][1][0] for r in results])
        frame.insert(2, "e", [by_key[r["key"]][1][1] for r in results])
        frame.insert(3, "design", [label if label in PARTS else PAPER for label, _ in
                                   (by_key[r["key"]] for r in results)])
        return frame


def grid_table(frame, metric: str = "F1"):
    """Mean ``metric`` over seeds per (s, e), paper recipe only: rows s, columns e."""
    paper = frame[frame.design == PAPER]
    return paper.pivot_table(index="s", columns="e", values=metric, aggfunc="mean")


def parts_table(frame, default_split: tuple[int, int]):
    """mean ± std over seeds per part of the design at the default split (the paper recipe's row included)."""
    s, e = default_split
    rows = frame[(frame.s == s) & (frame.e == e)]
    return mean_std_table(rows, by=["design"], metrics=["S", "acc", "P", "R", "F1", "dev_acc"])


def parts_calls(frame, default_split: tuple[int, int]) -> list[dict]:
    """Each change at the default split against the paper recipe there, on F1 by the book's rule (at least
    :data:`ABLATION_MIN_SEEDS` seeds a side), next to random selection at its sparsity and dev accuracy."""
    s, e = default_split
    rows = frame[(frame.s == s) & (frame.e == e)]
    paper = rows[rows.design == PAPER]
    out = []
    for design, group in rows.groupby("design", sort=False):
        # each seed's F1 against random selection at that seed's own sparsity, by the same rule
        chance = compare(group, group.assign(F1=group.random_F1), min_seeds=ABLATION_MIN_SEEDS)
        row = {"design": design, "seeds": int(group.seed.nunique()), "S": round(group.S.mean(), 1),
               "F1": round(group.F1.mean(), 1), "random F1": round(group.random_F1.mean(), 1),
               "F1 vs random": _call_text(chance), "dev accuracy": round(group.dev_acc.mean(), 1)}
        apart = [seeds_apart(chance, design, "random-selection")]
        if design == PAPER:
            row["F1 vs paper recipe"] = "(reference)"
        elif not paper.empty:
            against_paper = compare(group, paper, min_seeds=ABLATION_MIN_SEEDS)
            row["F1 vs paper recipe"] = _call_text(against_paper)
            apart.append(seeds_apart(against_paper, design, "paper-recipe"))
        row["seeds apart"] = "; ".join(a for a in apart if a)
        out.append(row)
    return out


def _call_text(c: dict) -> str:
    return f"{signed(c['diff'])}, {c['call']}"


def parts_note(calls: list[dict]) -> str:
    """What :func:`parts_calls` answers to "what makes PLMR learn here?": the changes that select better than
    random words and better than the paper recipe, both by the book's rule; or that none does, and which
    changes are short of seeds. Where the rule says no difference although no seed of one side reaches the other
    side's, the note says so after the call, which stands."""
    changes = [c for c in calls if c["design"] != PAPER]
    if not changes:
        return "No change to PLMR's design or recipe is stored here yet."
    short = [c["design"] for c in changes if "fewer than" in c["F1 vs random"] + c.get("F1 vs paper recipe", "")]
    learns = [c["design"] for c in changes if c["design"] not in short
              and c["F1 vs random"].endswith("higher") and c.get("F1 vs paper recipe", "").endswith("higher")]
    tested = len(changes) - len(short)
    if learns:
        text = (f"**{', '.join(learns)}** makes PLMR learn here: better than random words at its sparsity and than "
                f"the paper recipe, both by more than the spread over seeds ({count_of(tested, 'change')} tested).")
    elif tested:
        text = (f"**None of the {count_of(tested, 'change')} tested makes PLMR learn here**: none selects better "
                "than random words at its sparsity and than the paper recipe, both by more than the spread over seeds.")
    else:
        text = "**Pending**: no change has enough seeds for the book's rule yet."
    apart = [c["seeds apart"] for c in changes if c["design"] not in short + learns and c.get("seeds apart")]
    if apart:
        text += f" Where the rule reads no difference, the seeds do not overlap: {'; '.join(apart)}; the call stands."
    if short:
        text += f" Short of {ABLATION_MIN_SEEDS} seeds a side: {', '.join(short)}."
    return text


def grid_cost(config: SplitAblationConfig, benchmark: dict, results: list[dict]) -> str:
    """What :attr:`~SplitAblationConfig.costed_encoder`'s grid would take, in one sentence: the first dataset's stored
    paper-recipe runs' mean training time (CPU-minutes) times the measured step-time ratio, times splits and seeds."""
    from .encoder_cost import step_ratio, training_cpu_minutes

    # The first dataset's runs: the step-time ratio was measured on its texts.
    by_key = {cfg.key(): label for label, _, cfg in config.per_dataset()[0].runs()}
    minutes = [training_cpu_minutes(r) for r in results if r["key"] in by_key and by_key[r["key"]] not in PARTS]
    if not minutes:
        return "No paper-recipe run is stored, so the deeper encoder's grid is not costed."
    grid = list(config.costed_grid) if config.costed_grid is not None else valid_splits(config.costed_layers)
    ratio = step_ratio(benchmark, config.costed_encoder)
    run = sum(minutes) / len(minutes) * ratio
    every = len(valid_splits(config.costed_layers))
    seeds = len(config.seeds)
    return (f"{config.costed_encoder} ({config.costed_layers} layers): one PLMR run would take about {run:.0f} "
            f"CPU-minutes ({ratio:.1f}x the mean of {len(minutes)} stored {config.encoder} runs, "
            f"{sum(minutes) / len(minutes):.0f} CPU-minutes). A grid of {len(grid)} splits "
            f"({', '.join(f'({s}, {e})' for s, e in grid)}) x {seeds} seeds: about {run * len(grid) * seeds / 60:.0f} "
            f"CPU-hours; all {every} valid splits: about {run * every * seeds / 60:.0f}.")


def homogeneity_rule(finding: dict) -> tuple[int, int]:
    """A split read from one encoder's homogeneity finding (chapter 1) alone.

    Prune while the tokens are still distinct: pruning ends at the last transformer layer whose output comes
    before the layer by which token cosine similarity has covered half its rise (``halfway_layer`` in the
    analysis' numbering, whose layer 0 is the embedding output, so transformer layer i is analysis layer
    i + 1), and starts after the layer where similarity is lowest (``minimum_layer``). At least one layer
    reads the full text, one prunes and one predicts.
    """
    n = finding["n_layers"]
    e = min(max(finding["halfway_layer"] - 2, 1), n - 2)
    s = min(max(finding["minimum_layer"] - 1, 0), e - 1)
    return s, e


def rule_check(frame, rule_split: tuple[int, int]) -> dict:
    """The rule's split against the ablation's best split (highest mean F1, paper recipe), by the book's rule.

    Where no split selects better than random words at its sparsity, the call says the rule is not tested:
    F1 then follows how much each split selects, not how well.
    """
    paper = frame[frame.design == PAPER]
    means = paper.groupby(["s", "e"]).F1.mean()
    if means.empty:
        return {"rule": rule_split, "best": None, "call": "pending: no split stored"}
    out = _rule_against_best(paper, means, tuple(rule_split))
    chance = paper.groupby(["s", "e"])[["F1", "random_F1"]].mean()
    if "rule_F1" in out and not (chance.F1 > chance.random_F1).any():
        out["call"] = f"not tested, as no split selects better than random words; by F1 alone, {out['call']}"
    return out


def _rule_against_best(paper, means, rule_split: tuple[int, int]) -> dict:
    """The rule's split against the best split by mean F1 alone (:func:`rule_check` adds whether F1 can tell)."""
    best = tuple(int(v) for v in means.idxmax())
    rule_rows = paper[(paper.s == rule_split[0]) & (paper.e == rule_split[1])]
    best_rows = paper[(paper.s == best[0]) & (paper.e == best[1])]
    out = {"rule": rule_split, "best": best, "best_F1": round(float(means[best]), 1),
           "splits_stored": int(len(means))}
    if rule_rows.empty:
        out["call"] = "pending: the rule's split is not stored"
        return out
    out["rule_F1"] = round(float(rule_rows.F1.mean()), 1)
    if rule_split == out["best"]:
        out["call"] = f"the rule picks the best of the {len(means)} splits stored"
        return out
    c = compare(rule_rows, best_rows, min_seeds=ABLATION_MIN_SEEDS)
    out["call"] = {"no difference": "as good as the best split (no difference by the book's rule)",
                   "lower": "worse than the best split"}.get(c["call"], c["call"]) + f", of {len(means)} stored"
    out["diff"] = round(c["diff"], 1)
    return out


def verdict(frame, rule: dict, grid: list[tuple[int, int]]) -> str:
    """Does the split matter, and does the homogeneity rule find a good one? One paragraph.

    Until every split of ``grid`` has :data:`ABLATION_MIN_SEEDS` seeds, only an established difference
    (best against worst split, by the book's rule) is called; "no difference" waits for the whole grid.
    Where no split beats random selection at its sparsity the claim is "not tested", whatever the grid
    shows: a difference then follows how much each split selects, and no difference is every split
    failing alike, which says nothing of the split once PLMR learns.
    """
    paper = frame[frame.design == PAPER]
    seeds = paper.groupby(["s", "e"]).seed.nunique()
    ready = seeds[seeds >= ABLATION_MIN_SEEDS]
    pending = (f"**Pending**: {len(ready)} of {len(grid)} splits have {ABLATION_MIN_SEEDS} seeds stored "
               "(`python -m ratlib sweep split --profile cpu --full-design`).")
    if len(ready) < 2:
        return pending
    paper = paper[paper.set_index(["s", "e"]).index.isin(ready.index)]
    means = paper.groupby(["s", "e"])[["F1", "random_F1"]].mean()
    best, worst = means.F1.idxmax(), means.F1.idxmin()
    best, worst = tuple(int(v) for v in best), tuple(int(v) for v in worst)
    c = compare(paper[(paper.s == best[0]) & (paper.e == best[1])],
                paper[(paper.s == worst[0]) & (paper.e == worst[1])], min_seeds=ABLATION_MIN_SEEDS)
    complete = len(ready) == len(grid)
    above = means[means.F1 > means.random_F1]
    if c["call"] == "higher" and above.empty:
        # F1 then tracks how much a split selects (random F1 rises with the share selected), not how well.
        call = ("**Not tested at this scale**: F1 differs between splits by more than the spread over seeds, but "
                "no split selects better than random words at its sparsity, so the differences measure how much "
                "each split selects, not how well")
    elif complete and above.empty:
        call = ("**Not tested at this scale**: no split differs from another by more than the spread over seeds, "
                "but no split selects better than random words at its sparsity either: every split fails alike "
                "at this budget, which says nothing of how the split matters once PLMR learns")
    elif c["call"] == "higher":
        call = "**Reproduced at this scale**: the split matters"
    elif complete:
        call = "**Not reproduced at this scale**: no split differs from another by more than the spread over seeds"
    else:
        return pending + f" So far best and worst differ by {c['diff']:.1f} F1 points: {c['call']}."
    spread = paper.groupby(["s", "e"])[["S"]].mean().S
    return (f"{call}. Over {len(means)} of {len(grid)} splits ({seeds_per(int(seeds.min()), int(seeds.max()))}), "
            f"mean F1 ranges from {means.F1.min():.1f} at (s, e) = {worst} to {means.F1.max():.1f} at {best} "
            f"(selecting {spread[worst]:.1f}% and {spread[best]:.1f}% of the words; random selection at those "
            f"shares scores {means.random_F1[worst]:.1f} and {means.random_F1[best]:.1f}); "
            f"{len(above)} of {len(means)} splits select better than random words at their sparsity. "
            f"The homogeneity rule picks {rule['rule']}: {rule['call']}.")


def pending_note(config: SplitAblationConfig) -> str:
    return needs_pending_note(config, "split")

"""Chapter 4: MMI's diminishing returns (N2R, Fig. 3).

Take trained RNP predictors. On the annotated test texts, feed each predictor
rationale candidates that hold a share p of the text's gold rationale tokens
(drawn at random, several draws), in two forms:

* ``masked``: the candidate is those gold tokens alone, everything else masked
  (the form ``methods.md`` describes for the paper's figure);
* ``filled``: a candidate of fixed size, the gold rationale's length, whose
  remaining places are filled with random non-rationale tokens of the text,
  so only the candidate's *content* changes with p, not its size.

For every p we record the predictor's accuracy, its cross-entropy and the
norm ``||Enc(Z)||_2`` of its pooled representation. N2R's argument: accuracy
and cross-entropy (what MMI optimises) saturate once part of the rationale is
found, while the norm keeps growing with every further rationale token.

A transformer predictor's pooled vector is its final [CLS] state, which the
last layer's LayerNorm (BERT and MPNet are post-LN) standardises, so its norm
can move only through how it spreads over LayerNorm's weights. So for
transformers we also record the norm of the [CLS] state *before* that
LayerNorm (``norm_pre_ln``): which of the two carries N2R's signal is a
question chapter 5 needs answered before it trains N2R with a transformer.

Each predictor's probe is stored on its own, keyed by its run, so adding an
encoder or a seed reuses the probes already stored.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..models.plm import PreLayerNormCls
from .needs import Need, count_of, seeds_listing
from .runs import bullets, not_learned, paragraphs, runs_frame
from .trained import trained_method, weights_note  # noqa: F401 (weights_note: the chapter's)

RESULT_KIND = "diminishing"
# 2: one stored probe per predictor; transformers also record the [CLS] norm before the last LayerNorm.
ANALYSIS_VERSION = 2
FORMS = ("masked", "filled")
FRACTIONS = tuple(round(0.1 * i, 1) for i in range(11))

# Saturation: the share p by which accuracy has covered this much of its rise from p = 0 to p = 1.
SATURATION_SHARE = 0.9
# The norm "keeps rising" when at least this share of its own rise comes after accuracy saturated.
LATE_RISE_SHARE = 0.3
# ... and the rise itself is material: at least this share of the norm's value at p = 0 (a LayerNorm'd
# vector can rise by 0.02% "to the end", which gives the generator no signal).
MIN_NORM_RISE = 0.05


@dataclass(frozen=True)
class DiminishingConfig:
    """Which trained predictors to probe (chapter 3's RNP runs) and how."""

    source_profile: str = "cpu"           # the profile of chapter 3 whose RNP runs are probed
    encoders: tuple[str, ...] = ("gru",)
    seeds: tuple[int, ...] = (1, 2, 3)
    fractions: tuple[float, ...] = FRACTIONS
    draws: int = 5
    forms: tuple[str, ...] = FORMS
    batch_size: int = 128
    # A transformer pass costs far more than a GRU's (a MiniLM probe of every annotated HateXplain test post
    # with 5 draws: about 40 CPU-minutes), so transformer predictors get fewer draws on the first texts only.
    plm_draws: int = 2
    plm_max_texts: int | None = 400
    # The chapter's smoke profile probes its own tiny runs.
    source_overrides: dict = field(default_factory=dict, hash=False)
    # GRU predictors on the generated benchmark too: the data card's RNP runs (its recipe) on these aspects.
    synth_aspects: tuple[int, ...] = ()
    # Seeds per synth aspect stored so far (the rest: ``seeds``), while a sweep is being stored.
    synth_seeds_stored: dict = field(default_factory=dict, hash=False)

    def to_json(self) -> dict:
        return asdict(self)

    def full_design(self) -> "DiminishingConfig":
        return replace(self, synth_seeds_stored={})

    def train_configs(self):
        """The RNP runs probed: chapter 3's on its first dataset, for the chosen encoders and seeds, then the
        data card's on :attr:`synth_aspects` (GRU)."""
        from .profiles import chapter_config

        source = replace(chapter_config("plmr", self.source_profile).full_design(), **self.source_overrides)
        source = replace(source, datasets=source.datasets[:1])
        out = [cfg for _, cfg in source.runs()
               if cfg.method.method == "rnp" and cfg.method.encoder in self.encoders and cfg.seed in self.seeds]
        if "gru" in self.encoders:
            card = chapter_config("datacard", self.source_profile)
            for aspect in self.synth_aspects:
                seeds = tuple(self.synth_seeds_stored.get(aspect, self.seeds))
                out += replace(card, aspects=(aspect,), methods=("rnp",), seeds=seeds).train_configs()
        return out

    def probe_scale(self, cfg) -> tuple[int, int | None]:
        """(draws, texts: None for all) of one predictor's probe: transformers get :attr:`plm_draws` on the
        first :attr:`plm_max_texts` annotated test texts."""
        from ..encoders import PLM, encoder_kind

        if encoder_kind(cfg.method.encoder) == PLM:
            return self.plm_draws, self.plm_max_texts
        return self.draws, None

    def probe_key(self, cfg) -> dict:
        """The stored probe of one predictor: its run, and how it is probed."""
        draws, texts = self.probe_scale(cfg)
        return {"analysis": RESULT_KIND, "version": ANALYSIS_VERSION, "run": cfg.key(),
                "fractions": list(self.fractions), "draws": draws, "forms": list(self.forms),
                **({"max_texts": texts} if texts is not None else {})}

    def probe_needs(self) -> list[Need]:
        from functools import partial

        from .needs import run_need, stored_need

        return [stored_need(RESULT_KIND, self.probe_key(cfg), f"diminishing-returns probe of {run_need(cfg).label}",
                            partial(compute_run, self, cfg))
                for cfg in self.train_configs()]

    def needs(self) -> list[Need]:
        from .needs import run_need

        return [*map(run_need, self.train_configs()), *self.probe_needs()]


def pending_note(config: DiminishingConfig) -> str:
    """Which predictors of the chapter's full design have no stored probe yet, and the command."""
    full = config.full_design()
    absent: dict[str, list[int]] = {}
    unlearned: dict[str, list[int]] = {}
    for cfg, need in zip(full.train_configs(), full.probe_needs()):
        if not need.stored():
            name = f"RNP ({cfg.method.encoder}) on {cfg.data.label()}"
            absent.setdefault(name, []).append(cfg.seed)
            if run_status(cfg).get("learned") is False:
                unlearned.setdefault(name, []).append(cfg.seed)
    if not absent:
        return "Every predictor of the chapter's design is probed."
    # A stored run that did not learn would be probed only to be left out of the call: say so before
    # anyone spends a retraining on it.
    n_unlearned, n_absent = sum(map(len, unlearned.values())), sum(map(len, absent.values()))
    futile = "" if not unlearned else (
        f" Of these, {seeds_listing(unlearned)} "
        + ("is a stored run that did not learn the task: its probe would be" if n_unlearned == 1 else
           "are stored runs that did not learn the task: their probes would be")
        + " left out of the call.")
    return (f"**Not probed yet** ({count_of(n_absent, 'predictor')} of the chapter's design, left out "
            f"of the figures and the verdict above): {seeds_listing(absent)}.{futile} `python -m ratlib sweep "
            "diminishing --profile cpu --full-design` trains the runs that are missing (or whose checkpoint is not on "
            "the machine) and probes them.")


def candidate_masks(gold: np.ndarray, selectable: np.ndarray, p: float, form: str,
                    rng: np.random.Generator) -> np.ndarray:
    """(B, T) 0/1 candidates holding round(p * |gold|) random gold tokens of each text.

    ``filled`` tops each candidate up to the gold rationale's size with random
    non-gold selectable tokens (as many as the text has).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    out = np.zeros_like(gold, dtype=np.float32)
    for i in range(gold.shape[0]):
        inside = np.flatnonzero((gold[i] > 0) & (selectable[i] > 0))
        outside = np.flatnonzero((gold[i] == 0) & (selectable[i] > 0))
        k = int(round(p * len(inside)))
        out[i, rng.choice(inside, size=k, replace=False)] = 1.0
        if form == "filled":
            fill = min(len(inside) - k, len(outside))
            out[i, rng.choice(outside, size=fill, replace=False)] = 1.0
    return out


@torch.no_grad()
def probe_run(prep, fractions, draws: int, forms, batch_size: int, seed: int,
              max_texts: int | None = None) -> list[dict]:
    """Accuracy, cross-entropy and representation norm per (form, p, draw) on the annotated test texts
    (the first ``max_texts`` of them when given).

    Transformer predictors add ``norm_pre_ln``, the norm of the [CLS] state before the last LayerNorm.
    """
    from ..data.batching import Collator

    table = prep.tables["test"]
    rows_idx = [i for i in range(len(table)) if table[i]["annotated"]][:max_texts]
    collate = Collator(prep.pad_id)
    batches = [collate([table[i] for i in rows_idx[s:s + batch_size]]) for s in range(0, len(rows_idx), batch_size)]
    method = prep.method
    out = []
    with method.evaluating(), PreLayerNormCls(method.predictor) as pre_ln:
        for form in forms:
            for p in fractions:
                for draw in range(draws):
                    rng = np.random.default_rng([seed, draw, int(round(100 * p)), FORMS.index(form)])
                    correct = loss = norm = norm_pre_ln = 0.0
                    n = 0
                    for batch in batches:
                        mask = candidate_masks(batch["gold"].numpy(), batch["selectable"].numpy(), p, form, rng)
                        device_batch = {k: v.to(prep.device) for k, v in batch.items()}
                        pooled, logits = method.encode_rationale(device_batch, torch.from_numpy(mask).to(prep.device))
                        labels = device_batch["labels"]
                        correct += float((logits.argmax(-1) == labels).sum())
                        loss += float(F.cross_entropy(logits, labels, reduction="sum"))
                        norm += float(pooled.norm(dim=-1).sum())
                        if pre_ln.module is not None:
                            norm_pre_ln += float(pre_ln.cls.norm(dim=-1).sum())
                        n += len(labels)
                    row = {"form": form, "p": p, "draw": draw, "texts": n, "acc": 100.0 * correct / n,
                           "ce": loss / n, "norm": norm / n}
                    if pre_ln.module is not None:
                        row["norm_pre_ln"] = norm_pre_ln / n
                    out.append(row)
    return out


def compute_run(config: DiminishingConfig, cfg) -> dict:
    """One predictor's probe."""
    prep, origin = trained_method(cfg)
    draws, texts = config.probe_scale(cfg)
    rows = probe_run(prep, config.fractions, draws, config.forms, config.batch_size, cfg.seed, texts)
    return {"run": {"key": cfg.key(), "encoder": cfg.method.encoder, "seed": cfg.seed, "dataset": cfg.data.label(),
                    "predictor": origin},
            "rows": rows}


def run(config: DiminishingConfig, show_progress: bool = True) -> dict:
    """Every predictor's stored probe (computed when absent), merged: ``runs`` (with :func:`run_status`),
    ``rows`` and ``probes``."""
    from ..progress import progress

    needs = config.probe_needs()
    probes = [need.get() for need in progress(needs, "probing predictors", step=1 / max(len(needs), 1),
                                              enabled=show_progress)]
    result = merge(probes)
    for cfg, entry in zip(config.train_configs(), result["runs"]):
        entry.update(run_status(cfg))
    return result


def run_status(cfg) -> dict:
    """Whether a probed predictor's run learned the task, from its stored result (empty when not stored):
    a predictor trained on selections that never carried the label has nothing to saturate."""
    from ..results import load_result
    from ..train import RESULT_KIND as RUNS

    stored = load_result(RUNS, cfg.identity())
    if stored is None:
        return {}
    row = runs_frame([stored])
    return {"dev_acc": float(row.dev_acc.iloc[0]), "dev_chance_acc": float(row.dev_chance_acc.iloc[0]),
            "learned": not not_learned(row)}


def learned_only(result: dict) -> tuple[dict, list[dict]]:
    """``result`` without the probes of predictors whose run did not learn the task, and those runs."""
    left_out = [run for run in result.get("runs", []) if run.get("learned") is False]
    drop = {(run["dataset"], run["encoder"], run["seed"]) for run in left_out}
    rows = [row for row in result["rows"] if (row["dataset"], row["encoder"], row["seed"]) not in drop]
    return {**result, "rows": rows}, left_out


def merge(probes: list[dict]) -> dict:
    """The rows of several stored probes as one table (each row names its run); ``probes`` keeps each result."""
    rows = []
    for probe in probes:
        about = {k: probe["run"][k] for k in ("encoder", "seed", "dataset")}
        rows += [{**about, **row} for row in probe["rows"]]
    return {"runs": [probe["run"] for probe in probes], "rows": rows, "probes": probes}


def measures(frame) -> list[str]:
    """The measured columns of a probe table (``norm_pre_ln`` only when a transformer was probed)."""
    return [c for c in ("acc", "ce", "norm", "norm_pre_ln") if c in frame.columns]


def curves(result: dict):
    """Mean over draws per (dataset, encoder, form, p, seed); bands are drawn over the seeds."""
    import pandas as pd

    frame = pd.DataFrame(result["rows"])
    per_seed = frame.groupby(["dataset", "encoder", "form", "p", "seed"], as_index=False)[measures(frame)].mean()
    return per_seed


def saturation(p: np.ndarray, values: np.ndarray, share: float = SATURATION_SHARE) -> float | None:
    """The first p at which ``values`` (increasing in p on the whole) has covered ``share`` of its rise."""
    rise = values[-1] - values[0]
    if rise <= 0:
        return None
    reached = np.flatnonzero(values - values[0] >= share * rise)
    return float(p[reached[0]])


def late_rise(p: np.ndarray, values: np.ndarray, after: float) -> float:
    """The share of ``values``' rise from p = 0 to p = 1 that comes after p = ``after``."""
    rise = values[-1] - values[0]
    if rise == 0:
        return 0.0
    at = values[np.flatnonzero(p >= after)[0]]
    return float((values[-1] - at) / rise)


def findings(result: dict) -> list[dict]:
    """Per (dataset, encoder, form): where accuracy and CE saturate, and how much of the norm's rise comes later.

    ``norm_rise_after`` is for the pooled representation (the one N2R maximises); transformers add
    ``pre_ln_rise_after`` for the [CLS] state before the last LayerNorm.
    """
    if not result["rows"]:
        return []
    table = curves(result)
    out = []
    for (dataset, encoder, form), group in table.groupby(["dataset", "encoder", "form"], sort=False):
        mean = group.groupby("p")[measures(group)].mean()
        p = mean.index.to_numpy(dtype=float)
        acc, ce, norm = (mean[c].to_numpy() for c in ("acc", "ce", "norm"))
        p_acc = saturation(p, acc)
        p_ce = saturation(p, -ce)   # cross-entropy falls
        after = max(v for v in (p_acc, p_ce) if v is not None) if (p_acc is not None or p_ce is not None) else None
        row = {"dataset": dataset, "encoder": encoder, "form": form, "seeds": group.seed.nunique(),
               "acc_p0": acc[0], "acc_p1": acc[-1], "ce_p0": ce[0], "ce_p1": ce[-1],
               "norm_p0": norm[0], "norm_p1": norm[-1], "acc_saturates_at": p_acc, "ce_saturates_at": p_ce,
               "norm_rise_after": None if after is None else late_rise(p, norm, after)}
        if "norm_pre_ln" in mean and mean["norm_pre_ln"].notna().all():
            pre = mean["norm_pre_ln"].to_numpy()
            row.update(pre_ln_p0=pre[0], pre_ln_p1=pre[-1],
                       pre_ln_rise_after=None if after is None else late_rise(p, pre, after))
        out.append(row)
    return out


def verdict(result: dict) -> str:
    """Does the norm keep rising after accuracy and cross-entropy saturate? The call, then one item per probe.

    Only predictors whose run learned the task count (:func:`learned_only`); the others are named. Where
    accuracy does not rise with p at all, nothing saturates and that probe makes no call.
    """
    result, left_out = learned_only(result)
    parts, calls = [], []
    for f in findings(result):
        where = f"{f['dataset']}, {f['encoder']}, {f['form']} candidates ({count_of(f['seeds'], 'seed')})"
        if f["acc_saturates_at"] is None:
            parts.append(f"{where}: accuracy does not rise with p ({f['acc_p0']:.1f} → {f['acc_p1']:.1f}%), so "
                         "nothing saturates to compare the norm with: no call")
            continue
        if f["norm_p1"] - f["norm_p0"] < MIN_NORM_RISE * abs(f["norm_p0"]):
            calls.append("no")
            parts.append(f"{where}: accuracy {f['acc_p0']:.1f} → {f['acc_p1']:.1f}%, norm {f['norm_p0']:.2f} → "
                         f"{f['norm_p1']:.2f}: no material rise of the norm (at least "
                         f"{100 * MIN_NORM_RISE:.0f}% of its value at p = 0) to compare")
            continue
        late = f["norm_rise_after"]
        calls.append("yes" if late >= LATE_RISE_SHARE else "no")
        parts.append(f"{where}: accuracy reaches {100 * SATURATION_SHARE:.0f}% of its rise by p = "
                     f"{f['acc_saturates_at']:.1f} ({f['acc_p0']:.1f} → {f['acc_p1']:.1f}%), cross-entropy by p = "
                     f"{f['ce_saturates_at'] if f['ce_saturates_at'] is not None else float('nan'):.1f}; "
                     f"{100 * late:.0f}% of the norm's rise ({f['norm_p0']:.2f} → {f['norm_p1']:.2f}) comes after "
                     "both")
    excluded = "" if not left_out else (
        "Left out: " + ", ".join(f"{run['dataset']}, {run['encoder']} seed {run['seed']} (dev accuracy "
                                 f"{run['dev_acc']:.1f}%, majority class {run['dev_chance_acc']:.1f}%)"
                                 for run in left_out)
        + ": the RNP run of each did not learn the task, so its predictor has nothing to saturate.")
    if not calls:
        return paragraphs("**Pending**: no probe of a predictor that learned the task is stored.",
                          bullets(parts), excluded)
    label = ("**Reproduced at this scale**" if all(c == "yes" for c in calls) else
             "**Partly reproduced at this scale**" if "yes" in calls else "**Not reproduced at this scale**")
    return paragraphs(f"{label} (the norm counts as still rising when it rises by at least "
                      f"{100 * MIN_NORM_RISE:.0f}% and at least {100 * LATE_RISE_SHARE:.0f}% of its rise comes after "
                      "accuracy and cross-entropy have covered 90% of theirs):",
                      bullets(parts), excluded)


def transformer_norms(result: dict) -> str:
    """Which norm of a transformer predictor moves with the rationale: the final [CLS] state's, or the one
    before the last LayerNorm. One paragraph from the numbers (empty when no transformer was probed)."""
    parts = []
    for f in findings(result):
        if "pre_ln_p0" not in f:
            continue
        change = 100 * (f["norm_p1"] - f["norm_p0"]) / f["norm_p0"]
        change_pre = 100 * (f["pre_ln_p1"] - f["pre_ln_p0"]) / f["pre_ln_p0"]
        late = ("" if f["pre_ln_rise_after"] is None or change_pre <= 0 else
                f", {100 * f['pre_ln_rise_after']:.0f}% of the rise after accuracy and cross-entropy saturate")
        parts.append(f"{f['dataset']}, {f['encoder']}, {f['form']} candidates ({count_of(f['seeds'], 'seed')}): "
                     f"the final [CLS] norm goes {f['norm_p0']:.2f} → {f['norm_p1']:.2f} ({change:+.1f}%), "
                     f"the norm before the last LayerNorm {f['pre_ln_p0']:.1f} → {f['pre_ln_p1']:.1f} "
                     f"({change_pre:+.1f}%{late})")
    return "; ".join(parts) + "." if parts else ""


def rising_norm(result: dict) -> str | None:
    """``"pooled"`` or ``"pre_ln"``: the transformer norm that rises more (relative to its value at p = 0,
    averaged over the probed forms) from p = 0 to p = 1; None when no transformer was probed or neither rises."""
    rises = {"pooled": [], "pre_ln": []}
    for f in findings(result):
        if "pre_ln_p0" in f:
            rises["pooled"].append((f["norm_p1"] - f["norm_p0"]) / f["norm_p0"])
            rises["pre_ln"].append((f["pre_ln_p1"] - f["pre_ln_p0"]) / f["pre_ln_p0"])
    if not rises["pooled"]:
        return None
    means = {k: sum(v) / len(v) for k, v in rises.items()}
    best = max(means, key=means.get)
    return best if means[best] > 0 else None

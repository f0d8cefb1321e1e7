"""The graph chapter: N2R's GCN experiment on BA-2Motifs (RNP, N2R, MMI+N2R).

The same methods, trainer and stored results as for texts, with the GCN
encoder (``ratlib.models.gcn``) and nodes as positions; the gold rationale is
the motif's nodes. The verdict compares methods over seeds and calls a
difference smaller than the spread over seeds "no difference".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..data.registry import DataConfig
from ..methods import MethodConfig, n2r_knobs
from ..train import TRAINER_VERSION, TrainConfig
from .needs import Need, count_of, run_need
from .runs import compare as compare_runs
from .runs import not_learned, signed

CLAIM = ("N2R (Liu et al., ICLR 2025) reports, besides its text results, one graph classification dataset with a "
         "GCN generator and predictor: maximising the norm of the predictor's representation of the rationale "
         "(N2R alone, or added to MMI) finds the ground-truth rationale better than MMI alone (RNP).")
METHOD_NAMES = {"rnp": "RNP (MMI)", "n2r": "N2R", "mmi_n2r": "MMI+N2R", "fulltext": "full graph (control)"}
CONTROL = "fulltext"


@dataclass(frozen=True)
class GraphConfig:
    """Which graphs, which methods and seeds, and the training budget."""

    options: dict = field(default_factory=dict, hash=False)   # ba2motifs options ({} = 1,000 generated graphs)
    data_dir: str | None = None        # a folder with PGExplainer's BA-2motif.pkl (None: generated)
    methods: tuple[str, ...] = ("rnp", "n2r", "mmi_n2r")
    seeds: tuple[int, ...] = (1, 2, 3)
    epochs: int = 50
    batch_size: int = 32
    # Also train the GCN predictor as a plain classifier on the whole graph (method "fulltext",
    # first seed, same budget): does it learn the label at all when nothing is hidden?
    full_text_control: bool = True
    trainer_version: int = TRAINER_VERSION  # ratlib.train.TRAINER_VERSION; the stored cpu runs are version 1
    n2r_frozen_grads: str | None = None     # MethodConfig.n2r_frozen_grads (None: the method's default)

    def to_json(self) -> dict:
        return asdict(self)

    def data_config(self) -> DataConfig:
        return DataConfig(name="ba2motifs", data_dir=self.data_dir, options=dict(self.options))

    def train_configs(self) -> list[TrainConfig]:
        methods = [(m, s) for m in self.methods for s in self.seeds]
        if self.full_text_control:
            methods.append(("fulltext", min(self.seeds)))
        return [TrainConfig(data=self.data_config(),
                            method=MethodConfig(method=m, encoder="gcn", **n2r_knobs(m, self.n2r_frozen_grads)), seed=s,
                            epochs=self.epochs, batch_size=self.batch_size, trainer_version=self.trainer_version)
                for m, s in methods]

    def needs(self) -> list[Need]:
        return [run_need(cfg) for cfg in self.train_configs()]


def method_summary(frame, metric: str = "F1"):
    """Mean and standard deviation over seeds of ``metric`` per method (with the seeds counted)."""
    groups = frame.groupby("method", sort=False)[metric]
    out = groups.agg(["mean", "std", "count"]).rename(columns={"count": "seeds"})
    out["std"] = groups.std(ddof=0)
    return out


def compare(frame, method: str, reference: str = "rnp", metric: str = "F1") -> dict:
    """``method`` against ``reference`` on ``metric`` by the book's rule (:func:`ratlib.experiments.runs.compare`).

    ``outcome`` is "higher", "lower", "no difference" (within the larger spread over seeds) or no
    verdict with fewer than 3 seeds.
    """
    c = compare_runs(frame[frame.method == method], frame[frame.method == reference], metric)
    return {"method": method, "reference": reference, "metric": metric, "difference": c["diff"],
            "spread": c["spread"], "outcome": c["call"]}


def sampled_comparison(sampled) -> str:
    """One sentence on the sampled-selection F1 (``runs_frame(results, "test_sampled")``) against RNP and chance."""
    sampled = sampled[sampled.method != CONTROL]
    methods = [m for m in dict.fromkeys(sampled["method"]) if m != "rnp"]
    if "rnp" not in set(sampled["method"]) or not methods:
        return ""
    parts = []
    for method in methods:
        c = compare(sampled, method)
        parts.append(f"{METHOD_NAMES.get(method, method)} {signed(c['difference'])} points against RNP "
                     f"(spread {c['spread']:.1f}: {c['outcome']})")
    chance = sampled["random_F1"].mean()
    return ("**With sampled selection** (Gumbel noise, as in training), F1: " + "; ".join(parts)
            + f". Selecting the same share of nodes at random scores about {chance:.1f}.")


def verdict(frame, sampled=None) -> str:
    """The chapter's verdict, from the stored runs (a :func:`~ratlib.experiments.runs.runs_frame`).

    The full-graph control is not a rationalizer: it only says whether the
    GCN learns the label when it sees every node. ``sampled`` (the same runs
    scored with sampled selection) adds :func:`sampled_comparison`.
    """
    extra = sampled_comparison(sampled) if sampled is not None else ""
    text = _verdict(frame)
    return text + ("\n\n" + extra if extra else "")


def _verdict(frame) -> str:
    control = frame[frame.method == CONTROL]
    frame = frame[frame.method != CONTROL]
    methods = list(dict.fromkeys(frame["method"]))
    untrained = [m for m in methods if not_learned(frame[frame.method == m])]
    seeds = frame.groupby("method")["seed"].nunique().min()
    lines = []
    if len(control):
        learned_full = not not_learned(control)
        lines.append(f"**Control.** The same GCN trained on whole graphs reached {control.dev_acc.mean():.1f}% dev "
                     f"and {control.acc.mean():.1f}% test accuracy: it "
                     + ("learns the label when nothing is hidden." if learned_full
                        else "did not learn the label even from whole graphs at this budget."))
    if untrained:
        names = ", ".join(METHOD_NAMES.get(m, m) for m in untrained)
        lines.append(f"**Not learned.** {names}: dev accuracy at the chosen epoch within a few points of always "
                     "answering the majority class, so the predictor did not learn the label from the selected nodes "
                     "and the F1 of these runs says nothing about the objective.")
    if "rnp" not in methods or len(methods) < 2:
        return " ".join(lines) or "Nothing to compare."
    learned = [m for m in methods if m not in untrained]
    if "rnp" not in learned or len(learned) < 2:
        lines.append(f"**Verdict: not reproduced at this scale.** With {count_of(seeds, 'seed')} per method "
                     "there is no learned pair to compare, so the claim is neither confirmed nor refuted here.")
        return "\n\n".join(lines)
    parts = []
    for method in learned:
        if method == "rnp":
            continue
        c = compare(frame, method)
        parts.append(f"{METHOD_NAMES.get(method, method)} vs RNP: F1 {signed(c['difference'])} points "
                     f"(spread over seeds {c['spread']:.1f}) -> {c['outcome']}")
    confirmed = all(compare(frame, m)["outcome"] == "higher" for m in learned if m != "rnp")
    word = "confirmed" if confirmed else "not confirmed"
    lines.append(f"**Verdict: {word}** ({seeds} seeds per method). " + "; ".join(parts) + ".")
    return "\n\n".join(lines)

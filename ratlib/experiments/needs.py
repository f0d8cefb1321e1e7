"""What a chapter reads from the result store, as data.

Every chapter configuration lists its stored results with ``needs()``: one
:class:`Need` per training run, analysis or baseline. The same list lets the
book check before executing anything that every result is stored (and name
the command that computes the missing ones), lets ``ratlib sweep`` compute
exactly what is missing, and lets a test fail when a code change would move a
stored result's key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..results import config_hash, result_path


@dataclass(frozen=True)
class Need:
    """One stored result: its kind and the configuration it is keyed by.

    ``get`` returns the stored result, computing and storing it when absent;
    ``train`` is the run's :class:`~ratlib.train.TrainConfig` for training
    runs (None for analyses and baselines, which are cheap).
    """

    kind: str
    config: dict
    label: str
    get: Callable[[], dict]
    train: object = None

    @property
    def key(self) -> str:
        return config_hash(self.config)

    def stored(self, root=None) -> bool:
        return result_path(self.kind, self.config, root).is_file()


def run_need(config) -> Need:
    """The :class:`Need` of one training run."""
    from ..train import RESULT_KIND, train

    label = (f"{config.method.method} ({variant_label(config.method)}) on {config.data.label()}"
             f"{' correlated' if config.data.correlated else ''}, seed {config.seed}, {config.epochs} epochs")
    return Need(RESULT_KIND, config.identity(), label, lambda: train(config), train=config)


def stored_need(kind: str, key: dict, label: str, compute: Callable[[], dict]) -> Need:
    """The :class:`Need` of a result that ``compute`` makes and :func:`ratlib.results.cached` stores."""
    from ..results import cached

    return Need(kind, key, label, lambda: cached(kind, key, compute))


def unique(needs: Iterable[Need]) -> list[Need]:
    """``needs`` in order, each stored result once (chapters share runs)."""
    seen, out = set(), []
    for need in needs:
        if (need.kind, need.key) not in seen:
            seen.add((need.kind, need.key))
            out.append(need)
    return out


def missing(needs: Iterable[Need], root=None) -> list[Need]:
    return [n for n in needs if not n.stored(root)]


def pending_note(config, chapter: str) -> str:
    """Which runs of a chapter's full design (``config.full_design()``) are not stored yet, and the command."""
    absent = missing(run_need(cfg) for cfg in config.full_design().train_configs())
    if not absent:
        return "Every run of the chapter's design is stored."
    by_run: dict[str, list[int]] = {}
    for need in absent:
        cfg = need.train
        by_run.setdefault(f"{cfg.method.method} ({variant_label(cfg.method)}) on {cfg.data.label()}",
                          []).append(cfg.seed)
    return (f"**Not stored yet** ({count_of(len(absent), 'run')} of the chapter's design, so the tables above "
            f"hold fewer seeds): {seeds_listing(by_run)}.{compute_estimate([need.train for need in absent])} "
            f"`python -m ratlib sweep {chapter} --profile cpu --full-design` computes them.")


def _pace_keys(identity: dict) -> list[str]:
    """What a run's training time depends on, most specific first: method, encoder, data and schedule;
    then the same without the method (a variant of the same encoder on the same data)."""
    import json

    method = identity["method"]
    schedule = {k: v for k, v in identity.items() if k not in ("seed", "method")}
    rest = json.dumps({"encoder": method["encoder"], **schedule}, sort_keys=True, default=str)
    return [f"{method['method']} {rest}", rest]


def compute_estimate(configs, root=None) -> str:
    """What training ``configs`` would take at the pace of the stored runs most like each (same method,
    encoder, data and epochs; else same encoder, data and epochs): " About 3.5 CPU-hours ...", or "" when
    no stored run is like any of them. Runs stored on other machines count as they ran."""
    from ..results import iter_results
    from ..train import RESULT_KIND

    pace: dict[str, list[float]] = {}
    for result in iter_results(RESULT_KIND, root):
        for key in _pace_keys(result["config"]):
            pace.setdefault(key, []).append(result["wall_time_s"])
    seconds, known = 0.0, 0
    for cfg in configs:
        times = next((pace[key] for key in _pace_keys(cfg.identity()) if key in pace), None)
        if times:
            seconds, known = seconds + sum(times) / len(times), known + 1
    if not known:
        return ""
    part = "" if known == len(configs) else f" for the {known} of them like a stored run"
    return (f" About {seconds / 3600:.1f} CPU-hours{part}, at the pace of the stored runs most like each "
            "(one torch thread a run).")


def seeds_listing(by_run: dict[str, list[int]]) -> str:
    """"run, seeds 1, 2; other run, seed 3" for the pending lists of the chapters."""
    return "; ".join(f"{run}, {plural('seed', len(seeds))} {', '.join(map(str, seeds))}"
                     for run, seeds in by_run.items())


def count_of(n: int, noun: str) -> str:
    """"1 run", "2 runs": a count with its noun in the number the count asks for ("? runs" for an unknown one)."""
    return f"{n} {plural(noun, n)}"


def seeds_per(fewest: int, most: int, per: str = "each") -> str:
    """"3 seeds each", or "1-3 seeds each" where the groups have different numbers of seeds."""
    return f"{count_of(most, 'seed') if fewest == most else f'{fewest}-{most} seeds'} {per}"


def plural(noun: str, n: int) -> str:
    """The noun in the number ``n`` asks for: "seed" for 1, "seeds" otherwise."""
    return noun if n == 1 else f"{noun}s"


def variant_label(method) -> str:
    """The encoder, and the settings that set a run apart from its method's usual one (for lists of runs)."""
    m = method
    parts = [m.encoder]
    if m.split_layers is not None:
        parts.append(f"split {tuple(m.split_layers)}")
    if m.method == "plmr" and m.full_text == "none":
        parts.append("no full-text term")
    parts += [f"{name.replace('plmr_', '')} {value}" for name, value, usual in
              (("plmr_targets", m.plmr_targets, "levelled"), ("plmr_masks", m.plmr_masks, "cumulative"))
              if value not in (None, usual)]
    if m.plmr_drop_pruned:
        parts.append("pruned tokens dropped")
    if m.plmr_norm_lambda:
        parts.append(f"norm step {m.plmr_norm_lambda:g}")
    if m.plmr_warmup_epochs:
        parts.append(f"predictor warm-up {m.plmr_warmup_epochs} epoch{'s' if m.plmr_warmup_epochs > 1 else ''}")
    if m.continuity_window:
        parts.append(f"continuity over {m.continuity_window}")
    usual = type(m)(method=m.method, encoder=m.encoder)
    if m.method == "plmr" and (m.lr_encoder, m.lr_head) != (usual.lr_encoder, usual.lr_head):
        parts.append(f"learning rates {m.lr_encoder:g}/{m.lr_head:g}")
    return ", ".join(parts)

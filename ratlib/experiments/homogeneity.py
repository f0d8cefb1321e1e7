"""Chapter 1's experiment: token homogeneity per layer, for several encoders.

:func:`run` samples reviews, passes them through each encoder, computes the
per-sentence metrics of :mod:`ratlib.analysis.homogeneity` in every layer
and stores per-layer means (a stored result is reused, see
:mod:`ratlib.results`). :func:`curves`, :func:`findings` and :func:`verdict`
turn a stored result into the tables and sentences the book prints, so no
number in the chapter is typed by hand.
"""
from __future__ import annotations

import hashlib
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import torch
from tqdm.auto import tqdm

from ..analysis.homogeneity import METRICS, layer_summary, rise, sentence_metrics
from ..analysis.token_states import gru_layers, load_plm_encoder, plm_layers
from ..results import cached
from .needs import count_of

RESULT_KIND = "homogeneity"
# Bump when what a stored homogeneity result means changes (part of the key).
ANALYSIS_VERSION = 2
GRU_NAME = "bigru-glove"

@dataclass(frozen=True)
class HomogeneityConfig:
    """What the homogeneity experiment runs on. Serialises to JSON."""

    encoders: tuple[str, ...] = ("minilm", "mpnet")   # names for load_plm
    gru: bool = True                     # also an (untrained) BiGRU over GloVe
    data: dict = field(default_factory=lambda: {"name": "synth"}, hash=False)  # DataConfig fields
    split: str = "train"                 # which split's reviews to sample
    n_sentences: int = 200               # reviews per seed
    max_len: int = 128                   # word pieces per review (specials included)
    batch_size: int = 16
    seeds: tuple[int, ...] = (1, 2, 3)   # each seed: a review sample and a GRU initialisation
    glove_path: str | None = None        # None: GloVe 6B 50d from its package
    gru_hidden: int = 100                # per direction, as in RNP/FR

    def to_json(self) -> dict:
        out = asdict(self)
        out["encoders"] = list(self.encoders)
        out["seeds"] = list(self.seeds)
        return out

    def needs(self) -> list:
        return [need(self)]

    @classmethod
    def from_json(cls, data: dict) -> "HomogeneityConfig":
        data = dict(data)
        data["encoders"] = tuple(data.get("encoders", ()))
        data["seeds"] = tuple(data.get("seeds", ()))
        return cls(**data)


# ---------------------------------------------------------------- data

def load_reviews(config: HomogeneityConfig) -> tuple[list[list[str]], dict]:
    """The pool of tokenised reviews to sample from, and a description of it."""
    from ..data.registry import DataConfig, load_splits

    data_config = DataConfig(**config.data)
    splits = load_splits(data_config)
    if config.split not in ("train", "dev", "test"):
        raise ValueError(f"split must be train, dev or test, got {config.split!r}")
    examples = getattr(splits, config.split)
    pool = [list(ex.tokens) for ex in examples if len(ex.tokens) > 0]
    if len(pool) < 2:
        raise ValueError(f"dataset {data_config.name!r}, split {config.split!r}: {len(pool)} non-empty reviews, need 2+")
    return pool, {"source": data_config.name, "description":
                  f"{data_config.name} reviews, {config.split} split ({len(pool)} available)",
                  "pool_size": len(pool), "data_config": data_config.to_json(), "split": config.split}


def fingerprint(pool: Sequence[Sequence[str]]) -> str:
    """A hash of the review pool, so a stored result never outlives its data."""
    h = hashlib.sha256()
    for tokens in pool:
        h.update(" ".join(tokens).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def sample_reviews(pool: Sequence[Sequence[str]], n: int, seed: int) -> list[list[str]]:
    """``n`` reviews drawn without replacement with ``seed`` (all of them if fewer)."""
    if n >= len(pool):
        return [list(t) for t in pool]
    picked = sorted(random.Random(seed).sample(range(len(pool)), n))
    return [list(pool[i]) for i in picked]


# ---------------------------------------------------------------- compute

class _PerSentence:
    """Collects per-sentence metric values into (n_sentences, n_layers) tables."""

    def __init__(self, n_sentences: int):
        self.n = n_sentences
        self.values: dict[str, torch.Tensor] = {}

    def __call__(self, idx: list[int], layers: list[torch.Tensor], mask: torch.Tensor) -> None:
        for layer, states in enumerate(layers):
            for metric, values in sentence_metrics(states, mask).items():
                table = self.values.setdefault(metric, torch.full((self.n, len(layers)), float("nan"),
                                                                  dtype=torch.float64))
                table[idx, layer] = values

    def rows(self, encoder: str, seed: int, n_layers: int) -> list[dict]:
        out = []
        for metric in METRICS:
            table = self.values[metric]
            for layer in range(table.shape[1]):
                summary = layer_summary(table[:, layer].tolist())
                out.append({"encoder": encoder, "seed": seed, "layer": layer, "n_layers": n_layers,
                            "depth": layer / n_layers, "metric": metric, **summary})
        return out


def _gru_parts(pool: Sequence[Sequence[str]], config: HomogeneityConfig, seed: int):
    from ..encoders import WordEncoder
    from ..models.gru import BiGRU, FrozenEmbedding

    words = WordEncoder.from_texts(pool, config.glove_path)
    embedding = FrozenEmbedding(words.model_inputs()["embeddings"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gru = BiGRU(embedding.dim, config.gru_hidden)
    gru.eval()
    architecture = f"BiGRU, {config.gru_hidden} per direction, untrained (seeded init)"
    return embedding, gru, words.vocab.encode, architecture, words.provenance["word_vectors"]


def compute(config: HomogeneityConfig, pool: list[list[str]], data_info: dict) -> dict:
    """Run every encoder on every seed's sample; per-layer summaries as rows."""
    rows: list[dict] = []
    encoders: dict[str, dict] = {}
    samples = {seed: sample_reviews(pool, config.n_sentences, seed) for seed in config.seeds}
    units = [(name, seed) for name in config.encoders for seed in config.seeds]
    if config.gru:
        units += [(GRU_NAME, seed) for seed in config.seeds]
    progress = tqdm(units, desc="homogeneity", unit="encoder x seed")
    loaded = None
    for name, seed in progress:
        progress.set_postfix_str(f"{name} seed {seed}")
        sentences = samples[seed]
        collect = _PerSentence(len(sentences))
        start = time.perf_counter()
        if name == GRU_NAME:
            embedding, gru, encode, architecture, weights = _gru_parts(pool, config, seed)
            gru_layers(embedding, gru, encode, sentences, config.max_len, config.batch_size, collect)
            n_layers, specials = 1, "padding"
        else:
            if loaded is None or loaded.name != name:
                loaded = load_plm_encoder(name)
            architecture, weights = loaded.architecture, loaded.weights
            plm_layers(loaded, sentences, config.max_len, config.batch_size, collect)
            n_layers = loaded.model.config.num_hidden_layers
            specials = f"padding, {loaded.tokenizer.cls_token}, {loaded.tokenizer.sep_token}"
        info = encoders.setdefault(name, {"architecture": architecture, "weights": weights, "n_layers": n_layers,
                                          "excluded": specials, "seconds": 0.0, "sentences": len(sentences)})
        info["seconds"] = round(info["seconds"] + time.perf_counter() - start, 2)
        rows.extend(collect.rows(name, seed, n_layers))
    return {"data": data_info, "encoders": encoders, "rows": rows}


def need(config: HomogeneityConfig):
    """The stored result this configuration reads (:class:`~ratlib.experiments.needs.Need`; loads the data)."""
    from .needs import Need

    pool, data_info = load_reviews(config)
    data_info["fingerprint"] = fingerprint(pool)
    key = {"analysis": RESULT_KIND, "version": ANALYSIS_VERSION, **config.to_json(),
           "data_fingerprint": data_info["fingerprint"]}
    label = f"token homogeneity of {', '.join(config.encoders)}"
    return Need(RESULT_KIND, key, label, lambda: cached(RESULT_KIND, key, lambda: compute(config, pool, data_info)))


def run(config: HomogeneityConfig) -> dict:
    """The stored result for ``config`` (computed and stored when absent)."""
    result = need(config).get()
    check_result(result)
    return result


def check_result(result: dict) -> None:
    """Sanity checks every run passes (so an executed chapter is also a test)."""
    bounds = {"cosine": (-1.0, 1.0), "relative_spread": (0.0, 1.0), "trace": (0.0, float("inf")),
              "sq_norm": (0.0, float("inf"))}
    for row in result["rows"]:
        low, high = bounds[row["metric"]]
        value = row["mean"]
        if not (low - 1e-9 <= value <= high + 1e-9):
            raise AssertionError(f"{row['encoder']} seed {row['seed']} layer {row['layer']}: "
                                 f"{row['metric']} = {value} is outside [{low}, {high}]")
        if row["n"] == 0:
            raise AssertionError(f"{row['encoder']} layer {row['layer']}: no sentence had two tokens to compare")


# ---------------------------------------------------------------- read a result

def curves(result: dict):
    """Per-layer means over seeds: one row per (encoder, layer, metric)."""
    import pandas as pd

    frame = pd.DataFrame(result["rows"])
    grouped = frame.groupby(["encoder", "layer", "metric"], sort=False)
    out = grouped.agg(mean=("mean", "mean"), seed_sd=("mean", "std"), sentence_sd=("std", "mean"),
                      sentences=("n", "sum"), n_layers=("n_layers", "first"), depth=("depth", "first"))
    out["seed_sd"] = out["seed_sd"].fillna(0.0)
    return out.reset_index()


def _curve(table, encoder: str, metric: str) -> list[float]:
    sel = table[(table.encoder == encoder) & (table.metric == metric)].sort_values("layer")
    return sel["mean"].tolist()


def _third_means(values: list[float]) -> tuple[float, float]:
    """Mean of the first and last third of the transformer layers (layer 0 left out)."""
    body = values[1:]
    k = max(1, len(body) // 3)
    return sum(body[:k]) / k, sum(body[-k:]) / k


def findings(result: dict) -> list[dict]:
    """Per encoder: early vs late layers for each measure, and where the curves turn."""
    table = curves(result)
    out = []
    for name, info in result["encoders"].items():
        cos = _curve(table, name, "cosine")
        trace = _curve(table, name, "trace")
        spread = _curve(table, name, "relative_spread")
        norm = _curve(table, name, "sq_norm")
        row = {"encoder": name, "n_layers": info["n_layers"], "cosine_first": cos[0], "cosine_last": cos[-1],
               "spread_last": spread[-1]}
        if len(cos) > 2:  # a transformer: compare early and late layers
            (c_early, c_late), (t_early, t_late) = _third_means(cos), _third_means(trace)
            (s_early, s_late), (n_early, n_late) = _third_means(spread), _third_means(norm)
            peak = max(range(1, len(trace)), key=trace.__getitem__)
            row.update({
                "cosine_early": c_early, "cosine_late": c_late,
                "trace_early": t_early, "trace_late": t_late,
                "spread_early": s_early, "spread_late": s_late,
                "trace_peak_layer": peak, "trace_peak": trace[peak], "trace_last": trace[-1],
                "norm_ratio": n_late / n_early if n_early else float("nan"),
                # Differences under 0.01 in cosine or 1% in the others are read as flat.
                "cosine_rises": c_late > c_early + 0.01,
                "trace_falls": t_late < 0.99 * t_early,
                "spread_falls": s_late < 0.99 * s_early,
                **rise(cos),
            })
        out.append(row)
    return out


def _transformer_findings(result: dict) -> list[dict]:
    return [r for r in findings(result) if "cosine_rises" in r]


def verdict(result: dict) -> dict:
    """'reproduced' / 'partly reproduced' / 'not reproduced', in one sentence written from the numbers."""
    rows = _transformer_findings(result)
    if not rows:
        return {"label": "not tested", "sentence": "Not tested: no transformer encoder ran."}
    config = result["config"]
    scale = (f"{config['n_sentences']} reviews x {count_of(len(config['seeds']), 'seed')} of "
             f"{result['data']['source']} data, {' and '.join(r['encoder'] for r in rows)}")
    cosine = ", ".join(f"{r['cosine_early']:.2f} → {r['cosine_late']:.2f} ({r['encoder']})" for r in rows)
    trace = ", ".join(f"{r['trace_early']:.1f} → {r['trace_late']:.1f} ({r['encoder']})" for r in rows)
    peaks = " and ".join(f"layer {r['trace_peak_layer']} of {r['n_layers']} ({r['encoder']})" for r in rows)
    full = [r for r in rows if r["trace_falls"] and r["cosine_rises"]]
    some = [r for r in rows if r["cosine_rises"] or r["spread_falls"] or r["trace_falls"]]
    if len(full) == len(rows):
        label = "reproduced"
        why = (f"tokens are more alike in the last third of the layers than in the first, by the paper's "
               f"tr(Σ) ({trace}) and by the mean cosine similarity ({cosine})")
    elif some:
        label = "partly reproduced"
        failed = []
        for r in rows:
            if not r["trace_falls"]:
                note = f"tr(Σ) does not fall in {r['encoder']} ({r['trace_early']:.1f} → {r['trace_late']:.1f})"
                if r["norm_ratio"] > 1.01:
                    note += f" as its token vectors grow {r['norm_ratio']:.2f}x in squared length"
                failed.append(note)
            if not r["cosine_rises"]:
                failed.append(f"the cosine similarity does not rise in {r['encoder']} "
                              f"({r['cosine_early']:.2f} → {r['cosine_late']:.2f})")
        why = "first to last third of the layers: " + "; ".join(failed) + f"; mean cosine {cosine}"
    else:
        label = "not reproduced"
        why = (f"no transformer's tokens are more alike in its last third of layers than in its first "
               f"(tr(Σ) {trace}; cosine {cosine})")
    tail = ""
    if label != "not reproduced" and any(r["trace_peak_layer"] > 1 for r in rows):
        tail = f"; tr(Σ) itself first grows and peaks at {peaks} before it falls"
    return {"label": label, "sentence": f"{label.capitalize()} at this scale ({scale}): {why}{tail}."}


def encoder_table(result: dict):
    """What ran: one row per encoder (model, weights, layers, tokens excluded, sentences, seconds)."""
    import pandas as pd

    def short(weights: str) -> str:  # the table shows 12 hex digits; the JSON keeps all 64
        name, _, digest = weights.partition(" sha256:")
        return f"{name} {digest[:12]}" if digest else weights

    return pd.DataFrame([{"encoder": name, "model": info["architecture"], "weights / vectors": short(info["weights"]),
                          "layers": info["n_layers"], "not counted": info["excluded"],
                          "reviews per seed": info["sentences"], "seconds (all seeds)": info["seconds"]}
                         for name, info in result["encoders"].items()]).set_index("encoder")


def findings_table(result: dict):
    """Early vs late layers per transformer: the numbers behind the verdict."""
    import pandas as pd

    table = pd.DataFrame([{
        "encoder": r["encoder"], "layers": r["n_layers"],
        "tr(Σ) first third": r["trace_early"], "tr(Σ) last third": r["trace_late"],
        "tr(Σ) peaks at layer": r["trace_peak_layer"],
        "cosine first third": r["cosine_early"], "cosine last third": r["cosine_late"],
        "spread first third": r["spread_early"], "spread last third": r["spread_late"],
        "cosine: steepest rise into layer": r["steepest_layer"], "cosine: half-way by layer": r["halfway_layer"],
    } for r in _transformer_findings(result)])
    return table.set_index("encoder") if len(table) else table


def plmr_split(n_layers: int) -> tuple[int, int]:
    """PLMR's default (s, e) for ``n_layers`` layers: the trainer's own rule (0-based transformer layers).

    (3, 7) for 12 layers, (1, 3) for 6 (:meth:`ratlib.methods.MethodConfig.resolve_split`). Layer i's
    output is layer i + 1 of this analysis, whose layer 0 is the embedding output.
    """
    from ..methods import MethodConfig

    return MethodConfig(method="plmr", encoder="plm").resolve_split(n_layers)


def split_advice(result: dict) -> list[str]:
    """Per transformer: where cosine similarity rises, set against PLMR's split scaled to its depth."""
    out = []
    for r in findings(result):
        if "cosine_rises" not in r:
            continue
        s, e = plmr_split(r["n_layers"])
        last = e + 1  # the last selecting layer's output, in this analysis's numbering
        where = ("before" if last < r["halfway_layer"] else "at" if last == r["halfway_layer"] else "after")
        out.append(
            f"{r['encoder']} ({r['n_layers']} layers): token cosine similarity is lowest at layer "
            f"{r['minimum_layer']}, climbs most steeply into layer {r['steepest_layer']} and has covered half "
            f"of its rise by layer {r['halfway_layer']} ({r['cosine_early']:.2f} in the first third of the "
            f"layers, {r['cosine_late']:.2f} in the last). PLMR's split scaled to this depth, as the trainer "
            f"uses it, is (s, e) = ({s}, {e}) (0-based transformer layers): its last selecting layer's output "
            f"(layer {last} here) comes {where} that half-way point.")
    return out


def gru_comparison(result: dict) -> str | None:
    """How the BiGRU's token states compare with the transformers' layers (None if no GRU ran)."""
    if GRU_NAME not in result["encoders"]:
        return None
    table = curves(result)
    glove, gru = _curve(table, GRU_NAME, "cosine")
    gru_spread = _curve(table, GRU_NAME, "relative_spread")[1]
    rows = _transformer_findings(result)
    if not rows:
        return None
    top = {r["encoder"]: max(_curve(table, r["encoder"], "cosine")) for r in rows}
    sentence = (f"The untrained BiGRU's token states have a mean cosine similarity of {gru:.2f} (its GloVe "
                f"inputs: {glove:.2f}) and a relative spread of {gru_spread:.2f}; the highest cosine of any "
                "transformer layer is " + ", ".join(f"{v:.2f} ({n})" for n, v in top.items()) + ".")
    if all(gru > v for v in top.values()):
        sentence += (" By these measures the untrained BiGRU's tokens are more alike than those of any "
                     "transformer layer, so the comparison with GRUs that PLMR's argument rests on needs "
                     "trained GRU generators, not this reference.")
    return sentence


def scale_summary(result: dict) -> dict:
    """The data and scale of a stored result, for the chapter's 'what we ran' table."""
    config = result["config"]
    return {
        "data": result["data"]["description"],
        "reviews per seed": config["n_sentences"],
        "seeds": ", ".join(str(s) for s in config["seeds"]),
        "max word pieces per review": config["max_len"],
        "encoders": ", ".join(result["encoders"]),
    }

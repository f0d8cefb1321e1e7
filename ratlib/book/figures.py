"""Figures the chapters draw from stored results (seaborn; the notebook shows them)."""
from __future__ import annotations

HOMOGENEITY_PANELS = (
    ("trace", "tr(Σ) per sentence (PLMR's measure)"),
    ("relative_spread", "relative spread tr(Σ) / mean ‖x‖²"),
    ("cosine", "mean pairwise cosine similarity"),
)


def homogeneity_figure(result: dict, gru_name: str = "bigru-glove"):
    """Three panels over layers, one line per transformer (± sd over seeds), the BiGRU as reference lines."""
    import pandas as pd
    import seaborn as sns

    rows = pd.DataFrame(result["rows"])
    plm = rows[rows.encoder != gru_name]
    gru = rows[rows.encoder == gru_name]
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = panel_grid(len(HOMOGENEITY_PANELS), height=3.8)
    for ax, (metric, title) in zip(axes, HOMOGENEITY_PANELS):
        sns.lineplot(data=plm[plm.metric == metric], x="layer", y="mean", hue="encoder", marker="o",
                     errorbar="sd", ax=ax)
        if len(gru):
            for layer, style, label in ((0, ":", "GloVe 50d (GRU input)"), (1, "--", "BiGRU output (untrained)")):
                value = gru[(gru.metric == metric) & (gru.layer == layer)]["mean"].mean()
                ax.axhline(value, color="grey", linestyle=style, label=label)
        ax.set_title(title)
        ax.set_xlabel("layer (0 = embedding output)")
        ax.set_ylabel("")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def homogeneity_depth_figure(result: dict, metric: str = "cosine", gru_name: str = "bigru-glove"):
    """One metric against relative depth (layer / number of layers), to compare encoders of different depth."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    rows = pd.DataFrame(result["rows"])
    plm = rows[(rows.encoder != gru_name) & (rows.metric == metric)]
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=plm, x="depth", y="mean", hue="encoder", marker="o", errorbar="sd", ax=ax)
    ax.set_xlabel("relative depth (layer / number of layers)")
    ax.set_ylabel(dict((m, t) for m, t in HOMOGENEITY_PANELS).get(metric, metric))
    fig.tight_layout()
    return fig


def run_label(cfg: dict) -> str:
    """A short legend name for a run: method/encoder, aspect, setting and a reduced training set."""
    data = cfg["data"]
    where = f"a{data['aspect']}" if data["name"] in ("synth", "beer", "hotel") else data["name"]
    label = f"{cfg['method']['method']}/{cfg['method']['encoder']} {where}"
    if data.get("correlated"):
        label += " corr"
    if data.get("max_train"):
        label += f" n={data['max_train']}"
    return label


def convergence_figure(results: list[dict]):
    """Per epoch: test F1 (argmax and sampled selection), train sparsity and dev accuracy, one line per run."""
    import pandas as pd
    import seaborn as sns

    rows = []
    for r in results:
        cfg = r["config"]
        name = run_label(cfg)
        for h in r["history"]:
            rows.append({"run": name, "seed": cfg["seed"], "epoch": h["epoch"] + 1,
                         "test F1 (argmax)": h["test"]["F1"], "test F1 (sampled)": h["test_sampled"]["F1"],
                         "train sparsity %": 100 * h["train"]["sparsity"], "dev acc": h["dev"]["acc"]})
    frame = pd.DataFrame(rows)
    panels = ("test F1 (argmax)", "test F1 (sampled)", "train sparsity %", "dev acc")
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = panel_grid(len(panels))
    for ax, metric in zip(axes, panels):
        sns.lineplot(data=frame, x="epoch", y=metric, hue="run", errorbar="sd", ax=ax, legend=ax is axes[1])
        ax.set_title(metric)
        ax.set_ylabel("")
    # One legend, beside the panels, so no curve hides behind it.
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig


def convergence_currencies(curves, title: str = ""):
    """Test F1 per epoch (band: ± sd over seeds) and per CPU-minute of training (one line per seed),
    one colour per run; ``curves`` is a long frame with run, seed, epoch, cpu_minutes and F1 columns."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    fig, (by_epoch, by_minute) = panel_grid(2)
    sns.lineplot(data=curves, x="epoch", y="F1", hue="run", errorbar="sd", ax=by_epoch, legend=False)
    sns.lineplot(data=curves, x="cpu_minutes", y="F1", hue="run", units="seed", estimator=None, ax=by_minute,
                 lw=1)
    by_epoch.set_title(f"{title}: test F1 per epoch" if title else "test F1 per epoch")
    by_minute.set_title("test F1 per CPU-minute of training")
    by_minute.set_xlabel("CPU-minutes")
    by_minute.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig


SPLIT_PANELS = {"F1": "F1", "S": "S (% of words selected)", "dev_acc": "dev accuracy",
                "F1_over_random": "F1 minus random selection's F1 at its S"}


def split_heatmaps(frame, metrics=("F1", "S", "F1_over_random", "dev_acc")):
    """Mean of each metric over seeds per PLMR split, s (rows) by e (columns), paper recipe; None if empty.

    ``F1_over_random`` is F1 minus the F1 of selecting the same share of words at random: above 0, a split
    selects better than chance; a high F1 that is only a high S shows up here."""
    import seaborn as sns

    from ..experiments.split_ablation import grid_table

    frame = frame.assign(F1_over_random=frame.F1 - frame.random_F1)
    tables = [grid_table(frame, m) for m in metrics]
    if all(t.empty for t in tables):
        return None
    sns.set_theme(style="white", context="notebook")
    fig, axes = panel_grid(len(metrics), height=3.6)
    for ax, metric, table in zip(axes, metrics, tables):
        sns.heatmap(table, annot=True, fmt=".1f", ax=ax, cbar=False, **heatmap_colours(table, metric))
        ax.set_title(f"{SPLIT_PANELS.get(metric, metric)} (mean over seeds)", fontsize=10)
        ax.set_xlabel("e (last pruning layer)")
        ax.set_ylabel("s (last full-text layer)")
    fig.tight_layout()
    return fig


# Colours of a split heatmap span at least this many points, so that splits whose means differ by
# hundredths (all collapsed at 0.0, say) are not painted as far apart as the scale's two ends.
MIN_COLOUR_RANGE = 5.0


def heatmap_colours(table, metric: str) -> dict:
    """seaborn colour arguments for one split heatmap: F1 over random diverging around 0, the rest viridis,
    each spanning at least :data:`MIN_COLOUR_RANGE` points."""
    import numpy as np

    values = table.to_numpy(dtype=float)
    if np.isnan(values).all():
        return {"cmap": "viridis"}
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    if metric == "F1_over_random":
        bound = max(abs(lo), abs(hi), MIN_COLOUR_RANGE / 2)
        return {"cmap": "RdBu", "center": 0.0, "vmin": -bound, "vmax": bound}
    return {"cmap": "viridis", "vmin": lo, "vmax": max(hi, lo + MIN_COLOUR_RANGE)}


def panel_grid(n: int, width: float = 11.0, height: float = 3.4):
    """``n`` panels two to a row (legible at the page's width); the flat list of axes, extras removed."""
    import matplotlib.pyplot as plt

    rows = (n + 1) // 2
    fig, grid = plt.subplots(rows, 2, figsize=(width, height * rows), squeeze=False)
    axes = list(grid.flat)
    for ax in axes[n:]:
        ax.remove()
    return fig, axes[:n]


# Panel titles of metric_bars for columns whose names do not say enough.
METRIC_TITLES = {"failure_rate": "failure rate (%)", "S": "S, share selected (%)",
                 "dev_acc": "dev accuracy at the chosen epoch (%)"}


def metric_bars(frame, metrics=("F1", "failure_rate", "S", "dev_acc"), by: str = "encoder", x: str = "setting"):
    """One panel per metric: bars per method and ``by`` (a column naming the model), per ``x`` (± sd over seeds).

    Dev accuracy rather than test accuracy: the dev sets are balanced, so a model that answers one class
    scores the chance level drawn as a dashed line, where on an unbalanced test set it would score either
    class's share and look like a wide spread over seeds.
    """
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    frame = frame.assign(model=frame["method"] + " / " + frame[by])
    fig, axes = panel_grid(len(metrics))
    for ax, metric in zip(axes, metrics):
        sns.barplot(data=frame, x=x, y=metric, hue="model", errorbar="sd", ax=ax)
        if metric == "dev_acc" and "dev_chance_acc" in frame:
            ax.axhline(frame["dev_chance_acc"].mean(), color="0.3", linestyle="--", linewidth=1)
        ax.set_title(METRIC_TITLES.get(metric, metric))
        ax.set_ylabel("")
        ax.set_xlabel("")
    # One legend under the panels: a legend inside each panel covered its bars.
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes:
        ax.get_legend().remove()
    columns = min(len(labels), 4)
    rows = -(-len(labels) // columns)
    legend_height = 0.06 * rows * 3.4 / fig.get_figheight()
    fig.legend(handles, labels, loc="lower center", ncol=columns, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, legend_height, 1, 1))
    return fig


def diminishing_figure(result: dict, dataset: str | None = None):
    """Accuracy, cross-entropy and the norms against the share p of the gold rationale in the candidate,
    for the predictors trained on ``dataset`` (None: every probe's, when they share one).

    One panel per measure, one line per (encoder, candidate form), band: ± sd over the predictors' seeds.
    The norms are divided by their value at p = 0, so a GRU's max-pooled state and a transformer's
    [CLS] vector share an axis and a flat line reads as flat.
    """
    import seaborn as sns

    from ..experiments.diminishing import curves

    table = curves(result)
    if dataset is not None:
        table = table[table["dataset"] == dataset]
    table = table.assign(predictor=table["encoder"] + ", " + table["form"])
    panels = [("acc", "accuracy (%)"), ("ce", "cross-entropy"),
              ("norm", "‖Enc(Z)‖₂, the pooled vector N2R maximises (÷ at p = 0)")]
    if "norm_pre_ln" in table and table["norm_pre_ln"].notna().any():
        panels.append(("norm_pre_ln", "‖[CLS] before the last LayerNorm‖₂ (÷ at p = 0)"))
    for column, _ in panels[2:]:
        at_zero = table[table.p == 0].set_index(["predictor", "seed"])[column].rename("at_zero")
        table[column] = table[column] / table.join(at_zero, on=["predictor", "seed"])["at_zero"]
    sns.set_theme(style="whitegrid", context="notebook")
    # One colour per predictor on every panel (the last panel has the transformers only).
    order = list(dict.fromkeys(table["predictor"]))
    palette = dict(zip(order, sns.color_palette(n_colors=len(order))))
    fig, axes = panel_grid(len(panels))
    for ax, (column, title) in zip(axes, panels):
        sns.lineplot(data=table.dropna(subset=[column]), x="p", y=column, hue="predictor", hue_order=order,
                     palette=palette, marker="o", errorbar="sd", ax=ax, legend=ax is axes[0])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("share p of the gold rationale in the candidate")
        ax.set_ylabel("")
    axes[0].legend(fontsize=8)
    if dataset is not None:
        fig.suptitle(f"predictors trained on {dataset}", fontsize=11)
    fig.tight_layout()
    return fig


def graph_rationales_figure(examples: list[dict], title: str = "", columns: int = 3):
    """Stored example graphs drawn with networkx: selected nodes filled, motif (gold) nodes ringed.

    Each example is a stored ``rationale_examples`` row of a graph run (``edges``,
    ``gold``, ``selected``, ``label``, ``predicted``); the layout is seeded, so a
    rebuild draws the same picture.
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    rows = max(1, -(-len(examples) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 4.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, ex in zip(axes.flat, examples):
        graph = nx.Graph()
        graph.add_nodes_from(range(len(ex["gold"])))
        graph.add_edges_from(map(tuple, ex["edges"]))
        pos = nx.spring_layout(graph, seed=0)
        fill = ["#ff9800" if s else "#e0e0e0" for s in ex["selected"]]
        ring = ["#1565c0" if g else "#9e9e9e" for g in ex["gold"]]
        widths = [3.0 if g else 0.8 for g in ex["gold"]]
        nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="#9e9e9e", width=1.0)
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=fill, edgecolors=ring, linewidths=widths,
                               node_size=140)
        motif = ("house", "cycle")[ex["label"]] if ex["label"] in (0, 1) else str(ex["label"])
        hits = sum(1 for s, g in zip(ex["selected"], ex["gold"]) if s and g)
        ax.set_title(f"{motif}, predicted {('house', 'cycle')[ex['predicted']]}\n"
                     f"{sum(ex['selected'])} selected, {hits} of {sum(ex['gold'])} motif nodes", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

"""The scorecard: every headline claim of both papers, with what we measured and the verdict.

Each :class:`Claim` names its paper, its chapter and a function that reads the
chapter's stored results under a profile and returns a :class:`Score`, or
None while the chapter is not written or its results are not stored (the
claim then shows as *pending*). Nothing here computes or trains: the chapters'
verdict functions are reused on their stored results, so the page cannot
drift from the chapters.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from .needs import count_of, seeds_per
from .runs import call_words, signed, yet_clause

VERDICT_LABELS = ("reproduced", "partly reproduced", "not reproduced", "not tested", "pending")


@dataclass(frozen=True)
class Score:
    measured: str   # the number(s) we measured, briefly; one line per dataset or encoder
    scale: str      # data, model, budget and seeds; one line per dataset
    verdict: str    # VERDICT_LABELS (plus a qualifier, e.g. "reproduced (1 seed)"); per dataset joined by "; "
    # How many verdicts (one per dataset or encoder) the text stands for, when it is one text for several
    # equal ones ("not tested" on both datasets); the tally counts each.
    verdict_count: int = 1


@dataclass(frozen=True)
class Claim:
    paper: str
    claim: str
    chapter: str | None                 # notebook name (without .ipynb), None: no chapter yet
    score: Callable[[str], Score | None] | None = None


def verdict_label(text: str) -> str:
    """The verdict a chapter's verdict paragraph opens with (``**Partly reproduced ...**`` -> partly reproduced)."""
    match = re.match(r"\s*\*\*([^*]+)\*\*", text)
    head = (match.group(1) if match else text).strip().lower()
    for label in VERDICT_LABELS:
        if head.startswith(label):
            rest = head[len(label):].strip(" :.")
            return label + (f" ({rest})" if rest and rest != "at this scale" and rest != "at this budget" else "")
    return head


def _stored(configs) -> list[dict] | None:
    """The stored results of ``configs``, or None when any is missing."""
    from ..results import load_result
    from ..train import RESULT_KIND

    out = []
    for cfg in configs:
        result = load_result(RESULT_KIND, cfg.identity())
        if result is None:
            return None
        out.append(result)
    return out


def _homogeneity(profile: str) -> Score | None:
    from .profiles import chapter_config
    from . import homogeneity as hx

    need = hx.need(chapter_config("homogeneity", profile))
    if not need.stored():
        return None
    result = need.get()
    v = hx.verdict(result)
    rows = hx.findings(result)
    measured = "\n".join(f"{r['encoder']}: mean token cosine {r['cosine_early']:.2f} → {r['cosine_late']:.2f} "
                         "(first → last third of the layers)" for r in rows if "cosine_early" in r)
    cfg = result["config"]
    return Score(measured, f"{cfg['n_sentences']} reviews x {len(cfg['seeds'])} seeds, "
                           f"{', '.join(cfg['encoders'])}", v["label"])


def _degeneration(profile: str) -> Score | None:
    from .profiles import chapter_config
    from . import degeneration as dg

    config = chapter_config("degeneration", profile)
    results = _stored(config.train_configs())
    if results is None:
        return None
    frame = config.frame(results)
    rationalizers = frame[frame.method != "fulltext"]
    measured = []
    for setting, rows in rationalizers.groupby("setting", sort=False):
        gru = rows[rows.run == "gru"]
        plm = rows[~rows.run.isin(["gru", dg.GRU_AT_PLM_BUDGET])]
        if plm.empty:
            measured.append(f"{setting}: pending (no MiniLM rationalizer stored at this budget)")
            continue
        measured.append(f"{setting}: mean F1 {gru.F1.mean():.1f} (GRU) vs {plm.F1.mean():.1f} (MiniLM), MiniLM "
                        f"dev accuracy {plm.dev_acc.mean():.1f}%")
    measured = "\n".join(measured)
    scale = (f"generated reviews: MiniLM {config.plm_budget_label()}, GRU "
             f"{config.gru_epochs} epochs"
             + "".join(f"\n{ds.label}: MiniLM {ds.plm_epochs} epochs, GRU {ds.gru_epochs} (chapter 3's runs)"
                       for ds in config.datasets)
             + f"\nseeds {', '.join(map(str, config.seeds))}")
    # the page's verdict: full-text controls judged against the same budget targets
    targets = dg.full_text_targets(dg.bag_of_ngrams_dev_acc(profile, config.aspect))
    return Score(measured, scale, verdict_label(dg.verdict(frame, targets)))


def _plmr_main(profile: str, against: str) -> Score | None:
    from .profiles import chapter_config
    from . import plmr_baselines as pb

    config = chapter_config("plmr", profile)
    results = _stored(config.train_configs())
    baselines = {}
    for ds in config.datasets:
        need = config.baseline_need(ds)
        if not need.stored():
            return None
        baselines[ds.label] = need.get()
    if not results:
        return None
    frame = config.frame(results)
    measured, verdicts, tested = [], [], []
    for ds in config.datasets:
        rows = frame[frame.dataset_label == ds.label]
        plmr = rows[rows.method == "plmr"]
        others = pb.baseline_rows(rows[(rows.encoder == "gru") == (against == "gru")])
        if plmr.empty or others.empty:
            measured.append(f"{ds.label}: pending (PLMR or its baselines not stored)")
            verdicts.append(("pending", ds.label))
            continue
        tested.append(ds)
        best = others.groupby("run").F1.mean()
        c = pb.compare(plmr, others[others.run == best.idxmax()])
        measured.append(f"{ds.label}: PLMR F1 {plmr.F1.mean():.1f} vs {best.idxmax()} {best.max():.1f} "
                        f"({signed(c['diff'])}; {pb.plmr_call_words(c['call'])})")
        budget = pb.budget_check(frame, baselines[ds.label], ds.label)
        if not budget["valid"]:
            call = "not tested"
        elif c["call"] == "higher":
            call = "reproduced"
        elif c["call"].startswith("fewer than"):
            call = "pending (fewer than 3 seeds)"
        else:
            call = "not reproduced"
        verdicts.append((call, ds.label))
    if not tested:
        return None
    seeds = frame[frame.method == "plmr"].seed.nunique()
    scale = "\n".join(f"{ds.label}, {config.encoder} {ds.plm_epochs} epochs, GRU {ds.gru_epochs} epochs"
                      for ds in tested) + f"\n{count_of(seeds, 'PLMR seed')}"
    return Score("\n".join(measured), scale, _per_dataset(verdicts), len(verdicts))


def _per_dataset(verdicts: list[tuple[str, str]]) -> str:
    """One verdict when every dataset has the same, else each with its dataset: "reproduced (a); pending (b)"."""
    if len({call for call, _ in verdicts}) == 1:
        return verdicts[0][0]
    return "; ".join(f"{call} ({label})" for call, label in verdicts)


def _diminishing(profile: str) -> Score | None:
    from .profiles import chapter_config
    from . import diminishing as dm

    config = chapter_config("diminishing", profile)
    needs = config.probe_needs()
    if not all(need.stored() for need in needs):
        return None
    result = dm.run(config, show_progress=False)
    learned, left_out = dm.learned_only(result)
    rows = dm.findings(learned)
    measured = "\n".join(
        f"{r['dataset']}, {r['encoder']} {r['form']}: accuracy saturates by p = {r['acc_saturates_at']}, norm "
        f"{r['norm_p0']:.2f} → {r['norm_p1']:.2f}, {100 * (r['norm_rise_after'] or 0):.0f}% of its rise after"
        for r in rows)
    scale = (f"trained RNP predictors ({', '.join(sorted({r['dataset'] for r in rows}))}), "
             f"{count_of(len(result['runs']) - len(left_out), 'run')}"
             + (f" ({len(left_out)} more left out: their runs did not learn the task)" if left_out else "")
             + f", {config.draws} draws")
    return Score(measured, scale, verdict_label(dm.verdict(result)))


def _graph(profile: str) -> Score | None:
    from .profiles import chapter_config
    from . import graph
    from .runs import runs_frame

    config = chapter_config("graph", profile)
    results = _stored(config.train_configs())
    if results is None:
        return None
    frame = runs_frame(results)
    text = graph.verdict(frame)
    match = re.search(r"\*\*Verdict: ([^*.]+?)[.*]", text)
    said = match.group(1).strip().lower() if match else "pending"
    verdict = {"confirmed": "reproduced", "not confirmed": "not reproduced"}.get(said, verdict_label(f"**{said}**"))
    rationalizers = frame[frame.method != graph.CONTROL]
    means = rationalizers.groupby("method").F1.mean()
    measured = ", ".join(f"{graph.METHOD_NAMES.get(m, m)} F1 {v:.1f}" for m, v in means.items()) + (
        f"; mean dev accuracy {rationalizers.dev_acc.mean():.1f}%")
    scale = (f"BA-2Motifs ({results[0]['data']['train']['n']} training graphs), GCN, {config.epochs} epochs, "
             f"{len(config.seeds)} seeds")
    return Score(measured, scale, verdict)


def _split(profile: str) -> Score | None:
    """Chapter 3b: does the split matter, over the stored grid; and the homogeneity rule's call."""
    from . import homogeneity as hx
    from . import split_ablation as sa
    from .profiles import chapter_config

    config = chapter_config("split", profile)
    results = _stored(config.train_configs())
    if not results:
        return None
    frame = config.frame(results)
    findings = {f["encoder"]: f for f in hx.findings(hx.need(chapter_config("homogeneity", profile)).get())}
    rule = sa.homogeneity_rule(findings[config.encoder]) if "halfway_layer" in findings.get(config.encoder, {}) \
        else config.default_split()
    measured, scales, verdicts = [], [], []
    for ds in (c.dataset for c in config.per_dataset()):
        rows = frame[frame.dataset_label == ds.label]
        paper = rows[rows.design == sa.PAPER]
        if paper.empty:
            measured.append(f"{ds.label}: pending (no split stored)")
            verdicts.append(("pending", ds.label))
            continue
        check = sa.rule_check(rows, rule)
        means = paper.groupby(["s", "e"]).F1.mean()
        measured.append(f"{ds.label}: mean F1 {means.min():.1f} to {means.max():.1f} over {len(means)} of "
                        f"{len(config.grid())} splits; homogeneity rule {check['rule']}: {check['call']}")
        seeds = paper.groupby(["s", "e"]).seed.nunique()
        scales.append(f"{ds.label}, {ds.plm_epochs} epochs, "
                      f"{seeds_per(int(seeds.min()), int(seeds.max()), 'per split')}")
        verdicts.append((verdict_label(sa.verdict(rows, check, config.grid())), ds.label))
    if not scales:
        return None
    scale = f"{config.encoder} ({config.n_layers} layers)\n" + "\n".join(scales)
    return Score("\n".join(measured), scale, _per_dataset(verdicts), len(verdicts))


def _n2r(profile: str, what: str) -> Score | None:
    """Chapter 5's calls, per dataset: ``gain`` (F1 over MMI), ``speed`` (epochs to converge), ``combined``
    (MMI+N2R against N2R alone)."""
    from .profiles import chapter_config
    from . import n2r_vs_mmi as nm

    config = chapter_config("n2r", profile)
    results = _stored(config.train_configs())
    if not results:
        return None
    frame = config.frame(results)
    measured, verdicts = [], []
    for label in config.labels():
        calls = {(c["comparison"], c["metric"]): c for c in nm.comparisons(frame, label)}
        if what == "gain":
            verdict = verdict_label(nm.verdict(frame, label))
            shown = [calls.get((f"{m} vs rnp", "F1")) for m in ("n2r", "mmi_n2r")]
        else:
            key = {"speed": [("n2r vs rnp", "converged_epoch"), ("mmi_n2r vs rnp", "converged_epoch")],
                   "combined": [("mmi_n2r vs n2r", "F1")]}[what]
            shown = [calls.get(k) for k in key]
            said = [c["call"] for c in shown if c is not None]
            good = "lower" if what == "speed" else "higher"
            if not said or len(said) < len(key) or any(c.startswith("fewer than") for c in said):
                verdict = "pending"
            elif what == "combined":
                verdict = "not reproduced" if said == ["lower"] else "reproduced"
            else:
                verdict = ("reproduced" if all(c == good for c in said) else
                           "partly reproduced" if good in said else "not reproduced")
        unit = " epochs" if what == "speed" else " F1"
        words = ("slower", "faster") if what == "speed" else ("better", "worse")  # higher, lower in its unit
        parts = [f"{c['comparison']} {signed(c['difference'])}{unit} ({call_words(c['call'], *words)}"
                 + yet_clause(c["seeds apart"]) + ")" for c in shown if c is not None]
        measured.append(f"{label}: " + ("; ".join(parts) if parts else "not stored"))
        verdicts.append(f"{verdict} ({label})")
    seeds = frame.groupby(["dataset_label", "run"]).seed.nunique()
    scale = ("GRU, GloVe 50d; " + "; ".join(f"{ds.label} {ds.gru_epochs} epochs" for ds in config.datasets)
             + "".join(f"; {config.plm_label(ds)} {ds.plm_epochs} epochs" for ds in config.datasets
                       if ds.label in config.plm_datasets)
             + f"; {seeds.min()}-{seeds.max()} seeds per method")
    return Score("\n".join(measured), scale, "; ".join(verdicts))


CLAIMS: tuple[Claim, ...] = (
    Claim("PLMR", "Token representations grow homogeneous in the upper layers of a pre-trained transformer",
          "ch01_token_homogeneity", _homogeneity),
    Claim("PLMR", "MMI rationalizers (RNP, FR) degenerate or fail with a pre-trained encoder, not with a GRU",
          "ch02_degeneration", _degeneration),
    Claim("PLMR", "PLMR beats PLM-based rationalizers by up to 17 F1", "ch03_plmr",
          lambda profile: _plmr_main(profile, against="plm")),
    Claim("PLMR", "PLMR beats GRU-based rationalizers by up to 9 F1", "ch03_plmr",
          lambda profile: _plmr_main(profile, against="gru")),
    Claim("PLMR", "The split (s, e) trades off generator and predictor depth (Sec. 6.3)", "ch03b_split_ablation",
          _split),
    Claim("N2R", "MMI has diminishing returns: accuracy and cross-entropy saturate while the norm keeps rising",
          "ch04_diminishing_returns", _diminishing),
    Claim("N2R", "N2R improves F1 over MMI by 5.1 to 13.5 points", "ch05_n2r", lambda p: _n2r(p, "gain")),
    Claim("N2R", "N2R converges faster than MMI", "ch05_n2r", lambda p: _n2r(p, "speed")),
    Claim("N2R", "MMI+N2R is at least as good as N2R alone", "ch05_n2r", lambda p: _n2r(p, "combined")),
    Claim("N2R", "On a graph dataset with a GCN, N2R finds the ground-truth rationale better than MMI",
          "ch06_graph_rationalization", _graph),
)


def scorecard(profile: str, claims=CLAIMS):
    """One row per claim: paper, claim, measured, scale, verdict and chapter (pending where not stored)."""
    import pandas as pd

    rows = []
    for claim in claims:
        score = claim.score(profile) if claim.score is not None else None
        rows.append({"paper": claim.paper, "claim": claim.claim,
                     "measured": score.measured if score else "",
                     "scale": score.scale if score else "",
                     "verdict": score.verdict if score else "pending",
                     "verdict_count": score.verdict_count if score else 1,
                     "chapter": claim.chapter or "not written yet"})
    return pd.DataFrame(rows)


PAPER_NAMES = {"PLMR": "PLMR (Yuan et al., KDD 2025)", "N2R": "N2R (Liu et al., ICLR 2025)"}

# A verdict's background, so a reader can scan the column: green, amber, red, grey (the label is always written;
# its text stays dark so the light backgrounds read in the dark theme too).
VERDICT_COLOURS = {"reproduced": "#d9efd9", "partly reproduced": "#f8ecc4", "not reproduced": "#f4d4d4",
                   "not tested": "#e8e8e8", "pending": "#e8e8e8"}


def verdict_parts(text: str) -> list[str]:
    """A claim's verdict text split into its datasets' verdicts (a Score joins them with "; ")."""
    return text.split("; ")


def verdict_base(verdict: str) -> str:
    """The label one verdict starts with ("partly reproduced (synth appearance)" -> "partly reproduced")."""
    for label in VERDICT_LABELS:
        if verdict.startswith(label):
            return label
    return "pending"


def verdict_colour(verdict: str) -> str:
    """The background of one verdict ("partly reproduced (synth appearance)" -> amber)."""
    return VERDICT_COLOURS[verdict_base(verdict)]


def verdict_tally(frame):
    """How many verdicts carry each label, counting each dataset's (or encoder's) verdict of a claim once.

    A claim judged on four datasets counts four times: its verdicts may differ, and a tally of the joined
    texts would list every combination once.
    """
    import pandas as pd

    counts = Counter()
    stands_for = frame["verdict_count"] if "verdict_count" in frame else [1] * len(frame)
    for text, count in zip(frame["verdict"], stands_for):
        parts = verdict_parts(text)
        for part in parts:
            counts[verdict_base(part)] += count if len(parts) == 1 else 1
    return pd.DataFrame({"verdicts (claim x dataset)": [counts[label] for label in VERDICT_LABELS]},
                        index=pd.Index(VERDICT_LABELS, name="verdict"))


def to_html(frame) -> str:
    """The scorecard as an HTML table: one group of rows per paper, each claim linking to its chapter's page
    (a sibling page), its verdict(s) coloured, and each dataset's measurement and scale on a line of its own.

    HTML rather than Markdown: a notebook's Markdown output is rendered without the table extension.
    """
    import html

    def lines(text: str) -> str:  # a score text puts each dataset (or encoder) on a line
        return "<br>".join(html.escape(part) for part in text.split("\n")) if text else "—"

    def verdicts(text: str) -> str:
        return "".join(f'<div style="background:{verdict_colour(part)};color:#1a1a1a;padding:2px 6px;margin:2px 0;'
                       f'border-radius:4px"><b>{html.escape(part)}</b></div>' for part in verdict_parts(text))

    left = ' style="text-align:left;vertical-align:top"'
    widths = {"claim": "24%", "verdict": "20%", "measured": "36%", "scale": "20%"}
    head = "".join(f'<th{left[:-1]};width:{w}">{h}</th>' for h, w in widths.items())
    rows = []
    for paper, claims in frame.groupby("paper", sort=False):
        rows.append(f'<tr><th colspan="{len(widths)}"{left}>{html.escape(PAPER_NAMES.get(paper, paper))}</th></tr>')
        for r in claims.itertuples():
            claim = html.escape(r.claim)
            if r.chapter != "not written yet":
                claim = f'<a href="{r.chapter}.html">{claim}</a>'
            cells = [claim, verdicts(r.verdict), lines(r.measured),
                     f'<span style="font-size:90%">{lines(r.scale)}</span>']
            rows.append("<tr>" + "".join(f"<td{left}>{c}</td>" for c in cells) + "</tr>")
    return (f'<table class="scorecard" style="width:100%;font-size:90%"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')

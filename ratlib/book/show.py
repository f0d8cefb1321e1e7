"""Small tables a chapter prints about a stored result (read from it, never typed)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..experiments.needs import count_of

# Chapters import this module to print their tables, whose cells carry whole sentences (calls, "seeds apart",
# processors); pandas would cut each at 50 characters.
pd.set_option("display.max_colwidth", None)


def provenance(result: dict, scale: dict | None = None):
    """Where and how a stored result was computed, as a two-column table."""
    machine = result.get("machine", {})
    rows = [
        ("result file", result_file(result)),
        ("computed", result.get("created", "?")),
        ("wall time", f"{result.get('wall_time_s', float('nan')):.1f} s"),
        ("machine", f"{machine.get('cpu_count', '?')} CPUs, {machine.get('torch_threads', '?')} torch threads, "
                    f"device {machine.get('device', '?')}"),
        ("processor", processor_line(machine, result.get("verifications", ()))),
        ("platform", machine.get("platform", "?")),
        ("software", f"python {machine.get('python', '?')}, torch {machine.get('torch', '?')}, "
                     f"ratlib {result.get('ratlib_version', '?')}"),
    ]
    rows += [(k, v) for k, v in (scale or {}).items()]
    return pd.DataFrame(rows, columns=["", "value"]).set_index("")


def result_file(result: dict) -> str:
    """A stored result's file, relative to the project (no machine paths on the page)."""
    from ..paths import PROJECT_ROOT, results_dir

    stored = results_dir() / str(result.get("kind")) / f"{result.get('key')}.json"
    try:
        return str(stored.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(Path("<results>") / stored.parent.name / stored.name)


def stored_results(results, labels) -> "pd.DataFrame":
    """One row per stored result of a page built from several: what it is, its file, when, how long, where."""
    rows = [{"result": label, "file": result_file(r), "computed": r.get("created", "?"),
             "wall time (s)": round(r.get("wall_time_s", float("nan")), 1),
             "processor": processor_line(r.get("machine", {}), r.get("verifications", ()), dated=False)}
            for r, label in zip(results, labels)]
    return pd.DataFrame(rows).set_index("result")


def processor_line(machine: dict, verifications=(), dated: bool = True) -> str:
    """The processor and kernels a result ran on.

    A result stored before results named their processor says so, and then what a recorded
    verification (``ratlib verify --record``: the ``verifications`` list of the result) found: the
    processor on which its first epochs were reproduced exactly, or else how far a recomputation
    agreed. ``dated`` adds the verification's date (left out where runs are counted by processor).
    """
    if "cpu_model" in machine:
        return _processor(machine)
    line = "not recorded when stored"
    verifications = list(verifications or ())
    if not verifications:
        return line + " (results did not name their processor yet)"
    # The exact one that covers the most epochs, else the latest verification (the last appended).
    exact = [v for v in verifications if v.get("agreement") == "exact"]
    chosen = max(exact, key=lambda v: v.get("epochs", 0)) if exact else verifications[-1]
    epochs = count_of(chosen.get("epochs", "?"), "epoch")
    where = f"on {_processor(chosen.get('machine', {}))}" + (f" ({str(chosen.get('date', '?'))[:10]})" if dated else "")
    if chosen.get("agreement") == "exact":
        return f"{line}; first {epochs} reproduced exactly {where}"
    if chosen.get("agreement") == "within tolerance":
        return (f"{line}; first {epochs} recomputed {where} agree within tolerance, not exactly "
                f"(from epoch {chosen.get('first_inexact_epoch', '?')}): another processor or kernel path")
    return (f"{line}; first {epochs} recomputed {where} differ (from epoch "
            f"{chosen.get('first_inexact_epoch', '?')}): another processor or kernel path")


def _processor(machine: dict) -> str:
    if "cpu_model" not in machine:
        return "a processor not recorded"
    ident = "/".join(machine.get(k, "?") for k in ("cpu_family", "cpu_model_number", "cpu_stepping"))
    return (f"{machine['cpu_model']} (family/model/stepping {ident}), torch kernels "
            f"{machine.get('torch_cpu_capability', '?')}, {short_blas(machine.get('blas', 'BLAS ?'))}")


def short_blas(blas: str) -> str:
    """"MKL 2024.2" for torch's "Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build ... applications"
    (the line ratlib records), so a table cell names the library and version without the build text."""
    match = re.search(r"Math Kernel Library Version ([0-9][0-9.]*)", blas)
    return f"MKL {match.group(1).rstrip('.')}" if match else blas


def processor_counts(results) -> "pd.DataFrame":
    """Processor (with kernel level and BLAS) -> how many of ``results`` ran on it, for pages listing many runs.

    Results stored without their processor are counted by what their recorded verification found.
    """
    counts: dict[str, int] = {}
    for r in results:
        line = processor_line(r.get("machine", {}), r.get("verifications", ()), dated=False)
        counts[line] = counts.get(line, 0) + 1
    return pd.DataFrame({"processor": list(counts), "results": list(counts.values())}).set_index("processor")


def highlight_rationale(tokens, gold=None, selected=None) -> str:
    """HTML of a text with its rationales marked.

    Selected tokens get a coloured background, gold tokens an underline, so
    agreement (both), misses (underline only) and false alarms (background
    only) can be read at a glance.
    """
    import html

    gold = gold if gold is not None else [0] * len(tokens)
    selected = selected if selected is not None else [0] * len(tokens)
    parts = []
    for tok, g, s in zip(tokens, gold, selected):
        style = []
        if s:
            style.append("background:#ffd54f")
        if g:
            style.append("text-decoration:underline;text-decoration-thickness:2px;text-decoration-color:#1565c0")
        text = html.escape(tok)
        parts.append(f'<span style="{";".join(style)}">{text}</span>' if style else text)
    return '<p style="line-height:1.9">' + " ".join(parts) + "</p>"


RATIONALE_LEGEND = ('<p><span style="background:#ffd54f">selected</span> · '
                    '<span style="text-decoration:underline;text-decoration-thickness:2px;'
                    'text-decoration-color:#1565c0">gold rationale</span></p>')


GRAPH_LEGEND = ('<p><span style="background:#ff9800">&nbsp;&#9679;&nbsp;</span> selected node · '
                '<span style="border:3px solid #1565c0;border-radius:50%">&nbsp;&nbsp;&nbsp;</span> motif '
                '(gold) node · <span style="background:#e0e0e0">&nbsp;&#9679;&nbsp;</span> not selected</p>')

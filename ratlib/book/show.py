"""Small tables a chapter prints about a stored result (read from it, never typed)."""
from __future__ import annotations

from pathlib import Path


def provenance(result: dict, scale: dict | None = None):
    """Where and how a stored result was computed, as a two-column table."""
    import pandas as pd

    from ..paths import PROJECT_ROOT, results_dir

    machine = result.get("machine", {})
    stored = results_dir() / str(result.get("kind")) / f"{result.get('key')}.json"
    try:
        stored = stored.resolve().relative_to(PROJECT_ROOT)  # no machine paths on the page
    except ValueError:
        stored = Path("<results>") / stored.parent.name / stored.name
    rows = [
        ("result file", str(stored)),
        ("computed", result.get("created", "?")),
        ("wall time", f"{result.get('wall_time_s', float('nan')):.1f} s"),
        ("machine", f"{machine.get('cpu_count', '?')} CPUs, {machine.get('torch_threads', '?')} torch threads, "
                    f"device {machine.get('device', '?')}"),
        ("platform", machine.get("platform", "?")),
        ("software", f"python {machine.get('python', '?')}, torch {machine.get('torch', '?')}, "
                     f"ratlib {result.get('ratlib_version', '?')}"),
    ]
    rows += [(k, v) for k, v in (scale or {}).items()]
    return pd.DataFrame(rows, columns=["", "value"]).set_index("")

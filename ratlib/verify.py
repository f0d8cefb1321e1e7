"""Recompute a stored run and say how closely it agrees with what is stored.

``python -m ratlib verify RESULT --epochs K`` retrains the first K epochs of a
stored run from its own configuration and compares, epoch by epoch, the mean
training losses and the dev (and test) metrics with the stored ``history``.

Each epoch gets one of three verdicts:

* ``exact``: every compared number is the same float;
* ``within tolerance``: training values agree to a relative ``rtol`` and the
  metrics (percentages) to ``atol`` points;
* ``differs``: at least one number is further apart.

Exact agreement is expected only on the same processor model running the same
torch kernel level and BLAS build: float kernels are chosen per processor, sum
in a different order, and Gumbel selection turns the last-digit differences
into a different run within a few epochs. :func:`same_processor` says whether
the two sides match, so a difference can be read for what it is.

The comparison is pure functions over two histories (:func:`compare_histories`,
:func:`summarize_comparison`); :func:`recompute` trains in a child process
(so environment settings that choose kernels, e.g. ``ATEN_CPU_CAPABILITY``,
take effect before torch is loaded) with its own scratch checkpoint folder, so
it never touches the stored result or the run's checkpoints.
"""
from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .io import read_json, write_json

EXACT, WITHIN, DIFFERS = "exact", "within tolerance", "differs"
_RANK = {EXACT: 0, WITHIN: 1, DIFFERS: 2}

# The default tolerance: training losses to 0.1 % (relative), metrics to half a point.
RTOL = 1e-3
ATOL_POINTS = 0.5

# What must match for two machines to be expected to compute the same floats.
PROCESSOR_FIELDS = ("cpu_model", "cpu_family", "cpu_model_number", "cpu_stepping", "torch_cpu_capability",
                    "blas", "torch", "torch_threads", "mkl_cbwr")

# The metrics compared besides every training value (section, name).
METRICS = (("dev", "acc"), ("dev", "S"), ("test", "S"), ("test", "F1"))


@dataclass(frozen=True)
class Value:
    """One compared number of one epoch."""

    epoch: int
    name: str
    stored: float
    recomputed: float
    verdict: str


def value_verdict(stored: float, recomputed: float, *, tolerance: float, relative: bool) -> str:
    """``exact`` (same float), ``within tolerance`` or ``differs``."""
    if stored == recomputed or (math.isnan(stored) and math.isnan(recomputed)):
        return EXACT
    gap = abs(stored - recomputed)
    limit = tolerance * max(abs(stored), abs(recomputed)) if relative else tolerance
    return WITHIN if gap <= limit else DIFFERS


def _epoch_values(record: dict, where: str) -> dict[str, float]:
    try:
        values = {f"train {k}": float(v) for k, v in record["train"].items()}
        for section, name in METRICS:
            values[f"{section} {name}"] = float(record[section][name])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{where}: epoch record lacks {err} (expected 'train' losses and "
                         f"'dev'/'test' metrics as a stored run's history has)") from None
    return values


def compare_histories(stored: list[dict], recomputed: list[dict], epochs: int | None = None, *,
                      rtol: float = RTOL, atol: float = ATOL_POINTS) -> list[Value]:
    """Every compared number of the first ``epochs`` epochs (all the recomputed ones by default).

    Training values (losses, sparsity, accuracy as fractions) use the relative
    tolerance ``rtol``; the metrics (percentages) the absolute ``atol`` points.
    """
    epochs = len(recomputed) if epochs is None else epochs
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    for name, history in (("stored", stored), ("recomputed", recomputed)):
        if len(history) < epochs:
            raise ValueError(f"the {name} history has {len(history)} epochs; {epochs} are to be compared")
    out = []
    for i in range(epochs):
        a = _epoch_values(stored[i], f"stored history, epoch {i + 1}")
        b = _epoch_values(recomputed[i], f"recomputed history, epoch {i + 1}")
        for name in sorted(set(a) | set(b)):
            if name not in a or name not in b:
                raise ValueError(f"epoch {i + 1}: {name!r} is in only the {'stored' if name in a else 'recomputed'}"
                                 " history")
            relative = name.startswith("train ")
            verdict = value_verdict(a[name], b[name], tolerance=rtol if relative else atol, relative=relative)
            out.append(Value(i + 1, name, a[name], b[name], verdict))
    return out


def worst(verdicts) -> str:
    return max(verdicts, key=_RANK.__getitem__, default=EXACT)


def epoch_verdicts(values: list[Value]) -> dict[int, str]:
    """Epoch (1-based) -> the worst verdict of its numbers."""
    out: dict[int, str] = {}
    for v in values:
        out[v.epoch] = worst([out.get(v.epoch, EXACT), v.verdict])
    return out


def summarize_comparison(values: list[Value]) -> dict:
    """The overall verdict, the first epoch that is not exact and the first that differs."""
    per_epoch = epoch_verdicts(values)
    first = {verdict: next((e for e, v in per_epoch.items() if _RANK[v] >= _RANK[verdict]), None)
             for verdict in (WITHIN, DIFFERS)}
    return {"verdict": worst(per_epoch.values()), "epochs": len(per_epoch), "per_epoch": per_epoch,
            "first_inexact_epoch": first[WITHIN], "first_differing_epoch": first[DIFFERS]}


def same_processor(a: dict, b: dict) -> tuple[bool | None, list[str]]:
    """Whether two results' ``machine`` records name the same processor, kernel level, libraries and threads.

    Returns ``(None, fields)`` when a side did not record its processor
    (results stored before machines were described), else ``(equal, the
    fields that differ)``.
    """
    unrecorded = [f for f in ("cpu_model", "torch_cpu_capability") if f not in a or f not in b]
    if unrecorded:
        return None, unrecorded
    def value(machine, field):  # MKL's reproducibility mode is an environment variable (kernel_env)
        return machine.get("kernel_env", {}).get("MKL_CBWR") if field == "mkl_cbwr" else machine.get(field)

    differ = [f for f in PROCESSOR_FIELDS if value(a, f) != value(b, f)]
    return not differ, differ


def machine_line(machine: dict) -> str:
    if "cpu_model" not in machine:
        return (f"processor not recorded (torch {machine.get('torch', '?')}, {machine.get('cpu_count', '?')} CPUs, "
                f"{machine.get('torch_threads', '?')} torch threads)")
    ident = "/".join(str(machine.get(k, "?")) for k in ("cpu_family", "cpu_model_number", "cpu_stepping"))
    return (f"{machine['cpu_model']} (family/model/stepping {ident}), kernels {machine.get('torch_cpu_capability')}, "
            f"torch {machine.get('torch', '?')}, {machine.get('torch_threads', '?')} torch threads")


def expectation(same: bool | None) -> str:
    """What agreement to expect, given :func:`same_processor`'s answer."""
    if same is True:
        return "same processor, kernels and libraries: the numbers should agree exactly"
    if same is False:
        return "different processor or kernels: last-digit differences are expected and may grow"
    return "the stored run does not name its processor: agreement cannot be predicted"


def failed(summary: dict, same: bool | None, strict: bool = False) -> bool:
    """The rule ``ratlib verify`` exits by: a non-exact recomputation fails when the processors
    match (a real reproducibility bug) or when ``strict``; otherwise it is reported only."""
    return summary["verdict"] != EXACT and (strict or same is True)


# ------------------------------------------------------------------ recording

VERIFICATIONS = "verifications"   # the list a stored result's recorded verifications are appended to


def verification_entry(summary: dict, machine: dict, *, rtol: float, atol: float, date: str | None = None) -> dict:
    """What ``ratlib verify --record`` appends to a stored result: where the recomputation ran (its
    ``machine_info``), how many epochs it compared, the agreement (``exact``, ``within tolerance`` or
    ``differs``), when (ISO UTC), with which ratlib, the tolerance and the first epoch that was not exact."""
    from datetime import datetime, timezone

    from . import __version__

    if summary["verdict"] not in _RANK:
        raise ValueError(f"agreement must be one of {', '.join(_RANK)}, got {summary['verdict']!r}")
    return {"machine": machine, "epochs": summary["epochs"], "agreement": summary["verdict"],
            "date": date or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "ratlib_version": __version__, "tolerance": {"rtol": rtol, "atol_points": atol},
            "first_inexact_epoch": summary["first_inexact_epoch"]}


def record_verification(path: str | os.PathLike, entry: dict, expected_config: dict) -> dict:
    """Append ``entry`` to the ``verifications`` list of the stored result at ``path``, atomically.

    The file is read again (it may have gained other verifications meanwhile) and must still hold
    ``expected_config`` (the configuration that was recomputed); nothing but the list changes, so
    the result keeps its key. Returns the record written.
    """
    path = Path(path)
    record = read_json(path)
    if record.get("config") != expected_config:
        raise ValueError(f"{path}: its 'config' changed while it was being verified; nothing recorded")
    previous = record.get(VERIFICATIONS, [])
    if not isinstance(previous, list):
        raise ValueError(f"{path}: {VERIFICATIONS!r} should be a list of verification records, "
                         f"got {type(previous).__name__}")
    record[VERIFICATIONS] = [*previous, entry]
    write_json(path, record)
    return record


# ------------------------------------------------------------------ recomputing

def load_stored_run(reference: str | os.PathLike, root=None) -> tuple[Path, dict]:
    """A stored run given as a file path or as (a unique prefix of) its key under results/runs."""
    from .paths import results_dir

    path = Path(reference)
    if not path.is_file():
        folder = Path(root or results_dir()) / "runs"
        matches = sorted(folder.glob(f"{reference}*.json")) if str(reference).isalnum() else []
        if len(matches) != 1:
            what = "no stored run" if not matches else f"{len(matches)} stored runs"
            raise FileNotFoundError(f"{reference}: not a file, and {what} in {folder} start with that key")
        path = matches[0]
    try:
        record = read_json(path)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    for field in ("config", "history", "machine"):
        if field not in record:
            kind = f"a {record['kind']!r} result, " if isinstance(record, dict) and "kind" in record else ""
            raise ValueError(f"{path}: {kind}no {field!r} field; expected a stored training run "
                             "(results/runs/<key>.json) or a variance measurement (results/variance/<key>.json)")
    if not isinstance(record["history"], list) or not record["history"]:
        raise ValueError(f"{path}: 'history' should be a non-empty list of epoch records")
    return path, record


def recompute_spec(record: dict, path="the stored run") -> tuple:
    """(TrainConfig, environment, deterministic) that recompute a stored run or variance measurement as it was made."""
    if "run" in record["config"] and "setting" in record["config"]:   # results/variance: a run under a kernel setting
        spec = record["config"]
        return run_config({**record, "config": spec["run"]}, path), dict(spec.get("env", {})), bool(
            spec.get("deterministic", False))
    return run_config(record, path), {}, False


def run_config(record: dict, path="the stored run"):
    """The stored run's TrainConfig, checked to be the one its key names (same data generator version)."""
    from .results import config_hash
    from .train import TrainConfig

    try:
        config = TrainConfig.from_json(record["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: 'config' is not a training configuration ({err})") from None
    if config.identity() != record["config"]:
        old, new = record["config"].get("data_version"), config.identity().get("data_version")
        raise ValueError(f"{path}: its configuration no longer describes the same run here (data version stored "
                         f"{old!r}, this code {new!r}; configuration key {config_hash(record['config'])} vs "
                         f"{config_hash(config.identity())})")
    return config


def recompute(config, epochs: int, *, env: dict | None = None, deterministic: bool = False,
              quiet: bool = False) -> dict:
    """Train the first ``epochs`` epochs of ``config`` in a child process; its history, machine and time.

    ``env`` adds environment variables (e.g. ``{"ATEN_CPU_CAPABILITY": "avx2"}``)
    before torch loads; ``deterministic`` calls
    ``torch.use_deterministic_algorithms(True)`` first. Nothing is stored and
    the run's own checkpoints are left alone. The child's progress goes to stderr.
    """
    from dataclasses import replace

    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    short = replace(config, epochs=min(epochs, config.epochs))
    with tempfile.TemporaryDirectory(prefix="ratlib-verify-") as scratch:
        job = {"config": short.to_json(), "checkpoints": str(Path(scratch) / "checkpoints"),
               "deterministic": deterministic, "quiet": quiet}
        write_json(Path(scratch) / "job.json", job)
        child_env = {**os.environ, **(env or {})}
        command = [sys.executable, "-m", "ratlib.verify", str(Path(scratch) / "job.json"), str(Path(scratch) / "out.json")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, env=child_env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"the recomputation failed (exit status {done.returncode}); its error is printed above")
        out = read_json(Path(scratch) / "out.json")
        # CPU seconds of the child (start-up, data, training, evaluation): unlike wall time, barely
        # moved by other processes sharing the machine, so settings can be compared by it.
        out["cpu_time_s"] = round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2)
        return out


def _child(job_path: str, out_path: str) -> None:
    """The child process of :func:`recompute`."""
    import time

    import torch

    from .results import machine_info
    from .train import TrainConfig, train

    job = read_json(job_path)
    if job["deterministic"]:
        torch.use_deterministic_algorithms(True)
    start = time.perf_counter()
    result = train(TrainConfig.from_json(job["config"]), store=False, resume=False, progress=not job["quiet"],
                   log_epochs=not job["quiet"], checkpoints=job["checkpoints"])
    write_json(out_path, {"history": result["history"], "machine": machine_info(),
                          "deterministic": job["deterministic"], "wall_time_s": round(time.perf_counter() - start, 2)})


def report_lines(values: list[Value], summary: dict, stored_machine: dict, recomputed_machine: dict,
                 same: bool | None, *, rtol: float, atol: float) -> list[str]:
    """The text ``ratlib verify`` prints: machines, expectation, one line per epoch, the verdict."""
    lines = [f"stored:     {machine_line(stored_machine)}",
             f"recomputed: {machine_line(recomputed_machine)}",
             f"expected:   {expectation(same)}",
             f"tolerance:  training values {rtol:g} relative, metrics {atol:g} points"]
    by_epoch: dict[int, list[Value]] = {}
    for v in values:
        by_epoch.setdefault(v.epoch, []).append(v)
    for epoch, group in by_epoch.items():
        loss = next((v for v in group if v.name == "train loss"), None)
        head = f"epoch {epoch}: {summary['per_epoch'][epoch]:<16}"
        if loss is not None:
            head += f" loss {loss.stored:.9g} vs {loss.recomputed:.9g}"
        worst_other = [v for v in group if v.verdict != EXACT and v.name != "train loss"]
        head += "".join(f"; {v.name} {v.stored:.9g} vs {v.recomputed:.9g} ({v.verdict})" for v in worst_other[:3])
        if len(worst_other) > 3:
            head += f"; {len(worst_other) - 3} more"
        lines.append(head)
    verdict = summary["verdict"]
    if verdict == EXACT:
        tail = f"all {summary['epochs']} epochs agree exactly"
    elif verdict == WITHIN:
        tail = f"within tolerance, not exact from epoch {summary['first_inexact_epoch']}"
    else:
        tail = (f"differs from epoch {summary['first_differing_epoch']} (not exact from epoch "
                f"{summary['first_inexact_epoch']})")
    lines.append(f"verdict: {tail}")
    return lines


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])

"""Run a sweep's training runs as Ray tasks, on this machine or on a Ray cluster.

``python -m ratlib sweep CHAPTER... --launcher ray`` hands every training run
that is not stored to :func:`run_on_ray`. Each run is one Ray task:

* one CPU (torch limited to one thread), or one GPU when the run's encoder is
  a transformer and the cluster has GPUs;
* it trains in a scratch results folder on whichever node runs it and
  returns the stored record (created, machine, wall time of that node) to the
  driver, which writes it to ``results/`` as ``train`` writes it: a
  cluster needs no shared filesystem;
* an exception in a run is retried ``retries`` times, then reported; the
  other runs go on.

Without ``address`` a local Ray instance is started with every core of this
machine (or ``num_cpus``); with one, the sweep joins that cluster (see the
README's "Regenerating the stored results"). Ray is an optional dependency:
``pip install -e ".[ray]"``.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..io import read_json, write_json
from ..results import load_result, result_path
from ..train import RESULT_KIND, TrainConfig, train
from .needs import run_need


@dataclass
class SweepReport:
    """What a launch did: runs stored now, runs found stored, runs that failed (label, last error line)."""

    stored: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def uses_gpu(config: TrainConfig, cluster_gpus: float) -> bool:
    """A run gets a GPU when its encoder is a transformer and the cluster has one."""
    from ..encoders import PLM, encoder_kind

    return cluster_gpus > 0 and encoder_kind(config.method.encoder) == PLM


def task_resources(config: TrainConfig, cluster_gpus: float) -> dict:
    """Ray resources of one run: one GPU (and one CPU to drive it) or one CPU."""
    return {"num_cpus": 1, "num_gpus": 1} if uses_gpu(config, cluster_gpus) else {"num_cpus": 1}


def train_record(config: TrainConfig, torch_threads: int | None = 1) -> dict:
    """Train one run in a scratch results folder; return the record ``train`` stored there.

    This is the Ray task's body: the record carries the machine that ran it.
    """
    import torch

    if torch_threads:
        torch.set_num_threads(torch_threads)
    with tempfile.TemporaryDirectory(prefix="ratlib-run-") as root:
        train(config, progress=False, log_epochs=True, results_root=root)  # epoch lines reach the driver's log
        return read_json(result_path(RESULT_KIND, config.identity(), root))


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ValueError("--launcher ray needs Ray: pip install -e \".[ray]\" (or `make venv`)") from None
    return ray


def _last_line(err: BaseException) -> str:
    lines = [line for line in str(err).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(err).__name__


def run_on_ray(configs: Sequence[TrainConfig], *, address: str | None = None, num_cpus: int | None = None,
               retries: int = 1, log: Callable[[str], None] = print) -> SweepReport:
    """Train every config whose result is not stored as a Ray task; store each result as it arrives."""
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, got {retries}")
    if num_cpus is not None and (address or num_cpus < 1):
        raise ValueError("num_cpus is for a local Ray instance, at least 1" if not address
                         else "num_cpus sizes a local Ray instance; a cluster (address) brings its own")
    report = SweepReport()
    todo, seen = [], set()
    for config in configs:
        key = run_need(config).key
        if key in seen:
            continue
        seen.add(key)
        if load_result(RESULT_KIND, config.identity()) is not None:
            report.skipped += 1
        else:
            todo.append(config)
    if not todo:
        log(f"ray: all {report.skipped} runs are stored; nothing to train")
        return report
    ray = _import_ray()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report sent from an offline machine
    if address:
        ray.init(address=address)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False)
    try:
        gpus = ray.cluster_resources().get("GPU", 0)
        log(f"ray: {len(todo)} runs to train ({report.skipped} stored) on {ray.cluster_resources().get('CPU', 0):.0f}"
            f" CPUs and {gpus:.0f} GPUs, each failed run retried {retries} time(s)")
        task = ray.remote(train_record)
        pending = {}
        for config in todo:
            resources = task_resources(config, gpus)
            threads = None if "num_gpus" in resources else 1
            ref = task.options(**resources, max_retries=retries, retry_exceptions=True).remote(config, threads)
            pending[ref] = config
        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            config = pending.pop(ref)
            need = run_need(config)
            try:
                record = ray.get(ref)
            except Exception as err:  # the run's own exception (RayTaskError) or a lost worker, after the retries
                report.failed.append((need.label, _last_line(err)))
                log(f"ray: FAILED {need.label}: {_last_line(err)}")
                continue
            write_json(result_path(RESULT_KIND, config.identity()), record)
            report.stored.append(need.key)
            log(f"ray: [{len(report.stored) + len(report.failed)}/{len(todo)}] stored {RESULT_KIND}/{need.key}.json "
                f"{need.label} ({record['wall_time_s']:.0f} s)")
    finally:
        ray.shutdown()
    for label, error in report.failed:
        log(f"ray: failed after {retries} retries: {label}: {error}")
    return report

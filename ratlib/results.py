"""Stored results: JSON files keyed by a hash of their full configuration.

A result lives at ``<results>/<kind>/<hash>.json`` and carries its own
configuration, the machine it ran on and its wall time, so every number in
the book can say where it came from. Asking for a configuration that is
already stored returns the stored result without recomputing it.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import __version__
from .io import read_json, write_json
from .paths import results_dir

# Bump when the meaning of stored numbers changes; it is part of every key. The package
# version is not: a release that computes the same numbers must find the same results
# (each result records the version that made it).
RESULTS_SCHEMA = 1

# Set (to 1) by the book's builds of stored results: asking for a result that is not
# stored raises MissingResult instead of computing it, so a build never trains by surprise.
STORED_ONLY_ENV = "RATLIB_STORED_ONLY"


class MissingResult(LookupError):
    """A result that is not stored was asked for while computing is switched off."""

    def __init__(self, kind: str, config: dict):
        self.kind, self.config = kind, config
        super().__init__(f"no stored {kind} result {config_hash(config)} and {STORED_ONLY_ENV} is set, so it is "
                         "not computed here; `python -m ratlib sweep CHAPTER --profile PROFILE` computes "
                         "a chapter's missing results")


def stored_only() -> bool:
    return os.environ.get(STORED_ONLY_ENV, "") not in ("", "0")


def config_hash(config: dict) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of ``config``."""
    payload = {"config": config, "schema": RESULTS_SCHEMA}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def result_path(kind: str, config: dict, root: str | os.PathLike | None = None) -> Path:
    return Path(root or results_dir()) / kind / f"{config_hash(config)}.json"


def load_result(kind: str, config: dict, root=None) -> dict | None:
    path = result_path(kind, config, root)
    return read_json(path) if path.is_file() else None


def cpu_description() -> dict:
    """The processor, as /proc/cpuinfo names it (model name, family, model, stepping), where there is one.

    Float kernels are chosen per processor, so two machines of "the same kind"
    can sum in different orders; a result says which processor made it.
    """
    fields = {"model name": "cpu_model", "cpu family": "cpu_family", "model": "cpu_model_number",
              "stepping": "cpu_stepping", "microcode": "cpu_microcode"}
    out = {"cpu_model": platform.processor() or platform.machine()}
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.split("\n\n", 1)[0].splitlines():  # the first processor's block
        name, _, value = (part.strip() for part in line.partition(":"))
        if name in fields:
            out[fields[name]] = value
    return out


def math_libraries() -> dict:
    """torch's CPU kernel level and the BLAS / oneDNN builds it uses."""
    import torch

    info = {"torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    for line in torch.__config__.show().splitlines():
        line = line.strip(" -")
        if "Math Kernel Library" in line or line.startswith("OpenBLAS"):
            info["blas"] = line
        elif "MKL-DNN" in line or "oneDNN" in line:
            info["onednn"] = line.split(" (Git")[0]
    import numpy

    info["numpy"] = numpy.__version__
    return info


# Environment variables that choose float kernels or threads; a result records those that are set.
KERNEL_ENV = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "OMP_NUM_THREADS")


def machine_info() -> dict:
    """Where a result was computed: platform, processor, math libraries and threads."""
    import torch

    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        **cpu_description(),
        **math_libraries(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "kernel_env": {k: os.environ[k] for k in KERNEL_ENV if k in os.environ},
        "device": "cpu",
    }
    if torch.cuda.is_available():
        info["device"] = "cuda"
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def save_result(kind: str, config: dict, result: dict, root=None) -> Path:
    """Store ``result`` (atomically) with its configuration and provenance."""
    path = result_path(kind, config, root)
    record = {
        "kind": kind,
        "key": config_hash(config),
        "ratlib_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "config": config,
        **result,
    }
    write_json(path, record)
    return path


def cached(kind: str, config: dict, compute: Callable[[], dict], root=None) -> dict:
    """The stored result for ``config``, computing and storing it when absent.

    ``compute`` returns a dict of results; its wall time is recorded as
    ``wall_time_s`` unless it reports one itself. With :data:`STORED_ONLY_ENV`
    set, a missing result raises :class:`MissingResult` instead.
    """
    stored = load_result(kind, config, root)
    if stored is not None:
        return stored
    if stored_only():
        raise MissingResult(kind, config)
    start = time.perf_counter()
    result = compute()
    result.setdefault("wall_time_s", round(time.perf_counter() - start, 2))
    save_result(kind, config, result, root)
    return load_result(kind, config, root)


def iter_results(kind: str, root=None):
    """Every stored result of a kind (sorted by file name)."""
    folder = Path(root or results_dir()) / kind
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        yield read_json(path)

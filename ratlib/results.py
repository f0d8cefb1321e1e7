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

# Bump when the meaning of stored numbers changes; it is part of every key.
RESULTS_SCHEMA = 1


def config_hash(config: dict) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of ``config``."""
    payload = {"config": config, "schema": RESULTS_SCHEMA, "ratlib": __version__}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def result_path(kind: str, config: dict, root: str | os.PathLike | None = None) -> Path:
    return Path(root or results_dir()) / kind / f"{config_hash(config)}.json"


def load_result(kind: str, config: dict, root=None) -> dict | None:
    path = result_path(kind, config, root)
    return read_json(path) if path.is_file() else None


def machine_info() -> dict:
    """Where a result was computed."""
    import torch

    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
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
    ``wall_time_s`` unless it reports one itself.
    """
    stored = load_result(kind, config, root)
    if stored is not None:
        return stored
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

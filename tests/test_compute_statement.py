"""The compute statement (README, ``sweep --status``) is generated from the stored runs' own times."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from ratlib.cli import main, sweep_configs
from ratlib.experiments.runs import busy_seconds, compute_statement, compute_summary, max_concurrent, run_all
from ratlib.paths import PROJECT_ROOT

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def run(start_min, minutes, encoder="gru", machine=None):
    end = T0 + timedelta(minutes=start_min + minutes)
    return {"config": {"method": {"method": "rnp", "encoder": encoder}}, "wall_time_s": minutes * 60,
            "created": end.isoformat(timespec="seconds"),
            "machine": machine or {"cpu_count": 2, "torch_threads": 1, "device": "cpu"}}


def span(a, b):
    return T0 + timedelta(minutes=a), T0 + timedelta(minutes=b)


def test_concurrency_counts_overlaps_not_touching_runs():
    assert max_concurrent([span(0, 10), span(10, 20)]) == 1  # one starts as the other ends
    assert max_concurrent([span(0, 10), span(5, 20), span(8, 9), span(30, 40)]) == 3
    assert max_concurrent([]) == 0


def test_busy_time_is_the_union_of_the_runs():
    assert busy_seconds([span(0, 10), span(5, 20), span(60, 70)]) == 30 * 60  # a gap is not counted
    assert busy_seconds([span(0, 30), span(10, 20)]) == 30 * 60


def test_statement_reports_concurrency_span_and_machines():
    other = {"cpu_count": 8, "cpu_model": "Some CPU", "torch_threads": 4, "device": "cuda", "gpu": "A100"}
    summary = compute_summary([run(0, 60), run(30, 60), run(40, 10, "minilm"), run(200, 30, machine=other)])
    text = compute_statement(summary, "x (cpu)")
    assert summary["max_concurrent"] == 3 and summary["busy_hours"] == 2.0
    assert "The 4 stored training runs of x (cpu) took 2.67 h" in text
    assert summary["cpu_hours"] == pytest.approx(130 / 60 + 4 * 0.5) and "4.17 CPU-hours" in text
    assert "between 2026-12-01 12:00 and 2026-12-01 15:50 UTC" in text
    assert "2.00 h of wall-clock time" in text and "at most 3 at once" in text
    assert "2 CPUs, 1 torch thread (3 runs)" in text
    assert "8 CPUs (Some CPU), GPU A100, 4 torch threads (1 runs)" in text


README_BLOCK = re.compile(r"<!-- compute statement: python -m ratlib (sweep [^>]*?) --status -->\n(.*?)\n<!-- end -->",
                          re.S)


def test_readme_compute_statement_matches_the_stored_runs(capsys):
    """The README's paragraph is what `sweep ... --status` prints from the stored runs; paste it when this fails."""
    found = README_BLOCK.findall((PROJECT_ROOT / "README.md").read_text())
    assert len(found) == 1, "README.md: no generated compute statement block"
    command, paragraph = found[0]
    assert main(command.split() + ["--status"]) == 0
    printed = capsys.readouterr().out
    assert " ".join(paragraph.split()) in " ".join(printed.split()), (
        f"README.md's compute statement is stale; `python -m ratlib {command} --status --write-readme` "
        f"rewrites it with the paragraph it prints:\n{printed}")
    chapters = command.split()[1:command.split().index("--profile")]
    stored = run_all(sweep_configs(chapters, "cpu"), progress=False, only_stored=True)
    assert f"The {len(stored)} stored training runs" in paragraph


def test_write_readme_statement_replaces_only_its_commands_block(tmp_path):
    from ratlib.cli import write_readme_statement

    readme = tmp_path / "README.md"
    other = "<!-- compute statement: python -m ratlib sweep x --profile cpu --status -->\nold x\n<!-- end -->"
    mine = "<!-- compute statement: python -m ratlib sweep all --profile cpu --status -->\nold\ntext\n<!-- end -->"
    readme.write_text(f"intro\n\n{other}\n\n{mine}\n\nafter\n")
    write_readme_statement(readme, "sweep all --profile cpu", "The 3 stored runs " + "took a while " * 10)
    text = readme.read_text()
    assert other in text and "old\ntext" not in text and text.endswith("<!-- end -->\n\nafter\n")
    found = README_BLOCK.findall(text)
    assert found[1][0] == "sweep all --profile cpu" and found[1][1].startswith("The 3 stored runs took a while")
    assert max(len(line) for line in found[1][1].splitlines()) <= 78
    with pytest.raises(ValueError, match="README.md: expected one block opened by"):
        write_readme_statement(readme, "sweep nothing --profile cpu", "x")

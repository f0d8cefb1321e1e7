"""The committed results: found under stable keys, never recomputed by surprise."""
from __future__ import annotations

import pytest

from ratlib.book import profiles, runner
from ratlib.experiments.needs import Need, missing, unique
from ratlib.io import read_json
from ratlib.paths import results_dir
from ratlib.results import STORED_ONLY_ENV, MissingResult, cached, config_hash
from ratlib.train import TrainConfig, train


def test_every_stored_file_is_named_by_the_hash_of_its_configuration():
    files = sorted(results_dir().glob("*/*.json"))
    assert len(files) >= 40
    for path in files:
        record = read_json(path)
        assert path.stem == record["key"] == config_hash(record["config"]), path


def test_stored_run_configurations_round_trip_to_their_keys():
    """A stored run's configuration, read back as a TrainConfig, asks for that very file."""
    for path in sorted((results_dir() / "runs").glob("*.json")):
        record = read_json(path)
        assert TrainConfig.from_json(record["config"]).key() == path.stem, path


@pytest.mark.parametrize("chapter", sorted(profiles.CHAPTERS))
def test_every_result_the_cpu_book_reads_is_stored(chapter):
    """A change that moves a key (config fields, data versions, hashing) fails here, not in a rebuild."""
    absent = missing(profiles.profile_needs("cpu", [chapter])[chapter])
    assert not absent, "not stored: " + "; ".join(f"{n.kind}/{n.key} {n.label}" for n in absent)


def test_stored_only_refuses_to_compute(tmp_path, monkeypatch):
    monkeypatch.setenv(STORED_ONLY_ENV, "1")
    with pytest.raises(MissingResult, match="sweep"):
        cached("baselines", {"x": 1}, lambda: pytest.fail("computed"), root=tmp_path)
    monkeypatch.setattr("ratlib.train.prepare", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(MissingResult):
        train(TrainConfig(), results_root=tmp_path, progress=False)
    monkeypatch.setenv(STORED_ONLY_ENV, "0")
    assert cached("baselines", {"x": 1}, lambda: {"y": 2}, root=tmp_path)["y"] == 2


def test_unique_keeps_the_first_of_each_result():
    a, b = Need("runs", {"a": 1}, "a", dict), Need("runs", {"b": 1}, "b", dict)
    assert [n.label for n in unique([a, b, Need("runs", {"a": 1}, "again", dict)])] == ["a", "b"]


def test_book_build_with_a_missing_result_stops_before_executing(monkeypatch, capsys):
    absent = Need("runs", {"never": "stored"}, "rnp (minilm) on synth aspect 0, seed 9", dict)
    monkeypatch.setattr(profiles, "profile_needs", lambda profile, chapters=None: {"degeneration": [absent]})
    monkeypatch.setattr(runner, "execute_chapter", lambda *a, **k: pytest.fail("executed a chapter"))
    assert runner.build("cpu") == 2
    err = capsys.readouterr().err
    assert f"runs/{absent.key}.json  rnp (minilm) on synth aspect 0, seed 9" in err
    assert "python -m ratlib sweep degeneration --profile cpu" in err
    assert "--train-missing" in err

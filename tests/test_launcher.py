"""Sweeps as Ray tasks (ratlib/experiments/launcher.py): a tiny sweep on a local Ray instance of two CPUs."""
import pytest

import ratlib.train as train_mod
from ratlib.cli import main
from ratlib.data.registry import DataConfig
from ratlib.experiments import launcher
from ratlib.methods import MethodConfig
from ratlib.results import load_result, result_path
from ratlib.train import RESULT_KIND, TrainConfig, train

TINY = {"n_train": 120, "n_dev": 40, "n_test": 40}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    # Set before ray.init: the local instance's workers inherit them.
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path / "results"))


def config(seed=1, encoder="gru", **data):
    data = {"name": "synth", "aspect": 0, "options": TINY, **data}
    return TrainConfig(data=DataConfig(**data), method=MethodConfig(method="rnp", encoder=encoder),
                       seed=seed, epochs=1, batch_size=40)


def test_a_run_gets_a_gpu_only_for_a_transformer_on_a_cluster_with_gpus():
    assert launcher.task_resources(config(encoder="gru"), cluster_gpus=4) == {"num_cpus": 1}
    assert launcher.task_resources(config(encoder="gcn"), cluster_gpus=4) == {"num_cpus": 1}
    assert launcher.task_resources(config(encoder="minilm"), cluster_gpus=4) == {"num_cpus": 1, "num_gpus": 1}
    assert launcher.task_resources(config(encoder="minilm"), cluster_gpus=0) == {"num_cpus": 1}


def test_sweep_refuses_ray_options_that_do_not_fit(capsys):
    assert main(["sweep", "datacard", "--profile", "smoke", "--launcher", "ray", "--shard", "1/2"]) == 2
    assert "--shard" in capsys.readouterr().err
    assert main(["sweep", "datacard", "--profile", "smoke", "--address", "auto"]) == 2
    assert "--launcher ray" in capsys.readouterr().err
    with pytest.raises(ValueError, match="retries"):
        launcher.run_on_ray([config()], retries=-1)


def test_ray_sweep_stores_runs_reports_a_failure_and_skips_stored_runs(tmp_path, monkeypatch, capsys):
    """`sweep --launcher ray` on a local instance of two CPUs: two runs train, one fails in its task."""
    pytest.importorskip("ray")
    import ratlib.cli as cli
    from ratlib.experiments.needs import run_need

    good = [config(seed=1), config(seed=2)]
    bad = config(name="beer", data_dir=str(tmp_path / "no-beer-here"))  # fails inside the task
    sweep = [good[0], bad, good[1]]
    monkeypatch.setattr(cli, "sweep_needs", lambda chapters, profile, full_design=False: [run_need(cfg) for cfg in sweep])
    assert main(["sweep", "tiny", "--launcher", "ray", "--num-cpus", "2", "--retries", "1"]) == 1
    out = capsys.readouterr().out
    assert "on 2 CPUs and 0 GPUs" in out
    assert "failed after 1 retries: rnp (gru) on beer" in out and "no-beer-here" in out
    assert "2 of 3 runs of tiny (cpu) stored in results/ (2 trained now, 1 failed" in out
    for cfg in good:
        record = load_result(RESULT_KIND, cfg.identity())
        assert result_path(RESULT_KIND, cfg.identity()).parent == tmp_path / "results" / RESULT_KIND
        assert record["config"] == cfg.identity() and record["machine"]["torch_threads"] == 1
        assert record["created"] and record["wall_time_s"] > 0
    # Stored as train() stores: a local sweep finds them and trains nothing.
    monkeypatch.setattr(train_mod, "prepare", lambda *a, **k: pytest.fail("a stored run was trained again"))
    assert [train(cfg)["key"] for cfg in good] == [cfg.key() for cfg in good]
    # A second launch starts no Ray at all when every run is stored.
    monkeypatch.setattr(launcher, "_import_ray", lambda: pytest.fail("Ray started for stored runs"))
    again = launcher.run_on_ray(good + good, num_cpus=2, log=lambda line: None)  # each run once
    assert again.skipped == 2 and again.stored == [] and again.ok

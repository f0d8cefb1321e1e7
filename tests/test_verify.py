"""ratlib verify: comparing a recomputed history with a stored one (hand-made histories)."""
from __future__ import annotations

import json

import pytest

from ratlib import verify
from ratlib.verify import DIFFERS, EXACT, WITHIN


def epoch(loss=3.0, cls=0.69, dev_acc=50.0, dev_s=10.0, test_s=12.0, f1=20.0):
    return {"epoch": 0, "train": {"loss": loss, "cls_loss": cls}, "dev": {"acc": dev_acc, "S": dev_s},
            "test": {"S": test_s, "F1": f1, "acc": 80.0}}


def test_identical_histories_agree_exactly():
    history = [epoch(), epoch(loss=2.5)]
    values = verify.compare_histories(history, [dict(e) for e in history])
    summary = verify.summarize_comparison(values)
    assert summary["verdict"] == EXACT and summary["epochs"] == 2
    assert summary["first_inexact_epoch"] is None and summary["first_differing_epoch"] is None
    assert {v.name for v in values} == {"train loss", "train cls_loss", "dev acc", "dev S", "test S", "test F1"}


def test_last_digit_difference_is_within_tolerance_but_not_exact():
    stored = [epoch(), epoch(loss=3.1424)]
    fresh = [epoch(), epoch(loss=3.1424 * (1 + 2e-4))]
    summary = verify.summarize_comparison(verify.compare_histories(stored, fresh))
    assert summary["verdict"] == WITHIN
    assert summary["per_epoch"] == {1: EXACT, 2: WITHIN}
    assert summary["first_inexact_epoch"] == 2 and summary["first_differing_epoch"] is None


def test_first_differing_epoch_is_named():
    # the case: 3.1424 stored, 3.1439 recomputed is 5e-4 relative (within 1e-3) ...
    stored = [epoch(loss=3.1424), epoch(f1=20.0), epoch(f1=30.0)]
    fresh = [epoch(loss=3.1439), epoch(f1=20.4), epoch(f1=25.0)]
    summary = verify.summarize_comparison(verify.compare_histories(stored, fresh))
    assert summary["per_epoch"] == {1: WITHIN, 2: WITHIN, 3: DIFFERS}
    assert summary["verdict"] == DIFFERS
    assert summary["first_inexact_epoch"] == 1 and summary["first_differing_epoch"] == 3
    # ... and outside a tighter stated tolerance
    tight = verify.summarize_comparison(verify.compare_histories(stored, fresh, 1, rtol=1e-4))
    assert tight["verdict"] == DIFFERS and tight["epochs"] == 1


def test_metric_tolerance_is_in_points_and_training_tolerance_relative():
    assert verify.value_verdict(50.0, 50.4, tolerance=0.5, relative=False) == WITHIN
    assert verify.value_verdict(50.0, 50.6, tolerance=0.5, relative=False) == DIFFERS
    assert verify.value_verdict(100.0, 100.05, tolerance=1e-3, relative=True) == WITHIN
    assert verify.value_verdict(0.001, 0.0011, tolerance=1e-3, relative=True) == DIFFERS
    assert verify.value_verdict(float("nan"), float("nan"), tolerance=0, relative=False) == EXACT


def test_only_the_asked_epochs_are_compared_and_short_histories_are_refused():
    stored = [epoch(), epoch(loss=9.0)]
    fresh = [epoch(), epoch(loss=1.0)]
    assert verify.summarize_comparison(verify.compare_histories(stored, fresh, 1))["verdict"] == EXACT
    with pytest.raises(ValueError, match="recomputed history has 2 epochs; 3"):
        verify.compare_histories(stored * 2, fresh, 3)


def test_malformed_epoch_records_name_what_is_missing():
    broken = epoch()
    del broken["dev"]
    with pytest.raises(ValueError, match="stored history, epoch 1: epoch record lacks 'dev'"):
        verify.compare_histories([broken], [epoch()])
    extra = epoch()
    extra["train"]["new_loss"] = 1.0
    with pytest.raises(ValueError, match="'train new_loss' is in only the recomputed"):
        verify.compare_histories([epoch()], [extra])


MACHINE = {"cpu_model": "AMD EPYC", "cpu_family": "26", "cpu_model_number": "2", "cpu_stepping": "1",
           "torch_cpu_capability": "AVX512", "blas": "MKL 2024.2", "torch": "2.13.0+cpu", "torch_threads": 1}


def test_same_processor_and_the_exit_rule():
    assert verify.same_processor(MACHINE, dict(MACHINE)) == (True, [])
    other = {**MACHINE, "cpu_model_number": "17", "torch_cpu_capability": "AVX2"}
    assert verify.same_processor(MACHINE, other) == (False, ["cpu_model_number", "torch_cpu_capability"])
    assert verify.same_processor(MACHINE, {**MACHINE, "torch_threads": 2}) == (False, ["torch_threads"])
    cbwr = {**MACHINE, "kernel_env": {"MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1"}}
    assert verify.same_processor(MACHINE, cbwr) == (False, ["mkl_cbwr"])
    assert verify.same_processor({**MACHINE, "kernel_env": {"OMP_NUM_THREADS": "1"}}, MACHINE) == (True, [])
    assert verify.same_processor({"torch": "2.13.0+cpu"}, MACHINE) == (None, ["cpu_model", "torch_cpu_capability"])
    differs = {"verdict": DIFFERS}
    assert verify.failed(differs, True)             # same processor: must be exact
    assert not verify.failed(differs, False)        # another processor: reported only
    assert not verify.failed(differs, None)
    assert verify.failed(differs, None, strict=True)
    assert not verify.failed({"verdict": EXACT}, True, strict=True)


def test_report_names_both_machines_and_the_verdict():
    stored, fresh = [epoch(loss=3.1424)], [epoch(loss=3.1439, f1=22.0)]
    values = verify.compare_histories(stored, fresh)
    summary = verify.summarize_comparison(values)
    lines = verify.report_lines(values, summary, {"torch": "2.13.0+cpu"}, MACHINE, None, rtol=1e-3, atol=0.5)
    assert lines[0].startswith("stored:     processor not recorded")
    assert "AMD EPYC (family/model/stepping 26/2/1), kernels AVX512" in lines[1]
    assert "cannot be predicted" in lines[2]
    assert lines[4].startswith("epoch 1: differs") and "loss 3.1424 vs 3.1439" in lines[4]
    assert "test F1 20 vs 22 (differs)" in lines[4]
    assert lines[-1] == "verdict: differs from epoch 1 (not exact from epoch 1)"


def test_load_stored_run_errors_name_the_file_and_field(tmp_path):
    with pytest.raises(FileNotFoundError, match="no stored run"):
        verify.load_stored_run("ffffffffffff", root=tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"config": {}, "machine": {}}))
    with pytest.raises(ValueError, match="bad.json: no 'history' field"):
        verify.load_stored_run(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        verify.load_stored_run(bad)


def test_a_variance_measurement_is_recomputed_under_its_own_setting(monkeypatch):
    class Config:
        def identity(self):
            return {"seed": 1}

    monkeypatch.setattr("ratlib.train.TrainConfig.from_json", lambda data: Config())
    record = {"config": {"run": {"seed": 1}, "setting": "default", "env": {"ATEN_CPU_CAPABILITY": "default"},
                         "deterministic": True}, "history": [epoch()], "machine": {}}
    config, env, deterministic = verify.recompute_spec(record)
    assert isinstance(config, Config) and env == {"ATEN_CPU_CAPABILITY": "default"} and deterministic
    _, env, deterministic = verify.recompute_spec({**record, "config": {"seed": 1}})
    assert env == {} and not deterministic


def test_a_result_that_is_not_a_run_is_refused_by_kind(tmp_path):
    other = tmp_path / "baseline.json"
    other.write_text(json.dumps({"kind": "baselines", "config": {}, "machine": {}}))
    with pytest.raises(ValueError, match="a 'baselines' result, no 'history' field"):
        verify.load_stored_run(other)


# ---------------------------------------------------------------- recording a verification

def test_record_appends_a_verification_and_leaves_the_key_alone(tmp_path, monkeypatch, capsys):
    """A tiny run trained and stored here, recomputed by the CLI with --record: exact on this machine."""
    import torch

    from ratlib.cli import main
    from ratlib.data.registry import DataConfig
    from ratlib.io import read_json
    from ratlib.methods import MethodConfig
    from ratlib.results import config_hash
    from ratlib.train import TrainConfig, train

    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    cfg = TrainConfig(data=DataConfig(name="synth", aspect=0, options={"n_train": 120, "n_dev": 40, "n_test": 40}),
                      method=MethodConfig(method="rnp", encoder="gru"), seed=2, epochs=2, batch_size=32)
    train(cfg, progress=False, log_epochs=False)
    path = tmp_path / "results" / "runs" / f"{cfg.key()}.json"
    before = read_json(path)
    assert "verifications" not in before

    assert main(["verify", cfg.key(), "--epochs", "1", "--record", "--quiet"]) == 0
    assert "recorded: verification 1 of" in capsys.readouterr().out
    after = read_json(path)
    (entry,) = after.pop("verifications")
    assert after == before                     # nothing else changed, the configuration least of all
    assert path.stem == after["key"] == config_hash(after["config"])
    assert entry["agreement"] == EXACT and entry["epochs"] == 1 and entry["first_inexact_epoch"] is None
    assert entry["machine"]["cpu_model"] and entry["machine"]["torch_threads"] == 1
    assert entry["date"].endswith("+00:00") and entry["ratlib_version"]
    assert list(read_json(path)) == [*before, "verifications"]   # appended at the end, field order kept


def test_record_appends_to_earlier_verifications_and_refuses_a_changed_config(tmp_path):
    from ratlib.io import read_json, write_json

    path = tmp_path / "run.json"
    write_json(path, {"key": "k", "config": {"seed": 1}, "history": [epoch()], "verifications": [{"epochs": 2}]})
    summary = verify.summarize_comparison(verify.compare_histories([epoch()], [epoch(f1=30.0)]))
    entry = verify.verification_entry(summary, MACHINE, rtol=1e-3, atol=0.5, date="2026-12-03T16:00:00+00:00")
    assert entry["agreement"] == DIFFERS and entry["first_inexact_epoch"] == 1
    verify.record_verification(path, entry, {"seed": 1})
    assert read_json(path)["verifications"] == [{"epochs": 2}, entry]
    with pytest.raises(ValueError, match="run.json: its 'config' changed"):
        verify.record_verification(path, entry, {"seed": 2})
    assert len(read_json(path)["verifications"]) == 2
    write_json(path, {"config": {"seed": 1}, "verifications": {"epochs": 2}})
    with pytest.raises(ValueError, match="'verifications' should be a list"):
        verify.record_verification(path, entry, {"seed": 1})


def test_record_is_refused_with_a_forced_kernel(capsys):
    from ratlib.cli import main

    assert main(["verify", "anything", "--record", "--kernel", "default"]) == 2
    assert "cannot be combined with --kernel" in capsys.readouterr().err

"""The variance appendix: its runs' keys and its analysis, on hand-made measurements."""
from __future__ import annotations

import pytest

from ratlib.book import show
from ratlib.experiments import variance as va
from ratlib.experiments.datacard import DatacardConfig


def test_full_scale_run_is_the_data_cards_stored_run():
    """The kernel settings are measured on exactly the run the data card reports (same key)."""
    card = {c.key() for c in DatacardConfig(aspects=(0,), methods=("rnp",), seeds=(1, 2, 3), epochs=40,
                                            lr=1e-3).train_configs()}
    config = va.VarianceConfig()
    assert {config.full_run(s).key() for s in config.seeds} == card


def test_settings_are_part_of_the_key_and_unknown_ones_refused():
    run = va.VarianceConfig().cheap_run(1)
    keys = {va.setting_need(run, s).key for s in ("native", "default", "portable")}
    assert len(keys) == 3
    assert va.setting_key(run, "default")["env"] == {"ATEN_CPU_CAPABILITY": "default"}
    with pytest.raises(ValueError, match="unknown kernel setting 'avx1024'"):
        va.setting_key(run, "avx1024")


def history(losses, f1s, seconds=2.0):
    return [{"epoch": i, "train": {"loss": loss}, "dev": {"acc": 50.0 + i, "S": 10.0},
             "test": {"S": 10.0, "F1": f1}, "test_sampled": {"F1": f1 + 1}, "epoch_time_s": seconds}
            for i, (loss, f1) in enumerate(zip(losses, f1s))]


def result(losses, f1s, capability="AVX512", seconds=2.0, cpu=10.0):
    return {"history": history(losses, f1s, seconds), "machine": {"cpu_model": "X", "torch_cpu_capability": capability},
            "cpu_time_s": cpu, "wall_time_s": 2 * cpu}


def measured_by_hand():
    config = va.VarianceConfig(seeds=(1, 2), kernels=("native", "default"), cheap_epochs=2, full_epochs=0,
                               checks=("deterministic",))
    cheap = {
        (1, "native"): result([3.0, 2.0], [0.0, 10.0]),
        (1, "default"): result([3.0, 2.1], [0.0, 12.0], "DEFAULT", seconds=3.0),
        (2, "native"): result([3.0, 2.5], [0.0, 20.0]),
        (2, "default"): result([3.0, 2.5], [0.0, 20.0], "DEFAULT"),
    }
    measured = {"cheap": [(config.cheap_run(s), k, r) for (s, k), r in cheap.items()],
                "check": [(config.cheap_run(1), "deterministic", result([3.0, 2.0], [0.0, 10.0], seconds=4.0))],
                "cost": [(config.cheap_run(1, e), s, result([3.0] * e, [0.0] * e, cpu=c + e * per_epoch))
                         for s, c, per_epoch in (("native", 8.0, 2.0), ("default", 9.0, 5.0), ("deterministic", 7.0, 2.0))
                         for e in (1, 2)],
                "full": []}
    return config, measured


def test_trajectory_frame_names_the_first_epoch_apart():
    config, measured = measured_by_hand()
    frame = va.trajectory_frame(config, measured).set_index(["seed", "setting"])
    apart = frame["first epoch apart from native"]
    assert apart[(1, "default")] == 2          # same first epoch, second differs
    assert apart[(2, "default")] is None or apart.isna()[(2, "default")]   # identical throughout
    assert frame.loc[(1, "default"), "kernels"] == "DEFAULT"


def test_spreads_across_kernels_and_across_seeds():
    config, measured = measured_by_hand()
    spreads = va.spread_summary(config, measured)
    # last-epoch loss: per seed max-min = 0.1 and 0.0 -> 0.05; per setting 0.5 and 0.4 -> 0.45
    assert spreads["loss epoch 2"]["across kernels"] == pytest.approx(0.05)
    assert spreads["loss epoch 2"]["across seeds"] == pytest.approx(0.45)


def test_check_frame_says_which_settings_a_check_matches_and_its_time():
    config, measured = measured_by_hand()
    row = va.check_frame(config, measured).iloc[0]
    assert row["setting"] == "deterministic" and row["deterministic algorithms"]
    assert row["= native"] and not row["= default"]
    assert row["epoch s"] == 4.0


def test_full_scale_frame_uses_the_best_dev_epoch():
    config = va.VarianceConfig(seeds=(1,), full_epochs=3, full_kernels=("default",))
    fresh = result([3.0, 2.0, 1.5], [0.0, 40.0, 30.0])
    fresh["history"][2]["dev"]["acc"] = 40.0     # best dev acc is epoch 2 (index 1): 51.0
    stored = {"config": {"seed": 1}, "machine": {}, "best_epoch": 2, "wall_time_s": 9.0,
              "history": history([3.0, 2.0, 1.5], [0.0, 50.0, 60.0])}
    measured = {"cheap": [], "check": [], "full": [(config.full_run(1), "default", fresh)]}
    frame = va.full_scale_frame(config, measured, [stored]).set_index("setting")
    assert frame.loc["default", "F1"] == 40.0 and frame.loc["default", "best epoch"] == 2
    assert frame.loc["stored run", "F1"] == 60.0 and frame.loc["stored run", "kernels"] == "not recorded"
    assert frame.loc["stored run", "epoch s"] == 2.0
    verified = {**stored, "verifications": [{"agreement": "differs", "epochs": 2, "machine": {}},
                                            {"agreement": "exact", "epochs": 1,
                                             "machine": {"torch_cpu_capability": "AVX512"}}]}
    assert va.stored_kernels(verified) == "not recorded; first 1 epoch reproduced exactly with AVX512"
    assert va.stored_kernels({**verified, "verifications": verified["verifications"][:1]}) == "not recorded"
    assert va.stored_kernels({**verified, "machine": {"torch_cpu_capability": "AVX2"}}) == "AVX2"


def test_difference_verdict_rule():
    assert va.difference_verdict([60, 62, 64], [55, 57, 59], floor_points=7.0).startswith("no difference (+5.0")
    assert va.difference_verdict([60, 62, 64], [50, 52, 54], floor_points=7.0).startswith("higher by 10.0")
    assert va.difference_verdict([50], [60], floor_points=1.0) == "no verdict (fewer than 3 seeds)"
    # the floor only raises the bar: a side's own spread over seeds counts when it is larger
    assert va.difference_verdict([50, 60, 70], [45, 46, 47], floor_points=1.0) == (
        "no difference (+14.0 points, less than the measured spread of 20.0)")


def test_difference_verdict_is_the_rule_of_runs_compare():
    # the text and runs.compare, the one statement of the rule, call every case alike
    from ratlib.experiments.runs import compare

    cases = [([60, 62, 64], [55, 57, 59], 7.0), ([60, 62, 64], [50, 52, 54], 7.0), ([50, 51], [60, 61, 62], 0.0),
             ([40, 41, 42], [50, 51, 52], 0.5)]
    for a, b, floor in cases:
        call = compare({"F1": a}, {"F1": b}, floor=floor)["call"]
        assert va.difference_verdict(a, b, floor).startswith(
            "no verdict" if call.startswith("fewer than") else call), (a, b, floor)


def test_short_blas_names_mkl_by_version_and_leaves_other_libraries_alone():
    recorded = ("Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for Intel(R) 64 "
                "architecture applications")
    assert show.short_blas(recorded) == "MKL 2024.2"
    assert show.short_blas("OpenBLAS 0.3.27") == "OpenBLAS 0.3.27"
    machine = {**EPYC, "blas": recorded}
    assert show.processor_line(machine) == "AMD EPYC (family/model/stepping 26/2/1), torch kernels AVX512, MKL 2024.2"


def test_processor_counts_groups_runs_by_processor():
    a = {"machine": {"cpu_model": "AMD EPYC", "cpu_family": "26", "cpu_model_number": "2", "cpu_stepping": "1",
                     "torch_cpu_capability": "AVX512", "blas": "MKL"}}
    old = {"machine": {"torch": "2.13.0+cpu"}}
    counts = show.processor_counts([a, old, a])
    assert counts["results"].tolist() == [2, 1]
    assert counts.index[0].startswith("AMD EPYC (family/model/stepping 26/2/1), torch kernels AVX512")
    assert counts.index[1].startswith("not recorded")


EPYC = {"cpu_model": "AMD EPYC", "cpu_family": "26", "cpu_model_number": "2", "cpu_stepping": "1",
        "torch_cpu_capability": "AVX512", "blas": "MKL"}


def verification(agreement, epochs=1, date="2026-12-03T15:40:00+00:00", first_inexact=None):
    return {"machine": EPYC, "epochs": epochs, "agreement": agreement, "date": date, "ratlib_version": "0.1.0",
            "first_inexact_epoch": first_inexact}


def test_processor_line_of_an_unrecorded_processor_reads_its_recorded_verifications():
    old = {"torch": "2.13.0+cpu"}
    assert show.processor_line(old) == "not recorded when stored (results did not name their processor yet)"
    exact = show.processor_line(old, [verification("exact")])
    assert exact == ("not recorded when stored; first 1 epoch reproduced exactly on AMD EPYC (family/model/"
                     "stepping 26/2/1), torch kernels AVX512, MKL (2026-12-03)")
    differs = show.processor_line(old, [verification("differs", first_inexact=1)])
    assert differs.startswith("not recorded when stored; first 1 epoch recomputed on AMD EPYC")
    assert "(2026-12-03) differ (from epoch 1): another processor or kernel path" in differs
    within = show.processor_line(old, [verification("within tolerance", epochs=2, first_inexact=2)])
    assert "agree within tolerance, not exactly (from epoch 2)" in within
    # an exact verification wins over a later one that differed; among exact ones the longest
    mixed = [verification("exact", 1), verification("exact", 3, date="2026-12-04T00:00:00+00:00"),
             verification("differs", 2, first_inexact=1)]
    assert "first 3 epochs reproduced exactly" in show.processor_line(old, mixed) and "(2026-12-04)" in \
        show.processor_line(old, mixed)
    # a recorded processor is the processor, whatever was verified later
    assert show.processor_line(EPYC, [verification("differs")]).startswith("AMD EPYC")


def test_provenance_and_processor_counts_show_the_verification(tmp_path, monkeypatch):
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path))
    verified = {"kind": "runs", "key": "k1", "machine": {"torch": "2.13.0+cpu"}, "wall_time_s": 1.0,
                "verifications": [verification("exact")]}
    table = show.provenance(verified)
    assert table.loc["processor", "value"].startswith("not recorded when stored; first 1 epoch reproduced exactly")
    later = {**verified, "verifications": [verification("exact", date="2026-12-05T10:00:00+00:00")]}
    bare = {"machine": {"torch": "2.13.0+cpu"}}
    counts = show.processor_counts([verified, later, bare, {"machine": EPYC}])
    assert counts["results"].tolist() == [2, 1, 1]   # the date does not split the count
    assert "(2026-" not in counts.index[0]


def test_findings_are_read_from_the_measurements():
    config, measured = measured_by_hand()
    lines = va.findings(config, measured, [])
    assert lines[0] == "`default` leaves `native`'s trajectory at epoch 2, never (seeds 1, 2)."
    assert "moves 0.05 across kernel settings" in lines[1] and "0.45 across seeds" in lines[1]
    assert lines[2] == ("`deterministic` computes exactly the same floats as `native`: deterministic algorithms change "
                        "nothing here (the same floats as `native`), so they cannot make kernel paths agree; it costs "
                        "1.0× the CPU time of `native`.")


def test_findings_state_the_seed_spread_and_the_rule_without_full_scale_kernel_runs():
    config, measured = measured_by_hand()
    config = va.VarianceConfig(seeds=(1, 2), kernels=("native", "default"), cheap_epochs=2, full_epochs=3,
                               checks=("deterministic",))
    stored = [{"config": {"seed": s}, "machine": {"torch_threads": 1}, "best_epoch": 1, "wall_time_s": wall,
               "history": history([3.0, 2.0, 1.5], [0.0, f1, 0.0])} for s, f1, wall in ((1, 60.0, 1200.0),
                                                                                     (2, 64.0, 1800.0))]
    lines = va.findings(config, measured, stored)
    assert "stored seeds: 60.0, 64.0; 4.0 points from lowest to highest (standard deviation 2.0)" in lines[2]
    # the cost of the runs not done, from the stored times (mean 25 min, 50 in all) and `default`'s factor 2.5
    assert lines[3].startswith("Not measured here: the full-scale run under other kernel settings. Their cost")
    assert "(mean 25.0 min per run over 2 seeds, 1 torch thread each)" in lines[3]
    assert "`default` 2.50×: 62.5 min per run, 2.08 h for the 2 seeds" in lines[3]
    assert "every seed under every setting of the cheap grid: 2.08 h." in lines[3]
    assert "another draw" in lines[3]
    assert "at least the 4.0 points measured above for rnp" in lines[4]
    assert va.verdict_spread(config, measured, stored) == 4.0


def test_method_verdicts_use_the_larger_seed_spread_of_the_pair():
    def run(method, f1):
        return {"config": {"method": {"method": method}}, "test": {"F1": f1}}

    steady = [run("rnp", f) for f in (60.0, 62.0, 64.0)]        # spread 4
    wild = [run("fr", f) for f in (40.0, 50.0, 60.0)]           # spread 20, mean 50: 12 below rnp
    assert va.method_verdicts(steady + wild, floor_points=3.0) == [
        "rnp vs fr (3 and 3 seeds, mean F1 62.0 vs 50.0): no difference (+12.0 points, less than the measured "
        "spread of 20.0)"]
    tight = [run("fr", f) for f in (49.0, 50.0, 51.0)]
    assert "higher by 12.0 points (more than the spread of 4.0)" in va.method_verdicts(steady + tight, 3.0)[0]


def test_portable_setting_is_offered_only_when_it_agrees_and_is_cheap():
    config, measured = measured_by_hand()
    config = va.VarianceConfig(seeds=(1, 2), kernels=("native", "default"), cheap_epochs=2, full_epochs=0,
                               checks=("portable", "portable + avx2"))
    run = config.cheap_run(1)
    checks = [(run, "portable", result([3.0, 2.2], [0.0, 9.0])), (run, "portable + avx2", result([3.0, 2.2], [0.0, 9.0]))]
    def costs(setting, short, long):
        return [(config.cheap_run(1, 1), setting, result([3.0], [0.0], cpu=short)),
                (config.cheap_run(1, 2), setting, result([3.0] * 2, [0.0] * 2, cpu=long))]

    costly = costs("native", 10.0, 12.0) + costs("portable", 12.0, 20.0)
    lines = va.reproducibility_lines(config, {**measured, "check": checks, "cost": costly})
    assert lines[0] == ("`portable` computes exactly the same floats as `portable + avx2`; it costs 4.0× the CPU time "
                        "of `native`.")
    assert "gives the same floats whichever MKL instruction set" in lines[-1] and "at 4.0× the CPU time" in lines[-1]
    assert "it is not offered" in lines[-1] and "No setting measured here" in lines[-1]
    cheap = costs("native", 10.0, 12.0) + costs("portable", 10.0, 12.5)
    lines = va.reproducibility_lines(config, {**measured, "check": checks, "cost": cheap})
    assert "offered as an opt-in" in lines[-1] and "No setting" not in lines[-1]


def test_full_scale_cost_is_the_stored_time_times_each_settings_factor():
    config, measured = measured_by_hand()
    config = va.VarianceConfig(seeds=(1, 2), kernels=("native", "default", "MKL compatible"), full_epochs=3)
    stored = [{"wall_time_s": 100.0, "machine": {"torch_threads": 1}}, {"wall_time_s": 300.0, "machine": {}}]
    cost = va.full_scale_cost(config, measured, stored)
    assert cost["seeds"] == 2 and cost["stored_mean_s"] == 200.0 and cost["threads"] == [1]
    assert cost["settings"] == {"default": {"factor": 2.5, "per_run_s": 500.0, "all_seeds_s": 1000.0}}
    assert cost["total_s"] == 1000.0   # `MKL compatible` was not costed: left out, not guessed
    assert va.full_scale_cost(config, measured, [])["settings"] == {}
    assert [va.duration(s) for s in (45, 600, 9000)] == ["45 s", "10.0 min", "2.50 h"]


def test_cost_frame_compares_cpu_time_with_the_first_setting():
    config, measured = measured_by_hand()
    frame = va.cost_frame(config, measured)
    assert frame["CPU s per epoch"].to_dict() == {"native": 2.0, "default": 5.0, "deterministic": 2.0}
    assert frame["× first"].to_dict() == {"native": 1.0, "default": 2.5, "deterministic": 1.0}
    assert va.slowdown(config, measured, "default") == 2.5 and va.slowdown(config, measured, "portable") is None

import json
import os

from ratlib.io import atomic_path, write_json
from ratlib.results import cached, config_hash, iter_results, load_result, result_path


def test_hash_is_canonical_and_sensitive():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_cached_computes_once_and_records_provenance(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"test": {"F1": 12.5}}

    cfg = {"method": "rnp", "seed": 1}
    first = cached("runs", cfg, compute, root=tmp_path)
    second = cached("runs", cfg, compute, root=tmp_path)
    assert len(calls) == 1
    assert first == second
    assert first["config"] == cfg and first["test"]["F1"] == 12.5
    assert "wall_time_s" in first and first["machine"]["cpu_count"] >= 1
    assert result_path("runs", cfg, tmp_path).is_file()
    assert [r["key"] for r in iter_results("runs", tmp_path)] == [first["key"]]
    assert load_result("runs", {"method": "fr"}, tmp_path) is None


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "x.json"
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps({"half": True}))
            raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_gets_the_usual_file_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644


def test_machine_info_names_the_processor_and_kernels():
    from ratlib.book.show import processor_line
    from ratlib.results import machine_info

    info = machine_info()
    assert info["cpu_model"] and info["torch_cpu_capability"] in ("DEFAULT", "AVX2", "AVX512", "NO AVX",
                                                                   "ZVECTOR", "VSX", "SVE256")
    assert info["numpy"].count(".") >= 1
    assert info["cpu_model"] in processor_line(info)
    assert processor_line({"cpu_count": 2}).startswith("not recorded")


def test_machine_info_records_the_kernel_environment(monkeypatch):
    from ratlib.results import machine_info

    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    env = machine_info()["kernel_env"]
    assert env["MKL_CBWR"] == "COMPATIBLE" and "ONEDNN_MAX_CPU_ISA" not in env

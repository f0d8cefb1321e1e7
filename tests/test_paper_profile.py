"""The `paper` profile at tiny size: its configurations hold the papers' settings and run on fixture files.

The real Beer files and bert-base-uncased are not on this machine (and Beer must never be committed), so
each distinct kind of run of a chapter's paper profile is trained for one epoch on the small files in the
real Beer format under tests/fixtures/beer, a transformer swapped for the packaged MiniLM. What is checked:
the paper's settings are what the profile asks for, and every kind of run it asks for builds and trains.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ratlib.encoders import PLM, encoder_kind
from ratlib.experiments.profiles import chapter_config
from ratlib.train import train

FIXTURE_BEER = Path(__file__).parent / "fixtures" / "beer"
TINY_SYNTH = {"n_train": 120, "n_dev": 30, "n_test": 30}
OFFLINE_TRANSFORMER = "minilm"       # 6 layers
OFFLINE_LAYERS = 6


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path / "results"))


def tiny(cfg):
    """``cfg`` for one epoch on fixture files, with an offline transformer; None if it cannot run on one."""
    data = cfg.data
    if data.name == "beer":
        data = replace(data, data_dir=str(FIXTURE_BEER))
    elif data.name == "synth":
        data = replace(data, options={**data.options, **TINY_SYNTH})
    method = cfg.method
    if encoder_kind(method.encoder) == PLM:
        if method.split_layers is not None and max(method.split_layers) > OFFLINE_LAYERS - 2:
            return None      # a split of BERT-base's 12 layers that MiniLM does not have
        method = replace(method, encoder=OFFLINE_TRANSFORMER)
    return replace(cfg, data=data, method=method, epochs=1, batch_size=8)


def kinds(configs):
    """One configuration per kind of run (method, encoder kind, and the method fields that differ)."""
    seen = {}
    for cfg in configs:
        m = cfg.method
        seen.setdefault((m.method, encoder_kind(m.encoder), m.plmr_drop_pruned, m.plmr_targets, m.plmr_masks,
                         m.plmr_norm_lambda, m.full_text, m.split_layers is None), cfg)
    return list(seen.values())


def test_paper_profiles_hold_the_papers_settings():
    n2r = chapter_config("n2r", "paper")
    gru = [c for c in n2r.train_configs() if c.method.encoder == "gru"]
    assert all(c.epochs == 300 and c.method.lr_encoder == 1e-4 and c.method.continuity_window == 256
               and c.data.name == "beer" for c in gru)
    assert {c.method.n2r_frozen_grads for c in n2r.train_configs() if c.method.method in ("n2r", "mmi_n2r")} == {"zero"}
    bert = [c for c in n2r.train_configs() if c.method.encoder != "gru"]
    assert {c.method.encoder for c in bert} == {"bert-base-uncased"} and {c.epochs for c in bert} == {20}
    assert {c.method.method for c in bert} == {"rnp", "n2r", "mmi_n2r", "plmr"}
    assert {c.method.plmr_norm_lambda for c in bert if c.method.method == "plmr"} == {0.0, 1.0}
    plmr = chapter_config("plmr", "paper")
    transformer = [c for c in plmr.train_configs() if encoder_kind(c.method.encoder) == PLM]
    assert transformer and {c.method.encoder for c in transformer} == {"bert-base-uncased"}
    assert {c.epochs for c in transformer} == {20}
    assert chapter_config("split", "paper").n_layers == 12
    assert chapter_config("datacard", "paper").epochs == 300


@pytest.mark.parametrize("chapter", ["datacard", "degeneration", "plmr", "n2r", "split"])
def test_every_kind_of_paper_run_trains_on_fixture_files(chapter):
    runs = [t for t in map(tiny, kinds(chapter_config(chapter, "paper").train_configs())) if t is not None]
    assert runs
    for cfg in runs:
        result = train(cfg, store=False, progress=False, log_epochs=False)
        assert len(result["history"]) == 1, cfg.method
        assert 0.0 <= result["test"]["S"] <= 100.0

"""The scales every chapter runs at, as data (the notebooks hold no copies).

* ``smoke``: tiny data, seconds; what CI executes to prove every page runs.
* ``cpu``:   the scale whose numbers the book shows; minutes on 2 CPU cores,
  offline (packaged encoders and GloVe 50d, the generated benchmark).
* ``paper``: the papers' encoders, data sizes and hyper-parameters; needs a
  GPU and, for hub encoders such as ``bert-base-uncased``, a network.

A notebook asks for ``chapter_config(chapter, profile, **knobs)``; knobs
that are ``None`` keep the profile's value, so the parameters cell can list
every knob a reader may change without repeating the profile's numbers.
"""
from __future__ import annotations

from dataclasses import fields, replace

from ..experiments.homogeneity import HomogeneityConfig
from ..experiments.datacard import DatacardConfig
from ..experiments.degeneration import DegenerationConfig
from ..experiments.diminishing import DiminishingConfig
from ..experiments.plmr_baselines import HATEXPLAIN, Dataset, PLMRBaselinesConfig
from ..experiments.variance import VarianceConfig
from ..experiments.graph import GraphConfig
from ..experiments.n2r_vs_mmi import SYNTH_APPEARANCE, N2RConfig, synth_aspect
from ..experiments.split_ablation import SplitAblationConfig

# The generated benchmark's three evaluated aspects as the data card trains them (chapter 5's GRU datasets).
SYNTH_ASPECTS = tuple(synth_aspect(aspect) for aspect in (0, 1, 2))

# A tiny benchmark for smoke builds: every code path, seconds of work.
SMOKE_SYNTH = {"n_train": 300, "n_dev": 60, "n_test": 60}

PROFILES = ("smoke", "cpu", "paper")

# The generated appearance reviews with the transformer budget at which MiniLM learns them as a plain
# classifier (chapter 2's check): 4,000 training reviews cut to 96 words, 300 dev reviews, 3 epochs; the
# GRU runs keep the data card's full texts and 40 epochs, so chapters 2, 3 and 5 share their stored runs.
SYNTH_APPEARANCE_PLM_BUDGET = replace(SYNTH_APPEARANCE, plm_epochs=3, plm_max_train=4000,
                                      plm_data={"max_len": 96, "max_dev": 300})

CHAPTERS: dict[str, dict[str, object]] = {
    # Chapter 1, token homogeneity (PLMR Fig. 2).
    "homogeneity": {
        "smoke": HomogeneityConfig(encoders=("minilm",), n_sentences=8, max_len=64, batch_size=8, seeds=(1,)),
        "cpu": HomogeneityConfig(encoders=("minilm", "mpnet"), n_sentences=200, max_len=128,
                                 batch_size=16, seeds=(1, 2, 3)),
        # PLMR measured BERT-base on HotelReview; the paper profile keeps the
        # generated reviews as data (set the `data` knob to use your own).
        "paper": HomogeneityConfig(encoders=("bert-base-uncased",), n_sentences=2000, max_len=256,
                                   batch_size=32, seeds=(1, 2, 3)),
    },
    # The generated benchmark's data card: statistics, lexical baseline, GRU methods.
    "datacard": {
        "smoke": DatacardConfig(synth=SMOKE_SYNTH, aspects=(0,), methods=("rnp",), epochs=1),
        # lr 1e-3 instead of the papers' 1e-4: at 1e-4 the GRU methods need hundreds of
        # epochs (the papers run 300), which 2 CPU cores cannot afford for every page.
        # trainer_version 1: how the stored runs were trained (evaluation drew from the training stream).
        # n2r_frozen_grads "none": how the stored MMI+N2R runs were trained (Adam skipped the frozen predictor).
        "cpu": DatacardConfig(aspects=(0, 1, 2), methods=("rnp", "fr", "mmi_n2r"), epochs=40,
                              trainer_version=1, n2r_frozen_grads="none"),
        "paper": DatacardConfig(aspects=(0, 1, 2), methods=("rnp", "fr", "n2r", "mmi_n2r"),
                                seeds=(1, 2, 3, 4, 5), epochs=300, lr=None),
    },
    # Chapter 2, degeneration and failure of MMI with a PLM (PLMR Table 1).
    "degeneration": {
        "smoke": DegenerationConfig(synth=SMOKE_SYNTH, gru_epochs=1, plm_epochs=1, plm_max_train=16,
                                    plm_max_dev=16, smaller_budget={"plm_max_train": 8, "settings": ("decorrelated",)}),
        # The GRU runs are the data card's (full training set, 40 epochs, lr 1e-3, trainer version 1). The
        # MiniLM runs get the budget at which MiniLM learns the generated reviews as a plain classifier
        # (the full-text control, stored first): 4,000 reviews cut to 96 words (about 2% of the appearance
        # rationale's words lie beyond), 3 epochs. Three seeds per configuration in both files.
        # The first budget, 1,200 full-length reviews for 3 epochs, where nothing learned, stays on the page
        # (two seeds on the correlated file).
        # HateXplain: chapter 3's RNP and FR runs (MiniLM learns the label there in 3 epochs), so the
        # claim is tested on real data at a budget where the transformer learns.
        "cpu": DegenerationConfig(seeds=(1, 2, 3), trainer_version=1, plm_trainer_version=2, plm_max_train=4000,
                                  plm_max_len=96, datasets=(HATEXPLAIN,),
                                  smaller_budget={"plm_max_train": 1200, "plm_max_len": None, "plm_trainer_version": 1,
                                                  "setting_seeds": {"correlated": (1, 2)}}),
        "paper": DegenerationConfig(encoders=("gru", "bert-base-uncased"), seeds=(1, 2, 3, 4, 5), gru_epochs=300,
                                    gru_lr=None, plm_epochs=20, plm_max_train=None, plm_max_dev=None),
    },
    # Chapter 3, PLMR against RNP/FR on the same transformer and on a GRU (PLMR's main tables).
    "plmr": {
        "smoke": PLMRBaselinesConfig(
            datasets=(Dataset(label="synth", data={"name": "synth", "options": SMOKE_SYNTH, "balance_dev": True,
                                                   "max_dev": 16},
                              sparsity=0.2, plm_epochs=1, gru_epochs=1, plm_max_train=16),),
            seeds=(1,), pruning_benchmark=False, ranking_datasets=("synth",)),
        # HateXplain, every balanced training post, 3 epochs for the transformers (MiniLM as a plain
        # classifier reaches its target there), 30 for the GRU. The generated appearance reviews at chapter
        # 2's transformer budget (its RNP and FR runs are these; its GRU runs the data card's, trainer version 1).
        # MPNet (12 layers) is costed, not trained: a measured step-time ratio times the MiniLM runs' times.
        # The selectors of the first seed on the generated reviews, where every MiniLM rationalizer collapsed,
        # are read for how they rank the gold words (the GRU's for contrast).
        "cpu": PLMRBaselinesConfig(datasets=(HATEXPLAIN, SYNTH_APPEARANCE_PLM_BUDGET), seeds=(1, 2, 3),
                                   costed_encoder="mpnet",
                                   gru_trainer_versions={SYNTH_APPEARANCE.label: 1},
                                   ranking_datasets=(SYNTH_APPEARANCE.label,)),
        "paper": PLMRBaselinesConfig(
            datasets=(Dataset(label="beer appearance", data={"name": "beer", "aspect": 0, "balance_dev": True},
                              sparsity=0.2, plm_epochs=20, gru_epochs=300),),
            encoder="bert-base-uncased", seeds=(1, 2, 3, 4, 5), gru_lr=None),
    },
    # PLMR's split-layer ablation (Sec. 6.3) and the homogeneity split rule, at chapter 3's MiniLM budget.
    "split": {
        "smoke": SplitAblationConfig(
            dataset=Dataset(label="synth", data={"name": "synth", "options": SMOKE_SYNTH, "balance_dev": True,
                                                 "max_dev": 16},
                            sparsity=0.2, plm_epochs=1, gru_epochs=1, plm_max_train=16),
            splits=((0, 1), (1, 3)), parts=("no full-text term",), seeds=(1,)),
        # MPNet (12 layers) costed, not trained: a coarse grid around the paper's BERT-base split (3, 7).
        "cpu": SplitAblationConfig(other_datasets=(SYNTH_APPEARANCE_PLM_BUDGET,), costed_encoder="mpnet",
                                   costed_grid=((1, 5), (1, 7), (3, 5), (3, 7), (3, 9), (5, 7), (5, 9))),
        "paper": SplitAblationConfig(
            dataset=Dataset(label="beer appearance", data={"name": "beer", "aspect": 0, "balance_dev": True},
                            sparsity=0.2, plm_epochs=20, gru_epochs=300),
            encoder="bert-base-uncased", n_layers=12, seeds=(1, 2, 3)),
    },
    # Chapter 4, MMI's diminishing returns (N2R Fig. 3): probes chapter 3's trained RNP predictors.
    "diminishing": {
        # Aroma: chapter 3's smoke runs are on appearance already.
        "smoke": DiminishingConfig(source_profile="smoke", seeds=(1,), fractions=(0.0, 0.5, 1.0), draws=2,
                                   synth_aspects=(1,)),
        # GRU predictors on the generated benchmark's three aspects too (the data card's RNP runs, 40
        # epochs); stored so far: appearance and aroma seeds 1-3, palate seeds 2-3 (`sweep diminishing
        # --full-design`: the rest).
        "cpu": DiminishingConfig(source_profile="cpu", encoders=("gru", "minilm"), seeds=(1, 2, 3),
                                 synth_aspects=(0, 1, 2), synth_seeds_stored={0: (1, 2, 3), 1: (1, 2, 3), 2: (2, 3)}),
        "paper": DiminishingConfig(source_profile="paper", encoders=("gru", "bert-base-uncased"),
                                   seeds=(1, 2, 3, 4, 5)),
    },
    # Chapter 5, N2R against MMI and convergence (N2R Tables 1 and 3), GRU methods.
    "n2r": {
        "smoke": N2RConfig(datasets=(Dataset(label="synth", data={"name": "synth", "options": SMOKE_SYNTH,
                                                                  "balance_dev": True},
                                             sparsity=0.125, plm_epochs=1, gru_epochs=1),), seeds=(1,),
                           plm_datasets=("synth",), plm_seeds=(1,)),
        # HateXplain as chapter 3's GRU runs (30 epochs, sparsity 0.4; its RNP runs are shared; 5 seeds) and
        # the generated benchmark's three aspects as the data card's (40 epochs; its RNP and MMI+N2R runs,
        # trainer version 1, are shared; 3 seeds, a GRU run there costs about three HateXplain ones); RNP
        # with the official continuity normalisation on HateXplain as a recipe check.
        # The transformer half: MiniLM on HateXplain at chapter 3's budget (its RNP-MiniLM and PLMR runs are
        # shared), with PLMR plus a norm step of weight 1 (N2R's lambda_n) beside PLMR.
        "cpu": N2RConfig(datasets=(HATEXPLAIN, *SYNTH_ASPECTS),
                         dataset_seeds={ds.label: (1, 2, 3) for ds in SYNTH_ASPECTS},
                         dataset_trainer_versions={ds.label: 1 for ds in SYNTH_ASPECTS},
                         continuity_check=(HATEXPLAIN.label,), plm_datasets=(HATEXPLAIN.label,),
                         plmr_norm_lambda=1.0),
        # The transformer half on appearance: BERT-base for PLMR's 20 epochs (the N2R paper's BERT table).
        "paper": N2RConfig(datasets=tuple(Dataset(label=f"beer {name}", data={"name": "beer", "aspect": aspect,
                                                                            "balance_dev": True},
                                                  sparsity=0.125, plm_epochs=20, gru_epochs=300)
                                          for aspect, name in enumerate(("appearance", "aroma", "palate"))),
                           gru_lr=None, continuity_window=256, plm_encoder="bert-base-uncased",
                           plm_datasets=("beer appearance",), plmr_norm_lambda=1.0),
    },
    # Appendix: how far a run moves across CPU kernel paths, against the seed spread.
    "variance": {
        "smoke": VarianceConfig(synth=SMOKE_SYNTH, seeds=(1, 2), kernels=("native", "default"),
                                cheap_max_train=None, cheap_epochs=1, full_epochs=0, checks=("deterministic",),
                                cost_settings=("native", "default")),
        # Cheap grid: 1200 training reviews, 3 epochs, 3 seeds x 3 kernel settings, 5 checks and 10
        # costings (1-4 minutes each on a shared 2-core machine); full scale: the data card's stored
        # RNP runs (3 seeds, 40 epochs), not retrained under other settings here (full_kernels; each such
        # run costs the stored run's time times the setting's cost factor).
        "cpu": VarianceConfig(trainer_version=1),  # as its stored runs (and the data card's) were trained
        "paper": VarianceConfig(seeds=(1, 2, 3, 4, 5)),
    },
    # Chapter 6, graph rationalization (N2R's GCN experiment) on BA-2Motifs.
    "graph": {
        "smoke": GraphConfig(options={"n_graphs": 60}, seeds=(1,), epochs=2),
        # 1,000 generated graphs (800 train), 80 epochs of batch 32: two to three minutes per run on one thread.
        # trainer_version 1: how the stored runs were trained (evaluation drew from the training stream).
        # n2r_frozen_grads "none": the stored N2R runs' norm step left the frozen predictor alone.
        "cpu": GraphConfig(seeds=(1, 2, 3, 4, 5), epochs=80, trainer_version=1, n2r_frozen_grads="none"),
        "paper": GraphConfig(seeds=(1, 2, 3, 4, 5), epochs=300),
    },
}


def chapter_config(chapter: str, profile: str, **knobs):
    """The configuration of ``chapter`` under ``profile``, with non-None knobs applied."""
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; known: {', '.join(sorted(CHAPTERS))}")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    base = CHAPTERS[chapter][profile]
    names = {f.name for f in fields(base)}
    unknown = sorted(set(knobs) - names)
    if unknown:
        raise ValueError(f"chapter {chapter!r} has no knob(s) {unknown}; knobs: {', '.join(sorted(names))}")
    changes = {k: (tuple(v) if isinstance(v, list) else v) for k, v in knobs.items() if v is not None}
    return replace(base, **changes)


def profile_needs(profile: str, chapters=None) -> dict[str, list]:
    """Chapter -> the stored results it reads under ``profile`` (:class:`~ratlib.experiments.needs.Need`)."""
    return {chapter: chapter_config(chapter, profile).needs() for chapter in (chapters or CHAPTERS)}

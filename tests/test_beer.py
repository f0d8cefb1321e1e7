"""Beer reader (Lei et al. 2016 format) on invented fixture files."""
import gzip
import json
import shutil
from pathlib import Path

import pytest

from ratlib.data.beer import (build_beer, label_of, read_annotations, read_lei_splits, read_reviews,
                              write_annotations, write_reviews)
from ratlib.data.record import DataFormatError
from ratlib.data.registry import DataConfig

FIXTURES = Path(__file__).parent / "fixtures" / "beer"
TRAIN = FIXTURES / "reviews.aspect0.train.txt.gz"


def config(data_dir=FIXTURES, **kw):
    return DataConfig(name="beer", data_dir=str(data_dir), **kw)


def test_label_thresholds_and_dropped_band():
    assert [label_of(s) for s in (0.0, 0.4, 0.41, 0.5, 0.59, 0.6, 1.0)] == [0, 0, None, None, None, 1, 1]


def test_reviews_are_labelled_by_aspect_score():
    examples = read_reviews(TRAIN, aspect=0, max_len=256)
    # Line 3 scores 0.5 on appearance: dropped; 0.6 and 0.4 sit on the thresholds.
    assert [(ex.source, ex.label) for ex in examples] == [
        ("reviews.aspect0.train.txt.gz:1", 1), ("reviews.aspect0.train.txt.gz:2", 0),
        ("reviews.aspect0.train.txt.gz:4", 1), ("reviews.aspect0.train.txt.gz:5", 0),
        ("reviews.aspect0.train.txt.gz:6", 1), ("reviews.aspect0.train.txt.gz:7", 1),
        ("reviews.aspect0.train.txt.gz:8", 0)]
    assert examples[0].tokens[:4] == ("pours", "a", "clear", "golden")
    assert examples[0].scores == (0.8, 0.7, 0.6, 0.7, 0.7)
    assert all(ex.spans is None for ex in examples)
    # Aspect 1 (aroma) reads the second score.
    assert [ex.label for ex in read_reviews(TRAIN, aspect=1, max_len=256)] == [1, 1, 0, 1, 1, 0, 0]


def test_train_is_balanced_with_a_seed():
    first = build_beer(config(balance_seed=5)).train
    assert sorted(ex.label for ex in first) == [0, 0, 0, 1, 1, 1]
    assert [ex.id for ex in build_beer(config(balance_seed=5)).train] == [ex.id for ex in first]
    kept = {tuple(ex.id for ex in build_beer(config(balance_seed=s)).train) for s in range(10)}
    assert len(kept) > 1  # a different seed keeps different positives


def test_dev_is_balanced_only_on_request():
    assert [ex.label for ex in build_beer(config()).dev] == [1, 0]
    dev_path = FIXTURES / "reviews.aspect0.heldout.txt.gz"
    assert len(read_reviews(dev_path, 0, 256)) == 2
    assert sorted(ex.label for ex in build_beer(config(balance_dev=True)).dev) == [0, 1]


def test_annotations_keep_reviews_with_a_span_and_a_clear_label():
    by_aspect = {a: read_annotations(FIXTURES / "annotations.json", a, 256) for a in range(3)}
    # 9002 has no appearance span, 9004 scores 0.5: both dropped for aspect 0.
    assert [(ex.id, ex.label) for ex in by_aspect[0]] == [
        ("annotations.json:9001", 1), ("annotations.json:9003", 0), ("annotations.json:9005", 1)]
    assert by_aspect[0][0].spans == ((0, 9),)
    assert [ex.id[-4:] for ex in by_aspect[1]] == ["9001", "9002", "9003", "9004", "9005"]
    assert [ex.id[-4:] for ex in by_aspect[2]] == ["9002", "9003", "9005"]
    assert by_aspect[2][0].spans == ((12, 14),) and by_aspect[2][0].label == 0


def test_truncation_of_tokens_and_spans():
    splits = build_beer(config(max_len=10))
    assert max(len(ex.tokens) for ex in splits.train + splits.dev + splits.test) == 10
    spans = {ex.id[-4:]: ex.spans for ex in splits.test}
    assert spans == {"9001": ((0, 9),), "9003": ((0, 4),), "9005": ((9, 10),)}
    # A span starting beyond the cut disappears; the review stays annotated (empty).
    short = {ex.id[-4:]: ex.spans for ex in read_annotations(FIXTURES / "annotations.json", 0, 8)}
    assert short["9005"] == () and short["9001"] == ((0, 8),)


def test_correlated_setting_reads_the_260k_files():
    splits = build_beer(config(correlated=True, aspect=2))
    assert all(ex.source.startswith("reviews.260k.") for ex in splits.train + splits.dev)
    assert sorted(ex.label for ex in splits.train) == [0, 1]
    assert [ex.label for ex in splits.dev] == [1]


def test_missing_files_and_folder():
    with pytest.raises(ValueError, match="data-dir"):
        build_beer(DataConfig(name="beer"))
    with pytest.raises(FileNotFoundError) as err:
        build_beer(config(aspect=1))
    assert "reviews.aspect1.train.txt.gz" in str(err.value) and str(FIXTURES.resolve()) in str(err.value)
    assert "never downloaded" in str(err.value)


def gz(path, text):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    return path


GOOD = "0.8 0.6 0.6 0.6 0.6\tgolden and clear\n"


@pytest.mark.parametrize("bad, problem", [
    ("0.8 0.6 0.6 0.6\tfour scores only\n", "expected 5 scores before the TAB, found 4"),
    ("0.8 0.6 0.6 0.6 high\ta word for a score\n", "scores must be numbers"),
    ("0.8 0.6 0.6 0.6 0.6 no tab at all\n", "found no TAB"),
    ("0.8 0.6 0.6 0.6 1.6\tscore above one\n", "must lie in [0, 1]"),
    ("0.8 0.6 0.6 0.6 0.6\t   \n", "text after the TAB is empty"),
])
def test_malformed_review_lines_name_file_and_line(tmp_path, bad, problem):
    path = gz(tmp_path / "reviews.aspect0.train.txt.gz", GOOD + GOOD + bad)
    with pytest.raises(DataFormatError) as err:
        read_reviews(path, 0, 256)
    assert err.value.line == 3 and problem in str(err.value)
    assert "reviews.aspect0.train.txt.gz, line 3" in str(err.value)


def annotation(**changes):
    rec = {"x": ["clear", "gold", "pour"], "y": [0.8, 0.6, 0.6, 0.6, 0.6], "0": [[0, 2]], "1": [], "2": [],
           "3": [], "4": [], "raw": "clear gold pour", "rid": 1}
    rec.update(changes)
    return json.dumps(rec) + "\n"


@pytest.mark.parametrize("bad, problem", [
    (annotation(**{"0": [[1, 4]]}), "out of range for a review of 3 tokens"),
    (annotation(**{"0": [[2, 2]]}), "out of range"),
    (annotation(**{"0": [[0]]}), "is not [start, end]"),
    (annotation(y=[0.8, 0.6]), "must hold 5 scores"),
    (annotation(y=[0.8, "a", 0.6, 0.6, 0.6]), "must hold numbers"),
    (annotation(x=[]), "non-empty list of token strings"),
    ('{"y": [0.8, 0.6, 0.6, 0.6, 0.6], "0": []}\n', "missing key 'x'"),
    ('{"x": ["a"], "0": []}\n', "missing key 'y'"),
    ("[1, 2]\n", "expected a JSON object"),
    ('{"x": ["a"], \n', "not valid JSON"),
])
def test_malformed_annotations_name_file_and_line(tmp_path, bad, problem):
    path = tmp_path / "annotations.json"
    path.write_text(annotation() + "\n" + bad)  # a blank line 2 still counts
    with pytest.raises(DataFormatError) as err:
        read_annotations(path, 0, 256)
    assert err.value.line == 3 and problem in str(err.value) and "annotations.json, line 3" in str(err.value)


def test_writer_round_trip(tmp_path):
    rows = [((0.7, 0.2, 0.5, 0.6, 0.65), ["amber", "and", "bright"]), ((0.1, 0.9, 0.5, 0.5, 0.5), ["flat"])]
    write_reviews(tmp_path / "reviews.aspect0.train.txt.gz", rows)
    write_reviews(tmp_path / "reviews.aspect0.heldout.txt.gz", rows[:1])
    write_annotations(tmp_path / "annotations.json", [{"x": ["amber", "and", "bright"], "y": rows[0][0],
                                                        "0": [(0, 1)], "rid": 7}])
    splits = read_lei_splits(tmp_path, config(tmp_path))
    assert [(ex.tokens, ex.label) for ex in read_reviews(tmp_path / "reviews.aspect0.train.txt.gz", 0, 256)] == [
        (("amber", "and", "bright"), 1), (("flat",), 0)]
    assert splits.test[0].spans == ((0, 1),) and splits.test[0].id == "annotations.json:7"
    assert splits.train[0].scores == (0.7, 0.2, 0.5, 0.6, 0.65)
    first = json.loads((tmp_path / "annotations.json").read_text())
    assert set(first) == {"x", "y", "0", "1", "2", "3", "4", "raw", "rid"}


def test_fixture_folder_copies_cleanly(tmp_path):
    # The fixtures are the only files the loader needs.
    for name in ("reviews.aspect0.train.txt.gz", "reviews.aspect0.heldout.txt.gz", "annotations.json"):
        shutil.copy(FIXTURES / name, tmp_path)
    assert len(build_beer(config(tmp_path)).test) == 3


def test_gzip_writer_is_byte_deterministic(tmp_path):
    rows = [((0.7, 0.2, 0.5, 0.6, 0.6), ["amber"])]
    write_reviews(tmp_path / "a" / "reviews.260k.train.txt.gz", rows)
    write_reviews(tmp_path / "b" / "reviews.260k.train.txt.gz", rows)
    first = (tmp_path / "a" / "reviews.260k.train.txt.gz").read_bytes()
    assert first == (tmp_path / "b" / "reviews.260k.train.txt.gz").read_bytes()

"""ERASER reader and the HateXplain builder, on invented fixtures in both formats."""
import json
import shutil
from pathlib import Path

import pytest

from ratlib import paths
from ratlib.data import eraser
from ratlib.data.eraser import (build_hatexplain, majority_label, read_annotation_file, read_documents,
                                read_eraser_splits, read_hatexplain_official)
from ratlib.data.record import DataFormatError
from ratlib.data.registry import DataConfig

FIXTURES = Path(__file__).parent / "fixtures"
HX_ERASER = FIXTURES / "hatexplain" / "eraser"
HX_OFFICIAL = FIXTURES / "hatexplain" / "official"
MOVIES_LIKE = FIXTURES / "eraser"


def config(data_dir, **kw):
    return DataConfig(name="hatexplain", data_dir=str(data_dir) if data_dir else None, **kw)


def by_id(examples):
    return {ex.id: ex for ex in examples}


# ---------------------------------------------------------------- ERASER format

def test_eraser_hatexplain_labels_and_union_of_evidence():
    splits = read_eraser_splits(HX_ERASER, eraser.HATEXPLAIN_CLASSES, "hatexplain", "")
    train = by_id(splits["train"])
    assert [ex.label for ex in splits["train"]] == [1, 0, 1, 0, 1]
    assert train["101_gab"].spans == ((4, 6), (8, 9))
    assert train["101_gab"].tokens[4:6] == ("total", "idiot")
    assert train["105_twitter"].spans == ((2, 5),)  # overlapping evidence merged
    assert train["102_gab"].spans is None and not train["102_gab"].annotated
    assert by_id(splits["test"])["108_gab"].spans == ((2, 5),)  # adjacent evidence merged
    assert train["103_twitter"].source == "train.jsonl:3"


def test_hatexplain_builder_keeps_all_test_posts_by_default():
    splits = build_hatexplain(config(HX_ERASER))
    assert [(ex.id, ex.label, ex.annotated) for ex in splits.test] == [
        ("108_gab", 1, True), ("109_twitter", 0, False), ("110_gab", 1, True)]
    assert sorted(ex.label for ex in splits.train) == [0, 0, 1, 1]  # 3/2 balanced to 2/2
    assert [ex.id for ex in splits.dev] == ["106_gab", "107_twitter"]
    assert all(ex.aspect == 0 for ex in splits.train + splits.dev + splits.test)


def test_hatexplain_options():
    toxic_only = build_hatexplain(config(HX_ERASER, options={"test_posts": "toxic"})).test
    assert [ex.id for ex in toxic_only] == ["108_gab", "110_gab"]
    unbalanced = build_hatexplain(config(HX_ERASER, options={"balance_train": False})).train
    assert len(unbalanced) == 5
    assert len(build_hatexplain(config(HX_ERASER, balance_dev=True)).dev) == 2
    with pytest.raises(ValueError, match="unknown option"):
        build_hatexplain(config(HX_ERASER, options={"rationales": "union"}))
    with pytest.raises(ValueError, match="test_posts"):
        build_hatexplain(config(HX_ERASER, options={"test_posts": "some"}))
    with pytest.raises(ValueError, match="aspect must be 0"):
        build_hatexplain(config(HX_ERASER, aspect=1))


def test_truncation_clips_spans():
    splits = build_hatexplain(config(HX_ERASER, max_len=4, options={"balance_train": False}))
    assert by_id(splits.train)["101_gab"].tokens == ("<user>", "you", "are", "a")
    assert by_id(splits.train)["101_gab"].spans == ()
    assert by_id(splits.train)["105_twitter"].spans == ((2, 4),)


def test_default_folder_is_the_shared_one(monkeypatch):
    monkeypatch.setattr(paths, "shared_data_dir", lambda name: HX_ERASER if name == "hatexplain" else None)
    assert len(build_hatexplain(config(None)).test) == 3
    monkeypatch.setattr(paths, "shared_data_dir", lambda name: None)
    with pytest.raises(FileNotFoundError, match="--data-dir"):
        build_hatexplain(config(None))


def test_missing_split_file_is_named(tmp_path):
    shutil.copy(HX_ERASER / "docs.jsonl", tmp_path)
    shutil.copy(HX_ERASER / "train.jsonl", tmp_path)
    with pytest.raises(FileNotFoundError, match="val.jsonl"):
        build_hatexplain(config(tmp_path))


def test_documents_from_a_docs_folder_span_sentences():
    splits = read_eraser_splits(MOVIES_LIKE, {"NEG": 0, "POS": 1}, "movies", "")
    test = splits["test"][0]
    assert test.tokens == ("two", "hours", "i", "will", "never", "get", "back", ".", "skip", "it", ".")
    assert test.spans == ((4, 9),) and test.label == 0
    assert splits["train"][0].spans == ((1, 3), (6, 9))
    assert read_documents(MOVIES_LIKE, {"posR_001.txt"}) == {"posR_001.txt": ("a", "quiet", "delight", ".")}


def write_split(tmp_path, rows, docs=None):
    (tmp_path / "docs.jsonl").write_text(
        "".join(json.dumps({"docid": k, "document": v}) + "\n" for k, v in (docs or {"d1": "you silly goose"}).items()))
    path = tmp_path / "test.jsonl"
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return path


def good(**changes):
    row = {"annotation_id": "d1", "classification": "toxic", "docids": ["d1"],
           "evidences": [[{"docid": "d1", "start_token": 1, "end_token": 3, "text": "silly goose"}]]}
    row.update(changes)
    return row


@pytest.mark.parametrize("row, problem", [
    ("{not json\n", "not valid JSON"),
    (good(classification="rude"), "classification 'rude'"),
    ({k: v for k, v in good().items() if k != "evidences"}, "missing key 'evidences'"),
    (good(evidences=[[{"docid": "d1", "start_token": 2, "end_token": 4, "text": "goose"}]]), "out of range"),
    (good(evidences=[[{"docid": "d1", "start_token": 2, "end_token": 2, "text": ""}]]), "out of range"),
    (good(evidences=[[{"docid": "d1", "start_token": 1, "end_token": 2, "text": "goose"}]]), "differs from"),
    (good(evidences=[[{"docid": "d2", "start_token": 1, "end_token": 2, "text": "silly"}]]), "not 'd1'"),
    (good(evidences=[{"docid": "d1"}]), "evidence groups"),
    (good(docids=["d1", "d2"]), "one docid"),
    (good(docids=["d9"], annotation_id="d9"), "'d9' is not in the documents"),
])
def test_malformed_annotations_name_file_and_line(tmp_path, row, problem):
    path = write_split(tmp_path, [good(), row])
    documents = read_documents(tmp_path)
    with pytest.raises(DataFormatError) as err:
        read_annotation_file(path, documents, eraser.HATEXPLAIN_CLASSES)
    assert err.value.line == 2 and problem in str(err.value) and "test.jsonl, line 2" in str(err.value)


def test_evidence_text_check_can_be_switched_off(tmp_path):
    row = good(evidences=[[{"docid": "d1", "start_token": 1, "end_token": 2, "text": "SILLY"}]])
    path = write_split(tmp_path, [row])
    examples = read_annotation_file(path, read_documents(tmp_path), eraser.HATEXPLAIN_CLASSES, check_text=False)
    assert examples[0].spans == ((1, 2),)


def test_malformed_documents(tmp_path):
    write_split(tmp_path, [good()], docs={"d1": "two  spaces"})
    with pytest.raises(DataFormatError, match="docs.jsonl, line 1.*two spaces"):
        read_documents(tmp_path)
    (tmp_path / "docs.jsonl").write_text('{"docid": "d1"}\n')
    with pytest.raises(DataFormatError, match="line 1: missing key 'document'"):
        read_documents(tmp_path)
    (tmp_path / "docs").mkdir()
    with pytest.raises(DataFormatError, match="both"):
        read_documents(tmp_path)


# ---------------------------------------------------------------- official dataset.json

def test_majority_label():
    assert majority_label(["offensive", "offensive", "normal"]) == "offensive"
    assert majority_label(["hatespeech", "offensive", "normal"]) is None
    assert majority_label(["normal", "normal"]) == "normal"
    assert majority_label(["normal", "offensive"]) is None
    # A plurality that is not a majority does not count.
    assert majority_label(["normal", "normal", "offensive", "hatespeech"]) is None


def test_official_format_majority_labels_and_union_rationales():
    splits = read_hatexplain_official(HX_OFFICIAL)
    train = by_id(splits["train"])
    assert sorted(train) == ["201_gab", "202_gab", "204_gab"]  # 203 has no majority: dropped
    assert train["201_gab"].label == 1 and train["201_gab"].spans == ((3, 5),)
    assert train["202_gab"].label == 0 and train["202_gab"].spans is None
    assert train["204_gab"].spans == ((2, 5),)
    assert [ex.label for ex in splits["dev"]] == [0]
    test = by_id(splits["test"])
    assert test["206_gab"].spans == ((2, 3), (6, 7))  # the all -1 vector is ignored
    assert test["207_twitter"].label == 0 and test["207_twitter"].spans is None


def test_official_format_majority_rationale_option():
    splits = read_hatexplain_official(HX_OFFICIAL, rationale="majority")
    train = by_id(splits["train"])
    assert train["201_gab"].spans == ((3, 4),)
    assert train["204_gab"].spans == ((3, 5),)
    assert by_id(splits["test"])["206_gab"].spans == ((2, 3),)


def test_builder_detects_the_official_format():
    splits = build_hatexplain(config(HX_OFFICIAL, options={"balance_train": False}))
    assert [ex.id for ex in splits.train] == ["201_gab", "202_gab", "204_gab"]
    assert [ex.annotated for ex in splits.test] == [True, False]
    with pytest.raises(FileNotFoundError, match="docs.jsonl"):
        build_hatexplain(config(HX_OFFICIAL, options={"format": "eraser"}))


def official_copy(tmp_path, edit):
    posts = json.loads((HX_OFFICIAL / "dataset.json").read_text())
    edit(posts)
    (tmp_path / "dataset.json").write_text(json.dumps(posts))
    shutil.copy(HX_OFFICIAL / "post_id_divisions.json", tmp_path)
    return tmp_path


@pytest.mark.parametrize("edit, problem", [
    (lambda p: p["201_gab"]["rationales"][0].pop(), "has 6 values for 7 tokens"),
    (lambda p: p["201_gab"]["rationales"].append([0, 2, 0, 0, 0, 0, 0]), "0/1 values"),
    (lambda p: p["204_gab"].pop("post_tokens"), "missing key 'post_tokens'"),
    (lambda p: p["204_gab"]["annotators"][0].update(label="spam"), "unknown label"),
    (lambda p: p.pop("206_gab"), "'206_gab' (listed in post_id_divisions.json) is missing"),
])
def test_official_format_errors_name_the_post(tmp_path, edit, problem):
    folder = official_copy(tmp_path, edit)
    with pytest.raises(DataFormatError) as err:
        read_hatexplain_official(folder)
    assert problem in str(err.value) and "dataset.json" in str(err.value)


def test_official_format_bad_json_names_the_line(tmp_path):
    (tmp_path / "dataset.json").write_text('{\n "1_gab": {,\n}')
    shutil.copy(HX_OFFICIAL / "post_id_divisions.json", tmp_path)
    with pytest.raises(DataFormatError, match="dataset.json, line 2"):
        read_hatexplain_official(tmp_path)


# ---------------------------------------------------------------- the real shared files, when present

SHARED = paths.shared_data_dir("hatexplain")


@pytest.mark.skipif(SHARED is None, reason="no shared HateXplain folder on this machine")
def test_shared_hatexplain_matches_its_readme():
    splits = read_eraser_splits(SHARED, eraser.HATEXPLAIN_CLASSES, "hatexplain", "")
    counts = {s: (len(v), sum(ex.label for ex in v)) for s, v in splits.items()}
    assert counts == {"train": (5514, 3295), "dev": (1922, 1141), "test": (1924, 1142)}
    assert all(ex.annotated == bool(ex.label) for v in splits.values() for ex in v)

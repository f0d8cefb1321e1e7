"""Hotel loader on invented fixture files in the R2A format."""
import shutil
from pathlib import Path

import pytest

from ratlib.data.hotel import build_hotel, drop_overlap, hotel_file, iter_rows, read_annotated, read_labelled
from ratlib.data.record import DataFormatError
from ratlib.data.registry import DataConfig

FIXTURES = Path(__file__).parent / "fixtures" / "hotel"
HEADER = "task\tlabel\ttext\n"
ANN_HEADER = "task\tlabel\ttext\trationale\n"


def config(data_dir=FIXTURES, **kw):
    return DataConfig(name="hotel", data_dir=str(data_dir), **kw)


def test_file_names_follow_the_aspect_order():
    assert [hotel_file(a, "dev") for a in range(3)] == [
        "hotel_Location.dev", "hotel_Service.dev", "hotel_Cleanliness.dev"]
    with pytest.raises(ValueError, match="aspect"):
        hotel_file(3, "train")


def test_location_splits_labels_and_rationales():
    splits = build_hotel(config(aspect=0))
    # 5 positive / 3 negative reviews -> balanced to 3 / 3.
    assert sorted(ex.label for ex in splits.train) == [0, 0, 0, 1, 1, 1]
    assert all(ex.spans is None and ex.aspect == 0 for ex in splits.train + splits.dev)
    assert [ex.label for ex in splits.dev] == [1, 0, 1, 1]  # dev is not balanced by default
    test = splits.test
    assert [ex.label for ex in test] == [1, 0, 1, 0]
    assert [ex.spans for ex in test] == [((1, 3),), ((7, 12),), ((0, 6),), ((0, 2),)]
    assert test[0].tokens[1:3] == ("location", "right")
    # A double space separates tokens like a single one.
    assert test[2].tokens[:3] == ("walking", "distance", "to")
    # A surplus trailing 0 flag is dropped, not counted as a token.
    assert len(test[3].tokens) == 7
    assert test[0].id != splits.train[0].id


def test_balancing_is_seeded():
    first = build_hotel(config(balance_seed=1)).train
    again = build_hotel(config(balance_seed=1)).train
    assert [ex.id for ex in first] == [ex.id for ex in again]
    ids = {tuple(ex.id for ex in build_hotel(config(balance_seed=s)).train) for s in range(8)}
    assert len(ids) > 1


def test_balance_dev_option():
    dev = build_hotel(config(balance_dev=True)).dev
    assert sorted(ex.label for ex in dev) == [0, 1]


def test_aspect_one_reads_service_files():
    splits = build_hotel(config(aspect=1))
    assert [ex.tokens[:2] for ex in splits.test] == [("the", "receptionist")]
    assert splits.test[0].spans == ((1, 3),)
    assert splits.test[0].aspect == 1


def test_truncation_clips_tokens_and_spans():
    splits = build_hotel(config(max_len=4))
    assert max(len(ex.tokens) for ex in splits.train + splits.dev + splits.test) == 4
    assert [ex.spans for ex in splits.test] == [((1, 3),), (), ((0, 4),), ((0, 2),)]


def test_unpacked_archive_layout(tmp_path):
    oracle, target = tmp_path / "data" / "oracle", tmp_path / "data" / "target"
    oracle.mkdir(parents=True)
    target.mkdir()
    for name in ("hotel_Location.train", "hotel_Location.dev"):
        shutil.copy(FIXTURES / name, oracle / name)
    shutil.copy(FIXTURES / "annotations" / "hotel_Location.train", target / "hotel_Location.train")
    assert len(build_hotel(config(tmp_path)).test) == 4
    assert len(build_hotel(config(tmp_path / "data")).test) == 4


def test_drop_test_overlap_option():
    leaked = "great location right next to the beach with shops nearby"
    train_path = FIXTURES / "hotel_Location.train"
    annotated = read_annotated(FIXTURES / "annotations" / "hotel_Location.train", 0, 256)
    texts = [" ".join(ex.tokens) for ex in read_labelled(train_path, 0, 256)]
    kept = [" ".join(ex.tokens) for ex in drop_overlap(read_labelled(train_path, 0, 256), annotated)]
    assert leaked in texts and leaked not in kept and len(kept) == len(texts) - 1
    for seed in range(6):
        cleaned = build_hotel(config(balance_seed=seed, options={"drop_test_overlap": True}))
        assert leaked not in [" ".join(ex.tokens) for ex in cleaned.train]
        assert len(cleaned.test) == 4
    with pytest.raises(ValueError, match="unknown option"):
        build_hotel(config(options={"drop_overlap": True}))


def test_missing_file_names_file_folder_and_remedy(tmp_path):
    shutil.copy(FIXTURES / "hotel_Location.train", tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        build_hotel(config(tmp_path))
    message = str(err.value)
    assert "hotel_Location.dev" in message and str(tmp_path) in message and "data.zip" in message


def test_no_data_dir_is_a_clear_error():
    with pytest.raises(ValueError, match="data-dir"):
        build_hotel(DataConfig(name="hotel"))


def test_columns_are_found_by_header_name(tmp_path):
    path = tmp_path / "f.train"
    path.write_text("text\tid\tlabel\nfar from town\t7\t0\n")
    rows = list(iter_rows(path, with_rationale=False))
    assert rows[0].tokens == ("far", "from", "town") and rows[0].label == 0


@pytest.mark.parametrize("body, with_rationale, problem", [
    ("hotel_Location\t1\n", False, "missing: text"),
    ("hotel_Location\tgood\tsome text\n", False, "label must be 0 or 1"),
    ("hotel_Location\t4\tsome text\n", False, "label must be 0 or 1"),
    ("hotel_Location\t1\t   \n", False, "text column is empty"),
    ("hotel_Location\t1\tsome text\n", True, "missing: rationale"),
    ("hotel_Location\t1\tsome text\t0 1 1\n", True, "3 flags for a text of 2 tokens"),
    ("hotel_Location\t1\tsome text here\t0 1\n", True, "2 flags for a text of 3 tokens"),
    ("hotel_Location\t1\tsome text\t0 2\n", True, "flags must be 0 or 1"),
])
def test_malformed_rows_name_file_and_line(tmp_path, body, with_rationale, problem):
    header = ANN_HEADER if with_rationale else HEADER
    first = "hotel_Location\t1\tfine review\t0 1\n" if with_rationale else "hotel_Location\t1\tfine review\n"
    path = tmp_path / "bad.train"
    path.write_text(header + first + body)
    with pytest.raises(DataFormatError) as err:
        list(iter_rows(path, with_rationale))
    assert err.value.line == 3 and err.value.path == str(path)
    assert problem in str(err.value) and "bad.train, line 3" in str(err.value)


def test_malformed_annotation_file_fails_the_build(tmp_path):
    for name in ("hotel_Location.train", "hotel_Location.dev"):
        shutil.copy(FIXTURES / name, tmp_path)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "hotel_Location.train").write_text(
        ANN_HEADER + "hotel_Location\t1\tgood spot\t1 1 1 1\n")
    with pytest.raises(DataFormatError, match="line 2"):
        build_hotel(config(tmp_path))


def test_empty_file_and_bad_encoding(tmp_path):
    empty = tmp_path / "empty.train"
    empty.write_text("")
    with pytest.raises(DataFormatError, match="empty"):
        list(iter_rows(empty, False))
    latin = tmp_path / "latin.train"
    latin.write_bytes(HEADER.encode() + "hotel_Location\t1\tcaf\xe9 nearby\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="line 2.*UTF-8"):
        list(iter_rows(latin, False))

import pytest

from ratlib.data.record import Example, mask_to_spans, spans_to_mask
from ratlib.data.registry import DataConfig, balance, subsample


def make(i, label, n=5, spans=None):
    return Example(id=str(i), tokens=tuple(f"w{j}" for j in range(n)), label=label, aspect=0, source="t", spans=spans)


def test_spans_and_masks_round_trip():
    mask = [0, 1, 1, 0, 1, 0, 0, 1]
    assert mask_to_spans(mask) == ((1, 3), (4, 5), (7, 8))
    assert spans_to_mask(mask_to_spans(mask), len(mask)) == mask
    assert spans_to_mask([(0, 2), (1, 3)], 4) == [1, 1, 1, 0]


def test_truncate_clips_spans():
    ex = make(0, 1, n=6, spans=((0, 2), (3, 6), (5, 6)))
    cut = ex.truncate(4)
    assert cut.tokens == ("w0", "w1", "w2", "w3")
    assert cut.spans == ((0, 2), (3, 4))
    assert cut.mask() == [1, 1, 0, 1]


def test_row_round_trip_keeps_annotation_state():
    for spans in (None, (), ((1, 2),)):
        ex = make(0, 1, spans=spans)
        back = Example.from_row(ex.to_row())
        assert back.annotated == ex.annotated
        assert back.mask() == ex.mask()


def test_balance_is_seeded_and_balanced():
    data = [make(i, 1 if i % 4 else 0) for i in range(40)]  # 30 pos, 10 neg
    a, b = balance(data, 7), balance(data, 7)
    assert [x.id for x in a] == [x.id for x in b]
    assert sum(x.label for x in a) == 10 and len(a) == 20
    assert [x.id for x in balance(data, 8)] != [x.id for x in a]


def test_subsample_keeps_class_shares():
    data = [make(i, i % 2) for i in range(100)]
    sub = subsample(data, 20, 1)
    assert len(sub) == 20 and sum(x.label for x in sub) == 10
    assert subsample(data, None, 1) is data


def test_data_config_json_round_trip_and_key():
    cfg = DataConfig(name="beer", aspect=2, options={"a": 1})
    assert DataConfig.from_json(cfg.to_json()) == cfg
    assert cfg.key() != DataConfig(name="beer", aspect=1, options={"a": 1}).key()


def test_gold_lost_to_truncation_counts_gold_tokens_past_the_cut_over_annotated_examples():
    from ratlib.data.stats import gold_lost_to_truncation

    words = tuple("abcdefghij")
    examples = [Example(id="1", tokens=words, label=1, aspect=0, source="t:1", spans=((1, 3), (6, 8))),   # 4 gold
                Example(id="2", tokens=words[:4], label=0, aspect=0, source="t:2", spans=((0, 4),)),       # 4 gold
                Example(id="3", tokens=words, label=1, aspect=0, source="t:3")]                            # not annotated
    assert gold_lost_to_truncation(examples, 10) == 0.0
    assert gold_lost_to_truncation(examples, 7) == 12.5    # example 1 loses position 7
    assert gold_lost_to_truncation(examples, 2) == 62.5    # keeps 1 of example 1 and 2 of example 2: 3 of 8
    assert gold_lost_to_truncation(examples[2:], 2) is None


def test_data_config_label_names_the_aspect_where_a_dataset_has_several():
    assert DataConfig(name="synth", aspect=2).label() == "synth palate"
    assert DataConfig(name="beer", aspect=0).label() == "beer appearance"
    assert DataConfig(name="hotel", aspect=1).label() == "hotel Service"
    assert DataConfig(name="hatexplain").label() == "hatexplain"

import pytest
import torch

from ratlib.metrics import Tally, precision_recall_f1, rationale_metrics, summarize, tally


def test_metrics_match_hand_computed_values():
    pred = [[1, 1, 0, 0], [0, 0, 1, 0]]
    gold = [[1, 0, 1, 0], [0, 0, 0, 1]]
    valid = [[1, 1, 1, 1], [1, 1, 1, 1]]
    m = rationale_metrics(pred, gold, valid, labels=[1, 0], predicted_labels=[1, 1])
    # TP = 1, selected = 3, gold = 3, tokens = 8; text 2 has gold but no overlap.
    assert m["P"] == pytest.approx(100 / 3)
    assert m["R"] == pytest.approx(100 / 3)
    assert m["F1"] == pytest.approx(100 / 3)
    assert m["S"] == pytest.approx(37.5)
    assert m["acc"] == pytest.approx(50.0)
    assert m["failure_rate"] == pytest.approx(50.0)


def test_padding_and_specials_do_not_count():
    pred = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    gold = torch.tensor([[0.0, 1.0, 1.0, 1.0]])
    valid = torch.tensor([[0.0, 1.0, 1.0, 0.0]])  # [CLS] at 0 and padding at 3
    m = rationale_metrics(pred, gold, valid)
    assert m["S"] == pytest.approx(100.0)
    assert m["P"] == pytest.approx(100.0)
    assert m["R"] == pytest.approx(100.0)


def test_empty_selection_is_a_failure_and_texts_without_gold_are_not_counted():
    t = tally([[0, 0], [1, 0]], [[1, 0], [0, 0]], [[1, 1], [1, 1]])
    assert (t.failures, t.gold_texts) == (1, 1)
    assert summarize(t)["failure_rate"] == 100.0


def test_tallies_add_up_like_one_big_batch():
    a = tally([[1, 0]], [[1, 1]], [[1, 1]], [1], [1])
    b = tally([[0, 1]], [[0, 1]], [[1, 1]], [0], [1])
    both = tally([[1, 0], [0, 1]], [[1, 1], [0, 1]], [[1, 1], [1, 1]], [1, 0], [1, 1])
    assert a + b == both
    assert summarize(Tally()) == {"S": 0.0, "acc": 0.0, "P": 0.0, "R": 0.0, "F1": 0.0, "failure_rate": 0.0}


def test_f1_is_harmonic_mean_and_zero_when_undefined():
    p, r, f1 = precision_recall_f1(1, 4, 2)
    assert (p, r) == (25.0, 50.0)
    assert f1 == pytest.approx(2 * 25 * 50 / 75)
    assert precision_recall_f1(0, 0, 5) == (0.0, 0.0, 0.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="one shape"):
        tally([[1, 0]], [[1, 0, 0]], [[1, 1]])


def test_unannotated_texts_count_for_accuracy_only():
    pred = [[1, 1], [1, 0]]
    gold = [[1, 0], [0, 0]]
    m = rationale_metrics(pred, gold, [[1, 1], [1, 1]], labels=[1, 0], predicted_labels=[1, 1],
                          annotated=[1, 0])
    assert m["P"] == 50.0 and m["S"] == 100.0 and m["acc"] == 50.0


def test_plmr_code_counts_sep_selections_and_specials_in_s():
    from ratlib.metrics import plmr_code_tally, summarize, tally

    # [CLS] a b [SEP] pad: the selector kept "a" and [SEP]; the gold rationale is "a".
    kept, gold = [[0, 1, 0, 1, 0]], [[0, 1, 0, 0, 0]]
    attention, selectable = [[1, 1, 1, 1, 0]], [[0, 1, 1, 0, 0]]
    theirs = summarize(plmr_code_tally(kept, gold, attention))
    assert (theirs["S"], theirs["P"], theirs["R"]) == (50.0, 50.0, 100.0)   # 2 of 4 positions; [SEP] is a miss
    ours = summarize(tally(kept, gold, selectable))
    assert (ours["S"], ours["P"], ours["R"]) == (50.0, 100.0, 100.0)        # 1 of the 2 word pieces

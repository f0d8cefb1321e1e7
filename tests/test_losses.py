"""The objectives' terms on hand-made masks, with values worked out by hand."""
import math

import pytest
import torch

from ratlib.methods.losses import (continuity_loss, norm_loss, plmr_classification_loss, plmr_continuity_loss,
                                   plmr_levels, plmr_sparsity_loss, representation_norm, selection_rate,
                                   sparsity_loss)


def test_plmr_levels_match_the_paper_values():
    assert [round(v, 3) for v in plmr_levels(0.2, 2)] == [0.678, 0.200]
    assert [round(v, 3) for v in plmr_levels(0.2, 4)] == [0.852, 0.678, 0.467, 0.200]


def test_plmr_levels_end_exactly_at_alpha_and_fall():
    for alpha in (0.1, 0.2, 0.35):
        for k in (1, 2, 3, 6):
            levels = plmr_levels(alpha, k)
            assert len(levels) == k
            assert levels[-1] == pytest.approx(alpha, abs=1e-12)
            assert all(a > b for a, b in zip(levels, levels[1:]))
            assert levels[0] <= 1.0


def test_plmr_levels_reject_no_layers():
    with pytest.raises(ValueError, match="at least one"):
        plmr_levels(0.2, 0)


def test_sparsity_is_one_ratio_over_the_batch_not_a_mean_of_ratios():
    mask = torch.tensor([[1., 1., 1., 0.], [1., 0., 0., 0.]])
    valid = torch.tensor([[1., 1., 1., 1.], [1., 1., 0., 0.]])
    # 4 selected of 6 valid tokens (a mean of per-text ratios would give 0.625)
    assert selection_rate(mask, valid).item() == pytest.approx(4 / 6)
    assert sparsity_loss(mask, valid, 0.2).item() == pytest.approx(4 / 6 - 0.2)
    assert sparsity_loss(mask, valid, 0.9).item() == pytest.approx(0.9 - 4 / 6)


def test_sparsity_ignores_selections_outside_valid_positions():
    mask = torch.tensor([[1., 1., 1., 1.]])
    valid = torch.tensor([[1., 1., 0., 0.]])
    assert sparsity_loss(mask, valid, 0.5).item() == pytest.approx(0.5)


def test_continuity_counts_changes_over_all_positions():
    mask = torch.tensor([[1., 1., 0., 0.], [0., 1., 0., 1.]])
    # changes: row 1 -> 1 of 3, row 2 -> 3 of 3
    assert continuity_loss(mask).item() == pytest.approx(4 / 6)
    assert continuity_loss(torch.ones(2, 5)).item() == 0.0


def test_plmr_sparsity_drops_cls_and_divides_by_all_real_positions():
    attention = torch.tensor([[1., 1., 1., 1., 1.], [1., 1., 1., 0., 0.]])  # 8 real positions
    m1 = torch.tensor([[1., 1., 1., 1., 0.], [1., 1., 0., 0., 0.]])      # 4 kept besides [CLS]
    m2 = torch.tensor([[1., 0., 1., 0., 0.], [1., 0., 0., 0., 0.]])      # 1 kept besides [CLS]
    levels = [0.6, 0.2]
    expected = abs(4 / 8 - 0.6) + abs(1 / 8 - 0.2)
    assert plmr_sparsity_loss([m1, m2], attention, levels).item() == pytest.approx(expected)
    with pytest.raises(ValueError):
        plmr_sparsity_loss([m1], attention, levels)


def test_continuity_window_matches_the_official_fixed_width_mean():
    """The official GRU code pads each batch to 256 positions and averages |Z_t - Z_t-1| over all of them."""
    g = torch.Generator().manual_seed(4)
    mask = (torch.rand(3, 17, generator=g) > 0.5).float()
    mask[0, 12:] = 0                                  # a shorter text inside the batch
    official = torch.zeros(3, 256)
    official[:, :17] = mask
    expected = torch.mean(torch.abs(official[:, 1:] - official[:, :-1]))
    assert continuity_loss(mask, window=256).item() == pytest.approx(expected.item(), rel=1e-6)
    assert continuity_loss(mask, window=17).item() == pytest.approx(continuity_loss(mask).item(), rel=1e-6)
    # A 100-token batch weighs continuity 99/255 of its own-width mean.
    wide = (torch.rand(2, 100, generator=g) > 0.5).float()
    wide[:, -1] = 0
    assert continuity_loss(wide, 256).item() == pytest.approx(continuity_loss(wide).item() * 99 / 255, rel=1e-6)
    with pytest.raises(ValueError, match="continuity_window = 8"):
        continuity_loss(mask, window=8)


def test_plmr_continuity_drops_cls_column():
    m1 = torch.tensor([[1., 0., 0., 1.]])  # without [CLS]: 0 0 1 -> 1 change of 2
    m2 = torch.tensor([[1., 1., 0., 1.]])  # without [CLS]: 1 0 1 -> 2 changes of 2
    assert plmr_continuity_loss([m1, m2]).item() == pytest.approx(0.5 + 1.0)


def test_plmr_classification_total_is_two_lr_plus_lfull_with_official_defaults():
    lr, lf = torch.tensor(0.7), torch.tensor(0.4)
    total = plmr_classification_loss(lr, lf, cls_lambda=1.0, full_text_lambda=2.0, d_lambda=1.0)
    assert total.item() == pytest.approx(2 * 0.7 + 0.4)
    assert plmr_classification_loss(lr, None, cls_lambda=0.5, full_text_lambda=2.0,
                                     d_lambda=1.0).item() == pytest.approx(0.35)


def test_norm_loss_is_minus_mean_log_norm():
    pooled = torch.tensor([[3., 4.], [0., 0.]])
    assert representation_norm(pooled).tolist() == [5.0, 0.0]
    expected = -(math.log(1e-6 + 5.0) + math.log(1e-6)) / 2
    assert norm_loss(pooled).item() == pytest.approx(expected, rel=1e-6)


def test_norm_loss_falls_as_the_norm_grows():
    small, large = torch.full((2, 4), 0.5), torch.full((2, 4), 2.0)
    assert norm_loss(large).item() < norm_loss(small).item()

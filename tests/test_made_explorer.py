"""The MADE mask explorer: driven by setting its controls, as a student would; what it draws is
the model's own connectivity, strictly lower-triangular in the generation order."""

import numpy as np
import pytest
import torch

from armini import checks
from armini.models import MADE
from armini.widgets import MadeMasks, draw_made, made_explorer, made_masks_report, parse_hidden


def expected_model(n_dims, hidden, ordering, seed):
    """The MADE the explorer should show, built independently of it."""
    order = {
        "natural": list(range(n_dims)),
        "reversed": list(range(n_dims))[::-1],
        "random": torch.randperm(n_dims, generator=torch.Generator().manual_seed(seed)).tolist(),
    }[ordering]
    return MADE(n_dims, hidden, order=order, seed=seed)


def drawn(figure, title):
    """The array of the heatmap whose title starts with `title`."""
    axes = [ax for ax in figure.axes if ax.get_title().startswith(title)]
    assert len(axes) == 1, [ax.get_title() for ax in figure.axes]
    return torch.as_tensor(np.asarray(axes[0].images[0].get_array()), dtype=torch.float32)


SETTINGS = [
    (6, "8, 8", "natural", 0),
    (6, "8, 8", "random", 0),
    (5, "3", "reversed", 2),
    (10, "32, 16, 12", "random", 7),
    (2, "1", "natural", 1),
]


def test_explorer_draws_the_models_connectivity_when_controls_change():
    explorer = made_explorer()
    for n_dims, hidden, ordering, seed in SETTINGS:
        explorer.d_slider.value = n_dims
        explorer.hidden_box.value = hidden
        explorer.ordering_menu.value = ordering
        explorer.seed_box.value = seed
        report = explorer.report
        model = expected_model(n_dims, parse_hidden(hidden), ordering, seed)
        paths = model.connectivity()
        assert report.order == model.order.tolist()
        assert torch.equal(report.connectivity, paths)
        for mine, theirs in zip(report.masks, model.masks(), strict=True):
            assert torch.equal(mine, theirs)
        assert len(report.figure.axes) >= len(model.masks()) + 1
        title = "connectivity\n(variable index"
        assert torch.equal(drawn(report.figure, title), paths)
        in_order = checks.in_order(model, paths)
        if ordering != "natural":
            assert torch.equal(drawn(report.figure, "connectivity\n(generation order"), in_order)
        assert torch.equal(report.connectivity_in_order, in_order)
        assert report.strictly_lower and not torch.triu(in_order).any()
        assert torch.tril(in_order, -1).any() or n_dims == 2  # not trivially empty


def test_drawn_masks_multiply_to_the_connectivity_sorted_or_not():
    report = made_masks_report(7, "9, 6", "random", seed=3)
    for sort in (False, True):
        fig = draw_made(report.degrees, report.masks, report.order, sort=sort)
        masks = [drawn(fig, f"mask $M^{{W_{k}}}$") for k in (1, 2)] + [drawn(fig, "mask $M^V$")]
        product = masks[2] @ masks[1] @ masks[0]
        if not sort:
            assert all(torch.equal(a, b) for a, b in zip(masks, report.masks, strict=True))
            assert torch.equal(product, report.connectivity)
        else:  # units listed by degree: inputs and outputs in the generation order
            assert torch.equal(product, report.connectivity_in_order)
            first = masks[0]  # a staircase: each row reads a prefix of the inputs
            assert torch.equal(first, torch.sort(first, dim=1, descending=True).values)


def test_draw_is_a_plain_method(capsys):
    explorer = made_explorer(n_dims=4, hidden="5", ordering="reversed", seed=1)
    capsys.readouterr()
    report = explorer.draw()
    out = capsys.readouterr().out
    assert "order: x₄ → x₃ → x₂ → x₁" in out
    assert "input degrees m(x_d), the step of x_d in the order: x₁:4, x₂:3, x₃:2, x₄:1" in out
    assert "connectivity strictly lower-triangular in the order: yes" in out
    assert report is explorer.report and report.n_dims == 4


def test_a_connectivity_that_reads_ahead_is_reported():
    """The check can fail: an unmasked (autoencoder-like) network reads every input."""
    report = made_masks_report(4, "6", "random", seed=0)
    dense = [torch.ones_like(m) for m in report.masks]
    broken = MadeMasks(report.order, report.degrees, dense, dense[1] @ dense[0])
    assert not broken.strictly_lower
    assert "NO: not autoregressive" in str(broken)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="layer sizes"):
        made_explorer(hidden="8, x")
    with pytest.raises(ValueError, match="layer sizes"):
        made_explorer(hidden="0")
    with pytest.raises(ValueError, match="from 2 to 10"):
        made_explorer(n_dims=11)
    with pytest.raises(ValueError, match="ordering must be"):
        made_explorer(ordering="raster")
    explorer = made_explorer()
    before = explorer.report
    explorer.hidden_box.value = "eight"  # a student's typo: the message, not a traceback
    assert explorer.report is before
    assert parse_hidden("16,8") == [16, 8] and parse_hidden((4,)) == [4]

"""The receptive-field explorer: driven by setting its controls, as a student would; what it
draws is the model's own dependency matrix: for the plain PixelCNN the masks' geometry, blind
spot included, and for the gated PixelCNN every earlier pixel once it is deep enough."""

import numpy as np
import pytest
import torch

from armini.models.pixelcnn import receptive_field
from armini.widgets import (
    ReceptiveField,
    draw_receptive_field,
    receptive_field_explorer,
    receptive_field_report,
)
from armini.widgets.receptive_field import LATER, PIXEL, SEEN, UNREAD


def earlier_than(pixel, size):
    """(size, size) 1 before `pixel` in raster order, built independently of the module."""
    out = torch.zeros(size, size)
    out[: pixel[0]] = 1
    out[pixel[0], : pixel[1]] = 1
    return out


def drawn(figure):
    """The one image of the figure: its array (a class per pixel) and its RGBA colours."""
    (ax,) = figure.axes
    (image,) = ax.images
    array = torch.as_tensor(np.asarray(image.get_array()))
    return array, image.to_rgba(np.asarray(image.get_array()))


def check_drawing(report):
    """The picture shows the report: the pixel, the pixels read, the blind spot, the rest."""
    array, rgba = drawn(report.figure)
    expected = torch.full(report.seen.shape, LATER)
    expected[report.unread.bool()] = UNREAD
    expected[report.seen.bool()] = SEEN
    expected[report.pixel] = PIXEL
    assert torch.equal(array.long(), expected)
    legend = report.figure.axes[0].get_legend()
    colours = {
        text.get_text(): tuple(patch.get_facecolor())
        for text, patch in zip(legend.get_texts(), legend.get_patches(), strict=True)
    }
    labels = {
        PIXEL: "the pixel",
        SEEN: f"read: {report.n_seen} of {report.n_earlier} earlier",
        UNREAD: f"earlier, not read: {report.n_unread}",
        LATER: "not before it",
    }
    for value, label in labels.items():
        where = (expected == value).numpy()
        (colour,) = [c for text, c in colours.items() if text.startswith(label)]
        if where.any():
            assert np.allclose(rgba[where], colour), label
    assert len(set(colours.values())) == 4  # four colours, one per kind of pixel
    red, _, blue, _ = np.moveaxis(rgba, -1, 0)
    assert (red[expected == UNREAD] > blue[expected == UNREAD]).all()  # light red
    assert (blue[expected == SEEN] > red[expected == SEEN]).all()  # blue
    assert (rgba[expected == PIXEL][:, :3] == 0).all() and (rgba[expected == LATER] == 1).all()


SETTINGS = [  # model kind, kernel size, layers, row, column
    ("plain", 3, 3, 5, 5),
    ("plain", 5, 2, 5, 5),
    ("gated", 5, 2, 5, 5),
    ("gated", 5, 2, 9, 1),
    ("plain", 7, 1, 9, 1),
    ("plain", 3, 1, 0, 0),
]


def test_driving_the_controls_changes_the_report_and_the_figure():
    explorer = receptive_field_explorer()
    previous = None
    for kind, k, L, row, column in SETTINGS:
        explorer.kind_buttons.value = kind
        explorer.kernel_buttons.value = k
        explorer.layers_slider.value = L
        explorer.row_slider.value = row + 1  # the sliders count from 1
        explorer.column_slider.value = column + 1
        report = explorer.report
        assert (report.model_kind, report.kernel_size, report.n_layers) == (kind, k, L)
        assert report.pixel == (row, column) and report.first_kernel_size == k
        assert torch.equal(report.earlier, earlier_than((row, column), 10))
        assert torch.equal(report.seen, receptive_field_report(kind, k, L, (row, column)).seen)
        if kind == "plain":
            geometry = receptive_field((10, 10), [k] * L, (row, column))  # the A layer too
            assert torch.equal(report.seen, geometry)
        assert report.n_leaks == 0
        check_drawing(report)
        if previous is not None:  # every step changes what is seen, or where
            assert not torch.equal(drawn(report.figure)[0], drawn(previous.figure)[0])
        previous = report


@pytest.mark.parametrize(
    "k, first, L, pixel",
    [
        (3, None, 3, (5, 5)),
        (3, 5, 3, (7, 4)),
        (5, 3, 5, (6, 4)),
        (7, None, 3, (9, 3)),
        (7, None, 8, (5, 5)),
        (3, None, 8, (8, 2)),
    ],
)
def test_plain_seen_is_the_masks_geometry_with_a_unread(k, first, L, pixel):
    report = receptive_field_report("plain", k, L, pixel, first_kernel_size=first)
    first = k if first is None else first
    kernels = [first] + [k] * (L - 1)  # the type-A layer, then the type-B ones
    assert torch.equal(report.seen, receptive_field((10, 10), kernels, pixel))
    assert report.n_unread > 0 and report.n_seen + report.n_unread == report.n_earlier
    assert torch.equal(report.unread, report.earlier * (1 - report.seen))
    row, column = pixel
    assert report.unread[row - 1, -1] == 1  # up and to the right: the blind spot
    assert report.seen[row, column - 1] == 1 and report.seen[row - 1, column] == 1


def test_three_layers_of_3x3_leave_a_unread_up_and_to_the_right():
    report = receptive_field_report("plain", 3, 3, (5, 5))  # a type-A layer, two type-B
    assert report.seen[:2].sum() == 0 and report.seen[2, 2:9].sum() == 7  # 3 rows up
    assert (report.n_earlier, report.n_seen, report.n_unread) == (55, 21, 34)
    assert report.unread[4, 7:].tolist() == [1, 1, 1] and report.unread[4, 6] == 0
    assert "reads 21 of its 55 earlier pixels; 34 earlier pixels are not read" in str(report)


def test_a_deep_enough_gated_model_sees_every_earlier_pixel():
    for row in range(6):
        for column in range(6):
            gated = receptive_field_report("gated", 3, 6, (row, column), image_size=6)
            assert gated.n_unread == 0 and gated.n_leaks == 0
            assert torch.equal(gated.seen, earlier_than((row, column), 6))
    plain = receptive_field_report("plain", 3, 6, (3, 2), image_size=6)
    assert plain.n_unread > 0  # the same depth without the two stacks: a blind spot
    shallow = receptive_field_report("gated", 3, 2, (5, 5), image_size=6)
    assert shallow.n_unread > 0  # too shallow to reach the top-left corner
    assert shallow.unread[0, 0] == 1


def test_draw_is_a_plain_method(capsys):
    explorer = receptive_field_explorer("gated", 5, 2, (3, 4), image_size=8, first_kernel_size=7)
    capsys.readouterr()
    report = explorer.draw()
    out = capsys.readouterr().out
    assert "gated PixelCNN: 2 gated layers, 5×5 (first 7×7): the pixel at row 4, column 5" in out
    assert f"reads {report.n_seen} of its 28 earlier pixels" in out
    assert report is explorer.report and report.first_kernel_size == 7
    assert explorer.row_slider.max == 8 and explorer.column_slider.max == 8
    check_drawing(report)


def test_a_model_that_reads_ahead_is_drawn_and_reported():
    """The checks can fail: a report whose model reads the pixel to the right of its own."""
    report = receptive_field_report("plain", 3, 2, (4, 4), image_size=6)
    seen = report.seen.clone()
    seen[4, 5] = 1
    broken = ReceptiveField("plain", 3, 3, 2, (4, 4), seen, report.earlier)
    assert broken.n_leaks == 1 and "NOT autoregressive" in str(broken)
    broken.figure = draw_receptive_field(broken)
    check_drawing(broken)
    assert drawn(broken.figure)[0][4, 5] == SEEN
    assert "(1 read!)" in [t.get_text() for t in broken.figure.axes[0].get_legend().get_texts()][3]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="model_kind must be one of 'plain', 'gated'"):
        receptive_field_report("pixelcnn")
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        receptive_field_report(kernel_size=4)
    with pytest.raises(TypeError, match="kernel_size must be an int"):
        receptive_field_report(kernel_size=3.0)
    with pytest.raises(ValueError, match="first_kernel_size must be odd"):
        receptive_field_report(first_kernel_size=2)
    with pytest.raises(ValueError, match="n_layers must be an int from 1 to 16, got 0"):
        receptive_field_report(n_layers=0)
    with pytest.raises(ValueError, match=r"pixel \(10, 0\) is outside the 10×10 image"):
        receptive_field_report(pixel=(10, 0))
    with pytest.raises(ValueError, match="outside the 6×6 image"):
        receptive_field_report(pixel=(2, -1), image_size=6)
    with pytest.raises(TypeError, match=r"pixel must be \(row, column\)"):
        receptive_field_report(pixel=5)
    with pytest.raises(ValueError, match="image_size"):
        receptive_field_report(image_size=1)
    with pytest.raises(ValueError, match="kernel_size must be 3, 5 or 7 in the explorer"):
        receptive_field_explorer(kernel_size=9)
    with pytest.raises(ValueError, match="n_layers must be an int from 1 to 9"):
        receptive_field_explorer(n_layers=10)
    with pytest.raises(ValueError, match="outside the 5×5 image"):
        receptive_field_explorer(pixel=(5, 5), image_size=5)


def test_on_10x10_the_gated_3x3_model_needs_9_layers_to_reach_every_earlier_pixel():
    """No blind spot is not an unlimited receptive field: with 3×3 kernels each layer reaches
    one pixel further left (and, in the rows above, right); the last pixel of a row needs the
    first, 9 to its left, and the first pixel of a row the end of the row above."""
    pixels = [(row, column) for row in range(10) for column in range(10)]
    eight = {p: receptive_field_report("gated", 3, 8, p) for p in pixels}
    short = {p: torch.nonzero(r.unread).tolist() for p, r in eight.items() if r.n_unread}
    assert short[(0, 9)] == [[0, 0]] and short[(1, 0)] == [[0, 9]]
    assert all(column in (0, 9) for _, column in short)  # only the pixels at the edges
    assert all(receptive_field_report("gated", 3, 9, p).n_unread == 0 for p in pixels)

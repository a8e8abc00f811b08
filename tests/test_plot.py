"""Shared figures."""

import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import armini
from armini import data

matplotlib.use("Agg")

GAP, UNKNOWN = (0.85, 0.85, 0.85), (0.95, 0.6, 0.6)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_completion_grid_lays_out_given_samples_and_truth():
    truth = data.digits().test[:3]
    given = truth.clone()
    given[:, 32:] = float("nan")
    samples = truth[:, None].repeat(1, 2, 1)
    ax = armini.plot.completion_grid(given, samples, truth)
    assert [t.get_text() for t in ax.texts] == ["given", "sample 1", "sample 2", "truth"]
    assert ax.images[0].get_array().shape == (3 * 9 - 1, 4 * 9 - 1)
    with pytest.raises(ValueError, match="one row of completions"):
        armini.plot.completion_grid(given[:2], samples)


def colour_images(n=3, H=2, W=3):
    """(n, 3, H, W) with every value distinct, in [0, 3]."""
    return (
        torch.arange(n * 3 * H * W, dtype=torch.float32).reshape(n, 3, H, W)
        / (n * 3 * H * W - 1)
        * 3
    )


def test_colour_grid_draws_each_image_as_rgb_scaled_by_vmax(caplog):
    x = colour_images()  # (3, 3, 2, 3): non-square, so a swapped H and W shows
    ax = armini.plot.image_grid(x.reshape(3, -1), (3, 2, 3), ncols=2, vmax=3)
    assert len(ax.images) == 1
    rgb = np.asarray(ax.images[0].get_array())
    assert rgb.shape == (2 * 3 - 1, 2 * 4 - 1, 3)
    expected = x.permute(0, 2, 3, 1).numpy() / 3  # (N, H, W, 3) in [0, 1]
    np.testing.assert_allclose(rgb[0:2, 0:3], expected[0])
    np.testing.assert_allclose(rgb[0:2, 4:7], expected[1])
    np.testing.assert_allclose(rgb[3:5, 0:3], expected[2])
    np.testing.assert_allclose(rgb[2], np.tile(GAP, (7, 1)))  # gap row
    np.testing.assert_allclose(rgb[:, 3], np.tile(GAP, (5, 1)))  # gap column
    np.testing.assert_allclose(rgb[3:5, 4:7], np.tile(GAP, (2, 3, 1)))  # no fourth image
    # (N, 3, H, W) draws the same; the default vmax is the largest value (here 3)
    again = armini.plot.image_grid(x, (3, 2, 3), ncols=2).images[0].get_array()
    np.testing.assert_array_equal(np.asarray(again), rgb)
    # values above vmax saturate; below 1 the default scale stays 1
    top = np.asarray(armini.plot.image_grid(x, (3, 2, 3), vmax=1.5).images[0].get_array())
    assert "Clipping" not in caplog.text  # armini clips, not matplotlib with a logged warning
    assert top.max() == 1.0 and (top == 1.0).sum() > 0
    dim = np.asarray(armini.plot.image_grid(x / 6, (3, 2, 3)).images[0].get_array())
    np.testing.assert_allclose(dim[0:2, 0:3], expected[0] / 2)


def test_colour_grid_draws_a_pixel_unknown_in_any_channel_light_red():
    x = colour_images(n=2)
    x[0, 1, 1, 2] = float("nan")  # green of pixel (1, 2) of image 0
    x[1, :, 0, 0] = float("nan")  # every channel of pixel (0, 0) of image 1
    x[1, 0, 1, 1], x[1, 2, 1, 1] = 100.0, float("nan")  # red of an unknown pixel: no scale
    rgb = np.asarray(armini.plot.image_grid(x, (3, 2, 3)).images[0].get_array())
    image0, image1 = rgb[:, 0:3], rgb[:, 4:7]
    np.testing.assert_allclose(image0[1, 2], UNKNOWN)
    np.testing.assert_allclose(image1[0, 0], UNKNOWN)
    np.testing.assert_allclose(image1[1, 1], UNKNOWN)
    known = x[0].permute(1, 2, 0).numpy() / 3  # 3: the largest value of a known pixel
    np.testing.assert_allclose(image0[0], known[0])  # the other pixels keep their colour
    assert not np.isnan(rgb).any()


def test_grey_grid_is_unchanged_and_one_channel_means_grey():
    x = torch.tensor([[0.0, 1.0, 2.0, 3.0, 0.0, 1.0], [3.0, 2.0, 1.0, 0.0, 3.0, float("nan")]])
    ax = armini.plot.image_grid(x, (2, 3), vmax=3)
    assert len(ax.images) == 2  # values through the colour map, then the gap/unknown overlay
    values, overlay = (np.asarray(im.get_array()) for im in ax.images)
    assert values.shape == (2, 7) and overlay.shape == (2, 7, 4)
    np.testing.assert_array_equal(values[:, :3], x[0].reshape(2, 3))
    np.testing.assert_array_equal(values[:, 3], 0)
    np.testing.assert_array_equal(values[1, 6], 0)  # the unknown pixel is drawn as 0 …
    np.testing.assert_allclose(overlay[1, 6], (*UNKNOWN, 1))  # … under light red
    np.testing.assert_allclose(overlay[:, 3], [(*GAP, 1)] * 2)
    assert overlay[0, 0, 3] == 0 and ax.images[0].get_cmap().name == "gray_r"
    assert ax.images[0].get_clim() == (0, 3)
    for shape, images in (((1, 2, 3), x), ((1, 2, 3), x.reshape(2, 1, 2, 3))):
        same = armini.plot.image_grid(images, shape, vmax=3)
        for a, b in zip(same.images, ax.images, strict=True):
            np.testing.assert_array_equal(np.asarray(a.get_array()), np.asarray(b.get_array()))


def test_colour_completion_grid_keeps_its_labels():
    d = data.colour_patches()
    truth = d.test[:2]
    given = truth.clone().reshape(2, 3, 8, 8)
    given[:, :, 4:] = float("nan")
    samples = truth[:, None].repeat(1, 3, 1)
    ax = armini.plot.completion_grid(given.reshape(2, -1), samples, truth, d.image_shape, vmax=6)
    assert [t.get_text() for t in ax.texts] == [
        "given",
        *[f"sample {k}" for k in (1, 2, 3)],
        "truth",
    ]
    assert [t.get_position()[0] for t in ax.texts] == [3.5 + 9 * c for c in range(5)]
    rgb = np.asarray(ax.images[0].get_array())
    assert rgb.shape == (2 * 9 - 1, 5 * 9 - 1, 3)
    np.testing.assert_allclose(rgb[4:8, 0:8], np.tile(UNKNOWN, (4, 8, 1)))
    np.testing.assert_allclose(rgb[0:8, 9:17], truth[0].reshape(3, 8, 8).permute(1, 2, 0) / 6)
    with pytest.raises(ValueError, match=r"do not hold 3×8×8 images: expected \(N, 192\)"):
        armini.plot.completion_grid(given[:, 0].reshape(2, -1), samples, image_shape=(3, 8, 8))


def test_bad_image_shape_names_the_expected_forms():
    expected = r"image_shape must be \(H, W\) or \(C, H, W\) with C = 1 \(grey\) or 3 \(RGB\)"
    x = torch.zeros(2, 3 * 64)
    for bad in ((8,), (3, 8, 8, 1), 8):
        with pytest.raises(ValueError, match=f"{expected}.*got {re.escape(repr(bad))}$"):
            armini.plot.image_grid(x, bad)
    with pytest.raises(ValueError, match=rf"{expected}.*got \(2, 8, 8\) \(2 channels\)"):
        armini.plot.image_grid(x, (2, 8, 8))
    with pytest.raises(ValueError, match=rf"{expected}.*got \(4, 8, 8\)"):
        armini.plot.completion_grid(x, x[:, None], image_shape=(4, 8, 8))
    with pytest.raises(ValueError, match=r"do not hold 3×8×8 colour pictures.*\(N, 192\)"):
        armini.plot.image_grid(torch.zeros(2, 64), (3, 8, 8))
    with pytest.raises(ValueError, match="vmax must be a finite number > 0, got 0"):
        armini.plot.image_grid(x, (3, 8, 8), vmax=0)


def _rows():
    names = ["FVSBN", "NADE (d=32)", "MADE (256)", "PixelCNN (32 maps, 5 layers)"]
    nlls, params = [18.2, 17.3, 17.4, 18.3], [2080, 4192, 16704, 22113]
    return [
        {"name": n, "test_nll": y, "test_nll_sd": 0.1, "parameters": p, "train_s": 1.0 + k}
        | {"sample_ms": 10.0 * (k + 1), "runs": [{"test_nll": y - 0.1}, {"test_nll": y + 0.1}]}
        for k, (n, y, p) in enumerate(zip(names, nlls, params, strict=True))
    ]


def test_leaderboard_draws_the_front_black_and_the_rest_grey():
    ax = armini.plot.leaderboard(_rows(), "parameters")
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours == {"FVSBN": "black", "NADE": "black", "MADE": "0.6", "PixelCNN": "0.6"}
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "parameters"
    boxes = [t.get_window_extent(ax.figure.canvas.get_renderer()) for t in ax.texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    with pytest.raises(ValueError, match="x must be one of"):
        armini.plot.leaderboard(_rows(), "epochs")
    with pytest.raises(TypeError, match="non-empty list of leaderboard rows"):
        armini.plot.leaderboard([])


def test_ranking_puts_the_best_row_on_top():
    ax = armini.plot.ranking(_rows())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "NADE (d=32)" and labels[0] == "PixelCNN (32 maps, 5 layers)"


def test_sample_panels_draws_one_grid_per_model():
    panels = {"a": torch.zeros(16, 64), "b": torch.ones(8, 64), "c": torch.zeros(4, 64)}
    fig = armini.plot.sample_panels(panels, (8, 8), ncols=2)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == ["a", "b", "c"] and len(fig.axes) == 4  # the fourth is blank
    with pytest.raises(TypeError, match="non-empty dict"):
        armini.plot.sample_panels({})


def test_attention_maps_label_every_layer_and_head_on_one_scale():
    weights = torch.softmax(torch.randn(2, 3, 4, 5), dim=-1)
    fig = armini.plot.attention_maps(weights, list("abcd"), list("vwxyz"))
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == [
        f"layer {layer}, head {head}" for layer in (1, 2) for head in (1, 2, 3)
    ]
    assert all(ax.images[0].get_clim() == (0, 1) for ax in panels)
    assert [t.get_text() for t in panels[0].get_xticklabels()] == list("vwxyz")
    assert len(fig.axes) == 7  # six panels and one shared colour bar
    with pytest.raises(ValueError, match="rows and columns must label the 4 × 5 weights"):
        armini.plot.attention_maps(weights, list("abc"), list("vwxyz"))
    with pytest.raises(ValueError, match=r"weights must be \(layers, heads, T, S\)"):
        armini.plot.attention_maps(weights[0], list("abcd"), list("vwxyz"))

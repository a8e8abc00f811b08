"""PixelCNN and the gated PixelCNN: the masks are the notes' picture; every configuration is
autoregressive, normalised and samples correctly; the plain model's receptive field is exactly
the masks' geometry, blind spot included, and the gated model has none; a type-A mask
replaced by type B (or a vertical stack not shifted) fails the checks."""

import pytest
import torch
from conftest import randomised

import armini
from armini import checks
from armini.models import GatedPixelCNN, PixelCNN, conv_mask, receptive_field
from armini.models import pixelcnn as pixelcnn_module
from armini.models.pixelcnn import MaskedConv2d, horizontal_mask, image_order, vertical_mask

MODELS = {"plain": PixelCNN, "gated": GatedPixelCNN}
CONFIGS = {  # image_shape, head, n_hidden
    "binary 3×3": ((3, 3), None, 4),
    "binary colour 2×2×3": ((3, 2, 2), None, 6),
    "two levels colour 2×2×3": ((3, 2, 2), armini.Categorical(2), 6),
    "three levels 2×3": ((2, 3), armini.Categorical(3), 4),
}


def small(kind, image_shape, head=None, n_hidden=4, n_layers=2, seed=0):
    model = MODELS[kind](image_shape, head, n_hidden, n_layers, 3, 3)
    return randomised(model, seed)


# -- the masks ---------------------------------------------------------------------------------


def test_type_a_and_b_masks_are_the_notes_picture():
    a, b = conv_mask(5, "A")[0, 0], conv_mask(5, "B")[0, 0]
    expected = torch.tensor(
        [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    ).float()  # grey: may be read; the centre (black) and after it (white): masked
    assert torch.equal(a, expected)
    expected[2, 2] = 1  # type B: the centre too
    assert torch.equal(b, expected)
    assert conv_mask(3, "A", 4, 6).shape == (6, 4, 3, 3)


def test_colour_masks_let_a_channel_read_earlier_colours_of_its_own_pixel():
    a = conv_mask(3, "A", 3, 6, n_colours=3)[:, :, 1, 1]  # the centre: (out, in)
    b = conv_mask(3, "B", 3, 6, n_colours=3)[:, :, 1, 1]
    colour_out = torch.arange(6) % 3
    for o in range(6):
        assert a[o].tolist() == [float(c < colour_out[o]) for c in range(3)]  # R: none; B: R, G
        assert b[o].tolist() == [float(c <= colour_out[o]) for c in range(3)]
    assert conv_mask(3, "A", 3, 6, 3)[:, :, 0].eq(1).all()  # the rows above: every colour


def test_gated_stack_masks():
    assert vertical_mask(5).shape == (1, 1, 3, 5) and vertical_mask(5).eq(1).all()
    assert horizontal_mask(5, "A")[0, 0].tolist() == [[1, 1, 0]]
    assert horizontal_mask(5, "B")[0, 0].tolist() == [[1, 1, 1]]


def test_mask_arguments():
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        conv_mask(4, "A")
    with pytest.raises(ValueError, match="mask_type"):
        conv_mask(3, "C")
    with pytest.raises(ValueError, match="padding"):
        MaskedConv2d(torch.ones(1, 1, 2, 3))
    with pytest.raises(ValueError, match="left \\+ right"):
        MaskedConv2d(torch.ones(1, 1, 1, 3), (1, 0, 0, 0))


def test_the_order_is_pixel_by_pixel_then_colour():
    assert image_order(3, 1, 2).tolist() == [0, 2, 4, 1, 3, 5]  # R0 G0 B0 R1 G1 B1, (C, H, W)
    assert PixelCNN((2, 3)).order.tolist() == list(range(6))


# -- the checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_configuration_is_autoregressive_normalised_and_samples_match(kind, config):
    image_shape, head, n_hidden = CONFIGS[config]
    model = small(kind, image_shape, head, n_hidden)
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    checks.assert_samples_match(model, n_samples=30000)


@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_a_type_a_mask_replaced_by_type_b_fails_the_checks(kind, colour):
    image_shape, n_hidden = ((3, 2, 2), 6) if colour else ((3, 3), 4)
    model = small(kind, image_shape, None, n_hidden)
    first = model.first if kind == "plain" else model.layers[0].horizontal
    C = image_shape[0] if colour else 1
    mask = conv_mask(3, "B", C, first.out_channels, C)
    first.mask.copy_(mask if kind == "plain" else mask[:, :, 1:2, :2])
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)


def test_a_vertical_stack_read_without_the_shift_fails_the_checks(monkeypatch):
    model = small("gated", (3, 3))
    monkeypatch.setattr(pixelcnn_module, "down_shift", lambda v: v)
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)


# -- receptive field and blind spot ------------------------------------------------------------


@pytest.mark.parametrize("layers,first", [(1, 3), (4, 3), (3, 5)])
def test_the_plain_models_dependencies_are_the_masks_geometry(layers, first):
    model = randomised(PixelCNN((7, 7), None, 8, layers, 3, first))
    dep = checks.dependency_matrix(model)
    for i in range(7):
        for j in range(7):
            geometry = receptive_field((7, 7), [first] + [3] * (layers - 1), (i, j))
            assert torch.equal(dep[7 * i + j].reshape(7, 7), geometry), (i, j)


def blind_spot(dep, W):
    """Earlier pixels (raster order) that output `pixel` never reads, per pixel: (D,)."""
    earlier = torch.tril(torch.ones_like(dep), -1)
    return (earlier - dep).clamp(min=0).sum(1)


def test_the_plain_model_has_a_blind_spot_that_depth_does_not_close():
    counts = []
    for layers in (2, 4, 8):
        dep = checks.dependency_matrix(
            randomised(PixelCNN((8, 8), None, 4, layers, 3, 3)), n_examples=2
        )
        counts.append(int(blind_spot(dep, 8)[8 * 7 + 1]))  # the pixel at row 8, column 2
    assert all(c > 0 for c in counts)  # up and to the right of it: never seen
    # seen from geometry: the far right of the row above is out of reach however deep
    far = receptive_field((8, 8), [3] * 9, (7, 1)).reshape(-1)
    assert far[8 * 6 + 7] == 0 and far[8 * 6 + 2] == 1


def test_the_gated_model_sees_every_earlier_pixel_once_deep_enough():
    model = randomised(GatedPixelCNN((6, 6), None, 4, 6, 3, 3))
    dep = checks.dependency_matrix(model, n_examples=2)
    assert torch.equal(dep, torch.tril(torch.ones(36, 36), -1))
    shallow = checks.dependency_matrix(
        randomised(GatedPixelCNN((6, 6), None, 4, 2, 3, 3)), n_examples=2
    )
    assert blind_spot(shallow, 6).sum() > 0  # two layers do not reach far enough yet


# -- the rest of the interface -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_save_and_load_give_the_same_log_prob(kind):
    a = small(kind, (3, 2, 2), armini.Categorical(2), 6, seed=1)
    b = MODELS[kind]((3, 2, 2), armini.Categorical(2), 6, 2, 3, 3).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randint(0, 2, (5, 12)).float()
    assert torch.allclose(a.log_prob(x), b.log_prob(x))


def test_masked_weights_are_not_counted():
    model = PixelCNN((8, 8), None, 4, 2, 3, 3)
    masked = 4 * 1 * 4 + 4 + 4 * 4 * 5 + 4 + 4 * 4 + 4 + 4 * 1 + 1  # A 3×3, B 3×3, 1×1, 1×1
    assert model.n_parameters() == masked
    assert model.n_parameters() < sum(p.numel() for p in model.parameters())


def test_hidden_features_and_training_on_digits():
    data = armini.data.digits()
    model = PixelCNN(data.image_shape, n_hidden=8, n_layers=2)
    before = armini.evaluate(model, data).nats
    armini.fit(model, data, epochs=2, lr=1e-2, progress=False)
    assert armini.evaluate(model, data).nats < before - 10
    assert model.hidden(data.test[:3]).shape == (3, 8, 8, 8)


def test_pixelcnn_arguments():
    with pytest.raises(ValueError, match="multiple of the 3 colour channels"):
        PixelCNN((3, 4, 4), n_hidden=8)
    with pytest.raises(ValueError, match="first_kernel_size must be odd"):
        GatedPixelCNN((4, 4), first_kernel_size=4)
    with pytest.raises(ValueError, match="image_shape must be"):
        PixelCNN(16)
    with pytest.raises(ValueError, match="outside"):
        receptive_field((4, 4), [3], (4, 0))
    assert "n_layers=5" in repr(PixelCNN((4, 4)))
    assert PixelCNN((4, 4)).n_hidden == 32 and GatedPixelCNN((3, 4, 4)).n_hidden == 48


def test_the_dependency_check_counts_a_tiny_real_dependency():
    """In a deep gated stack the first pixel of a row reaches the last one through 9 saturated
    gated layers: a change far below 1e-6 of the output, but a dependency all the same."""
    model = randomised(GatedPixelCNN((10, 10), None, 8, 9, 3, 3))
    x = checks._examples(model, 16, 0)
    assert checks.dependency_matrix(model, x)[79, 70] == 1  # row 8: column 10 reads column 1
    assert checks.dependency_matrix(model, x, tol=1e-6)[79, 70] == 0  # a tolerance misses it

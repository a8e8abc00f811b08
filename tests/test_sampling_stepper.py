"""The sampling stepper: driven by its buttons and slider, as a student would."""

import matplotlib.pyplot as plt
import pytest
import torch

import armini
from armini.models import FVSBN, NADE
from armini.widgets import sample_trajectory, sampling_stepper


@pytest.fixture
def model():
    torch.manual_seed(0)
    nade = NADE(16, 8, order=torch.randperm(16).tolist())
    with torch.no_grad():
        for p in nade.parameters():  # far from uniform, so the probabilities differ
            p.normal_(0, 1.5)
    return nade


def test_after_k_steps_exactly_k_pixels_are_filled(model):
    stepper = sampling_stepper(model, image_shape=(4, 4))
    order = model.order.tolist()
    assert stepper.report.step == 0 and torch.isnan(stepper.report.image).all()
    for k in range(1, 17):
        stepper.next_button.click()
        r = stepper.report
        filled = (~torch.isnan(r.image)).nonzero().flatten().tolist()
        assert r.step == k and sorted(filled) == sorted(order[:k])
        assert set(r.image[filled].tolist()) <= {0.0, 1.0}
        shown = (~torch.isnan(r.probs)).sum().item()
        assert shown == min(k + 1, 16)  # sampled pixels and the next one
    assert r.next_pixel is None
    stepper.next_button.click()  # past the end: nothing changes
    assert stepper.report.step == 16
    stepper.reset_button.click()
    assert stepper.report.step == 0


def test_shown_probabilities_are_the_models_conditionals(model):
    stepper = sampling_stepper(model, image_shape=(4, 4), seed=3)
    stepper.step_slider.value = 16
    x = stepper.report.image  # the complete sample
    with torch.no_grad():  # teacher forcing: conditional i reads only x_<i of the sample
        p = torch.sigmoid(model(x[None]))[0, :, 0]
    stepper.step_slider.value = 7
    r = stepper.report
    seen = r.order[:8]
    assert torch.allclose(r.probs[seen], p[seen], atol=1e-6)
    # the next pixel's probability, from a canvas holding only the 7 pixels sampled so far
    canvas = torch.nan_to_num(r.image, nan=0.0)
    with torch.no_grad():
        p_next = torch.sigmoid(model(canvas[None]))[0, r.next_pixel, 0]
    assert r.next_prob == pytest.approx(float(p_next), abs=1e-6)


def test_same_seed_same_sample_and_new_seed_restarts(model):
    x0, probs0 = sample_trajectory(model, seed=0)
    x1, _ = sample_trajectory(model, seed=0)
    assert torch.equal(x0, x1) and ((probs0 > 0) & (probs0 < 1)).all()
    stepper = sampling_stepper(model, image_shape=(4, 4), seed=0)
    stepper.step_slider.value = 10
    stepper.seed_button.click()
    assert stepper.seed_box.value == 1 and stepper.report.step == 0
    stepper.step_slider.value = 10
    stepper.seed_button.click()
    assert stepper.seed_box.value == 2 and stepper.report.step == 0
    x2, _ = sample_trajectory(model, seed=2)  # the trajectory was redrawn
    assert torch.equal(stepper.x, x2) and not torch.equal(x2, x0)
    stepper.seed_box.value = 0
    assert torch.equal(stepper.x, x0)


def test_trajectory_is_an_ancestral_sample():
    """Frequencies of x_1 and of x_2 given x_1 over many seeds match the model."""
    fvsbn = FVSBN(2)
    with torch.no_grad():
        fvsbn.linear.weight.copy_(torch.tensor([[0.0, 0.0], [3.0, 0.0]]))
        fvsbn.linear.bias.copy_(torch.tensor([0.5, -1.5]))
    xs = torch.stack([sample_trajectory(fvsbn, seed=s)[0] for s in range(3000)])
    p1 = torch.sigmoid(torch.tensor(0.5))
    assert xs[:, 0].mean() == pytest.approx(float(p1), abs=0.04)
    on = xs[:, 0] == 1
    assert xs[on, 1].mean() == pytest.approx(float(torch.sigmoid(torch.tensor(1.5))), abs=0.05)
    assert xs[~on, 1].mean() == pytest.approx(float(torch.sigmoid(torch.tensor(-1.5))), abs=0.05)


def test_draw_is_a_plain_function(model, capsys):
    stepper = sampling_stepper(model, image_shape=(4, 4))
    stepper.step_slider.value = 5
    capsys.readouterr()
    report = stepper.draw()
    out = capsys.readouterr().out
    assert report.step == 5 and "step 5 of 16" in out and f"{report.next_prob:.3f}" in out
    plt.close("all")


def test_starts_at_any_step(model):
    stepper = sampling_stepper(model, image_shape=(4, 4), seed=2, step=5)
    assert stepper.report.step == 5 and int((~stepper.report.image.isnan()).sum()) == 5
    with pytest.raises(ValueError, match="step must be an int from 0 to 16"):
        sampling_stepper(model, image_shape=(4, 4), step=17)


def test_rejects_models_it_cannot_show():
    with pytest.raises(ValueError, match="Bernoulli head"):
        sampling_stepper(NADE(16, 4, armini.Categorical(3)), image_shape=(4, 4))
    with pytest.raises(ValueError, match="Bernoulli head"):
        sampling_stepper(NADE(16, 4, armini.MixtureOfGaussians(2)), image_shape=(4, 4))
    with pytest.raises(ValueError, match="holds 64 pixels"):
        sampling_stepper(NADE(16, 4))  # default image_shape (8, 8)
    with pytest.raises(TypeError, match="AutoregressiveModel"):
        sampling_stepper(torch.nn.Linear(16, 16), image_shape=(4, 4))

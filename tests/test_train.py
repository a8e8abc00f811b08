"""fit, evaluate and History."""

import math

import matplotlib
import pytest
import torch
from conftest import MaskedLinear

import armini
from armini import data

matplotlib.use("Agg")


def test_fit_lowers_the_nll_and_keeps_the_best_weights():
    d = data.digits()
    model = MaskedLinear(64)
    before = armini.evaluate(model, d.val).nats
    history = armini.fit(model, d, epochs=15, lr=0.02, patience=3, progress=False)
    after = armini.evaluate(model, d.val).nats
    assert after < before
    assert after == pytest.approx(min(history.val_nll), rel=1e-5)  # best weights restored
    assert history.best_val_nll == min(history.val_nll)
    assert len(history.seconds) == history.epochs and history.seconds == sorted(history.seconds)


def test_early_stopping_stops():
    d = data.digits()
    history = armini.fit(MaskedLinear(64), d, epochs=200, lr=0.05, patience=2, progress=False)
    assert history.epochs < 200
    assert history.epochs - history.best_epoch == 2


def test_fit_with_dynamic_binarisation_and_a_plain_tensor():
    d = data.digits(binarize="dynamic")
    h = armini.fit(MaskedLinear(64), d, epochs=2, progress=False)
    assert h.epochs == 2
    h = armini.fit(MaskedLinear(64), d.train, epochs=2, progress=False)
    assert h.val_nll == [] and h.best_epoch is None


def test_evaluate_reports_bits_per_dim():
    model = MaskedLinear(64)
    ev = armini.evaluate(model, data.digits().test)
    assert ev.bits_per_dim == pytest.approx(ev.nats / (64 * math.log(2)))
    assert "bits/dim" in str(ev)


def test_history_plots():
    d = data.digits()
    h = armini.fit(MaskedLinear(64), d, epochs=3, progress=False)
    ax = h.plot()
    assert len(ax.lines) == 3  # train, validation, best-epoch marker


@pytest.mark.parametrize(
    "train, message",
    [
        (torch.zeros(0, 64), "training data is empty"),
        (torch.full((4, 64), 0.5), "training data must be binary"),
        (torch.full((4, 64), float("nan")), "training data contains NaN"),
        (torch.zeros(4, 63), r"training data has shape \(4, 63\)"),
    ],
)
def test_fit_rejects_bad_data_at_the_call(train, message):
    with pytest.raises(ValueError, match=message):
        armini.fit(MaskedLinear(64), train, progress=False)


def test_fit_rejects_bad_arguments():
    with pytest.raises(TypeError, match="Dataset or a tensor"):
        armini.fit(MaskedLinear(4), [[0, 1, 0, 1]], progress=False)
    with pytest.raises(ValueError, match="epochs must be an int ≥ 1"):
        armini.fit(MaskedLinear(4), torch.zeros(3, 4), epochs=0, progress=False)
    with pytest.raises(ValueError, match="expected at least one example"):
        armini.evaluate(MaskedLinear(4), torch.zeros(0, 4))


def test_evaluation_restores_training_mode_even_on_error():
    model = MaskedLinear(4)
    model.train()
    armini.evaluate(model, torch.zeros(3, 4))
    assert model.training
    with pytest.raises(ValueError, match="must be binary"):
        armini.evaluate(model, torch.full((3, 4), 0.5))
    assert model.training

"""Shared figures."""

import matplotlib
import pytest

import armini
from armini import data

matplotlib.use("Agg")


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

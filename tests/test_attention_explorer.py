"""The attention explorer: driven by its controls; its bars are the model's own attention
weights at the chosen position, over the positions that position may read."""

import matplotlib
import numpy as np
import pytest
import torch
from conftest import randomised

from armini import Categorical, data
from armini.models import CausalTransformer
from armini.widgets import attention_explorer, attention_report, draw_attention

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def setting():
    _, vocab = data.first_names()
    return randomised(CausalTransformer(16, 8, 2, 2, Categorical(len(vocab)))), vocab


def test_the_bars_are_the_models_attention_weights(setting):
    model, vocab = setting
    report = attention_report(model, vocab, "maria", position=3, layer=2)
    codes = vocab.encode(["maria"], 16)
    expected = model.attention(codes)[1, 0, :, 2, :3]  # layer 2, position 3 (0-based 2)
    assert torch.allclose(report.weights, expected)
    assert report.reads == ["start", "m", "a"] and report.target == "r"
    assert torch.allclose(report.weights.sum(1), torch.ones(2))
    fig = draw_attention(report)
    for h, ax in enumerate(fig.axes):
        bars = np.array([patch.get_height() for patch in ax.patches])
        assert np.allclose(bars, report.weights[h].numpy())


def test_the_controls_redraw(setting, capsys):
    model, vocab = setting
    explorer = attention_explorer(model, vocab, "ada")
    assert explorer.report.position == 1 and explorer.position_slider.max == 4
    explorer.position_slider.value = 4
    assert explorer.report.target == "end" and len(explorer.report.reads) == 4
    explorer.layer_menu.value = 2
    assert explorer.report.layer == 2
    explorer.name_box.value = "josephine"
    assert explorer.position_slider.max == 10 and explorer.report.name == "josephine"
    explorer.name_box.value = "jo3"
    assert "'jo3' has characters outside the vocabulary" in capsys.readouterr().out


def test_bad_arguments_are_named(setting):
    model, vocab = setting
    with pytest.raises(ValueError, match="position must be an int from 1 to 4"):
        attention_report(model, vocab, "ada", position=5)
    with pytest.raises(ValueError, match="layer"):
        attention_report(model, vocab, "ada", layer=3)
    with pytest.raises(TypeError, match="CausalTransformer"):
        attention_report("model", vocab, "ada")

"""The next-character explorer: driven by its controls, as a student would; the bar chart is
the model's own conditional after the prefix, and the sampled names start with the prefix."""

import matplotlib
import numpy as np
import pytest
import torch
from conftest import randomised

from armini import Categorical, data
from armini.models import RNN, BigramTable
from armini.widgets import draw_next_character, next_character, next_character_explorer

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def names():
    return data.first_names()


@pytest.fixture(scope="module")
def bigram(names):
    return BigramTable.from_data(names[0].train, len(names[1]))


def test_the_bars_are_the_models_conditional_after_the_prefix(names, bigram):
    _, vocab = names
    report = next_character(bigram, vocab, "ma")
    expected = torch.softmax(bigram.logits[vocab.stoi["a"]], 0)  # a bigram reads only "a"
    assert torch.allclose(report.probs, expected.detach(), atol=1e-6)
    assert all(name.startswith("ma") for name in report.completions)
    fig = draw_next_character(report)
    bars = np.array([patch.get_height() for patch in fig.axes[0].patches])
    assert np.allclose(bars, report.probs.numpy())


def test_temperature_sharpens_and_the_controls_redraw(names, capsys):
    _, vocab = names
    model = randomised(RNN(16, 8, Categorical(len(vocab))))
    explorer = next_character_explorer(model, vocab, prefix="an")
    before = explorer.report
    explorer.temperature_slider.value = 0.3
    sharp = explorer.report
    assert sharp.temperature == 0.3 and sharp.probs.max() > before.probs.max()
    explorer.prefix_box.value = "ro"
    assert explorer.report.prefix == "ro"
    assert all(name.startswith("ro") for name in explorer.report.completions)
    explorer.seed_box.value = 3
    assert explorer.report.seed == 3
    explorer.prefix_box.value = "r2"  # not a letter of the vocabulary: said in the output
    assert explorer.report.prefix == "ro"
    assert "'r2' has characters outside the vocabulary" in capsys.readouterr().out


def test_bad_arguments_are_named(names, bigram):
    _, vocab = names
    with pytest.raises(ValueError, match="at most 15 letters"):
        next_character(bigram, vocab, "a" * 16)
    with pytest.raises(ValueError, match="temperature"):
        next_character(bigram, vocab, "a", temperature=0)
    with pytest.raises(TypeError, match="Categorical head"):
        next_character(RNN(16), vocab)

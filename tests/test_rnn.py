"""The RNN (tanh, GRU, LSTM cells) and the bigram table: every configuration autoregressive,
normalised and sampling correctly by both samplers; the notes' literal recurrence, unshifted,
fails the checks; fit clips the RNN's gradients; temperature."""

import math

import pytest
import torch
from conftest import randomised

import armini
from armini import checks, data
from armini.models import RNN, BigramTable

ORDERS = {"natural": None, "shuffled": [2, 4, 0, 3, 1]}
HEADS = {"bernoulli": None, "categorical": armini.Categorical(3)}


@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("cell", ["tanh", "gru", "lstm"])
def test_rnn_is_autoregressive_normalised_and_both_samplers_agree(cell, head, order):
    model = randomised(RNN(5, 6, HEADS[head], cell=cell, order=ORDERS[order]))
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    checks.assert_incremental_sampling(model, n_samples=2000)
    checks.assert_samples_match(model, n_samples=30000, method="incremental")
    checks.assert_samples_match(model, n_samples=30000, method="passes")


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_rnn_with_real_values(cell):
    model = randomised(RNN(4, 5, armini.MixtureOfGaussians(2), cell=cell, order=[3, 1, 0, 2]))
    checks.assert_autoregressive(model)
    checks.assert_incremental_sampling(model, n_samples=1000)


class LiteralRNN(RNN):
    """The notes' recurrence taken literally: step t reads x_t itself, not x_{t−1}."""

    def inputs(self, x):
        feats = armini.models.fvsbn.input_features(x, self.head).reshape(len(x), self.n_dims, -1)
        feats = feats[:, self.order]
        return torch.cat([feats, torch.zeros_like(feats[:, :, :1])], dim=-1)


def test_the_literal_recurrence_leaks_and_the_checks_catch_it():
    model = randomised(LiteralRNN(5, 6, armini.Categorical(3)))
    dep = checks.in_order(model, checks.dependency_matrix(model))
    assert torch.diagonal(dep).all()  # output t reads input t: the diagonal
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)


def test_the_literal_recurrence_trains_to_an_nll_too_good_to_be_true():
    names, vocab = data.first_names()
    K = len(vocab)
    for build, low in ((LiteralRNN, True), (RNN, False)):
        armini.seed_everything(0)
        model = build(16, 32, armini.Categorical(K))
        armini.fit(model, names.train[:800], epochs=3, lr=3e-2, progress=False)
        nll = armini.evaluate(model, names.test).nats
        assert (nll < 3.0) == low  # copying its input, the literal one needs almost nothing


def test_fit_clips_the_gradient_to_the_models_max_grad_norm(monkeypatch):
    norms = []
    step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        grads = [
            p.grad for group in self.param_groups for p in group["params"] if p.grad is not None
        ]
        norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    x = torch.randint(0, 2, (64, 12)).float()
    assert RNN.max_grad_norm == 1.0
    armini.fit(randomised(RNN(12, 8)), x, epochs=2, batch_size=16, progress=False)
    assert max(norms) <= 1.0 + 1e-4 and len(norms) == 8
    norms.clear()
    armini.fit(
        randomised(RNN(12, 8)), x, epochs=1, batch_size=16, max_grad_norm=math.inf, progress=False
    )
    assert max(norms) > 1.0  # unclipped, these gradients are larger
    norms.clear()
    armini.fit(
        randomised(RNN(12, 8)), x, epochs=1, batch_size=16, max_grad_norm=0.5, progress=False
    )
    assert max(norms) <= 0.5 + 1e-4
    with pytest.raises(ValueError, match="max_grad_norm"):
        armini.fit(RNN(12, 8), x, max_grad_norm=0.0)


def test_rnn_arguments():
    with pytest.raises(ValueError, match="cell must be one of 'tanh', 'gru', 'lstm'"):
        RNN(5, cell="transformer")
    with pytest.raises(ValueError, match="n_hidden"):
        RNN(5, 0)
    assert "cell='gru'" in repr(RNN(5, 4, cell="gru"))


def test_bigram_table_is_a_normalised_autoregressive_model():
    model = randomised(BigramTable(4, 3, order=[2, 0, 3, 1]))
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    checks.assert_incremental_sampling(model)
    checks.assert_samples_match(model, n_samples=30000)


def test_bigram_counts_are_the_frequencies_of_pairs():
    x = torch.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    model = BigramTable.from_data(x, 2, alpha=0)
    p = model.logits.exp()
    assert torch.allclose(p[2], torch.tensor([1.0, 0.0]))  # x_1 is always 0
    assert torch.allclose(p[0], torch.tensor([0.0, 1.0]))  # after 0 always 1
    assert torch.allclose(p[1], torch.tensor([0.5, 0.5]))  # after 1: once 1, once 0
    assert armini.evaluate(model, x).nats == pytest.approx(math.log(2))


def test_names_bigram_beats_uniform_and_counts_symbols():
    names, vocab = data.first_names()
    model = BigramTable.from_data(names.train, len(vocab))
    per_name = armini.evaluate(model, names.test).nats
    per_char = per_name * len(names.test) / float(vocab.symbols(names.test).sum())
    assert per_char < math.log(len(vocab)) - 0.5
    codes = vocab.encode(["ada", "bo"], 6)
    assert vocab.symbols(codes).tolist() == [4, 3]  # characters plus the end token


def test_temperature_sharpens_and_flattens_the_conditionals():
    model = armini.FVSBN(1, armini.Categorical(3))
    with torch.no_grad():
        model.linear.bias.copy_(torch.tensor([0.0, 1.0, 2.0]))
    for T in (0.5, 1.0, 2.0):
        s = model.sample(30000, temperature=T, generator=torch.Generator().manual_seed(0))
        freq = torch.bincount(s.flatten().long(), minlength=3).double() / len(s)
        expected = torch.softmax(torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64) / T, 0)
        assert 0.5 * (freq - expected).abs().sum() < checks.tv_bound(expected, len(s))
    with pytest.raises(ValueError, match="temperature is for Bernoulli and Categorical"):
        armini.NADE(3, 2, armini.MixtureOfGaussians(2)).sample(2, temperature=0.5)
    with pytest.raises(ValueError, match="temperature"):
        model.sample(2, temperature=0.0)

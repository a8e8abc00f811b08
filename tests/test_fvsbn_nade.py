"""FVSBN, NADE (Bernoulli, Categorical), RNADE and the untied per-conditional MLP: every
configuration is autoregressive, normalised and samples what it scores."""

import math

import pytest
import torch
from conftest import randomised

import armini
from armini import checks
from armini.models import FVSBN, NADE, PerConditionalMLP, order_mask

REVERSED = [4, 3, 2, 1, 0]
SHUFFLED = [2, 4, 0, 3, 1]


CONFIGS = {
    "fvsbn": lambda o: FVSBN(5, order=o),
    "fvsbn-categorical": lambda o: FVSBN(5, armini.Categorical(3), order=o),
    "nade": lambda o: NADE(5, 7, order=o),
    "nade-categorical": lambda o: NADE(5, 4, armini.Categorical(3), order=o),
    "mlp": lambda o: PerConditionalMLP(5, 3, order=o),
    "mlp-categorical": lambda o: PerConditionalMLP(5, 3, armini.Categorical(3), order=o),
}


@pytest.mark.parametrize("order", [None, REVERSED, SHUFFLED])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_autoregressive_normalised_and_sampling_agrees(name, order):
    model = randomised(CONFIGS[name](order))
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    checks.assert_samples_match(model, n_samples=30000)


@pytest.mark.parametrize("order", [None, SHUFFLED])
def test_rnade_is_autoregressive(order):
    checks.assert_autoregressive(randomised(NADE(5, 6, armini.MixtureOfGaussians(3), order=order)))


def test_order_mask_is_strictly_lower_triangular_in_natural_order():
    assert torch.equal(order_mask(torch.arange(4)), torch.tril(torch.ones(4, 4), -1))
    m = order_mask(torch.tensor([2, 0, 1]))
    assert m.tolist() == [[0, 0, 1], [1, 0, 1], [0, 0, 0]]


def test_a_mask_off_by_one_is_caught():
    model = randomised(FVSBN(5))
    model.linear.set_mask(torch.tril(torch.ones(5, 5)))  # diagonal let through
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)


def test_parameter_counts():
    for n in (1, 5, 64):
        assert FVSBN(n).n_parameters() == n * (n + 1) // 2
    for n, d in ((5, 3), (64, 32)):
        assert NADE(n, d).n_parameters() == 2 * n * d + d + n
        assert PerConditionalMLP(n, d).n_parameters() == d * n * (n - 1) // 2 + 2 * n * d + n
    assert NADE(10, 4, armini.Categorical(3)).n_parameters() == 4 * 30 + 4 + 10 * 3 * 4 + 30


def test_nade_running_sum_equals_the_naive_computation():
    model = randomised(NADE(12, 5, order=torch.randperm(12).tolist()))
    x = torch.randint(0, 2, (6, 12)).float()
    fast = model.hidden(x)
    o = model.order
    for step, i in enumerate(o.tolist()):
        naive = torch.sigmoid(model.c + x[:, o[:step]] @ model.W[:, o[:step]].T)
        assert torch.allclose(fast[:, i], naive, atol=1e-5)


def cumsum_forward(model, x):
    """NADE's conditionals by the running sum as one torch.cumsum (what NADE computed before
    its blocked running sum): the values the blocks must reproduce."""
    B, D, F = len(x), model.n_dims, model.in_per_var
    feats = armini.models.fvsbn.input_features(x, model.head).reshape(B, D, F)
    contrib = torch.einsum("bjf,hjf->bjh", feats, model.W.reshape(-1, D, F))[:, model.order]
    h = torch.empty_like(contrib)
    h[:, model.order] = torch.sigmoid(model.c + torch.cumsum(contrib, dim=1) - contrib)
    return torch.einsum("bih,iph->bip", h, model.V) + model.b


@pytest.mark.parametrize("D", [1, 5, 16, 64, 100])
@pytest.mark.parametrize("batch", [1, 7, 300])
@pytest.mark.parametrize("head", ["bernoulli", "categorical", "mog"])
def test_nade_blocks_equal_the_cumsum_with_and_without_gradients(D, batch, head):
    heads = {"bernoulli": None, "categorical": armini.Categorical(3)}
    heads["mog"] = armini.MixtureOfGaussians(2)
    order = torch.randperm(D, generator=torch.Generator().manual_seed(D)).tolist()
    model = randomised(NADE(D, 9, heads[head], order=order))
    with torch.no_grad():
        model.W.mul_(0.3)
    g = torch.Generator().manual_seed(1)
    K = model.head.n_values
    if K is None:
        x = torch.randn(batch, D, generator=g)
    else:
        x = torch.randint(0, K, (batch, D), generator=g).float()
    expected = cumsum_forward(model, x)
    with_grad = model(x)  # blocks with fresh memory, for autograd
    with torch.no_grad():
        without = model(x)  # blocks that reuse their buffers
        hidden = model.hidden(x)
    assert torch.allclose(with_grad, expected, atol=1e-5)
    assert torch.allclose(without, expected, atol=1e-5)
    assert hidden.shape == (batch, D, 9)
    params = list(model.parameters())
    for got, want in zip(
        torch.autograd.grad(with_grad.sum(), params),
        torch.autograd.grad(expected.sum(), params),
        strict=True,
    ):
        assert torch.allclose(got, want, atol=1e-4, rtol=1e-4)


def test_fvsbn_is_logistic_regression_per_variable():
    model = randomised(FVSBN(4))
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    W, b = model.linear.weight, model.linear.bias
    expected = torch.stack([b[i] + (W[i, :i] * x[0, :i]).sum() for i in range(4)])
    assert torch.allclose(model(x)[0, :, 0], expected)


def rnade_density(model, grid):
    return model.log_prob(grid).exp()


def test_rnade_density_integrates_to_one_in_1d_and_2d():
    torch.set_default_dtype(torch.float64)
    try:
        one = randomised(NADE(1, 4, armini.MixtureOfGaussians(3)), seed=1)
        t = torch.linspace(-40, 40, 40001)
        assert torch.trapezoid(rnade_density(one, t[:, None]), t).item() == pytest.approx(
            1, abs=1e-4
        )
        two = randomised(NADE(2, 4, armini.MixtureOfGaussians(2)), seed=2)
        with torch.no_grad():
            two.b[:, 2:] = 0.0  # moderate widths, so a finite grid holds the mass
            two.V[:, 2:] *= 0.1
        t = torch.linspace(-25, 25, 1001)
        xx, yy = torch.meshgrid(t, t, indexing="ij")
        dens = rnade_density(two, torch.stack([xx.flatten(), yy.flatten()], 1)).reshape(1001, 1001)
        total = torch.trapezoid(torch.trapezoid(dens, t, dim=1), t).item()
        assert total == pytest.approx(1, abs=1e-3)
    finally:
        torch.set_default_dtype(torch.float32)


def test_rnade_learns_a_two_mode_density():
    g = torch.Generator().manual_seed(0)
    x = torch.cat(
        [torch.randn(500, 1, generator=g) * 0.3 - 2, torch.randn(500, 1, generator=g) * 0.3 + 2]
    )
    model = NADE(1, 4, armini.MixtureOfGaussians(2))
    armini.fit(model, x, epochs=150, batch_size=1000, lr=0.05, patience=None, progress=False)
    best_possible = 0.5 * math.log(2 * math.pi * math.e * 0.09) + math.log(2)
    assert armini.evaluate(model, x).nats == pytest.approx(best_possible, abs=0.1)


def test_trained_models_beat_fvsbn_on_digits_and_sample_digits():
    d = armini.data.digits()
    fvsbn, nade = FVSBN(64), NADE(64, 32)
    armini.fit(fvsbn, d, epochs=20, progress=False)
    armini.fit(nade, d, epochs=20, progress=False)
    assert armini.evaluate(nade, d.test).nats < armini.evaluate(fvsbn, d.test).nats < 25
    s = nade.sample(10)
    assert s.shape == (10, 64) and 0.1 < s.mean() < 0.6


def test_bad_categorical_input_is_named():
    with pytest.raises(ValueError, match=r"integers in \{0, …, 2\}"):
        NADE(4, 3, armini.Categorical(3)).log_prob(torch.full((1, 4), 3.0))

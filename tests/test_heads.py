"""Heads: normalised log-probabilities, samples, and clear errors for values off the support."""

import math

import pytest
import torch

from armini.heads import Bernoulli, Categorical, MixtureOfGaussians


def test_bernoulli_log_prob_and_sample():
    params = torch.tensor([[0.0], [2.0]])
    lp = Bernoulli().log_prob(params, torch.tensor([1.0, 0.0]))
    assert lp.tolist() == pytest.approx([math.log(0.5), math.log(1 - 1 / (1 + math.exp(-2)))])
    s = Bernoulli().sample(torch.full((20000, 1), 1.0))
    assert s.mean().item() == pytest.approx(1 / (1 + math.exp(-1)), abs=0.02)


def test_categorical_sums_to_one_and_samples():
    head = Categorical(4)
    params = torch.randn(3, 4)
    total = sum(head.log_prob(params, torch.full((3,), float(k))).exp() for k in range(4))
    assert torch.allclose(total, torch.ones(3))
    draws = head.sample(torch.tensor([0.0, 0.0, 5.0, 0.0]).expand(5000, 4))
    assert (draws == 2).float().mean() > 0.9


def test_mixture_of_gaussians_integrates_to_one():
    head = MixtureOfGaussians(3)
    params = torch.tensor([0.3, -1.0, 0.5, -2.0, 0.0, 1.5, -0.5, 0.0, -1.0]).double()
    grid = torch.linspace(-15, 15, 30001, dtype=torch.float64)
    density = head.log_prob(params.expand(len(grid), 9), grid).exp()
    assert torch.trapezoid(density, grid).item() == pytest.approx(1.0, abs=1e-6)
    samples = head.sample(params.float().expand(20000, 9))
    weights = torch.softmax(params[:3], 0)
    assert samples.mean().item() == pytest.approx(float((weights * params[3:6]).sum()), abs=0.05)


@pytest.mark.parametrize(
    "head, x, message",
    [
        (Bernoulli(), torch.tensor([0.0, 0.5]), "must be binary"),
        (Bernoulli(), torch.tensor([0.0, float("nan")]), "contains NaN"),
        (Categorical(3), torch.tensor([0.0, 3.0]), r"integers in \{0, …, 2\}"),
        (Categorical(3), torch.tensor([1.5]), "integers"),
        (MixtureOfGaussians(2), torch.tensor([0.0, float("inf")]), "finite"),
        (MixtureOfGaussians(2), torch.tensor([1, 2]), "float tensor"),
    ],
)
def test_validate_names_the_problem(head, x, message):
    with pytest.raises(ValueError, match=message):
        head.validate(x)


def test_bad_head_arguments():
    with pytest.raises(ValueError, match=r"n_values \(K\) must be an int ≥ 2"):
        Categorical(1)
    with pytest.raises(ValueError, match="n_components must be an int ≥ 1"):
        MixtureOfGaussians(0)

"""Incremental sampling, one protocol for every model with a state (`initial_state`, `step`):
each fast path draws what the D-pass reference draws from the same seed, and both agree with
the exact probabilities. A broken step is caught."""

import pytest
import torch
from conftest import randomised

import armini
from armini import checks
from armini.models import FVSBN, MADE, NADE, PerConditionalMLP

ORDERS = {"natural": None, "reversed": [4, 3, 2, 1, 0], "shuffled": [2, 4, 0, 3, 1]}

INCREMENTAL = {
    "fvsbn": lambda o: FVSBN(5, order=o),
    "fvsbn-categorical": lambda o: FVSBN(5, armini.Categorical(3), order=o),
    "nade": lambda o: NADE(5, 7, order=o),
    "nade-categorical": lambda o: NADE(5, 4, armini.Categorical(3), order=o),
    "rnade": lambda o: NADE(5, 4, armini.MixtureOfGaussians(2), order=o),
}


@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("name", sorted(INCREMENTAL))
def test_the_fast_path_draws_what_the_reference_draws(name, order):
    model = randomised(INCREMENTAL[name](ORDERS[order]))
    assert model.incremental
    checks.assert_incremental_sampling(model, n_samples=3000)
    if model.head.n_values is not None:  # small and discrete: the exact probabilities
        checks.assert_samples_match(model, n_samples=30000, method="incremental")
        checks.assert_samples_match(model, n_samples=30000, method="passes")


@pytest.mark.parametrize("name", sorted(INCREMENTAL))
def test_the_fast_path_keeps_what_is_given(name):
    model = randomised(INCREMENTAL[name](ORDERS["shuffled"]))
    given = torch.full((5,), float("nan"))
    given[[0, 3]] = (
        torch.tensor([1.0, 0.0]) if model.head.n_values != 3 else torch.tensor([2.0, 1.0])
    )
    checks.assert_incremental_sampling(model, n_samples=2000, given=given)
    s = model.sample(50, given=given)
    assert torch.equal(s[:, [0, 3]], given[[0, 3]].expand(50, 2))


def test_models_without_a_state_sample_with_passes_only():
    for model in (MADE(5, (8,)), PerConditionalMLP(5, 3)):
        assert not model.incremental
        with pytest.raises(ValueError, match="has no incremental sampler"):
            model.sample(2, method="incremental")
        assert model.sample(2).shape == (2, 5)  # "auto" falls back to D passes
    with pytest.raises(ValueError, match="method must be one of 'auto', 'incremental'"):
        NADE(5).sample(2, method="fast")


def test_a_fast_path_that_forgets_the_value_drawn_is_caught():
    class ForgetfulNADE(NADE):
        def step(self, state, value):  # never adds W[:, i] x_i: every conditional sees zeros
            return super().step(state, torch.zeros_like(value))

    model = randomised(ForgetfulNADE(5, 7))
    with pytest.raises(AssertionError, match="draws other samples than its D-pass sampler"):
        checks.assert_incremental_sampling(model)
    with pytest.raises(AssertionError, match="disagree with its probabilities"):
        checks.assert_samples_match(model, n_samples=30000)


def test_a_fast_path_one_column_off_is_caught():
    class OffByOne(FVSBN):
        def step(self, state, value):  # adds the column of the next variable, not this one
            out, t, order, columns = state
            shifted = (out, t, order[1:] + order[:1], columns)
            params, (out, t, _, columns) = super().step(shifted, value)
            return out[:, order[t]], (out, t, order, columns)

    model = randomised(OffByOne(5))
    with pytest.raises(AssertionError, match="draws other samples"):
        checks.assert_incremental_sampling(model)


def test_incremental_sampling_on_digits_sized_models_is_the_same_distribution():
    nade = randomised(NADE(64, 32), seed=3)
    with torch.no_grad():
        nade.W.mul_(0.2)  # moderate weights: digits-like, not saturated
    result = checks.assert_incremental_sampling(nade, n_samples=500)
    assert result.mismatch < 1e-3

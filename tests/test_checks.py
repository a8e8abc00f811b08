"""Every check passes on correct models and fails on a deliberately broken one."""

import pytest
import torch
from conftest import MaskedLinear, Unnormalised, WrongSampler

import armini
from armini import checks
from armini.models import ChainRuleTable, JointTable


@pytest.mark.parametrize("order", [None, [3, 1, 4, 0, 2]])
def test_dependency_matrix_is_strictly_lower_triangular_in_order(order):
    model = MaskedLinear(5, order=order)
    dep = checks.assert_autoregressive(model)
    assert torch.equal(dep, torch.tril(torch.ones(5, 5), -1))


def test_dependency_matrix_is_in_natural_indices():
    model = MaskedLinear(3, order=[2, 0, 1])
    dep = checks.dependency_matrix(model)
    # x2 first, then x0 (sees x2), then x1 (sees x2, x0)
    assert dep.tolist() == [[0, 0, 1], [1, 0, 1], [0, 0, 0]]


def test_mask_off_by_one_fails_dependency_and_normalisation():
    broken = MaskedLinear(5, diagonal=0)
    with pytest.raises(AssertionError, match="not autoregressive: output 0"):
        checks.assert_autoregressive(broken)
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(broken)


def test_categorical_and_real_models_are_checked_too():
    cat = MaskedLinear(3, head=armini.Categorical(3))
    checks.assert_autoregressive(cat)
    assert checks.assert_normalized(cat) == pytest.approx(1, abs=1e-5)
    with pytest.raises(AssertionError):
        checks.assert_autoregressive(MaskedLinear(3, diagonal=0, head=armini.Categorical(3)))
    mog = MaskedLinear(4, head=armini.MixtureOfGaussians(2))
    checks.assert_autoregressive(mog)
    with pytest.raises(AssertionError):
        checks.assert_autoregressive(MaskedLinear(4, diagonal=0, head=armini.MixtureOfGaussians(2)))
    with pytest.raises(ValueError, match="continuous head"):
        checks.total_probability(mog)


def test_distribution_that_does_not_sum_to_one_fails():
    with pytest.raises(AssertionError, match=r"Σ_x p\(x\) = "):
        checks.assert_normalized(Unnormalised(4))


def test_sample_agreement_passes_and_catches_a_wrong_sampler():
    good = checks.assert_samples_match(MaskedLinear(4, order=[1, 3, 0, 2]))
    assert good.tv < good.bound
    with pytest.raises(AssertionError, match="disagree"):
        checks.assert_samples_match(WrongSampler(4))


def test_sample_agreement_on_categorical():
    checks.assert_samples_match(MaskedLinear(3, head=armini.Categorical(3)))


def test_tv_bound_shrinks_with_samples():
    p = torch.full((16,), 1 / 16)
    assert checks.tv_bound(p, 100_000) < checks.tv_bound(p, 1_000)


def test_enumerate_refuses_huge_spaces():
    with pytest.raises(ValueError, match="too many to enumerate"):
        checks.enumerate_inputs(MaskedLinear(30))


def test_chain_rule_table_passes_every_check_in_any_order():
    x = (torch.rand(500, 4) < torch.tensor([0.2, 0.5, 0.7, 0.4])).float()
    model = ChainRuleTable.from_joint(JointTable.from_data(x))
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    checks.assert_samples_match(model)
    shuffled = ChainRuleTable(4, order=[2, 3, 0, 1])
    torch.nn.init.normal_(shuffled.logits)
    checks.assert_autoregressive(shuffled)
    checks.assert_normalized(shuffled)
    checks.assert_samples_match(shuffled)

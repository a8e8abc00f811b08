"""The full joint table and its exact chain-rule factorisation."""

import pytest
import torch

import armini
from armini import checks
from armini.models import ChainRuleTable, JointTable
from armini.models.tabular import all_binary, index_of


def random_joint(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    p = torch.rand(2**n, generator=g, dtype=torch.float64)
    return JointTable(p / p.sum())


def test_index_of_inverts_all_binary():
    xs = all_binary(5)
    assert torch.equal(index_of(xs), torch.arange(32))


def test_chain_rule_reproduces_any_joint_exactly():
    joint = random_joint(5)
    model = ChainRuleTable.from_joint(joint).double()
    xs = all_binary(5).double()
    assert torch.allclose(model.log_prob(xs), joint.log_prob(xs), atol=1e-6)


def test_parameter_counts_are_two_to_the_n_minus_one():
    for n in (1, 3, 6):
        assert ChainRuleTable(n).n_parameters() == 2**n - 1
        assert random_joint(n).n_free_parameters() == 2**n - 1


def test_conditional_matches_definition():
    joint = random_joint(3)
    P = joint.probs.reshape(2, 2, 2)
    # p(x_2 = 1 | x_0 = 1, x_1 = 0)
    expected = P[1, 0, 1] / P[1, 0].sum()
    assert joint.conditional(2)[0b10] == pytest.approx(float(expected))


def test_from_data_is_smoothed_frequencies():
    x = torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    joint = JointTable.from_data(x, alpha=0)
    assert joint.probs.tolist() == pytest.approx([0, 2 / 3, 0, 1 / 3])


def test_joint_table_rejects_bad_tables():
    with pytest.raises(ValueError, match="2\\^n entries"):
        JointTable(torch.ones(6) / 6)
    with pytest.raises(ValueError, match="sum to 1"):
        JointTable(torch.ones(4))
    with pytest.raises(ValueError, match="binary"):
        JointTable.from_data(torch.tensor([[0.0, 2.0]]))


def test_chain_rule_table_trains_to_the_data_frequencies():
    x = (torch.rand(2000, 3) < 0.3).float()
    x[:, 2] = x[:, 0]  # a strong dependency
    model = ChainRuleTable(3)
    armini.fit(model, x, epochs=300, batch_size=len(x), lr=0.1, patience=None, progress=False)
    exact = JointTable.from_data(x, alpha=0)
    p_model = checks.exact_probabilities(model)
    assert torch.allclose(p_model, exact.probs, atol=0.02)


def test_unseen_prefixes_do_not_give_nan():
    x = torch.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    joint = JointTable.from_data(x, alpha=0)
    model = ChainRuleTable.from_joint(joint)
    p = checks.exact_probabilities(model)
    assert not torch.isnan(p).any()
    assert p[[1, 7]].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)

"""The chain-rule explorer: driven by setting its controls, as a student would."""

import itertools
import math

import pytest
import torch

import armini
from armini.models.tabular import all_binary
from armini.widgets import chain_rule_explorer, chain_rule_report, factorisation, make_order


@pytest.fixture(scope="module")
def images():
    return armini.data.digits().train


def test_explorer_redraws_when_controls_change(images, capsys):
    explorer = chain_rule_explorer(images)
    report = explorer.report
    assert (report.n, report.order, report.pixels) == (4, [0, 1, 2, 3], [26, 27, 34, 35])
    assert report.table_parameters == 15 and report.logistic_parameters == 10
    assert report.conditional_parameters == [1, 2, 4, 8]

    explorer.n_slider.value = 6
    explorer.order_menu.value = "reversed"
    report = explorer.report
    assert report.order == [5, 4, 3, 2, 1, 0]
    assert report.pixels == [26, 27, 28, 34, 35, 36]  # a 2×3 patch, raster order
    assert (report.table_parameters, sum(report.conditional_parameters)) == (63, 63)
    assert report.logistic_parameters == 21
    assert report.example.tolist() == images[0, report.pixels].tolist()
    out = capsys.readouterr().out
    assert "p(x) = p(x₆) p(x₅ | x₆) p(x₄ | x₆, x₅)" in out
    assert "chain rule 1 + 2 + 4 + 8 + 16 + 32 = 63" in out
    assert "logistic (FVSBN) 6·7/2 = 21" in out


def test_joint_and_chain_rule_agree_in_every_order(images):
    explorer = chain_rule_explorer(images, n=5)
    seen = set()
    for order in ("raster", "reversed", "random"):
        explorer.order_menu.value = order
        for example in (0, 17):
            explorer.example_box.value = example
            r = explorer.report
            assert len(r.log_conditionals) == 5
            assert abs(r.log_chain - r.log_joint) < 1e-5
            seen.add(round(r.log_joint, 6))
    assert len(seen) == 2  # one log p(x) per example, whatever the order
    # the numbers themselves, for example 0 (fixed data, fixed split)
    r = chain_rule_report(images, n=4, example=0)
    assert r.example.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert r.log_joint == pytest.approx(-3.490, abs=1e-3)
    assert r.log_conditionals[0] == pytest.approx(-0.931, abs=1e-3)  # log p(x₁ = 0)


def test_random_order_follows_the_seed(images):
    explorer = chain_rule_explorer(images, n=8, order="random", seed=0)
    first = explorer.report.order
    assert sorted(first) == list(range(8)) and first != list(range(8))
    assert not explorer.seed_box.disabled
    explorer.seed_box.value = 1
    assert explorer.report.order != first
    explorer.seed_box.value = 0
    assert explorer.report.order == first
    explorer.order_menu.value = "raster"
    assert explorer.seed_box.disabled


def test_draw_is_a_plain_function(images, capsys):
    explorer = chain_rule_explorer(images, n=3)
    capsys.readouterr()
    report = explorer.draw()
    out = capsys.readouterr().out
    assert report.n == 3 and "log p(x) from the joint table" in out
    assert f"{report.log_joint:7.3f}" in out


def test_helpers_and_errors(images):
    assert factorisation([1, 0]) == "p(x) = p(x₂) p(x₁ | x₂)"
    assert make_order(3, [2, 0, 1]) == [2, 0, 1]
    with pytest.raises(ValueError, match="permutation"):
        make_order(3, [0, 0, 1])
    with pytest.raises(ValueError, match="order must be one of"):
        make_order(3, "spiral")
    with pytest.raises(ValueError, match=r"n \(the number of pixels\) must be an int from 1 to 8"):
        chain_rule_report(images, n=9)
    with pytest.raises(ValueError, match=r"\(N, 64\)"):
        chain_rule_explorer(images[:, :10])


def test_from_joint_in_any_order():
    """ChainRuleTable.from_joint(joint, order) factorises the same joint in that order."""
    gen = torch.Generator().manual_seed(0)
    x = torch.bernoulli(torch.full((400, 4), 0.4), generator=gen)
    x[:, 3] = x[:, 0] * x[:, 1]  # some dependence
    joint = armini.JointTable.from_data(x)
    xs = all_binary(4)
    for order in itertools.permutations(range(4)):
        model = armini.ChainRuleTable.from_joint(joint, list(order))
        assert model.order.tolist() == list(order)
        assert torch.allclose(model.log_prob(xs).double(), joint.log_prob(xs), atol=1e-5)
        armini.checks.assert_autoregressive(model)
    # conditional 0 in order (2, …) is p(x_3 = 1), the marginal of the third variable
    model = armini.ChainRuleTable.from_joint(joint, [2, 0, 1, 3])
    p = float(torch.sigmoid(model.logits.detach()[0]))
    assert math.isclose(p, float((x[:, 2].sum() + 8) / (400 + 16)), abs_tol=1e-6)

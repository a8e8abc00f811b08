"""The shared interface: log_prob, sampling with `given`, and input validation."""

import pytest
import torch
from conftest import MaskedLinear

import armini
from armini import checks


def test_log_prob_is_per_example_and_nll_its_negative_mean():
    model = MaskedLinear(6)
    x = torch.randint(0, 2, (5, 6)).float()
    lp = model.log_prob(x)
    assert lp.shape == (5,)
    assert model.nll(x).item() == pytest.approx(-lp.mean().item())


def test_sample_shape_values_and_device():
    model = MaskedLinear(6, order=[5, 4, 3, 2, 1, 0])
    s = model.sample(7)
    assert s.shape == (7, 6) and set(s.unique().tolist()) <= {0.0, 1.0}
    assert s.device == model.device


def test_given_entries_are_kept_and_the_rest_follow_the_conditionals():
    model = MaskedLinear(3)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([0.0, -30.0, 0.0]))
        model.weight[2, 0] = 60.0  # x2 copies x0 almost surely: logit 60*x0 - 30
        model.bias[2] = -30.0
    given = torch.tensor([[1.0, float("nan"), float("nan")], [0.0, float("nan"), float("nan")]])
    s = model.sample(2, given=given)
    assert s[:, 0].tolist() == [1.0, 0.0]
    assert s[:, 2].tolist() == [1.0, 0.0]
    # one example broadcast to n samples
    s = model.sample(4, given=given[0])
    assert (s[:, 0] == 1).all()


def test_sampling_with_given_matches_exact_conditionals():
    """Fixing x0 = 1: frequencies of (x1, x2) must match p(x1, x2 | x0 = 1)."""
    model = MaskedLinear(3)
    xs = checks.enumerate_inputs(model)
    p = checks.exact_probabilities(model)
    cond = p[xs[:, 0] == 1] / p[xs[:, 0] == 1].sum()
    given = torch.tensor([1.0, float("nan"), float("nan")])
    s = model.sample(20000, given=given)
    idx = (s[:, 1] * 2 + s[:, 2]).long()
    freq = torch.bincount(idx, minlength=4).double() / len(s)
    assert 0.5 * (freq - cond).abs().sum() < checks.tv_bound(cond, len(s))


@pytest.mark.parametrize(
    "x, error, message",
    [
        (torch.zeros(4, 5), ValueError, r"shape \(4, 5\), expected \(B, 6\)"),
        (torch.zeros(6), ValueError, r"unsqueeze\(0\)"),
        (torch.zeros(0, 6), ValueError, "empty"),
        (torch.full((2, 6), 2.0), ValueError, "must be binary"),
        (torch.full((2, 6), float("nan")), ValueError, "NaN"),
        ([[0.0] * 6], TypeError, "torch.Tensor"),
    ],
)
def test_bad_input_gets_a_clear_error(x, error, message):
    with pytest.raises(error, match=message):
        MaskedLinear(6).log_prob(x)


def test_bad_sample_arguments():
    model = MaskedLinear(3)
    with pytest.raises(ValueError, match=r"n \(the number of samples\) must be an int ≥ 1"):
        model.sample(0)
    with pytest.raises(ValueError, match=r"expected \(2, 3\)"):
        model.sample(2, given=torch.zeros(3, 3))
    with pytest.raises(TypeError, match="NaN marking"):
        model.sample(2, given=torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="known entries of given must be binary"):
        model.sample(1, given=torch.tensor([0.5, float("nan"), 1.0]))


def test_order_must_be_a_permutation():
    with pytest.raises(ValueError, match="permutation of range"):
        MaskedLinear(3, order=[0, 0, 1])


def test_models_move_to_a_device_with_their_order():
    model = MaskedLinear(3).to(armini.get_device("cpu"))
    assert model.device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_end_to_end():
    model = MaskedLinear(4).to("cuda")
    assert model.sample(3).device.type == "cuda"
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    armini.fit(model, torch.randint(0, 2, (64, 4)).float(), epochs=2, progress=False)

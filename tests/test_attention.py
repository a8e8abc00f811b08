"""The causal Transformer: every configuration autoregressive, normalised and sampling
correctly with and without the key/value cache; a causal mask off by one, or none, fails the
checks; the attention weights are the ones it computes with."""

import pytest
import torch
from conftest import randomised

import armini
from armini import checks
from armini.models import CausalTransformer

ORDERS = {"natural": None, "shuffled": [2, 4, 0, 3, 1]}
HEADS = {"bernoulli": None, "categorical": armini.Categorical(3)}


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("head", sorted(HEADS))
def test_transformer_is_autoregressive_normalised_and_both_samplers_agree(head, order, layers):
    model = randomised(CausalTransformer(5, 8, 2, layers, HEADS[head], order=ORDERS[order]))
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    checks.assert_incremental_sampling(model, n_samples=2000)  # cached against uncached
    checks.assert_samples_match(model, n_samples=30000, method="incremental")
    checks.assert_samples_match(model, n_samples=30000, method="passes")


def test_transformer_with_real_values():
    model = randomised(CausalTransformer(4, 8, 2, 2, armini.MixtureOfGaussians(2), [3, 1, 0, 2]))
    with torch.no_grad():  # moderate weights: large random ones amplify rounding from step to step
        for p in model.parameters():
            p.mul_(0.3)
    checks.assert_autoregressive(model)
    checks.assert_incremental_sampling(model, n_samples=1000)


@pytest.mark.parametrize("diagonal", [1, 4])  # one position too far; no mask at all
def test_a_causal_mask_off_by_one_fails_the_checks(diagonal):
    model = randomised(CausalTransformer(5, 8, 2, 2, armini.Categorical(3)))
    model.causal = torch.ones(5, 5, dtype=torch.bool).tril(diagonal)
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)


def test_the_cached_sampler_reads_the_same_mask_as_the_forward_pass():
    # a stricter mask (position t may not read itself; position 1 reads nothing) is still a
    # valid autoregressive model: both samplers must draw from it, not from the default mask
    model = randomised(CausalTransformer(4, 8, 2, 2, armini.Categorical(3)))
    model.causal = torch.ones(4, 4, dtype=torch.bool).tril(-1)
    checks.assert_autoregressive(model)
    checks.assert_normalized(model)
    for method in ("passes", "incremental"):
        checks.assert_samples_match(model, n_samples=30000, method=method)


def test_attention_weights_are_causal_distributions_and_reproduce_the_output():
    model = randomised(CausalTransformer(6, 8, 2, 2, armini.Categorical(3), [5, 0, 4, 1, 3, 2]))
    x = torch.randint(0, 3, (4, 6)).float()
    weights = model.attention(x)
    assert weights.shape == (2, 4, 2, 6, 6)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, 2, 6))
    assert not torch.triu(weights, 1).any()  # position t reads only positions ≤ t
    block, h = model.blocks[0], model._embedded(x)  # what the first block reads
    attn = block.attention
    _, _, v = attn._heads(block.ln1(h))
    by_hand = attn._merge(weights[0] @ v)  # softmax(QKᵀ/√d_k) V, mixed by the projection
    assert torch.allclose(by_hand, attn(block.ln1(h), model.causal), atol=1e-5)


def test_transformer_arguments():
    with pytest.raises(ValueError, match="d_model must be a multiple of n_heads"):
        CausalTransformer(5, 10, 4)
    with pytest.raises(ValueError, match="n_layers"):
        CausalTransformer(5, 8, 2, 0)
    assert "n_heads=2" in repr(CausalTransformer(5, 8, 2))
    assert CausalTransformer.max_grad_norm == 1.0

"""MADE: masks from degrees, every mask autoregressive, ensembles normalised as mixtures and
broken by logit averaging. The autoencoder: it reconstructs, and it is not autoregressive."""

import pytest
import torch
from conftest import randomised

import armini
from armini import checks
from armini.models import MADE, Autoencoder, made_masks
from armini.models.made import input_degrees


def test_masks_from_degrees_follow_the_rules():
    d_in = torch.tensor([1, 2, 3])
    d_h = torch.tensor([1, 2, 1, 2])
    hidden, out = made_masks([d_in, d_h])
    assert hidden.tolist() == [[1, 0, 0], [1, 1, 0], [1, 0, 0], [1, 1, 0]]
    assert out.tolist() == [[0, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]]
    assert torch.equal((out @ hidden > 0).float(), torch.tril(torch.ones(3, 3), -1))
    assert input_degrees(torch.tensor([2, 0, 1])).tolist() == [2, 3, 1]


CONFIGS = {
    "one layer": lambda: MADE(5, (12,)),
    "two layers, shuffled order": lambda: MADE(5, (10, 9), order=[3, 1, 4, 0, 2]),
    "three layers": lambda: MADE(5, (8, 8, 8)),
    "categorical": lambda: MADE(4, (10,), armini.Categorical(3)),
    "4 connectivities": lambda: MADE(5, (10,), n_masks=4),
    "4 orderings": lambda: MADE(5, (10, 10), n_masks=4, orderings="random"),
    "categorical ensemble": lambda: MADE(
        4, (9,), armini.Categorical(3), n_masks=3, orderings="random"
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_mask_is_autoregressive_and_the_model_normalised(name):
    model = randomised(CONFIGS[name]())
    for k in range(model.n_masks):
        model.set_mask(k)
        checks.assert_autoregressive(model)
        paths = checks.in_order(model, model.connectivity())
        assert not torch.triu(paths).any()
    model.set_mask(0)
    checks.assert_normalized(model)
    checks.assert_samples_match(model, n_samples=30000)


def test_orderings_differ_and_are_reproducible():
    a = MADE(6, (8,), n_masks=3, orderings="random", seed=4)
    b = MADE(6, (8,), n_masks=3, orderings="random", seed=4)
    assert torch.equal(a.orders, b.orders)
    assert len({tuple(o.tolist()) for o in a.orders}) == 3
    assert all(torch.equal(m, n) for m, n in zip(a.masks(2), b.masks(2), strict=True))


def test_averaging_logits_of_several_orderings_breaks_the_checks():
    model = randomised(MADE(5, (10, 10), n_masks=4, orderings="random", ensemble="logits"))
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    with pytest.raises(ValueError, match="cannot be sampled"):
        model.sample(3)
    model.ensemble = "mixture"  # the same weights, scored correctly
    checks.assert_normalized(model)


def test_training_visits_every_mask():
    model = MADE(64, (32,), n_masks=3)
    model.train()
    seen = set()
    x = armini.data.digits().train[:8]
    for _ in range(3):
        model.nll(x)
        seen.add(model.current)
    assert seen == {0, 1, 2}


def test_made_learns_digits_and_completes_them():
    d = armini.data.digits()
    model = MADE(64, (128,))
    armini.fit(model, d, epochs=15, progress=False)
    assert armini.evaluate(model, d.test).nats < 25
    given = d.test[:4].clone()
    given[:, 32:] = float("nan")
    out = model.sample(4, given=given)
    assert torch.equal(out[:, :32], d.test[:4, :32])


def test_bad_made_arguments():
    with pytest.raises(ValueError, match="orderings must be"):
        MADE(4, orderings="sorted")
    with pytest.raises(ValueError, match="ensemble must be one of"):
        MADE(4, ensemble="average")
    with pytest.raises(ValueError, match="must list at least one size"):
        MADE(4, hidden=())
    with pytest.raises(ValueError, match=r"mask index k must be an int from 0 to 1"):
        MADE(4, n_masks=2).set_mask(2)


def test_autoencoder_reads_every_input_including_its_own():
    for loss in ("bce", "mse"):
        dep = checks.dependency_matrix(randomised(Autoencoder(6, 8, 3, loss=loss)))
        assert dep.all()
        with pytest.raises(AssertionError, match="not autoregressive"):
            checks.assert_autoregressive(randomised(Autoencoder(6, 8, 3, loss=loss)))


def test_autoencoder_reconstructs_digits():
    d = armini.data.digits()
    ae = Autoencoder(64, 64, 16)
    untrained = ae.loss(d.val).item()
    armini.fit(ae, d, epochs=30, progress=False)
    assert ae.loss(d.val).item() < 0.6 * untrained
    assert ae.reconstruct(d.val[:5]).shape == (5, 64)
    real = armini.data.digits(levels=None)
    mse = Autoencoder(64, 64, 16, loss="mse")
    armini.fit(mse, real, epochs=5, progress=False)


def test_autoencoder_bad_input():
    with pytest.raises(ValueError, match="loss must be one of 'bce', 'mse'"):
        Autoencoder(4, loss="l1")
    with pytest.raises(ValueError, match=r"expected \(B, 4\)"):
        Autoencoder(4).loss(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="must be binary"):
        Autoencoder(4).loss(torch.full((2, 4), 0.5))


def test_parameter_count_is_the_weights_the_masks_let_through():
    model = MADE(4, (6,))
    expected = sum(int(m.sum()) for m in model.masks()) + 6 + 4
    assert model.n_parameters() == expected < 4 * 6 + 6 * 4 + 6 + 4
    ensemble = MADE(4, (6,), n_masks=3, orderings="random")
    per_mask = [sum(int(m.sum()) for m in ensemble.masks(k)) + 10 for k in range(3)]
    assert ensemble.n_parameters() > max(per_mask)  # the union of different masks
    assert ensemble.current == 0

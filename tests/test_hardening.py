"""The core on bad input and edge cases: each test here failed on the code before the
hardening issue (#8) and names the example or the kind of mistake it covers."""

import math

import pytest
import torch
from conftest import MaskedLinear, randomised

import armini
from armini import checks, data
from armini.metrics import bits_per_dim
from armini.models import (
    FVSBN,
    MADE,
    NADE,
    RNN,
    Autoencoder,
    BigramTable,
    CausalTransformer,
    ChainRuleTable,
    GatedPixelCNN,
    JointTable,
    PerConditionalMLP,
    PixelCNN,
)
from armini.train import TrainingDiverged
from armini.widgets import sample_trajectory

X8 = torch.randint(0, 2, (5, 8), generator=torch.Generator().manual_seed(0)).float()


# -- example 1: a saved MADE reloads exactly ---------------------------------------------------


def test_a_made_reloads_into_a_model_built_with_another_seed():
    a = MADE(8, (16,), n_masks=3, seed=1).eval()
    b = MADE(8, (16,), n_masks=3).eval()
    a.set_mask(2)
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.log_prob(X8), b.log_prob(X8))
    assert b.current == 2
    assert all(torch.equal(m, n) for m, n in zip(a.masks(), b.masks(), strict=True))
    assert torch.equal(a.connectivity(), b.connectivity())
    for k in range(3):
        assert all(torch.equal(m, n) for m, n in zip(a.masks(k), b.masks(k), strict=True))


def _layer_masks(model):
    return [layer.mask.clone() for layer in [*model.layers, model.output]]


def test_restoring_a_state_restores_the_current_mask_with_its_buffers():
    model = MADE(8, (16,), n_masks=3, orderings="random")
    model.set_mask(1)
    state = {k: v.clone() for k, v in model.state_dict().items()}  # what fit keeps as best
    model.set_mask(2)  # training moved on
    model.load_state_dict(state)
    assert model.current == 1
    assert torch.equal(model.order, model.orders[1])
    masks = _layer_masks(model)
    model.set_mask(model.current)  # rebuild the masks `current` names
    assert all(torch.equal(m, n) for m, n in zip(masks, _layer_masks(model), strict=True))


def test_after_fit_the_current_mask_and_the_mask_buffers_agree():
    d = data.digits()
    model = MADE(64, (32,), n_masks=3, orderings="random")
    history = armini.fit(model, d, epochs=30, lr=0.05, patience=2, progress=False)
    assert history.best_epoch < history.epochs  # the best weights came from an earlier epoch
    masks = _layer_masks(model)
    model.set_mask(model.current)
    assert all(torch.equal(m, n) for m, n in zip(masks, _layer_masks(model), strict=True))
    assert torch.equal(model.order, model.orders[model.current])


# -- example 2: fit refuses meaningless settings and stops on divergence ------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"lr": float("inf")}, ValueError, r"lr .* must be a finite number > 0"),
        ({"lr": float("nan")}, ValueError, "lr"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"lr": "0.01"}, TypeError, "lr"),
        ({"patience": 0}, ValueError, "patience"),
        ({"patience": -3}, ValueError, "patience"),
        ({"patience": 2.5}, TypeError, "patience"),
        ({"epochs": 2.0}, TypeError, "epochs"),
        ({"batch_size": True}, TypeError, "batch_size"),
        ({"weight_decay": -1.0}, ValueError, "weight_decay"),
        ({"seed": -1}, ValueError, "seed"),
        ({"progress": "no"}, TypeError, "progress"),
    ],
)
def test_fit_rejects_meaningless_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        armini.fit(MaskedLinear(4), torch.zeros(3, 4), **kwargs)


class Diverging(MaskedLinear):
    """A loss that becomes NaN (`how="loss"`), or gradients that do (`how="gradient"`), at
    minibatch `at`: what a far too large learning rate does to a real model."""

    def __init__(self, n, at, how):
        super().__init__(n)
        self.calls, self.at, self.how = 0, at, how

    def loss(self, x):
        self.calls += self.training  # count training minibatches only
        loss = super().loss(x)
        if self.calls >= self.at and self.how == "loss":
            return loss * float("nan")
        if self.calls == self.at and self.how == "gradient":
            loss.register_hook(lambda g: g * float("nan"))
        return loss


@pytest.mark.parametrize("how", ["loss", "gradient"])
def test_fit_stops_when_training_diverges_and_keeps_the_best_weights(how):
    d = data.digits()
    per_epoch = math.ceil(len(d.train) / 64)
    model = Diverging(64, at=3 * per_epoch, how=how)  # the last minibatch of epoch 3
    with pytest.raises(TrainingDiverged, match=r"in epoch 3 with lr=0.02") as caught:
        armini.fit(model, d, lr=0.02, patience=None, progress=False)
    assert caught.value.epoch == 3 and caught.value.lr == 0.02
    assert caught.value.history.epochs == 2
    assert not model.training
    assert all(torch.isfinite(p).all() for p in model.parameters())
    best = caught.value.history.best_val_nll
    assert armini.evaluate(model, d.val).nats == pytest.approx(best, rel=1e-5)


def test_fit_warns_when_training_made_the_model_worse():
    d = data.digits()
    with pytest.warns(RuntimeWarning, match="worse than before training"):
        armini.fit(
            NADE(64, 8, armini.MixtureOfGaussians(2)),
            data.digits(levels=None),
            lr=10.0,
            epochs=2,
            progress=False,
        )
    with pytest.raises(ValueError, match=r"lr .* must be a finite number > 0 and ≤ 10"):
        armini.fit(FVSBN(64), d, lr=1e2)


def test_fit_honours_val_next_to_a_dataset():
    d = data.digits()
    mine = d.val[:50]
    history = armini.fit(MaskedLinear(64), d, val=mine, epochs=2, progress=False)
    model = MaskedLinear(64)
    armini.fit(model, d, val=mine, epochs=1, progress=False)
    assert history.val_nll[0] == pytest.approx(armini.evaluate(model, mine).nats, rel=1e-5)


class Interrupting(MaskedLinear):
    """Raises KeyboardInterrupt (Ctrl-C) in the loss of minibatch `at`."""

    def __init__(self, n, at):
        super().__init__(n)
        self.calls, self.at = 0, at

    def loss(self, x):
        self.calls += self.training  # count training minibatches only
        if self.calls == self.at:
            raise KeyboardInterrupt
        return super().loss(x)


def test_an_interrupted_fit_leaves_the_best_weights_in_eval_mode():
    d = data.digits()
    batches_per_epoch = math.ceil(len(d.train) / 64)
    reference = MaskedLinear(64)
    history = armini.fit(reference, d, epochs=2, patience=None, progress=False)
    model = Interrupting(64, at=2 * batches_per_epoch + 3)  # in epoch 3
    with pytest.raises(KeyboardInterrupt):
        armini.fit(model, d, epochs=5, patience=None, progress=False)
    assert not model.training
    best = history.best_epoch  # of the two epochs that finished
    assert armini.evaluate(model, d.val).nats == pytest.approx(history.val_nll[best - 1], rel=1e-5)


def test_history_of_no_epochs_prints():
    assert repr(armini.History()) == "History(0 epochs)"


# -- examples 3 and 4: JointTable checks its input and its size --------------------------------


def test_joint_table_rejects_nan_empty_counts_and_wrong_inputs():
    with pytest.raises(ValueError, match="NaN"):
        JointTable(torch.full((4,), float("nan")))
    with pytest.raises(ValueError, match="x is empty and alpha = 0"):
        JointTable.from_data(torch.zeros(0, 3), alpha=0)
    assert JointTable.from_data(torch.zeros(0, 3), alpha=1).probs.tolist() == [1 / 8] * 8
    with pytest.raises(ValueError, match="alpha"):
        JointTable.from_data(torch.zeros(2, 3), alpha=-1)
    joint = JointTable.from_data(torch.tensor([[0.0, 1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"shape \(1, 2\), expected \(B, 3\)"):
        joint.log_prob(torch.zeros(1, 2))
    with pytest.raises(ValueError, match="must be binary"):
        joint.log_prob(torch.full((1, 3), 0.5))
    with pytest.raises(ValueError, match="n .the number of samples. must be an int ≥ 1"):
        joint.sample(0)


@pytest.mark.parametrize("n", [21, 24, 64])
def test_joint_table_refuses_tables_too_big_to_hold(n):
    with pytest.raises(ValueError, match=rf"n = {n} binary variables has 2\^{n}"):
        JointTable.from_data(torch.zeros(3, n))
    with pytest.raises(ValueError, match="stop at n = 20"):
        ChainRuleTable(n)


def test_joint_table_samples_without_building_every_pattern():
    joint = JointTable.from_data(torch.ones(3, 20), alpha=0)  # all mass on one pattern
    assert torch.equal(joint.sample(3), torch.ones(3, 20))


# -- example 5: the checks judge the model in eval mode -----------------------------------------


def test_a_train_mode_logit_ensemble_is_not_certified_autoregressive():
    model = randomised(MADE(5, (10, 10), n_masks=4, orderings="random", ensemble="logits"))
    model.train()
    with pytest.raises(AssertionError, match="not autoregressive"):
        checks.assert_autoregressive(model)
    assert model.training  # the mode is restored
    with pytest.raises(AssertionError, match="not normalised"):
        checks.assert_normalized(model)


class BrokenSecondMask(MADE):
    """A mixture whose mask 1 lets every output read every input (the off-by-one of MADE's
    output rule, m(x_v) ≥ m(h) instead of >, taken to the extreme)."""

    def masks(self, k=None):
        masks = super().masks(k)
        if (self.current if k is None else k) == 1:
            masks[-1] = torch.ones_like(masks[-1])
            masks[:-1] = [torch.ones_like(m) for m in masks[:-1]]
        return masks


def test_every_mask_of_a_mixture_is_checked_in_its_own_order():
    checks.assert_autoregressive(randomised(MADE(5, (10,), n_masks=3, orderings="random")))
    model = randomised(BrokenSecondMask(5, (10,), n_masks=3, orderings="random")).eval()
    assert model.current == 0  # mask 0, the one in use, is fine
    with pytest.raises(AssertionError, match=r"\(component 1\) is not autoregressive"):
        checks.assert_autoregressive(model)
    assert model.current == 0


# -- kinds: dtypes ------------------------------------------------------------------------------

MODELS = {
    "FVSBN": lambda: FVSBN(6),
    "FVSBN softmax": lambda: FVSBN(6, armini.Categorical(3)),
    "NADE": lambda: NADE(6, 4),
    "softmax NADE": lambda: NADE(6, 4, armini.Categorical(3)),
    "RNADE": lambda: NADE(6, 4, armini.MixtureOfGaussians(2)),
    "untied MLP": lambda: PerConditionalMLP(6, 3),
    "MADE": lambda: MADE(6, (8,)),
    "MADE ensemble": lambda: MADE(6, (8,), n_masks=2, orderings="random"),
    "MADE softmax": lambda: MADE(6, (8,), armini.Categorical(3)),
    "ChainRuleTable": lambda: ChainRuleTable(6),
    "RNN": lambda: RNN(6, 5, armini.Categorical(3), cell="gru"),
    "RNN lstm": lambda: RNN(6, 5, cell="lstm"),
    "BigramTable": lambda: BigramTable(6, 3),
    "CausalTransformer": lambda: CausalTransformer(6, 8, 2, 2, armini.Categorical(3)),
    "PixelCNN": lambda: PixelCNN((2, 3), armini.Categorical(3), 4, 2, 3, 3),
    "GatedPixelCNN": lambda: GatedPixelCNN((2, 3), None, 4, 2, 3, 3),
}


def _inputs(model):
    if model.head.n_values is None:
        return torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    K = model.head.n_values
    return torch.randint(0, K, (4, 6), generator=torch.Generator().manual_seed(1)).float()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_compute_in_the_dtype_they_were_moved_to(name, dtype):
    reference = randomised(MODELS[name]()).eval()
    model = randomised(MODELS[name]()).to(dtype).eval()
    x = _inputs(model)
    lp = model.log_prob(x)  # float32 input, cast to the model's dtype
    assert lp.dtype == dtype and torch.isfinite(lp).all()
    tol = 1e-5 if dtype == torch.float64 else 0.1 * (1 + reference.log_prob(x).detach().abs().max())
    expected = reference.log_prob(x).detach().double()
    assert torch.allclose(lp.detach().double(), expected, atol=float(tol))
    s = model.sample(3)
    assert s.dtype == dtype and s.shape == (3, 6)


def test_autoencoder_in_double():
    ae = Autoencoder(6, 5, 3).double()
    assert ae.loss(torch.zeros(2, 6)).dtype == torch.float64
    assert ae.reconstruct(torch.zeros(2, 6)).dtype == torch.float64


# -- kinds: constructors and arguments ----------------------------------------------------------


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: NADE(8, n_hidden=0),
            ValueError,
            r"n_hidden \(d, hidden units\) must be an int ≥ 1",
        ),
        (lambda: NADE(8, n_hidden=2.0), TypeError, "n_hidden"),
        (lambda: PerConditionalMLP(8, n_hidden=-1), ValueError, "n_hidden"),
        (lambda: Autoencoder(8, n_code=0), ValueError, r"n_code .* must be an int ≥ 1"),
        (lambda: Autoencoder(8, n_hidden=0), ValueError, "n_hidden"),
        (lambda: Autoencoder(8.0), TypeError, "n_dims"),
        (lambda: data.first_names(length=1), ValueError, r"length .* must be an int ≥ 3"),
        (lambda: NADE(8.0), TypeError, r"number of variables \(n_dims\) must be an int"),
        (lambda: FVSBN("8"), TypeError, "n_dims"),
        (lambda: MADE(0), ValueError, "n_dims"),
        (lambda: NADE(8, order="reverse"), TypeError, r"order must be a permutation of range\(8\)"),
        (lambda: NADE(3, order=[0.5, 1.2, 2.0]), TypeError, "order must be a permutation"),
        (lambda: NADE(3, order=[0.0, 1.0, 2.0]), TypeError, "order must be a permutation"),
        (lambda: FVSBN(3, order=torch.tensor([[0, 1, 2]])), ValueError, "shape"),
        (lambda: NADE(8, head=armini.Bernoulli), TypeError, "head instance such as Bernoulli"),
        (lambda: FVSBN(8, head="bernoulli"), TypeError, "head must be an armini head"),
        (lambda: MADE(8, hidden=(16.5,)), TypeError, "hidden"),
        (lambda: MADE(8, hidden=16), None, None),
        (lambda: MADE(8, n_masks=0), ValueError, "n_masks"),
        (lambda: MADE(8, seed=-1), ValueError, "seed"),
        (lambda: armini.Categorical(4.0), TypeError, "n_values"),
        (lambda: armini.MixtureOfGaussians(2, min_log_std=float("nan")), ValueError, "min_log"),
        (lambda: ChainRuleTable(4, order=[3, 2, 1]), ValueError, "permutation"),
    ],
)
def test_constructors_check_their_arguments(build, error, message):
    if error is None:
        build()  # accepted: one hidden layer of 16
        return
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: NADE(10**9),
        lambda: FVSBN(10**6),
        lambda: PerConditionalMLP(10**4, 32),
        lambda: MADE(10**5, (10**5,)),
        lambda: Autoencoder(10**6, 10**5),
        lambda: NADE(4).sample(10**12),
        lambda: data.Vocabulary(["ab"]).encode(["ab"], 10**11),
    ],
)
def test_sizes_that_cannot_fit_in_memory_are_refused_at_once(build):
    with pytest.raises(ValueError, match="GiB"):
        build()


def test_bits_per_dim_refuses_nan_and_negative_nll():
    with pytest.raises(ValueError, match="nll_nats must be a finite number"):
        bits_per_dim(float("nan"), 64)
    with pytest.raises(ValueError, match="negative"):
        bits_per_dim(-1.0, 64)
    assert bits_per_dim(-1.0, 64, density=True) < 0  # a density may exceed 1
    assert bits_per_dim(float("inf"), 64) == float("inf")
    with pytest.raises(TypeError, match="n_dims"):
        bits_per_dim(1.0, 64.0)


def test_evaluate_accepts_a_dataset_and_says_what_it_wants():
    d = data.digits()
    model = FVSBN(64)
    assert armini.evaluate(model, d).nats == armini.evaluate(model, d.test).nats
    with pytest.raises(TypeError, match="x must be a tensor .* or an armini Dataset"):
        armini.evaluate(model, d.test.tolist())
    with pytest.raises(TypeError, match="model must be an armini model"):
        armini.evaluate("FVSBN", d.test)


def test_evaluate_reports_a_nan_model_instead_of_a_nan_number():
    model = FVSBN(4)
    with torch.no_grad():
        model.linear.bias.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN log-probabilities"):
        armini.evaluate(model, torch.zeros(3, 4))


# -- sampling with a generator -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_generator_makes_samples_reproducible_without_touching_the_global_rng(name):
    model = randomised(MODELS[name]()).eval()
    state = torch.get_rng_state()
    a = model.sample(20, generator=torch.Generator().manual_seed(5))
    b = model.sample(20, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert torch.equal(torch.get_rng_state(), state)
    c = model.sample(20, generator=torch.Generator().manual_seed(6))
    assert not torch.equal(a, c)


def test_bad_generators_are_named():
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        NADE(4).sample(2, generator=5)


def test_the_sampling_stepper_draws_with_model_sample():
    model = randomised(NADE(16, 8, order=torch.randperm(16).tolist())).eval()
    x, probs = sample_trajectory(model, seed=3)
    expected = model.sample(1, generator=torch.Generator().manual_seed(3))[0]
    assert torch.equal(x, expected)
    with torch.no_grad():
        assert torch.allclose(probs, torch.sigmoid(model(x[None]))[0, :, 0])


def test_completion_grid_and_evaluate_name_what_they_expect():
    given = torch.full((3, 64), float("nan"))
    with pytest.raises(ValueError, match=r"stack the S completions"):
        armini.plot.completion_grid(given, torch.zeros(3, 64))
    with pytest.raises(TypeError, match="Autoencoder has no log_prob"):
        armini.evaluate(Autoencoder(64), torch.zeros(2, 64))

"""Property-based tests of the public API (hypothesis): random shapes, dtypes, values, sizes
and orders. Every call must either return a correct result or raise a clear armini error: a
TypeError or ValueError raised by armini's own code (not deep inside PyTorch) whose message
names the argument. Never a deep trace, a NaN or a hang (each example has a deadline).

The examples are drawn deterministically (`derandomize`), so CI sees the same ones every run;
`HYPOTHESIS_PROFILE=explore` draws 20 times as many fresh ones.
"""

from __future__ import annotations

import math
import os
import traceback

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import armini
from armini import checks, data, metrics
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

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=2000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", max_examples=800, deadline=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def clear_error(call, *names: str):
    """Run `call`; return its result, or None if it raised a clear armini error naming one of
    `names` (when given). Anything else fails the test."""
    try:
        return call()
    except (TypeError, ValueError) as error:
        frames = traceback.extract_tb(error.__traceback__)
        raiser = frames[-1].filename
        assert f"{os.sep}armini{os.sep}" in raiser, (
            f"{type(error).__name__} raised outside armini, in {raiser}:{frames[-1].lineno}: "
            f"{error}"
        )
        message = str(error)
        assert len(message) > 20, f"a terse message: {message!r}"
        if names:
            assert any(n in message for n in names), f"{message!r} names none of {names}"
        return None


# -- strategies -----------------------------------------------------------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.integers(10**11, 10**13),  # beyond any memory: must be refused at once
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(-2, 8), max_size=6),
    st.builds(torch.tensor, st.lists(st.floats(-3, 3), min_size=1, max_size=4)),
)
small_int = st.one_of(st.integers(-2, 9), anything)
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int64, torch.bool]
values = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, math.nan, math.inf, 3.0])


@st.composite
def tensors(draw, max_dims: int = 3, max_side: int = 7):
    """A tensor of random shape, dtype and values (mostly 0 and 1, sometimes anything)."""
    shape = draw(st.lists(st.integers(0, max_side), min_size=0, max_size=max_dims))
    dtype = draw(st.sampled_from(DTYPES))
    n = math.prod(shape)
    binary = draw(st.booleans())
    pool = st.sampled_from([0.0, 1.0]) if binary else values
    flat = draw(st.lists(pool, min_size=n, max_size=n))
    x = torch.tensor(flat, dtype=torch.float64).reshape(shape)
    if dtype in (torch.int64, torch.bool):
        x = torch.nan_to_num(x, nan=0.0, posinf=5.0)
    return x.to(dtype)


def heads():
    return st.sampled_from(
        [
            armini.Bernoulli(),
            armini.Categorical(3),
            armini.MixtureOfGaussians(2),
            armini.Bernoulli,  # a class instead of an instance
            "bernoulli",
            None,
        ]
    )


orders = st.one_of(
    st.none(),
    st.permutations(list(range(5))),
    st.lists(st.integers(-1, 5), max_size=6),
    st.lists(st.floats(0, 4), min_size=5, max_size=5),
    st.sampled_from(["reverse", "raster", (4, 3, 2, 1, 0), torch.tensor([4, 3, 2, 1, 0])]),
)

BUILDERS = {
    "FVSBN": lambda n, size, head, order: FVSBN(n, head, order),
    "NADE": lambda n, size, head, order: NADE(n, size, head, order),
    "PerConditionalMLP": lambda n, size, head, order: PerConditionalMLP(n, size, head, order),
    "MADE": lambda n, size, head, order: MADE(n, (size,), head, order),
    "MADE ensemble": lambda n, size, head, order: MADE(
        n, (size,), head, order, n_masks=2, orderings="random"
    ),
    "ChainRuleTable": lambda n, size, head, order: ChainRuleTable(n, order),
    "Autoencoder": lambda n, size, head, order: Autoencoder(n, size, 2),
    "RNN": lambda n, size, head, order: RNN(n, size, head, "gru", order),
    "BigramTable": lambda n, size, head, order: BigramTable(n, size, order),
    "CausalTransformer": lambda n, size, head, order: CausalTransformer(n, 8, size, 1, head, order),
    "PixelCNN": lambda n, size, head, order: PixelCNN((1, n), head, size, 1, 3, 3),  # raster only
    "GatedPixelCNN": lambda n, size, head, order: GatedPixelCNN((n, 1), head, size, 2, 3, 3),
}


def valid_input(model, batch: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    K = model.head.n_values
    if K is None:
        return torch.randn(batch, *model.shape, generator=g)
    return torch.randint(0, K, (batch, *model.shape), generator=g).float()


def assert_works(model):
    """A model that was built must score and sample correctly."""
    x = valid_input(model)
    if isinstance(model, Autoencoder):
        assert torch.isfinite(model.loss(x))
        return
    lp = model.eval().log_prob(x)
    assert lp.shape == (3,) and torch.isfinite(lp).all()
    s = model.sample(2)
    assert s.shape == (2, *model.shape)
    model.head.validate(s)


# -- constructors -------------------------------------------------------------------------------


@given(
    name=st.sampled_from(sorted(BUILDERS)),
    n=small_int,
    size=small_int,
    head=heads(),
    order=orders,
)
def test_constructors_build_working_models_or_say_why(name, n, size, head, order):
    model = clear_error(lambda: BUILDERS[name](n, size, head, order))
    if model is not None:
        assert_works(model)


@given(
    hidden=st.one_of(anything, st.lists(small_int, max_size=3)),
    n_masks=small_int,
    orderings=st.sampled_from(["fixed", "random", "sorted", None, 1]),
    ensemble=st.sampled_from(["mixture", "logits", "none", "average", None]),
    seed=small_int,
)
def test_made_arguments(hidden, n_masks, orderings, ensemble, seed):
    model = clear_error(
        lambda: MADE(4, hidden, n_masks=n_masks, orderings=orderings, ensemble=ensemble, seed=seed)
    )
    if model is not None and not (ensemble == "logits" and model.n_masks > 1):
        assert_works(model)


@given(n_values=small_int, n_components=small_int, min_log_std=anything)
def test_head_arguments(n_values, n_components, min_log_std):
    clear_error(lambda: armini.Categorical(n_values), "n_values")
    clear_error(lambda: armini.MixtureOfGaussians(n_components), "n_components")
    clear_error(lambda: armini.MixtureOfGaussians(2, min_log_std), "min_log_std")


# -- scoring and sampling ------------------------------------------------------------------------

FIXED = {
    "NADE": NADE(5, 3).eval(),
    "softmax FVSBN": FVSBN(5, armini.Categorical(3)).eval(),
    "RNADE": NADE(5, 3, armini.MixtureOfGaussians(2)).eval(),
    "MADE ensemble": MADE(5, (6,), n_masks=3, orderings="random").eval(),
    "ChainRuleTable": ChainRuleTable(5).eval(),
    "RNN": RNN(5, 4, armini.Categorical(3), "lstm").eval(),
    "CausalTransformer": CausalTransformer(5, 8, 2, 1, armini.Categorical(3)).eval(),
    "GatedPixelCNN": GatedPixelCNN((1, 5), armini.Categorical(3), 4, 2, 3, 3).eval(),
}


@given(name=st.sampled_from(sorted(FIXED)), x=st.one_of(tensors(), anything))
def test_log_prob_is_finite_or_a_clear_error(name, x):
    model = FIXED[name]
    lp = clear_error(lambda: model.log_prob(x), "x")
    if lp is not None:
        assert lp.shape == (x.shape[0],) and torch.isfinite(lp).all()


@given(
    name=st.sampled_from(sorted(FIXED)),
    n=small_int,
    given_=st.one_of(st.none(), tensors(max_dims=2, max_side=5), anything),
    seed=st.one_of(st.none(), st.integers(0, 5), st.just("generator")),
)
def test_sample_is_valid_or_a_clear_error(name, n, given_, seed):
    model = FIXED[name]
    generator = torch.Generator().manual_seed(seed) if isinstance(seed, int) else seed
    s = clear_error(lambda: model.sample(n, given=given_, generator=generator))
    if s is None:
        return
    assert s.shape == (n, *model.shape)
    model.head.validate(s)
    if torch.is_tensor(given_) and given_.is_floating_point():
        known = ~torch.isnan(given_.to(s.dtype).expand_as(s))
        assert torch.equal(s[known], given_.to(s.dtype).expand_as(s)[known])


# -- training and evaluation --------------------------------------------------------------------

TRAIN = torch.randint(0, 2, (20, 5), generator=torch.Generator().manual_seed(0)).float()


@given(
    epochs=st.one_of(st.integers(-1, 2), st.sampled_from([None, 2.0, "3", True, math.nan])),
    batch_size=small_int,
    lr=st.one_of(st.floats(-1, 20), anything),
    patience=small_int,
    weight_decay=st.one_of(st.floats(-1, 1), anything),
    val=st.one_of(st.none(), tensors(max_dims=2, max_side=5)),
)
def test_fit_trains_or_says_why(epochs, batch_size, lr, patience, weight_decay, val):
    model = FVSBN(5)
    history = clear_error(
        lambda: armini.fit(
            model,
            TRAIN,
            val=val,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            weight_decay=weight_decay,
            progress=False,
        )
    )
    if history is not None:
        assert not model.training
        assert 1 <= history.epochs <= epochs
        assert all(math.isfinite(v) for v in history.train_nll + history.val_nll)
        assert all(torch.isfinite(p).all() for p in model.parameters())


@given(x=st.one_of(tensors(), anything), batch_size=small_int)
def test_evaluate_is_finite_or_a_clear_error(x, batch_size):
    result = clear_error(lambda: armini.evaluate(FIXED["NADE"], x, batch_size=batch_size))
    if result is not None:
        assert math.isfinite(result.nats) and result.nats >= 0 and result.n == len(x)


@given(nll=anything, n_dims=small_int, density=st.booleans())
def test_bits_per_dim(nll, n_dims, density):
    bpd = clear_error(lambda: metrics.bits_per_dim(nll, n_dims, density=density))
    if bpd is not None:
        assert not math.isnan(bpd) and (density or bpd >= -1e-6)


# -- the checks ----------------------------------------------------------------------------------


@given(
    name=st.sampled_from(sorted(FIXED)),
    x=st.one_of(st.none(), tensors()),
    tol=st.one_of(st.floats(-1, 1), anything),
    n_examples=small_int,
)
def test_dependency_matrix_or_a_clear_error(name, x, tol, n_examples):
    model = FIXED[name]
    dep = clear_error(lambda: checks.dependency_matrix(model, x, tol=tol, n_examples=n_examples))
    if dep is not None:
        assert dep.shape == (5, 5) and not torch.triu(checks.in_order(model, dep)).any()


@given(limit=small_int, tol=st.one_of(st.floats(-1, 1), anything))
def test_normalisation_check_or_a_clear_error(limit, tol):
    model = FIXED["softmax FVSBN"]
    clear_error(lambda: checks.enumerate_inputs(model, limit=limit), "limit", "enumerate")
    try:
        total = clear_error(lambda: checks.assert_normalized(model, tol=tol), "tol")
    except AssertionError:  # a tolerance below float32 rounding: the check is right to fail
        assert tol < 1e-6
        return
    if total is not None:
        assert abs(total - 1) < 1e-5


# -- tables and data -----------------------------------------------------------------------------


@given(probs=st.one_of(tensors(max_dims=2), anything, st.lists(st.floats(), max_size=9)))
def test_joint_table_from_probabilities(probs):
    joint = clear_error(lambda: JointTable(probs))
    if joint is not None:
        assert torch.isfinite(joint.probs).all() and abs(float(joint.probs.sum()) - 1) < 1e-6


@given(x=st.one_of(tensors(max_dims=2), anything), alpha=st.one_of(st.floats(-1, 3), anything))
def test_joint_table_from_data(x, alpha):
    joint = clear_error(lambda: JointTable.from_data(x, alpha=alpha))
    if joint is None:
        return
    assert not torch.isnan(joint.probs).any()
    lp = joint.log_prob(x) if len(x) else None
    assert lp is None or not torch.isnan(lp).any()
    assert joint.sample(3).shape == (3, joint.n_dims)


@given(x=st.one_of(tensors(), anything), n=small_int)
def test_joint_table_scoring_and_sampling(x, n):
    joint = JointTable.from_data(TRAIN[:, :3])
    lp = clear_error(lambda: joint.log_prob(x), "x")
    if lp is not None:
        assert lp.shape == (len(x),) and torch.isfinite(lp).all()
    s = clear_error(lambda: joint.sample(n), "n")
    if s is not None:
        assert s.shape == (n, 3)


@settings(max_examples=15)
@given(
    levels=st.one_of(st.none(), small_int),
    binarize=st.sampled_from(["fixed", "dynamic", "random", None]),
    seed=small_int,
)
def test_digits_arguments(levels, binarize, seed):
    d = clear_error(lambda: data.digits(levels=levels, binarize=binarize, seed=seed))
    if d is not None:
        assert d.n_dims == 64 and len(d.train) == 1197
        assert d.n_values == levels


@settings(max_examples=10)
@given(length=st.one_of(st.integers(-1, 20), anything))
def test_first_names_arguments(length):
    result = clear_error(lambda: data.first_names(length), "length")
    if result is not None:
        names, vocab = result
        assert min(len(names.train), len(names.val), len(names.test)) > 0
        assert names.n_dims == length and names.n_values == len(vocab)


@given(
    name=st.sampled_from(["image_grid", "matrix", "curves"]),
    x=st.one_of(tensors(), anything),
    ncols=small_int,
)
def test_plots_draw_or_say_why(name, x, ncols):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calls = {
        "image_grid": lambda: armini.plot.image_grid(x, ncols=ncols),
        "matrix": lambda: armini.plot.matrix(x),
        "curves": lambda: armini.plot.curves(x),
    }
    try:
        clear_error(calls[name])
    finally:
        plt.close("all")


@pytest.mark.parametrize("array", [np.zeros((2, 64)), [[0.0] * 64]])
def test_plots_take_arrays_and_lists(array):
    import matplotlib.pyplot as plt

    armini.plot.image_grid(array)
    plt.close("all")

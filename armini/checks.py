"""Correctness is shown, not claimed: checks that any `AutoregressiveModel` must pass.

- `dependency_matrix`: which outputs change when one input changes (the Jacobian pattern).
  Autoregressive ⇔ in the model's order the matrix is strictly lower-triangular.
- `total_probability`: Σ_x p(x) over all K^D inputs, which must be 1 (small D only).
- `sample_agreement`: frequencies of many samples against exact probabilities (small D).
- `incremental_agreement`: a model's incremental sampler against its D-pass sampler, one seed.

Each `assert_*` raises AssertionError with a message saying what is wrong.

Every check looks at the model a user scores and samples from: it runs the model in eval mode
(and restores the mode after), so a model that behaves differently in training (a MADE
ensemble, which averages its masks only in eval mode) is judged as it will be used. A model
that mixes several autoregressive components (a MADE mixture of orderings) is checked
component by component, each in its own order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from armini import _validate
from armini.models.base import AutoregressiveModel, batched_log_prob, evaluating


def _check_model(model) -> None:
    needs = ("shape", "n_dims", "head", "order", "validate")
    if not isinstance(model, torch.nn.Module) or not all(hasattr(model, a) for a in needs):
        raise TypeError(
            f"model must be an armini AutoregressiveModel (or an Autoencoder), "
            f"got {type(model).__name__}"
        )


def _examples(model: AutoregressiveModel, n: int, seed: int) -> Tensor:
    """Random inputs in the model's support, (n, *shape)."""
    gen = torch.Generator().manual_seed(seed)
    K = model.head.n_values
    if K is None:
        x = torch.randn((n, *model.shape), generator=gen)
    else:
        x = torch.randint(0, K, (n, *model.shape), generator=gen).float()
    return x.to(model.device)


@torch.no_grad()
def dependency_matrix(
    model: AutoregressiveModel,
    x: Tensor | None = None,
    tol: float = 0.0,
    n_examples: int = 8,
    seed: int = 0,
) -> Tensor:
    """dep[i, j] = 1 if output i (its conditional's parameters) changes when input j changes.

    Each input j in turn is set to every other value in the head's support (binary: flipped;
    real-valued: shifted by a random amount), over a batch of examples `x` (default: random).
    Indices are flat positions in the example, not positions in the order. Works for any
    module with `shape`, `n_dims`, `head`, `device` and `validate` (e.g. an Autoencoder).
    The model runs in eval mode (its mode is restored after).
    `tol`: the smallest change that counts, relative to the largest output (default 0: any
    change). A masked-out path adds exactly 0, while a real dependency can be tiny: through a
    deep stack of saturated gates a far pixel moves an output by less than 1e-6.
    Returns a (D, D) float tensor of 0s and 1s.
    """
    _check_model(model)
    tol = _validate.real(tol, "tol", minimum=0)
    if x is None:
        n_examples = _validate.integer(n_examples, "n_examples", 1)
        seed = _validate.integer(seed, "seed", 0)
        size = n_examples * model.n_dims * model.head.n_params
        _validate.fits_in_memory(size, f"dependency_matrix with {n_examples:,} examples")
        x = _examples(model, n_examples, seed)
    x = model.validate(x)
    with evaluating(model):
        return _dependencies(model, x, tol)


def _dependencies(model: AutoregressiveModel, x: Tensor, tol: float) -> Tensor:
    B, D = x.shape[0], model.n_dims
    flat = x.reshape(B, D)
    base = model(x).reshape(B, D, -1)
    dep = torch.zeros(D, D)
    K = model.head.n_values
    shifts = range(1, K) if K is not None else (0.7, -1.3)
    for j in range(D):
        for s in shifts:
            xj = flat.clone()
            xj[:, j] = (xj[:, j] + s) % K if K is not None else xj[:, j] + s
            out = model(xj.reshape(x.shape)).reshape(B, D, -1)
            change = (out - base).abs().amax(dim=(0, 2))  # (D,)
            dep[:, j] = torch.maximum(
                dep[:, j], (change > tol * (1 + base.abs().amax())).float().cpu()
            )
    return dep


def in_order(model: AutoregressiveModel, matrix: Tensor) -> Tensor:
    """Rows and columns of a (D, D) matrix permuted into the model's generation order."""
    o = model.order.cpu()
    return matrix[o][:, o]


def assert_autoregressive(model: AutoregressiveModel, x: Tensor | None = None) -> Tensor:
    """Fail unless every output depends only on inputs strictly earlier in the order.

    Checked in eval mode, on every component of the model (`model.components()`: the model
    itself, or each mask of a MADE mixture, in its own order). Returns the dependency matrix
    of the last component, in its order.
    """
    _check_model(model)
    with evaluating(model):
        components = model.components() if hasattr(model, "components") else [model]
        for k, component in enumerate(components):
            dep = in_order(component, dependency_matrix(component, x))
            bad = torch.triu(dep).nonzero()
            if len(bad):
                i, j = bad[0].tolist()
                oi, oj = component.order[i].item(), component.order[j].item()
                which = f" (component {k})" if k else ""
                raise AssertionError(
                    f"{type(model).__name__}{which} is not autoregressive: output {oi} (step {i} "
                    f"of the order) depends on input {oj} (step {j}), which is not earlier; "
                    f"{len(bad)} such pairs"
                )
    return dep


def enumerate_inputs(model: AutoregressiveModel, limit: int = 2**20) -> Tensor:
    """Every input a discrete model can see, (K^D, *shape)."""
    _check_model(model)
    limit = _validate.integer(limit, "limit", 1)
    K, D = model.head.n_values, model.n_dims
    if K is None:
        raise ValueError(
            f"{type(model).__name__} has a continuous head: there is nothing to "
            "enumerate; integrate its density numerically instead"
        )
    if D * math.log(K) > math.log(limit) + 1e-9:
        count = f" = {K**D:,}" if D * math.log10(K) < 30 else ""
        raise ValueError(
            f"{K}^{D}{count} inputs is too many to enumerate (limit {limit:,}); "
            "use a model with fewer variables"
        )
    _validate.fits_in_memory(K**D * D, f"enumerating the {K}^{D} inputs")
    grid = torch.cartesian_prod(*[torch.arange(K)] * D) if D > 1 else torch.arange(K)[:, None]
    return grid.float().reshape(-1, *model.shape).to(model.device)


def exact_probabilities(model: AutoregressiveModel, batch_size: int = 4096) -> Tensor:
    """p(x) for every x from `enumerate_inputs`, (K^D,) in float64 (computed in eval mode)."""
    batch_size = _validate.integer(batch_size, "batch_size", 1)
    return batched_log_prob(model, enumerate_inputs(model), batch_size).double().exp()


def total_probability(model: AutoregressiveModel) -> float:
    """Σ_x p(x) over all K^D inputs. A normalised model gives 1."""
    return float(exact_probabilities(model).sum())


def assert_normalized(model: AutoregressiveModel, tol: float = 1e-5) -> float:
    """Fail unless the probabilities of all K^D inputs sum to 1 within `tol` (eval mode)."""
    tol = _validate.real(tol, "tol", minimum=0)
    total = total_probability(model)
    if not abs(total - 1) <= tol:
        raise AssertionError(
            f"{type(model).__name__} is not normalised: Σ_x p(x) = {total:.6f}, expected 1 ± {tol}"
        )
    return total


@dataclass
class Agreement:
    """Total-variation distance between sample frequencies and exact probabilities."""

    tv: float
    bound: float
    n_samples: int

    @property
    def ok(self) -> bool:
        return self.tv <= self.bound


def tv_bound(probs: Tensor, n: int, delta: float = 1e-6) -> float:
    """A bound that the TV distance of n exact samples exceeds with probability < delta:
    E[TV] ≤ ½ Σ_x √(p(1−p)/n), plus √(ln(1/δ) / 2n) by McDiarmid's inequality."""
    n = _validate.integer(n, "n (the number of samples)", 1)
    delta = _validate.real(delta, "delta", above=0, maximum=1)
    p = probs.double()
    return float(0.5 * torch.sqrt(p * (1 - p) / n).sum() + math.sqrt(math.log(1 / delta) / (2 * n)))


def sample_agreement(
    model: AutoregressiveModel,
    n_samples: int = 20000,
    delta: float = 1e-6,
    samples: Tensor | None = None,
    method: str = "auto",
) -> Agreement:
    """Draw `n_samples` with `model.sample(method=method)` in eval mode (or use `samples`,
    (N, *shape)) and compare their frequencies with `exact_probabilities`."""
    delta = _validate.real(delta, "delta", above=0, maximum=1)
    probs = exact_probabilities(model).cpu()
    K, D = model.head.n_values, model.n_dims
    if samples is None:
        n_samples = _validate.integer(n_samples, "n_samples", 1)
        with evaluating(model):
            samples = model.sample(n_samples, method=method)
    else:
        samples = model.validate(samples, "samples")
    flat = samples.reshape(len(samples), D).long().cpu()
    index = (flat * K ** torch.arange(D - 1, -1, -1)).sum(1)  # matches cartesian_prod order
    freq = torch.bincount(index, minlength=len(probs)).double() / len(samples)
    tv = 0.5 * float((freq - probs).abs().sum())
    return Agreement(tv, tv_bound(probs, len(samples), delta), len(samples))


def assert_samples_match(
    model: AutoregressiveModel, n_samples: int = 20000, method: str = "auto"
) -> Agreement:
    """Fail unless sample frequencies agree with exact probabilities (TV under the bound);
    sampled in eval mode, incrementally where the model can (`method`, as in `sample`)."""
    result = sample_agreement(model, n_samples, method=method)
    if not result.ok:
        raise AssertionError(
            f"samples of {type(model).__name__} disagree with its probabilities: total-variation "
            f"distance {result.tv:.4f} over {result.n_samples} samples, bound {result.bound:.4f}"
        )
    return result


@dataclass
class PathAgreement:
    """Samples of the incremental sampler against those of the D-pass reference, drawn with
    one generator seed: how many entries differ (by more than `atol`) and by how much."""

    mismatch: float  # fraction of entries that differ by more than atol
    max_difference: float
    n_samples: int
    atol: float


@torch.no_grad()
def incremental_agreement(
    model: AutoregressiveModel,
    n_samples: int = 2000,
    seed: int = 0,
    given: Tensor | None = None,
    atol: float = 1e-4,
) -> PathAgreement:
    """Draw `n_samples` twice from one seed, with `method="incremental"` and with
    `method="passes"` (the reference), in eval mode, and compare them entry by entry. Both paths
    draw the same random numbers in the same order, so they agree up to rounding: a discrete
    value flips only where a uniform falls between two nearly equal probabilities."""
    _check_model(model)
    if not getattr(model, "incremental", False):
        raise ValueError(f"{type(model).__name__} has no incremental sampler to compare")
    n_samples = _validate.integer(n_samples, "n_samples", 1)
    seed = _validate.integer(seed, "seed", 0)
    atol = _validate.real(atol, "atol", minimum=0)
    draws = {}
    with evaluating(model):
        for method in ("incremental", "passes"):
            generator = torch.Generator(device=model.device).manual_seed(seed)
            draws[method] = model.sample(n_samples, given, generator, method=method).double()
    difference = (draws["incremental"] - draws["passes"]).abs()
    mismatch = float((difference > atol).double().mean())
    return PathAgreement(mismatch, float(difference.max()), n_samples, atol)


def assert_incremental_sampling(
    model: AutoregressiveModel,
    n_samples: int = 2000,
    seed: int = 0,
    given: Tensor | None = None,
    atol: float = 1e-4,
    max_mismatch: float = 1e-3,
) -> PathAgreement:
    """Fail unless the incremental sampler draws what the D-pass sampler draws from the same
    seed: entries equal within `atol`, but for at most a fraction `max_mismatch` that rounding
    may flip. (With `assert_samples_match`, which samples incrementally when a model can, this
    also holds the fast path against the exact probabilities.)"""
    result = incremental_agreement(model, n_samples, seed, given, atol)
    if result.mismatch > max_mismatch:
        raise AssertionError(
            f"the incremental sampler of {type(model).__name__} draws other samples than its "
            f"D-pass sampler from the same seed: {result.mismatch:.2%} of the entries differ by "
            f"more than {atol:g} (at most {result.max_difference:.3g}), allowed {max_mismatch:.2%}"
        )
    return result

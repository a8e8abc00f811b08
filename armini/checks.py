"""Correctness is shown, not claimed: checks that any `AutoregressiveModel` must pass.

- `dependency_matrix`: which outputs change when one input changes (the Jacobian pattern).
  Autoregressive ⇔ in the model's order the matrix is strictly lower-triangular.
- `total_probability`: Σ_x p(x) over all K^D inputs, which must be 1 (small D only).
- `sample_agreement`: frequencies of many samples against exact probabilities (small D).

Each `assert_*` raises AssertionError with a message saying what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from armini.models.base import AutoregressiveModel, batched_log_prob


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
    tol: float = 1e-6,
    n_examples: int = 8,
    seed: int = 0,
) -> Tensor:
    """dep[i, j] = 1 if output i (its conditional's parameters) changes when input j changes.

    Each input j in turn is set to every other value in the head's support (binary: flipped;
    real-valued: shifted by a random amount), over a batch of examples `x` (default: random).
    Indices are flat positions in the example, not positions in the order. Works for any
    module with `shape`, `n_dims`, `head`, `device` and `validate` (e.g. an Autoencoder).
    Returns a (D, D) float tensor of 0s and 1s.
    """
    if x is None:
        x = _examples(model, n_examples, seed)
    x = model.validate(x)
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
    """Fail unless every output depends only on inputs strictly earlier in the order."""
    dep = in_order(model, dependency_matrix(model, x))
    bad = torch.triu(dep).nonzero()
    if len(bad):
        i, j = bad[0].tolist()
        oi, oj = model.order[i].item(), model.order[j].item()
        raise AssertionError(
            f"{type(model).__name__} is not autoregressive: output {oi} (step {i} of the order) "
            f"depends on input {oj} (step {j}), which is not earlier; {len(bad)} such pairs"
        )
    return dep


def enumerate_inputs(model: AutoregressiveModel, limit: int = 2**20) -> Tensor:
    """Every input a discrete model can see, (K^D, *shape)."""
    K, D = model.head.n_values, model.n_dims
    if K is None:
        raise ValueError(
            f"{type(model).__name__} has a continuous head: there is nothing to "
            "enumerate; integrate its density numerically instead"
        )
    if K**D > limit:
        raise ValueError(
            f"{K}^{D} = {K**D} inputs is too many to enumerate (limit {limit}); "
            "use a model with fewer variables"
        )
    grid = torch.cartesian_prod(*[torch.arange(K)] * D) if D > 1 else torch.arange(K)[:, None]
    return grid.float().reshape(-1, *model.shape).to(model.device)


def exact_probabilities(model: AutoregressiveModel, batch_size: int = 4096) -> Tensor:
    """p(x) for every x from `enumerate_inputs`, (K^D,) in float64 (computed in eval mode)."""
    return batched_log_prob(model, enumerate_inputs(model), batch_size).double().exp()


def total_probability(model: AutoregressiveModel) -> float:
    """Σ_x p(x) over all K^D inputs. A normalised model gives 1."""
    return float(exact_probabilities(model).sum())


def assert_normalized(model: AutoregressiveModel, tol: float = 1e-5) -> float:
    """Fail unless the probabilities of all K^D inputs sum to 1 within `tol`."""
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
    p = probs.double()
    return float(0.5 * torch.sqrt(p * (1 - p) / n).sum() + math.sqrt(math.log(1 / delta) / (2 * n)))


def sample_agreement(
    model: AutoregressiveModel,
    n_samples: int = 20000,
    delta: float = 1e-6,
    samples: Tensor | None = None,
) -> Agreement:
    """Draw `n_samples` with `model.sample` (or use `samples`) and compare their frequencies
    with `exact_probabilities`."""
    probs = exact_probabilities(model).cpu()
    K, D = model.head.n_values, model.n_dims
    if samples is None:
        samples = model.sample(n_samples)
    flat = samples.reshape(len(samples), D).long().cpu()
    index = (flat * K ** torch.arange(D - 1, -1, -1)).sum(1)  # matches cartesian_prod order
    freq = torch.bincount(index, minlength=len(probs)).double() / len(samples)
    tv = 0.5 * float((freq - probs).abs().sum())
    return Agreement(tv, tv_bound(probs, len(samples), delta), len(samples))


def assert_samples_match(model: AutoregressiveModel, n_samples: int = 20000) -> Agreement:
    """Fail unless sample frequencies agree with exact probabilities (TV under the bound)."""
    result = sample_agreement(model, n_samples)
    if not result.ok:
        raise AssertionError(
            f"samples of {type(model).__name__} disagree with its probabilities: total-variation "
            f"distance {result.tv:.4f} over {result.n_samples} samples, bound {result.bound:.4f}"
        )
    return result

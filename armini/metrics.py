"""Units of likelihood, divergences between distributions, and Monte Carlo estimates.

Units. A negative log-likelihood in nats over D variables is nll / (D · ln 2) bits per
dimension: the average number of bits an ideal code built from the model spends on one variable
(1 bit/dim = no better than a fair coin for binary data).

Divergences of discrete distributions p, q over the same K outcomes (the last tensor dimension):

    H(p)       = −Σ_x p(x) log p(x)                 entropy
    H(p, q)    = −Σ_x p(x) log q(x)                 cross-entropy
    D(p ‖ q)   =  Σ_x p(x) log p(x) / q(x)          KL divergence = H(p, q) − H(p) ≥ 0

all in nats. Terms with p(x) = 0 contribute 0 (0 log 0 = 0); q(x) = 0 where p(x) > 0 makes the
cross-entropy and the KL divergence +inf. `gaussian_kl` is the closed form for two univariate
Gaussians, and `fit_gaussian_kl` fits one Gaussian to a density on a grid by forward or reverse
KL.

Monte Carlo. E_{x∼p}[g(x)] ≈ (1/T) Σ_t g(x_t) for T samples x_t ∼ p; the estimate is unbiased and
its standard error is the sample standard deviation of g over √T. `monte_carlo(values)` returns
a `MonteCarloEstimate`; `mc_log_likelihood(model, x)` is the average log-likelihood of a data
set read that way, and `mc_kl` estimates a KL divergence from samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from armini import _validate
from armini.models.base import batched_log_prob

Probabilities = Tensor | Sequence[float]  # (..., K), summing to 1 over the last dimension
Number = float | Tensor

# -- units -----------------------------------------------------------------------------------


def bits_per_dim(nll_nats: float, n_dims: int, *, density: bool = False) -> float:
    """nats per example → bits per dimension.

    A discrete model's NLL is ≥ 0 (a probability is at most 1); a negative one is refused
    unless `density=True`, for a density over real values (RNADE), which may exceed 1.
    +inf (a model that gives an example probability 0) stays +inf.
    """
    n_dims = _validate.integer(n_dims, "n_dims", 1)
    nll = _validate.real(nll_nats, "nll_nats", allow_inf=True)
    if nll == -math.inf or (nll < -1e-6 and not density):  # rounding may leave −1e−12
        raise ValueError(
            f"nll_nats = {nll:g} is negative: the NLL of a discrete model is ≥ 0 (probabilities"
            " are at most 1). Pass density=True for a density over real values."
        )
    return nll / (n_dims * math.log(2))


def nats_to_bits(nats: float) -> float:
    return _validate.real(nats, "nats", allow_inf=True) / math.log(2)


# -- discrete distributions --------------------------------------------------------------------


def _as_float(a) -> Tensor:
    """A float tensor: tensors keep a float dtype; numbers, lists, arrays, ints → float64."""
    t = a if torch.is_tensor(a) else torch.as_tensor(a, dtype=torch.float64)
    return t if t.is_floating_point() else t.double()


def check_distribution(p: Probabilities, name: str = "p", tol: float = 1e-5) -> Tensor:
    """Return `p` as a float tensor after checking that it is a distribution over its last
    dimension: finite, non-negative entries that sum to 1 within `tol`.

    Shapes: `(..., K)`; leading dimensions are a batch of distributions. Lists, arrays and
    integer tensors become float64 tensors.
    """
    p = _as_float(p)
    expected = "expected probabilities over the last dimension, shape (..., K), summing to 1"
    if p.dim() == 0 or p.shape[-1] == 0:
        raise ValueError(f"{name} has shape {tuple(p.shape)}: {expected}")
    if not torch.isfinite(p).all():
        raise ValueError(f"{name} contains NaN or inf: {expected}")
    if (p < 0).any():
        bad = p[p < 0].flatten()[:3].tolist()
        raise ValueError(f"{name} has negative probabilities {bad}: {expected}")
    total = p.sum(-1)
    worst = (total - 1).abs().max()
    if worst > tol:
        bad = total.flatten()[(total.flatten() - 1).abs().argmax()].item()
        raise ValueError(
            f"{name} does not sum to 1 over its last dimension (a sum is {bad:.6g}, tolerance "
            f"{tol:g}): {expected}; normalise it first, e.g. {name} / {name}.sum(-1, keepdim=True)"
        )
    return p


def _check_pair(p: Probabilities, q: Probabilities, tol: float) -> tuple[Tensor, Tensor]:
    p, q = check_distribution(p, "p", tol), check_distribution(q, "q", tol)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"p and q are over different supports: p has {p.shape[-1]} outcomes (shape "
            f"{tuple(p.shape)}), q has {q.shape[-1]} (shape {tuple(q.shape)}); expected "
            "probabilities of the same K outcomes in the last dimension"
        )
    try:
        torch.broadcast_shapes(p.shape, q.shape)
    except RuntimeError:
        raise ValueError(
            f"the batch shapes of p {tuple(p.shape)} and q {tuple(q.shape)} do not broadcast; "
            "expected (..., K) tensors with matching or broadcastable leading dimensions"
        ) from None
    dtype = torch.promote_types(p.dtype, q.dtype)
    return p.to(dtype), q.to(device=p.device, dtype=dtype)


def entropy(p: Probabilities, *, tol: float = 1e-5) -> Tensor:
    """H(p) = −Σ_x p(x) log p(x) in nats, with 0 log 0 = 0.

    Shapes: p `(..., K)` → `(...)`. 0 ≤ H(p) ≤ log K; log K for the uniform distribution.
    """
    p = check_distribution(p, "p", tol)
    return -torch.xlogy(p, p).sum(-1)


def cross_entropy(p: Probabilities, q: Probabilities, *, tol: float = 1e-5) -> Tensor:
    """H(p, q) = −Σ_x p(x) log q(x) = E_{x∼p}[−log q(x)] in nats.

    Terms with p(x) = 0 contribute 0; q(x) = 0 where p(x) > 0 gives +inf.
    Shapes: p, q `(..., K)` (batch dimensions broadcast) → `(...)`.
    """
    p, q = _check_pair(p, q, tol)
    return -torch.xlogy(p, q).sum(-1)


def kl_divergence(p: Probabilities, q: Probabilities, *, tol: float = 1e-5) -> Tensor:
    """D(p ‖ q) = Σ_x p(x) log (p(x) / q(x)) = H(p, q) − H(p) in nats.

    D(p ‖ q) ≥ 0, with equality only when p = q (Gibbs' inequality, from Jensen's inequality),
    and in general D(p ‖ q) ≠ D(q ‖ p). Terms with p(x) = 0 contribute 0; q(x) = 0 where
    p(x) > 0 gives +inf. Rounding can leave values of order −1e−16 for p ≈ q.
    Shapes: p, q `(..., K)` (batch dimensions broadcast) → `(...)`.
    """
    p, q = _check_pair(p, q, tol)
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)


# -- Gaussians ---------------------------------------------------------------------------------


def gaussian_kl(mean_p: Number, std_p: Number, mean_q: Number, std_q: Number) -> Tensor:
    """D(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) = log(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²) / (2σ_q²) − ½.

    Arguments are numbers or tensors that broadcast; standard deviations must be > 0.
    Returns a tensor of the broadcast shape (float64 for plain numbers).
    """
    mean_p, std_p, mean_q, std_q = (_as_float(a) for a in (mean_p, std_p, mean_q, std_q))
    for name, s in (("std_p", std_p), ("std_q", std_q)):
        if not (torch.isfinite(s) & (s > 0)).all():
            raise ValueError(
                f"{name} must hold standard deviations σ > 0 (not variances or log σ); "
                f"got {s.flatten()[:3].tolist()}"
            )
    return torch.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2) - 0.5


@dataclass
class GaussianFit:
    """The Gaussian N(mean, std²) closest to a density in one direction of KL, and that KL."""

    mean: float
    std: float
    kl: float
    direction: str

    def __str__(self) -> str:
        mean = self.mean + 0.0 if abs(self.mean) >= 5e-3 else 0.0  # no "-0.00"
        kl = max(self.kl, 0.0)  # quadrature can leave −1e−9 where the KL is 0
        return f"{self.direction} KL fit: N({mean:.2f}, {self.std:.2f}²), KL {kl:.3f}"


def fit_gaussian_kl(
    density: Tensor,
    grid: Tensor,
    direction: str = "forward",
    *,
    tol: float = 1e-3,
    steps: int = 50,
) -> GaussianFit:
    """Fit one Gaussian q = N(μ, σ²) to a 1-D density p given on an evenly spaced grid.

    forward: argmin D(p ‖ q) = E_p[log p − log q]: q must cover wherever p has mass (the answer
        is moment matching, μ = E_p[x], σ² = Var_p[x]).
    reverse: argmin D(q ‖ p) = E_q[log q − log p] = −H(q) − E_q[log p]: q must avoid wherever
        p has little mass, so it settles on one mode of a well-separated mixture.

    Expectations under p are sums over the grid, Σ_g p(x_g) Δx (·); E_q[log p] is the same sum
    with q, plus q's tails beyond the grid, where p is taken to equal its value at the nearer
    end (so make the grid wide enough that p is negligible at both ends); H(q) = ½ log(2πe σ²).
    p is floored at 1e−300 so that log p stays finite where it underflows. The search is a
    coarse grid over (μ, log σ), μ over the grid and σ from 2Δx to the grid's width, then
    `steps` L-BFGS iterations from its best point, so the global minimum is found.

    Args:
        density: p(x_g) at the grid points, `(G,)`, ≥ 0, integrating to 1 within `tol`.
        grid: `(G,)` evenly spaced, increasing points x_g, wide enough to hold p's mass.
    """
    if direction not in ("forward", "reverse"):
        raise ValueError(f"direction must be 'forward' or 'reverse', got {direction!r}")
    grid = torch.as_tensor(grid, dtype=torch.float64)
    density = torch.as_tensor(density, dtype=torch.float64)
    if grid.dim() != 1 or len(grid) < 10:
        raise ValueError(f"grid must be 1-D with at least 10 points, got shape {tuple(grid.shape)}")
    step = grid.diff()
    if not (step > 0).all() or (step - step.mean()).abs().max() > 1e-3 * step.mean():
        raise ValueError("grid must be evenly spaced and increasing, e.g. torch.linspace(a, b, G)")
    if density.shape != grid.shape:
        raise ValueError(
            f"density has shape {tuple(density.shape)}, expected the grid's shape "
            f"{tuple(grid.shape)}: one value p(x_g) per grid point"
        )
    if not torch.isfinite(density).all() or (density < 0).any():
        raise ValueError("density must hold finite, non-negative values p(x_g) ≥ 0")
    dx = float(step.mean())
    mass = float(density.sum()) * dx
    if abs(mass - 1) > tol:
        raise ValueError(
            f"density integrates to {mass:.4f} over the grid (Σ_g p(x_g) Δx), expected 1 within "
            f"{tol:g}: normalise it, or widen the grid to hold all of p's mass"
        )
    cell = density / density.sum()  # p(x_g) Δx, summing to 1
    log_p = density.clamp_min(1e-300).log()
    lo, hi = grid[0] - dx / 2, grid[-1] + dx / 2  # the cells cover [lo, hi]

    def kl(mean: Tensor, log_std: Tensor) -> Tensor:  # (...), (...) -> (...)
        normal = torch.distributions.Normal(mean, log_std.exp(), validate_args=False)
        z = (grid - mean[..., None]) / normal.scale[..., None]  # (..., G)
        log_q = -0.5 * z**2 - log_std[..., None] - 0.5 * math.log(2 * math.pi)
        if direction == "forward":
            return (cell * (log_p - log_q)).sum(-1)
        e_log_p = (log_q.exp() * dx * log_p).sum(-1)
        e_log_p = e_log_p + normal.cdf(lo) * log_p[0] + (1 - normal.cdf(hi)) * log_p[-1]
        entropy_q = 0.5 * math.log(2 * math.pi * math.e) + log_std
        return -entropy_q - e_log_p

    means = grid[:: max(1, len(grid) // 40)]
    log_stds = torch.linspace(math.log(2 * dx), math.log(float(hi - lo)), 20, dtype=grid.dtype)
    coarse = kl(means[:, None], log_stds[None, :])  # (M, S)
    best = int(torch.nan_to_num(coarse, nan=math.inf).argmin())
    mean = means[best // len(log_stds)].clone().requires_grad_()
    log_std = log_stds[best % len(log_stds)].clone().requires_grad_()
    optimizer = torch.optim.LBFGS([mean, log_std], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = kl(mean, log_std)
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        value = float(kl(mean, log_std))
    return GaussianFit(mean.item(), math.exp(log_std.item()), value, direction)


# -- Monte Carlo -------------------------------------------------------------------------------


@dataclass
class MonteCarloEstimate:
    """The sample mean of T values g(x_t), x_t ∼ p, as an estimate of E_p[g(x)].

    stderr = s / √T, with s the sample standard deviation of the values (T − 1 in its
    denominator): the standard deviation of the estimate itself. For large T the mean is within
    ±1.96 stderr of the truth about 95% of the time (central limit theorem).
    """

    mean: float
    stderr: float
    n: int

    @property
    def std(self) -> float:
        """Sample standard deviation of the values, s = stderr · √T."""
        return self.stderr * math.sqrt(self.n)

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """(mean − z·stderr, mean + z·stderr); z = 1.96 gives about 95% coverage."""
        return self.mean - z * self.stderr, self.mean + z * self.stderr

    def __neg__(self) -> MonteCarloEstimate:
        return MonteCarloEstimate(-self.mean, self.stderr, self.n)

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.stderr:.3f}"

    def __format__(self, spec: str) -> str:
        """f"{estimate:.2f}" formats both numbers: '1.23 ± 0.01'."""
        if not spec:
            return str(self)
        return f"{format(self.mean, spec)} ± {format(self.stderr, spec)}"


def monte_carlo(values: Tensor | Sequence[float]) -> MonteCarloEstimate:
    """Mean and standard error of T ≥ 2 values g(x_1), …, g(x_T), shape `(T,)`.

    (1/T) Σ_t g(x_t) is an unbiased estimate of E_p[g(x)] when x_t ∼ p independently, and its
    variance Var_p[g(x)] / T falls like 1/T: stderr ∝ 1/√T.
    """
    values = torch.as_tensor(values)
    if values.dim() != 1 or len(values) < 2:
        raise ValueError(
            f"values has shape {tuple(values.shape)}: expected a 1-D tensor (T,) of T ≥ 2 "
            "samples g(x_t) (two are needed for a standard error); flatten a batch first"
        )
    values = values.detach().double()
    if not torch.isfinite(values).all():
        raise ValueError(
            "values contains inf or NaN: a Monte Carlo estimate needs finite g(x_t) "
            "(a log-probability of -inf means the model gives a sample probability 0)"
        )
    return MonteCarloEstimate(
        float(values.mean()), float(values.std() / math.sqrt(len(values))), len(values)
    )


def mc_log_likelihood(
    model: torch.nn.Module, x: Tensor, batch_size: int = 1024
) -> MonteCarloEstimate:
    """(1/m) Σ_j log p_θ(x^(j)) over a data set `x: (m, *shape)`, in nats per example, read as
    a Monte Carlo estimate of E_{x∼p_data}[log p_θ(x)] with its standard error.

    The mean is −`armini.evaluate(model, x).nats`; the stderr says how much it would move on
    another data set of the same size.
    """
    if not torch.is_tensor(x) or x.dim() < 1 or len(x) < 2:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"x must be a tensor (m, *shape) with m ≥ 2 examples, got {shape}")
    return monte_carlo(batched_log_prob(model, x, batch_size))


@torch.no_grad()
def mc_kl(
    log_p: Callable[[Tensor], Tensor],
    log_q: Callable[[Tensor], Tensor],
    samples: Tensor,
) -> MonteCarloEstimate:
    """D(p ‖ q) = E_{x∼p}[log p(x) − log q(x)] ≈ (1/T) Σ_t (log p(x_t) − log q(x_t)).

    Args:
        log_p, log_q: functions from a batch of samples `(T, …)` to log-densities `(T,)`.
        samples: `(T, …)` drawn from p (not q: the expectation is under p).
    """
    if not torch.is_tensor(samples) or samples.dim() < 1:
        raise ValueError("samples must be a tensor (T, …) of T draws from p")
    lp, lq = log_p(samples), log_q(samples)
    if lp.shape != (len(samples),) or lq.shape != (len(samples),):
        raise ValueError(
            f"log_p and log_q must return one log-density per sample, shape ({len(samples)},); "
            f"got {tuple(lp.shape)} and {tuple(lq.shape)}"
        )
    return monte_carlo(lp - lq)

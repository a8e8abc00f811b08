"""Heads: turn the parameters of one conditional into log-probabilities and samples.

A model's `forward` returns, for every variable, a vector of `n_params` numbers; the head reads
that vector as a distribution. Three heads cover the course:

- `Bernoulli()`: one logit `a`, p(x = 1) = σ(a), x ∈ {0, 1}.
- `Categorical(K)`: K logits, p(x = k) = softmax(a)_k, x ∈ {0, …, K−1}.
- `MixtureOfGaussians(K)`: K weight logits, K means, K log standard deviations,
  p(x) = Σ_k π_k N(x; μ_k, σ_k²) for real x (RNADE).

Shapes: `params` is `(..., n_params)` and `x` is `(...)`; `log_prob` returns `(...)`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from armini import _validate


class Head:
    """Base class: one conditional distribution per variable."""

    n_params: int = 1
    n_values: int | None = None  # K for a discrete head, None for a continuous one

    def log_prob(self, params: Tensor, x: Tensor) -> Tensor:
        raise NotImplementedError

    def sample(self, params: Tensor, generator: torch.Generator | None = None) -> Tensor:
        raise NotImplementedError

    def temper(self, params: Tensor, temperature: float) -> Tensor:
        """The parameters of the distribution with its logits divided by `temperature`:
        below 1 sharper (towards the most likely value), above 1 flatter. Discrete heads only."""
        raise ValueError(
            f"{type(self).__name__} has no logits to divide: temperature is for Bernoulli and "
            "Categorical heads"
        )

    def validate(self, x: Tensor, name: str = "x") -> None:
        """Raise ValueError if `x` holds values outside this head's support."""
        if not torch.is_tensor(x):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.is_complex():
            raise TypeError(f"{name} has complex dtype {x.dtype}; expected {self.support_text()}")
        if x.is_floating_point() and torch.isnan(x).any():
            raise ValueError(f"{name} contains NaN; expected {self.support_text()}")

    def support(self) -> Tensor:
        """Every value one variable can take (discrete heads only)."""
        if self.n_values is None:
            raise ValueError(f"{type(self).__name__} is continuous: it has no finite support")
        return torch.arange(self.n_values)

    def support_text(self) -> str:
        return f"integers in {{0, …, {self.n_values - 1}}}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Bernoulli(Head):
    """p(x = 1) = σ(a) for one logit a; x ∈ {0, 1}."""

    n_params = 1
    n_values = 2

    def log_prob(self, params: Tensor, x: Tensor) -> Tensor:
        logits = params[..., 0]
        return -F.binary_cross_entropy_with_logits(logits, x.to(logits.dtype), reduction="none")

    def temper(self, params: Tensor, temperature: float) -> Tensor:
        return params / temperature

    def sample(self, params: Tensor, generator: torch.Generator | None = None) -> Tensor:
        probs = torch.sigmoid(params[..., 0])
        return torch.bernoulli(probs, generator=generator)

    def validate(self, x: Tensor, name: str = "x") -> None:
        super().validate(x, name)
        if not ((x == 0) | (x == 1)).all():
            bad = x[(x != 0) & (x != 1)].flatten()[:3].tolist()
            raise ValueError(
                f"{name} must be binary (values 0 and 1) for a Bernoulli model; found {bad}. "
                "Binarise grey images first, e.g. armini.data.digits(levels=2)."
            )

    def support_text(self) -> str:
        return "binary values 0 and 1"


class Categorical(Head):
    """p(x = k) = softmax(a)_k for K logits a; x ∈ {0, …, K−1}."""

    def __init__(self, n_values: int):
        self.n_values = _validate.integer(n_values, "Categorical: n_values (K)", 2)
        self.n_params = n_values

    def log_prob(self, params: Tensor, x: Tensor) -> Tensor:
        logp = torch.log_softmax(params, dim=-1)
        return logp.gather(-1, x.long().unsqueeze(-1)).squeeze(-1)

    def temper(self, params: Tensor, temperature: float) -> Tensor:
        return params / temperature

    def sample(self, params: Tensor, generator: torch.Generator | None = None) -> Tensor:
        probs = torch.softmax(params, dim=-1)
        flat = probs.reshape(-1, self.n_values)
        return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])

    def validate(self, x: Tensor, name: str = "x") -> None:
        super().validate(x, name)
        ok = (
            (x >= 0)
            & (x < self.n_values)
            & (x == torch.round(x) if x.is_floating_point() else True)
        )
        if not torch.as_tensor(ok).all():
            bad = x[~ok].flatten()[:3].tolist()
            raise ValueError(f"{name} must hold {self.support_text()}; found {bad}")

    def __repr__(self) -> str:
        return f"Categorical({self.n_values})"


class MixtureOfGaussians(Head):
    """p(x) = Σ_k π_k N(x; μ_k, σ_k²), params = (logits of π, μ, log σ), each K wide (RNADE)."""

    def __init__(self, n_components: int, min_log_std: float = -7.0):
        n_components = _validate.integer(n_components, "MixtureOfGaussians: n_components", 1)
        self.n_components = n_components
        self.n_params = 3 * n_components
        self.min_log_std = _validate.real(min_log_std, "MixtureOfGaussians: min_log_std")

    def split(self, params: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(log π, μ, log σ), each `(..., K)`; log σ is kept above `min_log_std`."""
        logits, mean, log_std = params.split(self.n_components, dim=-1)
        log_std = log_std.clamp(min=self.min_log_std)
        return torch.log_softmax(logits, dim=-1), mean, log_std

    def log_prob(self, params: Tensor, x: Tensor) -> Tensor:
        log_w, mean, log_std = self.split(params)
        z = (x.unsqueeze(-1).to(mean.dtype) - mean) / log_std.exp()
        log_normal = -0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(log_w + log_normal, dim=-1)

    def sample(self, params: Tensor, generator: torch.Generator | None = None) -> Tensor:
        log_w, mean, log_std = self.split(params)
        k = torch.multinomial(log_w.exp().reshape(-1, self.n_components), 1, generator=generator)
        k = k.reshape(log_w.shape[:-1] + (1,))
        mu, sigma = mean.gather(-1, k).squeeze(-1), log_std.gather(-1, k).squeeze(-1).exp()
        noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + sigma * noise

    def validate(self, x: Tensor, name: str = "x") -> None:
        super().validate(x, name)
        if not x.is_floating_point():
            raise ValueError(f"{name} must be a float tensor of real values, got dtype {x.dtype}")
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} must hold finite real values; found inf")

    def support_text(self) -> str:
        return "finite real values"

    def __repr__(self) -> str:
        return f"MixtureOfGaussians({self.n_components})"

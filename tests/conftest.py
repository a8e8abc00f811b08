"""Shared test helpers: small models, including deliberately broken ones that every check
must catch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import armini
from armini.models.base import AutoregressiveModel


class MaskedLinear(AutoregressiveModel):
    """logit_i = b_i + Σ_j (W ⊙ M)_ij x_j with M = tril(1, diagonal): diagonal=-1 is
    autoregressive; diagonal=0 is the classic bug, a mask off by one that lets x_i see itself."""

    def __init__(self, n: int, diagonal: int = -1, head=None, order=None, seed: int = 0):
        head = head or armini.Bernoulli()
        super().__init__(n, head, order)
        g = torch.Generator().manual_seed(seed)
        P = head.n_params
        self.weight = nn.Parameter(torch.randn(n * P, n, generator=g))
        self.bias = nn.Parameter(torch.randn(n * P, generator=g))
        mask = torch.tril(torch.ones(n, n), diagonal=diagonal)
        order_t = self.order
        rank = torch.empty(n, dtype=torch.long)
        rank[order_t] = torch.arange(n)
        mask = mask[rank][:, rank]  # mask in the model's order
        self.register_buffer("mask", mask.repeat_interleave(P, dim=0))

    def forward(self, x):
        out = F.linear(x.reshape(len(x), -1), self.weight * self.mask, self.bias)
        return out.reshape(len(x), self.n_dims, -1)


class Unnormalised(MaskedLinear):
    """Autoregressive wiring, but log p(x_i | x_<i) = log σ(a_i) whatever x_i is: the two
    'probabilities' of each conditional do not sum to one."""

    def log_prob(self, x):
        x = self.validate(x)
        return F.logsigmoid(self(x)[..., 0]).sum(1)


class WrongSampler(MaskedLinear):
    """Correct probabilities, but a sampler that forgets to feed earlier samples back in: every
    x_i is drawn as if all earlier variables were 0."""

    @torch.no_grad()
    def sample(self, n, given=None, generator=None, method="auto", temperature=1.0):
        params = self(torch.zeros(n, self.n_dims))
        return self.head.sample(params)


def randomised(model, seed=0):
    """Large random weights everywhere (standard normal), so that no dependency hides behind a
    zero initialisation and every conditional is far from uniform; returned in eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return model.eval()


@pytest.fixture(autouse=True)
def _seed():
    armini.seed_everything(0)

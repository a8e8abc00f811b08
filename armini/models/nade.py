"""NADE: one hidden layer per conditional, with the weights tied across conditionals.

    h_i = σ(c + W[:, <i] x_<i),        p(x_i = 1 | x_<i) = σ(b_i + V_i · h_i)

W is d × D and shared: conditional i uses the first i − 1 of its columns (in the order). So
a_i = c + W[:, <i] x_<i obeys the running sum a_{i+1} = a_i + W[:, i] x_i, and all D hidden
vectors cost O(Dd) together instead of O(D²d). Parameters: W, c, V, b = 2Dd + d + D (as in
the notes; the column of W for the last variable in the order is never read).

The head makes the variants of the course:
- Bernoulli(): binary NADE (Larochelle & Murray, 2011);
- Categorical(K): softmax NADE for K-valued variables; the input x_j enters as one-hot, so W
  has one column per (variable, value);
- MixtureOfGaussians(K): RNADE (Uria, Murray & Larochelle, 2013) for real values; each
  conditional is a K-component mixture with learned weights. (RNADE's rescaling of the
  activations by ρ_i is left out.)

`PerConditionalMLP` is the untied starting point: conditional i has its own d × (i−1) weights,
O(D²d) parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Head
from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import (
    MaskedLinear,
    expand_mask,
    features_per_variable,
    input_features,
    order_mask,
)


class _HiddenPerConditional(AutoregressiveModel):
    """What NADE and the untied MLP share: a hidden vector h_i per conditional (d units) and
    the read-out out_i = b_i + V_i · h_i, with V: (D, P, d) and b: (D, P). Subclasses create
    their hidden-layer parameters, then call `_init_readout()`."""

    def __init__(self, n_dims: int, n_hidden: int, head: Head | None, order: Sequence[int] | None):
        head = Bernoulli() if head is None else head
        super().__init__(n_dims, head, order)
        self.n_hidden = _validate.integer(n_hidden, "n_hidden (d, hidden units)", 1)
        self.in_per_var = features_per_variable(head)
        self.check_size(self.n_dims * self.n_hidden * head.n_params, "the read-out V")

    def _init_readout(self) -> None:
        P = self.head.n_params
        self.V = nn.Parameter(torch.randn(self.n_dims, P, self.n_hidden) * 0.05)
        self.b = nn.Parameter(torch.zeros(self.n_dims, P))

    def hidden(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        """h_i for every i at once: (B, D) -> (B, D, d), row i in natural index."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        x = x.reshape(len(x), -1)
        out = torch.einsum("bih,iph->bip", self.hidden(x), self.V) + self.b
        return out.reshape(len(x), *self.shape, self.head.n_params)


class NADE(_HiddenPerConditional):
    """Neural autoregressive density estimator with `n_hidden` (d) tied hidden units."""

    def __init__(
        self,
        n_dims: int,
        n_hidden: int = 32,
        head: Head | None = None,
        order: Sequence[int] | None = None,
    ):
        super().__init__(n_dims, n_hidden, head, order)
        self.check_size(self.n_dims * self.in_per_var * self.n_hidden, "the tied weights W")
        self.W = nn.Parameter(torch.randn(n_hidden, n_dims * self.in_per_var) * 0.05)
        self.c = nn.Parameter(torch.zeros(n_hidden))
        self._init_readout()

    def hidden(self, x: Tensor) -> Tensor:
        """h_i for every i at once: (B, D) -> (B, D, d), row i in natural index."""
        B, D = len(x), self.n_dims
        feats = input_features(x, self.head).reshape(B, D, self.in_per_var)
        W = self.W.reshape(-1, D, self.in_per_var)  # (d, D, F)
        contrib = torch.einsum("bjf,hjf->bjh", feats, W)  # W[:, j] x_j, (B, D, d)
        contrib = contrib[:, self.order]  # in generation order
        a = self.c + torch.cumsum(contrib, dim=1) - contrib  # a_i = c + Σ_{j<i}: running sum
        h = torch.empty_like(a)
        h[:, self.order] = torch.sigmoid(a)  # back to natural index
        return h


class PerConditionalMLP(_HiddenPerConditional):
    """One MLP per conditional, no sharing: h_i = σ(c_i + W^i x_<i), out_i = b_i + V_i · h_i.

    All D hidden layers are one masked linear layer (D·d units, block i reads only x_<i), so
    the parameters that count are d·D(D−1)/2 + 2Dd + D (times K for one-hot inputs/outputs).
    """

    def __init__(
        self,
        n_dims: int,
        n_hidden: int = 32,
        head: Head | None = None,
        order: Sequence[int] | None = None,
    ):
        super().__init__(n_dims, n_hidden, head, order)
        D, d, F = self.n_dims, self.n_hidden, self.in_per_var
        self.check_size(3 * D * d * D * F, f"a {D * d:,} × {D * F:,} masked hidden layer")
        mask = expand_mask(order_mask(self.order), n_hidden, self.in_per_var)
        self.hidden_layer = MaskedLinear(mask)
        self._init_readout()

    def hidden(self, x: Tensor) -> Tensor:
        h = torch.sigmoid(self.hidden_layer(input_features(x, self.head)))
        return h.reshape(len(x), self.n_dims, self.n_hidden)

    def n_parameters(self) -> int:
        return self.hidden_layer.n_connections() + self.V.numel() + self.b.numel()

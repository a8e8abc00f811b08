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

from armini.heads import Bernoulli, Categorical, Head
from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import MaskedLinear, input_features, order_mask


class NADE(AutoregressiveModel):
    """Neural autoregressive density estimator with `n_hidden` (d) tied hidden units."""

    def __init__(
        self,
        n_dims: int,
        n_hidden: int = 32,
        head: Head | None = None,
        order: Sequence[int] | None = None,
    ):
        head = head or Bernoulli()
        super().__init__(n_dims, head, order)
        self.n_hidden = n_hidden
        self.in_per_var = head.n_values if isinstance(head, Categorical) else 1
        D, d, P = n_dims, n_hidden, head.n_params
        self.W = nn.Parameter(torch.randn(d, D * self.in_per_var) * 0.05)
        self.c = nn.Parameter(torch.zeros(d))
        self.V = nn.Parameter(torch.randn(D, P, d) * 0.05)
        self.b = nn.Parameter(torch.zeros(D, P))

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

    def forward(self, x: Tensor) -> Tensor:
        x = x.reshape(len(x), -1)
        out = torch.einsum("bih,iph->bip", self.hidden(x), self.V) + self.b
        return out.reshape(len(x), *self.shape, self.head.n_params)


class PerConditionalMLP(AutoregressiveModel):
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
        head = head or Bernoulli()
        super().__init__(n_dims, head, order)
        self.n_hidden = n_hidden
        in_per_var = head.n_values if isinstance(head, Categorical) else 1
        mask = (
            order_mask(self.order).repeat_interleave(n_hidden, 0).repeat_interleave(in_per_var, 1)
        )
        self.hidden_layer = MaskedLinear(mask)
        self.V = nn.Parameter(torch.randn(n_dims, head.n_params, n_hidden) * 0.05)
        self.b = nn.Parameter(torch.zeros(n_dims, head.n_params))

    def forward(self, x: Tensor) -> Tensor:
        B = len(x)
        h = torch.sigmoid(self.hidden_layer(input_features(x.reshape(B, -1), self.head)))
        out = (
            torch.einsum("bih,iph->bip", h.reshape(B, self.n_dims, self.n_hidden), self.V) + self.b
        )
        return out.reshape(B, *self.shape, self.head.n_params)

    def n_parameters(self) -> int:
        return self.hidden_layer.n_connections() + self.V.numel() + self.b.numel()

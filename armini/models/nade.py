"""NADE: one hidden layer per conditional, with the weights tied across conditionals.

    h_i = σ(c + W[:, <i] x_<i),        p(x_i = 1 | x_<i) = σ(b_i + V_i · h_i)

W is d × D and shared: conditional i uses the first i − 1 of its columns (in the order). So
a_i = c + W[:, <i] x_<i obeys the running sum a_{i+1} = a_i + W[:, i] x_i, and all D hidden
vectors cost O(Dd) together instead of O(D²d). The same running sum makes sampling cheap:
one step of it, O(d), per variable drawn (`initial_state`, `step`) instead of a forward pass.
Parameters: W, c, V, b = 2Dd + d + D (as in the notes; the column of W for the last variable
in the order is never read).

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

    # -- all D conditionals at once: the running sum, a block at a time -------------------------
    def _blocks(self, x: Tensor):
        """The running sum a_{i+1} = a_i + W[:, i] x_i along the order, C steps at a time.

        Yields `(s, e, h)`: h = σ(a) of the order's steps s, …, e−1, shaped (e − s, B, d).
        Between blocks the sum is carried as one (B, d) vector; inside a block,
        a_t = a_s + Σ_{s≤u<t} W[:, u] x_u is one masked matrix product. Same values as a
        `torch.cumsum` over the (B, D, d) contributions, but the working set of a block stays
        in the processor's cache, where the cumsum is limited by memory traffic. Without
        gradients the blocks reuse one buffer: use each h before asking for the next.
        """
        B, D, F, d = len(x), self.n_dims, self.in_per_var, self.n_hidden
        feats = input_features(x, self.head).reshape(B, D, F)[:, self.order]  # (B, D, F)
        W = self.W.reshape(d, D, F)[:, self.order].permute(1, 2, 0)  # (D, F, d), in order
        C = _block_size(B, d)
        below = torch.ones(C, C, device=x.device, dtype=feats.dtype).tril(-1)  # u < t
        below = below[:, None, :, None]  # (C, 1, C, 1)
        reuse = not torch.is_grad_enabled()  # fresh memory for every block costs page faults
        if reuse:
            masked_buffer = feats.new_empty(C, B, C, F)
            pre_buffer = feats.new_empty(C * B, d)
        a = self.c.expand(B, d)
        for s in range(0, D, C):
            e = min(s + C, D)
            k = e - s
            xb, Wb = feats[:, s:e], W[s:e].reshape(k * F, d)
            if reuse:  # the same products, written into the buffers
                masked = torch.mul(below[:k, :, :k], xb, out=masked_buffer[:k, :, :k])
                pre = torch.mm(masked.view(k * B, k * F), Wb, out=pre_buffer[: k * B])
            else:
                masked = below[:k, :, :k] * xb  # (k, B, k, F): step t reads steps u < t
                pre = masked.reshape(k * B, k * F) @ Wb
            yield s, e, pre.view(k, B, d).add_(a).sigmoid_()  # in place
            a = torch.addmm(a, xb.reshape(B, k * F), Wb)  # carry the block's sum

    def forward(self, x: Tensor) -> Tensor:
        B = len(x)
        x = x.reshape(B, -1)
        V = self.V[self.order].transpose(1, 2)  # (D, d, P), in order
        if torch.is_grad_enabled():
            out = torch.cat([torch.bmm(h, V[s:e]) for s, e, h in self._blocks(x)])  # (D, B, P)
        else:  # the same products, written in place
            out = V.new_empty(self.n_dims, B, self.head.n_params)
            for s, e, h in self._blocks(x):
                torch.bmm(h, V[s:e], out=out[s:e])
        out = out.transpose(0, 1) + self.b[self.order]  # (B, D, P), in order
        out = out[:, torch.argsort(self.order)]  # back to natural index
        return out.reshape(B, *self.shape, self.head.n_params)

    def hidden(self, x: Tensor) -> Tensor:
        """h_i for every i at once: (B, D) -> (B, D, d), row i in natural index."""
        blocks = self._blocks(x.reshape(len(x), -1))
        h = torch.cat([h.clone() for _, _, h in blocks])  # (D, B, d), in order
        return h.transpose(0, 1)[:, torch.argsort(self.order)]

    # -- one conditional at a time: incremental sampling, O(d) per step -------------------------
    def initial_state(self, n: int) -> tuple[Tensor, tuple[Tensor, int, list[int]]]:
        """a_1 = c, and the parameters of the first conditional in the order."""
        a = self.c.expand(n, -1)
        order = self.order.tolist()
        return self._readout(a, order[0]), (a, 0, order)

    def step(self, state, value: Tensor):
        """a_{t+1} = a_t + W[:, o_t] x_{o_t} for the value just drawn; the next conditional."""
        a, t, order = state
        i = order[t]
        if self.in_per_var == 1:
            a = a + value[:, None] * self.W[:, i]
        else:  # one-hot input: the column of the value drawn
            a = a + self.W[:, i * self.in_per_var + value.long()].T
        return self._readout(a, order[t + 1]), (a, t + 1, order)

    def _readout(self, a: Tensor, i: int) -> Tensor:
        """Parameters of conditional i from its pre-activation a: b_i + V_i σ(a), (n, P)."""
        return torch.sigmoid(a) @ self.V[i].T + self.b[i]


def _block_size(batch: int, n_hidden: int) -> int:
    """Steps per block of NADE's running sum: a power of two from 4 to 64 that keeps a block's
    B · C · d activations near 2^17 numbers (half a megabyte in float32), about one core's
    L2 cache."""
    size = 2 ** max(0, (2**17 // max(1, batch * n_hidden)).bit_length() - 1)
    return min(64, max(4, size))


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

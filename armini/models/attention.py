"""Masked self-attention: the parallel alternative to the RNN.

Self-attention lets every position look at every other one with learned weights,

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V,    Q = X W_Q,  K = X W_K,  V = X W_V,

computed for all positions at once: one matrix product, no recurrence. To be autoregressive
the scores are masked before the softmax with the strictly lower-triangular order mask of
FVSBN (`order_mask`), applied to inputs shifted by one as for the RNN: position t holds
x_{t−1} (position 1 the start token), so letting position t attend to positions ≤ t means
reading exactly x_<t.

`CausalTransformer` stacks pre-norm blocks, x + Attention(LayerNorm(x)), then
x + MLP(LayerNorm(x)), over token and position embeddings, with a head per variable (Vaswani
et al. 2017; the decoder-only form of Radford et al. 2018). Training is one parallel pass;
sampling is still one variable at a time, but each step computes only the new position and
reads the keys and values of the earlier ones from a cache (`initial_state`, `step`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Head
from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import features_per_variable, order_mask
from armini.models.rnn import shifted_inputs, start_token, value_input


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention: x (B, T, d) -> (B, T, d), position t reading the positions
    that `mask` (T, T, True = may attend) allows."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # W_Q, W_K, W_V side by side
        self.proj = nn.Linear(d_model, d_model)  # the heads' outputs, mixed

    def _heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Q, K, V of every position, each (B, H, T, d_k)."""
        B, T, d = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.n_heads, d // self.n_heads)
        return qkv.permute(2, 0, 3, 1, 4).unbind(0)

    def _merge(self, y: Tensor) -> Tensor:
        B, H, T, dk = y.shape
        return self.proj(y.transpose(1, 2).reshape(B, T, H * dk))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        q, k, v = self._heads(x)
        return self._merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask))

    def weights(self, x: Tensor, mask: Tensor) -> Tensor:
        """softmax(Q Kᵀ / √d_k) with masked scores set to −∞: (B, H, T, T), rows sum to 1."""
        q, k, _ = self._heads(x)
        scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
        return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)

    def step(self, x: Tensor, cache: tuple[Tensor, Tensor] | None, mask: Tensor):
        """One new position x (B, 1, d) against the cached keys and values of the earlier ones
        and its own; `mask` (t + 1,) is its row of the attention mask, the same row `forward`
        uses. Returns its output and the cache grown by one."""
        q, k, v = self._heads(x)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[None, :])
        return self._merge(y), (k, v)


class Block(nn.Module):
    """Pre-norm Transformer block: x + Attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, d_model: int, n_heads: int, d_mlp: int):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attention = CausalSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_mlp), nn.GELU(), nn.Linear(d_mlp, d_model))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = x + self.attention(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))

    def step(self, x: Tensor, cache, mask: Tensor):
        a, cache = self.attention.step(self.ln1(x), cache, mask)
        x = x + a
        return x + self.mlp(self.ln2(x)), cache


class CausalTransformer(AutoregressiveModel):
    """A decoder-only Transformer over D variables read in `order`.

    Args:
        n_dims: D, the sequence length.
        d_model: the width of every position's vector.
        n_heads: attention heads per block (d_model must be a multiple of it).
        n_layers: blocks.
        head: Bernoulli() (pixels), Categorical(K) (characters) or MixtureOfGaussians(K).
        order: the order in which the sequence is read and generated (default 0, …, D−1).
        d_mlp: the hidden width of each block's MLP (default 4 · d_model).
    """

    max_grad_norm = 1.0  # `armini.fit` clips the gradient norm, as Transformers are trained

    def __init__(
        self,
        n_dims: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        head: Head | None = None,
        order: Sequence[int] | None = None,
        d_mlp: int | None = None,
    ):
        head = Bernoulli() if head is None else head
        super().__init__(n_dims, head, order)
        self.d_model = _validate.integer(d_model, "d_model", 1)
        self.n_heads = _validate.integer(n_heads, "n_heads", 1)
        self.n_layers = _validate.integer(n_layers, "n_layers", 1)
        if d_model % n_heads:
            raise ValueError(
                f"d_model must be a multiple of n_heads (each head gets d_model / n_heads "
                f"numbers); got d_model={d_model}, n_heads={n_heads}"
            )
        d_mlp = 4 * d_model if d_mlp is None else _validate.integer(d_mlp, "d_mlp", 1)
        self.in_per_var = F_ = features_per_variable(head)
        per_block = 4 * d_model**2 + 2 * d_model * d_mlp
        size = n_layers * per_block + d_model * (F_ + 1 + self.n_dims + head.n_params)
        self.check_size(3 * size + n_layers * self.n_dims**2, "the blocks and embeddings")
        self.embed = nn.Linear(F_ + 1, d_model)  # a value (or one-hot) and the start flag
        self.position = nn.Parameter(torch.randn(self.n_dims, d_model) * 0.02)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, d_mlp) for _ in range(n_layers))
        self.ln = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, head.n_params)
        # position t holds x_{t−1}: attending to positions ≤ t reads exactly x_<t
        causal = order_mask(torch.arange(self.n_dims), strict=False).bool()
        self.register_buffer("causal", causal, persistent=False)

    # -- teacher forcing: every position in one parallel pass -----------------------------------
    def _embedded(self, x: Tensor) -> Tensor:
        return self.embed(shifted_inputs(x, self.head, self.order)) + self.position

    def forward(self, x: Tensor) -> Tensor:
        B = len(x)
        h = self._embedded(x.reshape(B, -1))  # (B, D, d), in the order
        for block in self.blocks:
            h = block(h, self.causal)
        out = self.readout(self.ln(h))[:, torch.argsort(self.order)]  # back to natural index
        return out.reshape(B, *self.shape, self.head.n_params)

    @torch.no_grad()
    def attention(self, x: Tensor) -> Tensor:
        """The attention weights of every block and head: (L, B, H, D, D), rows and columns
        in the order; entry [l, b, h, t, s] is how much position t (which predicts x_t)
        reads position s (which holds x_{s−1}, or the start token for s = 1)."""
        x = self.validate(x)
        h, weights = self._embedded(x.reshape(len(x), -1)), []
        for block in self.blocks:
            weights.append(block.attention.weights(block.ln1(h), self.causal))
            h = block(h, self.causal)
        return torch.stack(weights)

    # -- sampling: one new position per step, with a key/value cache ----------------------------
    def initial_state(self, n: int):
        """Run the start token through the blocks; cache its keys and values."""
        start = start_token(n, self.in_per_var, self.device, self.dtype)
        return self._step(self.embed(start) + self.position[0], [None] * self.n_layers, 0)

    def step(self, state, value: Tensor):
        """The value just drawn enters at the next position, reading the cached ones."""
        caches, t = state
        h = self.embed(value_input(value, self.head)) + self.position[t + 1]
        return self._step(h, caches, t + 1)

    def _step(self, h: Tensor, caches: list, t: int):
        caches = list(caches)
        for i, block in enumerate(self.blocks):
            h, caches[i] = block.step(h, caches[i], self.causal[t, : t + 1])
        return self.readout(self.ln(h))[:, 0], (caches, t)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, d_model={self.d_model}, n_heads={self.n_heads}, "
            f"n_layers={self.n_layers}"
        )

"""MADE: an autoencoder made autoregressive by masking its weights.

Give every input a degree m(x_v) = its position in the order (1..D) and every hidden unit a
degree m(h) ∈ {1, …, D−1}. A hidden unit may read the units below it whose degree is at most
its own; output v may read hidden units whose degree is strictly less than m(x_v). Then
output v depends only on inputs earlier in the order, whatever the weights: the product of
the masks is strictly lower-triangular in the order. (Germain et al., "MADE: Masked
Autoencoder for Distribution Estimation", 2015.)

Several masks (new orderings and/or new hidden degrees) can share one set of weights:
training visits one mask per minibatch (order- and connectivity-agnostic training), and the
ensemble scores x as the mixture log((1/K) Σ_k p_k(x)), which is normalised because each p_k
is. Averaging the *logits* of K masks with different orderings instead is not a
distribution (see `ensemble`); with one shared ordering it happens to stay autoregressive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from armini.heads import Bernoulli, Head
from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import MaskedLinear, expand_mask, features_per_variable, input_features

ENSEMBLES = ("mixture", "logits", "none")


def input_degrees(order: Tensor) -> Tensor:
    """m(x_v) = 1 + position of v in `order`: (D,) long."""
    degrees = torch.empty_like(order)
    degrees[order] = torch.arange(1, len(order) + 1, device=order.device)
    return degrees


def hidden_degrees(n_units: int, n_dims: int, below: Tensor, generator: torch.Generator) -> Tensor:
    """Random degrees for one hidden layer, uniform on {min(below), …, D−1} (as in the paper,
    so that no unit is cut off from every input). For D = 1 there is nothing to see: 0."""
    low = int(below.min()) if n_dims > 1 else 0
    high = max(n_dims - 1, low)
    return torch.randint(low, high + 1, (n_units,), generator=generator)


def made_masks(degrees: Sequence[Tensor]) -> list[Tensor]:
    """Masks from degrees [inputs, hidden_1, …, hidden_L]: L hidden masks (unit k of layer l
    reads unit j of layer l−1 iff m_l(k) ≥ m_{l−1}(j)) and the output mask (output v reads
    hidden unit k iff m(x_v) > m_L(k)). Each mask is (units out, units in)."""
    masks = [
        (out[:, None] >= inp[None, :]).float()
        for inp, out in zip(degrees[:-1], degrees[1:], strict=True)
    ]
    masks.append((degrees[0][:, None] > degrees[-1][None, :]).float())
    return masks


class MADE(AutoregressiveModel):
    """Masked autoencoder for distribution estimation.

    Args:
        n_dims: D, number of variables.
        hidden: sizes of the hidden layers, e.g. (128,) or (256, 256).
        head: Bernoulli(), Categorical(K) (one-hot inputs) or MixtureOfGaussians(K).
        order: the ordering of mask 0 (default 0, …, D−1).
        n_masks: K masks sharing the weights.
        orderings: "fixed" keeps `order` for every mask (only the connectivity changes);
            "random" draws a new ordering for masks 1, …, K−1.
        ensemble: how the K masks are scored in eval mode: "mixture" (log-mean-exp of the K
            likelihoods: correct), "logits" (average the K outputs, then one head: wrong when
            the orderings differ, for teaching), or "none" (only the current mask).
        seed: seeds the hidden degrees and orderings, so the masks are reproducible.
    """

    def __init__(
        self,
        n_dims: int,
        hidden: Sequence[int] = (128,),
        head: Head | None = None,
        order: Sequence[int] | None = None,
        n_masks: int = 1,
        orderings: str = "fixed",
        ensemble: str = "mixture",
        seed: int = 0,
    ):
        head = head or Bernoulli()
        super().__init__(n_dims, head, order)
        if orderings not in ("fixed", "random"):
            raise ValueError(f"orderings must be 'fixed' or 'random', got {orderings!r}")
        if ensemble not in ENSEMBLES:
            raise ValueError(f"ensemble must be one of {ENSEMBLES}, got {ensemble!r}")
        if not isinstance(n_masks, int) or n_masks < 1:
            raise ValueError(f"n_masks must be a positive int, got {n_masks!r}")
        hidden = [int(h) for h in hidden]
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden must list at least one positive layer size, got {hidden!r}")
        self.hidden_sizes, self.n_masks, self.ensemble, self.seed = hidden, n_masks, ensemble, seed
        self.in_per_var = features_per_variable(head)
        gen = torch.Generator().manual_seed(seed)
        orders = [self.order.clone()]
        for _ in range(1, n_masks):
            orders.append(
                torch.randperm(n_dims, generator=gen)
                if orderings == "random"
                else self.order.clone()
            )
        self.register_buffer("orders", torch.stack(orders))  # (K, D)
        sizes = [n_dims * self.in_per_var, *hidden]
        self.layers = nn.ModuleList(
            MaskedLinear(torch.ones(o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.output = MaskedLinear(torch.ones(n_dims * head.n_params, hidden[-1]))
        self.current = 0
        self.set_mask(0)

    # -- masks ---------------------------------------------------------------------------------
    def degrees(self, k: int) -> list[Tensor]:
        """Degrees of mask k: [inputs (D,), hidden_1, …, hidden_L], reproducible from the seed."""
        gen = torch.Generator().manual_seed(self.seed * 100_003 + k)
        degrees = [input_degrees(self.orders[k].cpu())]
        for size in self.hidden_sizes:
            degrees.append(hidden_degrees(size, self.n_dims, degrees[-1], gen))
        return degrees

    def masks(self, k: int | None = None) -> list[Tensor]:
        """The variable-level masks of mask k (default: current), before one-hot expansion."""
        return made_masks(self.degrees(self.current if k is None else k))

    def set_mask(self, k: int) -> None:
        """Use mask k (its ordering and connectivity) from now on."""
        if not 0 <= k < self.n_masks:
            raise ValueError(f"mask index must be in 0..{self.n_masks - 1}, got {k}")
        masks = self.masks(k)
        masks[0] = expand_mask(masks[0], 1, self.in_per_var)
        masks[-1] = expand_mask(masks[-1], self.head.n_params, 1)
        for layer, mask in zip([*self.layers, self.output], masks, strict=True):
            layer.set_mask(mask.to(self.order.device))
        self.order.copy_(self.orders[k])
        self.current = k

    def n_parameters(self) -> int:
        """Weights some mask lets through (the union over the K masks) plus biases, as for
        FVSBN and NADE; masked-out weights are never used and are not counted."""
        layers = [*self.layers, self.output]
        union = [torch.zeros_like(layer.mask) for layer in layers]
        for _ in self._each_mask():
            union = [torch.maximum(u, layer.mask) for u, layer in zip(union, layers, strict=True)]
        return int(sum(u.sum() for u in union)) + sum(layer.bias.numel() for layer in layers)

    def connectivity(self, k: int | None = None) -> Tensor:
        """(D, D) count of paths from input j to output i: the product of the masks."""
        total = None
        for mask in self.masks(k):
            total = mask if total is None else mask @ total
        return total

    # -- the model -------------------------------------------------------------------------------
    def forward_current(self, x: Tensor) -> Tensor:
        h = input_features(x.reshape(len(x), -1), self.head)
        for layer in self.layers:
            h = torch.relu(layer(h))
        return self.output(h).reshape(len(x), *self.shape, self.head.n_params)

    def _each_mask(self):
        start = self.current
        try:
            for k in range(self.n_masks):
                self.set_mask(k)
                yield k
        finally:
            self.set_mask(start)

    def forward(self, x: Tensor) -> Tensor:
        if self.ensemble == "logits" and self.n_masks > 1 and not self.training:
            return torch.stack([self.forward_current(x) for _ in self._each_mask()]).mean(0)
        return self.forward_current(x)

    def log_prob(self, x: Tensor) -> Tensor:
        if self.ensemble == "mixture" and self.n_masks > 1 and not self.training:
            logps = torch.stack([super(MADE, self).log_prob(x) for _ in self._each_mask()])
            return torch.logsumexp(logps, dim=0) - math.log(self.n_masks)
        return super().log_prob(x)

    def nll(self, x: Tensor) -> Tensor:
        """Training loss; in training mode each call moves on to the next mask."""
        if self.training and self.n_masks > 1:
            self.set_mask((self.current + 1) % self.n_masks)
        return super().nll(x)

    @torch.no_grad()
    def sample(self, n: int, given: Tensor | None = None) -> Tensor:
        """Ancestral sampling; an ensemble first picks one mask per sample, uniformly."""
        if self.n_masks == 1 or self.ensemble == "none":
            return super().sample(n, given)
        if self.ensemble == "logits":
            raise ValueError(
                "ensemble='logits' is not a distribution and cannot be sampled; "
                "use ensemble='mixture'"
            )
        x, known = self._start(n, given)
        given = torch.where(known, x, torch.nan)  # (n, *shape), NaN where unknown
        picks = torch.randint(0, self.n_masks, (n,), device=x.device)
        for k in self._each_mask():
            rows = (picks == k).nonzero().flatten()
            if len(rows):
                x[rows] = super().sample(len(rows), given[rows])
        return x

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, hidden={self.hidden_sizes}, n_masks={self.n_masks}, "
            f"ensemble={self.ensemble!r}"
        )

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

from armini import _validate
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
        seed: seeds the hidden degrees and orderings, so the masks are reproducible. The masks
            themselves are buffers (`orders`, `degrees_1`, …, `mask_index`): loading a
            state_dict restores them, whatever seed the receiving model was built with.
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
        head = Bernoulli() if head is None else head
        super().__init__(n_dims, head, order)
        _validate.choice(orderings, "orderings", ("fixed", "random"))
        self.ensemble = _validate.choice(ensemble, "ensemble", ENSEMBLES)
        self.n_masks = _validate.integer(n_masks, "n_masks", 1)
        self.hidden_sizes = _validate.sizes(hidden, "hidden (the hidden layer sizes)")
        seed = _validate.integer(seed, "seed", 0)
        self.in_per_var = features_per_variable(head)
        sizes = [self.n_dims * self.in_per_var, *self.hidden_sizes, self.n_dims * head.n_params]
        weights = sum(i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
        self.check_size(3 * weights + self.n_masks * sum(sizes), "the masked layers")
        gen = torch.Generator().manual_seed(seed)
        orders = [self.order.clone()]
        for _ in range(1, self.n_masks):
            orders.append(
                torch.randperm(self.n_dims, generator=gen)
                if orderings == "random"
                else self.order.clone()
            )
        # Everything that defines the masks is a buffer, so a state_dict restores them exactly:
        # the K orderings, the hidden degrees of every mask and layer, and the current mask.
        self.register_buffer("orders", torch.stack(orders))  # (K, D)
        for layer, layer_degrees in enumerate(self._draw_degrees(seed), start=1):
            self.register_buffer(f"degrees_{layer}", layer_degrees)  # (K, units of the layer)
        self.register_buffer("mask_index", torch.tensor(0))
        self.layers = nn.ModuleList(
            MaskedLinear(torch.ones(o, i)) for i, o in zip(sizes[:-2], sizes[1:-1], strict=True)
        )
        self.output = MaskedLinear(torch.ones(sizes[-1], sizes[-2]))
        self.set_mask(0)

    # -- masks ---------------------------------------------------------------------------------
    def _draw_degrees(self, seed: int) -> list[Tensor]:
        """Hidden degrees of every mask, one (K, units) tensor per layer, drawn from `seed`."""
        per_mask = []
        for k in range(self.n_masks):
            gen = torch.Generator().manual_seed(seed * 100_003 + k)
            degrees = [input_degrees(self.orders[k])]
            for size in self.hidden_sizes:
                degrees.append(hidden_degrees(size, self.n_dims, degrees[-1], gen))
            per_mask.append(degrees[1:])
        return [torch.stack(layer) for layer in zip(*per_mask, strict=True)]

    @property
    def current(self) -> int:
        """Index of the mask in use (stored in the state_dict as `mask_index`)."""
        return int(self.mask_index)

    def degrees(self, k: int | None = None) -> list[Tensor]:
        """Degrees of mask k (default: current): [inputs (D,), hidden_1, …, hidden_L], on the
        CPU."""
        k = self._mask_number(k)
        layers = range(1, len(self.hidden_sizes) + 1)
        hidden = [getattr(self, f"degrees_{layer}")[k].cpu() for layer in layers]
        return [input_degrees(self.orders[k].cpu()), *hidden]

    def _mask_number(self, k: int | None) -> int:
        if k is None:
            return self.current
        return _validate.integer(k, "mask index k", 0, self.n_masks - 1)

    def masks(self, k: int | None = None) -> list[Tensor]:
        """The variable-level masks of mask k (default: current), before one-hot expansion."""
        return made_masks(self.degrees(k))

    def set_mask(self, k: int) -> None:
        """Use mask k (its ordering and connectivity) from now on."""
        k = self._mask_number(k)
        masks = self.masks(k)
        masks[0] = expand_mask(masks[0], 1, self.in_per_var)
        masks[-1] = expand_mask(masks[-1], self.head.n_params, 1)
        for layer, mask in zip([*self.layers, self.output], masks, strict=True):
            layer.set_mask(mask.to(self.order.device))
        self.order.copy_(self.orders[k])
        self.mask_index.fill_(k)

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

    def components(self):
        """A mixture ensemble is K autoregressive models, one per mask, each in its own order:
        the checks test every one. Otherwise the model in eval mode is one model."""
        if self.ensemble == "mixture" and self.n_masks > 1:
            yield from (self for _ in self._each_mask())
        else:
            yield self

    @torch.no_grad()
    def sample(
        self,
        n: int,
        given: Tensor | None = None,
        generator: torch.Generator | None = None,
        method: str = "auto",
        temperature: float = 1.0,
    ) -> Tensor:
        """Ancestral sampling (D forward passes); an ensemble first picks one mask per sample,
        uniformly."""
        if self.n_masks == 1 or self.ensemble == "none":
            return super().sample(n, given, generator, method, temperature)
        if self.ensemble == "logits":
            raise ValueError(
                "ensemble='logits' is not a distribution and cannot be sampled; "
                "use ensemble='mixture'"
            )
        x, known = self._start(n, given, generator)
        given = torch.where(known, x, torch.nan)  # (n, *shape), NaN where unknown
        picks = torch.randint(0, self.n_masks, (n,), device=x.device, generator=generator)
        for k in self._each_mask():
            rows = (picks == k).nonzero().flatten()
            if len(rows):
                x[rows] = super().sample(len(rows), given[rows], generator, method, temperature)
        return x

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, hidden={self.hidden_sizes}, n_masks={self.n_masks}, "
            f"ensemble={self.ensemble!r}"
        )

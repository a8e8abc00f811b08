"""An autoencoder, as in the notes: an encoder squeezes x into a code, a decoder rebuilds x.

    e(x) = σ(W2ᵀ σ(W1ᵀ x + b1) + b2),        d(h) = σ(V h + c)

trained to make d(e(x)) ≈ x: binary cross-entropy for binary data, squared error for real
data. It is *not* a generative model: nothing says which codes h are likely, so decoding a
random h gives no digit, and output i reads every input, x_i included (it can copy). MADE
(armini.models.made) keeps this architecture and masks it until it is autoregressive.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Head, MixtureOfGaussians

LOSSES = ("bce", "mse")


class Autoencoder(nn.Module):
    """Encoder D → n_hidden → n_code (sigmoids), decoder n_code → D.

    `forward(x)` returns the decoder's pre-activations (B, D, 1), shaped like a model's
    conditional parameters, so `armini.checks.dependency_matrix` can draw what each output
    reads; `reconstruct(x)` returns d(e(x)) and `loss(x)` the reconstruction error per example.
    """

    def __init__(self, n_dims: int, n_hidden: int = 64, n_code: int = 16, loss: str = "bce"):
        super().__init__()
        n_dims = _validate.integer(n_dims, "n_dims (the number of variables)", 1)
        n_hidden = _validate.integer(n_hidden, "n_hidden", 1)
        n_code = _validate.integer(n_code, "n_code (the size of the code h)", 1)
        _validate.choice(loss, "loss", LOSSES, "'bce' for binary data, 'mse' for real data")
        _validate.fits_in_memory(
            3 * (n_dims * n_hidden + n_hidden * n_code + n_code * n_dims), "Autoencoder: weights"
        )
        self.n_dims, self.shape, self.loss_kind = n_dims, (n_dims,), loss
        # what the checks need to perturb inputs: binary or real values
        self.head: Head = Bernoulli() if loss == "bce" else MixtureOfGaussians(1)
        self.encoder = nn.Sequential(
            nn.Linear(n_dims, n_hidden), nn.Sigmoid(), nn.Linear(n_hidden, n_code), nn.Sigmoid()
        )
        self.decoder = nn.Linear(n_code, n_dims)
        # the order an autoregressive model would follow; the checks test the AE against it
        self.register_buffer("order", torch.arange(n_dims))

    @property
    def device(self) -> torch.device:
        return self.decoder.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.decoder.weight.dtype

    def validate(self, x: Tensor, name: str = "x") -> Tensor:
        """Check a batch (B, D); return it on the model's device, in its dtype."""
        if not torch.is_tensor(x) or x.dim() != 2 or x.shape[1] != self.n_dims:
            shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"{name} has shape {shape}, expected (B, {self.n_dims})")
        if len(x) == 0:
            raise ValueError(
                f"{name} is empty: expected at least one example of {self.n_dims} values"
            )
        self.head.validate(x, name)
        return x.to(self.device, self.dtype)

    def encode(self, x: Tensor) -> Tensor:
        """e(x): (B, D) -> (B, n_code) in (0, 1)."""
        return self.encoder(self.validate(x))

    def decode(self, h: Tensor) -> Tensor:
        """d(h): (B, n_code) -> (B, D); probabilities for 'bce', values for 'mse'."""
        n_code = self.decoder.in_features
        if not torch.is_tensor(h) or h.dim() != 2 or h.shape[1] != n_code:
            shape = tuple(h.shape) if torch.is_tensor(h) else type(h).__name__
            raise ValueError(f"h has shape {shape}, expected codes of shape (B, {n_code})")
        if not torch.isfinite(h).all():
            raise ValueError("h contains NaN or inf; expected finite codes")
        out = self.decoder(h.to(self.device, self.dtype))
        return torch.sigmoid(out) if self.loss_kind == "bce" else out

    def reconstruct(self, x: Tensor) -> Tensor:
        """d(e(x)): (B, D) -> (B, D)."""
        return self.decode(self.encode(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x)).unsqueeze(-1)

    def loss(self, x: Tensor) -> Tensor:
        """Mean reconstruction error per example (summed over the D variables)."""
        x = self.validate(x)
        out = self.decoder(self.encoder(x))
        if self.loss_kind == "bce":
            return F.binary_cross_entropy_with_logits(out, x, reduction="sum") / len(x)
        return F.mse_loss(out, x, reduction="sum") / len(x)

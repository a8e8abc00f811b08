"""Units of likelihood. A negative log-likelihood in nats over D variables is
nll / (D · ln 2) bits per dimension: the average number of bits an ideal code built from the
model spends on one variable (1 bit/dim = no better than a fair coin for binary data)."""

from __future__ import annotations

import math


def bits_per_dim(nll_nats: float, n_dims: int) -> float:
    """nats per example → bits per dimension."""
    if n_dims < 1:
        raise ValueError(f"n_dims must be ≥ 1, got {n_dims}")
    return float(nll_nats) / (n_dims * math.log(2))


def nats_to_bits(nats: float) -> float:
    return float(nats) / math.log(2)

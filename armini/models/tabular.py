"""Tables: the joint distribution written out in full, and its chain-rule factorisation.

For n binary variables the joint p(x_1, …, x_n) is a table of 2^n probabilities that sum to
one, so 2^n − 1 free numbers. The chain rule rewrites it exactly as

    p(x) = p(x_1) p(x_2 | x_1) ⋯ p(x_n | x_1, …, x_{n−1}),

and conditional i is a table of 2^(i−1) Bernoulli parameters (one per setting of x_<i):
1 + 2 + ⋯ + 2^(n−1) = 2^n − 1 numbers again. Nothing is saved; parametric conditionals
(FVSBN, NADE, …) are what make the count polynomial.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Categorical
from armini.models.base import AutoregressiveModel

MAX_TABLE_VARIABLES = 20  # 2^20 ≈ 10^6 entries; the checks enumerate at most as many inputs


def all_binary(n: int) -> Tensor:
    """Every x ∈ {0, 1}^n, (2^n, n), in counting order (x_1 is the most significant bit)."""
    n = _validate.integer(n, "n (the number of binary variables)", 0, MAX_TABLE_VARIABLES)
    return bits_of(torch.arange(2**n), n)


def bits_of(index: Tensor, n: int) -> Tensor:
    """Row `index` of `all_binary(n)`: (B,) long -> (B, n) float, without building the table."""
    powers = 2 ** torch.arange(n - 1, -1, -1, device=index.device)
    return (index[:, None] // powers % 2).to(torch.get_default_dtype())


def index_of(x: Tensor) -> Tensor:
    """Row of x in `all_binary(n)`: (B, n) binary -> (B,) long."""
    n = x.shape[-1]
    powers = 2 ** torch.arange(n - 1, -1, -1, device=x.device)
    return (x.long() * powers).sum(-1)


def _check_table_size(n: int, what: str) -> None:
    if n > MAX_TABLE_VARIABLES:
        size = f" = {2**n:,}" if n <= 64 else ""
        raise ValueError(
            f"{what}: a table over n = {n} binary variables has 2^{n}{size} entries; "
            f"armini's tables stop at n = {MAX_TABLE_VARIABLES} (2^{MAX_TABLE_VARIABLES} entries)."
            " That is the lesson of the chain rule: use a parametric model (FVSBN, NADE) instead"
        )


class JointTable(nn.Module):
    """p(x) for x ∈ {0, 1}^n as an explicit table of 2^n probabilities (n ≤ 20).

    Build it with `JointTable.from_data(x, alpha)`: the empirical frequencies, smoothed by
    adding `alpha` to every count (maximum likelihood when alpha = 0).
    """

    def __init__(self, probs: Tensor):
        super().__init__()
        if isinstance(probs, str) or not isinstance(probs, Tensor | Sequence | np.ndarray):
            raise TypeError(f"probs must be a tensor of 2^n probabilities, got {probs!r}")
        probs = torch.as_tensor(probs, dtype=torch.float64).flatten()
        n = probs.numel().bit_length() - 1
        if probs.numel() != 2**n or n < 1:
            raise ValueError(
                f"a joint table over n binary variables has 2^n entries (n ≥ 1), got "
                f"{probs.numel()}"
            )
        _check_table_size(n, "JointTable")
        if not torch.isfinite(probs).all():
            raise ValueError("probs contains NaN or inf; expected 2^n probabilities summing to 1")
        if (probs < 0).any() or abs(float(probs.sum()) - 1) > 1e-6:
            raise ValueError(f"table entries must be ≥ 0 and sum to 1 (sum {float(probs.sum())})")
        self.n_dims = n
        self.register_buffer("probs", probs)

    @classmethod
    def from_data(cls, x: Tensor, alpha: float = 1.0) -> JointTable:
        """Smoothed empirical distribution of binary rows `x: (N, n)`, N ≥ 1 unless alpha > 0."""
        x = _validate.tensor(x, "x", "of binary rows, shape (N, n)")
        alpha = _validate.real(alpha, "alpha (the count added to every pattern)", minimum=0)
        if x.dim() != 2 or x.shape[1] < 1:
            raise ValueError(f"x has shape {tuple(x.shape)}, expected binary rows (N, n)")
        _check_table_size(x.shape[1], "JointTable.from_data")
        if len(x) == 0 and alpha == 0:
            raise ValueError(
                "x is empty and alpha = 0: there are no counts to normalise; give at least one "
                "row, or alpha > 0 for the uniform table"
            )
        Bernoulli().validate(x)
        counts = torch.bincount(index_of(x.cpu()), minlength=2 ** x.shape[1]).double() + alpha
        return cls(counts / counts.sum())

    def n_free_parameters(self) -> int:
        return 2**self.n_dims - 1

    def validate(self, x: Tensor, name: str = "x") -> Tensor:
        """Check that `x` is a batch of binary rows (B, n); return it on the table's device."""
        x = _validate.tensor(x, name, f"of binary rows, shape (B, {self.n_dims})")
        if x.dim() != 2 or x.shape[1] != self.n_dims:
            raise ValueError(
                f"{name} has shape {tuple(x.shape)}, expected (B, {self.n_dims}) for this table "
                f"over {self.n_dims} variables"
            )
        Bernoulli().validate(x, name)
        return x.to(self.probs.device)

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x), (B, n) binary -> (B,) float64."""
        return self.probs.log()[index_of(self.validate(x))]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n rows drawn from the table, (n, n_dims)."""
        n = _validate.integer(n, "n (the number of samples)", 1)
        _validate.fits_in_memory(n * self.n_dims, f"JointTable.sample({n})")
        rows = torch.multinomial(self.probs, n, replacement=True, generator=generator)
        return bits_of(rows, self.n_dims)

    def conditional(self, i: int) -> Tensor:
        """p(x_i = 1 | x_<i) for every prefix x_<i (0-based i): (2^i,) in counting order.

        A prefix of probability 0 has no conditional; it gets 1/2 (any value would do).
        """
        i = _validate.integer(i, "i (a 0-based variable index)", 0, self.n_dims - 1)
        marg = self.probs.reshape(2 ** (i + 1), -1).sum(1).reshape(2**i, 2)  # p(x_<i, x_i)
        total = marg.sum(1)
        return torch.where(total > 0, marg[:, 1] / total.clamp(min=1e-300), 0.5)


class ChainRuleTable(AutoregressiveModel):
    """The chain rule with one lookup table per conditional: 2^n − 1 parameters in all.

    Conditional i (0-based) stores a logit for each of the 2^i settings of x_<i (in `order`).
    """

    def __init__(self, n: int, order: list[int] | None = None):
        n = _validate.integer(n, "n (the number of binary variables)", 1)
        _check_table_size(n, "ChainRuleTable")
        super().__init__(n, Bernoulli(), order)
        self.logits = nn.Parameter(torch.zeros(2**n - 1))

    @classmethod
    def from_joint(cls, joint: JointTable, order: list[int] | None = None) -> ChainRuleTable:
        """The exact factorisation of `joint` in `order` (default: 0, 1, …, n−1).

        Conditional i is p(x_order[i] | x_order[:i]), read off the joint with its variables
        permuted into generation order.
        """
        if not isinstance(joint, JointTable):
            raise TypeError(f"joint must be a JointTable, got {type(joint).__name__}")
        n = joint.n_dims
        model = cls(n, order)
        ordered = JointTable(joint.probs.reshape((2,) * n).permute(*model.order.tolist()))
        with torch.no_grad():
            p = torch.cat([ordered.conditional(i) for i in range(n)])
            p = p.clamp(1e-12, 1 - 1e-12)
            model.logits.copy_((p.log() - (1 - p).log()).float())
        return model

    def forward(self, x: Tensor) -> Tensor:
        xo = x[:, self.order]  # (B, n) in generation order
        # index of the prefix x_<i among the 2^i settings, in counting order
        prefix = torch.zeros_like(xo, dtype=torch.long)
        for i in range(1, self.n_dims):
            prefix[:, i] = (prefix[:, i - 1] * 2) + xo[:, i - 1].long()
        offset = 2 ** torch.arange(self.n_dims, device=x.device) - 1
        logits_o = self.logits[offset + prefix]  # (B, n)
        out = torch.empty_like(logits_o)
        out[:, self.order] = logits_o
        return out.unsqueeze(-1)


class BigramTable(AutoregressiveModel):
    """The chain rule with a one-variable context: p(x) = p(x_1) Π_t p(x_t | x_{t−1}), one table
    of K × K conditionals shared by every position (a Markov chain), plus p(x_1).

    `logits[j]` holds the K logits of the next value after value j; row K is the start (the
    context of x_1). The count table of a character model: `BigramTable.from_data(x, K)`.
    Variables follow `order`, each conditioned on the one before it in the order.
    """

    def __init__(self, n_dims: int, n_values: int, order: Sequence[int] | None = None):
        head = Categorical(n_values)
        super().__init__(n_dims, head, order)
        K = head.n_values
        self.check_size(2 * (K + 1) * K, "the bigram table")
        self.logits = nn.Parameter(torch.zeros(K + 1, K))  # row K: the start

    @classmethod
    def from_data(
        cls, x: Tensor, n_values: int, alpha: float = 1.0, order: Sequence[int] | None = None
    ) -> BigramTable:
        """Smoothed counts of (previous, next) pairs in the rows of `x: (N, D)`, alpha added to
        each: maximum likelihood when alpha = 0 (then an unseen pair gets probability 0)."""
        x = _validate.tensor(x, "x", "of integer values, shape (N, D)")
        if x.dim() != 2:
            raise ValueError(f"x has shape {tuple(x.shape)}, expected (N, D)")
        model = cls(x.shape[1], n_values, order)
        x = model.validate(x)
        alpha = _validate.real(alpha, "alpha (the count added to every pair)", minimum=0)
        K = model.head.n_values
        previous, current = model.contexts(x).flatten(), x[:, model.order].long().flatten()
        counts = torch.zeros(K + 1, K, dtype=torch.float64, device=x.device)
        counts.index_put_((previous, current), torch.ones_like(current, dtype=counts.dtype), True)
        counts += alpha
        with torch.no_grad():  # log of the frequencies; a row never seen stays uniform
            total = counts.sum(1, keepdim=True)
            rows = torch.where(total > 0, counts / total.clamp(min=1e-300), 1.0 / K)
            model.logits.copy_(rows.log().clamp(min=-1e4))
        return model

    def contexts(self, x: Tensor) -> Tensor:
        """The context of every variable, in the order: K (the start) for the first, then the
        value before it. (B, D) -> (B, D) long."""
        xo = x.reshape(len(x), -1)[:, self.order].long()
        start = torch.full_like(xo[:, :1], self.head.n_values)
        return torch.cat([start, xo[:, :-1]], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.logits[self.contexts(x)][:, torch.argsort(self.order)]  # (B, D, K)
        return out.reshape(len(x), *self.shape, self.head.n_params)

    def initial_state(self, n: int):
        return self.logits[-1].expand(n, -1), None

    def step(self, state, value: Tensor):
        return self.logits[value.long()], None

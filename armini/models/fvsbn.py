"""FVSBN: the fully visible sigmoid belief network, one logistic regression per variable.

    p(x_1 = 1) = σ(α_0^1),    p(x_i = 1 | x_<i) = σ(α_0^i + Σ_{j<i} α_j^i x_j)

All D regressions at once are a single linear layer whose weight matrix is masked to be
strictly lower-triangular (in the generation order): row i may only read x_<i. The mask is
data: it lives in a buffer and multiplies the weight on every call, F.linear(x, W ⊙ M, b).
Parameters: Σ_i i = n(n+1)/2 (i − 1 weights and one bias for variable i).
Reference: Gan et al., "Learning deep sigmoid belief networks with data augmentation", 2015.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Categorical, Head
from armini.models.base import AutoregressiveModel


def order_mask(order: Tensor, strict: bool = True) -> Tensor:
    """M[i, j] = 1 if variable j comes before variable i in `order` (or is i, if not strict).

    In natural order this is tril(ones(D, D), −1). Indices are variables, not steps.
    """
    if not torch.is_tensor(order) or order.is_floating_point():
        raise TypeError(f"order must be an integer tensor such as torch.arange(D), got {order!r}")
    _validate.permutation(order, order.numel())
    rank = torch.empty_like(order)
    rank[order] = torch.arange(len(order), device=order.device)  # rank[v] = step of v
    before = rank[None, :] < rank[:, None] if strict else rank[None, :] <= rank[:, None]
    return before.float()


class MaskedLinear(nn.Linear):
    """y = x (W ⊙ M)ᵀ + b with a fixed 0/1 mask M of W's shape (out_features, in_features)."""

    def __init__(self, mask: Tensor, bias: bool = True):
        mask = _validate.tensor(mask, "mask", "of 0s and 1s, shape (out_features, in_features)")
        if mask.dim() != 2 or not ((mask == 0) | (mask == 1)).all():
            raise ValueError(
                f"mask must be a 2-D tensor of 0s and 1s (out_features, in_features), got "
                f"shape {tuple(mask.shape)}"
            )
        super().__init__(mask.shape[1], mask.shape[0], bias=bias)
        self.register_buffer("mask", mask.float())

    def set_mask(self, mask: Tensor) -> None:
        """Use `mask` (same shape, 0s and 1s) from now on."""
        mask = _validate.tensor(mask, "mask", f"of shape {tuple(self.mask.shape)}")
        if mask.shape != self.mask.shape:
            raise ValueError(
                f"mask has shape {tuple(mask.shape)}, expected {tuple(self.mask.shape)}"
            )
        self.mask.copy_(mask)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)

    def n_connections(self) -> int:
        """Weights the mask lets through, plus biases: the parameters that matter."""
        return int(self.mask.sum()) + (self.bias.numel() if self.bias is not None else 0)


def features_per_variable(head: Head) -> int:
    """How many input features one variable gives: K (one-hot) for a Categorical head, else 1."""
    return head.n_values if isinstance(head, Categorical) else 1


def expand_mask(mask: Tensor, rows_per_var: int, cols_per_var: int) -> Tensor:
    """A variable-level mask (D_out, D_in) → one row per output unit and one column per input
    feature, e.g. K logits per variable out and K one-hot features per variable in."""
    return mask.repeat_interleave(rows_per_var, 0).repeat_interleave(cols_per_var, 1)


def input_features(x: Tensor, head: Head) -> Tensor:
    """What a model reads of its input: the values themselves, or one-hot codes for a
    Categorical head. (B, D) -> (B, D·F) with F = 1 or K, grouped by variable; one-hot codes
    take the dtype of a floating-point x."""
    if isinstance(head, Categorical):
        dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        return F.one_hot(x.long(), head.n_values).to(dtype).flatten(1)
    return x


class FVSBN(AutoregressiveModel):
    """A masked linear layer from the D inputs to the D conditionals' parameters.

    Args:
        n_dims: D, number of variables.
        head: Bernoulli() (the model of the notes), or Categorical(K) (inputs one-hot).
        order: generation order, default 0, …, D−1.
    """

    def __init__(self, n_dims: int, head: Head | None = None, order: Sequence[int] | None = None):
        head = Bernoulli() if head is None else head
        super().__init__(n_dims, head, order)
        rows, cols = self.n_dims * head.n_params, self.n_dims * features_per_variable(head)
        self.check_size(3 * rows * cols, f"a {rows:,} × {cols:,} masked weight matrix")
        mask = expand_mask(order_mask(self.order), head.n_params, features_per_variable(head))
        self.linear = MaskedLinear(mask)
        nn.init.zeros_(self.linear.weight)  # start as fair coins: p(x_i = 1) = 1/2
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: Tensor) -> Tensor:
        out = self.linear(input_features(x.reshape(len(x), -1), self.head))
        return out.reshape(len(x), *self.shape, self.head.n_params)

    def n_parameters(self) -> int:
        """Weights allowed by the mask plus biases: n(n+1)/2 for a Bernoulli FVSBN."""
        return self.linear.n_connections()

    # -- incremental sampling: every logit is a running sum over the variables drawn -----------
    def initial_state(self, n: int):
        """All D conditionals' parameters start at their biases α_0^i."""
        out = self.linear.bias.expand(n, -1).reshape(n, self.n_dims, -1)  # (n, D, P)
        columns = (self.linear.weight * self.linear.mask).T  # (D·F, D·P): masked, transposed
        order = self.order.tolist()
        return out[:, order[0]], (out, 0, order, columns)

    def step(self, state, value: Tensor):
        """Add α_j^i x_j to every later conditional i for the x_j just drawn: O(D) per step."""
        out, t, order, columns = state
        j, F = order[t], features_per_variable(self.head)
        if F == 1:
            add = value[:, None] * columns[j]
        else:  # one-hot input: the row of the value drawn
            add = columns[j * F + value.long()]
        out = out + add.reshape(out.shape)  # the mask lets only later variables receive it
        return out[:, order[t + 1]], (out, t + 1, order, columns)

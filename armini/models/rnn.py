"""A recurrent network as an autoregressive model: it keeps a state instead of masking.

The notes write h_0 = b_0, h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1}), o_{t+1} = W_hy h_{t+1}.
Taken literally o_{t+1} has read x_{t+1}, so it cannot predict x_{t+1}. The inputs are
therefore shifted by one, with a start token x_0 in front:

    h_0 = b_0,    h_t = cell(h_{t−1}, x_{t−1}),    o_t = W_hy h_t + b_y → p(x_t | x_<t),

so the output after reading x_<t is the conditional of x_t (t = 1, …, D; x_0 = start).

Teacher forcing runs the cell over the whole shifted sequence in one call of torch's fused
RNN, GRU or LSTM; sampling carries the hidden state from one variable to the next
(`initial_state`, `step`), one cell step per variable instead of a forward pass over all D.
A variable enters the cell as its value (Bernoulli, real values) or one-hot (Categorical), plus
one "start" feature that is 1 only for x_0.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Head
from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import features_per_variable, input_features

CELLS = {"tanh": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RNN(AutoregressiveModel):
    """A recurrent autoregressive model over D variables read in `order`.

    Args:
        n_dims: D, the sequence length (number of variables).
        n_hidden: d, the size of the hidden state h_t.
        head: Bernoulli() (pixels), Categorical(K) (characters) or MixtureOfGaussians(K).
        cell: "tanh" (the notes' h_t = tanh(W_hh h_{t−1} + W_xh x_{t−1} + b)), "gru" or "lstm".
        order: the order in which the sequence is read and generated (default 0, …, D−1).

    `max_grad_norm` is the gradient norm `armini.fit` clips to for this model: gradients
    through many time steps can explode.
    """

    max_grad_norm = 1.0

    def __init__(
        self,
        n_dims: int,
        n_hidden: int = 64,
        head: Head | None = None,
        cell: str = "tanh",
        order: Sequence[int] | None = None,
    ):
        head = Bernoulli() if head is None else head
        super().__init__(n_dims, head, order)
        self.n_hidden = _validate.integer(n_hidden, "n_hidden (d, the size of h_t)", 1)
        self.cell = _validate.choice(cell, "cell", tuple(CELLS), "the notes' tanh, GRU, LSTM")
        self.in_per_var = features_per_variable(head)
        F, d, P = self.in_per_var, self.n_hidden, head.n_params
        gates = {"tanh": 1, "gru": 3, "lstm": 4}[cell]
        self.check_size(3 * gates * d * (F + 1 + d) + 3 * d * P, "the cell and read-out")
        self.rnn = CELLS[cell](F + 1, d, batch_first=True)  # inputs: features + start flag
        self.h0 = nn.Parameter(torch.zeros(d))  # h_0 = b_0, learned
        if cell == "lstm":
            self.c0 = nn.Parameter(torch.zeros(d))  # the LSTM's cell state starts learned too
        self.readout = nn.Linear(d, P)  # o_t = W_hy h_t + b_y

    # -- teacher forcing: every conditional in one call ------------------------------------------
    def inputs(self, x: Tensor) -> Tensor:
        """What the cell reads at each step: (B, D) -> (B, D, F + 1), in the order. Step t
        reads x_{t−1}, step 1 the start token: the shift that makes the model autoregressive."""
        return shifted_inputs(x, self.head, self.order)

    def _start_state(self, n: int):
        h = self.h0.expand(1, n, -1).contiguous()
        return (h, self.c0.expand(1, n, -1).contiguous()) if self.cell == "lstm" else h

    def forward(self, x: Tensor) -> Tensor:
        B = len(x)
        hidden, _ = self.rnn(self.inputs(x), self._start_state(B))  # (B, D, d), in order
        out = self.readout(hidden)[:, torch.argsort(self.order)]  # back to natural index
        return out.reshape(B, *self.shape, self.head.n_params)

    # -- sampling: carry the hidden state, one cell step per variable ---------------------------
    def initial_state(self, n: int):
        """Read the start token: h_1 = cell(h_0, start); its output is p(x_1)'s parameters."""
        start = start_token(n, self.in_per_var, self.device, self.dtype)  # (n, 1, F + 1)
        out, state = self.rnn(start, self._start_state(n))
        return self.readout(out[:, 0]), (state, 0)

    def step(self, state, value: Tensor):
        """Read the value just drawn, h_{t+1} = cell(h_t, x_t); the next conditional."""
        hidden, t = state
        out, hidden = self.rnn(value_input(value, self.head), hidden)
        return self.readout(out[:, 0]), (hidden, t + 1)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, cell={self.cell!r}, n_hidden={self.n_hidden}"


# -- inputs shifted by one, with a start token: shared by the sequence models -------------------


def shifted_inputs(x: Tensor, head: Head, order: Tensor) -> Tensor:
    """(B, D) -> (B, D, F + 1) in `order`: step t holds the features of the variable before it
    (its value, or one-hot for a Categorical head) and a 0 flag; step 1 holds the start token,
    features 0 and flag 1. A model whose output t reads steps ≤ t then reads exactly x_<t."""
    B = len(x)
    feats = input_features(x.reshape(B, -1), head).reshape(B, len(order), -1)[:, order]
    start = start_token(B, feats.shape[-1], x.device, feats.dtype)
    previous = torch.cat([feats[:, :-1], torch.zeros_like(feats[:, :-1, :1])], dim=-1)
    return torch.cat([start, previous], dim=1)


def start_token(n: int, n_features: int, device, dtype) -> Tensor:
    """The start token for n sequences: (n, 1, F + 1), zero features and the flag 1."""
    start = torch.zeros(n, 1, n_features + 1, device=device, dtype=dtype)
    start[:, 0, -1] = 1.0
    return start


def value_input(value: Tensor, head: Head) -> Tensor:
    """The input that the value just drawn, (n,), becomes at the next step: (n, 1, F + 1)."""
    feats = input_features(value[:, None], head)  # (n, F)
    return torch.cat([feats, torch.zeros_like(feats[:, :1])], dim=-1)[:, None]

"""The one interface every model of the course shares.

An autoregressive model over D variables x_1, …, x_D (in a fixed `order`) writes

    p(x) = Π_i p(x_i | x_<i),

and computes the parameters of every conditional at once from the whole input (teacher
forcing). The head turns each variable's parameters into a distribution. From `forward` alone
the base class gives `log_prob`, `nll` and ancestral `sample`, for every model in armini.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from armini import _validate
from armini.heads import Head

SAMPLING_METHODS = ("auto", "incremental", "passes")


class AutoregressiveModel(nn.Module):
    """Base class. Subclasses implement `forward(x) -> (B, *shape, head.n_params)`.

    Args:
        shape: the shape of one example, e.g. `(64,)` or `(1, 8, 8)`; D = prod(shape).
        head: the distribution of one conditional (`Bernoulli()`, `Categorical(K)`, …).
        order: the order in which variables are generated, a permutation of range(D) over the
            flattened example; default: 0, 1, …, D−1 (raster order for images).

    The contract a subclass keeps: output i of `forward` depends only on inputs that come
    before i in `order`. `armini.checks.assert_autoregressive` tests exactly that.
    """

    max_grad_norm: float | None = None  # the gradient norm `armini.fit` clips to; None: none

    def __init__(self, shape: int | Sequence[int], head: Head, order: Sequence[int] | None = None):
        super().__init__()
        if isinstance(shape, Sequence) and not isinstance(shape, str):
            self.shape = tuple(_validate.integer(s, "each size in shape", 1) for s in shape)
            if not self.shape:
                raise ValueError("shape must hold at least one size, e.g. (64,) or (1, 8, 8)")
        else:
            self.shape = (_validate.integer(shape, "the number of variables (n_dims)", 1),)
        self.n_dims = math.prod(self.shape)
        self.head = _validate.head(head)
        self.check_size(2 * self.n_dims, f"the order of {self.n_dims:,} variables")
        if order is None:
            order = torch.arange(self.n_dims)
        else:
            order = torch.tensor(_validate.permutation(order, self.n_dims), dtype=torch.long)
        self.register_buffer("order", order)

    def check_size(self, n_numbers: int, what: str = "the parameters") -> None:
        """Refuse, with a clear error, to build something that cannot fit in memory."""
        _validate.fits_in_memory(n_numbers, f"{type(self).__name__}: {what}")

    # -- what subclasses provide ---------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Parameters of every conditional: x (B, *shape) -> (B, *shape, head.n_params)."""
        raise NotImplementedError

    # -- what every model gets -------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.order.device

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point type the model computes in: that of its parameters (after
        `.double()` or `.half()`), inputs are cast to it."""
        for tensor in (*self.parameters(), *self.buffers()):
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.get_default_dtype()

    def n_parameters(self) -> int:
        """Number of trainable numbers (masked-out weights are not counted by subclasses
        that override this)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def validate(self, x: Tensor, name: str = "x") -> Tensor:
        """Check shape and values of a batch; return it on the model's device, in its dtype."""
        if not torch.is_tensor(x):
            raise TypeError(
                f"{name} must be a torch.Tensor of shape (B, {_fmt(self.shape)}), "
                f"got {type(x).__name__}"
            )
        if x.dim() == len(self.shape):
            hint = f"; for one example use {name}.unsqueeze(0)" if x.shape == self.shape else ""
        else:
            hint = ""
        if tuple(x.shape[1:]) != self.shape or x.dim() != len(self.shape) + 1:
            raise ValueError(
                f"{name} has shape {tuple(x.shape)}, expected (B, {_fmt(self.shape)}) "
                f"for this {type(self).__name__}{hint}"
            )
        if x.shape[0] == 0:
            raise ValueError(
                f"{name} is empty: expected at least one example of shape {self.shape}"
            )
        self.head.validate(x, name)
        return x.to(device=self.device, dtype=self.dtype)

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) in nats, one number per example: (B, *shape) -> (B,)."""
        x = self.validate(x)
        params = self(x)
        return self.head.log_prob(params, x).reshape(x.shape[0], -1).sum(dim=1)

    def nll(self, x: Tensor) -> Tensor:
        """Mean negative log-likelihood in nats (the training loss)."""
        return -self.log_prob(x).mean()

    def loss(self, x: Tensor) -> Tensor:
        """What `armini.fit` minimises: the NLL."""
        return self.nll(x)

    def components(self) -> Iterator[AutoregressiveModel]:
        """The autoregressive models this one mixes, each with its own order; the checks test
        every one. A single model is its only component; a mask ensemble (MADE) overrides it."""
        yield self

    # -- incremental sampling: a model with a state provides these two ---------------------
    def initial_state(self, n: int) -> tuple[Tensor, object]:
        """For incremental sampling: the parameters `(n, head.n_params)` of the first
        conditional in the order, and the state before any variable is drawn (NADE: a_1 = c)."""
        raise NotImplementedError(f"{type(self).__name__} has no incremental sampler")

    def step(self, state: object, value: Tensor) -> tuple[Tensor, object]:
        """For incremental sampling: given the state and the values `(n,)` of the variable just
        drawn, the parameters `(n, head.n_params)` of the next conditional in the order and the
        new state (NADE: a_{i+1} = a_i + W[:, i] x_i, O(d) instead of a full forward pass)."""
        raise NotImplementedError(f"{type(self).__name__} has no incremental sampler")

    @property
    def incremental(self) -> bool:
        """Whether this model provides `initial_state` and `step`."""
        return type(self).step is not AutoregressiveModel.step

    @torch.no_grad()
    def sample(
        self,
        n: int,
        given: Tensor | None = None,
        generator: torch.Generator | None = None,
        method: str = "auto",
        temperature: float = 1.0,
    ) -> Tensor:
        """Ancestral sampling: draw x_o1, then x_o2 given it, …, one variable at a time.

        Args:
            n: number of samples.
            given: optional `(n, *shape)` or `(*shape)` float tensor; its entries that are not
                NaN are kept fixed (completion, inpainting) and the NaN entries are sampled.
                Note: conditioning is exact only for variables that come *after* the given ones
                in the order; earlier unknowns are sampled from their own conditionals.
            generator: a `torch.Generator` on the model's device for reproducible draws; the
                global random state is then left untouched.
            method: "passes" runs D full forward passes, reading conditional i off pass i (the
                reference, for every model); "incremental" carries the model's state from one
                variable to the next (`initial_state`, `step`), one cheap step per variable;
                "auto" (default) takes "incremental" when the model provides it. Both draw the
                same random numbers in the same order, so one generator gives both paths the
                same samples (up to floating-point rounding).
            temperature: divide every conditional's logits by this (discrete heads): 1 is the
                model itself, below 1 sharper, above 1 flatter.
        Returns:
            (n, *shape) tensor on the model's device, in the model's dtype.
        """
        _validate.choice(method, "method", SAMPLING_METHODS)
        temperature = _validate.real(temperature, "temperature", above=0)
        if temperature != 1.0:
            self.head.temper(torch.zeros(1, self.head.n_params), temperature)  # a discrete head?
        if method == "incremental" and not self.incremental:
            raise ValueError(
                f"{type(self).__name__} has no incremental sampler (initial_state and step); "
                "use method='passes' or 'auto'"
            )
        incremental = self.incremental and method != "passes"
        x, known = self._start(n, given, generator)
        flat_x, flat_known = x.view(n, -1), known.view(n, -1)
        all_known = flat_known.all(0).tolist()  # one look at the mask, not one per step
        if incremental:
            params, state = self.initial_state(n)
        for t, i in enumerate(self.order.tolist()):
            if not all_known[i]:
                if not incremental:
                    params = self(x).reshape(n, self.n_dims, -1)[:, i]
                if temperature != 1.0:
                    params = self.head.temper(params, temperature)
                value = self.head.sample(params, generator).to(x.dtype)
                flat_x[:, i] = torch.where(flat_known[:, i], flat_x[:, i], value)
            if incremental and t + 1 < self.n_dims:
                params, state = self.step(state, flat_x[:, i])
        return x

    def _start(
        self, n: int, given: Tensor | None, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """A zero canvas (n, *shape) and the mask of entries fixed by `given`."""
        n = _validate.integer(n, "n (the number of samples)", 1)
        _validate.fits_in_memory(n * self.n_dims * self.head.n_params, f"sample({n})")
        check_generator(generator, self.device)
        x = torch.zeros((n, *self.shape), device=self.device, dtype=self.dtype)
        if given is None:
            return x, torch.zeros_like(x, dtype=torch.bool)
        if not torch.is_tensor(given) or not given.is_floating_point():
            raise TypeError(
                "given must be a float tensor with NaN marking the entries to sample, "
                f"got {type(given).__name__ if not torch.is_tensor(given) else given.dtype}"
            )
        given = given.to(device=self.device, dtype=self.dtype)
        if given.shape == self.shape:
            given = given.expand(n, *self.shape)
        if tuple(given.shape) != (n, *self.shape):
            raise ValueError(
                f"given has shape {tuple(given.shape)}, expected ({n}, {_fmt(self.shape)}) or "
                f"({_fmt(self.shape)})"
            )
        known = ~torch.isnan(given)
        if known.any():
            self.head.validate(given[known], "the known entries of given")
        return torch.where(known, given, x), known

    def extra_repr(self) -> str:
        return f"shape={self.shape}, head={self.head}"


@contextmanager
def evaluating(model: nn.Module):
    """Eval mode and no gradients inside the block; the model's mode is restored after,
    also when the block raises."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def batched_log_prob(model: AutoregressiveModel, x: Tensor, batch_size: int = 1024) -> Tensor:
    """log p(x) of every example, (N,), computed in eval mode a batch at a time."""
    with evaluating(model):
        return torch.cat(
            [model.log_prob(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        )


def check_generator(generator: torch.Generator | None, device: torch.device) -> None:
    """A generator, if given, must be a torch.Generator on the device it will draw on."""
    if generator is None:
        return
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator, e.g. torch.Generator().manual_seed(0), "
            f"got {type(generator).__name__}"
        )
    if generator.device.type != torch.device(device).type:
        raise ValueError(
            f"generator is on {generator.device} but the model is on {device}: make it with "
            "torch.Generator(device=model.device).manual_seed(seed)"
        )


def _fmt(shape: tuple[int, ...]) -> str:
    return ", ".join(str(s) for s in shape)

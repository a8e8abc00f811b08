"""Training by maximum likelihood: minibatch Adam on the mean negative log-likelihood,
with early stopping on the validation set (the best weights are restored at the end)."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import torch
from torch import Tensor
from tqdm.auto import tqdm

from armini.data import Dataset
from armini.metrics import bits_per_dim
from armini.models.base import AutoregressiveModel, batched_log_prob, evaluating


@dataclass
class History:
    """What happened during `fit`: mean NLL (nats) per epoch, and seconds since the start."""

    train_nll: list[float] = field(default_factory=list)
    val_nll: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_nll)

    @property
    def best_val_nll(self) -> float | None:
        return None if self.best_epoch is None else self.val_nll[self.best_epoch - 1]

    def plot(self, ax=None, label: str = ""):
        """Training and validation NLL against epoch; the best epoch marked."""
        from armini.plot import curves

        series = {f"{label} train".strip(): self.train_nll}
        if self.val_nll:
            series[f"{label} validation".strip()] = self.val_nll
        ax = curves(series, ax=ax, xlabel="epoch", ylabel="NLL (nats)")
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch, color="grey", linestyle=":", linewidth=1)
        return ax

    def __repr__(self) -> str:
        best = (
            ""
            if self.best_epoch is None
            else f", best val {self.best_val_nll:.2f} at epoch {self.best_epoch}"
        )
        return f"History({self.epochs} epochs, final train {self.train_nll[-1]:.2f} nats{best})"


@dataclass
class Evaluation:
    """Mean NLL of a data set in nats per example, and in bits per dimension."""

    nats: float
    bits_per_dim: float
    n: int

    def __str__(self) -> str:
        return f"{self.nats:.2f} nats ({self.bits_per_dim:.3f} bits/dim, {self.n} examples)"


def evaluate(model: AutoregressiveModel, x: Tensor, batch_size: int = 1024) -> Evaluation:
    """Mean negative log-likelihood of `x: (N, *shape)` under `model`."""
    if len(x) == 0:
        raise ValueError("cannot evaluate on an empty data set: expected at least one example")
    nats = float(-batched_log_prob(model, x, batch_size).sum()) / len(x)
    return Evaluation(nats, bits_per_dim(nats, model.n_dims), len(x))


def mean_loss(model, x: Tensor, batch_size: int = 1024) -> float:
    """`model.loss` averaged over `x` in eval mode (for an AR model: the NLL in nats)."""
    with evaluating(model):
        batches = [x[i : i + batch_size] for i in range(0, len(x), batch_size)]
        return sum(float(model.loss(b)) * len(b) for b in batches) / len(x)


def fit(
    model: AutoregressiveModel | torch.nn.Module,
    data: Dataset | Tensor,
    *,
    val: Tensor | None = None,
    epochs: int = 100,
    batch_size: int = 64,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    patience: int | None = 10,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Maximum-likelihood training with minibatch Adam: minimises `model.loss` (the NLL for
    every autoregressive model; the reconstruction error for an Autoencoder).

    Args:
        data: a `Dataset` (its train and val splits are used; with dynamic binarisation the
            training set is redrawn each epoch) or a training tensor `(N, *shape)`.
        val: validation tensor when `data` is a tensor; enables early stopping.
        patience: stop after this many epochs without a better validation NLL (None: never);
            the weights of the best epoch are restored at the end.
        progress: show a tqdm progress bar.
    """
    if isinstance(data, Dataset):
        train, val, resample = data.train, data.val, data.dynamic
    elif torch.is_tensor(data):
        train, resample = data, False
    else:
        raise TypeError(
            f"data must be an armini Dataset or a tensor (N, *shape), got {type(data).__name__}"
        )
    if len(train) == 0:
        raise ValueError(
            f"training data is empty: expected a tensor of shape (N, *{model.shape}), N ≥ 1"
        )
    if (
        not isinstance(epochs, int)
        or epochs < 1
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise ValueError(
            f"epochs and batch_size must be positive ints, got {epochs!r} and {batch_size!r}"
        )
    train = model.validate(train, "training data")
    if val is not None:
        val = model.validate(val, "validation data")
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, best_state, since_best = History(), None, 0
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=type(model).__name__, disable=not progress, leave=False)
    for _ in bar:
        if resample:
            train = data.resample_train(gen).to(model.device)
        model.train()
        perm = torch.randperm(len(train), generator=gen).to(model.device)
        total = 0.0
        for i in range(0, len(train), batch_size):
            batch = train[perm[i : i + batch_size]]
            loss = model.loss(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        history.train_nll.append(total / len(train))
        if val is not None:
            history.val_nll.append(mean_loss(model, val))
            if history.best_epoch is None or history.val_nll[-1] < history.best_val_nll:
                history.best_epoch, since_best = history.epochs, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += 1
        history.seconds.append(time.perf_counter() - start)
        bar.set_postfix(
            train=f"{history.train_nll[-1]:.2f}",
            val=f"{history.val_nll[-1]:.2f}" if history.val_nll else "-",
        )
        if patience is not None and since_best >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history

"""Training by maximum likelihood: minibatch Adam on the mean negative log-likelihood,
with early stopping on the validation set (the best weights are restored at the end)."""

from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass, field

import torch
from torch import Tensor
from tqdm.auto import tqdm

from armini import _validate
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
        if not self.train_nll:
            return "History(0 epochs)"
        best = (
            ""
            if self.best_epoch is None
            else f", best val {self.best_val_nll:.2f} at epoch {self.best_epoch}"
        )
        return f"History({self.epochs} epochs, final train {self.train_nll[-1]:.2f} nats{best})"


class TrainingDiverged(FloatingPointError):
    """The loss of `fit` became NaN or infinite. The model is left in eval mode with the best
    weights seen before (those of the start if no epoch finished); `history` holds the epochs
    that did."""

    def __init__(self, message: str, epoch: int, lr: float, history: History):
        super().__init__(message)
        self.epoch, self.lr, self.history = epoch, lr, history


@dataclass
class Evaluation:
    """Mean NLL of a data set in nats per example, and in bits per dimension."""

    nats: float
    bits_per_dim: float
    n: int

    def __str__(self) -> str:
        return f"{self.nats:.2f} nats ({self.bits_per_dim:.3f} bits/dim, {self.n} examples)"


def evaluate(model: AutoregressiveModel, x: Tensor | Dataset, batch_size: int = 1024) -> Evaluation:
    """Mean negative log-likelihood of `x: (N, *shape)` under `model`; given a `Dataset`, of
    its test split."""
    _check_model(model, "log_prob")
    if isinstance(x, Dataset):
        x = x.test
    if not torch.is_tensor(x):
        raise TypeError(
            f"x must be a tensor (N, *shape) of examples or an armini Dataset (its test split "
            f"is used), got {type(x).__name__}"
        )
    batch_size = _validate.integer(batch_size, "batch_size", 1)
    if x.dim() == 0 or len(x) == 0:
        raise ValueError(
            f"cannot evaluate on x of shape {tuple(x.shape)}: expected at least one example, "
            "(N, *shape)"
        )
    total = -batched_log_prob(model, x, batch_size).double().sum()
    if torch.isnan(total):
        raise ValueError(
            f"{type(model).__name__} gives NaN log-probabilities: its weights hold NaN or inf "
            "(did training diverge?)"
        )
    nats = float(total) / len(x)
    density = getattr(getattr(model, "head", None), "n_values", 2) is None
    return Evaluation(nats, bits_per_dim(nats, model.n_dims, density=density), len(x))


def mean_loss(model, x: Tensor, batch_size: int = 1024) -> float:
    """`model.loss` averaged over `x` in eval mode (for an AR model: the NLL in nats)."""
    with evaluating(model):
        batches = [x[i : i + batch_size] for i in range(0, len(x), batch_size)]
        return sum(float(model.loss(b)) * len(b) for b in batches) / len(x)


def _check_model(model, method: str) -> None:
    if isinstance(model, torch.nn.Module) and hasattr(model, "loss") and method == "log_prob":
        if not hasattr(model, "log_prob"):
            raise TypeError(
                f"{type(model).__name__} has no log_prob(x): it is not a model of p(x), so it "
                "has no likelihood to evaluate; measure its reconstruction with model.loss(x)"
            )
    if not isinstance(model, torch.nn.Module) or not hasattr(model, method):
        raise TypeError(
            f"model must be an armini model (an AutoregressiveModel, or an Autoencoder for "
            f"fit), got {type(model).__name__}"
        )


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
    max_grad_norm: float | None = None,
) -> History:
    """Maximum-likelihood training with minibatch Adam: minimises `model.loss` (the NLL for
    every autoregressive model; the reconstruction error for an Autoencoder).

    Args:
        data: a `Dataset` (its train and val splits are used; with dynamic binarisation the
            training set is redrawn each epoch) or a training tensor `(N, *shape)`.
        val: validation tensor; enables early stopping. With a Dataset it replaces the
            Dataset's own val split.
        epochs: the most epochs to train (≥ 1).
        lr: Adam's learning rate, a finite number > 0.
        patience: stop after this many epochs (≥ 1) without a better validation NLL (None:
            never); the weights of the best epoch are restored at the end.
        seed: seeds the minibatch order (and the dynamic binarisation).
        progress: show a tqdm progress bar.
        max_grad_norm: clip the gradient of every minibatch to this Euclidean norm; None
            takes the model's own `max_grad_norm` (an RNN clips at 1; most models do not
            clip), `math.inf` turns clipping off.

    The model always ends in eval mode with the best weights seen: those of the best
    validation epoch, or of the last epoch without validation data. That also holds when
    training stops early: if the loss becomes NaN or infinite (`TrainingDiverged`, which names
    the epoch and the learning rate) or on Ctrl-C (KeyboardInterrupt, re-raised).
    """
    _check_model(model, "loss")
    epochs = _validate.integer(epochs, "epochs", 1)
    batch_size = _validate.integer(batch_size, "batch_size", 1)
    lr = _validate.real(
        lr, "lr (Adam's learning rate; typical values 1e-4 to 1e-1)", above=0, maximum=10
    )
    weight_decay = _validate.real(weight_decay, "weight_decay", minimum=0)
    if patience is not None:
        patience = _validate.integer(patience, "patience (epochs without improvement, or None)", 1)
    seed = _validate.integer(seed, "seed", 0)
    progress = _validate.flag(progress, "progress")
    if max_grad_norm is None:
        max_grad_norm = getattr(model, "max_grad_norm", None)
    if max_grad_norm is not None:
        max_grad_norm = _validate.real(max_grad_norm, "max_grad_norm", above=0, allow_inf=True)
    if isinstance(data, Dataset):
        train, resample = data.train, data.dynamic
        val = data.val if val is None else val
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
    train = model.validate(train, "training data")
    if val is not None:
        val = model.validate(val, "validation data")
    parameters = [p for p in model.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError(f"{type(model).__name__} has no trainable parameters to fit")
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    history, since_best = History(), 0
    best_state = copy.deepcopy(model.state_dict())  # the weights to end with
    start = time.perf_counter()
    kept = 0  # the epoch whose weights best_state holds; 0 = the start
    initial_val = None if val is None else mean_loss(model, val)
    bar = tqdm(total=epochs, desc=type(model).__name__, disable=not progress, leave=False)
    try:
        for epoch in range(1, epochs + 1):
            if resample:
                train = data.resample_train(gen).to(device=model.device, dtype=train.dtype)
            model.train()
            perm = torch.randperm(len(train), generator=gen).to(model.device)
            total = 0.0
            for i in range(0, len(train), batch_size):
                batch = train[perm[i : i + batch_size]]
                loss = model.loss(batch)
                value = loss.item()
                if not math.isfinite(value):
                    _diverged(f"the training loss became {value}", epoch, lr, kept, history)
                optimizer.zero_grad()
                loss.backward()
                if max_grad_norm is not None and max_grad_norm < math.inf:
                    torch.nn.utils.clip_grad_norm_(parameters, max_grad_norm)
                optimizer.step()
                total += value * len(batch)
            if not all(bool(torch.isfinite(p).all()) for p in parameters):
                _diverged("the weights became NaN or infinite", epoch, lr, kept, history)
            history.train_nll.append(total / len(train))
            if val is not None:
                history.val_nll.append(mean_loss(model, val))
                if not math.isfinite(history.val_nll[-1]):
                    what = f"the validation NLL became {history.val_nll[-1]}"
                    _diverged(what, epoch, lr, kept, history)
                if history.best_epoch is None or history.val_nll[-1] < history.best_val_nll:
                    history.best_epoch, since_best = history.epochs, 0
                    best_state, kept = copy.deepcopy(model.state_dict()), epoch
                else:
                    since_best += 1
            else:
                best_state, kept = copy.deepcopy(model.state_dict()), epoch
            history.seconds.append(time.perf_counter() - start)
            bar.update()
            bar.set_postfix(
                train=f"{history.train_nll[-1]:.2f}",
                val=f"{history.val_nll[-1]:.2f}" if history.val_nll else "-",
            )
            if patience is not None and since_best >= patience:
                break
    finally:
        bar.close()
        model.load_state_dict(best_state)
        model.eval()
    if initial_val is not None and history.best_val_nll > initial_val:
        warnings.warn(
            f"fit: the best validation NLL ({history.best_val_nll:.2f}) is worse than before "
            f"training ({initial_val:.2f}): the learning rate lr={lr:g} is probably too large",
            RuntimeWarning,
            stacklevel=2,
        )
    return history


def _diverged(what: str, epoch: int, lr: float, kept: int, history: History):
    weights = f"epoch {kept}" if kept else "the start"
    raise TrainingDiverged(
        f"fit stopped: {what} in epoch {epoch} with lr={lr:g}. The learning rate is probably "
        f"too large (try lr={lr / 10:g}). The model keeps the weights of {weights}.",
        epoch,
        lr,
        history,
    )

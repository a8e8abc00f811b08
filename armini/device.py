"""Where tensors live, and the first cell of every notebook.

`get_device()` picks CUDA, then Apple's MPS, then the CPU; the environment variable
ARMINI_DEVICE (``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides the choice.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from armini import _validate

_KINDS = ("cpu", "cuda", "mps")


def get_device(name: str | None = None) -> torch.device:
    """The device to compute on: `name`, else $ARMINI_DEVICE, else cuda > mps > cpu."""
    if isinstance(name, torch.device):
        name = str(name)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"device must be a name such as 'cpu' or 'cuda', got {name!r}")
    name = name or os.environ.get("ARMINI_DEVICE") or None
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in _KINDS:
        raise ValueError(f"unknown device {name!r}: expected one of 'cpu', 'cuda', 'cuda:N', 'mps'")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was asked for, but this PyTorch sees no CUDA GPU")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r} was asked for, but MPS is not available here")
    return device


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random number generators."""
    seed = _validate.integer(seed, "seed", 0, 2**32 - 1)  # NumPy's seeds stop at 2^32 − 1
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the global generator other libraries use
    torch.manual_seed(seed)  # also seeds every CUDA device


def setup(seed: int = 0, device: str | None = None) -> torch.device:
    """First cell of a notebook: seed everything, set print and plot defaults, pick a device.

    Returns the device, so a notebook writes ``device = armini.setup()``.
    """
    seed_everything(seed)
    torch.set_printoptions(precision=4, sci_mode=False)
    np.set_printoptions(precision=4, suppress=True)
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": 90,
            "figure.figsize": (6.0, 3.5),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.interpolation": "nearest",
            "svg.hashsalt": "armini",
        }
    )
    return get_device(device)

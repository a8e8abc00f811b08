"""Argument checks shared by armini's public functions.

Each check either returns the value in its canonical form or raises a `TypeError` (wrong kind
of thing) or `ValueError` (right kind, wrong value) whose message names the argument, what it
got and what is expected, so that a mistake is reported at the call that made it rather than
deep inside PyTorch.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


def _got(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` as an int in [minimum, maximum]; bools, floats and strings are refused."""
    is_int_tensor = torch.is_tensor(value) and value.dim() == 0 and not value.is_floating_point()
    if isinstance(value, bool) or not (isinstance(value, numbers.Integral) or is_int_tensor):
        raise TypeError(f"{name} must be an int{_range(minimum, maximum)}, got {_got(value)}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int{_range(minimum, maximum)}, got {value}")
    return value


def real(
    value,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    allow_inf: bool = False,
) -> float:
    """`value` as a finite float (≥ minimum, ≤ maximum, > above); bools and strings refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.floating):
        if not (torch.is_tensor(value) and value.dim() == 0):
            raise TypeError(f"{name} must be a real number, got {_got(value)}")
    value = float(value)
    bounds = []
    if minimum is not None:
        bounds.append(f"≥ {minimum:g}")
    if above is not None:
        bounds.append(f"> {above:g}")
    if maximum is not None:
        bounds.append(f"≤ {maximum:g}")
    expected = f"a finite number {' and '.join(bounds)}".rstrip()
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be {expected}, got {value}")
    if (
        (minimum is not None and value < minimum)
        or (above is not None and value <= above)
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{name} must be {expected}, got {value:g}")
    return value


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" ≥ {minimum}"
    if maximum is not None:
        return f" ≤ {maximum}"
    return ""


def choice(value, name: str, options: Sequence[str], hint: str = "") -> str:
    """`value` if it is one of `options` (strings); `hint` says what they mean."""
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        hint = f" ({hint})" if hint else ""
        raise ValueError(f"{name} must be one of {listed}{hint}; got {_got(value)}")
    return value


def flag(value, name: str) -> bool:
    """`value` if it is a bool."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_got(value)}")
    return bool(value)


def sizes(value, name: str, minimum: int = 1) -> list[int]:
    """A non-empty sequence of ints ≥ minimum, e.g. hidden layer sizes (128,) or (64, 64)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, str) or not isinstance(value, Sequence | Tensor | np.ndarray):
        raise TypeError(
            f"{name} must be a list of ints ≥ {minimum} such as (128,) or (64, 64), "
            f"got {_got(value)}"
        )
    out = [integer(v, f"each entry of {name}", minimum) for v in list(value)]
    if not out:
        raise ValueError(f"{name} must list at least one size, e.g. (128,); got {_got(value)}")
    return out


def permutation(value, n: int, name: str = "order") -> list[int]:
    """A permutation of range(n), given as a list, tuple, array or integer tensor."""
    expected = f"a permutation of range({n}) (a list of ints), e.g. list(reversed(range({n})))"
    if isinstance(value, str) or not isinstance(value, Sequence | Tensor | np.ndarray):
        raise TypeError(f"{name} must be {expected}; got {_got(value)}")
    if isinstance(value, Tensor | np.ndarray) and value.ndim != 1:
        raise ValueError(f"{name} must be {expected}; got an array of shape {tuple(value.shape)}")
    items = value.tolist() if isinstance(value, Tensor | np.ndarray) else list(value)
    bad = [v for v in items if isinstance(v, bool) or not isinstance(v, numbers.Integral)]
    if bad:
        raise TypeError(f"{name} must be {expected}; it holds {_got(bad[0])}")
    items = [int(v) for v in items]
    if sorted(items) != list(range(n)):
        raise ValueError(
            f"{name} must be {expected}; got {len(items)} entries starting {items[:5]}"
        )
    return items


def head(value, allowed: tuple[type, ...] | None = None, name: str = "head"):
    """A head instance (`Bernoulli()`, `Categorical(K)`, …), of one of the `allowed` kinds."""
    from armini.heads import Head

    if isinstance(value, type) and issubclass(value, Head):
        raise TypeError(
            f"{name} must be a head instance such as {value.__name__}(…); got the class"
        )
    if not isinstance(value, Head):
        raise TypeError(
            f"{name} must be an armini head such as Bernoulli() or Categorical(4), "
            f"got {_got(value)}"
        )
    if allowed is not None and not isinstance(value, allowed):
        kinds = " or ".join(f"{k.__name__}(…)" for k in allowed)
        raise ValueError(f"{name} must be {kinds} for this model, got {value!r}")
    return value


def memory_limit_bytes() -> int:
    """Half of this machine's memory: the most one armini object may ask for."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        total = 16 * 2**30
    return total // 2


def fits_in_memory(n_numbers: int, what: str, bytes_per_number: int = 4) -> None:
    """Raise ValueError if `n_numbers` numbers would not fit comfortably in memory."""
    need = n_numbers * bytes_per_number
    limit = memory_limit_bytes()
    if need > limit:
        raise ValueError(
            f"{what} would need {n_numbers:,} numbers ({need / 2**30:,.1f} GiB), more than the "
            f"{limit / 2**30:.1f} GiB (half of this machine's memory) armini allows; "
            "use fewer variables, units or samples"
        )


def tensor(value, name: str, expected: str) -> Tensor:
    """`value` if it is a tensor, else a TypeError saying what is expected."""
    if not torch.is_tensor(value):
        raise TypeError(f"{name} must be a torch.Tensor {expected}, got {type(value).__name__}")
    return value

"""Figures the notebooks share: image grids, matrices and masks, training curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import Colormap
from torch import Tensor

from armini import _validate


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)


def _array(x, name: str) -> np.ndarray:
    """A float array from a tensor, an array or nested lists of numbers."""
    try:
        a = _numpy(x.float() if torch.is_tensor(x) and x.dtype == torch.bool else x).astype(float)
    except (TypeError, ValueError):
        a = None
    if a is None or a.ndim == 0:
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {type(x).__name__}")
    return a


def _image_shape(image_shape) -> tuple[int, int]:
    if not isinstance(image_shape, Sequence) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be (H, W), e.g. (8, 8), got {image_shape!r}")
    return tuple(_validate.integer(s, "each size in image_shape", 1) for s in image_shape)


def _channel_shape(image_shape) -> tuple[int, int, int]:
    """(H, W) or (C, H, W) with C = 1 (grey) or 3 (RGB) → (C, H, W)."""
    expected = "(H, W) or (C, H, W) with C = 1 (grey) or 3 (RGB), e.g. (8, 8) or (3, 8, 8)"
    if not isinstance(image_shape, Sequence) or len(image_shape) not in (2, 3):
        raise ValueError(f"image_shape must be {expected}, got {image_shape!r}")
    sizes = tuple(_validate.integer(s, "each size in image_shape", 1) for s in image_shape)
    if len(sizes) == 2:
        return (1, *sizes)
    if sizes[0] not in (1, 3):
        raise ValueError(
            f"image_shape must be {expected}, got {tuple(image_shape)!r} ({sizes[0]} channels)"
        )
    return sizes


_GAP_RGB = (0.85, 0.85, 0.85)  # the colours of image_grid's grey overlay
_UNKNOWN_RGB = (0.95, 0.6, 0.6)


def _rgb_grid(x: np.ndarray, H: int, W: int, ncols: int, ax, title, vmax):
    """image_grid for colour: x: (N, 3·H·W) channel-major or (N, 3, H, W), drawn as RGB."""
    if x.shape[-1] != 3 * H * W and x.shape[-3:] != (3, H, W):
        raise ValueError(
            f"images of shape {x.shape} do not hold 3×{H}×{W} colour pictures: expected "
            f"(N, {3 * H * W}) (flattened channel-major, index c·H·W + h·W + w) or "
            f"(N, 3, {H}, {W}); pass image_shape=… (e.g. data.image_shape)"
        )
    x = x.reshape(-1, 3, H, W).transpose(0, 2, 3, 1)  # (N, H, W, 3)
    unknown = np.isnan(x).any(-1)  # (N, H, W): a pixel with any channel unknown
    if vmax is None:
        top = max(1.0, float(np.max(np.where(unknown[..., None], 0, x))))
    else:
        top = _validate.real(vmax, "vmax", above=0)
    n = len(x)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    canvas = np.empty((nrows * (H + 1) - 1, ncols * (W + 1) - 1, 3))
    canvas[:] = _GAP_RGB
    for k, img in enumerate(x):
        r, c = divmod(k, ncols)
        rows, cols = slice(r * (H + 1), r * (H + 1) + H), slice(c * (W + 1), c * (W + 1) + W)
        rgb = np.clip(img / top, 0.0, 1.0)  # (H, W, 3)
        rgb[unknown[k]] = _UNKNOWN_RGB
        canvas[rows, cols] = rgb
    if ax is None:
        cell = min(0.8 * max(H, W, 8) / 8, 8.0 / ncols)
        _, ax = plt.subplots(figsize=(cell * ncols, cell * nrows * H / W))
    ax.imshow(canvas)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def image_grid(
    images: Tensor,
    image_shape: tuple[int, ...] = (8, 8),
    ncols: int = 10,
    ax=None,
    title: str | None = None,
    vmax: float | None = None,
    cmap: str = "gray_r",
):
    """Draw `images: (N, H*W)` or `(N, H, W)` as one grid, with a thin grey gap between images.

    Unknown pixels (NaN, as in a partly `given` input) are drawn in a light red.
    Pass `image_shape=data.image_shape` for data sets other than the 8×8 digits.

    Colour: with `image_shape=(3, H, W)`, images are `(N, 3*H*W)` flattened channel-major
    (index c·H·W + h·W + w) or `(N, 3, H, W)`, drawn as RGB = clip(value / vmax, 0, 1)
    (`cmap` is not used); a pixel unknown in any channel is light red. `(1, H, W)` is grey.
    vmax defaults to max(1, largest value); pass vmax=K−1 for K levels.
    """
    C, H, W = _channel_shape(image_shape)
    ncols = _validate.integer(ncols, "ncols", 1)
    x = _array(images, "images")
    if x.size == 0:
        raise ValueError(f"images is empty (shape {x.shape}): expected at least one image")
    if x.ndim == 1:
        x = x[None]
    if C == 3:
        return _rgb_grid(x, H, W, ncols, ax, title, vmax)
    if x.shape[-1] != H * W and x.shape[-2:] != (H, W):
        raise ValueError(
            f"images of shape {x.shape} do not hold {H}×{W} pictures: expected (N, {H * W}) or "
            f"(N, {H}, {W}); pass image_shape=… (e.g. data.image_shape)"
        )
    x = x.reshape(-1, H, W)
    n = len(x)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    canvas = np.full((nrows * (H + 1) - 1, ncols * (W + 1) - 1), np.nan)
    unknown = np.zeros(canvas.shape, dtype=bool)
    for k, img in enumerate(x):
        r, c = divmod(k, ncols)
        rows, cols = slice(r * (H + 1), r * (H + 1) + H), slice(c * (W + 1), c * (W + 1) + W)
        canvas[rows, cols] = np.nan_to_num(img, nan=0.0)
        unknown[rows, cols] = np.isnan(img)
    gaps = np.isnan(canvas)
    if ax is None:
        cell = min(0.8 * max(H, W, 8) / 8, 8.0 / ncols)
        _, ax = plt.subplots(figsize=(cell * ncols, cell * nrows * H / W))
    top = vmax if vmax is not None else max(1.0, float(np.nanmax(np.where(unknown, 0, canvas))))
    ax.imshow(np.where(gaps, 0, canvas), cmap=cmap, vmin=0, vmax=top)
    overlay = np.zeros((*canvas.shape, 4))
    overlay[gaps] = (0.85, 0.85, 0.85, 1.0)
    overlay[unknown] = (0.95, 0.6, 0.6, 1.0)
    ax.imshow(overlay)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def completion_grid(
    given: Tensor,
    completions: Tensor,
    truth: Tensor | None = None,
    image_shape: tuple[int, ...] = (8, 8),
    ax=None,
    title: str | None = None,
    vmax: float | None = None,
):
    """One row per image: the given part (unknown pixels in light red), S completions, and
    the truth if known. given: (N, H*W) with NaN for unknowns; completions: (N, S, H*W).

    Colour: image_shape=(3, H, W), images flattened channel-major to 3·H·W (D below); vmax
    as in `image_grid` (pass K−1 for K levels, so every row uses the same scale)."""
    given = _validate.tensor(given, "given", "(N, H*W) with NaN for the unknown pixels")
    completions = _validate.tensor(completions, "completions", "(N, S, H*W)")
    if completions.dim() < 2:
        raise ValueError(f"completions has shape {tuple(completions.shape)}, expected (N, S, H*W)")
    N, S = completions.shape[:2]
    C, H, W = _channel_shape(image_shape)
    D = C * H * W
    picture = f"{H}×{W}" if C == 1 else f"{C}×{H}×{W}"
    if given.shape[0] != N:
        raise ValueError(
            f"given has {given.shape[0]} rows but completions {N}: expected one "
            "row of completions (N, S, H*W) per given image (N, H*W)"
        )
    pixels = [t[0].numel() for t in (given, completions[:, 0])]
    if truth is not None:
        pixels.append(_validate.tensor(truth, "truth", "(N, H*W)")[0].numel())
    if completions.dim() == 2 or any(p != D for p in pixels):
        raise ValueError(
            f"given {tuple(given.shape)}, completions {tuple(completions.shape)}"
            f"{'' if truth is None else f' and truth {tuple(truth.shape)}'} do not hold "
            f"{picture} images: expected (N, {D}), (N, S, {D}) and (N, {D}); "
            "stack the S completions of each image in dimension 1"
        )
    columns = [given.reshape(N, 1, -1).cpu(), completions.reshape(N, S, -1).cpu()]
    labels = ["given", *[f"sample {k}" for k in range(1, S + 1)]]
    if truth is not None:
        columns.append(truth.reshape(N, 1, -1).cpu())
        labels.append("truth")
    grid = torch.cat(columns, dim=1).reshape(N * len(labels), -1)
    ax = image_grid(grid, image_shape, ncols=len(labels), ax=ax, title=title, vmax=vmax)
    for c, label in enumerate(labels):  # images sit W + 1 columns apart
        ax.text((W + 1) * c + (W - 1) / 2, -1, label, ha="center", va="bottom", fontsize=8)
    return ax


def matrix(
    m,
    ax=None,
    title: str | None = None,
    cmap: str | Colormap = "Blues",
    labels: Sequence | None = None,
    colorbar: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """A matrix (dependency pattern, mask, weights) as a heatmap; row i, column j."""
    a = _array(m, "m")
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"m must be a non-empty 2-D matrix, got shape {a.shape}")
    if vmin is None and vmax is None and np.nanmin(a) >= 0:  # counts, masks, 0/1 patterns
        vmin, vmax = 0.0, max(1.0, float(np.nanmax(a)))
    if ax is None:
        side = min(5.0, max(2.8, 1.5 + 0.06 * max(a.shape)))
        _, ax = plt.subplots(
            figsize=(side * a.shape[1] / max(a.shape) + 0.5, side * a.shape[0] / max(a.shape))
        )
    im = ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
    for spine in ax.spines.values():  # a frame, so that an empty first row stays visible
        spine.set_visible(True)
    if labels is not None:
        ticks = range(len(labels))
        ax.set_xticks(ticks, labels=labels, fontsize=8)
        ax.set_yticks(ticks, labels=labels, fontsize=8)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if title:
        ax.set_title(title)
    return ax


def attention_maps(
    weights, rows: Sequence[str], columns: Sequence[str], cmap: str | Colormap = "Purples"
):
    """Attention weights `(L, H, T, S)` (layers, heads, the positions that read, the positions
    they read), one labelled panel per layer and head on one scale from 0 to 1, with a shared
    colour bar. Returns the figure."""
    a = _array(weights, "weights")
    if a.ndim != 4 or a.size == 0:
        raise ValueError(f"weights must be (layers, heads, T, S), got shape {a.shape}")
    L, H, T, S = a.shape
    if len(rows) != T or len(columns) != S:
        raise ValueError(
            f"rows and columns must label the {T} × {S} weights, got {len(rows)} and {len(columns)}"
        )
    fig, axes = plt.subplots(L, H, figsize=(4.5 * H, 4 * L), layout="constrained", squeeze=False)
    for (layer, head), ax in np.ndenumerate(axes):
        title = f"layer {layer + 1}, head {head + 1}"
        matrix(a[layer, head], ax=ax, cmap=cmap, title=title, vmin=0, vmax=1)
        ax.set_xticks(range(S), labels=columns, fontsize=8)
        ax.set_yticks(range(T), labels=rows, fontsize=8)
    fig.colorbar(axes.flat[-1].images[0], ax=axes, shrink=0.6, label="attention weight")
    return fig


def curves(
    series: Mapping[str, Sequence[float]],
    ax=None,
    x: Sequence[float] | None = None,
    xlabel: str = "epoch",
    ylabel: str = "",
    logy: bool = False,
    title: str | None = None,
):
    """Several named curves on one axis (training and validation NLL, counts against n, …)."""
    if not isinstance(series, Mapping) or not series:
        raise TypeError(
            f"series must be a non-empty dict {{name: values}}, got {type(series).__name__}"
        )
    if ax is None:
        _, ax = plt.subplots()
    for name, ys in series.items():
        ys = _numpy(ys)
        xs = np.arange(1, len(ys) + 1) if x is None else _numpy(x)
        ax.plot(xs, ys, label=name, marker="o" if len(ys) <= 20 else None, markersize=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if len(series) > 1:
        ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax


def _front(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    from armini.benchmark import pareto_front

    return pareto_front(xs, ys)


def _labels(ax, xs, ys, names, front):
    """Name each point, beside it where the name overlaps no name already placed."""
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    spots = [((4, 3), "left"), ((4, -10), "left"), ((-4, 3), "right"), ((-4, -10), "right")]
    for k in np.argsort(-np.asarray(ys)):  # from the top down
        colour = "black" if front[k] else "0.6"
        for offset, ha in spots:
            label = ax.annotate(names[k], (xs[k], ys[k]), xytext=offset, textcoords="offset points",
                                fontsize=7, color=colour, ha=ha)  # fmt: skip
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
            label.remove()
        else:
            label = ax.annotate(names[k], (xs[k], ys[k]), xytext=spots[0][0],
                                textcoords="offset points", fontsize=7, color=colour)  # fmt: skip
        placed.append(label.get_window_extent(renderer))


def leaderboard(rows: Sequence[Mapping], x: str = "parameters", ax=None, logx: bool = True):
    """Test NLL (mean ± sd over seeds) of leaderboard rows against one of their costs
    (`x`: "parameters", "train_s" or "sample_ms"); the Pareto front (no other row is both
    cheaper and better) drawn as a line, its rows in black, the others in grey."""
    labels = {"parameters": "parameters", "train_s": "training seconds per run"}
    labels["sample_ms"] = "milliseconds for 100 samples"
    x = _validate.choice(x, "x", tuple(labels))
    if not isinstance(rows, Sequence) or not rows:
        raise TypeError(f"rows must be a non-empty list of leaderboard rows, got {rows!r}")
    xs = np.array([r[x] for r in rows], dtype=float)
    ys = np.array([r["test_nll"] for r in rows], dtype=float)
    sd = np.array([r["test_nll_sd"] or 0.0 for r in rows], dtype=float)
    front = _front(xs, ys)
    from armini.benchmark import short_name

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for k in range(len(rows)):
        colour = "black" if front[k] else "0.6"
        ax.errorbar(xs[k], ys[k], yerr=sd[k], fmt="o", color=colour, markersize=4, capsize=2)
    if logx:
        ax.set_xscale("log")
    _labels(ax, xs, ys, [short_name(r["name"]) for r in rows], front)
    order = np.argsort(xs[front])
    ax.step(xs[front][order], ys[front][order], where="post", color="black", linewidth=0.8)
    if logx:
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel(labels[x])
    ax.set_ylabel("test NLL (nats)")
    return ax


def sample_panels(
    panels: Mapping[str, Tensor], image_shape: tuple[int, ...] = (8, 8), ncols: int = 4,
    images_per_row: int = 8,
):  # fmt: skip
    """One small image grid per model, side by side: `panels` maps a title to images."""
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(f"panels must be a non-empty dict {{title: images}}, got {panels!r}")
    ncols = min(_validate.integer(ncols, "ncols", 1), len(panels))
    images_per_row = _validate.integer(images_per_row, "images_per_row", 1)
    nrows = math.ceil(len(panels) / ncols)
    rows_of_images = max(math.ceil(len(v) / images_per_row) for v in panels.values())
    height = 2.6 * rows_of_images / images_per_row + 0.4  # square images, a title above
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, height * nrows), squeeze=False)
    for ax, (title, images) in zip(axes.flat, panels.items(), strict=False):
        image_grid(images, image_shape, ncols=images_per_row, ax=ax)
        ax.set_title(title, fontsize=8)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def ranking(rows: Sequence[Mapping], ax=None, key: str = "test_nll"):
    """Leaderboard rows sorted by mean test NLL, best at the top, each with its seed spread
    (± one standard deviation) and the spread of every single run as dots."""
    if not isinstance(rows, Sequence) or not rows:
        raise TypeError(f"rows must be a non-empty list of leaderboard rows, got {rows!r}")
    rows = sorted(rows, key=lambda r: r[key], reverse=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.3 * len(rows) + 0.8))
    for k, r in enumerate(rows):
        runs = [run[key] for run in r.get("runs", [])]
        ax.plot(runs, [k] * len(runs), "o", color="0.7", markersize=3)
        ax.errorbar(r[key], k, xerr=r.get(f"{key}_sd") or 0, fmt="o", color="black",
                    markersize=4, capsize=3)  # fmt: skip
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8)
    ax.set_xlabel("test NLL (nats): mean ± sd over seeds (black), each seed (grey)")
    ax.grid(axis="x", color="0.9")
    return ax

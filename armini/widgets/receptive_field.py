"""The receptive-field explorer: which earlier pixels a PixelCNN's output at one pixel reads,
measured on the model itself, and the plain model's blind spot that the gated one removes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from torch import Tensor

from armini import _validate, checks
from armini.models.pixelcnn import GatedPixelCNN, PixelCNN

MODEL_KINDS = ("plain", "gated")
KERNEL_SIZES = (3, 5, 7)  # the explorer's choices; the report takes any odd size up to 15
# what each pixel of the drawing is: its value in the image, its colour
LATER, UNREAD, SEEN, PIXEL = 0, 1, 2, 3
RECEPTIVE_FIELD_COLOURS = ("white", "#f4a582", "#4393c3", "black")


@dataclass
class ReceptiveField:
    """Which pixels the conditional of one pixel reads, in one PixelCNN."""

    model_kind: str  # "plain" or "gated"
    kernel_size: int
    first_kernel_size: int
    n_layers: int
    pixel: tuple[int, int]  # (row, column), 0-based
    seen: Tensor  # (H, W) 1 where output `pixel` depends on the input pixel, else 0
    earlier: Tensor  # (H, W) 1 before `pixel` in raster order: what it may read
    figure: Figure | None = None  # what `draw()` drew, for a static copy or a test

    @property
    def unread(self) -> Tensor:
        """(H, W) 1 for earlier pixels that no path reaches."""
        return self.earlier * (1 - self.seen)

    @property
    def n_earlier(self) -> int:
        return int(self.earlier.sum())

    @property
    def n_seen(self) -> int:
        return int((self.seen * self.earlier).sum())

    @property
    def n_unread(self) -> int:
        return int(self.unread.sum())

    @property
    def n_leaks(self) -> int:
        """Pixels read that are not earlier (the pixel itself or later): 0 if autoregressive."""
        return int((self.seen * (1 - self.earlier)).sum())

    @property
    def model(self) -> str:
        """The model in a few words, e.g. "plain PixelCNN: 3 masked layers, 3×3"."""
        k, k1, L = self.kernel_size, self.first_kernel_size, self.n_layers
        layers = f"{L} {'masked' if self.model_kind == 'plain' else 'gated'} layer" + "s" * (L > 1)
        first = f" (first {k1}×{k1})" if k1 != k else ""
        return f"{self.model_kind} PixelCNN: {layers}, {k}×{k}{first}"

    def __str__(self) -> str:
        H, W = self.seen.shape
        leaks = f"; it reads {self.n_leaks} pixels not before it: NOT autoregressive"
        return (
            f"{self.model}: the pixel at row {self.pixel[0] + 1}, column {self.pixel[1] + 1} "
            f"(from 1) of {H}×{W} reads {self.n_seen} of its {self.n_earlier} earlier pixels; "
            f"{self.n_unread} earlier pixels are not read (no path reaches them)"
            f"{leaks if self.n_leaks else ''}"
        )


@lru_cache(maxsize=32)
def _dependencies(model_kind: str, k: int, first: int, n_layers: int, size: int) -> Tensor:
    """`checks.dependency_matrix` (D, D) of the model, weights standard normal (seeded) so that
    no dependency hides behind a zero weight, and tol=0: a far pixel's effect through a chain of
    saturated gates can be far below the default 1e-6, and a masked path adds exactly 0. Checked
    against the masks' geometry for every setting of the explorer (10×10, up to 8 layers)."""
    model_class = PixelCNN if model_kind == "plain" else GatedPixelCNN
    model = model_class((size, size), None, 8, n_layers, kernel_size=k, first_kernel_size=first)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    return checks.dependency_matrix(model.eval(), n_examples=16, seed=0, tol=0.0)


def _odd(value, name: str) -> int:
    k = _validate.integer(value, name, 1, 15)
    if k % 2 == 0:
        raise ValueError(f"{name} must be odd (a kernel with a centre pixel), got {k}")
    return k


def _pixel(pixel, size: int) -> tuple[int, int]:
    expected = f"(row, column), two ints from 0 to {size - 1} (0-based)"
    if isinstance(pixel, str) or not hasattr(pixel, "__len__") or len(pixel) != 2:
        raise TypeError(f"pixel must be {expected}, got {pixel!r}")
    row, column = (_validate.integer(p, "pixel row and column") for p in pixel)
    if not (0 <= row < size and 0 <= column < size):
        raise ValueError(f"pixel {pixel!r} is outside the {size}×{size} image: give {expected}")
    return row, column


def receptive_field_report(
    model_kind: str = "plain",
    kernel_size: int = 3,
    n_layers: int = 3,
    pixel: tuple[int, int] = (5, 5),
    image_size: int = 10,
    first_kernel_size: int | None = None,
) -> ReceptiveField:
    """The receptive field of output `pixel` (row, column, 0-based) of a PixelCNN on an
    image_size × image_size binary image: `model_kind` "plain" (`PixelCNN`: a type-A layer, then
    n_layers − 1 type-B layers) or "gated" (`GatedPixelCNN`: n_layers gated layers), odd
    `kernel_size`, `first_kernel_size` (None: the same). Read off the model's exact dependency
    matrix, not from the masks' geometry."""
    _validate.choice(model_kind, "model_kind", MODEL_KINDS, "masked convolutions, or two stacks")
    kernel_size = _odd(kernel_size, "kernel_size")
    first = kernel_size if first_kernel_size is None else first_kernel_size
    first = _odd(first, "first_kernel_size")
    n_layers = _validate.integer(n_layers, "n_layers", 1, 16)
    size = _validate.integer(image_size, "image_size (pixels per side)", 2, 16)
    row, column = _pixel(pixel, size)
    dep = _dependencies(model_kind, kernel_size, first, n_layers, size)
    seen = dep[row * size + column].reshape(size, size).clone()  # flat raster index
    earlier = (torch.arange(size * size) < row * size + column).float().reshape(size, size)
    return ReceptiveField(model_kind, kernel_size, first, n_layers, (row, column), seen, earlier)


def draw_receptive_field(report: ReceptiveField, ax=None) -> Figure:
    """The image grid: the chosen pixel black, the earlier pixels it reads blue, the earlier
    pixels it does not read (the plain model's blind spot, or beyond the stack's reach) light
    red, later pixels white; rows and columns counted from 1. Draws into `ax` if given (no
    legend: the caller explains the colours), else a new figure with a legend. Returns the
    figure; the image's values are LATER, UNREAD, SEEN and PIXEL."""
    H, W = report.seen.shape
    standalone = ax is None
    fig, ax = plt.subplots(figsize=(3.4, 3.9)) if standalone else (ax.figure, ax)
    cmap = ListedColormap(RECEPTIVE_FIELD_COLOURS)
    classes = report.unread.long() * UNREAD  # (H, W) LATER, UNREAD, SEEN or PIXEL
    classes[report.seen.bool()] = SEEN
    classes[report.pixel] = PIXEL
    ax.imshow(classes.numpy(), cmap=cmap, vmin=-0.5, vmax=3.5, interpolation="nearest")
    ax.set_xticks(range(W), labels=range(1, W + 1), fontsize=6)
    ax.set_yticks(range(H), labels=range(1, H + 1), fontsize=6)
    ax.set_xticks([c - 0.5 for c in range(1, W)], minor=True)
    ax.set_yticks([r - 0.5 for r in range(1, H)], minor=True)
    ax.grid(which="minor", color="0.6", lw=0.5)
    ax.tick_params(which="both", length=0)
    ax.set_xlabel("column", fontsize=8), ax.set_ylabel("row", fontsize=8)
    ax.set_title(report.model, fontsize=9)
    entries = [
        (PIXEL, "the pixel"),
        (SEEN, f"read: {report.n_seen} of {report.n_earlier} earlier"),
        (UNREAD, f"earlier, not read: {report.n_unread}"),
        (LATER, "not before it" + (f" ({report.n_leaks} read!)" if report.n_leaks else "")),
    ]
    if standalone:  # in a caller's panel the caller's caption explains the colours
        handles = [Patch(facecolor=cmap(c), edgecolor="0.6", label=text) for c, text in entries]
        legend = dict(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
        ax.legend(handles=handles, fontsize=7, handlelength=1.2, **legend)
    if standalone:
        fig.tight_layout()
    return fig


class ReceptiveFieldExplorer(widgets.VBox):
    """Controls (model kind, kernel size, layers, pixel row and column) above an `Output`,
    set from a first report; `draw()` redraws. The image size and first kernel stay fixed."""

    def __init__(self, start: ReceptiveField, first_kernel_size: int | None = None):
        self.image_size, self.first_kernel_size = start.seen.shape[0], first_kernel_size
        self.kind_buttons = widgets.ToggleButtons(
            options=MODEL_KINDS, value=start.model_kind, description="model"
        )
        self.kernel_buttons = widgets.ToggleButtons(
            options=[(f"{k}×{k}", k) for k in KERNEL_SIZES],
            value=start.kernel_size,
            description="kernel",
        )
        self.layers_slider = widgets.IntSlider(start.n_layers, min=1, max=9, description="layers")
        (row, column), last = start.pixel, self.image_size  # the sliders count from 1
        self.row_slider = widgets.IntSlider(row + 1, min=1, max=last, description="row")
        self.column_slider = widgets.IntSlider(column + 1, min=1, max=last, description="column")
        self.output = widgets.Output()
        self.report: ReceptiveField | None = None
        controls = [self.kind_buttons, self.kernel_buttons, self.layers_slider]
        controls += [self.row_slider, self.column_slider]
        super().__init__([widgets.HBox(controls[:2]), widgets.HBox(controls[2:]), self.output])
        for control in controls:
            control.observe(self._redraw, names="value")
        self._redraw()

    def draw(self) -> ReceptiveField:
        """Measure the receptive field for the current controls; print the counts and display
        the picture. Returns what is shown."""
        pixel = (self.row_slider.value - 1, self.column_slider.value - 1)  # 0-based
        kind, k, L = self.kind_buttons.value, self.kernel_buttons.value, self.layers_slider.value
        report = receptive_field_report(kind, k, L, pixel, self.image_size, self.first_kernel_size)
        report.figure = draw_receptive_field(report)
        self.report = report
        print(report)
        display(report.figure)
        plt.close(report.figure)
        return report

    def _redraw(self, change: dict | None = None) -> None:
        with self.output:
            clear_output(wait=True)
            self.draw()


def receptive_field_explorer(
    model_kind: str = "plain",
    kernel_size: int = 3,
    n_layers: int = 3,
    pixel: tuple[int, int] = (5, 5),
    image_size: int = 10,
    first_kernel_size: int | None = None,
) -> ReceptiveFieldExplorer:
    """An explorer of PixelCNN receptive fields on an image_size × image_size image: pick the
    model ("plain" or "gated"), the kernel size (3, 5, 7), the layers (1 … 9) and a pixel (the
    row and column sliders count from 1); it
    draws the earlier pixels that pixel's conditional reads and the ones it cannot (the plain
    model's blind spot). `first_kernel_size`: the first layer's, fixed (None: the kernel size).
    Display it; call `.draw()` for a static copy of its output."""
    start = receptive_field_report(
        model_kind, kernel_size, n_layers, pixel, image_size, first_kernel_size
    )
    if start.kernel_size not in KERNEL_SIZES:
        raise ValueError(f"kernel_size must be 3, 5 or 7 in the explorer, got {kernel_size!r}")
    _validate.integer(n_layers, "n_layers", 1, 9)
    return ReceptiveFieldExplorer(start, first_kernel_size)

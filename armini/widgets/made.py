"""The MADE mask explorer: masks from degrees, and their product, the connectivity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.figure import Figure
from torch import Tensor

from armini import _validate
from armini.models.made import MADE
from armini.plot import matrix
from armini.widgets.chain_rule import make_order, variable

# -- the MADE mask explorer --------------------------------------------------------------------

MADE_ORDERINGS = ("natural", "reversed", "random")


def parse_hidden(text: str | Sequence[int], max_layers: int = 4, max_units: int = 64) -> list[int]:
    """Hidden layer sizes from text such as "8, 8" (or a list of ints), for the explorer."""
    try:
        parts = text.replace(",", " ").split() if isinstance(text, str) else list(text)
        sizes = [int(s) for s in parts]
    except (TypeError, ValueError):
        sizes = []
    if not 1 <= len(sizes) <= max_layers or not all(1 <= s <= max_units for s in sizes):
        raise ValueError(
            f"hidden must be 1 to {max_layers} layer sizes between 1 and {max_units}, "
            f"separated by commas, e.g. '8, 8'; got {text!r}"
        )
    return sizes


@dataclass
class MadeMasks:
    """What the MADE explorer shows for one setting of its controls."""

    order: list[int]  # generation order, 0-based variable indices
    degrees: list[Tensor]  # [inputs (D,), hidden_1 (h_1,), …, hidden_L (h_L,)]
    masks: list[Tensor]  # [M_W1 (h_1, D), …, M_WL, M_V (D, h_L)]: (units out, units in)
    connectivity: Tensor  # (D, D) number of paths from input j to output i, variable index
    figure: Figure | None = None  # what `draw()` drew, for a static copy or a test

    @property
    def n_dims(self) -> int:
        return len(self.order)

    @property
    def connectivity_in_order(self) -> Tensor:
        """The connectivity with rows and columns in the generation order."""
        return self.connectivity[self.order][:, self.order]

    @property
    def strictly_lower(self) -> bool:
        """Output i reads only inputs earlier in the order: what MADE's masks guarantee."""
        return not bool(torch.triu(self.connectivity_in_order).any())

    def __str__(self) -> str:
        D = self.n_dims
        lines = [
            "order: " + " → ".join(variable(i) for i in self.order),
            "input degrees m(x_d), the step of x_d in the order: "
            + ", ".join(f"{variable(d)}:{int(m)}" for d, m in enumerate(self.degrees[0])),
        ]
        for layer, m in enumerate(self.degrees[1:], start=1):
            counts = torch.bincount(m, minlength=D)[1:D].tolist()
            lines.append(
                f"hidden layer {layer}: {len(m)} units; units of degree 1…{D - 1}: {counts}"
            )
        kept = ", ".join(f"{int(m.sum())}/{m.numel()}" for m in self.masks)
        lines.append(f"weights each mask lets through: {kept}")
        check = "yes" if self.strictly_lower else "NO: not autoregressive"
        lines.append(f"connectivity strictly lower-triangular in the order: {check}")
        return "\n".join(lines)


def made_masks_report(
    n_dims: int = 6,
    hidden: str | Sequence[int] = "8, 8",
    ordering: str = "natural",
    seed: int = 0,
) -> MadeMasks:
    """Build `MADE(n_dims, hidden, order=…, seed=seed)` and collect its degrees, masks and
    connectivity. `ordering`: "natural" (x₁ first), "reversed" or "random" (a permutation drawn
    with `seed`; the seed also draws the hidden degrees)."""
    _validate.choice(ordering, "ordering", MADE_ORDERINGS)
    n_dims = _validate.integer(n_dims, "n_dims (the number of variables)", 2)
    order = make_order(n_dims, "raster" if ordering == "natural" else ordering, seed)
    model = MADE(n_dims, parse_hidden(hidden), order=order, seed=seed)
    return MadeMasks(order, model.degrees(0), model.masks(), model.connectivity())


def draw_made(
    degrees: Sequence[Tensor],
    masks: Sequence[Tensor],
    order: Sequence[int] | None = None,
    sort: bool = False,
):
    """MADE's masks and their product as heatmaps. Returns the figure.

    One panel per mask (rows: the units it feeds, columns: the units it reads; hidden units
    are labelled by their degree), then the connectivity M_V ⋯ M_W1 (paths from input x_j to
    output x_i; the count is written in each cell) in variable index and, unless the order is
    natural, in the generation order, where it must lie strictly below the dashed diagonal.
    `sort=True` lists every layer by degree (inputs and outputs: in the generation order),
    which turns each mask into a staircase.
    """
    D, L = len(degrees[0]), len(degrees) - 1
    order = list(range(D)) if order is None else [int(i) for i in order]
    natural = order == list(range(D))
    by_degree = [torch.argsort(m, stable=True) if sort else torch.arange(len(m)) for m in degrees]
    perms = [*by_degree, by_degree[0]]  # layers 0 … L+1; outputs are listed like inputs
    paths = masks[0]
    for mask in masks[1:]:
        paths = mask @ paths  # (D, D) path counts
    views = [("variable index = order" if natural else "variable index", list(range(D)))]
    views += [] if natural else [("generation order", order)]
    n_panels = len(masks) + len(views)
    fig, axes = plt.subplots(1, n_panels, figsize=(2.4 * n_panels, 2.9))
    unit = ["inputs", *[f"hidden {l} (degree)" for l in range(1, L + 1)], "outputs"]
    for k, (ax, mask) in enumerate(zip(axes, masks, strict=False)):  # mask k: layer k → k+1
        rows, cols = perms[k + 1], perms[k]
        matrix(mask[rows][:, cols], ax=ax, vmin=0, vmax=1.5)
        ax.set_aspect("auto")  # every panel the same size, whatever the layer widths
        for set_ticks, layer, perm in ((ax.set_xticks, k, cols), (ax.set_yticks, k + 1, rows)):
            if layer in (0, L + 1):
                labels = [variable(int(i)) for i in perm]
            else:
                labels = degrees[layer][perm].tolist() if len(perm) <= 16 else None
            set_ticks(range(len(perm)), labels=labels, fontsize=7) if labels else set_ticks([])
        ax.set(xlabel=unit[k], ylabel=unit[k + 1])
        ax.set_title("mask $M^V$" if k == L else f"mask $M^{{W_{k + 1}}}$", fontsize=10)
    top = max(1, int(paths.max()))
    for ax, (name, idx) in zip(axes[len(masks) :], views, strict=True):
        matrix(paths[idx][:, idx], ax=ax, cmap="Greens", vmin=0, vmax=1.4 * top)
        labels = [variable(i) for i in idx]
        ax.set_xticks(range(D), labels=labels, fontsize=7, rotation=90 if D > 6 else 0)
        ax.set_yticks(range(D), labels=labels, fontsize=7)
        ax.set(xlabel="input", ylabel="output")
        ax.set_title(f"connectivity\n({name})", fontsize=10)
        if idx == order:  # the connectivity must lie strictly below this line
            ax.plot([-0.5, D - 0.5], [-0.5, D - 0.5], color="tab:red", lw=1, ls="--")
        for i, j in torch.nonzero(paths[idx][:, idx]).tolist() if top < 100 else ():
            ax.text(j, i, int(paths[idx[i], idx[j]]), ha="center", va="center", fontsize=6)
    fig.tight_layout()
    return fig


class MadeExplorer(widgets.VBox):
    """Controls (D, hidden sizes, ordering, seed, sort) above an `Output`; `draw()` redraws."""

    def __init__(
        self, n_dims: int = 6, hidden: str = "8, 8", ordering: str = "natural", seed: int = 0
    ):
        self.d_slider = widgets.IntSlider(n_dims, min=2, max=10, description="D")
        self.hidden_box = widgets.Text(
            hidden, description="hidden", placeholder="e.g. 8, 8", continuous_update=False
        )
        self.ordering_menu = widgets.Dropdown(
            options=MADE_ORDERINGS, value=ordering, description="ordering"
        )
        self.seed_box = widgets.BoundedIntText(seed, min=0, max=10**6, description="seed")
        self.sort_box = widgets.Checkbox(False, description="sort units by degree")
        self.output = widgets.Output()
        self.report: MadeMasks | None = None
        controls = [
            self.d_slider,
            self.hidden_box,
            self.ordering_menu,
            self.seed_box,
            self.sort_box,
        ]
        super().__init__([widgets.HBox(controls[:2]), widgets.HBox(controls[2:]), self.output])
        for control in controls:
            control.observe(self._redraw, names="value")
        self._redraw()

    def draw(self) -> MadeMasks:
        """Build the MADE for the current controls; print its degrees and the check, display
        the masks and the connectivity. Returns what is shown."""
        report = made_masks_report(
            self.d_slider.value,
            self.hidden_box.value,
            self.ordering_menu.value,
            self.seed_box.value,
        )
        report.figure = draw_made(report.degrees, report.masks, report.order, self.sort_box.value)
        self.report = report
        print(report)
        display(report.figure)
        plt.close(report.figure)
        return report

    def _redraw(self, change: dict | None = None) -> None:
        with self.output:
            clear_output(wait=True)
            try:
                self.draw()
            except ValueError as error:  # e.g. hidden sizes that do not parse
                print(error)


def made_explorer(
    n_dims: int = 6, hidden: str = "8, 8", ordering: str = "natural", seed: int = 0
) -> MadeExplorer:
    """An explorer of MADE's masks: for D variables (2 … 10), hidden layer sizes such as
    "8, 8", an ordering ("natural", "reversed", "random") and a seed (the random ordering and
    the hidden degrees), it draws every mask and their product, the connectivity, which is
    strictly lower-triangular in the generation order. Display it; call `.draw()` for a static
    copy of its output."""
    n_dims = _validate.integer(n_dims, "n_dims", 2, 10)
    _validate.choice(ordering, "ordering", MADE_ORDERINGS)
    seed = _validate.integer(seed, "seed", 0, 10**6)
    text = ", ".join(str(s) for s in parse_hidden(hidden))
    return MadeExplorer(n_dims, text, ordering, seed)

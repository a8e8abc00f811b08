"""Interactive explorers for the notebooks, built on `armini.plot` and ipywidgets.

Every explorer is a widget whose redraw is a plain method, `draw()`: moving a control calls it
inside the widget's `Output`, and a notebook (or a test) can call it directly, so that the
picture also exists where no widget frontend is running (a stored notebook, CI).

- `chain_rule_explorer(images)`: n binary pixels of real digits, an order of the variables;
  shows the parameter counts (full table, chain-rule tables, logistic conditionals), the
  factorisation in that order, and log p(x) of one example from the joint table and as the
  sum of the chain-rule log-conditionals.
- `sampling_stepper(model)`: ancestral sampling of a binary image model one pixel at a
  time, with p(x_i = 1 | x_<i) of each pixel drawn so far and of the next one.
- `made_explorer()`: MADE's masks for D variables, hidden layer sizes, an ordering and a seed;
  draws every mask and their product, the connectivity, strictly lower-triangular in the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import Tensor

from armini.heads import Bernoulli
from armini.models.base import AutoregressiveModel
from armini.models.made import MADE
from armini.models.tabular import ChainRuleTable, JointTable
from armini.plot import image_grid, matrix

# the middle 2×4 block of an 8×8 digit, column by column: the first n make a compact patch
CENTRE_PIXELS = (26, 34, 27, 35, 28, 36, 29, 37)
ORDERS = ("raster", "reversed", "random")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def variable(i: int) -> str:
    """Name of variable i (0-based) in the notes' notation: x₁, x₂, …"""
    return f"x{str(i + 1).translate(_SUB)}"


def make_order(n: int, order: str | Sequence[int] = "raster", seed: int = 0) -> list[int]:
    """The generation order as a list: "raster" (0, 1, …, n−1), "reversed", "random" (a
    permutation drawn with `seed`), or an explicit permutation of range(n)."""
    if not isinstance(order, str):
        order = [int(i) for i in order]
        if sorted(order) != list(range(n)):
            raise ValueError(f"order must be a permutation of range({n}), got {order}")
        return order
    if order == "raster":
        return list(range(n))
    if order == "reversed":
        return list(range(n - 1, -1, -1))
    if order == "random":
        return torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    raise ValueError(f"order must be one of {ORDERS} or a permutation of range({n}), got {order!r}")


def factorisation(order: Sequence[int]) -> str:
    """The chain rule written out in `order`: 'p(x) = p(x₂) p(x₁ | x₂) …'."""
    terms = []
    for step, i in enumerate(order):
        given = ", ".join(variable(j) for j in order[:step])
        terms.append(f"p({variable(i)} | {given})" if given else f"p({variable(i)})")
    return "p(x) = " + " ".join(terms)


@dataclass
class ChainRuleReport:
    """What the chain-rule explorer shows for one setting of its controls."""

    pixels: list[int]  # flat positions in the image of x₁, …, xₙ
    order: list[int]  # generation order, 0-based variable indices
    index: int  # which image the example is
    example: Tensor  # (n,) the example's pixel values, x₁ … xₙ
    log_joint: float  # log p(x) read from the joint table
    log_conditionals: list[float]  # log p(x_order[s] | earlier ones), in generation order

    @property
    def n(self) -> int:
        return len(self.pixels)

    @property
    def table_parameters(self) -> int:
        """A full joint table: 2^n − 1 free numbers."""
        return 2**self.n - 1

    @property
    def conditional_parameters(self) -> list[int]:
        """Chain-rule tables: conditional s (0-based) needs 2^s numbers."""
        return [2**s for s in range(self.n)]

    @property
    def logistic_parameters(self) -> int:
        """Logistic conditionals (FVSBN): conditional i needs i numbers, n(n+1)/2 in all."""
        return self.n * (self.n + 1) // 2

    @property
    def log_chain(self) -> float:
        return sum(self.log_conditionals)

    def __str__(self) -> str:
        n = self.n
        counts = " + ".join(str(c) for c in self.conditional_parameters)
        lines = [
            "order: " + " → ".join(variable(i) for i in self.order),
            factorisation(self.order),
            f"parameters: joint table 2^{n} − 1 = {self.table_parameters}; chain rule "
            f"{counts} = {sum(self.conditional_parameters)}; logistic (FVSBN) "
            f"{n}·{n + 1}/2 = {self.logistic_parameters}",
            f"example {self.index}: x = (" + ", ".join(str(int(v)) for v in self.example) + "):",
        ]
        value = {j: f"{variable(j)}={int(self.example[j])}" for j in self.order}
        for step, (i, lp) in enumerate(zip(self.order, self.log_conditionals, strict=True)):
            given = ", ".join(value[j] for j in self.order[:step])
            term = f"log p({value[i]}" + (f" | {given})" if given else ")")
            lines.append(f"  {term:<54} = {lp:7.3f}")
        lines.append(f"  {'sum of the log-conditionals':<54} = {self.log_chain:7.3f}")
        lines.append(f"  {'log p(x) from the joint table':<54} = {self.log_joint:7.3f}")
        return "\n".join(lines)


def chain_rule_report(
    images: Tensor,
    n: int = 4,
    order: str | Sequence[int] = "raster",
    seed: int = 0,
    example: int = 0,
    pixels: Sequence[int] = CENTRE_PIXELS,
    alpha: float = 1.0,
) -> ChainRuleReport:
    """Fit a `JointTable` to n pixels of `images: (N, 64)` binary, factorise it with
    `ChainRuleTable.from_joint` in `order`, and evaluate both on `images[example]`."""
    if not 1 <= n <= len(pixels):
        raise ValueError(f"n must be between 1 and {len(pixels)} (the number of pixels), got {n}")
    chosen = sorted(int(p) for p in pixels[:n])  # x₁ … xₙ in raster order of the image
    x = images[:, chosen].cpu()
    joint = JointTable.from_data(x, alpha=alpha)
    order = make_order(n, order, seed)
    model = ChainRuleTable.from_joint(joint, order)
    xe = x[example : example + 1]
    with torch.no_grad():
        per_variable = model.head.log_prob(model(xe), xe)[0]  # (n,) log p(x_i | earlier)
    return ChainRuleReport(
        pixels=chosen,
        order=order,
        index=example,
        example=xe[0],
        log_joint=float(joint.log_prob(xe)[0]),
        log_conditionals=[float(per_variable[i]) for i in order],
    )


def draw_chain_rule(report: ChainRuleReport, image: Tensor | None = None):
    """Left: the example digit, its n pixels named and numbered by generation step. Right: the
    parameter counts (the chain-rule bar stacked by conditional). Returns the figure."""
    fig, (ax_img, ax_bar) = plt.subplots(1, 2, figsize=(8, 3.4), width_ratios=(1, 1.6))
    image_grid(torch.zeros(64) if image is None else image, ax=ax_img, vmax=3)
    for step, i in enumerate(report.order):
        r, c = divmod(report.pixels[i], 8)
        ax_img.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="tab:red", lw=1.5))
        ax_img.text(c, r - 0.2, f"$x_{{{i + 1}}}$", ha="center", va="center", fontsize=8)
        ax_img.text(c, r + 0.2, str(step + 1), ha="center", va="center", color="tab:red")
    ax_img.set_title("each pixel's variable and\ngeneration step (red)", fontsize=9)
    bottom = 0
    for s, count in enumerate(report.conditional_parameters):
        ax_bar.bar(1, count, bottom=bottom, color=plt.cm.Blues(0.3 + 0.6 * s / report.n), ec="w")
        bottom += count
    ax_bar.bar([0, 2], [report.table_parameters, report.logistic_parameters], color="0.6")
    for k, v in enumerate([report.table_parameters, bottom, report.logistic_parameters]):
        ax_bar.text(k, v, str(v), ha="center", va="bottom")
    labels = [
        "joint table\n$2^n - 1$",
        "chain-rule tables\n$\\sum_i 2^{i-1}$",
        "logistic (FVSBN)\n$n(n+1)/2$",
    ]
    ax_bar.set_xticks([0, 1, 2], labels=labels)
    ax_bar.set_ylabel("free parameters")
    ax_bar.margins(y=0.12)
    ax_bar.set_title(f"n = {report.n} binary pixels", fontsize=9)
    fig.tight_layout()
    return fig


class ChainRuleExplorer(widgets.VBox):
    """Controls (n, order, seed, example) above an `Output`; `draw()` is the redraw."""

    def __init__(self, images: Tensor, n: int = 4, order: str = "raster", seed: int = 0):
        self.images = images.cpu()
        self.n_slider = widgets.IntSlider(n, min=2, max=len(CENTRE_PIXELS), description="n")
        self.order_menu = widgets.Dropdown(options=ORDERS, value=order, description="order")
        self.seed_box = widgets.BoundedIntText(seed, min=0, max=10**6, description="seed")
        self.example_box = widgets.BoundedIntText(
            0, min=0, max=len(images) - 1, description="example"
        )
        self.output = widgets.Output()
        self.report: ChainRuleReport | None = None
        controls = [self.n_slider, self.order_menu, self.seed_box, self.example_box]
        super().__init__([widgets.HBox(controls[:2]), widgets.HBox(controls[2:]), self.output])
        for control in controls:
            control.observe(self._redraw, names="value")
        self._redraw()

    def draw(self) -> ChainRuleReport:
        """Compute and show (print the text, display the figure) for the current controls."""
        self.seed_box.disabled = self.order_menu.value != "random"
        self.report = chain_rule_report(
            self.images,
            n=self.n_slider.value,
            order=self.order_menu.value,
            seed=self.seed_box.value,
            example=self.example_box.value,
        )
        print(self.report)
        fig = draw_chain_rule(self.report, self.images[self.example_box.value])
        display(fig)
        plt.close(fig)
        return self.report

    def _redraw(self, change: dict | None = None) -> None:
        with self.output:
            clear_output(wait=True)
            self.draw()


def chain_rule_explorer(
    images: Tensor, n: int = 4, order: str = "raster", seed: int = 0
) -> ChainRuleExplorer:
    """An explorer of the chain rule on n pixels of `images: (N, 64)` binary digits, e.g.
    `armini.data.digits().train`. Display it; call `.draw()` for a static copy of its output."""
    if images.dim() != 2 or images.shape[1] != 64:
        raise ValueError(f"images must be (N, 64) binary 8×8 digits, got {tuple(images.shape)}")
    return ChainRuleExplorer(images, n=n, order=order, seed=seed)


# -- ancestral sampling, one pixel at a time --------------------------------------------------


@torch.no_grad()
def sample_trajectory(model: AutoregressiveModel, seed: int = 0) -> tuple[Tensor, Tensor]:
    """One ancestral sample of a binary model, drawn variable by variable in `model.order`.

    At step s the next variable i = order[s] gets p_i = p(x_i = 1 | x_<i) from a forward pass
    on the values drawn so far, and x_i = 1 if u_i < p_i, with uniforms u drawn from `seed`:
    the same seed gives the same sample. Returns `(x, probs)`, each (D,) on the CPU, with
    probs[i] = p_i, the probability x_i was drawn with.
    """
    D = model.n_dims
    u = torch.rand(D, generator=torch.Generator().manual_seed(seed))
    x = torch.zeros(1, *model.shape, device=model.device)
    flat = x.view(1, D)
    probs = torch.zeros(D)
    for i in model.order.tolist():
        logit = model(x).reshape(D, -1)[i, 0]
        probs[i] = torch.sigmoid(logit).item()
        flat[0, i] = float(u[i] < probs[i])
    return flat[0].cpu(), probs


@dataclass
class SamplingStep:
    """What the sampling stepper shows after `step` of the D steps of ancestral sampling."""

    step: int  # how many variables are sampled so far, 0 … D
    order: list[int]  # generation order, flat pixel indices
    image: Tensor  # (D,) the values sampled so far; NaN where not yet sampled
    probs: Tensor  # (D,) p(x_i = 1 | x_<i) of the sampled pixels and of the next one; else NaN
    image_shape: tuple[int, int]
    seed: int

    @property
    def n_dims(self) -> int:
        return len(self.order)

    @property
    def next_pixel(self) -> int | None:
        """Flat index of the variable sampled next (None when the image is complete)."""
        return self.order[self.step] if self.step < self.n_dims else None

    @property
    def next_prob(self) -> float | None:
        """p(x_i = 1 | x_<i) of the next variable, given the pixels sampled so far."""
        i = self.next_pixel
        return None if i is None else float(self.probs[i])

    def __str__(self) -> str:
        head = f"seed {self.seed}, step {self.step} of {self.n_dims}: "
        if self.next_pixel is None:
            return head + "every pixel is sampled"
        r, c = divmod(self.next_pixel, self.image_shape[1])
        name = variable(self.next_pixel)
        return (
            head + f"next is {name}, in row {r + 1}, column {c + 1}; "
            f"p({name} = 1 | the {self.step} pixels drawn before it) = {self.next_prob:.3f}"
        )


def draw_sampling_step(report: SamplingStep):
    """Left: the pixels sampled so far (unknown ones light red), the next one outlined. Right:
    p(x_i = 1 | x_<i) of every sampled pixel and of the next one. Returns the figure."""
    H, W = report.image_shape
    fig, (ax_img, ax_p) = plt.subplots(1, 2, figsize=(6.4, 3.2))
    image_grid(report.image, (H, W), ax=ax_img, vmax=1)
    ax_img.set_title(f"sampled: {report.step} of {report.n_dims} pixels", fontsize=10)
    p_im = ax_p.imshow(report.probs.reshape(H, W).numpy(), cmap="RdBu_r", vmin=0, vmax=1)
    ax_p.set_xticks([])
    ax_p.set_yticks([])
    ax_p.set_title("$p(x_i = 1 \\mid x_{<i})$ at each pixel's step", fontsize=10)
    fig.colorbar(p_im, ax=ax_p, fraction=0.046, pad=0.04)
    title = f"step {report.step} of {report.n_dims}: "
    if report.next_pixel is None:
        title += "the sample is complete"
    else:
        r, c = divmod(report.next_pixel, W)
        for ax in (ax_img, ax_p):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="gold", lw=2.5))
        ink = "w" if abs(report.next_prob - 0.5) > 0.3 else "k"  # readable on dark and light
        ax_p.text(c, r, f"{report.next_prob:.2f}", ha="center", va="center", fontsize=7, color=ink)
        title += f"next {variable(report.next_pixel)} ~ Bernoulli({report.next_prob:.2f}), in gold"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


class SamplingStepper(widgets.VBox):
    """Controls (next pixel, reset, new seed, step, seed) above an `Output`; `draw()` is the
    redraw."""

    def __init__(
        self,
        model: AutoregressiveModel,
        image_shape: tuple[int, int],
        seed: int = 0,
        step: int = 0,
    ):
        self.model = model
        self.image_shape = image_shape
        D = model.n_dims
        self.next_button = widgets.Button(description="next pixel", icon="step-forward")
        self.reset_button = widgets.Button(description="reset", icon="undo")
        self.seed_button = widgets.Button(description="new seed", icon="random")
        self.step_slider = widgets.IntSlider(step, min=0, max=D, description="step")
        self.seed_box = widgets.BoundedIntText(seed, min=0, max=10**6, description="seed")
        self.output = widgets.Output()
        self.report: SamplingStep | None = None
        self._quiet = False
        self.x, self.probs = sample_trajectory(model, seed)
        buttons = [self.next_button, self.reset_button, self.seed_button]
        super().__init__(
            [widgets.HBox(buttons), widgets.HBox([self.step_slider, self.seed_box]), self.output]
        )
        self.next_button.on_click(self._next)
        self.reset_button.on_click(self._reset)
        self.seed_button.on_click(self._new_seed)
        self.step_slider.observe(self._redraw, names="value")
        self.seed_box.observe(self._on_seed, names="value")
        self._redraw()

    def state(self) -> SamplingStep:
        """What the current controls show, without drawing it."""
        k, order = self.step_slider.value, self.model.order.tolist()
        image = torch.full_like(self.x, float("nan"))
        probs = torch.full_like(self.probs, float("nan"))
        done, shown = order[:k], order[: k + 1]  # the next pixel's p is known already
        image[done] = self.x[done]
        probs[shown] = self.probs[shown]
        return SamplingStep(k, order, image, probs, self.image_shape, self.seed_box.value)

    def draw(self) -> SamplingStep:
        """Show (print the text, display the figure) the current step; return what is shown."""
        self.report = self.state()
        print(self.report)
        fig = draw_sampling_step(self.report)
        display(fig)
        plt.close(fig)
        return self.report

    def _redraw(self, change: dict | None = None) -> None:
        if self._quiet:
            return
        with self.output:
            clear_output(wait=True)
            self.draw()

    def _on_seed(self, change: dict | None = None) -> None:
        self.x, self.probs = sample_trajectory(self.model, self.seed_box.value)
        self._redraw()

    def _next(self, button=None) -> None:
        self.step_slider.value = min(self.step_slider.value + 1, self.step_slider.max)

    def _reset(self, button=None) -> None:
        self.step_slider.value = 0

    def _new_seed(self, button=None) -> None:
        self._quiet = True  # one redraw for both changes
        self.seed_box.value = self.seed_box.value + 1
        self.step_slider.value = 0
        self._quiet = False
        self._redraw()


def sampling_stepper(
    model: AutoregressiveModel, image_shape: tuple[int, int] = (8, 8), seed: int = 0, step: int = 0
) -> SamplingStepper:
    """Step through ancestral sampling of a binary image model one pixel at a time.

    Shows the pixels drawn so far and, as a heatmap, p(x_i = 1 | x_<i) of each one at the
    moment it was drawn and of the next pixel (outlined). Later pixels have no such number
    yet: their conditionals depend on pixels not drawn. "next pixel" takes one step (one
    forward pass), "reset" goes back to step 0, "new seed" starts another sample. Display it;
    call `.draw()` for a static copy of its output.

    Args:
        model: an `AutoregressiveModel` with a `Bernoulli` head over H·W pixels, e.g. a
            trained `NADE(64)`.
        image_shape: (H, W) of one image.
        seed: seed of the uniforms that decide each pixel; the same seed, the same sample.
        step: how many pixels are drawn at the start, 0 … H·W.
    """
    if not isinstance(model, AutoregressiveModel):
        raise TypeError(f"model must be an armini AutoregressiveModel, got {type(model).__name__}")
    if not isinstance(model.head, Bernoulli):
        raise ValueError(
            f"sampling_stepper shows p(x_i = 1 | x_<i), so it needs a binary model with a "
            f"Bernoulli head; this {type(model).__name__} has {model.head!r}. Draw samples of "
            "K-valued or real-valued models with model.sample(n)."
        )
    H, W = image_shape
    if H * W != model.n_dims:
        raise ValueError(
            f"image_shape {tuple(image_shape)} holds {H * W} pixels, but the model has "
            f"{model.n_dims} variables; pass the model's image shape, e.g. (8, 8) for D = 64"
        )
    if not isinstance(step, int) or not 0 <= step <= model.n_dims:
        raise ValueError(f"step must be an int from 0 to {model.n_dims}, got {step!r}")
    return SamplingStepper(model, (H, W), seed=seed, step=step)


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
    if ordering not in MADE_ORDERINGS:
        raise ValueError(f"ordering must be one of {MADE_ORDERINGS}, got {ordering!r}")
    if not isinstance(n_dims, int) or n_dims < 2:
        raise ValueError(f"n_dims must be an int ≥ 2 (the number of variables), got {n_dims!r}")
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
    if not isinstance(n_dims, int) or not 2 <= n_dims <= 10:
        raise ValueError(f"n_dims must be an int from 2 to 10, got {n_dims!r}")
    if ordering not in MADE_ORDERINGS:
        raise ValueError(f"ordering must be one of {MADE_ORDERINGS}, got {ordering!r}")
    text = ", ".join(str(s) for s in parse_hidden(hidden))
    return MadeExplorer(n_dims, text, ordering, seed)

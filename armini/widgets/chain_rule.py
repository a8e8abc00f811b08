"""The chain-rule explorer: counts and factorisation of n real pixels in any order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.patches import Rectangle
from torch import Tensor

from armini import _validate
from armini.heads import Bernoulli
from armini.models.tabular import ChainRuleTable, JointTable
from armini.plot import image_grid

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
    n = _validate.integer(n, "n", 1)
    if not isinstance(order, str):
        return _validate.permutation(order, n)
    seed = _validate.integer(seed, "seed", 0)
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
    images = _check_digits(images)
    n = _validate.integer(n, "n (the number of pixels)", 1, len(pixels))
    example = _validate.integer(example, "example (an image index)", 0, len(images) - 1)
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
    images = _check_digits(images)
    n = _validate.integer(n, "n (the number of pixels)", 2, len(CENTRE_PIXELS))
    _validate.choice(order, "order", ORDERS)
    seed = _validate.integer(seed, "seed", 0, 10**6)
    return ChainRuleExplorer(images, n=n, order=order, seed=seed)


def _check_digits(images: Tensor) -> Tensor:
    """`images` must be (N, 64) binary 8×8 digits, N ≥ 1."""
    images = _validate.tensor(images, "images", "(N, 64) of binary 8×8 digits")
    if images.dim() != 2 or images.shape[1] != 64 or len(images) == 0:
        raise ValueError(f"images must be (N, 64) binary 8×8 digits, got {tuple(images.shape)}")
    Bernoulli().validate(images, "images")
    return images

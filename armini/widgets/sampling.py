"""The sampling stepper: ancestral sampling of a binary image model, one pixel at a time."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.patches import Rectangle
from torch import Tensor

from armini import _validate
from armini.heads import Bernoulli
from armini.models.base import AutoregressiveModel, evaluating
from armini.plot import _image_shape, image_grid
from armini.widgets.chain_rule import variable

# -- ancestral sampling, one pixel at a time --------------------------------------------------


def sample_trajectory(model: AutoregressiveModel, seed: int = 0) -> tuple[Tensor, Tensor]:
    """One ancestral sample of a binary model, `model.sample(1, generator=…)` seeded by `seed`
    (the same seed, the same sample), and the probability each pixel was drawn with.

    The probabilities come from one teacher-forced pass on the finished sample: output i of an
    autoregressive model reads only x_<i, the pixels drawn before x_i, so it is exactly the
    p_i = p(x_i = 1 | x_<i) that x_i was drawn from. Returns `(x, probs)`, each (D,) on the CPU.
    """
    seed = _validate.integer(seed, "seed", 0)
    generator = torch.Generator(device=model.device).manual_seed(seed)
    with evaluating(model):
        x = model.sample(1, generator=generator)
        probs = torch.sigmoid(model(x).reshape(model.n_dims, -1)[:, 0])
    return x.reshape(-1).float().cpu(), probs.float().cpu()


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
    yet: their conditionals depend on pixels not drawn. "next pixel" shows one more step,
    "reset" goes back to step 0, "new seed" starts another sample. The sample is drawn once by
    `model.sample` (see `sample_trajectory`); the steps replay it. Display it; call `.draw()`
    for a static copy of its output.

    Args:
        model: an `AutoregressiveModel` with a `Bernoulli` head over H·W pixels, e.g. a
            trained `NADE(64)`.
        image_shape: (H, W) of one image.
        seed: seed of the generator `model.sample` draws with; the same seed, the same sample.
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
    H, W = _image_shape(image_shape)
    if H * W != model.n_dims:
        raise ValueError(
            f"image_shape {tuple(image_shape)} holds {H * W} pixels, but the model has "
            f"{model.n_dims} variables; pass the model's image shape, e.g. (8, 8) for D = 64"
        )
    step = _validate.integer(step, "step", 0, model.n_dims)
    seed = _validate.integer(seed, "seed", 0, 10**6)
    return SamplingStepper(model, (H, W), seed=seed, step=step)

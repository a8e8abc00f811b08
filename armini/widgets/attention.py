"""The attention explorer: for a name and a position, how much each head of a causal
Transformer attends to each earlier position."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from torch import Tensor

from armini import _validate
from armini.data import Vocabulary
from armini.models.attention import CausalTransformer
from armini.models.base import evaluating


@dataclass
class AttentionReport:
    """The attention weights of one layer at one position of one name."""

    name: str
    position: int  # 1-based: the position whose next character is predicted, 1 … len(name) + 1
    layer: int  # 1-based
    weights: Tensor  # (H, position): row h, column s = how much head h reads position s
    reads: list[str]  # what position s holds: 'start' for s = 1, else the character before it

    @property
    def target(self) -> str:
        """The character this position predicts ('end' after the last letter)."""
        return self.name[self.position - 1] if self.position <= len(self.name) else "end"

    def __str__(self) -> str:
        lines = [
            f"{self.name!r}, position {self.position} (predicts {self.target!r}), layer "
            f"{self.layer}: each head's weights on the positions it may read"
        ]
        for h, row in enumerate(self.weights.tolist()):
            top = sorted(range(len(row)), key=lambda s: -row[s])[:3]
            most = ", ".join(f"{self.reads[s]!r} {row[s]:.2f}" for s in top)
            lines.append(f"  head {h + 1}: most on {most}")
        return "\n".join(lines)


@torch.no_grad()
def attention_report(
    model: CausalTransformer, vocab: Vocabulary, name: str, position: int = 1, layer: int = 1
) -> AttentionReport:
    """The attention of `model` (a `CausalTransformer` over `vocab`'s names, natural order) at
    `position` of `name` (1-based, up to len(name) + 1: the end of the name), in `layer`."""
    if not isinstance(model, CausalTransformer):
        raise TypeError(f"model must be an armini CausalTransformer, got {type(model).__name__}")
    if not torch.equal(model.order.cpu(), torch.arange(model.n_dims)):
        raise ValueError(
            "the attention explorer reads names left to right: use a model in the natural order"
        )
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string of letters, got {name!r}")
    name = name.strip().lower()
    codes = vocab.encode([name], model.n_dims).to(model.device)  # raises on unknown letters
    position = _validate.integer(position, "position", 1, len(name) + 1)
    layer = _validate.integer(layer, "layer", 1, model.n_layers)
    with evaluating(model):
        weights = model.attention(codes)[layer - 1, 0, :, position - 1, :position].cpu()
    reads = ["start", *name][:position]
    return AttentionReport(name, position, layer, weights, reads)


def draw_attention(report: AttentionReport):
    """One bar chart per head: its weights on the positions the current one may read."""
    H = len(report.weights)
    fig, axes = plt.subplots(1, H, figsize=(min(12, 3 * H), 2.6), sharey=True, squeeze=False)
    for h, ax in enumerate(axes[0]):
        ax.bar(range(len(report.reads)), report.weights[h].numpy(), color="tab:purple")
        ax.set_xticks(range(len(report.reads)), labels=report.reads, fontsize=8)
        ax.set_title(f"head {h + 1}", fontsize=10)
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("attention weight")
    fig.suptitle(
        f"“{report.name}”: position {report.position}, which predicts {report.target!r}; "
        f"layer {report.layer}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


class AttentionExplorer(widgets.VBox):
    """Controls (name, position, layer) above an `Output`; `draw()` is the redraw."""

    def __init__(self, model, vocab, name: str, position: int = 1, layer: int = 1):
        self.model, self.vocab = model, vocab
        self.name_box = widgets.Text(name, description="name", continuous_update=False)
        self.position_slider = widgets.IntSlider(
            position, min=1, max=len(name) + 1, description="position"
        )
        self.layer_menu = widgets.Dropdown(
            options=list(range(1, model.n_layers + 1)), value=layer, description="layer"
        )
        self.output = widgets.Output()
        self.report: AttentionReport | None = None
        controls = [self.name_box, self.position_slider, self.layer_menu]
        super().__init__([widgets.HBox(controls), self.output])
        self.name_box.observe(self._on_name, names="value")
        self.position_slider.observe(self._redraw, names="value")
        self.layer_menu.observe(self._redraw, names="value")
        self._redraw()

    def draw(self) -> AttentionReport:
        """Compute and show (print the text, display the figure) the current controls."""
        self.report = attention_report(
            self.model,
            self.vocab,
            self.name_box.value,
            self.position_slider.value,
            self.layer_menu.value,
        )
        print(self.report)
        fig = draw_attention(self.report)
        display(fig)
        plt.close(fig)
        return self.report

    def _on_name(self, change: dict | None = None) -> None:
        length = len(self.name_box.value.strip())
        if 0 < length < self.model.n_dims:  # a new name: the slider covers its positions
            self.position_slider.max = length + 1
        self._redraw()

    def _redraw(self, change: dict | None = None) -> None:
        with self.output:
            clear_output(wait=True)
            try:
                self.draw()
            except ValueError as error:  # a letter outside the vocabulary, an empty name
                print(error)


def attention_explorer(
    model: CausalTransformer, vocab: Vocabulary, name: str = "maria", position: int = 1
) -> AttentionExplorer:
    """Type a name, pick a position and a layer: one bar chart per head of a `CausalTransformer`
    trained on `vocab`'s names, showing how much it attends to each position it may read (the
    start token and the letters before the one predicted). Display it; call `.draw()` for a
    static copy of its output."""
    attention_report(model, vocab, name, position)  # check the arguments at the call
    return AttentionExplorer(model, vocab, name.strip().lower(), position)

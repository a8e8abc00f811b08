"""The next-character explorer: p(next character | prefix) of a character model, and sampled
completions of the prefix at a temperature."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from torch import Tensor

from armini import _validate
from armini.data import Vocabulary
from armini.heads import Categorical
from armini.models.base import AutoregressiveModel, evaluating


@dataclass
class NextCharacter:
    """What the explorer shows for one prefix, temperature and seed."""

    prefix: str
    temperature: float
    probs: Tensor  # (K,) p(next symbol | prefix) at the temperature, in vocabulary order
    symbols: list[str]  # the vocabulary, '.' (the end of the name) first
    completions: list[str]  # names sampled from the prefix on
    seed: int

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely next symbols and their probabilities."""
        p, i = torch.topk(self.probs, min(k, len(self.probs)))
        return [(self.symbols[j], float(q)) for q, j in zip(p.tolist(), i.tolist(), strict=True)]

    def __str__(self) -> str:
        shown = self.prefix or "(empty: the first letter)"
        top = ", ".join(f"{'end' if c == '.' else c!r} {p:.2f}" for c, p in self.top())
        return (
            f"prefix {shown}, temperature {self.temperature:.2f}\n"
            f"most likely next: {top}\n"
            f"sampled names (seed {self.seed}): {', '.join(self.completions)}"
        )


@torch.no_grad()
def next_character(
    model: AutoregressiveModel,
    vocab: Vocabulary,
    prefix: str = "",
    temperature: float = 1.0,
    n_completions: int = 8,
    seed: int = 0,
) -> NextCharacter:
    """p(x_{t+1} | prefix) of a character model over names, at `temperature`, and
    `n_completions` names sampled with the prefix given (`model.sample(given=…)`)."""
    if not isinstance(model, AutoregressiveModel) or not isinstance(model.head, Categorical):
        raise TypeError("model must be an armini AutoregressiveModel with a Categorical head")
    if model.head.n_values != len(vocab):
        raise ValueError(
            f"the model has {model.head.n_values} values per variable, the vocabulary "
            f"{len(vocab)} symbols: train the model on this vocabulary's names"
        )
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string of letters, got {type(prefix).__name__}")
    prefix = prefix.strip().lower()
    if len(prefix) >= model.n_dims:
        raise ValueError(f"prefix must have at most {model.n_dims - 1} letters, got {prefix!r}")
    temperature = _validate.real(temperature, "temperature", above=0)
    n_completions = _validate.integer(n_completions, "n_completions", 1, 100)
    seed = _validate.integer(seed, "seed", 0)
    codes = vocab.encode([prefix], model.n_dims).to(model.device)  # raises on unknown letters
    with evaluating(model):
        params = model(codes)[0, len(prefix)]  # the conditional right after the prefix
        probs = torch.softmax(model.head.temper(params, temperature), dim=-1).cpu()
        given = torch.full((model.n_dims,), float("nan"), device=model.device)
        given[: len(prefix)] = codes[0, : len(prefix)]
        generator = torch.Generator(device=model.device).manual_seed(seed)
        names = model.sample(n_completions, given, generator, temperature=temperature)
    return NextCharacter(prefix, temperature, probs, vocab.itos, vocab.decode(names), seed)


def draw_next_character(report: NextCharacter):
    """A bar chart of p(next symbol | prefix) over the vocabulary. Returns the figure."""
    fig, ax = plt.subplots(figsize=(8, 2.6))
    labels = ["end" if c == "." else c for c in report.symbols]
    ax.bar(range(len(labels)), report.probs.numpy(), color="tab:blue")
    ax.set_xticks(range(len(labels)), labels=labels)
    ax.set_ylim(0, min(1.0, 1.15 * float(report.probs.max())))
    ax.set(xlabel="next character", ylabel="probability")
    shown = f"“{report.prefix}”" if report.prefix else "the empty prefix"
    ax.set_title(f"p(next character | {shown}), temperature {report.temperature:.2f}")
    fig.tight_layout()
    return fig


class NextCharacterExplorer(widgets.VBox):
    """Controls (prefix, temperature, seed) above an `Output`; `draw()` is the redraw."""

    def __init__(self, model, vocab, prefix: str = "", temperature: float = 1.0, seed: int = 0):
        self.model, self.vocab = model, vocab
        self.prefix_box = widgets.Text(prefix, description="prefix", continuous_update=False)
        self.temperature_slider = widgets.FloatSlider(
            temperature, min=0.1, max=2.0, step=0.05, description="temperature"
        )
        self.seed_box = widgets.BoundedIntText(seed, min=0, max=10**6, description="seed")
        self.output = widgets.Output()
        self.report: NextCharacter | None = None
        controls = [self.prefix_box, self.temperature_slider, self.seed_box]
        super().__init__([widgets.HBox(controls), self.output])
        for control in controls:
            control.observe(self._redraw, names="value")
        self._redraw()

    def draw(self) -> NextCharacter:
        """Compute and show (print the text, display the figure) the current controls."""
        self.report = next_character(
            self.model,
            self.vocab,
            self.prefix_box.value,
            self.temperature_slider.value,
            seed=self.seed_box.value,
        )
        print(self.report)
        fig = draw_next_character(self.report)
        display(fig)
        plt.close(fig)
        return self.report

    def _redraw(self, change: dict | None = None) -> None:
        with self.output:
            clear_output(wait=True)
            try:
                self.draw()
            except ValueError as error:  # a letter outside the vocabulary, a prefix too long
                print(error)


def next_character_explorer(
    model: AutoregressiveModel, vocab: Vocabulary, prefix: str = "", temperature: float = 1.0
) -> NextCharacterExplorer:
    """Type a prefix, see p(next character | prefix) as a bar chart and names sampled from it;
    the temperature slider divides the logits (below 1 sharper, above 1 flatter). `model` is a
    character model over `vocab`'s names (e.g. an `RNN` trained on `first_names()`). Display
    it; call `.draw()` for a static copy of its output."""
    next_character(model, vocab, prefix, temperature)  # check the arguments at the call
    return NextCharacterExplorer(model, vocab, prefix, temperature)

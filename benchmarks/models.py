"""Benchmark: every model of the course on the digits split, one row each.

    .venv/bin/python benchmarks/models.py            # prints a markdown table
    .venv/bin/python benchmarks/models.py --save     # also writes benchmarks/results.md

Columns: trainable parameters (masked weights not counted), test NLL in nats per image,
bits per dimension, seconds of training (Adam, early stopping on validation) and milliseconds
to draw 100 samples (incrementally where the model can: `model.sample`'s default). Binary
rows are comparable with each other; the grey-level rows model a different data set (4
levels; RNADE on the 17 dequantized levels), so compare them only among themselves. Timings
depend on the machine: the recorded table says which.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path

import torch

import armini
from armini.models import FVSBN, MADE, NADE, PerConditionalMLP


def rows():
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
    yield "FVSBN", "binary", FVSBN(64), binary, {}
    yield "NADE (d=32)", "binary", NADE(64, 32), binary, {}
    yield "per-conditional MLP (d=8)", "binary", PerConditionalMLP(64, 8), binary, {}
    yield "MADE (256)", "binary", MADE(64, (256,)), binary, {}
    ensemble = MADE(64, (256,), n_masks=8, orderings="random")
    yield "MADE (256), 8 orderings, mixture", "binary", ensemble, binary, {}
    yield "FVSBN, softmax", "4 levels", FVSBN(64, armini.Categorical(4)), grey4, {}
    yield "softmax NADE (d=32)", "4 levels", NADE(64, 32, armini.Categorical(4)), grey4, {}
    rnade = NADE(64, 32, armini.MixtureOfGaussians(5))
    yield "RNADE (d=32, K=5)", "17 levels, dequantized", rnade, deq, {"lr": 3e-3}


def measure(model, data, fit_kwargs, device):
    armini.seed_everything(0)
    model = model.to(device)
    data = data.to(device)
    start = time.perf_counter()
    armini.fit(model, data, progress=False, **fit_kwargs)
    train_s = time.perf_counter() - start
    test = armini.evaluate(model, data.test)
    start = time.perf_counter()
    model.sample(100)
    if device.type == "cuda":
        torch.cuda.synchronize()
    sample_s = time.perf_counter() - start
    return model.n_parameters(), test.nats, test.bits_per_dim, train_s, sample_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="write benchmarks/results.md")
    args = parser.parse_args()
    device = armini.setup()
    header = "| model | data | parameters | test NLL (nats) | bits/dim | train s | 100 samples ms |"
    lines = [header, "|---|---|--:|--:|--:|--:|--:|"]
    print(header, flush=True)
    print(lines[1], flush=True)
    for name, kind, model, data, kw in rows():
        n, nats, bpd, train_s, sample_s = measure(model, data, kw, device)
        cells = [
            name,
            kind,
            f"{n:,}",
            f"{nats:.2f}",
            f"{bpd:.3f}",
            f"{train_s:.1f}",
            f"{1e3 * sample_s:.1f}",
        ]
        line = "| " + " | ".join(cells) + " |"
        lines.append(line)
        print(line, flush=True)
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {torch.get_num_threads()} torch thread(s), device {device}"
    if args.save:
        note = (
            "# Benchmark: models on the digits split\n\n"
            f"Made by `python benchmarks/models.py --save` on {machine}, "
            f"torch {torch.__version__}.\n"
            "RNADE's NLL is that of a density over dequantized pixels in [0, 1) (it can be "
            f"negative); adding 64·ln 17 = {64 * math.log(17):.1f} nats gives an upper bound on "
            "the NLL of the 17 grey levels themselves.\n\n"
        )
        Path(__file__).with_name("results.md").write_text(note + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

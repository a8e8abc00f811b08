"""Speed benchmark: NADE's forward pass against the naive computation, and sampling by D
forward passes against incremental sampling, for every model of the course.

    .venv/bin/python benchmarks/speed.py            # prints the tables
    .venv/bin/python benchmarks/speed.py --save     # also writes benchmarks/speed.md and .json

Everything runs on one CPU thread (so that it compares work, not parallelism), with the
Makefile's numerics (AVX2 kernels on x86-64). Each time is the best of several runs, and the
versions compared in one row are run interleaved, so that a disturbance of the machine hits
them alike; a speed-up is the ratio of two times of one row.

Forward (log p(x) of a batch, no gradient; d = hidden units):
- naive: every conditional from scratch, h_i = σ(c + W[:, <i] x_<i) for i = 1 … n: n matrix
  products, O(B n² d) work;
- cumsum: the running sum as one `torch.cumsum` over the (B, n, d) contributions, O(B n d)
  work (what `NADE` did before this benchmark);
- NADE: `NADE.log_prob`, the running sum a block of steps at a time.

Training step: forward and backward of the mean NLL at the batch size `fit` uses (64).

Sampling: 100 samples, `method="passes"` (D forward passes) against `method="incremental"`
(one state update per variable: NADE's running sum, FVSBN's logits, the RNN's hidden state,
the Transformer's key/value cache) for the models that have a state.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import torch

import armini
from armini.models import FVSBN, MADE, NADE, RNN, CausalTransformer, PerConditionalMLP

HERE = Path(__file__).parent


def best_of(functions: dict, repeat: int) -> dict[str, float]:
    """Milliseconds of each function, best of `repeat` interleaved runs (one warm-up)."""
    for f in functions.values():
        f()
    best = dict.fromkeys(functions, math.inf)
    for _ in range(repeat):
        for name, f in functions.items():
            start = time.perf_counter()
            f()
            best[name] = min(best[name], 1e3 * (time.perf_counter() - start))
    return best


def naive_log_prob(model: NADE, x: torch.Tensor) -> torch.Tensor:
    """log p(x) of a Bernoulli NADE with every hidden vector computed from scratch."""
    o = model.order
    xo, W = x[:, o], model.W[:, o]
    logits = torch.empty_like(xo)
    for t in range(model.n_dims):
        h = torch.sigmoid(model.c + xo[:, :t] @ W[:, :t].T)  # (B, d), O(B t d)
        logits[:, t] = h @ model.V[o[t], 0] + model.b[o[t], 0]
    return -torch.nn.functional.binary_cross_entropy_with_logits(logits, xo, reduction="none").sum(
        1
    )


def cumsum_log_prob(model: NADE, x: torch.Tensor) -> torch.Tensor:
    """log p(x) of a Bernoulli NADE with the running sum as one cumsum over (B, n, d)."""
    o = model.order
    xo = x[:, o]
    contrib = xo[:, :, None] * model.W[:, o].T  # (B, n, d): W[:, j] x_j
    h = torch.sigmoid(model.c + torch.cumsum(contrib, dim=1) - contrib)
    logits = torch.einsum("bnd,nd->bn", h, model.V[o, 0]) + model.b[o, 0]
    return -torch.nn.functional.binary_cross_entropy_with_logits(logits, xo, reduction="none").sum(
        1
    )


def forward_runs(model: NADE, x: torch.Tensor) -> dict:
    """The three computations of log p(x), checked to agree before they are timed."""
    runs = {
        "naive": lambda: naive_log_prob(model, x),
        "cumsum": lambda: cumsum_log_prob(model, x),
        "NADE": lambda: model.log_prob(x),
    }
    reference = runs["naive"]()
    for run in runs.values():
        assert torch.allclose(run(), reference, atol=1e-4, rtol=1e-5)
    return runs


def training_runs(model: NADE, x: torch.Tensor) -> dict:
    """One gradient of the mean NLL, by the cumsum and by NADE's blocks."""

    def step(log_prob):
        def run():
            model.zero_grad()
            log_prob(model, x).mean().neg().backward()

        return run

    return {"cumsum": step(cumsum_log_prob), "NADE": step(lambda m, x: m.log_prob(x))}


def forward_rows(sizes, batches, hidden, repeat):
    for d in hidden:
        for n in sizes:
            model = NADE(n, d).eval()
            with torch.no_grad():
                model.W.normal_(0, 0.1)
            for B in batches:
                x = torch.bernoulli(torch.full((B, n), 0.5), generator=torch.Generator())
                with torch.no_grad():
                    ms = best_of(forward_runs(model, x), repeat)
                yield {"d": d, "n": n, "B": B, **ms}


def training_rows(sizes, hidden, repeat, batch=64):
    for d in hidden:
        for n in sizes:
            model = NADE(n, d)
            x = torch.bernoulli(torch.full((batch, n), 0.5), generator=torch.Generator())
            yield {"d": d, "n": n, "B": batch, **best_of(training_runs(model, x), repeat)}


def sampling_rows(dims, repeat, n_samples=100):
    models = {
        "FVSBN": lambda D: FVSBN(D),
        "NADE (d=32)": lambda D: NADE(D, 32),
        "NADE (d=128)": lambda D: NADE(D, 128),
        "per-conditional MLP (d=8)": lambda D: PerConditionalMLP(D, 8),
        "MADE (256)": lambda D: MADE(D, (256,)),
        "RNN (tanh, d=64)": lambda D: RNN(D, 64),
        "Transformer (d=16, 2 heads, 2 layers)": lambda D: CausalTransformer(D, 16, 2, 2),
    }
    for D in dims:
        for name, build in models.items():
            if D == 784 and name.startswith(("per-conditional", "Transformer")):
                continue  # 40 M weights to build; 784 passes of a 784-long attention: minutes
            model = build(D).eval()
            runs = {"passes": lambda m=model: m.sample(n_samples, method="passes")}
            if model.incremental:
                runs["incremental"] = lambda m=model: m.sample(n_samples, method="incremental")
            ms = best_of(runs, repeat if D == 64 else max(1, repeat // 3))
            yield {"model": name, "D": D, "n_samples": n_samples, **ms}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×"


def markdown(forward, training, sampling) -> list[str]:
    lines = [
        "## NADE forward: log p(x) of a batch, no gradient (milliseconds)",
        "",
        "| d | n | B | naive | cumsum | NADE | NADE vs naive | NADE vs cumsum |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in forward:
        lines.append(
            f"| {r['d']} | {r['n']} | {r['B']} | {r['naive']:.2f} | {r['cumsum']:.2f} | "
            f"{r['NADE']:.2f} | {ratio(r['naive'], r['NADE'])} | "
            f"{ratio(r['cumsum'], r['NADE'])} |"
        )
    lines += [
        "",
        "## NADE training step: forward and backward of the NLL, batch 64 (milliseconds)",
        "",
        "| d | n | B | cumsum | NADE | NADE vs cumsum |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for r in training:
        lines.append(
            f"| {r['d']} | {r['n']} | {r['B']} | {r['cumsum']:.2f} | {r['NADE']:.2f} | "
            f"{ratio(r['cumsum'], r['NADE'])} |"
        )
    lines += [
        "",
        "## Sampling: 100 samples (milliseconds)",
        "",
        "| model | D | D forward passes | incremental | speed-up |",
        "|---|--:|--:|--:|--:|",
    ]
    for r in sampling:
        inc = r.get("incremental")
        lines.append(
            f"| {r['model']} | {r['D']} | {r['passes']:.1f} | "
            + (f"{inc:.1f} | {ratio(r['passes'], inc)} |" if inc else "— | — |")
        )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help="write speed.md and speed.json")
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing (best kept)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes only (for the tests)")
    args = parser.parse_args()
    armini.setup()
    torch.set_num_threads(1)
    if args.quick:
        sizes, batches, hidden, dims = (16,), (4,), (8,), (8,)
    else:
        sizes, batches, hidden, dims = (64, 256, 784), (1, 32, 256), (32, 128), (64, 784)
    forward = list(forward_rows(sizes, batches, hidden, args.repeat))
    training = list(training_rows(sizes, hidden, args.repeat))
    sampling = list(sampling_rows(dims, args.repeat))
    lines = markdown(forward, training, sampling)
    print("\n".join(lines), flush=True)
    if args.save:
        machine = {
            "cpu": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cpu kernels": torch.backends.cpu.get_cpu_capability(),
            "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
            "date": datetime.date.today().isoformat(),
        }
        record = {"machine": machine, "forward": forward, "training": training}
        record["sampling"] = sampling
        (HERE / "speed.json").write_text(json.dumps(record, indent=1) + "\n")
        head = (
            "# Speed benchmark\n\n"
            f"Made by `python benchmarks/speed.py --save` on {machine['date']}: {machine['cpu']},"
            f" {machine['threads']} torch thread, {machine['cpu kernels']} kernels, torch "
            f"{machine['torch']}. Times are the best of {args.repeat} interleaved runs; the "
            "script's docstring says what each column computes.\n\n"
        )
        (HERE / "speed.md").write_text(head + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

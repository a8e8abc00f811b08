"""One file per model family; every model is an `AutoregressiveModel`."""

from armini.models.attention import CausalTransformer
from armini.models.autoencoder import Autoencoder
from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import FVSBN, MaskedLinear, order_mask
from armini.models.made import MADE, made_masks
from armini.models.nade import NADE, PerConditionalMLP
from armini.models.pixelcnn import GatedPixelCNN, MaskedConv2d, PixelCNN, conv_mask, receptive_field
from armini.models.rnn import RNN
from armini.models.tabular import BigramTable, ChainRuleTable, JointTable

__all__ = [
    "FVSBN",
    "GatedPixelCNN",
    "MaskedConv2d",
    "PixelCNN",
    "conv_mask",
    "receptive_field",
    "MADE",
    "Autoencoder",
    "CausalTransformer",
    "made_masks",
    "NADE",
    "AutoregressiveModel",
    "BigramTable",
    "ChainRuleTable",
    "JointTable",
    "MaskedLinear",
    "PerConditionalMLP",
    "RNN",
    "order_mask",
]

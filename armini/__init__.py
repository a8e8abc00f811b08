"""armini: small PyTorch helpers for teaching autoregressive generative models.

import armini
device = armini.setup()                      # seeds, print options, device
data = armini.data.digits()                  # 8×8 binary digits, fixed split
history = armini.fit(model, data)            # maximum likelihood, early stopping
armini.checks.assert_autoregressive(model)   # the model really is autoregressive
"""

from armini import checks, data, heads, metrics, models, plot
from armini.device import get_device, seed_everything, setup
from armini.heads import Bernoulli, Categorical, MixtureOfGaussians
from armini.models import (
    FVSBN,
    MADE,
    NADE,
    RNN,
    Autoencoder,
    AutoregressiveModel,
    BigramTable,
    CausalTransformer,
    ChainRuleTable,
    GatedPixelCNN,
    JointTable,
    PerConditionalMLP,
    PixelCNN,
)
from armini.train import Evaluation, History, TrainingDiverged, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "FVSBN",
    "MADE",
    "NADE",
    "Autoencoder",
    "PerConditionalMLP",
    "PixelCNN",
    "GatedPixelCNN",
    "RNN",
    "AutoregressiveModel",
    "BigramTable",
    "CausalTransformer",
    "Bernoulli",
    "Categorical",
    "ChainRuleTable",
    "Evaluation",
    "History",
    "JointTable",
    "MixtureOfGaussians",
    "checks",
    "data",
    "evaluate",
    "fit",
    "get_device",
    "heads",
    "metrics",
    "models",
    "plot",
    "seed_everything",
    "setup",
    "TrainingDiverged",
]

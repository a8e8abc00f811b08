"""One file per model family; every model is an `AutoregressiveModel`."""

from armini.models.base import AutoregressiveModel
from armini.models.fvsbn import FVSBN, MaskedLinear, order_mask
from armini.models.nade import NADE, PerConditionalMLP
from armini.models.tabular import ChainRuleTable, JointTable

__all__ = [
    "FVSBN",
    "NADE",
    "AutoregressiveModel",
    "ChainRuleTable",
    "JointTable",
    "MaskedLinear",
    "PerConditionalMLP",
    "order_mask",
]

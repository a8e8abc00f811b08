"""One file per model family; every model is an `AutoregressiveModel`."""

from armini.models.base import AutoregressiveModel
from armini.models.tabular import ChainRuleTable, JointTable

__all__ = ["AutoregressiveModel", "ChainRuleTable", "JointTable"]

"""Interactive explorers for the notebooks, built on `armini.plot` and ipywidgets.

Every explorer is a widget whose redraw is a plain method, `draw()`: moving a control calls it
inside the widget's `Output`, and a notebook (or a test) can call it directly, so that the
picture also exists where no widget frontend is running (a stored notebook, CI).

- `chain_rule_explorer(images)`: n binary pixels of real digits, an order of the variables;
  shows the parameter counts (full table, chain-rule tables, logistic conditionals), the
  factorisation in that order, and log p(x) of one example from the joint table and as the
  sum of the chain-rule log-conditionals.
- `sampling_stepper(model)`: ancestral sampling of a binary image model one pixel at a
  time, with p(x_i = 1 | x_<i) of each pixel drawn so far and of the next one.
- `made_explorer()`: MADE's masks for D variables, hidden layer sizes, an ordering and a seed;
  draws every mask and their product, the connectivity, strictly lower-triangular in the order.
- `next_character_explorer(model, vocab)`: type a prefix, see p(next character | prefix) of a
  character model and names sampled from the prefix, at a temperature.
- `attention_explorer(model, vocab)`: type a name, pick a position and a layer, see how much each
  head of a causal Transformer attends to each earlier position.
- `receptive_field_explorer()`: a plain or gated PixelCNN, a kernel size, a number of layers and
  a pixel; draws which earlier pixels that pixel's conditional reads (from the model's
  dependency matrix) and which it cannot: the plain model's blind spot, gone in the gated one.
"""

from armini.widgets.attention import (
    AttentionExplorer,
    AttentionReport,
    attention_explorer,
    attention_report,
    draw_attention,
)
from armini.widgets.chain_rule import (
    CENTRE_PIXELS,
    ORDERS,
    ChainRuleExplorer,
    ChainRuleReport,
    chain_rule_explorer,
    chain_rule_report,
    draw_chain_rule,
    factorisation,
    make_order,
    variable,
)
from armini.widgets.made import (
    MADE_ORDERINGS,
    MadeExplorer,
    MadeMasks,
    draw_made,
    made_explorer,
    made_masks_report,
    parse_hidden,
)
from armini.widgets.next_char import (
    NextCharacter,
    NextCharacterExplorer,
    draw_next_character,
    next_character,
    next_character_explorer,
)
from armini.widgets.receptive_field import (
    ReceptiveField,
    ReceptiveFieldExplorer,
    draw_receptive_field,
    receptive_field_explorer,
    receptive_field_report,
)
from armini.widgets.sampling import (
    SamplingStep,
    SamplingStepper,
    draw_sampling_step,
    sample_trajectory,
    sampling_stepper,
)

__all__ = [
    "AttentionExplorer",
    "AttentionReport",
    "attention_explorer",
    "attention_report",
    "draw_attention",
    "CENTRE_PIXELS",
    "MADE_ORDERINGS",
    "ORDERS",
    "ChainRuleExplorer",
    "ChainRuleReport",
    "MadeExplorer",
    "MadeMasks",
    "NextCharacter",
    "NextCharacterExplorer",
    "ReceptiveField",
    "ReceptiveFieldExplorer",
    "SamplingStep",
    "SamplingStepper",
    "chain_rule_explorer",
    "chain_rule_report",
    "draw_chain_rule",
    "draw_made",
    "draw_next_character",
    "draw_receptive_field",
    "draw_sampling_step",
    "factorisation",
    "made_explorer",
    "made_masks_report",
    "make_order",
    "next_character",
    "next_character_explorer",
    "parse_hidden",
    "receptive_field_explorer",
    "receptive_field_report",
    "sample_trajectory",
    "sampling_stepper",
    "variable",
]

"""What a layer kind, and the rest of cnncalc, may import from `cnncalc.layers`.

The `_` modules beside this one are private to the package: a kind's module and every
module outside `cnncalc/layers/` import their names from here (a test reads the imports
and fails on one that reaches past this module). The kinds themselves are found through
`cnncalc.layers` (`layer_class`, `registry`, `kinds`, the family queries), never imported
by name outside their package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnncalc.layers._aliases import ALIASES, did_you_mean, meant, normalized
from cnncalc.layers._base import (
    AXES,
    EVERYTHING,
    NO_WORK,
    SPATIAL_LAYOUTS,
    TRAINABLE_HELP,
    Composite,
    Condition,
    Everything,
    Extra,
    Footprint,
    GraphBuilder,
    Inputs,
    Keeps,
    Layer,
    LayerList,
    Name,
    NonNegativeSize,
    Padding,
    Params,
    Size,
    Stage,
    Tensor,
    Window,
    Work,
    asymmetric,
    make,
    padded_footprint,
    pair_text,
    params_of,
    per_dim,
    prod,
    resolve_padding,
    spatial_dims,
    symmetric,
    torch_padded,
    window_output,
    window_summary,
)
from cnncalc.layers._lora import (
    FFN_PROJECTIONS,
    PROJECTIONS,
    FeedForwardLoRA,
    LoRA,
    ProjectionLoRA,
    lora_linear_module,
)
from cnncalc.layers._torch import Permute as TorchPermute
from cnncalc.layers._torch import on_channels_last
from cnncalc.layers._traits import TRAITS
from cnncalc.shape import Shape

if TYPE_CHECKING:
    from cnncalc.layers._attention_parts import (
        AttentionPart,
        Linear,
        Parts,
        causal_mask,
        grouped_attention_module,
        heads_divide,
        linear_tensors,
        mha_tensors,
        multihead_module,
        sequence,
    )

# The attention kinds' parts (projections, heads, masks) are imported on first use, by
# `__getattr__` below: a network without attention never needs them (1% of `table lenet`).
_ATTENTION_PARTS = frozenset(
    {
        "AttentionPart",
        "Linear",
        "Parts",
        "causal_mask",
        "grouped_attention_module",
        "heads_divide",
        "linear_tensors",
        "mha_tensors",
        "multihead_module",
        "sequence",
    }
)


def __getattr__(name: str) -> Any:
    if name in _ATTENTION_PARTS:
        from cnncalc.layers import _attention_parts

        return getattr(_attention_parts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALIASES",
    "AXES",
    "EVERYTHING",
    "FFN_PROJECTIONS",
    "NO_WORK",
    "PROJECTIONS",
    "SPATIAL_LAYOUTS",
    "TRAINABLE_HELP",
    "TRAITS",
    "AttentionPart",
    "Composite",
    "Condition",
    "Everything",
    "Extra",
    "FeedForwardLoRA",
    "Footprint",
    "GraphBuilder",
    "Inputs",
    "Keeps",
    "Layer",
    "LayerList",
    "Linear",
    "LoRA",
    "Name",
    "NonNegativeSize",
    "Padding",
    "Params",
    "Parts",
    "ProjectionLoRA",
    "Shape",
    "Size",
    "Stage",
    "Tensor",
    "TorchPermute",
    "Window",
    "Work",
    "asymmetric",
    "causal_mask",
    "did_you_mean",
    "grouped_attention_module",
    "heads_divide",
    "linear_tensors",
    "lora_linear_module",
    "make",
    "meant",
    "mha_tensors",
    "multihead_module",
    "normalized",
    "on_channels_last",
    "padded_footprint",
    "pair_text",
    "params_of",
    "per_dim",
    "prod",
    "resolve_padding",
    "sequence",
    "spatial_dims",
    "symmetric",
    "torch_padded",
    "window_output",
    "window_summary",
]

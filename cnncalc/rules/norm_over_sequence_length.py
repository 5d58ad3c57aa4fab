"""A norm on a sequence whose learned parameters depend on the sequence length.

A transformer normalizes each vector of an (L, D) sequence over its D features
(`nn.LayerNorm(D)`): D scales and D shifts, whatever the length. Normalizing over L and
D together (`nn.LayerNorm([L, D])`), or along L, learns a scale and a shift per
position: 2*L*D parameters that change with `--input l=`, so the weights trained at one
length cannot run at another, and the parameter count is not the model's.

PASS:

    name: features
    input: {l: 128, d: 64}
    layers:
      - {type: layernorm}

FAIL:

    name: positions
    input: {l: 128, d: 64}
    layers:
      - {type: layernorm, dims: 2}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.errors import LayerError
from cnncalc.findings import Finding
from cnncalc.layers.api import Params
from cnncalc.rules import Context, Rule, has, label, subject
from cnncalc.shape import AXIS_LABELS

RULE = Rule("CNC121", "norm-over-sequence-length", "warning")

LENGTH = "L"  # the sequence axis, in (L, D) and (C, L) alike


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.layer_nodes:
        if not has(node, "normalizing") or node.layer is None or len(node.inputs) != 1:
            continue
        x = node.inputs[0]
        if LENGTH not in x.layout.spatial or node.params == Params():
            continue
        # The fact asked for: the layer's own parameter count at another length.
        try:
            longer = node.layer.params((x.replace(**{LENGTH: x.size(LENGTH) + 1}),))
        except LayerError:
            continue
        if longer == node.layer.params(node.inputs):
            continue
        # Which axes the statistics span, where the norm says so (`normalized_axes`).
        normalized_axes = getattr(node.layer, "normalized_axes", None)
        over = ""
        if callable(normalized_axes):
            over = f" (it normalizes over {', '.join(AXIS_LABELS.get(a, a) for a in normalized_axes(x))})"
        features = x.layout.channels
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)}: its {node.params.total:,} parameters on the {x.axis_names()} input {x.text()} "
            f"depend on the sequence length {LENGTH} = {x.size(LENGTH)}{over}: weights trained at one length "
            f"cannot run at another; transformers normalize each position over {features} alone, "
            f"as nn.LayerNorm({features})",
            subject(ctx.trace, node),
        )

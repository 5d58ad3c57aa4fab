"""A norm on a spatial map that takes its statistics over some of the spatial axes only.

Activations are held channels first, as in PyTorch: (C, H, W) per sample. A norm over
the trailing `dims` axes counts them from that end, so `dims: 1` on an (H, W, C) =
(8, 8, 4) map normalizes each row of 8 values along W, per channel and per row, and
`dims: 2` on a volume normalizes each depth slice's (H, W). Nothing ties the rows
together: almost always the channels were meant (ConvNeXt's LayerNorm2d: `axis:
channels`), or the whole sample (no `dims`).

PASS:

    name: channels
    input: {h: 8, w: 8, c: 4}
    layers:
      - {type: layernorm, axis: channels}

FAIL:

    name: rows
    input: {h: 8, w: 8, c: 4}
    layers:
      - {type: layernorm, dims: 1}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, has, label, subject
from cnncalc.shape import AXIS_LABELS

RULE = Rule("CNC120", "norm-over-part-of-space", "warning")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.layer_nodes:
        # Which axes the statistics span: a norm that says so (layernorm's `normalized_axes`).
        normalized_axes = getattr(node.layer, "normalized_axes", None)
        if not has(node, "normalizing") or not node.inputs or not callable(normalized_axes):
            continue
        x = node.inputs[0]
        axes = str(normalized_axes(x))
        spatial = x.layout.spatial
        if not axes or not set(axes) < set(spatial):
            continue
        names = ", ".join(AXIS_LABELS.get(a, a) for a in axes)
        left = ", ".join(a for a in spatial if a not in axes)
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)}: on its {x.axis_names()} input {x.text()} it normalizes over {names} only (trailing "
            f"axes of PyTorch's channels-first layout), separately for each channel and each {left}: "
            "`axis: channels` normalizes the channels at each position (ConvNeXt's LayerNorm2d), "
            "no `dims` the whole sample",
            subject(ctx.trace, node),
        )

"""A dense layer on an input that still has spatial axes: it mixes the columns, not the channels.

Activations are held channels first, as in PyTorch: (C, H, W) per sample. A dense layer
acts on the last axis, as `nn.Linear` does, so on an (H, W, C) = (5, 5, 16) input it
connects the 5 columns (W) of each row and channel, not the 16 channels, and its output
keeps the spatial axes. That is almost always a forgotten `flatten` before the
classifier (or a global pooling such as `global_avgpool`, which keeps one value per
channel). Only the first such dense layer on a path is reported: those after it repeat
the mistake.

PASS:

    name: flattened
    input: {h: 8, w: 8, c: 3}
    layers:
      - {type: conv, filters: 16, kernel: 3, activation: relu}
      - {type: flatten}
      - {type: dense, units: 10}

FAIL:

    name: unflattened
    input: {h: 8, w: 8, c: 3}
    layers:
      - {type: conv, filters: 16, kernel: 3, activation: relu}
      - {type: dense, units: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, has, label, subject

RULE = Rule("CNC115", "dense-on-spatial-input", "warning")

# What the last axis of a channels-first layout holds.
LAST_AXIS = {"L": "positions (L)", "W": "columns (W)"}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    # Nodes downstream of a reported dense layer: a dense layer there only repeats the mistake.
    after: set[int] = set()
    for node in ctx.trace.layer_nodes:
        if any(s in after for s in node.sources):
            after.add(node.index)
            continue
        # A sequence of vectors (L, D) ends in its features: dense acts on them, as meant.
        # `axis: channels` connects the channels at each position, as meant.
        connects = getattr(node.layer, "features_axis", None)
        if (
            not has(node, "fully-connected")
            or not node.inputs
            or (connects(node.inputs[0]) if callable(connects) else node.inputs[0].axes[-1])
            not in node.inputs[0].layout.spatial
        ):
            continue
        after.add(node.index)
        x = node.inputs[0]
        last = LAST_AXIS.get(x.axes[-1], "positions on the last axis")
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)}: its {x.axis_names()} input {x.text()} still has spatial axes; it acts on the last "
            f"axis of PyTorch's channels-first layout, the {x[-1]} {last}, not the {x.channels} channels: "
            "add a flatten (or a global pooling such as global_avgpool) before it",
            subject(ctx.trace, node),
        )

"""A conv or dense bias directly followed by batchnorm: parameters that do nothing.

Batchnorm subtracts each channel's mean, which removes any constant added before it,
and its own shift (beta) takes the bias's place. Set `bias: false` on the layer before.

PASS:

    name: no-bias
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 16, kernel: 3, bias: false}
      - {type: batchnorm, activation: relu}

FAIL:

    name: bias
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 16, kernel: 3}
      - {type: batchnorm, activation: relu}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, applied_activation, count, fed_directly, has, label, subject

RULE = Rule("CNC106", "bias-before-batchnorm", "warning")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for before, _ in fed_directly(ctx.trace, "batch-statistics"):
        # An activation in between (`activation: relu` on the conv) keeps the bias useful.
        if not has(before, "has-bias") or getattr(before.layer, "bias", None) is not True or applied_activation(before):
            continue
        # One bias per output channel: the axis a fully-connected layer connects (the last,
        # unless its `features_axis` says otherwise), else the channels.
        connects = getattr(before.layer, "features_axis", None)
        if has(before, "fully-connected"):
            width = before.output.size(connects(before.output)) if callable(connects) else before.output[-1]
        else:
            width = before.output.channels
        yield RULE.at(
            ctx,
            before.mark,
            f"{label(before)}: its {count(width)} biases are cancelled by the batchnorm right after it "
            "(it subtracts the mean; its beta shifts instead); set bias: false",
            subject(ctx.trace, before),
        )

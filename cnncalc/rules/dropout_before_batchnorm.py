"""Dropout directly before batchnorm: the statistics differ between training and inference.

Batchnorm's running variance is learned on dropped-out activations, then applied at
inference to activations without dropout ("variance shift", Li et al., CVPR 2019).
Put dropout after the last batchnorm, or drop one of them.

PASS:

    name: ok
    input: {features: 64}
    layers:
      - {type: dense, units: 32, bias: false}
      - {type: batchnorm, activation: relu}
      - {type: dropout, rate: 0.5}
      - {type: dense, units: 10}

FAIL:

    name: shift
    input: {features: 64}
    layers:
      - {type: dense, units: 32, activation: relu}
      - {type: dropout, rate: 0.5}
      - {type: batchnorm}
      - {type: dense, units: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, fed_directly, has, label, subject

RULE = Rule("CNC108", "dropout-before-batchnorm", "warning")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for before, node in fed_directly(ctx.trace, "batch-statistics"):
        if has(before, "stochastic"):
            yield RULE.at(
                ctx,
                node.mark,
                f"{label(node)} directly follows {label(before)}: its running variance is learned with "
                "dropout and used without it (variance shift); move the dropout after the batchnorm",
                subject(ctx.trace, node),
            )

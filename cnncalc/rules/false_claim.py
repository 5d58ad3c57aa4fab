"""An `expect:` claim that the computed number refutes.

Each claimed shape, size, parameter count, MAC or FLOP count is compared with the
computed one. Where a common mistake reproduces the claimed number exactly (one input
channel, no bias, padding or stride ignored, FLOPs for MACs, channels-first order), the
message names it and shows the right calculation.

PASS:

    name: lenet-conv2
    input: {h: 14, w: 14, c: 6}
    layers:
      - {name: CONV2, type: conv, filters: 16, kernel: 5}
    expect:
      CONV2: {shape: [10, 10, 16], params: 2416}

FAIL:

    name: lenet-conv2
    input: {h: 14, w: 14, c: 6}
    layers:
      - {name: CONV2, type: conv, filters: 16, kernel: 5}
    expect:
      CONV2: {params: 416}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnncalc.explain import explain
from cnncalc.figures import check_claims
from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule

RULE = Rule("CNC112", "false-claim", "error")


def value(v: Any) -> str:
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list):
        return "(" + ", ".join(str(x) for x in v) + ")"
    return str(v)


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    results, _ = check_claims(ctx.trace)
    for result in results:
        if result.confirmed:
            continue
        message = f"{result.target} {result.field}: claimed {value(result.claimed)}, computed {value(result.actual)}"
        why = explain(result, ctx.trace)
        if why:
            message += f"; {why}"
        yield RULE.at(ctx, result.mark, message, f"{result.target}.{result.field}")

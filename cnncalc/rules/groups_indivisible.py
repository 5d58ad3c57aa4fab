"""`groups` does not divide the input channels or the filters.

A grouped convolution splits its C input channels and its filters into `groups` equal
parts; both must divide evenly (depthwise: groups = C).

PASS:

    name: grouped
    input: {h: 8, w: 8, c: 32}
    layers:
      - {type: conv, filters: 64, kernel: 3, groups: 4}

FAIL:

    name: grouped
    input: {h: 8, w: 8, c: 30}
    layers:
      - {type: conv, filters: 64, kernel: 3, groups: 4}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Failure, Rule

RULE = Rule("CNC103", "groups-indivisible", "error")


def owns(failure: Failure) -> bool:
    return failure.cause is not None and failure.cause.field == "groups"


def check(ctx: Context) -> Iterator[Finding]:
    for failure in ctx.owned(RULE.code):
        yield RULE.at(ctx, failure.diagnostic.mark, failure.diagnostic.message, failure.kind or "")

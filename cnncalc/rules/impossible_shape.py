"""A layer cannot compute its output from its input: the shape is impossible.

Typically a window larger than its (padded) input, `(n + 2p - f)/s + 1 < 1`, or a layer
given an input of the wrong rank. The message shows the arithmetic.

PASS:

    name: fits
    input: {h: 8, w: 8, c: 3}
    layers:
      - {type: conv, filters: 6, kernel: 5}

FAIL:

    name: too-small
    input: {h: 4, w: 4, c: 3}
    layers:
      - {type: conv, filters: 6, kernel: 5}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Failure, Rule

RULE = Rule("CNC101", "impossible-shape", "error")


def owns(failure: Failure) -> bool:
    # Merges ("from") and channel groups have rules of their own.
    return failure.cause is not None and failure.cause.field not in ("from", "groups")


def check(ctx: Context) -> Iterator[Finding]:
    for failure in ctx.owned(RULE.code):
        yield RULE.at(ctx, failure.diagnostic.mark, failure.diagnostic.message, failure.kind or "")

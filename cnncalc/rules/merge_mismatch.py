"""A merge's inputs do not fit together.

`add` needs one shape, `concat` equal spatial sizes, `multiply` shapes that broadcast.
The message names the inputs with their shapes (channels first). A residual shortcut
that skips a stride or a change of width needs a projection.

PASS:

    name: residual
    input: {h: 8, w: 8, c: 16}
    layers:
      - {name: a, type: conv, filters: 16, kernel: 3, padding: 1}
      - {name: b, type: conv, filters: 16, kernel: 3, padding: 1}
      - {type: add, from: [a, b]}

FAIL:

    name: residual
    input: {h: 8, w: 8, c: 16}
    layers:
      - {name: a, type: conv, filters: 16, kernel: 3, padding: 1}
      - {name: b, type: conv, filters: 32, kernel: 3, padding: 1}
      - {type: add, from: [a, b]}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Failure, Rule

RULE = Rule("CNC102", "merge-mismatch", "error")


def owns(failure: Failure) -> bool:
    # A layer's shape rule blames `from` when the outputs it reads do not fit together.
    return failure.cause is not None and failure.cause.field == "from"


def check(ctx: Context) -> Iterator[Finding]:
    for failure in ctx.owned(RULE.code):
        yield RULE.at(ctx, failure.diagnostic.mark, failure.diagnostic.message, failure.kind or "")

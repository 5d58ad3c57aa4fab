"""An `expect:` entry for a name that no layer or block has: the claim checks nothing.

PASS:

    name: named
    input: {features: 16}
    layers:
      - {name: fc, type: dense, units: 4}
    expect:
      fc: {params: 68}

FAIL:

    name: typo
    input: {features: 16}
    layers:
      - {name: fc, type: dense, units: 4}
    expect:
      fc1: {params: 68}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.figures import check_claims
from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule

RULE = Rule("CNC113", "unknown-claim-target", "error")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    _, unknown = check_claims(ctx.trace)
    for diagnostic in unknown:
        yield RULE.at(ctx, diagnostic.mark, diagnostic.message, diagnostic.message.split("'")[1])

"""Two layers with the same name: `from:` and `expect:` silently mean the later one.

Names are how a graph refers to a layer; a repeated name makes every reference after
it point somewhere else than its author may think. (Inside a block, names are local to
each use, and `repeat` numbers its copies: those are not duplicates.)

PASS:

    name: unique
    input: {features: 16}
    layers:
      - {name: fc1, type: dense, units: 8, activation: relu}
      - {name: fc2, type: dense, units: 4}

FAIL:

    name: twice
    input: {features: 16}
    layers:
      - {name: fc, type: dense, units: 8, activation: relu}
      - {name: fc, type: dense, units: 4}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule

RULE = Rule("CNC111", "duplicate-name", "error")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for name, mark in ctx.trace.duplicate_names:
        yield RULE.at(
            ctx, mark, f"name '{name}' is already taken by an earlier layer; references now mean this one", name
        )

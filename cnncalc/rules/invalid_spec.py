"""The file is not a usable spec: YAML syntax, unknown or missing fields, bad values.

Everything the loader or the engine refuses that no more specific rule owns: a YAML
error, an unknown layer type, a field of the wrong type, a `from:` naming no earlier
layer. The message says what was expected and, for typos, the closest valid word.

PASS:

    name: ok
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 6, kernel: 5}

FAIL:

    name: typo
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: convv, filters: 6, kernel: 5}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule

RULE = Rule("CNC001", "invalid-spec", "error")


def check(ctx: Context) -> Iterator[Finding]:
    for failure in ctx.owned(RULE.code):
        yield RULE.at(ctx, failure.diagnostic.mark, failure.diagnostic.message, failure.stage)

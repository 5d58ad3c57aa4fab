"""A budget under `limits:` (or the configuration's default limits) that the network exceeds.

Limits cover the whole network: `params`, `macs` and `flops` per sample,
`activation_memory` (every output, the input included, for the spec's batch) and
`weights_bytes`; counts take suffixes (`25M`, `4.1G`), sizes units (`64 MiB`).

PASS:

    name: small
    input: {features: 100}
    layers:
      - {type: dense, units: 10}
    limits: {params: 2000}

FAIL:

    name: big
    input: {features: 100}
    layers:
      - {type: dense, units: 100}
    limits: {params: 2000}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.figures import budgets
from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule
from cnncalc.spec.loader import mark_of

RULE = Rule("CNC114", "limit-exceeded", "error")

UNITS = {"params": "", "macs": " MACs", "flops": " FLOPs", "activation_memory": " bytes", "weights_bytes": " bytes"}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None or ctx.spec is None:
        return
    actual = budgets(ctx.trace)
    mine = ctx.spec.limits.model_dump(exclude_none=True) if ctx.spec.limits else {}
    raw = ctx.raw.get("limits") if isinstance(ctx.raw, dict) else None
    for field, computed in actual.items():
        limit = mine.get(field, ctx.limits.get(field))
        if limit is None or computed <= limit:
            continue
        source = "" if field in mine else " (a default limit from pyproject.toml)"
        mark = mark_of(raw, field) if field in mine else None
        over = computed - limit
        yield RULE.at(
            ctx,
            mark,
            f"{field} {computed:,}{UNITS[field]} exceed the limit of {limit:,}{source} "
            f"by {over:,} ({100 * over / limit:.1f}%)",
            field,
        )

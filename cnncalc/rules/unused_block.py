"""A block defined under `blocks:` that no layer uses.

Dead definitions mislead a reader into thinking they are part of the network (often a
typo in the `type:` meant to use it). A block used only by unused blocks is unused too.

PASS:

    name: used
    input: {h: 8, w: 8, c: 3}
    blocks:
      unit:
        layers:
          - {type: conv, filters: 8, kernel: 3, padding: 1}
    layers:
      - {type: unit}

FAIL:

    name: unused
    input: {h: 8, w: 8, c: 3}
    blocks:
      unit:
        layers:
          - {type: conv, filters: 8, kernel: 3, padding: 1}
    layers:
      - {type: conv, filters: 8, kernel: 3}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule
from cnncalc.spec.loader import mark_of

RULE = Rule("CNC110", "unused-block", "warning")


def _types(value: Any, out: set[str]) -> set[str]:
    """Every `type:` string anywhere inside (bodies, branches and shortcuts included)."""
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            out.add(value["type"])
        for v in value.values():
            _types(v, out)
    elif isinstance(value, list):
        for v in value:
            _types(v, out)
    return out


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None or not ctx.spec.blocks:
        return
    blocks = ctx.spec.blocks
    used: set[str] = set()
    todo = [t for t in _types(ctx.spec.layers, set()) if t in blocks]
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo += [t for t in _types(blocks[name].layers, set()) if t in blocks]
    raw_blocks = ctx.raw.get("blocks") if isinstance(ctx.raw, dict) else None
    for name in blocks:
        if name not in used:
            yield RULE.at(
                ctx,
                mark_of(raw_blocks, name, of_key=True),
                f"block '{name}' is defined but no layer uses it (type: {name})",
                name,
            )

"""A block defined under `blocks:` that no layer uses.

Dead definitions mislead a reader into thinking they are part of the network (often a
typo in the `type:` meant to use it). A block used only by unused blocks is unused too.
A block named in a used block's arguments (`{type: wrap, inner: act}`, or a default in
`args:`) counts as used: the block may use it as `type: $inner`.

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


# Keys of a block call that are not its arguments.
_CALL_KEYS = frozenset({"type", "name", "from", "repeat", "holds"})


def _strings(value: Any, out: set[str]) -> set[str]:
    """Every string anywhere inside `value`."""
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    return out


def _uses(value: Any, blocks: dict[str, Any], out: set[str]) -> set[str]:
    """Every `type:` string anywhere inside (bodies, branches and shortcuts included), and
    every string in the arguments of a block call: `{type: wrap, inner: act}` passes `act`
    on, to be used where the block says `type: $inner`."""
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str):
            out.add(kind)
            if kind in blocks:
                for key, v in value.items():
                    if key not in _CALL_KEYS:
                        _strings(v, out)
        for v in value.values():
            _uses(v, blocks, out)
    elif isinstance(value, list):
        for v in value:
            _uses(v, blocks, out)
    return out


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.spec is None or not ctx.spec.blocks:
        return
    blocks = ctx.spec.blocks
    used: set[str] = set()
    todo = [t for t in _uses(ctx.spec.layers, blocks, set()) if t in blocks]
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            # A used block's argument defaults are passed on as a call's arguments are.
            found = _uses(blocks[name].layers, blocks, _strings(blocks[name].args, set()))
            todo += [t for t in found if t in blocks]
    raw_blocks = ctx.raw.get("blocks") if isinstance(ctx.raw, dict) else None
    for name in blocks:
        if name not in used:
            yield RULE.at(
                ctx,
                mark_of(raw_blocks, name, of_key=True),
                f"block '{name}' is defined but no layer uses it (type: {name})",
                name,
            )

"""Input rows or columns that no window ever covers: the floor in `(n + 2p - f)/s + 1`.

When `(n + 2p - f)` is not a multiple of the stride, the last windows do not fit and
the output size is rounded down; the input pixels past the last window silently never
reach the output. The message names them (0-based) and shows the arithmetic. Pad the
input, or pick a kernel and stride that tile it (or `ceil_mode` for pooling). Layers
whose stride exceeds their window (a strided 1x1 projection) skip pixels between
windows by design and are not reported.

PASS:

    name: tiles
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 8, kernel: 4, stride: 2, padding: 1}

FAIL:

    name: drops
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 8, kernel: 5, stride: 2}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnncalc.engine import Node
from cnncalc.findings import Finding
from cnncalc.layers.api import Window
from cnncalc.rules import Context, Rule, label, subject

RULE = Rule("CNC104", "floor-drops-pixels", "warning")

AXIS_WORDS = {1: ("positions",), 2: ("rows", "columns"), 3: ("depth slices", "rows", "columns")}


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def dropped(node: Node) -> list[str]:
    """One explanation per spatial axis that loses input pixels; axes alike share one."""
    layer: Any = node.layer
    if layer is None or getattr(layer, "ceil_mode", False) or not callable(getattr(layer, "pads", None)):
        return []
    if not node.inputs:
        return []
    x = node.inputs[0]
    window = layer.window(node.inputs)
    if not isinstance(window, Window) or not x.spatial or node.output.axes != x.axes:
        return []
    pads = layer.pads(x)
    words = AXIS_WORDS.get(len(x.spatial), ())
    out: list[tuple[str, str]] = []
    for axis, (n, o, f, s, d, (before, after)) in enumerate(
        zip(x.spatial, node.output.spatial, window.kernel, window.stride, window.dilation, pads, strict=False)
    ):
        step = int(s)
        reach = d * (f - 1) + 1
        extent = n + before + after
        if step != s or (extent - reach) // step + 1 != o:
            continue  # not a plain sliding window (transposed, upsampling): no floor to check
        if step > reach:
            continue  # windows leave gaps anyway (a strided 1x1 projection); the last one is no news
        first = (o - 1) * step + reach - before  # first input index no window covers
        if first >= n:
            continue  # only padding is left over
        pad = f"{before + after}" if before == after else f"{before}+{after}"
        exact = (extent - reach) / step + 1
        word = words[axis] if axis < len(words) else f"axis {axis} positions"
        detail = (
            f"{_span(first, n - 1)} (0-based, of {n}) never reach the output: "
            f"({n} + {pad} - {reach})/{step} + 1 = {exact:g} floors to {o}"
        )
        if out and out[-1][1] == detail:
            out[-1] = (f"{out[-1][0]} and {word}", detail)
        else:
            out.append((word, detail))
    return [f"input {words} {detail}" for words, detail in out]


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.layer_nodes:
        parts = dropped(node)
        if parts:
            yield RULE.at(ctx, node.mark, f"{label(node)}: " + "; ".join(parts), subject(ctx.trace, node))

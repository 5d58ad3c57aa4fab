"""`padding: same` that cannot pad both sides equally (an even kernel, or a stride).

`same` needs `(ceil(n/s) - 1)*s + f - n` padding in all; when that is odd, the extra
pixel goes bottom/right (TensorFlow's and PyTorch's rule), the output is shifted by half
a pixel, and a PyTorch port needs an explicit pad layer (`nn.Conv2d(padding='same')`
refuses strides). An even kernel pads unequally at stride 1: prefer an odd one, or
explicit padding. An odd kernel pads unequally only through a stride, on some input
sizes: explicit padding `(f - 1)/2` gives the same `ceil(n/s)` outputs with centred
windows.

PASS:

    name: odd
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 8, kernel: 3, padding: same}

FAIL:

    name: even
    input: {h: 32, w: 32, c: 3}
    layers:
      - {type: conv, filters: 8, kernel: 4, padding: same}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnncalc.engine import Node
from cnncalc.findings import Finding
from cnncalc.layers.api import Window
from cnncalc.rules import Context, Rule, label, subject

RULE = Rule("CNC105", "asymmetric-same-padding", "warning")

AXIS_WORDS = {1: ("positions",), 2: ("rows", "columns"), 3: ("depth slices", "rows", "columns")}
SIDES = {1: (("left", "right"),), 2: (("top", "bottom"), ("left", "right"))}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.layer_nodes:
        layer: Any = node.layer
        if getattr(layer, "padding", None) != "same" or not callable(getattr(layer, "pads", None)):
            continue
        pads = layer.pads(node.inputs[0])
        if all(before == after for before, after in pads):
            continue
        sides = SIDES.get(len(pads), tuple(("before", "after") for _ in pads))
        parts = [
            f"{before} {a} and {after} {b}"
            for (before, after), (a, b) in zip(pads, sides, strict=False)
            if before != after
        ]
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)}: padding: same pads {', '.join(parts)} because of {_cause(node, pads)}",
            subject(ctx.trace, node),
        )


def _cause(node: Node, pads: tuple[tuple[int, int], ...]) -> str:
    """Why the padding is odd, and the advice that fits: an even kernel, or the stride on that size."""
    shifted = "asymmetric, shifting the output half a pixel"
    window = node.layer.window(node.inputs) if node.layer is not None else None
    x = node.inputs[0]
    if not isinstance(window, Window) or len(window.kernel) != len(pads) or len(x) != len(pads) + 1:
        return f"the kernel or the stride: {shifted}; use explicit padding"
    words = AXIS_WORDS.get(len(pads), ())
    even, dilated = False, False
    strided: list[str] = []
    explicit: list[int] = []
    for axis, (n, f, s, d, (before, after)) in enumerate(
        zip(x.spatial, window.kernel, window.stride, window.dilation, pads, strict=True)
    ):
        reach = d * (f - 1) + 1
        # An odd reach pads (reach - 1)/2 each side to the same ceil(n/s) outputs, windows centred.
        explicit.append((reach - 1) // 2 if reach % 2 else before)
        if before == after:
            continue
        if reach % 2 == 0:
            even = True  # at stride 1 the total is reach - 1: odd
        else:
            word = words[axis] if axis < len(words) else f"axis {axis} positions"
            dilated = dilated or f % 2 == 0  # an even kernel dilated to an odd span
            cause = f"the stride {int(s)} on {n}"
            if strided and strided[-1].startswith(cause + " "):
                strided[-1] += f" and {word}"  # rows and columns alike: one cause
            else:
                strided.append(f"{cause} {word}")
    if even:
        why = " and ".join(["an even kernel", *strided])
        return f"{why}: {shifted}; use an odd kernel or explicit padding"
    same = len(set(explicit)) == 1
    padding = str(explicit[0]) if same else "[" + ", ".join(str(p) for p in explicit) + "]"
    return (
        f"{' and '.join(strided)} ({'its dilated span' if dilated else 'the kernel'} is odd): {shifted}; "
        f"explicit padding: {padding} gives the same output size with centred windows"
    )

"""`padding: same` that cannot pad both sides equally (an even kernel, or a stride).

`same` needs `(ceil(n/s) - 1)*s + f - n` padding in all; when that is odd, the extra
pixel goes bottom/right (TensorFlow's and PyTorch's rule), the output is shifted by half
a pixel, and a PyTorch port needs an explicit pad layer (`nn.Conv2d(padding='same')`
refuses strides). Prefer an odd kernel, or explicit padding.

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

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, label, subject

RULE = Rule("CNC105", "asymmetric-same-padding", "warning")

SIDES = {1: (("left", "right"),), 2: (("top", "bottom"), ("left", "right"))}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.nodes[1:]:
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
        kernel = getattr(layer, "kernel", None)
        kernels = kernel if isinstance(kernel, list) else [kernel]
        why = "an even kernel" if any(isinstance(k, int) and k % 2 == 0 for k in kernels) else "the stride"
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)}: padding: same pads {', '.join(parts)} because of {why}: "
            "asymmetric, shifting the output half a pixel; use an odd kernel or explicit padding",
            subject(ctx.trace, node),
        )

"""Softmax or sigmoid anywhere but the output: it squashes what later layers see.

A softmax or sigmoid belongs on the last layer (and losses such as PyTorch's
`CrossEntropyLoss` want logits, so often not even there). A sigmoid that only feeds a
`multiply`, the gate of squeeze-and-excitation, is fine.

PASS:

    name: classifier
    input: {features: 64}
    layers:
      - {type: dense, units: 32, activation: relu}
      - {type: dense, units: 10, activation: softmax}

FAIL:

    name: early
    input: {features: 64}
    layers:
      - {type: dense, units: 32, activation: softmax}
      - {type: dense, units: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, applied_activation, has, label, subject

RULE = Rule("CNC109", "misplaced-softmax", "warning")


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    readers = ctx.consumers()
    for node in ctx.trace.layer_nodes:
        own = has(node, "probabilities")
        applied = applied_activation(node)
        squashing = node.layer if own else applied
        if squashing is None or "probabilities" not in squashing.traits:
            continue
        after = readers.get(node.index, [])
        if not after:
            continue  # an output of the network
        if "elementwise" in squashing.traits and all(has(n, "gating") for n in after):
            continue  # a gate, as in squeeze-and-excitation
        what = "its own output" if own else f"activation: {getattr(node.layer, 'activation', '')}"
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)}: {what} is not the network's output; it feeds {label(after[0])}"
            + (f" and {len(after) - 1} more" if len(after) > 1 else ""),
            subject(ctx.trace, node),
        )

"""Two dense layers with no activation between them: they collapse into one.

`W2 (W1 x + b1) + b2` is the single linear map `(W2 W1) x + (W2 b1 + b2)`: without a
nonlinearity between them the second layer adds parameters and MACs but no capacity
(a deliberate low-rank bottleneck is the exception: suppress it there).

PASS:

    name: mlp
    input: {features: 64}
    layers:
      - {type: dense, units: 32, activation: relu}
      - {type: dense, units: 10}

FAIL:

    name: linear
    input: {features: 64}
    layers:
      - {type: dense, units: 32}
      - {type: dense, units: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.engine import Node, Trace
from cnncalc.findings import Finding
from cnncalc.rules import Context, Rule, count, label, subject

RULE = Rule("CNC107", "dense-without-activation", "warning")

# Linear in their input at inference: they do not separate two dense layers.
TRANSPARENT = {"dropout", "identity", "flatten"}


def _previous_dense(trace: Trace, node: Node) -> Node | None:
    current = node
    while len(current.sources) == 1:
        current = trace.nodes[current.sources[0]]
        if current.kind == "dense":
            return current if not getattr(current.layer, "activation", None) else None
        if current.kind not in TRANSPARENT:
            return None
    return None


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.nodes[1:]:
        if node.kind != "dense":
            continue
        first = _previous_dense(ctx.trace, node)
        if first is None:
            continue
        n_in, hidden, n_out = first.inputs[0][-1], first.output[-1], node.output[-1]
        both = first.params.total + node.params.total
        one = n_in * n_out + n_out
        yield RULE.at(
            ctx,
            node.mark,
            f"{label(node)} follows {label(first)} with no activation between them: together one linear "
            f"map {n_in} -> {n_out} ({count(both)} params through {hidden} units, where one dense layer "
            f"holds {count(one)}); add an activation or merge them",
            subject(ctx.trace, node),
        )

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
from cnncalc.rules import Context, Rule, applied_activation, count, has, label, subject

RULE = Rule("CNC107", "dense-without-activation", "warning")


def _previous_dense(trace: Trace, node: Node) -> Node | None:
    """The fully-connected layer before `node` with only shape-only layers between, if it
    applies no activation of its own."""
    current = node
    while len(current.sources) == 1:
        current = trace.nodes[current.sources[0]]
        if has(current, "fully-connected"):
            return current if applied_activation(current) is None else None
        if not has(current, "shape-only"):
            return None
    return None


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.trace is None:
        return
    for node in ctx.trace.layer_nodes:
        if not has(node, "fully-connected"):
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

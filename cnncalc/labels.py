"""How cnncalc names a node to a person: every label of a layer is made here.

A layer's `name:` is its label wherever it has one. An unnamed layer is called by its
kind, numbered as each use needs:

- `label(node)`, `conv 'CONV2'` or `conv`: the layer as a sentence mentions it
  (rule messages).
- `numbered(node)`, `#3 CONV2 (conv)` or `#3 (conv)`: with its row in the table
  (verification reports, whose rows follow the table's).
- `subject(trace, node)`, `CONV2` or `conv#2` (the second conv of the network): what a
  finding is about, kept in its fingerprint, so it must not depend on line numbers.
- `keys(trace)`, `CONV2` or `bottleneck.1/conv#2` (the second conv inside that block):
  what matches a layer across two versions of a spec (diff), so that an edit in one
  block does not renumber the layers of every other block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnncalc.engine import Node, Trace


def label(node: Node) -> str:
    """`conv 'CONV2'`, or the bare kind for an unnamed layer."""
    return f"{node.kind} '{node.name}'" if node.name else node.kind


def numbered(node: Node) -> str:
    """`#3 CONV2 (conv)`, or `#3 (conv)` for an unnamed layer."""
    return f"#{node.index} {node.name} ({node.kind})" if node.name else f"#{node.index} ({node.kind})"


def subject(trace: Trace, node: Node) -> str:
    """Its name, else `kind#k`: the k-th layer of that kind in the whole network."""
    if node.name:
        return node.name
    k = sum(1 for n in trace.nodes[: node.index + 1] if n.kind == node.kind)
    return f"{node.kind}#{k}"


def keys(trace: Trace) -> list[str]:
    """One key per node: its name, else `<innermost block>/<kind>#<k>`, k counting that
    kind within the block (`conv#2` outside any block)."""
    out = []
    counts: dict[tuple[int | None, str], int] = {}
    for node in trace.nodes:
        if node.name:
            out.append(node.name)
            continue
        group = node.groups[-1] if node.groups else None
        counts[group, node.kind] = counts.get((group, node.kind), 0) + 1
        prefix = f"{trace.groups[group].label}/" if group is not None else ""
        out.append(f"{prefix}{node.kind}#{counts[group, node.kind]}")
    return out

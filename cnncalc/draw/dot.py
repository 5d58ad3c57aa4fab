"""Graphviz DOT: `cnncalc draw SPEC --format dot | dot -Tpng > net.png`.

Labels are HTML-like (`<...>`), every piece of text escaped as HTML, so that a name with
quotes, angle brackets, braces or backslashes reaches the picture as written; ids are
made by `graph.py` and never hold a user's text.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from cnncalc.draw.graph import Box, Cluster, Diagram, build, fill
from cnncalc.report import View

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis

FONT = "Helvetica"


def text(value: str) -> str:
    """Text for inside an HTML-like label: `&`, `<`, `>`, quotes as entities. `]`, `{`,
    `\\` need nothing there; characters Graphviz's HTML parser would read as markup are
    exactly those html.escape writes as entities."""
    return escape(value, quote=True)


def box_label(box: Box) -> str:
    small = "<br/>".join(text(line) for line in (box.shape, box.figures) if line)
    lines = [
        f"<b>{text(box.heading)}</b>",
        *([text(box.detail)] if box.detail else []),
        f"<font point-size='9'>{small}</font>",
    ]
    return "<" + "<br/>".join(lines) + ">"


def render(analysis: Analysis, view: View, rankdir: str = "TB") -> str:
    return write(build(analysis, view), rankdir)


def write(diagram: Diagram, rankdir: str = "TB") -> str:
    lines = [
        "digraph cnncalc {",
        f"  rankdir={rankdir};",
        f"  graph [fontname={FONT}, fontsize=11, labelloc=t, nodesep=0.25, ranksep=0.25, "
        f"label=<{'<br/>'.join(f'<b>{text(line)}</b>' for line in diagram.title.splitlines())}>];",
        f'  node [shape=box, style="rounded,filled", fontname={FONT}, fontsize=10, margin="0.12,0.05"];',
        f'  edge [fontname={FONT}, fontsize=8, color="#555555", arrowsize=0.6];',
    ]
    by_id = {b.id: b for b in diagram.boxes}
    branches: dict[str | None, list[list[str]]] = {}
    for cluster_id, heads in diagram.branches():
        branches.setdefault(cluster_id, []).append(heads)
    for item in diagram.top:
        if item in diagram.clusters:
            lines += _cluster(diagram, diagram.clusters[item], by_id, branches, "  ")
        else:
            lines.append("  " + _box(diagram, by_id[item]))
    lines += _in_order(branches.get(None, []), "  ")
    for arrow in diagram.arrows:
        lines.append(f"  {arrow.source} -> {arrow.target} [label=<{text(arrow.shape)}>];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _box(diagram: Diagram, box: Box) -> str:
    extra = ", peripheries=2" if box.layers > 1 else ""  # a collapsed block: a double border
    return f'{box.id} [label={box_label(box)}, fillcolor="{fill(diagram.shade(box))}"{extra}];'


def _in_order(branches: list[list[str]], indent: str) -> list[str]:
    """Branches side by side in the spec's order: Graphviz's `ordering=out` is not kept inside
    clusters, a row of invisible arrows on one rank is."""
    return [f"{indent}{{rank=same; {' -> '.join(heads)} [style=invis];}}" for heads in branches]


def _cluster(
    diagram: Diagram, cluster: Cluster, by_id: dict[str, Box], branches: dict[str | None, list[list[str]]], indent: str
) -> list[str]:
    inner = indent + "  "
    lines = [
        f"{indent}subgraph cluster_{cluster.id} {{",
        f'{inner}label=<{text(cluster.heading)}>; style="rounded,dashed"; color="#888888"; labeljust=l;',
    ]
    for item in cluster.items:
        if item in diagram.clusters:
            lines += _cluster(diagram, diagram.clusters[item], by_id, branches, inner)
        else:
            lines.append(inner + _box(diagram, by_id[item]))
    lines += _in_order(branches.get(cluster.id, []), inner)
    lines.append(f"{indent}}}")
    return lines

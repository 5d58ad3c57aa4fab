"""Mermaid flowchart: paste into a README or pull request, where GitHub and GitLab draw it.

Every piece of a user's text goes into a quoted label with the characters Mermaid would
read as syntax or markup written as its entity codes (`#quot;`, `#lt;`, `#35;`), so that
a layer named `a"b<c>]` is drawn as named; ids are made by `graph.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.draw.graph import Box, Cluster, Diagram, build, fill
from cnncalc.report import View

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis

# Mermaid decodes `#name;` and `#123;` inside labels; `#` itself must be coded first.
_CODES = {"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;", "`": "#96;"}
_CODES |= {c: f"#{ord(c)};" for c in "|[]{}\\*_~"}  # brackets, pipes; markdown's emphasis


SHADES = 6


def text(value: str) -> str:
    return "".join(_CODES.get(c, c) for c in value)


def box_label(box: Box) -> str:
    lines = [f"<b>{text(box.heading)}</b>", *(text(line) for line in (box.detail, box.shape, box.figures) if line)]
    return '"' + "<br>".join(lines) + '"'


# Mermaid's defaults, which GitHub keeps: a longer text or more edges is not drawn at all.
MAX_TEXT, MAX_EDGES = 50_000, 500


def over_limits(text: str) -> str | None:
    """What of Mermaid's default limits `text` passes, for a note; None within them."""
    over = [f"{len(text):,} characters (at most {MAX_TEXT:,})"] if len(text) > MAX_TEXT else []
    edges = text.count("-->")
    over += [f"{edges:,} edges (at most {MAX_EDGES:,})"] if edges > MAX_EDGES else []
    return " and ".join(over) or None


def render(analysis: Analysis, view: View, rankdir: str = "TB") -> str:
    return write(build(analysis, view), rankdir)


def write(diagram: Diagram, rankdir: str = "TB", styles: dict[str, str] | None = None) -> str:
    """The flowchart; `styles` overrides a box's fill (diff colours boxes by change)."""
    lines = [f"flowchart {rankdir}"]
    by_id = {b.id: b for b in diagram.boxes}
    for item in diagram.top:  # in the spec's order, which Mermaid's layout follows
        if item in diagram.clusters:
            lines += _cluster(diagram, diagram.clusters[item], by_id, "  ")
        else:
            lines.append(f"  {item}[{box_label(by_id[item])}]{_shade(diagram, by_id[item])}")
    for arrow in diagram.arrows:
        lines.append(f'  {arrow.source} -->|"{text(arrow.shape)}"| {arrow.target}')
    # Shades as a few classes rather than a style line per box: Mermaid refuses a diagram
    # over 50,000 characters, and DenseNet-121 has 430 boxes.
    for level in range(SHADES):
        lines.append(f"  classDef s{level} fill:{fill(level / (SHADES - 1))},stroke:#555555")
    for box_id, style in (styles or {}).items():
        lines.append(f"  style {box_id} {style}")
    return "\n".join(lines) + "\n"


def _shade(diagram: Diagram, box: Box) -> str:
    return f":::s{round(diagram.shade(box) * (SHADES - 1))}"


def _cluster(diagram: Diagram, cluster: Cluster, by_id: dict[str, Box], indent: str) -> list[str]:
    inner = indent + "  "
    lines = [f'{indent}subgraph {cluster.id} ["{text(cluster.heading)}"]']
    for item in cluster.items:
        if item in diagram.clusters:
            lines += _cluster(diagram, diagram.clusters[item], by_id, inner)
        else:
            lines.append(f"{inner}{item}[{box_label(by_id[item])}]{_shade(diagram, by_id[item])}")
    lines.append(f"{indent}end")
    return lines

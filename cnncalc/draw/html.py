"""A self-contained HTML page, for CI artifacts: the diagram (SVG inline) and the table.

The table folds what the drawing folds (`layers.1 … 32 ×32`, one row) and marks the numbers
the spec's `expect:` claims, as the terminal's table does. Nothing is fetched when it opens:
no scripts, no fonts, no stylesheets from elsewhere.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from cnncalc.draw import dot, svg
from cnncalc.draw.graph import Diagram, build
from cnncalc.layers.api import Params, prod
from cnncalc.report import Row, View, claims_for, count, rows, summary_lines, title

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; }
figure { margin: 0 0 1.5em 0; overflow: auto; border: 1px solid #ddd; padding: 0.5em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.block td { font-weight: bold; background: #f6f6f6; }
ul { font-size: 0.85em; }
"""


def render(analysis: Analysis, view: View, rankdir: str = "TB") -> str:
    diagram = build(analysis, view)
    picture = svg.to_svg(dot.write(diagram, rankdir))
    # The XML prolog and doctype belong to a file of its own, not inside a page.
    picture = re.sub(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", picture)
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(analysis.trace.spec.name)} · cnncalc</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title(analysis, view))}</h1>",
        f"<figure>{picture}</figure>",
        _table(analysis, view, diagram),
        "<ul>",
        *(
            f"<li><b>{escape(h)}</b> {escape(t)}</li>" if h else f"<li>{escape(t)}</li>"
            for h, t in summary_lines(analysis, view)
        ),
        "</ul>",
        "</body>",
        "</html>",
    ]
    return "\n".join(page) + "\n"


def _folded(analysis: Analysis, view: View, diagram: Diagram) -> list[tuple[Row, bool]]:
    """The table's rows, each run the drawing folds into one box merged into one row (True)."""
    runs: dict[str, list[Row]] = {}  # a box of the drawing -> its rows, in order (dicts keep it)
    for row in rows(analysis, view):
        box = f"n{row.node.index}" if row.node is not None else f"g{row.group}"
        runs.setdefault(diagram.folded.get(box, box), []).append(row)
    heads = {b.id: b for b in diagram.boxes if b.copies > 1}
    out: list[tuple[Row, bool]] = []
    for box, run in runs.items():
        head = heads.get(box)
        if head is None:
            out.extend((row, False) for row in run)
            continue
        first, last = run[0], run[-1]
        merged = Row(
            index=f"{first.index.split('-')[0]}-{last.index.split('-')[-1]}",
            name=head.heading,
            kind=head.kind,
            summary=head.summary,
            output=last.output,
            params=sum((r.params for r in run), Params()),
            macs=sum(r.macs for r in run),
            rf=last.rf,
            level=first.level,
            node=None,
        )
        out.append((merged, True))
    return out


def _claimed(text: str, row: Row, field: str, analysis: Analysis, folded: bool) -> str:
    """A number with ✓, or ✗ and the claimed number, when the spec's `expect:` claims it; a
    folded row adds up copies, and a claim is about one of them: no mark."""
    claim = None if folded else claims_for(analysis, row).get(field)
    if claim is None:
        return text
    if claim.confirmed:
        return f"{text} ✓"
    return f"{text} ✗" if field == "shape" else f"{text} ✗ claimed {count(claim.claimed)}"


def _table(analysis: Analysis, view: View, diagram: Diagram) -> str:
    batch = analysis.trace.batch
    head = [
        "#",
        "layer",
        "type",
        "hyperparameters",
        f"output {view.layout_label(analysis.trace)}",
        "size",
        "params",
        "MACs",
        "RF",
    ]
    numeric = {0, 5, 6, 7, 8}
    lines = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for row, folded in _folded(analysis, view, diagram):
        cells = [
            row.index,
            "\u00a0\u00a0" * row.level + row.name,
            row.kind,
            row.summary,
            _claimed(view.output_text(analysis.trace, row.node, row.output), row, "shape", analysis, folded),
            count(prod(row.output)),
            _claimed(count(row.params.total), row, "params", analysis, folded),
            # Claims are per sample: at another batch the cell is not what was claimed.
            _claimed(count(row.macs * batch), row, "macs", analysis, folded or batch != 1),
            row.rf,
        ]
        css = ' class="block"' if row.node is None else ""
        tds = "".join(
            f'<td class="n">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>" for i, c in enumerate(cells)
        )
        lines.append(f"<tr{css}>{tds}</tr>")
    lines.append("</table>")
    return "\n".join(lines)

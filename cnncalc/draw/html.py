"""A self-contained HTML page, for CI artifacts: the diagram (SVG inline) and the table.

Nothing is fetched when it opens: no scripts, no fonts, no stylesheets from elsewhere.
"""

from __future__ import annotations

import re
from html import escape

from cnncalc.draw import svg
from cnncalc.layers._base import prod
from cnncalc.report import Report, count, rows, summary_lines, title

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


def render(report: Report, rankdir: str = "TB") -> str:
    picture = svg.render(report, rankdir)
    # The XML prolog and doctype belong to a file of its own, not inside a page.
    picture = re.sub(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", picture)
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(report.trace.spec.name)} · cnncalc</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title(report))}</h1>",
        f"<figure>{picture}</figure>",
        _table(report),
        "<ul>",
        *(
            f"<li><b>{escape(h)}</b> {escape(t)}</li>" if h else f"<li>{escape(t)}</li>"
            for h, t in summary_lines(report)
        ),
        "</ul>",
        "</body>",
        "</html>",
    ]
    return "\n".join(page) + "\n"


def _table(report: Report) -> str:
    batch = report.trace.batch
    head = ["#", "layer", "type", "hyperparameters", f"output {report.layout_label()}", "size", "params", "MACs", "RF"]
    numeric = {0, 5, 6, 7, 8}
    lines = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for row in rows(report):
        cells = [
            row.index,
            "\u00a0\u00a0" * row.level + row.name,
            row.kind,
            row.summary,
            report.shape_text(row.output),
            count(prod(row.output)),
            count(row.params.total),
            count(row.macs * batch),
            row.rf,
        ]
        css = ' class="block"' if row.node is None else ""
        tds = "".join(
            f'<td class="n">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>" for i, c in enumerate(cells)
        )
        lines.append(f"<tr{css}>{tds}</tr>")
    lines.append("</table>")
    return "\n".join(lines)

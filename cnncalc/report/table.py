"""The human table (rich): the course's columns first, then what the course leaves out.

Colour only at a terminal without NO_COLOR; piped, the same table in plain characters.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.engine import Node
from cnncalc.layers._base import prod
from cnncalc.report import Report, count, rows, summary_lines, title

if TYPE_CHECKING:
    from cnncalc.verify import Verification

BAR_WIDTH = 6
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells filled to `share` (0..1), in eighths of a cell."""
    eighths = round(max(0.0, min(share, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(width)


def _cell(value: int, node: Node | None, field: str, report: Report) -> Text:
    text = Text(count(value))
    claim = report.claims_for(node).get(field) if node else None
    if claim is not None:
        if claim.confirmed:
            text.append(" ✓", style="green")
        else:
            text.append(f" ✗ claimed {count(claim.claimed)}", style="bold red")
    return text


def _verified(checked: Verification, node: Node | None) -> Text:
    from cnncalc.report.verification import row_mark

    mark = row_mark(checked, node.index) if node is not None else ""
    return Text(mark, style="green" if mark == "✓" else "bold red")


def render(report: Report) -> str:
    trace, totals = report.trace, report.totals
    batch = trace.batch
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, padding=(0, 1))
    table.add_column("#", justify="right", style="dim")
    table.add_column("layer")
    table.add_column("type")
    table.add_column("hyperparameters")
    table.add_column(f"output {report.layout_label()}")
    table.add_column("size", justify="right")
    table.add_column("params", justify="right")
    table.add_column("MACs", justify="right")
    table.add_column("RF", justify="right")
    table.add_column("params·MACs share")
    checked = report.verification
    if checked is not None:
        table.add_column("PyTorch")
    total_params = max(totals.params.total, 1)
    total_macs = max(sum(n.macs for n in trace.nodes), 1)
    for row in rows(report):
        p_share, m_share = row.params.total / total_params, row.macs / total_macs
        style = "dim" if row.node is None else ("bold" if max(p_share, m_share) >= 0.25 else None)
        node = row.node
        shape_cell = Text(report.shape_text(row.output))
        claim = report.claims_for(node).get("shape") if node else None
        if claim is not None:
            shape_cell.append(" ✓" if claim.confirmed else " ✗", style="green" if claim.confirmed else "bold red")
        table.add_row(
            row.index,
            "  " * row.level + row.name,
            row.kind,
            row.summary,
            shape_cell,
            count(prod(row.output)),
            _cell(row.params.total, node, "params", report),
            _cell(row.macs * batch, node, "macs", report),
            row.rf,
            Text(bar(p_share) + " " + bar(m_share), style="cyan"),
            *([] if checked is None else [_verified(checked, node)]),
            style=style,
        )
    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=report.color,
        no_color=not report.color,
        color_system="standard" if report.color else None,
        width=report.width or 240,
        highlight=False,
        emoji=False,
    )
    console.print(Text(title(report), style="bold"))
    console.print()
    console.print(table)
    console.print()
    for heading, text in summary_lines(report):
        console.print(Text(f"{heading:<8} ", style="bold") + Text(text))
    # rich pads every cell; a pipe or a file wants no trailing blanks.
    return "\n".join(line.rstrip() for line in out.getvalue().split("\n"))

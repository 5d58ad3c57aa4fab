"""Markdown: the table as GitHub renders it, for READMEs and `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

import io
from typing import TextIO

from cnncalc.layers.api import prod
from cnncalc.report import Report, count, rows, summary_lines, title


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO) -> None:
    """Line by line: a big network's lines are never held whole."""
    batch = report.trace.batch
    out.write(
        f"**{_escape(title(report))}**\n\n"
        f"| # | layer | type | hyperparameters | output {report.layout_label()} | size | params | MACs | RF |\n"
        "|--:|---|---|---|---|--:|--:|--:|--:|\n"
    )
    for row in rows(report):
        name = "&nbsp;&nbsp;" * row.level + _escape(row.name)
        if row.node is None:
            name = f"**{name}**"
        out.write(
            f"| {row.index} | {name} | {row.kind} | {_escape(row.summary)} | "
            f"{report.shape_text(row.output)} | {count(prod(row.output))} | {count(row.params.total)} | "
            f"{count(row.macs * batch)} | {row.rf} |\n"
        )
    out.write("\n")
    for heading, text in summary_lines(report):
        out.write((f"- **{heading}** {_escape(text)}" if heading else f"- {_escape(text)}") + "\n")

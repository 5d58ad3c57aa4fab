"""Markdown: the table as GitHub renders it, for READMEs and `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

from cnncalc.layers._base import prod
from cnncalc.report import Report, count, rows, summary_lines, title


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(report: Report) -> str:
    batch = report.trace.batch
    lines = [
        f"**{_escape(title(report))}**",
        "",
        f"| # | layer | type | hyperparameters | output {report.layout_label()} | size | params | MACs | RF |",
        "|--:|---|---|---|---|--:|--:|--:|--:|",
    ]
    for row in rows(report):
        name = "&nbsp;&nbsp;" * row.level + _escape(row.name)
        if row.node is None:
            name = f"**{name}**"
        lines.append(
            f"| {row.index} | {name} | {row.kind} | {_escape(row.summary)} | "
            f"{report.shape_text(row.output)} | {count(prod(row.output))} | {count(row.params.total)} | "
            f"{count(row.macs * batch)} | {row.rf} |"
        )
    lines.append("")
    for heading, text in summary_lines(report):
        lines.append(f"- **{heading}** {_escape(text)}" if heading else f"- {_escape(text)}")
    return "\n".join(lines) + "\n"

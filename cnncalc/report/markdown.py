"""Markdown: the table as GitHub renders it, for READMEs and `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

from cnncalc.report import Report, count, rf_text, summary_lines, title


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
    for node in report.trace.nodes:
        lines.append(
            f"| {node.index} | {_escape(node.name)} | {node.kind} | {_escape(node.summary)} | "
            f"{report.shape_text(node.output)} | {count(node.output_size)} | {count(node.params.total)} | "
            f"{count(node.macs * batch)} | {rf_text(node)} |"
        )
    lines.append("")
    for heading, text in summary_lines(report):
        lines.append(f"- **{heading}** {_escape(text)}" if heading else f"- {_escape(text)}")
    return "\n".join(lines) + "\n"

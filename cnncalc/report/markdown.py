"""Markdown: the table as GitHub renders it, for READMEs and `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, TextIO

from cnncalc.layers.api import prod
from cnncalc.report import View, count, rows, source_of, summary_lines, title

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis


# Distinct rows whose cells `write` remembers as text.
REMEMBERED = 4096


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(analysis: Analysis, view: View) -> str:
    out = io.StringIO()
    write(analysis, view, out)
    return out.getvalue()


def write(analysis: Analysis, view: View, out: TextIO) -> None:
    """Line by line: a big network's lines are never held whole."""
    batch = analysis.trace.batch
    axes = view.layout_label(analysis.trace)
    out.write(
        f"**{_escape(title(analysis, view))}**\n\n"
        f"| # | layer | type | hyperparameters | output {axes} | size | params | MACs | RF |\n"
        "|--:|---|---|---|---|--:|--:|--:|--:|\n"
    )
    # The cells after the name depend on what a row's layer is, not on where it sits, and a
    # long network repeats a few such layers: their text is made once for each (up to REMEMBERED).
    alike: dict[tuple[object, ...], str] = {}
    for row in rows(analysis, view):
        name = "&nbsp;&nbsp;" * row.level + _escape(row.name)
        if row.node is None:
            name = f"**{name}**"
        # A shape by identity: the trace holds every one, and shares one object among equal ones;
        # the input's too, which decides whether a reorder is shown (View.output_text).
        source = source_of(analysis.trace, row.node)
        key = (row.kind, row.summary, id(row.output), source, row.params.total, row.macs, row.rf)
        rest = alike.get(key)
        if rest is None:
            shown = view.output_text(analysis.trace, row.node, row.output)
            rest = (
                f"{row.kind} | {_escape(row.summary)} | {shown} | {count(prod(row.output))} | "
                f"{count(row.params.total)} | {count(row.macs * batch)} | {row.rf} |\n"
            )
            if len(alike) < REMEMBERED:
                alike[key] = rest
        out.write(f"| {row.index} | {name} | {rest}")
    out.write("\n")
    for heading, text in summary_lines(analysis, view):
        out.write((f"- **{heading}** {_escape(text)}" if heading else f"- {_escape(text)}") + "\n")

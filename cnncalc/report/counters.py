"""`cnncalc counters`: one row per counting tool, as text, JSON or Markdown."""

from __future__ import annotations

import json

from cnncalc.conventions.compare import Row
from cnncalc.engine import Trace


def _count(row: Row) -> str:
    return "not defined" if row.count is None else f"{row.count:,}"


def _title(trace: Trace) -> str:
    return f"{trace.spec.name} · {trace.path} · per sample"


# Narrower than this, the why column goes under each row rather than beside it.
MIN_WHY = 40


def text(trace: Trace, rows: list[Row], width: int | None = None) -> str:
    """One line a counter; within `width` (a terminal's) the why wraps in its column, or,
    where the column would be too narrow, on indented lines under its row."""
    from cnncalc.fit import GAP, wrap

    header = ("counter", "count", "unit", "vs cnncalc", "why")
    body = [(r.name, _count(r), r.unit, r.versus, r.why) for r in rows]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(4)]
    start = sum(widths) + GAP * 4  # where the why column starts
    beside = width is None or width - start >= MIN_WHY
    lines = [*wrap(_title(trace), width, indent="  "), ""]
    for line in (header, *body):
        cells = [line[0].ljust(widths[0]), line[1].rjust(widths[1]), line[2].ljust(widths[2]), line[3].ljust(widths[3])]
        left = "  ".join(cells) + "  "
        if beside:
            lines += [wrapped.rstrip() for wrapped in wrap(line[4], width, indent=" " * start, first=left)]
        else:  # the header's "why" goes where each row's does, on the line under it
            lines.append(left.rstrip())
            lines += wrap(line[4], width, indent="    ", first="    ")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(trace: Trace, rows: list[Row]) -> str:
    lines = [f"**{_title(trace)}**", "", "| counter | count | unit | vs cnncalc | why |", "|---|--:|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.name} | {_count(r)} | {r.unit} | {r.versus} | {_escape(r.why)} |")
    return "\n".join(lines) + "\n"


def json_text(trace: Trace, rows: list[Row]) -> str:
    document = {
        "name": trace.spec.name,
        "path": trace.path,
        "per": "sample",
        "counters": [
            {
                "name": r.name,
                "tool": r.tool,
                "unit": r.unit,
                "count": r.count,
                "difference": r.difference,
                "versus": r.versus,
                "why": r.why,
                "by_kind": r.by_kind,
            }
            for r in rows
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

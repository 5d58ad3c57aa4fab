"""Renderers for `cnncalc diff`: a table (rich, plain when piped), JSON, and Markdown for
`$GITHUB_STEP_SUMMARY`. `DIFF_FORMATS` drives the CLI's --format choices."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from typing import Any

from cnncalc.diff import Change, Diff, LayerChange
from cnncalc.report import count, short, size_text

SCHEMA_VERSION = 1
TOTAL_LABELS = {
    "params": "params",
    "macs": "MACs",
    "flops": "FLOPs",
    "memory": "activation memory",
    "weights": "weights memory",
}
BYTES = {"memory", "weights"}


def signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"{n:,}"


def percent_text(change: Change) -> str:
    p = change.percent
    if p is None:
        return ""
    if math.isinf(p):
        return "new"
    return f"{p:+.2f}%"


def _value(metric: str, n: int) -> str:
    return f"{count(n)} ({size_text(n)})" if metric in BYTES else f"{count(n)} ({short(n)})"


def _rows(diff: Diff, everything: bool) -> list[LayerChange]:
    return [r for r in diff.layers if everything or r.status != "same"]


def _type(row: LayerChange) -> str:
    a = row.old.kind if row.old else ""
    b = row.new.kind if row.new else ""
    return b if a == b or not a else (a if not b else f"{a} → {b}")


def _verdict_lines(diff: Diff) -> list[str]:
    lines = []
    for v in diff.verdicts:
        limit = f"+{v.threshold.amount:g}% = +{v.limit:,.0f}" if v.threshold.percent else f"+{v.limit:,.0f}"
        mark = "FAIL" if v.crossed else "ok"
        lines.append(f"{mark}  {v.threshold.text}: {v.threshold.metric} {signed(v.change.delta)}, at most {limit}")
    return lines


def render_table(diff: Diff, color: bool = False, everything: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, padding=(0, 1))
    for heading, justify in [
        ("layer", "left"),
        ("type", "left"),
        ("status", "left"),
        ("params", "right"),
        ("Δ params", "right"),
        ("MACs", "right"),
        ("Δ MACs", "right"),
        ("Δ activation bytes", "right"),
    ]:
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for row in _rows(diff, everything):
        style = {"added": "green", "removed": "red", "changed": "yellow"}.get(row.status)
        table.add_row(
            row.label,
            _type(row),
            row.status,
            count(row.params.new if row.new else row.params.old),
            signed(row.params.delta),
            count(row.macs.new if row.new else row.macs.old),
            signed(row.macs.delta),
            signed(row.memory.delta),
            style=style,
        )
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, width=10_000 if not color else None)
    console.print(f"{diff.old.spec.name} ({diff.old.path}) → {diff.new.spec.name} ({diff.new.path})")
    console.print()
    if table.row_count:
        console.print(table)
    else:
        console.print("no layer changed")
    console.print()
    totals = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, padding=(0, 1))
    for heading in ("total", "old", "new", "change", "%"):
        totals.add_column(heading, justify="left" if heading == "total" else "right")
    for metric, change in diff.total.items():
        totals.add_row(
            TOTAL_LABELS[metric], count(change.old), count(change.new), signed(change.delta), percent_text(change)
        )
    console.print(totals)
    for line in _verdict_lines(diff):
        console.print(line, style=("bold red" if line.startswith("FAIL") else "green") if color else None)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _change(change: Change) -> dict[str, Any]:
    p = change.percent
    return {
        "old": change.old,
        "new": change.new,
        "change": change.delta,
        "percent": None if p is None or math.isinf(p) else round(p, 4),
    }


def document(diff: Diff, everything: bool = True) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "old": {"name": diff.old.spec.name, "path": diff.old.path, "batch": diff.old.batch},
        "new": {"name": diff.new.spec.name, "path": diff.new.path, "batch": diff.new.batch},
        "total": {metric: _change(change) for metric, change in diff.total.items()},
        "layers": [
            {
                "name": row.label,
                "status": row.status,
                "old_index": row.old.index if row.old else None,
                "new_index": row.new.index if row.new else None,
                "old_type": row.old.kind if row.old else None,
                "new_type": row.new.kind if row.new else None,
                "params": _change(row.params),
                "macs": _change(row.macs),
                "activation_bytes": _change(row.memory),
            }
            for row in _rows(diff, everything)
        ],
        "thresholds": [
            {
                "rule": v.threshold.text,
                "metric": v.threshold.metric,
                "limit": v.limit,
                "change": v.change.delta,
                "crossed": v.crossed,
            }
            for v in diff.verdicts
        ],
        "failed": diff.failed,
    }


def render_json(diff: Diff, color: bool = False, everything: bool = False) -> str:
    return json.dumps(document(diff, everything=True), indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(diff: Diff, color: bool = False, everything: bool = False) -> str:
    lines = [f"### cnncalc diff: `{_md(diff.old.path)}` → `{_md(diff.new.path)}`", ""]
    lines += ["| total | old | new | change | % |", "|---|---:|---:|---:|---:|"]
    for metric, change in diff.total.items():
        lines.append(
            f"| {TOTAL_LABELS[metric]} | {_value(metric, change.old)} | {_value(metric, change.new)} "
            f"| {signed(change.delta)} | {percent_text(change)} |"
        )
    rows = _rows(diff, everything)
    lines.append("")
    if rows:
        lines += [
            "| layer | type | status | params | Δ params | MACs | Δ MACs | Δ activation bytes |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in rows:
            lines.append(
                f"| {_md(row.label)} | {_md(_type(row))} | {row.status} "
                f"| {count(row.params.new if row.new else row.params.old)} | {signed(row.params.delta)} "
                f"| {count(row.macs.new if row.new else row.macs.old)} | {signed(row.macs.delta)} "
                f"| {signed(row.memory.delta)} |"
            )
    else:
        lines.append("No layer changed.")
    from cnncalc.draw.changes import mermaid  # only Markdown draws

    drawn = mermaid(diff)
    if drawn is not None:
        lines += ["", "<details><summary>What changed, drawn</summary>", "", "```mermaid", drawn.rstrip(), "```"]
        lines += ["", "</details>"]
    if diff.verdicts:
        lines.append("")
        for v, text in zip(diff.verdicts, _verdict_lines(diff), strict=True):
            lines.append(f"- {'❌' if v.crossed else '✅'} {_md(text.split('  ', 1)[1])}")
    return "\n".join(lines) + "\n"


DiffRenderer = Callable[..., str]
DIFF_FORMATS: dict[str, DiffRenderer] = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
}

"""Renderers for `cnncalc diff`: a table (coloured at a terminal, plain when piped), JSON, and
Markdown for `$GITHUB_STEP_SUMMARY`, each listed in `cnncalc.output`."""

from __future__ import annotations

import json
import math
from typing import Any

from cnncalc.diff import Change, Diff, LayerChange
from cnncalc.fit import Step
from cnncalc.report import count, short, size_text

SCHEMA_VERSION = 1
TOTAL_LABELS = {
    "params": "params",
    "macs": "MACs",
    "flops": "FLOPs",
    "memory": "activation memory",
    "weights": "weights memory",
    "peak": "inference peak",
    "train_peak": "training peak",
}
BYTES = {"memory", "weights", "peak", "train_peak"}


def signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"{n:,}"


def signed_size(n: int) -> str:
    """A change in bytes in binary units: `+234.9 MiB`, `-80 B`."""
    return f"{'+' if n > 0 else '-' if n < 0 else ''}{size_text(abs(n))}"


def _total_texts(metric: str, change: Change) -> list[str]:
    """old, new and change as the terminal shows them: bytes in binary units, as `table` does."""
    if metric in BYTES:
        return [size_text(change.old), size_text(change.new), signed_size(change.delta)]
    return [count(change.old), count(change.new), signed(change.delta)]


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


# What goes first when a table is wider than the terminal; layer, status and the changes stay.
STEPS = (
    Step("Δ activation bytes"),
    Step("type"),
    Step("MACs"),
    Step("params"),
    Step("layer", to=20, middle=True),
    Step("layer", to=8, middle=True),
)
TOTAL_STEPS = (Step("old"), Step("%"))
_ROW_STYLES = {"added": "32", "removed": "31", "changed": "33"}


def _painted(text: str, style: str, color: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if color and text else text


def render_table(diff: Diff, color: bool = False, everything: bool = False, width: int | None = None) -> str:
    """The changed layers, then the totals, then any --fail-on verdicts; laid out as the
    human table is, fitted to `width` (a terminal's) where one is given."""
    from cnncalc.fit import wrap
    from cnncalc.report.table import Cell, layout, note_lines

    header = ["layer", "type", "status", "params", "Δ params", "MACs", "Δ MACs", "Δ activation bytes"]
    body: list[tuple[list[Cell], str]] = []
    for row in _rows(diff, everything):
        texts = [
            row.label,
            _type(row),
            row.status,
            count(row.params.new if row.new else row.params.old),
            signed(row.params.delta),
            count(row.macs.new if row.new else row.macs.old),
            signed(row.macs.delta),
            signed(row.memory.delta),
        ]
        body.append(([[(text, "")] for text in texts], _ROW_STYLES.get(row.status, "")))
    heading = f"{diff.old.spec.name} ({diff.old.path}) → {diff.new.spec.name} ({diff.new.path})"
    lines = [*wrap(heading, width, indent="  "), ""]
    left_out: list[str] = []
    shortened: list[str] = []
    if body:
        table, fitted = layout(header, {3, 4, 5, 6, 7}, body, color, width, STEPS)
        lines += table
        left_out += fitted.left_out
        shortened += fitted.shortened
    else:
        lines.append("no layer changed")
    lines.append("")
    totals_body: list[tuple[list[Cell], str]] = []
    for metric, change in diff.total.items():
        texts = [TOTAL_LABELS[metric], *_total_texts(metric, change), percent_text(change)]
        totals_body.append(([[(text, "")] for text in texts], ""))
    totals_header = ["total", "old", "new", "change", "%"]
    totals, fitted = layout(totals_header, {1, 2, 3, 4}, totals_body, color, width, TOTAL_STEPS)
    lines += totals
    left_out += [f"{column} (totals)" for column in fitted.left_out]
    lines += note_lines(width, color, left_out, shortened)
    if diff.convention is not None:
        lines += wrap(diff.convention, width, indent="  ")
    for line in _verdict_lines(diff):
        style = "1;31" if line.startswith("FAIL") else "32"
        lines += [_painted(part, style, color) for part in wrap(line, width, indent="      ")]
    return "\n".join(line.rstrip() for line in lines) + "\n"


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
        "count": diff.count,
        "convention": diff.convention,
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


def render_json(diff: Diff, color: bool = False, everything: bool = False, width: int | None = None) -> str:
    return json.dumps(document(diff, everything=True), indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(diff: Diff, color: bool = False, everything: bool = False, width: int | None = None) -> str:
    lines = [f"### cnncalc diff: `{_md(diff.old.path)}` → `{_md(diff.new.path)}`", ""]
    lines += ["| total | old | new | change | % |", "|---|---:|---:|---:|---:|"]
    for metric, change in diff.total.items():
        lines.append(
            f"| {TOTAL_LABELS[metric]} | {_value(metric, change.old)} | {_value(metric, change.new)} "
            f"| {signed(change.delta)} | {percent_text(change)} |"
        )
    if diff.convention is not None:
        lines += ["", _md(diff.convention)]
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

"""`cnncalc table --input l=128,1024,4096`: one totals row per input, as text, JSON, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from cnncalc.figures import Totals


@dataclass(frozen=True)
class Row:
    """The network's totals at one input."""

    label: str  # `l=1024`
    input: str  # the input's shape as shown: `(1024,)`
    output: str
    totals: Totals


HEADER = ("input", "shape", "output", "params", "MACs", "FLOPs", "activations (bytes)")


def _cells(row: Row) -> tuple[str, ...]:
    t = row.totals
    numbers = (t.params.total, t.macs, t.flops, t.activation_bytes)
    return (row.label, row.input, row.output, *(f"{n:,}" for n in numbers))


def table(title: str, rows: list[Row]) -> str:
    body = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER))]
    lines = [title, ""]
    for line in body:
        left = [cell.ljust(w) for cell, w in zip(line[:3], widths, strict=False)]
        right = [cell.rjust(w) for cell, w in zip(line[3:], widths[3:], strict=True)]
        lines.append("  ".join([*left, *right]).rstrip())
    return "\n".join(lines) + "\n"


def json_text(title: str, rows: list[Row]) -> str:
    doc = [
        {
            "input": r.label,
            "shape": r.input,
            "output": r.output,
            "params": r.totals.params.total,
            "macs": r.totals.macs,
            "flops": r.totals.flops,
            "activation_bytes": r.totals.activation_bytes,
        }
        for r in rows
    ]
    return json.dumps(doc, indent=2) + "\n"


def csv_text(title: str, rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["input", "shape", "output", "params", "macs", "flops", "activation_bytes"])
    for r in rows:
        t = r.totals
        writer.writerow([r.label, r.input, r.output, t.params.total, t.macs, t.flops, t.activation_bytes])
    return out.getvalue()


def markdown(title: str, rows: list[Row]) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(HEADER) + " |", "|---|---|---|--:|--:|--:|--:|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"

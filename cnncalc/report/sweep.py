"""`cnncalc table --input l=128,1024,4096`: one totals row per input, as text, JSON, CSV or Markdown.

Each row carries every total of the single-input report (params, buffers, MACs, FLOPs,
activations, KV cache, the inference peak, and the training peak under `--train`); a value
the network refuses is a row of its own with the reason. The JSON is a versioned document
(`SCHEMA_VERSION`, README "The JSON report") whose rows hold the single report's `input`,
`total` and `memory` objects, shapes as lists of ints.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnncalc.errors import Diagnostic
from cnncalc.fit import Step
from cnncalc.report import View, count, size_text

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis

# The sweep document's own version: it changes only when a field is removed or changes meaning.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Row:
    """The network at one input: its analysis, or why the network refuses that input."""

    label: str  # `l=1024`, `h=224 w=224`
    values: dict[str, int]  # {"l": 1024}
    analysis: Analysis | None  # None where refused
    refused: Diagnostic | None = None


@dataclass(frozen=True)
class Sweep:
    """Every row, with what they share: the spec, batch, dtype, layout and counting."""

    name: str
    path: str
    batch: int
    dtype: str
    layout: str
    convention: str  # what the MACs count, in words
    count: str | None  # `--count PRESET`, or None
    train: str | None  # `--train OPTIMIZER`, or None
    master: str | None  # `--master-weights DTYPE`, or None
    rows: list[Row]
    width: int | None = None  # a terminal's columns the table must fit; None: every column
    color: bool = False

    @property
    def title(self) -> str:
        counted = f"counted as {self.count}" if self.count else "MACs by cnncalc's convention"
        return f"{self.name} · {self.path} · batch {self.batch} · {self.dtype} · {counted}"

    @property
    def kv_cache(self) -> bool:
        """Whether the network keeps a KV cache (a column only then)."""
        return any(r.analysis is not None and r.analysis.totals.kv_cache_bytes_per_token for r in self.rows)


# What goes first when the table is wider than the terminal; input, params and MACs stay.
STEPS = (
    Step("shape"),
    Step("activations"),
    Step("FLOPs"),
    Step("buffers"),
    Step("output"),
    Step("KV cache"),
    Step("training peak"),
    Step("inference peak"),
)


def _header(sweep: Sweep) -> list[str]:
    header = ["input", "shape", "output", "params", "buffers", "MACs", "FLOPs", "activations"]
    header += ["KV cache"] if sweep.kv_cache else []
    header += ["inference peak", *(["training peak"] if sweep.train else [])]
    return header


def _cells(sweep: Sweep, row: Row) -> list[str]:
    analysis, view = row.analysis, View(sweep.layout)
    if analysis is None:
        return [row.label] + [""] * (len(_header(sweep)) - 1)
    t = analysis.totals
    trace = analysis.trace
    shapes = ", ".join(view.shape_text(n.output) for n in trace.nodes[: trace.input_count])  # each input's
    cells = [row.label, shapes, view.shape_text(t.output)]
    cells += [count(t.params.total), count(t.params.buffers), count(t.macs), count(t.flops)]
    cells += [size_text(t.activation_bytes)]
    cells += [size_text(t.kv_cache_bytes)] if sweep.kv_cache else []
    cells += [size_text(analysis.inference_memory.total)]
    step = analysis.training_memory
    cells += [size_text(step.total)] if step is not None else []
    return cells


def _reason(row: Row) -> str:
    assert row.refused is not None
    return f"refused: {row.refused.message} (line {row.refused.mark.line})"


def table(sweep: Sweep) -> str:
    """The rows as the human table lays them out, fitted to `sweep.width`; a refused value's
    row says why, wrapped under its label."""
    from cnncalc.fit import wrap
    from cnncalc.report.table import layout, note_lines

    header = _header(sweep)
    body = [([[(cell, "")] for cell in _cells(sweep, row)], "") for row in sweep.rows]
    lines, fitted = layout(header, set(range(3, len(header))), body, sweep.color, sweep.width, STEPS)
    label_width = max(len(header[0]), *(len(row.label) for row in sweep.rows))
    out = [*wrap(sweep.title, sweep.width, indent="  "), "", lines[0]]
    for row, line in zip(sweep.rows, lines[1:], strict=True):
        if row.refused is None:
            out.append(line)
        else:
            first = row.label.ljust(label_width) + "  "
            out += wrap(_reason(row), sweep.width, indent=" " * len(first), first=first)
    out += note_lines(sweep.width, sweep.color, fitted.left_out, fitted.shortened)
    return "\n".join(line.rstrip() for line in out) + "\n"


def _row_document(row: Row, layout: str) -> dict[str, Any]:
    from cnncalc.report.json_report import document

    if row.analysis is None:
        assert row.refused is not None
        where = row.refused
        refused = {"message": where.message, "path": where.path, "line": where.mark.line, "col": where.mark.col}
        return {"label": row.label, "values": row.values, "refused": refused}
    single = document(row.analysis, View(layout), layers=False)
    return {"label": row.label, "values": row.values, "refused": None, **{k: single[k] for k in KEYS}}


KEYS = ("input", "total", "memory")  # a row's objects, as the single-input report has them


def document(sweep: Sweep) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": sweep.name,
        "path": sweep.path,
        "layout": sweep.layout,
        "batch": sweep.batch,
        "dtype": sweep.dtype,
        "convention": sweep.convention,
        "count": sweep.count,
        "rows": [_row_document(row, sweep.layout) for row in sweep.rows],
    }


def json_text(sweep: Sweep) -> str:
    return json.dumps(document(sweep), indent=2) + "\n"


CSV_HEADER = (
    "input",
    "input_shape",
    "output_shape",
    "params",
    "buffers",
    "macs",
    "flops",
    "activation_bytes",
    "weights_bytes",
    "kv_cache_bytes",
    "inference_peak_bytes",
    "training_peak_bytes",
    "refused",
)


def csv_text(sweep: Sweep) -> str:
    """One line per input; shapes as `128x50257`; training_peak_bytes empty without --train,
    the figures empty and `refused` saying why where the network refuses the input."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in sweep.rows:
        analysis, view = row.analysis, View(sweep.layout)
        if analysis is None:
            writer.writerow([row.label, *[""] * (len(CSV_HEADER) - 2), str(row.refused)])
            continue
        t, step = analysis.totals, analysis.training_memory
        inputs = analysis.trace.nodes[: analysis.trace.input_count]
        shapes = [" ".join("x".join(map(str, view.shape(n.output))) for n in inputs)]  # each input's
        shapes.append("x".join(map(str, view.shape(t.output))))
        figures = [t.params.total, t.params.buffers, t.macs, t.flops, t.activation_bytes, t.weights_bytes]
        figures += [t.kv_cache_bytes, analysis.inference_memory.total]
        writer.writerow([row.label, *shapes, *figures, "" if step is None else step.total, ""])
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(sweep: Sweep) -> str:
    header = _header(sweep)
    lines = [f"**{_md(sweep.title)}**", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "---|" * 3 + "--:|" * (len(header) - 3))
    for row in sweep.rows:
        if row.refused is not None:
            lines.append(f"| {_md(row.label)} | {_md(_reason(row))} |" + " |" * (len(header) - 2))
        else:
            lines.append("| " + " | ".join(_md(cell) for cell in _cells(sweep, row)) + " |")
    return "\n".join(lines) + "\n"

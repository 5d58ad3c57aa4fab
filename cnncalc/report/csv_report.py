"""CSV: one row per layer, plain numbers, for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, TextIO

from cnncalc.conventions import flops
from cnncalc.report import View, rf_text

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis

COLUMNS = [
    "index",
    "name",
    "type",
    "hyperparameters",
    "output_shape",
    "output_size",
    "params",
    "trainable_params",
    "buffers",
    "macs",
    "flops",
    "receptive_field",
    # Added later, after the columns above so that none of them moves.
    "non_trainable_params",
    "activation_bytes",
]


def render(analysis: Analysis, view: View) -> str:
    out = io.StringIO()
    write(analysis, view, out)
    return out.getvalue()


# Distinct layer contents whose cells `write` remembers as text.
REMEMBERED = 4096


def write(analysis: Analysis, view: View, out: TextIO) -> None:
    """Row by row: a big network's rows are never held whole. The cells after the name
    depend on what a layer is and reads, not on where it sits, and a long network repeats
    a few such layers: their text is made once for each (up to REMEMBERED)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    trace = analysis.trace
    batch, element = trace.batch, trace.bytes_per_element
    fields, macs_of, params_of = analysis.receptive_fields, analysis.macs, analysis.params
    cells = _Cells()
    alike: dict[tuple[object, ...], str] = {}
    for node in trace.nodes:
        params, macs, rf = params_of(node), macs_of(node), fields[node.index]
        # By identity where the trace shares one object among equal values (shapes, counts).
        key = (node.kind, node.summary, id(node.output), id(params), macs, id(rf))
        rest = alike.get(key)
        if rest is None:
            rest = cells.text(
                [
                    node.kind,
                    node.summary,
                    "x".join(str(v) for v in view.shape(node.output)),
                    node.output_size,
                    params.total,
                    params.trainable,
                    params.buffers,
                    macs * batch,
                    flops(macs) * batch,
                    rf_text(rf),
                    params.non_trainable,
                    node.output_size * batch * element,
                ]
            )
            if len(alike) < REMEMBERED:
                alike[key] = rest
        name = cells.text([node.name, ""])[:-1] if node.name else ""  # (a lone empty cell is written "")
        out.write(f"{node.index},{name},{rest}\n")


class _Cells:
    """Cells as the csv module writes them (quoted where they need it), joined by commas."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")

    def text(self, cells: list[object]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        return self.buffer.getvalue()[:-1]

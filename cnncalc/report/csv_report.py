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


def write(analysis: Analysis, view: View, out: TextIO) -> None:
    """Row by row: a big network's rows are never held whole."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    trace = analysis.trace
    batch, element = trace.batch, trace.bytes_per_element
    fields, macs_of, params_of = analysis.receptive_fields, analysis.macs, analysis.params
    for node in trace.nodes:
        params, macs = params_of(node), macs_of(node)
        writer.writerow(
            [
                node.index,
                node.name,
                node.kind,
                node.summary,
                "x".join(str(v) for v in view.shape(node.output)),
                node.output_size,
                params.total,
                params.trainable,
                params.buffers,
                macs * batch,
                flops(macs) * batch,
                rf_text(fields[node.index]),
                params.non_trainable,
                node.output_size * batch * element,
            ]
        )

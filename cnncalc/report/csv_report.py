"""CSV: one row per layer, plain numbers, for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import TextIO

from cnncalc.report import Report, rf_text

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


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()


def write(report: Report, out: TextIO) -> None:
    """Row by row: a big network's rows are never held whole."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    batch, element = report.trace.batch, report.trace.bytes_per_element
    for node in report.trace.nodes:
        writer.writerow(
            [
                node.index,
                node.name,
                node.kind,
                node.summary,
                "x".join(str(v) for v in report.shape(node.output)),
                node.output_size,
                node.params.total,
                node.params.trainable,
                node.params.buffers,
                node.macs * batch,
                node.flops * batch,
                rf_text(node),
                node.params.non_trainable,
                node.output_size * batch * element,
            ]
        )

"""The JSON report: a stable contract for CI (schema_version 1, documented in the README)."""

from __future__ import annotations

import io
import json
from typing import Any, TextIO

from cnncalc.engine import Node
from cnncalc.report import SCHEMA_VERSION, Report, convention_line
from cnncalc.shape import Shape


def _layer(report: Report, node: Node, shapes: dict[int, list[int]] | None = None) -> dict[str, Any]:
    """One layer's values; `shapes` remembers each shape object's list (by id: the trace
    keeps them alive), for a long network that repeats a few shapes."""
    batch = report.trace.batch
    rf = node.rf
    if shapes is None:
        shapes = {}

    def shape(x: Shape) -> list[int]:
        shown = shapes.get(id(x))
        if shown is None:
            shown = shapes[id(x)] = list(report.shape(x))
        return shown

    return {
        "index": node.index,
        "name": node.name,
        "type": node.kind,
        "hyperparameters": node.summary,
        "from": list(node.sources),
        "input_shapes": [shape(x) for x in node.inputs],
        "output_shape": shape(node.output),
        "output_size": node.output_size,
        "params": node.params.total,
        "trainable_params": node.params.trainable,
        "non_trainable_params": node.params.non_trainable,
        "buffers": node.params.buffers,
        "macs": node.macs * batch,
        "flops": node.flops * batch,
        "activation_bytes": node.output_size * batch * report.trace.bytes_per_element,
        "receptive_field": None
        if rf is None
        else {"size": list(rf.size), "jump": list(rf.jump), "start": list(rf.start), "note": rf.note},
        "groups": [report.trace.groups[g].label for g in node.groups],
    }


def document(report: Report, *, layers: bool = True) -> dict[str, Any]:
    """The whole report as JSON values; without `layers`, their list is left empty."""
    trace, totals = report.trace, report.totals
    source = trace.nodes[0]
    return {
        "schema_version": SCHEMA_VERSION,
        "name": trace.spec.name,
        "path": trace.path,
        "layout": report.layout,
        "batch": trace.batch,
        "dtype": trace.dtype,
        "convention": report.convention or convention_line(trace),
        "count": report.count,
        "input": {"shape": list(report.shape(source.output)), "size": source.output_size},
        "layers": [_layer(report, node) for node in trace.nodes[1:]] if layers else [],
        "total": {
            "params": totals.params.total,
            "trainable_params": totals.params.trainable,
            "non_trainable_params": totals.params.non_trainable,
            "buffers": totals.params.buffers,
            "macs": totals.macs,
            "flops": totals.flops,
            "activation_bytes": totals.activation_bytes,
            "weights_bytes": totals.weights_bytes,
            "output_shape": list(report.shape(totals.output)),
            **(
                {
                    "kv_cache_bytes_per_token": totals.kv_cache_bytes_per_token,
                    "kv_cache_bytes": totals.kv_cache_bytes,
                }
                if totals.kv_cache_bytes_per_token
                else {}
            ),
        },
        "memory": memory_document(report),
        "claims": [
            {
                "target": c.target,
                "field": c.field,
                "claimed": c.claimed,
                "actual": c.actual,
                "confirmed": c.confirmed,
            }
            for c in report.claims
        ],
        **({} if report.verification is None else {"verification": _verification(report)}),
    }


def memory_document(report: Report) -> dict[str, Any]:
    """The peaks in bytes (cnncalc.analysis.memory), each with the node it happens at."""
    peak, step = report.inference_memory, report.training_memory
    return {
        "inference_peak_bytes": peak.total,
        "inference_peak_at": peak.at,
        "inference_parts": peak.parts,
        "every_output_bytes": report.totals.activation_bytes,  # the old sum: every output, the input included
        "training": None
        if step is None
        else {
            "optimizer": report.train,
            "master_weights": report.master,
            "peak_bytes": step.total,
            "peak_at": step.at,
            "phase": step.phase,
            "parts": step.parts,
        },
        "not_known_statically": list(peak.unknown or (step.unknown if step else ())),
    }


def _verification(report: Report) -> dict[str, Any]:
    from cnncalc.report.verification import document

    assert report.verification is not None
    return document(report.verification)


# Layers encoded per batch: a big network's document is never held whole (a dict per
# layer costs about ten times the text it becomes), and each batch is one C-speed call.
BATCH = 1000


def write(report: Report, out: TextIO) -> None:
    """The document of `document()`, written to `out` as `json.dumps` would print it.

    One line: Python's JSON encoder is C only without indentation (4x faster on large
    networks); `jq .` pretty-prints it.
    """
    whole = document(report, layers=False)
    keys = list(whole)
    at = keys.index("layers")
    head, tail = keys[:at], keys[at + 1 :]
    out.write(_dumps({k: whole[k] for k in head})[:-1] + ', "layers": [')
    nodes = report.trace.nodes
    shapes: dict[int, list[int]] = {}
    for start in range(1, len(nodes), BATCH):
        batch = _dumps([_layer(report, node, shapes) for node in nodes[start : start + BATCH]])
        out.write((", " if start > 1 else "") + batch[1:-1])
    out.write("], " + _dumps({k: whole[k] for k in tail})[1:] + "\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()

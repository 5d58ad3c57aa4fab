"""The JSON report: a stable contract for CI (schema_version 1, documented in the README)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from cnncalc.conventions import flops
from cnncalc.engine import Node
from cnncalc.report import SCHEMA_VERSION, View
from cnncalc.shape import Shape

if TYPE_CHECKING:
    from cnncalc.analysis import Analysis


def _layer(analysis: Analysis, view: View, node: Node, shapes: dict[int, list[int]] | None = None) -> dict[str, Any]:
    """One layer's values; `shapes` remembers each shape object's list (by id: the trace
    keeps them alive), for a long network that repeats a few shapes."""
    trace = analysis.trace
    batch = trace.batch
    rf = analysis.receptive_fields[node.index]
    params, macs = analysis.params(node), analysis.macs(node)
    if shapes is None:
        shapes = {}

    def shape(x: Shape) -> list[int]:
        shown = shapes.get(id(x))
        if shown is None:
            shown = shapes[id(x)] = list(view.shape(x))
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
        "params": params.total,
        "trainable_params": params.trainable,
        "non_trainable_params": params.non_trainable,
        "buffers": params.buffers,
        "macs": macs * batch,
        "flops": flops(macs) * batch,
        "activation_bytes": node.output_size * batch * trace.bytes_per_element,
        "receptive_field": None
        if rf is None
        else {"size": list(rf.size), "jump": list(rf.jump), "start": list(rf.start), "note": rf.note},
        "groups": [trace.groups[g].label for g in node.groups],
    }


def document(analysis: Analysis, view: View, *, layers: bool = True) -> dict[str, Any]:
    """The whole report as JSON values; without `layers`, their list is left empty."""
    trace, totals = analysis.trace, analysis.totals
    source = trace.nodes[0]
    several = {  # each input by name, where the network takes more than one
        "inputs": [
            {"name": n.name, "shape": list(view.shape(n.output)), "size": n.output_size}
            for n in trace.nodes[: trace.input_count]
        ]
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "name": trace.spec.name,
        "path": trace.path,
        "layout": view.layout,
        "batch": trace.batch,
        "dtype": trace.dtype,
        "convention": analysis.convention,
        "count": analysis.count,
        "input": {"shape": list(view.shape(source.output)), "size": source.output_size},
        **(several if trace.input_count > 1 else {}),
        "layers": [_layer(analysis, view, node) for node in trace.layer_nodes] if layers else [],
        "total": {
            "params": totals.params.total,
            "trainable_params": totals.params.trainable,
            "non_trainable_params": totals.params.non_trainable,
            "buffers": totals.params.buffers,
            "macs": totals.macs,
            "flops": totals.flops,
            "activation_bytes": totals.activation_bytes,
            "weights_bytes": totals.weights_bytes,
            "output_shape": list(view.shape(totals.output)),
            **(
                {
                    "kv_cache_bytes_per_token": totals.kv_cache_bytes_per_token,
                    "kv_cache_bytes": totals.kv_cache_bytes,
                }
                if totals.kv_cache_bytes_per_token
                else {}
            ),
            **({"active_params_per_token": totals.active_params} if totals.inactive_params else {}),
        },
        "memory": memory_document(analysis),
        "claims": [
            {
                "target": c.target,
                "field": c.field,
                "claimed": c.claimed,
                "actual": c.actual,
                "confirmed": c.confirmed,
            }
            for c in analysis.claims
        ],
        **({} if analysis.verification is None else {"verification": _verification(analysis)}),
    }


def memory_document(analysis: Analysis) -> dict[str, Any]:
    """The peaks in bytes (cnncalc.analysis.memory), each with the node it happens at."""
    peak, step = analysis.inference_memory, analysis.training_memory
    return {
        "inference_peak_bytes": peak.total,
        "inference_peak_at": peak.at,
        "inference_parts": peak.parts,
        "every_output_bytes": analysis.totals.activation_bytes,  # the old sum: every output, the input included
        "training": None
        if step is None
        else {
            "optimizer": analysis.train,
            "master_weights": analysis.master,
            "peak_bytes": step.total,
            "peak_at": step.at,
            "phase": step.phase,
            "parts": step.parts,
            # Activation checkpointing: blocks rerun in backward and their MACs per sample.
            "checkpointed_blocks": analysis.reruns[0],
            "recompute_macs_per_sample": analysis.reruns[1],
        },
        "not_known_statically": list(peak.unknown or (step.unknown if step else ())),
        **_spread(analysis),
        # The forms assumed where the spec may say how the code runs: [in place, of all].
        "forms": {
            "in_place": {what: list(counts) for what, counts in analysis.memory_forms.in_place.items()},
            "held": analysis.memory_forms.held,
            # Attention layers by the kernel assumed (`kernel:`, `--attention`), where there are any.
            **({"attention": analysis.memory_forms.kernels} if analysis.memory_forms.kernels else {}),
        },
    }


def _spread(analysis: Analysis) -> dict[str, Any]:
    """Only where asked for: the 8-bit state, the GPUs shared over, the device's fit."""
    found: dict[str, Any] = {}
    if analysis.optimizer_bits != 32:
        found["optimizer_bits"] = analysis.optimizer_bits
    spread = analysis.parallel
    if spread is not None:
        found["parallel"] = {
            "gpus": spread.gpus,
            "zero": spread.zero,
            "tensor": spread.tensor,
            "pipeline": spread.pipeline,
            "per_gpu": True,
            "model_states": analysis.model_states,
            "model_states_bytes": None if analysis.model_states is None else sum(analysis.model_states.values()),
        }
    generation = analysis.generation
    if generation is not None:
        found["generation"] = {
            "prompt_tokens": generation.prompt,
            "new_tokens": generation.new_tokens,
            "context_tokens": generation.context,
            "kv_dtype": generation.kv_dtype,
            "kv_cache_bytes_per_token": generation.cache_per_token,  # one sample
            "prefill": {"peak_bytes": generation.prefill.total, "peak_at": generation.prefill.at,
                        "parts": generation.prefill.parts},
            "decode": {"peak_bytes": generation.decode.total, "peak_at": generation.decode.at,
                       "parts": generation.decode.parts},
            "peak_bytes": generation.peak.total,
            "prefill_macs_per_sample": generation.prefill_macs,  # the whole prompt
            "decode_macs_per_token": generation.decode_macs,  # the last step, over the whole context
        }  # fmt: skip
    if analysis.device_memory is not None:
        found["device_memory_bytes"] = analysis.device_memory
        found["fits"] = [
            {
                "what": fit.what,
                "peak_bytes": fit.peak,
                "fits": fit.fits,
                "headroom_bytes": fit.headroom,
                "largest_batch": fit.largest_batch,
                "largest_batch_searched": fit.at_bound,
            }
            for fit in analysis.fits
        ]
    return found


def _verification(analysis: Analysis) -> dict[str, Any]:
    from cnncalc.report.verification import document

    assert analysis.verification is not None
    return document(analysis.verification)


# Layers written per batch: a big network's document is never held whole (a dict per
# layer costs about ten times the text it becomes).
BATCH = 1000
# Distinct layer contents whose text LayerTexts remembers.
REMEMBERED = 4096


class LayerTexts:
    """Each layer's JSON text, as `_dumps(_layer(...))` writes it, built in parts: the part
    after `from` (shapes, counts, receptive field) depends on what the layer is and reads,
    not on where it sits, and a long network repeats a few such layers; it is encoded once
    for each (up to REMEMBERED), the index, name, sources and groups per layer."""

    def __init__(self, analysis: Analysis, view: View) -> None:
        self.analysis, self.view = analysis, view
        self.fields = analysis.receptive_fields
        self.groups = analysis.trace.groups
        self.alike: dict[tuple[object, ...], tuple[str, str]] = {}
        self.group_texts: dict[tuple[int, ...], str] = {}

    def text(self, node: Node) -> str:
        analysis = self.analysis
        params, macs, rf = analysis.params(node), analysis.macs(node), self.fields[node.index]
        # By identity where the trace shares one object among equal values (shapes, counts):
        # the trace keeps them all alive while this runs, so no id is reused.
        key = (node.kind, node.summary, id(node.inputs), id(node.output), id(params), macs, id(rf))
        parts = self.alike.get(key)
        if parts is None:
            whole = _layer(analysis, self.view, node)
            head = {k: whole[k] for k in ("type", "hyperparameters")}
            tail = {k: v for k, v in whole.items() if k not in ("index", "name", "from", "groups", *head)}
            parts = (_dumps(head)[1:-1], _dumps(tail)[1:-1])
            if len(self.alike) < REMEMBERED:
                self.alike[key] = parts
        groups = self.group_texts.get(node.groups)
        if groups is None:
            groups = self.group_texts[node.groups] = _dumps([self.groups[g].label for g in node.groups])
        sources = ", ".join([str(s) for s in node.sources])
        return (
            f'{{"index": {node.index}, "name": {_string(node.name)}, {parts[0]}, "from": [{sources}], '
            f'{parts[1]}, "groups": {groups}}}'
        )


def write(analysis: Analysis, view: View, out: TextIO) -> None:
    """The document of `document()`, written to `out` as `json.dumps` would print it.

    One line: Python's JSON encoder is C only without indentation (4x faster on large
    networks); `jq .` pretty-prints it.
    """
    whole = document(analysis, view, layers=False)
    keys = list(whole)
    at = keys.index("layers")
    head, tail = keys[:at], keys[at + 1 :]
    out.write(_dumps({k: whole[k] for k in head})[:-1] + ', "layers": [')
    nodes = analysis.trace.nodes
    texts = LayerTexts(analysis, view)
    for start in range(1, len(nodes), BATCH):
        batch = ", ".join([texts.text(node) for node in nodes[start : start + BATCH]])
        out.write((", " if start > 1 else "") + batch)
    out.write("], " + _dumps({k: whole[k] for k in tail})[1:] + "\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# A string as `_dumps` writes it (json's own function for ensure_ascii=False, in C).
_string: Callable[[str], str] = json.encoder.encode_basestring


def render(analysis: Analysis, view: View) -> str:
    out = io.StringIO()
    write(analysis, view, out)
    return out.getvalue()
